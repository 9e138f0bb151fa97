#include "core/weights/Pretrained.h"

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

} // namespace ts::weights
