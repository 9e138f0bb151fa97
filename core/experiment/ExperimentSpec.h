#pragma once
// ExperimentSpec: what an experiment varies. A base TrainConfig, the axes
// (TrainConfig keys, dotted for nested ones: "lr", "freeze",
// "augment.preset", ...) with their values or a numeric range, the search
// (the full grid, N random trials, or a named preset), and successive
// halving. expandTrials() turns a spec into its trials, each a validated
// TrainConfig, with deterministic ids t000, t001, ...
//
// Every value goes through TrainConfig's own reader (trainConfigFromJson and
// validate()), so an axis accepts exactly what config.json accepts; an
// unknown key, a value its key cannot take or an empty axis is a
// ts::ConfigError that names the axis and the value, before anything is
// created or trained.
//
// Thread safety: plain values and pure functions.
#include "core/train/TrainConfig.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ts::experiment {

/// Most trials one experiment may hold.
inline constexpr size_t kMaxTrials = 1000;
/// Most values one axis may list.
inline constexpr size_t kMaxAxisValues = 1000;

/// One varied key: a list of values, or (random search only) a numeric range.
struct Axis {
    std::string key;                     ///< config key, dotted for nested ones ("augment.preset")
    std::vector<nlohmann::json> values;  ///< list axis: values typed as the key's JSON type
    bool isRange = false;                ///< range axis: lo:hi[:log]
    double lo = 0.0, hi = 0.0;           ///< range bounds, both included, lo < hi
    bool logScale = false;               ///< sampled uniformly in log space (lo > 0)
};

enum class SearchMode {
    Grid,    ///< every combination of the list axes (the first axis varies slowest)
    Random,  ///< `randomTrials` trials: grid points drawn without replacement, or samples of the ranges
    Preset,  ///< the trials of a named preset (presetTrials)
};

struct ExperimentSpec {
    train::TrainConfig base;  ///< every trial starts from it
    std::vector<Axis> axes;   ///< Grid and Random: at least one
    SearchMode mode = SearchMode::Grid;
    int randomTrials = 0;  ///< Random: N (1 to kMaxTrials)
    uint64_t seed = 0;     ///< Random: the draw's seed (not the training seed)
    int halvingEta = 0;    ///< 0: no halving; 2 to 100: successive halving keeps the best 1/eta per rung
    std::string preset;    ///< Preset: its name ("seed-strategies")
};

/// One trial: its id, the values of the varied keys, and its full config.
struct TrialPlan {
    std::string id;             ///< "t000", "t001", ...
    nlohmann::json params;      ///< {key: value} of the varied keys
    train::TrainConfig config;  ///< base + params, validated
};

/// Every key an axis may name: the TrainConfig keys with a single value
/// (numbers, texts, choices, booleans), nested ones dotted ("augment.preset").
std::vector<std::string> axisKeys();

/// Parses "KEY=V1,V2[,...]" or "KEY=LO:HI[:log]" (a numeric key only). `where`
/// names the text in messages (e.g. `--grid "lr=0.1,x"`). Each value is
/// typed as its key's config value and checked by the config's reader.
/// Throws ts::ConfigError: no '=', an unknown key (with the nearest known
/// one), a key that holds a list or object, no value or an empty one, a
/// value listed twice, a value the key cannot take, a bad range.
Axis parseAxis(const std::string& text, const std::string& where);

/// The names of the presets ("seed-strategies").
std::vector<std::string> presetNames();
/// The params of each trial of preset `name` given the base config:
/// seed-strategies = feature extraction without augmentation, feature
/// extraction with the standard augmentation, and last:2 fine-tuning with
/// the standard augmentation at a tenth of the base lr. Throws
/// ts::ConfigError for an unknown name.
std::vector<nlohmann::json> presetTrials(const std::string& name, const train::TrainConfig& base);

/// `base` with `params` ({key: value}) applied through the config's reader,
/// then validated. `where` names the trial in messages. Throws ts::ConfigError.
train::TrainConfig applyParams(const train::TrainConfig& base, const nlohmann::json& params, const std::string& where);

/// The trials of `spec`, each config validated (and its architecture known
/// to the zoo). Deterministic: the same spec gives the same trials. Throws
/// ts::ConfigError when the spec is incomplete or inconsistent (no axis, a
/// range in a grid, too many trials, a duplicate axis, halving with a bad
/// eta, a trial config that fails validation).
std::vector<TrialPlan> expandTrials(const ExperimentSpec& spec);

/// "t000" for 0.
std::string trialId(size_t index);

std::string toString(SearchMode mode);
/// The spec as experiment.json stores it (without format, version, created).
nlohmann::json specToJson(const ExperimentSpec& spec);
/// Reads what specToJson() wrote, as hostile input; throws ts::IoError naming
/// `source` when a field is missing or mistyped, ts::ConfigError when the base
/// config or an axis is invalid.
ExperimentSpec specFromJson(const nlohmann::json& j, const std::string& source);

}  // namespace ts::experiment
