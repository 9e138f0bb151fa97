#include "core/train/TrainConfig.h"
#include "core/train/ConfigKeys.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/common/Json.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

namespace ts::train {
namespace {

std::string quoteText(std::string_view text, size_t maxChars = 60) { return "\"" + printable(text, maxChars) + "\""; }

template <typename E>
std::string namesOf(const std::vector<std::pair<std::string, E>>& table) {
    std::string allowed;
    for (const auto& [name, v] : table) allowed += (allowed.empty() ? "" : ", ") + name;
    return allowed;
}

template <typename E>
E parseEnum(const std::string& s, const std::vector<std::pair<std::string, E>>& table, const std::string& field,
            const char* lead = "one of ") {
    for (const auto& [name, value] : table)
        if (name == s) return value;
    throw ConfigError("Invalid " + field + " " + quoteText(s) + ": use " + lead + namesOf(table) + ".");
}

const std::vector<std::pair<std::string, OptimizerKind>> kOptimizers = {
    {"sgd", OptimizerKind::SGD}, {"adam", OptimizerKind::Adam}, {"adamw", OptimizerKind::AdamW}};
const std::vector<std::pair<std::string, ScheduleKind>> kSchedules = {{"constant", ScheduleKind::Constant},
                                                                      {"step", ScheduleKind::Step},
                                                                      {"cosine", ScheduleKind::Cosine},
                                                                      {"one-cycle", ScheduleKind::OneCycle}};
const std::vector<std::pair<std::string, DeviceChoice>> kDevices = {
    {"auto", DeviceChoice::Auto}, {"cpu", DeviceChoice::CPU}, {"cuda", DeviceChoice::CUDA}};
const std::vector<std::pair<std::string, Precision>> kPrecisions = {{"float32", Precision::Float32},
                                                                    {"mixed", Precision::Mixed}};
const std::vector<std::pair<std::string, FeatureCache>> kFeatureCaches = {{"auto", FeatureCache::Auto},
                                                                          {"off", FeatureCache::Off}};

template <typename E>
std::string enumName(E value, const std::vector<std::pair<std::string, E>>& table) {
    for (const auto& [name, v] : table)
        if (v == value) return name;
    return "?";
}

const std::vector<std::pair<std::string, BatchNormPolicy>> kBatchNormPolicies = {
    {"frozen-eval", BatchNormPolicy::FrozenEval}, {"all-eval", BatchNormPolicy::AllEval}};
const std::vector<std::pair<std::string, EarlyStoppingMetric>> kEarlyStoppingMetrics = {
    {"val_accuracy", EarlyStoppingMetric::ValAccuracy}, {"val_loss", EarlyStoppingMetric::ValLoss}};
const std::vector<std::pair<std::string, data::AugmentPreset>> kAugmentPresets = {
    {"none", data::AugmentPreset::None}, {"standard", data::AugmentPreset::Standard}};

/// The freeze presets' names; "last:N" is parsed by parseFreezeLast.
const char* const kFeatureExtractionName = "feature-extraction";
const char* const kFreezeNoneName = "none";

std::string freezeMessage(const std::string& field, const std::string& value) {
    return "Invalid " + field + " " + quoteText(value) + ": use feature-extraction, last:N (N from 0 to " +
           std::to_string(kMaxFreezeLastStages) + ", e.g. last:2) or none.";
}

/// The range of one numeric field: what validate() and the reader accept.
struct NumberSpec {
    const char* key;  ///< as in config.json ("augment.hue" for "hue" inside "augment")
    double min, max;
    bool minOpen, maxOpen;  ///< the bound itself is excluded
    bool integer;
    const char* hint;  ///< what to do, or ""
};

constexpr bool kInt = true, kReal = false, kOpen = true, kClosed = false;

// One table for every numeric field. The bounds keep a run possible on one
// machine: more threads, units or images per batch than these only exhaust it.
const NumberSpec kNumbers[] = {
    {"val_fraction", 0, 1, kOpen, kOpen, kReal, " 0.2 keeps a fifth of each class for validation."},
    {"max_image_megapixels", 0, 10000, kOpen, kClosed, kReal, " 100 covers any camera photo."},
    {"max_image_file_mib", 1, 2048, kClosed, kClosed, kInt, " The image decoder reads at most 2048 MiB."},
    {"head_hidden_units", 0, double(kMaxHeadHiddenUnits), kClosed, kClosed, kInt,
     " 0 is a single Linear layer; a few hundred is usual."},
    {"head_dropout", 0, 1, kClosed, kOpen, kReal, ""},
    {"backbone_lr_multiplier", 0, 1000, kClosed, kClosed, kReal, " 0.1 is usual for fine-tuning."},
    {"stage_lr_multipliers", 0, 1000, kClosed, kClosed, kReal, ""},
    {"augment.rotation_degrees", 0, 180, kClosed, kClosed, kReal, ""},
    {"augment.brightness", 0, 10, kClosed, kClosed, kReal, " 0.2 is a mild jitter."},
    {"augment.contrast", 0, 10, kClosed, kClosed, kReal, " 0.2 is a mild jitter."},
    {"augment.saturation", 0, 10, kClosed, kClosed, kReal, " 0.2 is a mild jitter."},
    {"augment.hue", 0, 0.5, kClosed, kClosed, kReal, ""},
    {"augment.random_erasing", 0, 1, kClosed, kClosed, kReal, " It is a probability."},
    {"epochs", 1, 100000, kClosed, kClosed, kInt, ""},
    {"batch_size", 1, 4096, kClosed, kClosed, kInt, " 32 is usual; lower it when memory runs short."},
    {"lr", 0, 10, kOpen, kClosed, kReal, " Typical values are 1e-4 to 1e-2; `tstudio lr-find` suggests one."},
    {"momentum", 0, 1, kClosed, kOpen, kReal, " 0.9 is usual."},
    {"weight_decay", 0, 1, kClosed, kClosed, kReal, " 1e-4 (SGD) or 0.01 (AdamW) is usual."},
    {"step_epochs", 1, 100000, kClosed, kClosed, kInt, ""},
    {"step_gamma", 0, 1, kOpen, kClosed, kReal, " 0.1 is usual."},
    {"warmup_epochs", 0, 100000, kClosed, kClosed, kInt, ""},
    {"label_smoothing", 0, 1, kClosed, kOpen, kReal, " 0.1 is usual."},
    {"grad_clip_norm", 0, 1e6, kClosed, kClosed, kReal, " 0 turns clipping off."},
    {"early_stopping_patience", 0, 100000, kClosed, kClosed, kInt, " 0 turns early stopping off."},
    {"unknown_target_recall", 0, 1, kClosed, kClosed, kReal, " 0.95 is usual; 0 turns unknown rejection off."},
    {"workers", 0, 64, kClosed, kClosed, kInt, ""},
    {"threads", 0, 256, kClosed, kClosed, kInt, " 0 uses every core."},
};

const NumberSpec& specOf(const std::string& key) {
    for (const auto& s : kNumbers)
        if (key == s.key) return s;
    throw std::logic_error("TrainConfig: no range for " + key);
}

std::string formatNumber(double v) {
    char buf[40];
    // Whole numbers in full (10000000000, not 1e+10), others shortest-ish.
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) std::snprintf(buf, sizeof buf, "%.0f", v);
    else std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

std::string describe(const NumberSpec& s) {
    if (s.integer) return "a whole number from " + formatNumber(s.min) + " to " + formatNumber(s.max);
    if (!s.minOpen && !s.maxOpen) return "a number from " + formatNumber(s.min) + " to " + formatNumber(s.max);
    return std::string("a number in ") + (s.minOpen ? "(" : "[") + formatNumber(s.min) + ", " + formatNumber(s.max) +
           (s.maxOpen ? ")" : "]");
}

bool inRange(const NumberSpec& s, double v) {
    if (!std::isfinite(v)) return false;
    if (s.minOpen ? !(v > s.min) : !(v >= s.min)) return false;
    if (s.maxOpen ? !(v < s.max) : !(v <= s.max)) return false;
    return !s.integer || v == std::floor(v);
}

std::string rangeMessage(const std::string& name, const NumberSpec& s, const std::string& got) {
    return name + " must be " + describe(s) + " (got " + got + ")." + s.hint;
}

/// A JSON value named in a message: its kind and its (bounded) text.
std::string describeJson(const nlohmann::json& v) {
    const std::string text = printable(v.dump(), 40);
    if (v.is_string()) return "the text " + text;
    if (v.is_boolean()) return text;
    if (v.is_null()) return "null";
    if (v.is_array()) return "a list";
    if (v.is_object()) return "an object";
    return text;
}

// --- unknown keys: refused, with the nearest known key (ConfigKeys.h) ---

void refuseUnknownKeys(const nlohmann::json& object, const nlohmann::json& known, const std::string& where) {
    std::vector<std::string> names;
    for (const auto& item : known.items()) names.push_back(item.key());
    for (const auto& item : object.items()) {
        if (known.contains(item.key())) continue;
        const std::string suggestion = suggestConfigKey(item.key(), names);
        throw ConfigError("Unknown " + where + "key " + quoteText(item.key()) +
                          (suggestion.empty() ? std::string() : " (did you mean \"" + suggestion + "\"?)") +
                          ". Every key and its meaning: docs/config.md (or a run's config.json).");
    }
}

// --- reading with types and ranges checked before any cast ---

class Reader {
public:
    Reader(const nlohmann::json& object, std::string prefix) : m_j(object), m_prefix(std::move(prefix)) {}

