// tiny_cnn: a small 4-stage CNN (~30k parameters) that is not part of
// torchvision. It trains in seconds on a CPU, so the built-in demo project
// and quick experiments use it; it has no official weights.
#include "core/zoo/Families.h"
#include "core/zoo/Layers.h"

#include <torch/nn/init.h>

namespace ts::zoo {
namespace {

class TinyNetImpl : public BackboneImpl {
public:
    explicit TinyNetImpl(const CreateOptions& options) : BackboneImpl("tiny_cnn") {
        const int64_t widths[4] = {16, 32, 48, 64};
        m_features = register_module("features", Seq());
        int64_t in = 3;
        for (int i = 0; i < 4; ++i) {
            m_features->add(convNormAct(in, widths[i], 3, i == 0 ? 2 : 2, 1, ActKind::ReLU));
            in = widths[i];
        }
        m_classifier = register_module("classifier", Seq());
        m_classifier->add(torch::nn::Linear(in, options.numClasses));
        initMobileStyle(*this, -1.0);
        std::vector<Stage> stages;
        for (int i = 0; i < 4; ++i) stages.push_back({"features." + std::to_string(i), {"features." + std::to_string(i)}});
        stages.push_back({"head", {"classifier.0"}});
        finishSetup(std::move(stages), "classifier.0", in, options.numClasses, "features.3");
    }
    torch::Tensor features(torch::Tensor x) override { return globalAvgPool(m_features->forward(x)); }

private:
    Seq m_features{nullptr};
    Seq m_classifier{nullptr};
};

} // namespace

namespace families {

void addTiny(std::vector<RegistryEntry>& out) {
    ModelInfo info;
    info.name = "tiny_cnn";
    info.family = "Tiny (not torchvision)";
    info.numParams = 111832;
    info.gflops = 0.0;
    info.inputSize = 224;
    info.resizeSize = 256;
    info.license = "no pretrained weights";
    info.paper = "A 4-layer CNN for quick experiments and the demo project";
    out.push_back({info, [](const CreateOptions& o) -> Backbone { return std::make_shared<TinyNetImpl>(o); }});
}

} // namespace families
} // namespace ts::zoo
