#include "core/weights/Pretrained.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/common/Paths.h"
#include "core/weights/StateDict.h"

#include <filesystem>

namespace ts::weights {

std::string cachedWeightsPath(const std::string& arch) {
    const auto& info = zoo::modelInfo(arch);
    if (info.weightsUrl.empty()) return {};
    return paths::weightsCacheDir() + "/" + zoo::weightsFileName(info);
}

zoo::Backbone loadPretrained(const std::string& arch, const std::string& weightsPath) {
    const auto& info = zoo::modelInfo(arch);
    std::string path = weightsPath;
    if (path.empty()) {
        if (info.weightsUrl.empty())
            throw WeightsError("The " + arch + " architecture has no official pretrained weights; pass --weights FILE.");
        path = cachedWeightsPath(arch);
        if (!std::filesystem::exists(path))
            throw WeightsError("The official " + arch + " weights are not in the cache (" + path +
                               "). Download them with `tstudio weights download " + arch + "` (from " +
                               info.weightsUrl + "), place that file there by hand, or pass --weights FILE.");
    }
    zoo::Backbone model = zoo::createModel(arch);
    applyStateDict(*model, readStateDict(path), path, arch);
    model->eval();
    return model;
}

ImportResult importWeightsIntoCache(const std::string& file, const std::string& arch, bool replace) {
    namespace fs = std::filesystem;
    ImportResult result;
    result.path = cachedWeightsPath(arch);  // throws ModelError for an unknown arch
    if (result.path.empty())
        throw ConfigError("The " + arch + " architecture has no official weights, so the cache has no place for "
                          "them; use the file '" + file + "' directly as the model's weights instead.");
    std::error_code ec;
    result.replaced = fs::exists(result.path, ec);
    if (result.replaced && !replace)
        throw ConfigError("The cache already holds " + arch + " weights at '" + result.path +
                          "'; they are kept unless replacing them with '" + file + "' is asked for.");
    // The file must load strictly into the architecture before it is trusted.
    const StateDict sd = readStateDict(file);
    zoo::Backbone model = zoo::createModel(arch);
    applyStateDict(*model, sd, file, arch);
    result.tensors = sd.size();
    writeFileAtomicWith(result.path, [&](const std::string& tmp) {
        std::error_code copyError;
        fs::copy_file(file, tmp, fs::copy_options::overwrite_existing, copyError);
        if (copyError) throw IoError("Cannot copy '" + file + "' to '" + tmp + "': " + copyError.message() + ".");
    });
    return result;
}

} // namespace ts::weights
