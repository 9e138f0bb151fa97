// ResNet, ResNeXt and Wide ResNet (torchvision.models.resnet*, resnext50_32x4d,
// wide_resnet50_2): BasicBlock / Bottleneck, no dilation, BatchNorm2d.
#include "core/zoo/Families.h"
#include "core/zoo/Layers.h"
#include "core/zoo/RunTapped.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/pooling.h>

namespace ts::zoo {
namespace {

enum class BlockKind { Basic, Bottleneck };

struct ResNetConfig {
    BlockKind block = BlockKind::Basic;
    std::array<int64_t, 4> layers{2, 2, 2, 2};
    int64_t groups = 1;
    int64_t widthPerGroup = 64;
};

int64_t expansionOf(BlockKind kind) { return kind == BlockKind::Basic ? 1 : 4; }

// torchvision BasicBlock / Bottleneck: keys conv1, bn1, conv2, bn2[, conv3,
// bn3][, downsample.{0,1}]. Convolution outputs are tapped; the layer Seq taps
// the block's output.
class ResidualBlockImpl : public torch::nn::Module {
public:
    ResidualBlockImpl(BlockKind kind, int64_t inplanes, int64_t planes, int64_t stride, int64_t groups,
                      int64_t baseWidth)
        : m_kind(kind) {
        const int64_t outPlanes = planes * expansionOf(kind);
        if (kind == BlockKind::Basic) {
            m_conv1 = register_module("conv1", conv2d(inplanes, planes, 3, stride));
            m_bn1 = register_module("bn1", batchNorm2d(planes));
            m_conv2 = register_module("conv2", conv2d(planes, planes, 3));
            m_bn2 = register_module("bn2", batchNorm2d(planes));
        } else {
            const int64_t width = static_cast<int64_t>(planes * (baseWidth / 64.0)) * groups;
            m_conv1 = register_module("conv1", conv2d(inplanes, width, 1));
            m_bn1 = register_module("bn1", batchNorm2d(width));
            m_conv2 = register_module("conv2", conv2d(width, width, 3, stride, -1, groups));
            m_bn2 = register_module("bn2", batchNorm2d(width));
            m_conv3 = register_module("conv3", conv2d(width, outPlanes, 1));
            m_bn3 = register_module("bn3", batchNorm2d(outPlanes));
        }
        if (stride != 1 || inplanes != outPlanes) {
            m_downsample = register_module("downsample", Seq());
            m_downsample->add(conv2d(inplanes, outPlanes, 1, stride, 0));
            m_downsample->add(batchNorm2d(outPlanes));
        }
    }

    torch::Tensor forward(torch::Tensor x) {
        auto out = applyActivation(ActKind::ReLU, m_bn1->forward(runTapped(m_conv1, x)));
        out = m_bn2->forward(runTapped(m_conv2, out));
        if (m_kind == BlockKind::Bottleneck) out = m_bn3->forward(runTapped(m_conv3, applyActivation(ActKind::ReLU, out)));
        const auto identity = m_downsample ? runTapped(m_downsample, x) : x;
        return applyActivation(ActKind::ReLU, out + identity);
    }

private:
    BlockKind m_kind;
    torch::nn::Conv2d m_conv1{nullptr}, m_conv2{nullptr}, m_conv3{nullptr};
    torch::nn::BatchNorm2d m_bn1{nullptr}, m_bn2{nullptr}, m_bn3{nullptr};
    Seq m_downsample{nullptr};
};
TORCH_MODULE(ResidualBlock);

class ResNetImpl : public BackboneImpl {
public:
    ResNetImpl(const std::string& arch, const ResNetConfig& cfg, const CreateOptions& options) : BackboneImpl(arch) {
        m_conv1 = register_module("conv1", conv2d(3, 64, 7, 2, 3));
        m_bn1 = register_module("bn1", batchNorm2d(64));
        m_relu = register_module("relu", torch::nn::ReLU());
        m_maxpool = register_module("maxpool", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1)));
        int64_t inplanes = 64;
        const int64_t planes[4] = {64, 128, 256, 512};
        for (int i = 0; i < 4; ++i) {
            Seq layer;
            for (int64_t b = 0; b < cfg.layers[i]; ++b) {
                const int64_t stride = (b == 0 && i > 0) ? 2 : 1;
                layer->add(ResidualBlock(cfg.block, inplanes, planes[i], stride, cfg.groups, cfg.widthPerGroup));
                inplanes = planes[i] * expansionOf(cfg.block);
            }
            m_layers[i] = register_module("layer" + std::to_string(i + 1), layer);
        }
        m_fc = register_module("fc", torch::nn::Linear(inplanes, options.numClasses));