    const nlohmann::json* find(const char* key) const {
        const auto it = m_j.find(key);
        return it == m_j.end() ? nullptr : &*it;
    }

    template <typename T>
    void number(const char* key, T& target) const {
        if (const auto* v = find(key)) target = static_cast<T>(numberOf(*v, specOf(m_prefix + key), m_prefix + key));
    }

    void boolean(const char* key, bool& target) const {
        if (const auto* v = find(key)) {
            if (!v->is_boolean())
                throw ConfigError(m_prefix + key + " must be true or false (got " + describeJson(*v) + ").");
            target = v->get<bool>();
        }
    }

    void text(const char* key, std::string& target, size_t maxBytes) const {
        if (const auto* v = find(key)) target = textOf(*v, m_prefix + key, maxBytes);
    }

    void textList(const char* key, std::vector<std::string>& target, size_t maxItems, size_t maxBytes) const {
        const auto* v = find(key);
        if (!v) return;
        const std::string name = m_prefix + key;
        if (!v->is_array()) throw ConfigError(name + " must be a list of texts (got " + describeJson(*v) + ").");
        if (v->size() > maxItems)
            throw ConfigError(name + " has " + std::to_string(v->size()) + " entries; at most " + std::to_string(maxItems) +
                              " are allowed.");
        std::vector<std::string> out;
        out.reserve(v->size());
        for (const auto& e : *v) out.push_back(textOf(e, "an entry of " + name, maxBytes));
        target = std::move(out);
    }

