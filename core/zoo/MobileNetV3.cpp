// MobileNetV3 (torchvision.models.mobilenet_v3_large / mobilenet_v3_small),
// width 1.0, no dilation, full tail.
#include "core/zoo/Families.h"
#include "core/zoo/Layers.h"

#include <torch/nn/modules/dropout.h>

namespace ts::zoo {
namespace {

// BatchNorm2d(eps=0.001, momentum=0.01), as torchvision builds MobileNetV3.
constexpr double kBnEps = 0.001;
constexpr double kBnMomentum = 0.01;

// One row of Tables 1 and 2 of the MobileNetV3 paper (InvertedResidualConfig).
struct BlockConfig {
    int64_t in;
    int64_t kernel;
    int64_t expanded;
    int64_t out;
    bool useSe;
    bool hardswish; // "HS" (else "RE")
    int64_t stride;
};

// torchvision InvertedResidual (MobileNetV3 variant): keys <block>.block.{i}[...]
class InvertedResidualImpl : public torch::nn::Module {
public:
    explicit InvertedResidualImpl(const BlockConfig& c) : m_useResidual(c.stride == 1 && c.in == c.out) {
        const ActKind act = c.hardswish ? ActKind::Hardswish : ActKind::ReLU;
        Seq layers;
        if (c.expanded != c.in) layers->add(convNormAct(c.in, c.expanded, 1, 1, 1, act, kBnEps, kBnMomentum));
        layers->add(convNormAct(c.expanded, c.expanded, c.kernel, c.stride, c.expanded, act, kBnEps, kBnMomentum));
        if (c.useSe) layers->add(SqueezeExcitation(c.expanded, makeDivisible(c.expanded / 4, 8), ActKind::ReLU, ActKind::Hardsigmoid));
        layers->add(convNormAct(c.expanded, c.out, 1, 1, 1, ActKind::Identity, kBnEps, kBnMomentum));
        m_block = register_module("block", layers);
    }
    torch::Tensor forward(torch::Tensor x) {
        auto y = m_block->forward(x);
        return m_useResidual ? y + x : y;
    }

private:
    Seq m_block{nullptr};
    bool m_useResidual;
};
TORCH_MODULE(InvertedResidual);

class MobileNetV3Impl : public BackboneImpl {
public:
    MobileNetV3Impl(const std::string& arch, const std::vector<BlockConfig>& settings, int64_t lastChannel,
                    const CreateOptions& options)
        : BackboneImpl(arch) {
        m_features = register_module("features", Seq());
        m_features->add(convNormAct(3, settings.front().in, 3, 2, 1, ActKind::Hardswish, kBnEps, kBnMomentum));
        for (const auto& c : settings) m_features->add(InvertedResidual(c));
        const int64_t lastConvIn = settings.back().out;
        const int64_t lastConvOut = 6 * lastConvIn;
        m_features->add(convNormAct(lastConvIn, lastConvOut, 1, 1, 1, ActKind::Hardswish, kBnEps, kBnMomentum));
        m_classifier = register_module("classifier", Seq());
        m_classifier->add(torch::nn::Linear(lastConvOut, lastChannel));
        m_classifier->add(Activation(ActKind::Hardswish));
        m_classifier->add(torch::nn::Dropout(0.2));
        m_classifier->add(torch::nn::Linear(lastChannel, options.numClasses));
        initMobileStyle(*this, 0.01);

        std::vector<Stage> stages = childStages("features", m_features->size(), "classifier.3");
        stages.insert(stages.end() - 1,
                      {"pre-head (classifier.0-2)", {"classifier.0", "classifier.1", "classifier.2"}});
        finishSetup(std::move(stages), "classifier.3", lastChannel, options.numClasses,
                    "features." + std::to_string(m_features->size() - 1));
    }

    torch::Tensor features(torch::Tensor x) override {
        x = m_features->forward(x);
        return m_classifier->forwardRange(globalAvgPool(x), 0, 3);
    }

private:
    Seq m_features{nullptr};
    Seq m_classifier{nullptr};
};

// _mobilenet_v3_conf with width_mult 1.0 (channels already multiples of 8).
const std::vector<BlockConfig>& largeSettings() {
    static const std::vector<BlockConfig> s = {
        {16, 3, 16, 16, false, false, 1},   {16, 3, 64, 24, false, false, 2},   {24, 3, 72, 24, false, false, 1},
        {24, 5, 72, 40, true, false, 2},    {40, 5, 120, 40, true, false, 1},   {40, 5, 120, 40, true, false, 1},
        {40, 3, 240, 80, false, true, 2},   {80, 3, 200, 80, false, true, 1},   {80, 3, 184, 80, false, true, 1},
        {80, 3, 184, 80, false, true, 1},   {80, 3, 480, 112, true, true, 1},   {112, 3, 672, 112, true, true, 1},
        {112, 5, 672, 160, true, true, 2},  {160, 5, 960, 160, true, true, 1},  {160, 5, 960, 160, true, true, 1},
    };
    return s;
}

const std::vector<BlockConfig>& smallSettings() {
    static const std::vector<BlockConfig> s = {
        {16, 3, 16, 16, true, false, 2},  {16, 3, 72, 24, false, false, 2}, {24, 3, 88, 24, false, false, 1},
        {24, 5, 96, 40, true, true, 2},   {40, 5, 240, 40, true, true, 1},  {40, 5, 240, 40, true, true, 1},
        {40, 5, 120, 48, true, true, 1},  {48, 5, 144, 48, true, true, 1},  {48, 5, 288, 96, true, true, 2},
        {96, 5, 576, 96, true, true, 1},  {96, 5, 576, 96, true, true, 1},
    };
    return s;
}

} // namespace

namespace families {

void addMobileNetV3(std::vector<RegistryEntry>& out) {
    const std::string license =
        "BSD-3-Clause (torchvision); ImageNet weights for non-commercial research use per ImageNet terms";
    const std::string paper = "Howard et al., Searching for MobileNetV3, ICCV 2019";
    {
        ModelInfo info;
        info.name = "mobilenet_v3_large";
        info.family = "MobileNet";
        info.numParams = 5483032;
        info.gflops = 0.22;
        info.inputSize = 224;
        info.resizeSize = 256;
        info.top1 = 74.042;
        info.top5 = 91.340;
        info.weightsUrl = "https://download.pytorch.org/models/mobilenet_v3_large-8738ca79.pth";
        info.license = license;
        info.paper = paper;
        out.push_back({info, [](const CreateOptions& o) -> Backbone {
                           return std::make_shared<MobileNetV3Impl>("mobilenet_v3_large", largeSettings(),
                                                                    makeDivisible(1280, 8), o);
                       }});
    }
    {
        ModelInfo info;
        info.name = "mobilenet_v3_small";
        info.family = "MobileNet";
        info.numParams = 2542856;
        info.gflops = 0.06;
        info.inputSize = 224;
        info.resizeSize = 256;
        info.top1 = 67.668;
        info.top5 = 87.402;
        info.weightsUrl = "https://download.pytorch.org/models/mobilenet_v3_small-047dcff4.pth";
        info.license = license;
        info.paper = paper;
        out.push_back({info, [](const CreateOptions& o) -> Backbone {
                           return std::make_shared<MobileNetV3Impl>("mobilenet_v3_small", smallSettings(),
                                                                    makeDivisible(1024, 8), o);
                       }});
    }
}

} // namespace families
} // namespace ts::zoo