        // torchvision's init: convs kaiming_normal(fan_out, relu), BN 1/0; fc keeps nn.Linear's default.
        torch::NoGradGuard noGrad;
        for (auto& m : modules(/*include_self=*/false)) {
            if (auto* conv = m->as<torch::nn::Conv2d>()) {
                torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
            } else if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
                torch::nn::init::ones_(bn->weight);
                torch::nn::init::zeros_(bn->bias);
            }
        }

        std::vector<Stage> stages;
        stages.push_back({"stem", {"conv1", "bn1", "relu", "maxpool"}});
        for (int i = 1; i <= 4; ++i) stages.push_back({"layer" + std::to_string(i), {"layer" + std::to_string(i)}});
        stages.push_back({"head", {"fc"}});
        finishSetup(std::move(stages), "fc", inplanes, options.numClasses, "layer4");
    }

    torch::Tensor features(torch::Tensor x) override {
        x = runTapped(m_conv1, x);
        x = runTapped(m_bn1, x);
        x = tapped(*m_relu, applyActivation(ActKind::ReLU, x));  // in place when unobserved
        x = runTapped(m_maxpool, x);
        for (auto& layer : m_layers) x = runTapped(layer, x);
        return globalAvgPool(x);
    }

private:
    torch::nn::Conv2d m_conv1{nullptr};
    torch::nn::BatchNorm2d m_bn1{nullptr};
    torch::nn::ReLU m_relu{nullptr};
    torch::nn::MaxPool2d m_maxpool{nullptr};
    std::array<Seq, 4> m_layers{Seq(nullptr), Seq(nullptr), Seq(nullptr), Seq(nullptr)};
    torch::nn::Linear m_fc{nullptr};
};

struct ResNetVariant {
    const char* name;
    ResNetConfig cfg;
    int64_t numParams;
    double gflops;
    double top1, top5;
    const char* url;
    const char* paper;
};

} // namespace

namespace families {

void addResNet(std::vector<RegistryEntry>& out) {
    const char* kResNetPaper = "He et al., Deep Residual Learning for Image Recognition, CVPR 2016";
    const ResNetVariant variants[] = {
        {"resnet18", {BlockKind::Basic, {2, 2, 2, 2}, 1, 64}, 11689512, 1.814, 69.758, 89.078,
         "https://download.pytorch.org/models/resnet18-f37072fd.pth", kResNetPaper},
        {"resnet34", {BlockKind::Basic, {3, 4, 6, 3}, 1, 64}, 21797672, 3.664, 73.314, 91.420,
         "https://download.pytorch.org/models/resnet34-b627a593.pth", kResNetPaper},
        {"resnet50", {BlockKind::Bottleneck, {3, 4, 6, 3}, 1, 64}, 25557032, 4.089, 76.130, 92.862,
         "https://download.pytorch.org/models/resnet50-0676ba61.pth", kResNetPaper},
        {"resnet101", {BlockKind::Bottleneck, {3, 4, 23, 3}, 1, 64}, 44549160, 7.801, 77.374, 93.546,
         "https://download.pytorch.org/models/resnet101-63fe2227.pth", kResNetPaper},
        {"resnet152", {BlockKind::Bottleneck, {3, 8, 36, 3}, 1, 64}, 60192808, 11.514, 78.312, 94.046,
         "https://download.pytorch.org/models/resnet152-394f9c45.pth", kResNetPaper},
        {"resnext50_32x4d", {BlockKind::Bottleneck, {3, 4, 6, 3}, 32, 4}, 25028904, 4.230, 77.618, 93.698,
         "https://download.pytorch.org/models/resnext50_32x4d-7cdf4587.pth",
         "Xie et al., Aggregated Residual Transformations for Deep Neural Networks, CVPR 2017"},
        {"wide_resnet50_2", {BlockKind::Bottleneck, {3, 4, 6, 3}, 1, 128}, 68883240, 11.398, 78.468, 94.086,
         "https://download.pytorch.org/models/wide_resnet50_2-95faca4d.pth",
         "Zagoruyko and Komodakis, Wide Residual Networks, BMVC 2016"},
    };
    for (const auto& v : variants) {
        ModelInfo info = torchvisionInfo(v.name, "ResNet", v.numParams, v.gflops,
                                         v.top1, v.top5, v.url,
                                         v.paper);
        const std::string name = v.name;
        const ResNetConfig cfg = v.cfg;
        out.push_back({info, [name, cfg](const CreateOptions& o) -> Backbone {
                           return std::make_shared<ResNetImpl>(name, cfg, o);
                       }});
    }
}

} // namespace families
} // namespace ts::zoo
