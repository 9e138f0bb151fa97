#pragma once
// TrainConfig: the one description of a training run. The GUI edits it, the
// CLI reads it from a file (and flags), and every run directory stores it as
// config.json so the run can be reproduced and resumed.
#include "core/data/AugmentPreset.h"

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ts::train {

enum class OptimizerKind { SGD, Adam, AdamW };
enum class ScheduleKind { Constant, Step, Cosine, OneCycle };
enum class DeviceChoice { Auto, CPU, CUDA };
/// Mixed: float16 autocast with loss scaling on CUDA, bfloat16 autocast on
/// CPUs with native bfloat16 (float32 elsewhere).
enum class Precision { Float32, Mixed };
enum class FeatureCache { Auto, Off };    ///< Auto: used when the backbone is frozen and augmentation is none
/// BatchNorm in training ("batchnorm_policy").
enum class BatchNormPolicy {
    FrozenEval,  ///< "frozen-eval": frozen BatchNorm layers run in eval mode, trainable ones update their statistics
    AllEval,     ///< "all-eval": every BatchNorm layer keeps its pretrained statistics (its affine parameters still
                 ///< train when its stage does); the usual choice for small batches
};
/// What early stopping and the best epoch follow ("early_stopping_metric").
enum class EarlyStoppingMetric {
    ValAccuracy,  ///< "val_accuracy": higher is better
    ValLoss,      ///< "val_loss": lower is better
};

/// Which stages of the backbone train before the per-stage and per-parameter
/// overrides ("freeze" in config.json: "feature-extraction", "last:N" or
/// "none"). Parsed once, from config.json or a flag (freezePresetFromString).
struct FreezePreset {
    enum class Kind {
        FeatureExtraction,  ///< only the head trains
        LastStages,         ///< the last `lastStages` stages of the backbone and the head train
        None,               ///< nothing is frozen
    };
    Kind kind = Kind::FeatureExtraction;
    int lastStages = 0;  ///< for LastStages: N, from 0 to kMaxFreezeLastStages (more than the model has: all)

    static FreezePreset featureExtraction() { return {}; }
    static FreezePreset last(int n) { return {Kind::LastStages, n}; }
    static FreezePreset none() { return {Kind::None, 0}; }
    bool operator==(const FreezePreset& o) const {
        return kind == o.kind && (kind != Kind::LastStages || lastStages == o.lastStages);
    }
    bool operator!=(const FreezePreset& o) const { return !(*this == o); }
};

/// Training-time augmentation, as stored in config.json.
struct AugmentConfig {
    /// "none" (the eval transform) or "standard" (RandomResizedCrop + horizontal flip). Default none.
    data::AugmentPreset preset = data::AugmentPreset::None;
    double rotationDegrees = 0.0;  ///< Random rotation in [-d, d]. Default 0.
    double brightness = 0.0;       ///< Colour jitter strengths (torchvision ColorJitter). Default 0.
    double contrast = 0.0;
    double saturation = 0.0;
    double hue = 0.0;              ///< In [0, 0.5].
    bool verticalFlip = false;     ///< Default false.
    double randomErasing = 0.0;    ///< Probability of RandomErasing. Default 0.

    bool isNone() const {
        return preset == data::AugmentPreset::None && rotationDegrees == 0 && brightness == 0 && contrast == 0 && saturation == 0 &&
               hue == 0 && !verticalFlip && randomErasing == 0;
    }
};

/// How validate() names what it checks.
struct ValidationNames {
    /// Fields that were set from elsewhere, by config key: e.g. "epochs" ->
    /// "--epochs" for a command-line flag. Other fields are named by key.
    std::map<std::string, std::string> fields;
    /// Where the other fields came from (a config file's path), said in their
    /// messages; empty when they came from nowhere in particular.
    std::string source;
};

struct TrainConfig {
    // --- data ---
    /// Dataset folder (class folders, or train/ val/ [test/]). Required.
    std::string dataDir;
    /// Validation fraction for flat class folders. Default 0.2.
    double valFraction = 0.2;
    /// Files to leave out (e.g. the doctor's bad files), as given paths.
    std::vector<std::string> excludeFiles;
    /// Largest image accepted, in megapixels (width x height read from the
    /// header before anything is decoded); larger files are skipped and
    /// reported, as the dataset doctor does. Default 100.
    double maxImageMegapixels = 100;
    /// Largest image file accepted, in MiB, checked before it is read. Default 512.
    int64_t maxImageFileMib = 512;

    // --- model ---
    /// Architecture name from the zoo. Default "resnet18".
    std::string arch = "resnet18";
    /// Pretrained weights file; empty with `pretrained` = the cached official weights.
    std::string weightsFile;
    /// Start from the official ImageNet weights (cache) when weightsFile is empty. Default true.
    bool pretrained = true;
    /// A trained run folder or bundle (.tsb) to start from, head included: its
    /// arch, head and class names must be this run's. Overrides weightsFile and
    /// pretrained. Default "" (none).
    std::string initFrom;
    /// Hidden units of the new head (0 = a single Linear, torchvision-compatible). Default 0.
    int64_t headHiddenUnits = 0;
    /// Dropout after the head's hidden layer. Default 0.2.
    double headDropout = 0.2;

    // --- freezing ---
    /// "feature-extraction" (only the head trains), "last:N" (the last N
    /// stages and the head), or "none" (everything trains). Default "feature-extraction".
    FreezePreset freeze;
    /// Stage names to force trainable / frozen after the preset.
    std::vector<std::string> trainStages, freezeStages;
    /// Parameter-name prefixes to force trainable / frozen after the stages.
    std::vector<std::string> trainParams, freezeParams;
    /// Learning-rate multiplier of trainable backbone (non-head) parameters. Default 1.
    double backboneLrMultiplier = 1.0;
    /// Per-stage learning-rate multipliers ("layer3" -> 0.3; "head" allowed),
    /// over backboneLrMultiplier for the stages listed (discriminative
    /// learning rates). Stage names are checked against the model when the
    /// run starts. Default empty.
    std::map<std::string, double> stageLrMultipliers;
    /// BatchNorm in training: "frozen-eval" (frozen BatchNorm layers run in
    /// eval mode, trainable ones update their statistics) or "all-eval"
    /// (every BatchNorm layer keeps its pretrained statistics; its affine
    /// parameters still train when its stage does). Default "frozen-eval".
    BatchNormPolicy batchNormPolicy = BatchNormPolicy::FrozenEval;

    // --- augmentation ---
    AugmentConfig augment;

    // --- optimisation ---
    int epochs = 10;            ///< Default 10.
    int batchSize = 32;         ///< Default 32.
    double lr = 1e-3;           ///< Peak learning rate. Default 1e-3.
    OptimizerKind optimizer = OptimizerKind::Adam;  ///< Default Adam.
    double momentum = 0.9;      ///< SGD momentum. Default 0.9.
    bool nesterov = false;      ///< SGD Nesterov. Default false.
    double weightDecay = 0.0;   ///< Default 0 (AdamW: 0.01 is typical).
    ScheduleKind schedule = ScheduleKind::Constant;  ///< Default constant.
    int stepEpochs = 7;         ///< Step schedule: decay every N epochs. Default 7.
    double stepGamma = 0.1;     ///< Step schedule: decay factor. Default 0.1.
    int warmupEpochs = 0;       ///< Linear warm-up from lr/10 (in epochs, by batch). Default 0.
    double labelSmoothing = 0.0;  ///< Default 0.
    bool classWeights = false;  ///< Weight the loss by N/(C*n_c). Default false.
    double gradClipNorm = 0.0;  ///< Clip the gradient norm (0 = off). Default 0.
    int earlyStoppingPatience = 0;  ///< Epochs without val improvement before stopping (0 = off).
    /// "val_accuracy" or "val_loss". Default val_accuracy.
    EarlyStoppingMetric earlyStoppingMetric = EarlyStoppingMetric::ValAccuracy;
    /// In-distribution validation recall the bundle's unknown threshold keeps
    /// (train/Calibration.h): predictions below it are "unknown". In [0, 1];
    /// 0 = no threshold. Default 0.95.
    double unknownTargetRecall = 0.95;

    // --- runtime ---
    DeviceChoice device = DeviceChoice::Auto;
    /// float32 (default) or mixed: float16 autocast with loss scaling on CUDA,
    /// bfloat16 autocast on CPUs with native bfloat16 (else float32, logged).
    Precision precision = Precision::Float32;
    FeatureCache featureCache = FeatureCache::Auto;
    uint64_t seed = 42;         ///< Default 42.
    int workers = 2;            ///< Loader threads. Default 2.
    int threads = 0;            ///< LibTorch CPU threads (0 = all cores).

    /// Checks every field against its allowed values or range (the ones
    /// listed in docs/config.md). Throws ts::ConfigError naming the field (as
    /// `names` says), the value (printable, bounded) and what is allowed.
    void validate(const ValidationNames& names = {}) const;
};

/// Bounds on the names, paths and lists a config may hold (a config is read
/// from files users are sent; nothing in it may be unbounded).
inline constexpr size_t kMaxConfigPathBytes = 4096;   ///< data_dir, weights_file, each excluded file
inline constexpr size_t kMaxConfigNameBytes = 256;    ///< arch, stage names, parameter prefixes
inline constexpr size_t kMaxConfigListItems = 1000000;  ///< exclude_files
inline constexpr size_t kMaxConfigNameItems = 10000;  ///< stage and parameter lists, stage_lr_multipliers
inline constexpr int kMaxFreezeLastStages = 1000;     ///< N of "last:N"
inline constexpr int64_t kMaxHeadHiddenUnits = 16384;

/// The N of a "last:N" freeze preset: "last:" then 1 to 4 digits, N at most
/// kMaxFreezeLastStages. Returns -1 for anything else (parsed by hand: no
/// regular expression, whose recursion a long value would overflow).
int parseFreezeLast(const std::string& preset);

nlohmann::json toJson(const TrainConfig& c);
/// Reads a config. Throws ts::ConfigError, before anything is cast, on a value
/// of the wrong type ("epochs": "10"), a number outside its field's range
/// ("epochs": 1e300) or a string or list longer than the bounds above; an
/// unknown key is an error too (typos must not pass silently), with the
/// nearest known key suggested. The result may still fail validate() on
/// fields that need a value (data_dir).
TrainConfig trainConfigFromJson(const nlohmann::json& j);
/// Reads a TrainConfig JSON file, or a desktop project (*.tsproj) whose
/// top-level "config" object is one, with ts::readJsonFile (bounded size and
/// depth). Throws ts::IoError (unreadable, not JSON) or ts::ConfigError (see
/// trainConfigFromJson), naming the file.
TrainConfig loadTrainConfig(const std::string& path);
void saveTrainConfig(const TrainConfig& c, const std::string& path);

// The name of each closed choice, as config.json and the flags write it, and
// back: one name table per choice (TrainConfig.cpp). A name that is not in
// the table is a ts::ConfigError that names `field` (a key or a flag) and
// lists the allowed names.
std::string toString(OptimizerKind k);
std::string toString(ScheduleKind k);
std::string toString(DeviceChoice d);
std::string toString(Precision p);
std::string toString(FeatureCache f);
std::string toString(BatchNormPolicy p);
std::string toString(EarlyStoppingMetric m);
std::string toString(data::AugmentPreset p);
std::string toString(const FreezePreset& f);  ///< "feature-extraction", "last:N" or "none"
OptimizerKind optimizerFromString(const std::string& s);
ScheduleKind scheduleFromString(const std::string& s);
DeviceChoice deviceFromString(const std::string& s);
Precision precisionFromString(const std::string& s);
FeatureCache featureCacheFromString(const std::string& s);
BatchNormPolicy batchNormPolicyFromString(const std::string& s, const std::string& field = "batchnorm_policy");
EarlyStoppingMetric earlyStoppingMetricFromString(const std::string& s,
                                                  const std::string& field = "early_stopping_metric");
data::AugmentPreset augmentPresetFromString(const std::string& s, const std::string& field = "augment.preset");
FreezePreset freezePresetFromString(const std::string& s, const std::string& field = "freeze");

} // namespace ts::train
