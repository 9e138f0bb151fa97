// EfficientNet B0-B3 (torchvision.models.efficientnet_b0 ... efficientnet_b3).
#include "core/zoo/Families.h"
#include "core/zoo/Layers.h"

#include <torch/nn/modules/dropout.h>

#include <cmath>

namespace ts::zoo {
namespace {

// torchvision MBConv: keys <block>.block.{i}[...]; <block>.stochastic_depth
// holds no tensors.
class MBConvImpl : public torch::nn::Module {
public:
    MBConvImpl(double expandRatio, int64_t kernel, int64_t stride, int64_t in, int64_t out, double sdProb)
        : m_useResidual(stride == 1 && in == out) {
        const int64_t expanded = makeDivisible(static_cast<double>(in) * expandRatio, 8);
        Seq layers;
        if (expanded != in) layers->add(convNormAct(in, expanded, 1, 1, 1, ActKind::SiLU));
        layers->add(convNormAct(expanded, expanded, kernel, stride, expanded, ActKind::SiLU));
        layers->add(SqueezeExcitation(expanded, std::max<int64_t>(1, in / 4), ActKind::SiLU, ActKind::Sigmoid));
        layers->add(convNormAct(expanded, out, 1, 1, 1, ActKind::Identity));
        m_block = register_module("block", layers);
        m_stochasticDepth = register_module("stochastic_depth", StochasticDepth(sdProb));
    }
    torch::Tensor forward(torch::Tensor x) {
        auto y = m_block->forward(x);
        if (m_useResidual) y = tapped(*m_stochasticDepth, m_stochasticDepth->forward(y)) + x;
        return y;
    }

private:
    Seq m_block{nullptr};
    StochasticDepth m_stochasticDepth{nullptr};
    bool m_useResidual;
};
TORCH_MODULE(MBConv);

// One row of Table 1 of the EfficientNet paper, before width/depth scaling.
struct StageConfig {
    double expandRatio;
    int64_t kernel;
    int64_t stride;
    int64_t in;
    int64_t out;
    int64_t layers;
};

class EfficientNetImpl : public BackboneImpl {
public:
    EfficientNetImpl(const std::string& arch, double widthMult, double depthMult, double dropout,
                     const CreateOptions& options)
        : BackboneImpl(arch) {
        const StageConfig base[7] = {{1, 3, 1, 32, 16, 1},  {6, 3, 2, 16, 24, 2},  {6, 5, 2, 24, 40, 2},
                                     {6, 3, 2, 40, 80, 3},  {6, 5, 1, 80, 112, 3}, {6, 5, 2, 112, 192, 4},
                                     {6, 3, 1, 192, 320, 1}};
        StageConfig settings[7];
        int64_t totalBlocks = 0;
        for (int i = 0; i < 7; ++i) {
            settings[i] = base[i];
            settings[i].in = makeDivisible(static_cast<double>(base[i].in) * widthMult, 8);
            settings[i].out = makeDivisible(static_cast<double>(base[i].out) * widthMult, 8);
            settings[i].layers = static_cast<int64_t>(std::ceil(static_cast<double>(base[i].layers) * depthMult));
            totalBlocks += settings[i].layers;
        }
        const double stochasticDepthProb = 0.2;

        m_features = register_module("features", Seq());
        m_features->add(convNormAct(3, settings[0].in, 3, 2, 1, ActKind::SiLU));
        int64_t blockId = 0;
        for (const auto& c : settings) {
            Seq stage;
            for (int64_t i = 0; i < c.layers; ++i) {
                const double sdProb = stochasticDepthProb * static_cast<double>(blockId) / static_cast<double>(totalBlocks);
                stage->add(MBConv(c.expandRatio, c.kernel, i == 0 ? c.stride : 1, i == 0 ? c.in : c.out, c.out, sdProb));
                ++blockId;
            }
            m_features->add(stage);
        }
        const int64_t lastIn = settings[6].out;
        const int64_t lastOut = 4 * lastIn;
        m_features->add(convNormAct(lastIn, lastOut, 1, 1, 1, ActKind::SiLU));
        m_classifier = register_module("classifier", Seq());
        m_classifier->add(torch::nn::Dropout(dropout));
        m_classifier->add(torch::nn::Linear(lastOut, options.numClasses));
        initMobileStyle(*this, /*linearStd=*/-1.0); // Linear: uniform(+-1/sqrt(out_features))

        std::vector<Stage> stages = childStages("features", m_features->size(), "classifier.1");
        finishSetup(std::move(stages), "classifier.1", lastOut, options.numClasses,
                    "features." + std::to_string(m_features->size() - 1));
    }

    torch::Tensor features(torch::Tensor x) override {
        x = m_features->forward(x);
        return m_classifier->forwardRange(globalAvgPool(x), 0, 1);
    }

private:
    Seq m_features{nullptr};
    Seq m_classifier{nullptr};
};

struct Variant {
    const char* name;
    double widthMult;
    double depthMult;
    double dropout;
    int64_t numParams;
    double gflops;
    int inputSize;
    int resizeSize;
    double top1;
    double top5;
    const char* url;
};

} // namespace

namespace families {

void addEfficientNet(std::vector<RegistryEntry>& out) {
    // IMAGENET1K_V1 weights (ported from rwightman's timm), bicubic preprocessing.
    const Variant variants[] = {
        {"efficientnet_b0", 1.0, 1.0, 0.2, 5288548, 0.39, 224, 256, 77.692, 93.532,
         "https://download.pytorch.org/models/efficientnet_b0_rwightman-3dd342df.pth"},
        {"efficientnet_b1", 1.0, 1.1, 0.2, 7794184, 0.69, 240, 256, 78.642, 94.186,
         "https://download.pytorch.org/models/efficientnet_b1_rwightman-533bc792.pth"},
        {"efficientnet_b2", 1.1, 1.2, 0.3, 9109994, 1.09, 288, 288, 80.608, 95.310,
         "https://download.pytorch.org/models/efficientnet_b2_rwightman-bcdf34b7.pth"},
        {"efficientnet_b3", 1.2, 1.4, 0.3, 12233232, 1.83, 300, 320, 82.008, 96.054,
         "https://download.pytorch.org/models/efficientnet_b3_rwightman-cf984f9c.pth"},
    };
    for (const auto& v : variants) {
        ModelInfo info;
        info.name = v.name;
        info.family = "EfficientNet";
        info.numParams = v.numParams;
        info.gflops = v.gflops;
        info.inputSize = v.inputSize;
        info.resizeSize = v.resizeSize;
        info.interpolation = Interpolation::Bicubic;
        info.top1 = v.top1;
        info.top5 = v.top5;
        info.weightsUrl = v.url;
        info.license = "BSD-3-Clause (torchvision); weights ported from timm (Apache-2.0), ImageNet terms "
                       "(non-commercial research use)";
        info.paper = "Tan & Le, EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks, ICML 2019";
        const std::string name = v.name;
        const double width = v.widthMult, depth = v.depthMult, dropout = v.dropout;
        out.push_back({info, [name, width, depth, dropout](const CreateOptions& o) -> Backbone {
                           return std::make_shared<EfficientNetImpl>(name, width, depth, dropout, o);
                       }});
    }
}

} // namespace families
} // namespace ts::zoo
