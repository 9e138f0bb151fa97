#include "core/train/TrainConfig.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <regex>
#include <set>

namespace ts::train {
namespace {

template <typename E>
E parseEnum(const std::string& s, const std::vector<std::pair<std::string, E>>& table, const char* field) {
    for (const auto& [name, value] : table)
        if (name == s) return value;
    std::string allowed;
    for (const auto& [name, v] : table) allowed += (allowed.empty() ? "" : ", ") + name;
    throw ConfigError(std::string("Invalid ") + field + " '" + s + "': use one of " + allowed + ".");
}

const std::vector<std::pair<std::string, OptimizerKind>> kOptimizers = {
    {"sgd", OptimizerKind::SGD}, {"adam", OptimizerKind::Adam}, {"adamw", OptimizerKind::AdamW}};
const std::vector<std::pair<std::string, ScheduleKind>> kSchedules = {{"constant", ScheduleKind::Constant},
                                                                      {"step", ScheduleKind::Step},
                                                                      {"cosine", ScheduleKind::Cosine},
                                                                      {"one-cycle", ScheduleKind::OneCycle}};
const std::vector<std::pair<std::string, DeviceChoice>> kDevices = {
    {"auto", DeviceChoice::Auto}, {"cpu", DeviceChoice::CPU}, {"cuda", DeviceChoice::CUDA}};

template <typename E>
std::string enumName(E value, const std::vector<std::pair<std::string, E>>& table) {
    for (const auto& [name, v] : table)
        if (v == value) return name;
    return "?";
}

} // namespace

std::string toString(OptimizerKind k) { return enumName(k, kOptimizers); }
std::string toString(ScheduleKind k) { return enumName(k, kSchedules); }
std::string toString(DeviceChoice d) { return enumName(d, kDevices); }
OptimizerKind optimizerFromString(const std::string& s) { return parseEnum(s, kOptimizers, "optimizer"); }
ScheduleKind scheduleFromString(const std::string& s) { return parseEnum(s, kSchedules, "schedule"); }
DeviceChoice deviceFromString(const std::string& s) { return parseEnum(s, kDevices, "device"); }

void TrainConfig::validate() const {
    auto fail = [](const std::string& m) { throw ConfigError(m); };
    if (dataDir.empty()) fail("No dataset folder: set \"data_dir\" (or --data DIR).");
    if (arch.empty()) fail("No architecture: set \"arch\" (or --arch NAME); `tstudio models` lists them.");
    static const std::regex freezeRe(R"(^(feature-extraction|none|last:\d+)$)");
    if (!std::regex_match(freeze, freezeRe))
        fail("Invalid freeze '" + freeze + "': use feature-extraction, last:N (e.g. last:2) or none.");
    if (epochs < 1) fail("epochs must be at least 1 (got " + std::to_string(epochs) + ").");
    if (batchSize < 1) fail("batch_size must be at least 1 (got " + std::to_string(batchSize) + ").");
    if (!(lr > 0) || !std::isfinite(lr)) fail("lr must be a positive number (got " + std::to_string(lr) + ").");
    if (valFraction <= 0 || valFraction >= 1) fail("val_fraction must be in (0, 1).");
    if (labelSmoothing < 0 || labelSmoothing >= 1) fail("label_smoothing must be in [0, 1).");
    if (augment.preset != "none" && augment.preset != "standard")
        fail("Invalid augment preset '" + augment.preset + "': use none or standard.");
    if (augment.hue < 0 || augment.hue > 0.5) fail("augment hue must be in [0, 0.5].");
    if (earlyStoppingMetric != "val_accuracy" && earlyStoppingMetric != "val_loss")
        fail("early_stopping_metric must be val_accuracy or val_loss.");
    if (backboneLrMultiplier < 0) fail("backbone_lr_multiplier must be >= 0.");
    if (batchNormPolicy != "frozen-eval" && batchNormPolicy != "all-eval")
        fail("Invalid batchnorm_policy '" + batchNormPolicy + "': use frozen-eval or all-eval.");
    for (const auto& [stage, m] : stageLrMultipliers)
        if (!(m >= 0) || !std::isfinite(m))
            fail("stage_lr_multipliers: the multiplier of \"" + stage + "\" must be a number >= 0.");
    if (workers < 0 || workers > 64) fail("workers must be in [0, 64].");
}

nlohmann::json toJson(const TrainConfig& c) {
    return {
        {"data_dir", c.dataDir},
        {"val_fraction", c.valFraction},
        {"exclude_files", c.excludeFiles},
        {"arch", c.arch},
        {"weights_file", c.weightsFile},
        {"pretrained", c.pretrained},
        {"head_hidden_units", c.headHiddenUnits},
        {"head_dropout", c.headDropout},
        {"freeze", c.freeze},
        {"train_stages", c.trainStages},
        {"freeze_stages", c.freezeStages},
        {"train_params", c.trainParams},
        {"freeze_params", c.freezeParams},
        {"backbone_lr_multiplier", c.backboneLrMultiplier},
        {"stage_lr_multipliers", nlohmann::json(c.stageLrMultipliers.empty() ? nlohmann::json::object()
                                                                             : nlohmann::json(c.stageLrMultipliers))},
        {"batchnorm_policy", c.batchNormPolicy},
        {"augment",
         {{"preset", c.augment.preset},
          {"rotation_degrees", c.augment.rotationDegrees},
          {"brightness", c.augment.brightness},
          {"contrast", c.augment.contrast},
          {"saturation", c.augment.saturation},
          {"hue", c.augment.hue},
          {"vertical_flip", c.augment.verticalFlip},
          {"random_erasing", c.augment.randomErasing}}},
        {"epochs", c.epochs},
        {"batch_size", c.batchSize},
        {"lr", c.lr},
        {"optimizer", toString(c.optimizer)},
        {"momentum", c.momentum},
        {"nesterov", c.nesterov},
        {"weight_decay", c.weightDecay},
        {"schedule", toString(c.schedule)},
        {"step_epochs", c.stepEpochs},
        {"step_gamma", c.stepGamma},
        {"warmup_epochs", c.warmupEpochs},
        {"label_smoothing", c.labelSmoothing},
        {"class_weights", c.classWeights},
        {"grad_clip_norm", c.gradClipNorm},
        {"early_stopping_patience", c.earlyStoppingPatience},
        {"early_stopping_metric", c.earlyStoppingMetric},
        {"device", toString(c.device)},
        {"precision", c.precision == Precision::Mixed ? "mixed" : "float32"},
        {"feature_cache", c.featureCache == FeatureCache::Auto ? "auto" : "off"},
        {"seed", c.seed},
        {"workers", c.workers},
        {"threads", c.threads},
    };
}

TrainConfig trainConfigFromJson(const nlohmann::json& j) {
    if (!j.is_object()) throw ConfigError("A training config must be a JSON object.");
    const nlohmann::json defaults = toJson(TrainConfig{});
    for (const auto& item : j.items())
        if (!defaults.contains(item.key()))
            throw ConfigError("Unknown config key \"" + item.key() + "\". Known keys: see `tstudio train --help` or "
                              "a run's config.json.");
    TrainConfig c;
    try {
        auto get = [&](const char* key, auto& target) {
            if (j.contains(key)) target = j.at(key).get<std::decay_t<decltype(target)>>();
        };
        get("data_dir", c.dataDir);
        get("val_fraction", c.valFraction);
        get("exclude_files", c.excludeFiles);
        get("arch", c.arch);
        get("weights_file", c.weightsFile);
        get("pretrained", c.pretrained);
        get("head_hidden_units", c.headHiddenUnits);
        get("head_dropout", c.headDropout);
        get("freeze", c.freeze);
        get("train_stages", c.trainStages);
        get("freeze_stages", c.freezeStages);
        get("train_params", c.trainParams);
        get("freeze_params", c.freezeParams);
        get("backbone_lr_multiplier", c.backboneLrMultiplier);
        get("stage_lr_multipliers", c.stageLrMultipliers);
        get("batchnorm_policy", c.batchNormPolicy);
        if (j.contains("augment")) {
            const auto& a = j.at("augment");
            const nlohmann::json known = defaults.at("augment");
            for (const auto& item : a.items())
                if (!known.contains(item.key())) throw ConfigError("Unknown augment key \"" + item.key() + "\".");
            auto getA = [&](const char* key, auto& target) {
                if (a.contains(key)) target = a.at(key).get<std::decay_t<decltype(target)>>();
            };
            getA("preset", c.augment.preset);
            getA("rotation_degrees", c.augment.rotationDegrees);
            getA("brightness", c.augment.brightness);
            getA("contrast", c.augment.contrast);
            getA("saturation", c.augment.saturation);
            getA("hue", c.augment.hue);
            getA("vertical_flip", c.augment.verticalFlip);
            getA("random_erasing", c.augment.randomErasing);
        }
        get("epochs", c.epochs);
        get("batch_size", c.batchSize);
        get("lr", c.lr);
        if (j.contains("optimizer")) c.optimizer = optimizerFromString(j.at("optimizer").get<std::string>());
        get("momentum", c.momentum);
        get("nesterov", c.nesterov);
        get("weight_decay", c.weightDecay);
        if (j.contains("schedule")) c.schedule = scheduleFromString(j.at("schedule").get<std::string>());
        get("step_epochs", c.stepEpochs);
        get("step_gamma", c.stepGamma);
        get("warmup_epochs", c.warmupEpochs);
        get("label_smoothing", c.labelSmoothing);
        get("class_weights", c.classWeights);
        get("grad_clip_norm", c.gradClipNorm);
        get("early_stopping_patience", c.earlyStoppingPatience);
        get("early_stopping_metric", c.earlyStoppingMetric);
        if (j.contains("device")) c.device = deviceFromString(j.at("device").get<std::string>());
        if (j.contains("precision")) {
            const auto p = j.at("precision").get<std::string>();
            if (p != "mixed" && p != "float32") throw ConfigError("precision must be float32 or mixed.");
            c.precision = p == "mixed" ? Precision::Mixed : Precision::Float32;
        }
        if (j.contains("feature_cache")) {
            const auto f = j.at("feature_cache").get<std::string>();
            if (f != "auto" && f != "off") throw ConfigError("feature_cache must be auto or off.");
            c.featureCache = f == "auto" ? FeatureCache::Auto : FeatureCache::Off;
        }
        get("seed", c.seed);
        get("workers", c.workers);
        get("threads", c.threads);
    } catch (const nlohmann::json::exception& e) {
        throw ConfigError(std::string("A value in the training config has the wrong type: ") + e.what());
    }
    return c;
}

TrainConfig loadTrainConfig(const std::string& path) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(readFile(path));
    } catch (const nlohmann::json::parse_error& e) {
        throw ConfigError("'" + path + "' is not valid JSON: " + e.what());
    }
    // A desktop project (*.tsproj) holds the same TrainConfig under "config".
    if (j.is_object() && j.contains("config") && j.at("config").is_object()) j = j.at("config");
    try {
        return trainConfigFromJson(j);
    } catch (const ConfigError& e) {
        throw ConfigError("In '" + path + "': " + e.what());
    }
}

void saveTrainConfig(const TrainConfig& c, const std::string& path) { writeFileAtomic(path, toJson(c).dump(2) + "\n"); }

} // namespace ts::train
