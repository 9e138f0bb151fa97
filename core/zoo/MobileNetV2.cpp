// MobileNetV2 (torchvision.models.mobilenet_v2), width 1.0.
#include "core/zoo/Families.h"
#include "core/zoo/Layers.h"

#include <torch/nn/modules/dropout.h>

namespace ts::zoo {
namespace {

// torchvision InvertedResidual: keys <block>.conv.{0,1,2,3}[...]
class InvertedResidualImpl : public torch::nn::Module {
public:
    InvertedResidualImpl(int64_t inp, int64_t oup, int64_t stride, int64_t expandRatio)
        : m_useResidual(stride == 1 && inp == oup) {
        const int64_t hidden = inp * expandRatio;
        Seq layers;
        if (expandRatio != 1) layers->add(convNormAct(inp, hidden, 1, 1, 1, ActKind::ReLU6));
        layers->add(convNormAct(hidden, hidden, 3, stride, hidden, ActKind::ReLU6));
        layers->add(conv2d(hidden, oup, 1));
        layers->add(batchNorm2d(oup));
        m_conv = register_module("conv", layers);
    }
    torch::Tensor forward(torch::Tensor x) {
        auto y = m_conv->forward(x);
        return m_useResidual ? x + y : y;
    }

private:
    Seq m_conv{nullptr};
    bool m_useResidual;
};
TORCH_MODULE(InvertedResidual);

class MobileNetV2Impl : public BackboneImpl {
public:
    explicit MobileNetV2Impl(const CreateOptions& options) : BackboneImpl("mobilenet_v2") {
        const int64_t divisor = 8;
        int64_t input = makeDivisible(32, divisor);
        const int64_t last = makeDivisible(1280, divisor);
        const int64_t settings[7][4] = {{1, 16, 1, 1},  {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                        {6, 96, 3, 1},  {6, 160, 3, 2}, {6, 320, 1, 1}};
        m_features = register_module("features", Seq());
        m_features->add(convNormAct(3, input, 3, 2, 1, ActKind::ReLU6));
        for (const auto& s : settings) {
            const int64_t out = makeDivisible(s[1], divisor);
            for (int64_t i = 0; i < s[2]; ++i) {
                m_features->add(InvertedResidual(input, out, i == 0 ? s[3] : 1, s[0]));
                input = out;
            }
        }
        m_features->add(convNormAct(input, last, 1, 1, 1, ActKind::ReLU6));
        m_classifier = register_module("classifier", Seq());
        m_classifier->add(torch::nn::Dropout(0.2));
        m_classifier->add(torch::nn::Linear(last, options.numClasses));
        initMobileStyle(*this, 0.01);

        std::vector<Stage> stages = childStages("features", m_features->size(), "classifier.1");
        finishSetup(std::move(stages), "classifier.1", last, options.numClasses,
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

} // namespace

namespace families {

void addMobileNetV2(std::vector<RegistryEntry>& out) {
    ModelInfo info = torchvisionInfo("mobilenet_v2", "MobileNet", 3504872, 0.301,
                                     71.878, 90.286, "https://download.pytorch.org/models/mobilenet_v2-b0353104.pth",
                                     "Sandler et al., MobileNetV2: Inverted Residuals and Linear Bottlenecks, CVPR 2018");
    out.push_back({info, [](const CreateOptions& o) -> Backbone { return std::make_shared<MobileNetV2Impl>(o); }});
}

} // namespace families
} // namespace ts::zoo
