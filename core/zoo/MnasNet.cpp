// MNASNet B1 (torchvision.models.mnasnet1_0), depth multiplier 1.0.
#include "core/zoo/Families.h"
#include "core/zoo/Layers.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/dropout.h>

namespace ts::zoo {
namespace {

// The paper's TensorFlow momentum 0.9997, as PyTorch momentum.
constexpr double kBnMomentum = 1.0 - 0.9997;

// torchvision mnasnet._InvertedResidual: keys <block>.layers.{0..7}
class InvertedResidualImpl : public torch::nn::Module {
public:
    InvertedResidualImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t expansion)
        : m_useResidual(in == out && stride == 1) {
        const int64_t mid = in * expansion;
        Seq layers;
        layers->add(conv2d(in, mid, 1, 1, 0));
        layers->add(batchNorm2d(mid, 1e-5, kBnMomentum));
        layers->add(Activation(ActKind::ReLU));
        layers->add(conv2d(mid, mid, kernel, stride, kernel / 2, /*groups=*/mid));
        layers->add(batchNorm2d(mid, 1e-5, kBnMomentum));
        layers->add(Activation(ActKind::ReLU));
        layers->add(conv2d(mid, out, 1, 1, 0));
        layers->add(batchNorm2d(out, 1e-5, kBnMomentum));
        m_layers = register_module("layers", layers);
    }
    torch::Tensor forward(torch::Tensor x) {
        auto y = m_layers->forward(x);
        return m_useResidual ? y + x : y;
    }

private:
    Seq m_layers{nullptr};
    bool m_useResidual;
};
TORCH_MODULE(InvertedResidual);

// _stack: the first block changes shape (no skip), the rest keep it.
Seq stack(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t expansion, int64_t repeats) {
    Seq s;
    s->add(InvertedResidual(in, out, kernel, stride, expansion));
    for (int64_t i = 1; i < repeats; ++i) s->add(InvertedResidual(out, out, kernel, 1, expansion));
    return s;
}

// _round_to_multiple_of(val, divisor, 0.9).
int64_t roundToMultipleOf(double val, int64_t divisor) {
    const int64_t v = std::max(divisor, static_cast<int64_t>(val + divisor / 2.0) / divisor * divisor);
    return v >= 0.9 * val ? v : v + divisor;
}

class MnasNetImpl : public BackboneImpl {
public:
    MnasNetImpl(const std::string& arch, double alpha, const CreateOptions& options) : BackboneImpl(arch) {
        int64_t d[8];
        const int64_t base[8] = {32, 16, 24, 40, 80, 96, 192, 320};
        for (int i = 0; i < 8; ++i) d[i] = roundToMultipleOf(base[i] * alpha, 8);
        m_layers = register_module("layers", Seq());
        m_layers->add(conv2d(3, d[0], 3, 2, 1));
        m_layers->add(batchNorm2d(d[0], 1e-5, kBnMomentum));
        m_layers->add(Activation(ActKind::ReLU));
        m_layers->add(conv2d(d[0], d[0], 3, 1, 1, /*groups=*/d[0]));
        m_layers->add(batchNorm2d(d[0], 1e-5, kBnMomentum));
        m_layers->add(Activation(ActKind::ReLU));
        m_layers->add(conv2d(d[0], d[1], 1, 1, 0));
        m_layers->add(batchNorm2d(d[1], 1e-5, kBnMomentum));
        m_layers->add(stack(d[1], d[2], 3, 2, 3, 3));
        m_layers->add(stack(d[2], d[3], 5, 2, 3, 3));
        m_layers->add(stack(d[3], d[4], 5, 2, 6, 3));
        m_layers->add(stack(d[4], d[5], 3, 1, 6, 2));
        m_layers->add(stack(d[5], d[6], 5, 2, 6, 4));
        m_layers->add(stack(d[6], d[7], 3, 1, 6, 1));
        m_layers->add(conv2d(d[7], 1280, 1, 1, 0));
        m_layers->add(batchNorm2d(1280, 1e-5, kBnMomentum));
        m_layers->add(Activation(ActKind::ReLU));
        m_classifier = register_module("classifier", Seq());
        m_classifier->add(torch::nn::Dropout(0.2));
        m_classifier->add(torch::nn::Linear(1280, options.numClasses));
        // Convs kaiming_normal(fan_out, relu), BN 1/0 as initMobileStyle; the
        // Linear is kaiming_uniform(fan_out, sigmoid) with zero bias.
        initMobileStyle(*this, 0.01);
        {
            torch::NoGradGuard noGrad;
            auto* fc = m_classifier->ptrAt(1)->as<torch::nn::Linear>();
            torch::nn::init::kaiming_uniform_(fc->weight, 0.0, torch::kFanOut, torch::kSigmoid);
            torch::nn::init::zeros_(fc->bias);
        }

        std::vector<Stage> stages;
        stages.push_back({"stem (layers.0-7)", {"layers.0", "layers.1", "layers.2", "layers.3", "layers.4", "layers.5",
                                                "layers.6", "layers.7"}});
        for (int i = 8; i <= 13; ++i) stages.push_back({"layers." + std::to_string(i), {"layers." + std::to_string(i)}});
        stages.push_back({"last conv (layers.14-16)", {"layers.14", "layers.15", "layers.16"}});
        stages.push_back({"head", {"classifier.1"}});
        finishSetup(std::move(stages), "classifier.1", 1280, options.numClasses, "layers.16");
    }

    torch::Tensor features(torch::Tensor x) override {
        x = m_layers->forward(x);
        return m_classifier->forwardRange(x.mean({2, 3}), 0, 1);
    }

private:
    Seq m_layers{nullptr};
    Seq m_classifier{nullptr};
};

} // namespace

namespace families {

void addMnasNet(std::vector<RegistryEntry>& out) {
    ModelInfo info = torchvisionInfo("mnasnet1_0", "MNASNet", 4383312, 0.31,
                                     73.456, 91.510, "https://download.pytorch.org/models/mnasnet1.0_top1_73.512-f206786ef8.pth",
                                     "Tan et al., MnasNet: Platform-Aware Neural Architecture Search for Mobile, CVPR 2019");
    out.push_back({info, [](const CreateOptions& o) -> Backbone {
                       return std::make_shared<MnasNetImpl>("mnasnet1_0", 1.0, o);
                   }});
}

} // namespace families
} // namespace ts::zoo