    // The choices that were kept as text before they had an enum keep their
    // message: "use a, b." (the others: "use one of a, b.").
    static const char* lead(const std::vector<std::pair<std::string, BatchNormPolicy>>&) { return ""; }
    static const char* lead(const std::vector<std::pair<std::string, EarlyStoppingMetric>>&) { return ""; }
    static const char* lead(const std::vector<std::pair<std::string, data::AugmentPreset>>&) { return ""; }
    template <typename E>
    static const char* lead(const std::vector<std::pair<std::string, E>>&) { return "one of "; }

    template <typename E>
    void choice(const char* key, E& target, const std::vector<std::pair<std::string, E>>& table) const {
        if (const auto* v = find(key)) target = parseEnum(textOf(*v, m_prefix + key, 64), table, m_prefix + key, lead(table));
    }

    static double numberOf(const nlohmann::json& v, const NumberSpec& s, const std::string& name) {
        if (!v.is_number()) throw ConfigError(name + " must be " + describe(s) + ", not " + describeJson(v) + ".");
        // nlohmann keeps integers as 64-bit integers and others as double;
        // either converts to double exactly enough for a range check (every
        // bound is far below 2^53), and nothing is cast before it passes.
        const double d = v.is_number_unsigned()  ? static_cast<double>(v.get<uint64_t>())
                         : v.is_number_integer() ? static_cast<double>(v.get<int64_t>())
                                                 : v.get<double>();
        if (!inRange(s, d)) throw ConfigError(rangeMessage(name, s, printable(v.dump(), 40)));
        return d;
    }

