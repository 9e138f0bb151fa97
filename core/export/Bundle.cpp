#include "core/export/Bundle.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/common/Json.h"
#include "core/common/Version.h"
#include "core/train/TrainConfig.h"
#include "core/weights/PthReader.h"
#include "core/weights/StateDict.h"
#include "core/zoo/Registry.h"

#include <c10/util/Exception.h>
#include <torch/serialize.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

namespace ts::exporting {
namespace {

const char* kFormat = "transfer-studio-bundle";

const char* filterName(data::ResampleFilter f) { return f == data::ResampleFilter::Bicubic ? "bicubic" : "bilinear"; }

} // namespace

nlohmann::json BundleMeta::toJson() const {
    return {{"arch", arch},
            {"classes", classes},
            {"num_classes", classes.size()},
            {"head_hidden_units", headHiddenUnits},
            {"head_dropout", headDropout},
            {"preprocessing",
             {{"resize_size", transform.resizeSize},
              {"crop_size", transform.cropSize},
              {"interpolation", filterName(transform.filter)},
              {"antialias", true},
              {"color", "RGB"},
              {"scale", "divide by 255"},
              {"mean", transform.mean},
              {"std", transform.std}}},
            {"train_config", trainConfig},
            {"metrics", metrics},
            {"manifest_hash", manifestHash},
            {"created_with", createdWith},
            {"calibration",
             {{"temperature", temperature},
              {"unknown_threshold", unknownThreshold},
              {"unknown_target_recall", unknownTargetRecall}}}};
}

BundleMeta BundleMeta::fromJson(const nlohmann::json& j, const std::string& sourceName) {
    // Limits: a bundle is a file users are sent. Class names are folder
    // names; the sizes are those of any real model with room to spare.
    constexpr size_t kMaxClasses = 100000, kMaxClassNameBytes = 1024, kMaxArchBytes = 128, kMaxTextBytes = 1024;
    constexpr int kMaxCropSize = 1024, kMaxResizeSize = 2048;
    const std::string where = sourceName.empty() ? "the bundle" : "bundle '" + sourceName + "'";
    auto fail = [&](const std::string& what) -> void {
        throw WeightsError("The metadata of " + where + " is damaged: " + what +
                           ". Open a bundle written by Transfer Studio, or export the model again.");
    };
    auto shown = [](const nlohmann::json& v) { return printable(v.dump(), 40); };
    auto member = [](const nlohmann::json& object, const char* key) -> const nlohmann::json* {
        const auto it = object.find(key);
        return it == object.end() ? nullptr : &*it;
    };
    auto required = [&](const nlohmann::json& object, const char* key, const std::string& path) -> const nlohmann::json& {
        const auto* v = member(object, key);
        if (!v) fail("\"" + path + "\" is missing");
        return *v;
    };
    auto text = [&](const nlohmann::json& v, const std::string& path, size_t maxBytes) -> std::string {
        if (!v.is_string()) fail("\"" + path + "\" must be a text, not " + shown(v));
        const auto& s = v.get_ref<const std::string&>();
        if (s.size() > maxBytes)
            fail("\"" + path + "\" is " + std::to_string(s.size()) + " bytes long (at most " + std::to_string(maxBytes) +
                 ")");
        return s;
    };
    // Whole numbers: checked as numbers, in range, before any cast.
    auto whole = [&](const nlohmann::json& v, const std::string& path, int64_t lo, int64_t hi) -> int64_t {
        const bool integral = v.is_number_integer() ||
                              (v.is_number_float() && std::isfinite(v.get<double>()) &&
                               v.get<double>() == std::floor(v.get<double>()));
        const double d = !v.is_number()             ? 0.0
                         : v.is_number_unsigned()   ? static_cast<double>(v.get<uint64_t>())
                         : v.is_number_integer()    ? static_cast<double>(v.get<int64_t>())
                                                    : v.get<double>();
        if (!integral || d < static_cast<double>(lo) || d > static_cast<double>(hi))
            fail("\"" + path + "\" must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
                 " (got " + shown(v) + ")");
        return static_cast<int64_t>(d);
    };
    auto real = [&](const nlohmann::json& v, const std::string& path, double lo, double hi, bool loOpen) -> double {
        const double d = v.is_number() ? v.get<double>() : std::nan("");
        if (!std::isfinite(d) || (loOpen ? !(d > lo) : !(d >= lo)) || !(d <= hi)) {
            char range[96];
            std::snprintf(range, sizeof range, "%s%g, %g]", loOpen ? "(" : "[", lo, hi);
            fail("\"" + path + "\" must be a number in " + range + " (got " + shown(v) + ")");
        }
        return d;
    };

    if (!j.is_object()) fail("it is not a JSON object");
    BundleMeta m;
    m.arch = text(required(j, "arch", "arch"), "arch", kMaxArchBytes);
    if (m.arch.empty()) fail("\"arch\" is empty");
    const nlohmann::json& classes = required(j, "classes", "classes");
    if (!classes.is_array() || classes.empty() || classes.size() > kMaxClasses)
        fail("\"classes\" must be a list of 1 to " + std::to_string(kMaxClasses) + " class names");
    std::set<std::string> seen;
    for (const auto& c : classes) {
        std::string name = text(c, "classes", kMaxClassNameBytes);
        if (name.empty()) fail("\"classes\" holds an empty class name");
        if (!seen.insert(name).second) fail("the class \"" + printable(name, 40) + "\" is listed twice");
        m.classes.push_back(std::move(name));
    }
    if (const auto* n = member(j, "num_classes"))
        if (whole(*n, "num_classes", 1, int64_t(kMaxClasses)) != static_cast<int64_t>(m.classes.size()))
            fail("\"num_classes\" is " + shown(*n) + " but \"classes\" lists " + std::to_string(m.classes.size()));
    if (const auto* v = member(j, "head_hidden_units"))
        m.headHiddenUnits = whole(*v, "head_hidden_units", 0, train::kMaxHeadHiddenUnits);
    if (const auto* v = member(j, "head_dropout")) {
        m.headDropout = real(*v, "head_dropout", 0.0, 1.0, false);
        if (m.headDropout >= 1.0) fail("\"head_dropout\" must be below 1 (got " + shown(*v) + ")");
    }

    const nlohmann::json& p = required(j, "preprocessing", "preprocessing");
    if (!p.is_object()) fail("\"preprocessing\" must be an object, not " + shown(p));
    m.transform.resizeSize =
        static_cast<int>(whole(required(p, "resize_size", "preprocessing.resize_size"), "preprocessing.resize_size", 1,
                               kMaxResizeSize));
    m.transform.cropSize = static_cast<int>(
        whole(required(p, "crop_size", "preprocessing.crop_size"), "preprocessing.crop_size", 1, kMaxCropSize));
    m.transform.filter = data::ResampleFilter::Bilinear;
    if (const auto* v = member(p, "interpolation")) {
        const std::string f = text(*v, "preprocessing.interpolation", 64);
        if (f != "bilinear" && f != "bicubic")
            fail("\"preprocessing.interpolation\" must be bilinear or bicubic (got \"" + printable(f, 40) + "\")");
        m.transform.filter = f == "bicubic" ? data::ResampleFilter::Bicubic : data::ResampleFilter::Bilinear;
    }
    auto triple = [&](const char* key, double lo, bool loOpen) {
        const std::string path = std::string("preprocessing.") + key;
        const nlohmann::json& v = required(p, key, path);
        if (!v.is_array() || v.size() != 3) fail("\"" + path + "\" must be a list of 3 numbers (R, G, B)");
        std::array<float, 3> out{};
        for (size_t i = 0; i < 3; ++i) out[i] = static_cast<float>(real(v[i], path, lo, 1000.0, loOpen));
        return out;
    };
    m.transform.mean = triple("mean", -1000.0, false);
    m.transform.std = triple("std", 1e-6, false);  // std > 0: images are divided by it

    auto object = [&](const char* key) {
        const auto* v = member(j, key);
        if (!v || v->is_null()) return nlohmann::json::object();
        if (!v->is_object()) fail(std::string("\"") + key + "\" must be an object, not " + shown(*v));
        return *v;
    };
    m.trainConfig = object("train_config");
    m.metrics = object("metrics");
    if (const auto* v = member(j, "manifest_hash")) m.manifestHash = text(*v, "manifest_hash", 128);
    if (const auto* v = member(j, "created_with")) m.createdWith = text(*v, "created_with", kMaxTextBytes);
    const nlohmann::json calibration = object("calibration");
    if (const auto* v = member(calibration, "temperature"))
        m.temperature = real(*v, "calibration.temperature", 1e-3, 1000.0, false);
    if (const auto* v = member(calibration, "unknown_threshold"))
        m.unknownThreshold = real(*v, "calibration.unknown_threshold", 0.0, 1.0, false);
    if (const auto* v = member(calibration, "unknown_target_recall"))
        m.unknownTargetRecall = real(*v, "calibration.unknown_target_recall", 0.0, 1.0, false);
    return m;
}

void saveBundle(zoo::BackboneImpl& model, const BundleMeta& meta, const std::string& path) {
    BundleMeta m = meta;
    if (m.createdWith.empty())
        m.createdWith = "Transfer Studio " + appVersion() + ", LibTorch " + runtimeInfo().libtorchVersion;
    c10::impl::GenericDict state(c10::StringType::get(), c10::TensorType::get());
    for (const auto& [key, tensor] : weights::stateDictOf(model)) state.insert(key, tensor.detach().to(at::kCPU).contiguous());
    c10::impl::GenericDict top(c10::StringType::get(), c10::AnyType::get());
    top.insert("format", std::string(kFormat));
    top.insert("version", int64_t(1));
    top.insert("meta", m.toJson().dump());
    top.insert("state_dict", state);
    const std::vector<char> bytes = torch::pickle_save(c10::IValue(top));
    writeFileAtomic(path, std::string(bytes.begin(), bytes.end()));
}

LoadedModel loadBundle(const std::string& path) {
    // The project's own reader (weights/PthReader): a zip checked entry by
    // entry and a pickle that may build only tensors and plain values, within
    // a memory budget; nothing from the file is executed.
    using weights::pickle::Kind;
    auto notBundle = [&](const std::string& why) {
        return WeightsError("'" + path + "' is not a Transfer Studio bundle (" + why +
                            "). Open a .tsb file written by Transfer Studio, or a run folder.");
    };
    const weights::pickle::ValuePtr top = weights::loadPthFile(path);
    if (top->kind != Kind::Dict) throw notBundle("it holds a " + top->typeName() + ", not a dict");
    auto get = [&](const char* key, Kind kind) {
        const auto v = top->get(key);
        if (!v) throw notBundle(std::string("no \"") + key + "\" entry");
        if (v->kind != kind) throw notBundle(std::string("its \"") + key + "\" entry is a " + v->typeName());
        return v;
    };
    if (get("format", Kind::Str)->str != kFormat) throw notBundle("another format: '" + printable(top->get("format")->str) + "'");
    if (const auto version = top->get("version"); version && (version->kind != Kind::Int || version->integer != 1))
        throw WeightsError("'" + path + "' is a bundle of format version " +
                           (version->kind == Kind::Int ? std::to_string(version->integer) : version->typeName()) +
                           ", which this Transfer Studio (" + appVersion() + ") does not read. Open it with the "
                           "version that wrote it, or update.");
    LoadedModel out;
    const std::string metaSource = "the metadata of bundle '" + path + "'";
    nlohmann::json metaJson;
    try {
        metaJson = parseJson(get("meta", Kind::Str)->str, metaSource);
    } catch (const IoError& e) {
        throw WeightsError(e.what());
    }
    try {
        out.meta = BundleMeta::fromJson(metaJson, path);
    } catch (const nlohmann::json::exception& e) {
        throw WeightsError("The metadata of bundle '" + path + "' is damaged: " + printable(e.what(), 200) +
                           ". Export the model again.");
    }
    const weights::StateDict sd = weights::stateDictFromValue(*get("state_dict", Kind::Dict), path);
    try {
        zoo::CreateOptions options;
        options.numClasses = static_cast<int64_t>(out.meta.classes.size());
        out.model = zoo::createModel(out.meta.arch, options);
        if (out.meta.headHiddenUnits > 0)
            out.model->replaceHead({options.numClasses, out.meta.headHiddenUnits, out.meta.headDropout});
    } catch (const c10::Error& e) {
        throw WeightsError("The bundle '" + path + "' describes a model that cannot be built (" +
                           printable(e.what_without_backtrace(), 200) + "). Export the model again.");
    }
    weights::applyStateDict(*out.model, sd, path, out.meta.arch);
    out.model->eval();
    return out;
}

LoadedModel loadTrainedModel(const std::string& bundleOrRunDir) {
    namespace fs = std::filesystem;
    if (fs::is_directory(bundleOrRunDir)) {
        const std::string bundle = (fs::path(bundleOrRunDir) / "model.tsb").string();
        if (!fs::exists(bundle))
            throw IoError("The run folder '" + bundleOrRunDir +
                          "' has no model.tsb yet (training did not finish an epoch). Resume it with `tstudio resume " +
                          bundleOrRunDir + "`.");
        return loadBundle(bundle);
    }
    if (!fs::exists(bundleOrRunDir)) throw IoError("'" + bundleOrRunDir + "' does not exist (expected a .tsb bundle or a run folder).");
    return loadBundle(bundleOrRunDir);
}

} // namespace ts::exporting
