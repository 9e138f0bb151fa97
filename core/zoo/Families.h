#pragma once
// Private to core/zoo: each family file adds its entries to the registry.
#include "core/zoo/Registry.h"

namespace ts::zoo {

/// The licence of torchvision's own ImageNet weights.
inline constexpr const char* kTorchvisionImageNetLicense =
    "BSD-3-Clause (torchvision); ImageNet weights for non-commercial research use per ImageNet terms";

/// Registry facts of a torchvision ImageNet model: 224 px crop of a 256 px
/// resize, bilinear, torchvision's licence; callers change what differs.
inline ModelInfo torchvisionInfo(std::string name, std::string family, int64_t numParams, double gflops, double top1,
                                 double top5, std::string weightsUrl, std::string paper) {
    ModelInfo info;
    info.name = std::move(name);
    info.family = std::move(family);
    info.numParams = numParams;
    info.gflops = gflops;
    info.top1 = top1;
    info.top5 = top5;
    info.weightsUrl = std::move(weightsUrl);
    info.license = kTorchvisionImageNetLicense;
    info.paper = std::move(paper);
    return info;
}

/// One stage per child of the Seq at `prefix` (`prefix`.0 is called the
/// stem), then the head stage at `headPath`.
inline std::vector<Stage> childStages(const std::string& prefix, size_t children, const std::string& headPath) {
    std::vector<Stage> stages;
    for (size_t i = 0; i < children; ++i) {
        const std::string path = prefix + "." + std::to_string(i);
        stages.push_back({i == 0 ? "stem (" + path + ")" : path, {path}});
    }
    stages.push_back({"head", {headPath}});
    return stages;
}

namespace families {

void addAlexNet(std::vector<RegistryEntry>& out);
void addVgg(std::vector<RegistryEntry>& out);
void addResNet(std::vector<RegistryEntry>& out);
void addGoogLeNet(std::vector<RegistryEntry>& out);
void addInception(std::vector<RegistryEntry>& out);
void addDenseNet(std::vector<RegistryEntry>& out);
void addSqueezeNet(std::vector<RegistryEntry>& out);
void addMobileNetV2(std::vector<RegistryEntry>& out);
void addMobileNetV3(std::vector<RegistryEntry>& out);
void addShuffleNet(std::vector<RegistryEntry>& out);
void addMnasNet(std::vector<RegistryEntry>& out);
void addEfficientNet(std::vector<RegistryEntry>& out);
void addConvNeXt(std::vector<RegistryEntry>& out);
void addXception(std::vector<RegistryEntry>& out);
void addZfNet(std::vector<RegistryEntry>& out);
void addTiny(std::vector<RegistryEntry>& out);

} // namespace families
} // namespace ts::zoo
