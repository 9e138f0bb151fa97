#include "core/export/Bundle.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/common/Version.h"
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
    const std::string bytes = readFile(path);
    c10::IValue top;
    try {
        std::vector<char> data(bytes.begin(), bytes.end());
        top = torch::pickle_load(data);
    } catch (const c10::Error& e) {
        throw WeightsError("'" + path + "' is not a Transfer Studio bundle (" + e.what_without_backtrace() +
                           "). Open a .tsb file written by Transfer Studio, or a run folder.");
    }
    if (!top.isGenericDict()) throw WeightsError("'" + path + "' is not a Transfer Studio bundle.");
    const auto dict = top.toGenericDict();
    auto get = [&](const char* key) -> c10::IValue {
        for (const auto& item : dict)
            if (item.key().isString() && item.key().toStringRef() == key) return item.value();
        throw WeightsError("'" + path + "' is not a Transfer Studio bundle (no \"" + key + "\" entry).");
    };
    if (!get("format").isString() || get("format").toStringRef() != kFormat)
        throw WeightsError("'" + path + "' is not a Transfer Studio bundle.");
    LoadedModel out;
    try {
        out.meta = BundleMeta::fromJson(nlohmann::json::parse(get("meta").toStringRef()));
    } catch (const nlohmann::json::exception& e) {
        throw WeightsError("The metadata of bundle '" + path + "' is damaged: " + e.what());
    }
    weights::StateDict sd;
    for (const auto& item : get("state_dict").toGenericDict())
        sd.emplace_back(item.key().toStringRef(), item.value().toTensor());
    zoo::CreateOptions options;
    options.numClasses = static_cast<int64_t>(out.meta.classes.size());
    out.model = zoo::createModel(out.meta.arch, options);
    if (out.meta.headHiddenUnits > 0)
        out.model->replaceHead({options.numClasses, out.meta.headHiddenUnits, out.meta.headDropout});
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
