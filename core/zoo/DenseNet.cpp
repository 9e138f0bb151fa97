// DenseNet-BC 121 and 169 (torchvision.models.densenet121/169), without
// memory-efficient checkpointing (same outputs).
#include "core/zoo/Families.h"
#include "core/zoo/Layers.h"
#include "core/zoo/RunTapped.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/pooling.h>

namespace ts::zoo {
namespace {

// torchvision _DenseLayer: keys norm1, conv1, norm2, conv2 (its ReLUs are functions here).
class DenseLayerImpl : public torch::nn::Module {
public:
    DenseLayerImpl(int64_t inputFeatures, int64_t growthRate, int64_t bnSize) {
        m_norm1 = register_module("norm1", batchNorm2d(inputFeatures));
        m_conv1 = register_module("conv1", conv2d(inputFeatures, bnSize * growthRate, 1, 1, 0));
        m_norm2 = register_module("norm2", batchNorm2d(bnSize * growthRate));
        m_conv2 = register_module("conv2", conv2d(bnSize * growthRate, growthRate, 3, 1, 1));
    }
    /// `x` is the concatenation of every earlier feature map of the block.
    torch::Tensor forward(torch::Tensor x) {
        x = runTapped(m_conv1, applyActivation(ActKind::ReLU, m_norm1->forward(x)));
        return runTapped(m_conv2, applyActivation(ActKind::ReLU, m_norm2->forward(x)));
    }

private:
    torch::nn::BatchNorm2d m_norm1{nullptr}, m_norm2{nullptr};
    torch::nn::Conv2d m_conv1{nullptr}, m_conv2{nullptr};
};
TORCH_MODULE(DenseLayer);

// torchvision _DenseBlock: denselayer1..N, each fed every earlier output.
class DenseBlockImpl : public torch::nn::Module {
public:
    DenseBlockImpl(int64_t numLayers, int64_t inputFeatures, int64_t bnSize, int64_t growthRate) {
        for (int64_t i = 0; i < numLayers; ++i)
            m_layers.push_back(register_module("denselayer" + std::to_string(i + 1),
                                               DenseLayer(inputFeatures + i * growthRate, growthRate, bnSize)));
    }
    torch::Tensor forward(torch::Tensor x) {
        std::vector<torch::Tensor> features{x};
        for (auto& layer : m_layers) features.push_back(runTapped(layer, at::cat(features, 1)));
        return at::cat(features, 1);
    }

private:
    std::vector<DenseLayer> m_layers;
};
TORCH_MODULE(DenseBlock);

struct DenseNetConfig {
    int64_t growthRate = 32;
    std::array<int64_t, 4> blocks{6, 12, 24, 16};
    int64_t initFeatures = 64;
    int64_t bnSize = 4;
};

class DenseNetImpl : public BackboneImpl {
public:
    DenseNetImpl(const std::string& arch, const DenseNetConfig& cfg, const CreateOptions& options)
        : BackboneImpl(arch) {
        m_features = register_module("features", Seq());
        m_features->add("conv0", conv2d(3, cfg.initFeatures, 7, 2, 3));
        m_features->add("norm0", batchNorm2d(cfg.initFeatures));
        m_features->add("relu0", torch::nn::ReLU());
        m_features->add("pool0", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1)));
        std::vector<Stage> stages;
        stages.push_back({"stem", {"features.conv0", "features.norm0", "features.relu0", "features.pool0"}});
        int64_t numFeatures = cfg.initFeatures;
        for (size_t i = 0; i < cfg.blocks.size(); ++i) {
            const std::string n = std::to_string(i + 1);
            m_features->add("denseblock" + n, DenseBlock(cfg.blocks[i], numFeatures, cfg.bnSize, cfg.growthRate));
            numFeatures += cfg.blocks[i] * cfg.growthRate;
            Stage stage{"denseblock" + n, {"features.denseblock" + n}};
            if (i + 1 != cfg.blocks.size()) {
                // torchvision _Transition is an nn.Sequential with named children.
                Seq transition;
                transition->add("norm", batchNorm2d(numFeatures));
                transition->add("relu", torch::nn::ReLU());
                transition->add("conv", conv2d(numFeatures, numFeatures / 2, 1, 1, 0));
                transition->add("pool", torch::nn::AvgPool2d(torch::nn::AvgPool2dOptions(2).stride(2)));
                m_features->add("transition" + n, transition);
                stage.modules.push_back("features.transition" + n);
                numFeatures /= 2;
            }
            stages.push_back(stage);
        }
        m_features->add("norm5", batchNorm2d(numFeatures));
        stages.back().modules.push_back("features.norm5");
        m_classifier = register_module("classifier", torch::nn::Linear(numFeatures, options.numClasses));

        // torchvision's "official init from torch repo": convs kaiming_normal
        // (fan_in), BN 1/0, Linear bias 0 (weight keeps nn.Linear's default).
        {
            torch::NoGradGuard noGrad;
            for (auto& m : modules(/*include_self=*/false)) {
                if (auto* conv = m->as<torch::nn::Conv2d>()) {
                    torch::nn::init::kaiming_normal_(conv->weight);
                } else if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
                    torch::nn::init::ones_(bn->weight);
                    torch::nn::init::zeros_(bn->bias);
                } else if (auto* lin = m->as<torch::nn::Linear>()) {
                    torch::nn::init::zeros_(lin->bias);
                }
            }
        }
        stages.push_back({"head", {"classifier"}});
        finishSetup(std::move(stages), "classifier", numFeatures, options.numClasses, "features.norm5");
    }

    torch::Tensor features(torch::Tensor x) override { return globalAvgPool(at::relu(m_features->forward(x))); }

private:
    Seq m_features{nullptr};
    torch::nn::Linear m_classifier{nullptr};
};

} // namespace

namespace families {

void addDenseNet(std::vector<RegistryEntry>& out) {
    struct Variant {
        const char* name;
        DenseNetConfig cfg;
        int64_t numParams;
        double gflops, top1, top5;
        const char* url;
    };
    const Variant variants[] = {
        {"densenet121", {32, {6, 12, 24, 16}, 64, 4}, 7978856, 2.834, 74.434, 91.972,
         "https://download.pytorch.org/models/densenet121-a639ec97.pth"},
        {"densenet169", {32, {6, 12, 32, 32}, 64, 4}, 14149480, 3.360, 75.600, 92.806,
         "https://download.pytorch.org/models/densenet169-b2777c0a.pth"},
    };
    for (const auto& v : variants) {
        ModelInfo info = torchvisionInfo(v.name, "DenseNet", v.numParams, v.gflops,
                                         v.top1, v.top5, v.url,
                                         "Huang et al., Densely Connected Convolutional Networks, CVPR 2017");
        const std::string name = v.name;
        const DenseNetConfig cfg = v.cfg;
        out.push_back({info, [name, cfg](const CreateOptions& o) -> Backbone {
                           return std::make_shared<DenseNetImpl>(name, cfg, o);
                       }});
    }
}

} // namespace families
} // namespace ts::zoo
