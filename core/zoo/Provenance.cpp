#include "core/zoo/Provenance.h"

#include "core/zoo/Registry.h"

namespace ts::zoo {

Provenance provenance(const std::string& arch) {
    const ModelInfo& info = modelInfo(arch);  // throws for an unknown name
    if (arch == "xception") return {"timm", true};
    if (arch == "zfnet") return {"pytorchcv", true};
    if (info.family.find("not torchvision") != std::string::npos) return {"Transfer Studio", false};
    return {"torchvision", false};
}

} // namespace ts::zoo
