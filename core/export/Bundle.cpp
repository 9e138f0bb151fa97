#include "core/export/Bundle.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/common/Json.h"
#include "core/common/Version.h"
#include "core/weights/PthReader.h"
#include "core/weights/StateDict.h"
#include "core/zoo/Registry.h"

#include <c10/util/Exception.h>
#include <torch/serialize.h>

#include <filesystem>

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
            {"created_with", createdWith}};
}

BundleMeta BundleMeta::fromJson(const nlohmann::json& j) {
    BundleMeta m;
    m.arch = j.at("arch").get<std::string>();
    m.classes = j.at("classes").get<std::vector<std::string>>();
    m.headHiddenUnits = j.value("head_hidden_units", int64_t(0));
    m.headDropout = j.value("head_dropout", 0.2);
    const auto& p = j.at("preprocessing");
    m.transform.resizeSize = p.at("resize_size").get<int>();
    m.transform.cropSize = p.at("crop_size").get<int>();
    m.transform.filter =
        p.value("interpolation", "bilinear") == "bicubic" ? data::ResampleFilter::Bicubic : data::ResampleFilter::Bilinear;
    m.transform.mean = p.at("mean").get<std::array<float, 3>>();
    m.transform.std = p.at("std").get<std::array<float, 3>>();
    m.trainConfig = j.value("train_config", nlohmann::json::object());
    m.metrics = j.value("metrics", nlohmann::json::object());
    m.manifestHash = j.value("manifest_hash", "");
    m.createdWith = j.value("created_with", "");
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
        out.meta = BundleMeta::fromJson(metaJson);
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