    static std::string textOf(const nlohmann::json& v, const std::string& name, size_t maxBytes) {
        if (!v.is_string()) throw ConfigError(name + " must be a text (a JSON string), not " + describeJson(v) + ".");
        const auto& s = v.get_ref<const std::string&>();
        if (s.size() > maxBytes)
            throw ConfigError(name + " is " + std::to_string(s.size()) + " bytes long (" + quoteText(s, 40) + "); at most " +
                              std::to_string(maxBytes) + " are allowed.");
        return s;
    }

private:
    const nlohmann::json& m_j;
    std::string m_prefix;
};

uint64_t seedOf(const nlohmann::json& v) {
    static const std::string kRange = "a whole number from 0 to 18446744073709551615";
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    // Parsed non-negative integers are unsigned; built ones may be signed.
    if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
    if (v.is_number_integer())
        throw ConfigError("seed must be " + kRange + " (got " + printable(v.dump(), 40) + ").");
    if (v.is_number_float()) {
        // 2^53: the largest range in which a double holds every whole number.
        const double d = v.get<double>();
        if (std::isfinite(d) && d >= 0 && d <= 9007199254740992.0 && d == std::floor(d)) return static_cast<uint64_t>(d);
        throw ConfigError("seed must be " + kRange + " (got " + printable(v.dump(), 40) + ").");
    }
    throw ConfigError("seed must be " + kRange + ", not " + describeJson(v) + ".");
}

} // namespace

std::string toString(OptimizerKind k) { return enumName(k, kOptimizers); }
std::string toString(ScheduleKind k) { return enumName(k, kSchedules); }
std::string toString(DeviceChoice d) { return enumName(d, kDevices); }
std::string toString(Precision p) { return enumName(p, kPrecisions); }
std::string toString(FeatureCache f) { return enumName(f, kFeatureCaches); }
std::string toString(BatchNormPolicy p) { return enumName(p, kBatchNormPolicies); }
std::string toString(EarlyStoppingMetric m) { return enumName(m, kEarlyStoppingMetrics); }
std::string toString(data::AugmentPreset p) { return enumName(p, kAugmentPresets); }
std::string toString(const FreezePreset& f) {
    switch (f.kind) {
    case FreezePreset::Kind::FeatureExtraction: return kFeatureExtractionName;
    case FreezePreset::Kind::LastStages: return "last:" + std::to_string(f.lastStages);
    case FreezePreset::Kind::None: return kFreezeNoneName;
    }
    return "?";
}
OptimizerKind optimizerFromString(const std::string& s) { return parseEnum(s, kOptimizers, "optimizer"); }
ScheduleKind scheduleFromString(const std::string& s) { return parseEnum(s, kSchedules, "schedule"); }
DeviceChoice deviceFromString(const std::string& s) { return parseEnum(s, kDevices, "device"); }
Precision precisionFromString(const std::string& s) { return parseEnum(s, kPrecisions, "precision"); }
FeatureCache featureCacheFromString(const std::string& s) { return parseEnum(s, kFeatureCaches, "feature_cache"); }
BatchNormPolicy batchNormPolicyFromString(const std::string& s, const std::string& field) {
    return parseEnum(s, kBatchNormPolicies, field, "");
}
EarlyStoppingMetric earlyStoppingMetricFromString(const std::string& s, const std::string& field) {
    return parseEnum(s, kEarlyStoppingMetrics, field, "");
}
data::AugmentPreset augmentPresetFromString(const std::string& s, const std::string& field) {
    return parseEnum(s, kAugmentPresets, field, "");
}
FreezePreset freezePresetFromString(const std::string& s, const std::string& field) {
    if (s == kFeatureExtractionName) return FreezePreset::featureExtraction();
    if (s == kFreezeNoneName) return FreezePreset::none();
    const int n = parseFreezeLast(s);
    if (n < 0) throw ConfigError(freezeMessage(field, s));
    return FreezePreset::last(n);
}

int parseFreezeLast(const std::string& preset) {
    static const std::string kPrefix = "last:";
    if (preset.size() <= kPrefix.size() || preset.size() > kPrefix.size() + 4 || preset.compare(0, kPrefix.size(), kPrefix) != 0)
        return -1;
    int n = 0;
    for (size_t i = kPrefix.size(); i < preset.size(); ++i) {
        const char c = preset[i];
        if (c < '0' || c > '9') return -1;
        n = n * 10 + (c - '0');
    }
    return n <= kMaxFreezeLastStages ? n : -1;
}

void TrainConfig::validate(const ValidationNames& names) const {
    // A field set elsewhere (a flag) is named as it was given; the others by
    // key, in the file they came from.
    auto nameOf = [&](const std::string& key) {
        const auto it = names.fields.find(key);
        return it != names.fields.end() ? it->second : key;
    };
    auto fail = [&](const std::string& key, const std::string& message) {
        const bool fromElsewhere = names.fields.count(key) > 0;
        throw ConfigError(fromElsewhere || names.source.empty() ? message : "In '" + names.source + "': " + message);
    };
    auto number = [&](const char* key, double value) {
        const NumberSpec& s = specOf(key);
        if (!inRange(s, value)) fail(key, rangeMessage(nameOf(key), s, formatNumber(value)));
    };
    auto text = [&](const char* key, const std::string& value, size_t maxBytes) {
        if (value.size() > maxBytes)
            fail(key, nameOf(key) + " is " + std::to_string(value.size()) + " bytes long (" + quoteText(value, 40) +
                          "); at most " + std::to_string(maxBytes) + " are allowed.");
    };
    auto textList = [&](const char* key, const std::vector<std::string>& values, size_t maxItems, size_t maxBytes) {
        if (values.size() > maxItems)
            fail(key, nameOf(key) + " has " + std::to_string(values.size()) + " entries; at most " +
                          std::to_string(maxItems) + " are allowed.");
        for (const auto& v : values) text(key, v, maxBytes);
    };
    // A closed choice holds a value of its enum that is in its name table
    // (one cast from an integer could hold another).
    auto oneOf = [&](const char* key, auto value, const auto& table) {
        if (enumName(value, table) == "?")
            fail(key, "Invalid " + nameOf(key) + " (value " + std::to_string(static_cast<int>(value)) + "): use " +
                          namesOf(table) + ".");
    };

    // data
    if (dataDir.empty()) fail("data_dir", "No dataset folder: set \"data_dir\" (or --data DIR).");
    text("data_dir", dataDir, kMaxConfigPathBytes);
    number("val_fraction", valFraction);
    textList("exclude_files", excludeFiles, kMaxConfigListItems, kMaxConfigPathBytes);
    number("max_image_megapixels", maxImageMegapixels);
    number("max_image_file_mib", static_cast<double>(maxImageFileMib));
    // model
    if (arch.empty()) fail("arch", "No architecture: set \"arch\" (or --arch NAME); `tstudio models` lists them.");
    text("arch", arch, kMaxConfigNameBytes);
    text("weights_file", weightsFile, kMaxConfigPathBytes);
    text("init_from", initFrom, kMaxConfigPathBytes);
    number("head_hidden_units", static_cast<double>(headHiddenUnits));
    number("head_dropout", headDropout);
    // freezing
    if (freeze.kind != FreezePreset::Kind::FeatureExtraction && freeze.kind != FreezePreset::Kind::None &&
        (freeze.kind != FreezePreset::Kind::LastStages || freeze.lastStages < 0 || freeze.lastStages > kMaxFreezeLastStages))
        fail("freeze", freezeMessage(nameOf("freeze"), toString(freeze)));
    textList("train_stages", trainStages, kMaxConfigNameItems, kMaxConfigNameBytes);
    textList("freeze_stages", freezeStages, kMaxConfigNameItems, kMaxConfigNameBytes);
    textList("train_params", trainParams, kMaxConfigNameItems, kMaxConfigNameBytes);
    textList("freeze_params", freezeParams, kMaxConfigNameItems, kMaxConfigNameBytes);
    number("backbone_lr_multiplier", backboneLrMultiplier);
    if (stageLrMultipliers.size() > kMaxConfigNameItems)
        fail("stage_lr_multipliers", nameOf("stage_lr_multipliers") + " has " + std::to_string(stageLrMultipliers.size()) +
                                         " entries; at most " + std::to_string(kMaxConfigNameItems) + " are allowed.");
    for (const auto& [stage, m] : stageLrMultipliers) {
        const NumberSpec& s = specOf("stage_lr_multipliers");
        text("stage_lr_multipliers", stage, kMaxConfigNameBytes);
        if (!inRange(s, m))
            fail("stage_lr_multipliers", rangeMessage(nameOf("stage_lr_multipliers") + ": the multiplier of " + quoteText(stage),
                                                      s, formatNumber(m)));
    }
    oneOf("batchnorm_policy", batchNormPolicy, kBatchNormPolicies);
    // augmentation
    oneOf("augment.preset", augment.preset, kAugmentPresets);
    number("augment.rotation_degrees", augment.rotationDegrees);
    number("augment.brightness", augment.brightness);
    number("augment.contrast", augment.contrast);
    number("augment.saturation", augment.saturation);
    number("augment.hue", augment.hue);
    number("augment.random_erasing", augment.randomErasing);
    // optimisation
    number("epochs", epochs);
    number("batch_size", batchSize);
    number("lr", lr);
    oneOf("optimizer", optimizer, kOptimizers);
    number("momentum", momentum);
    number("weight_decay", weightDecay);
    oneOf("schedule", schedule, kSchedules);
    number("step_epochs", stepEpochs);
    number("step_gamma", stepGamma);
    number("warmup_epochs", warmupEpochs);
    number("label_smoothing", labelSmoothing);
    number("grad_clip_norm", gradClipNorm);
    number("early_stopping_patience", earlyStoppingPatience);
    oneOf("early_stopping_metric", earlyStoppingMetric, kEarlyStoppingMetrics);
    number("unknown_target_recall", unknownTargetRecall);
    if (optimizer == OptimizerKind::SGD && nesterov && momentum == 0)
        fail("nesterov", nameOf("nesterov") + " needs a momentum above 0 (momentum is 0). Set momentum to e.g. 0.9, or "
                                              "turn nesterov off.");
    // runtime
    oneOf("device", device, kDevices);
    oneOf("precision", precision, kPrecisions);
    oneOf("feature_cache", featureCache, kFeatureCaches);
    number("workers", workers);
    number("threads", threads);
}

nlohmann::json toJson(const TrainConfig& c) {
    return {
        {"data_dir", c.dataDir},
        {"val_fraction", c.valFraction},
        {"exclude_files", c.excludeFiles},
        {"max_image_megapixels", c.maxImageMegapixels},
        {"max_image_file_mib", c.maxImageFileMib},
        {"arch", c.arch},
        {"weights_file", c.weightsFile},
        {"init_from", c.initFrom},
        {"pretrained", c.pretrained},
        {"head_hidden_units", c.headHiddenUnits},
        {"head_dropout", c.headDropout},
        {"freeze", toString(c.freeze)},
        {"train_stages", c.trainStages},
        {"freeze_stages", c.freezeStages},
        {"train_params", c.trainParams},
        {"freeze_params", c.freezeParams},
        {"backbone_lr_multiplier", c.backboneLrMultiplier},
        {"stage_lr_multipliers", nlohmann::json(c.stageLrMultipliers.empty() ? nlohmann::json::object()
                                                                             : nlohmann::json(c.stageLrMultipliers))},
        {"batchnorm_policy", toString(c.batchNormPolicy)},
        {"augment",
         {{"preset", toString(c.augment.preset)},
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
        {"early_stopping_metric", toString(c.earlyStoppingMetric)},
        {"unknown_target_recall", c.unknownTargetRecall},
        {"device", toString(c.device)},
        {"precision", toString(c.precision)},
        {"feature_cache", toString(c.featureCache)},
        {"seed", c.seed},
        {"workers", c.workers},
        {"threads", c.threads},
    };
}

TrainConfig trainConfigFromJson(const nlohmann::json& j) {
    if (!j.is_object()) throw ConfigError("A training config must be a JSON object (got " + describeJson(j) + ").");
    const nlohmann::json defaults = toJson(TrainConfig{});
    refuseUnknownKeys(j, defaults, "config ");
    TrainConfig c;
    const Reader r(j, "");
    r.text("data_dir", c.dataDir, kMaxConfigPathBytes);
    r.number("val_fraction", c.valFraction);
    r.textList("exclude_files", c.excludeFiles, kMaxConfigListItems, kMaxConfigPathBytes);
    r.number("max_image_megapixels", c.maxImageMegapixels);
    r.number("max_image_file_mib", c.maxImageFileMib);
    r.text("arch", c.arch, kMaxConfigNameBytes);
    r.text("weights_file", c.weightsFile, kMaxConfigPathBytes);
    r.text("init_from", c.initFrom, kMaxConfigPathBytes);
    r.boolean("pretrained", c.pretrained);
    r.number("head_hidden_units", c.headHiddenUnits);
    r.number("head_dropout", c.headDropout);
    if (const auto* f = r.find("freeze")) c.freeze = freezePresetFromString(Reader::textOf(*f, "freeze", 64));
    r.textList("train_stages", c.trainStages, kMaxConfigNameItems, kMaxConfigNameBytes);
    r.textList("freeze_stages", c.freezeStages, kMaxConfigNameItems, kMaxConfigNameBytes);
    r.textList("train_params", c.trainParams, kMaxConfigNameItems, kMaxConfigNameBytes);
    r.textList("freeze_params", c.freezeParams, kMaxConfigNameItems, kMaxConfigNameBytes);
    r.number("backbone_lr_multiplier", c.backboneLrMultiplier);
    if (const auto* m = r.find("stage_lr_multipliers")) {
        if (!m->is_object())
            throw ConfigError("stage_lr_multipliers must be an object of stage names and numbers (e.g. {\"layer3\": 0.3}), "
                              "not " + describeJson(*m) + ".");
        if (m->size() > kMaxConfigNameItems)
            throw ConfigError("stage_lr_multipliers has " + std::to_string(m->size()) + " entries; at most " +
                              std::to_string(kMaxConfigNameItems) + " are allowed.");
        for (const auto& item : m->items()) {
            const std::string stage = Reader::textOf(item.key(), "a stage name in stage_lr_multipliers", kMaxConfigNameBytes);
            c.stageLrMultipliers[stage] = Reader::numberOf(item.value(), specOf("stage_lr_multipliers"),
                                                           "stage_lr_multipliers: the multiplier of " + quoteText(stage));
        }
    }
    r.choice("batchnorm_policy", c.batchNormPolicy, kBatchNormPolicies);
    if (const auto* a = r.find("augment")) {
        if (!a->is_object()) throw ConfigError("augment must be an object (e.g. {\"preset\": \"standard\"}), not " +
                                               describeJson(*a) + ".");
        refuseUnknownKeys(*a, defaults.at("augment"), "augment ");
        const Reader ra(*a, "augment.");
        ra.choice("preset", c.augment.preset, kAugmentPresets);
        ra.number("rotation_degrees", c.augment.rotationDegrees);
        ra.number("brightness", c.augment.brightness);
        ra.number("contrast", c.augment.contrast);
        ra.number("saturation", c.augment.saturation);
        ra.number("hue", c.augment.hue);
        ra.boolean("vertical_flip", c.augment.verticalFlip);
        ra.number("random_erasing", c.augment.randomErasing);
    }
    r.number("epochs", c.epochs);
    r.number("batch_size", c.batchSize);
    r.number("lr", c.lr);
    r.choice("optimizer", c.optimizer, kOptimizers);
    r.number("momentum", c.momentum);
    r.boolean("nesterov", c.nesterov);
    r.number("weight_decay", c.weightDecay);
    r.choice("schedule", c.schedule, kSchedules);
    r.number("step_epochs", c.stepEpochs);
    r.number("step_gamma", c.stepGamma);
    r.number("warmup_epochs", c.warmupEpochs);
    r.number("label_smoothing", c.labelSmoothing);
    r.boolean("class_weights", c.classWeights);
    r.number("grad_clip_norm", c.gradClipNorm);
    r.number("early_stopping_patience", c.earlyStoppingPatience);
    r.choice("early_stopping_metric", c.earlyStoppingMetric, kEarlyStoppingMetrics);
    r.number("unknown_target_recall", c.unknownTargetRecall);
    r.choice("device", c.device, kDevices);
    r.choice("precision", c.precision, kPrecisions);
    r.choice("feature_cache", c.featureCache, kFeatureCaches);
    if (const auto* seed = r.find("seed")) c.seed = seedOf(*seed);
    r.number("workers", c.workers);
    r.number("threads", c.threads);
    return c;
}

TrainConfig loadTrainConfig(const std::string& path) {
    nlohmann::json j = readJsonFile(path);
    // A desktop project (*.tsproj) holds the same TrainConfig under "config".
    if (j.is_object() && j.contains("config") && j.at("config").is_object()) {
        nlohmann::json inner = std::move(j.at("config"));
        j = std::move(inner);
    } else if (j.is_object() && j.contains("format")) {
        throw ConfigError("'" + path + "' is a project file without training settings (no \"config\" object; a "
                          "version-1 project holds only its folder and backbone). Open it in Transfer Studio and save "
                          "it again, or pass a training config.");
    }
    try {
        return trainConfigFromJson(j);
    } catch (const ConfigError& e) {
        throw ConfigError("In '" + path + "': " + e.what());
    }
}

void saveTrainConfig(const TrainConfig& c, const std::string& path) { writeFileAtomic(path, toJson(c).dump(2) + "\n"); }

} // namespace ts::train
