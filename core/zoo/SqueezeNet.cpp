// SqueezeNet 1.0 and 1.1 (torchvision.models.squeezenet1_0/1_1). The head is
// a 1x1 Conv2d (classifier.1); BackboneImpl::head() applies the ReLU and
// global average pooling that follow it in torchvision's classifier.
#include "core/zoo/Families.h"
#include "core/zoo/Layers.h"
#include "core/zoo/RunTapped.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/pooling.h>

namespace ts::zoo {
namespace {

// torchvision Fire: keys squeeze, expand1x1, expand3x3 (Conv2d with bias).
class FireImpl : public torch::nn::Module {
public:
    FireImpl(int64_t inplanes, int64_t squeezePlanes, int64_t expand1x1Planes, int64_t expand3x3Planes) {
        m_squeeze = register_module("squeeze", conv2d(inplanes, squeezePlanes, 1, 1, 0, 1, true));
        m_expand1x1 = register_module("expand1x1", conv2d(squeezePlanes, expand1x1Planes, 1, 1, 0, 1, true));
        m_expand3x3 = register_module("expand3x3", conv2d(squeezePlanes, expand3x3Planes, 3, 1, 1, 1, true));
    }
    torch::Tensor forward(torch::Tensor x) {
        x = applyActivation(ActKind::ReLU, runTapped(m_squeeze, x));
        return at::cat({applyActivation(ActKind::ReLU, runTapped(m_expand1x1, x)),
                        applyActivation(ActKind::ReLU, runTapped(m_expand3x3, x))},
                       1);
    }

private:
    torch::nn::Conv2d m_squeeze{nullptr}, m_expand1x1{nullptr}, m_expand3x3{nullptr};
};
TORCH_MODULE(Fire);

enum class SqueezeVersion { V1_0, V1_1 };

class SqueezeNetImpl : public BackboneImpl {
public:
    SqueezeNetImpl(SqueezeVersion version, const CreateOptions& options)
        : BackboneImpl(version == SqueezeVersion::V1_0 ? "squeezenet1_0" : "squeezenet1_1") {
        auto pool = [] { return torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).ceil_mode(true)); };
        m_features = register_module("features", Seq());
        size_t stemEnd = 0;  // index of the stem's last module
        if (version == SqueezeVersion::V1_0) {
            m_features->add(conv2d(3, 96, 7, 2, 0, 1, true));
            m_features->add(torch::nn::ReLU());
            m_features->add(pool());
            stemEnd = 2;
            m_features->add(Fire(96, 16, 64, 64));
            m_features->add(Fire(128, 16, 64, 64));
            m_features->add(Fire(128, 32, 128, 128));
            m_features->add(pool());
            m_features->add(Fire(256, 32, 128, 128));
            m_features->add(Fire(256, 48, 192, 192));
            m_features->add(Fire(384, 48, 192, 192));
            m_features->add(Fire(384, 64, 256, 256));
            m_features->add(pool());
            m_features->add(Fire(512, 64, 256, 256));
        } else {
            m_features->add(conv2d(3, 64, 3, 2, 0, 1, true));
            m_features->add(torch::nn::ReLU());
            m_features->add(pool());
            stemEnd = 2;
            m_features->add(Fire(64, 16, 64, 64));
            m_features->add(Fire(128, 16, 64, 64));
            m_features->add(pool());
            m_features->add(Fire(128, 32, 128, 128));
            m_features->add(Fire(256, 32, 128, 128));
            m_features->add(pool());
            m_features->add(Fire(256, 48, 192, 192));
            m_features->add(Fire(384, 48, 192, 192));
            m_features->add(Fire(384, 64, 256, 256));
            m_features->add(Fire(512, 64, 256, 256));
        }
        auto finalConv = conv2d(512, options.numClasses, 1, 1, 0, 1, true);
        m_classifier = register_module("classifier", Seq());
        m_classifier->add(torch::nn::Dropout(0.5));
        m_classifier->add(finalConv);
        // Run by BackboneImpl::head() as functions; registered so the module
        // tree reads as torchvision's.
        m_classifier->add(torch::nn::ReLU());
        m_classifier->add(torch::nn::AdaptiveAvgPool2d(torch::nn::AdaptiveAvgPool2dOptions(1)));

        // torchvision's init: kaiming_uniform for convs, normal(0, 0.01) for the
        // final conv, zero biases.
        {
            torch::NoGradGuard noGrad;
            for (auto& m : modules(/*include_self=*/false)) {
                auto* conv = m->as<torch::nn::Conv2d>();
                if (!conv) continue;
                if (conv == finalConv.get())
                    torch::nn::init::normal_(conv->weight, 0.0, 0.01);
                else
                    torch::nn::init::kaiming_uniform_(conv->weight);
                torch::nn::init::zeros_(conv->bias);
            }
        }

        // Stages: the stem, then one per Fire module (a max pool joins the Fire after it).
        auto path = [](size_t i) { return "features." + std::to_string(i); };
        std::vector<Stage> stages;
        Stage stem{"stem", {}};
        for (size_t i = 0; i <= stemEnd; ++i) stem.modules.push_back(path(i));
        stages.push_back(stem);
        std::vector<std::string> pending;
        for (size_t i = stemEnd + 1; i < m_features->size(); ++i) {
            pending.push_back(path(i));
            if (std::dynamic_pointer_cast<FireImpl>(m_features->ptrAt(i))) {
                stages.push_back({path(i), pending});
                pending.clear();
            }
        }
        stages.push_back({"head", {"classifier.1"}});
        finishSetup(std::move(stages), "classifier.1", 512, options.numClasses, path(m_features->size() - 1));
    }

    /// (N, 512, H, W): the head is convolutional (see BackboneImpl::headIsConv()).
    torch::Tensor features(torch::Tensor x) override {
        return m_classifier->forwardRange(m_features->forward(x), 0, 1);
    }

private:
    Seq m_features{nullptr};
    Seq m_classifier{nullptr};
};

} // namespace

namespace families {

void addSqueezeNet(std::vector<RegistryEntry>& out) {
    const char* license = "BSD-3-Clause (torchvision); ImageNet weights for non-commercial research use per ImageNet terms";
    {
        ModelInfo info;
        info.name = "squeezenet1_0";
        info.family = "SqueezeNet";
        info.numParams = 1248424;
        info.gflops = 0.819;
        info.top1 = 58.092;
        info.top5 = 80.420;
        info.weightsUrl = "https://download.pytorch.org/models/squeezenet1_0-b66bff10.pth";
        info.license = license;
        info.paper = "Iandola et al., SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model "
                     "size, arXiv 2016";
        out.push_back({info, [](const CreateOptions& o) -> Backbone {
                           return std::make_shared<SqueezeNetImpl>(SqueezeVersion::V1_0, o);
                       }});
    }
    {
        ModelInfo info;
        info.name = "squeezenet1_1";
        info.family = "SqueezeNet";
        info.numParams = 1235496;
        info.gflops = 0.349;
        info.top1 = 58.178;
        info.top5 = 80.624;
        info.weightsUrl = "https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth";
        info.license = license;
        info.paper = "Iandola et al., SqueezeNet (v1.1, SqueezeNet repository), 2016";
        out.push_back({info, [](const CreateOptions& o) -> Backbone {
                           return std::make_shared<SqueezeNetImpl>(SqueezeVersion::V1_1, o);
                       }});
    }
}

} // namespace families
} // namespace ts::zoo
