// GoogLeNet (Inception v1, torchvision.models.googlenet) as torchvision builds
// it for its official weights: transform_input on, auxiliary classifiers
// (aux1, aux2) not built; their keys in the official file are skipped
// (ModelInfo::ignoredKeyPrefixes).
#include "core/zoo/BasicConv2d.h"
#include "core/zoo/Families.h"
#include "core/zoo/Layers.h"
#include "core/zoo/TruncNormal.h"

#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/pooling.h>

namespace ts::zoo {
namespace {

torch::nn::MaxPool2d ceilPool(int64_t k, int64_t stride, int64_t padding = 0) {
    return torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(k).stride(stride).padding(padding).ceil_mode(true));
}

// torchvision googlenet.Inception: branch1 (BasicConv2d), branch2..4 (Sequential).
class InceptionModuleImpl : public torch::nn::Module {
public:
    InceptionModuleImpl(int64_t in, int64_t ch1x1, int64_t ch3x3red, int64_t ch3x3, int64_t ch5x5red, int64_t ch5x5,
                        int64_t poolProj) {
        m_branch1 = register_module("branch1", BasicConv2d(in, ch1x1, 1));
        m_branch2 = register_module("branch2", Seq());
        m_branch2->add(BasicConv2d(in, ch3x3red, 1));
        m_branch2->add(BasicConv2d(ch3x3red, ch3x3, 3, 1, 1));
        m_branch3 = register_module("branch3", Seq());
        m_branch3->add(BasicConv2d(in, ch5x5red, 1));
        // kernel_size=3 instead of 5: torchvision's known bug (pytorch/vision#906), kept for its weights.
        m_branch3->add(BasicConv2d(ch5x5red, ch5x5, 3, 1, 1));
        m_branch4 = register_module("branch4", Seq());
        m_branch4->add(ceilPool(3, 1, 1));
        m_branch4->add(BasicConv2d(in, poolProj, 1));
    }
    torch::Tensor forward(torch::Tensor x) {
        return at::cat({runTapped(m_branch1, x), runTapped(m_branch2, x), runTapped(m_branch3, x),
                        runTapped(m_branch4, x)},
                       1);
    }

private:
    BasicConv2d m_branch1{nullptr};
    Seq m_branch2{nullptr}, m_branch3{nullptr}, m_branch4{nullptr};
};
TORCH_MODULE(InceptionModule);

// ImageNet normalisation -> the (x - 0.5) / 0.5 normalisation of the original weights.
torch::Tensor transformInput(const torch::Tensor& x) {
    const double mean[3] = {0.485, 0.456, 0.406};
    const double std[3] = {0.229, 0.224, 0.225};
    std::vector<torch::Tensor> channels;
    for (int64_t c = 0; c < 3; ++c)
        channels.push_back(x.select(1, c).unsqueeze(1) * (std[c] / 0.5) + (mean[c] - 0.5) / 0.5);
    return at::cat(channels, 1);
}

class GoogLeNetImpl : public BackboneImpl {
public:
    explicit GoogLeNetImpl(const CreateOptions& options)
        : BackboneImpl("googlenet"), m_transformInput(options.transformInput) {
        add("conv1", BasicConv2d(3, 64, 7, 2, 3));
        add("maxpool1", ceilPool(3, 2));
        add("conv2", BasicConv2d(64, 64, 1));
        add("conv3", BasicConv2d(64, 192, 3, 1, 1));
        add("maxpool2", ceilPool(3, 2));
        add("inception3a", InceptionModule(192, 64, 96, 128, 16, 32, 32));
        add("inception3b", InceptionModule(256, 128, 128, 192, 32, 96, 64));
        add("maxpool3", ceilPool(3, 2));
        add("inception4a", InceptionModule(480, 192, 96, 208, 16, 48, 64));
        add("inception4b", InceptionModule(512, 160, 112, 224, 24, 64, 64));
        add("inception4c", InceptionModule(512, 128, 128, 256, 24, 64, 64));
        add("inception4d", InceptionModule(512, 112, 144, 288, 32, 64, 64));
        add("inception4e", InceptionModule(528, 256, 160, 320, 32, 128, 128));
        add("maxpool4", ceilPool(2, 2));
        add("inception5a", InceptionModule(832, 256, 160, 320, 32, 128, 128));
        add("inception5b", InceptionModule(832, 384, 192, 384, 48, 128, 128));
        m_dropout = register_module("dropout", torch::nn::Dropout(0.2));
        m_fc = register_module("fc", torch::nn::Linear(1024, options.numClasses));

        // torchvision (init_weights=True): conv and Linear weights
        // trunc_normal(0, 0.01, [-2, 2]), BN 1/0; biases keep their defaults.
        {
            torch::NoGradGuard noGrad;
            for (auto& m : modules(/*include_self=*/false)) {
                if (auto* conv = m->as<torch::nn::Conv2d>()) {
                    truncNormal_(conv->weight, 0.0, 0.01, -2.0, 2.0);
                } else if (auto* lin = m->as<torch::nn::Linear>()) {
                    truncNormal_(lin->weight, 0.0, 0.01, -2.0, 2.0);
                } else if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
                    bn->weight.fill_(1.0);
                    bn->bias.zero_();
                }
            }
        }

        // Stages: the stem, then one per Inception module (a max pool joins the module after it).
        std::vector<Stage> stages;
        Stage current{"stem", {}};
        for (const auto& [name, module] : m_body) {
            current.modules.push_back(name);
            if (name == "maxpool2" || name.rfind("inception", 0) == 0) {
                stages.push_back(current);
                current = Stage{"", {}};
                continue;
            }
            if (current.name.empty()) current.name = name;
        }
        for (auto& s : stages)
            if (s.name != "stem") s.name = s.modules.back();
        stages.push_back({"head", {"fc"}});
        finishSetup(std::move(stages), "fc", 1024, options.numClasses, "inception5b");
    }

    torch::Tensor features(torch::Tensor x) override {
        if (m_transformInput) x = transformInput(x);
        for (auto& [name, module] : m_body) x = tapped(*module.ptr(), module.forward(x));
        return runTapped(m_dropout, globalAvgPool(x));
    }

private:
    template <typename Holder>
    void add(const std::string& name, Holder module) {
        m_body.emplace_back(name, torch::nn::AnyModule(register_module(name, std::move(module))));
    }

    bool m_transformInput;
    std::vector<std::pair<std::string, torch::nn::AnyModule>> m_body;  // conv1 .. inception5b
    torch::nn::Dropout m_dropout{nullptr};
    torch::nn::Linear m_fc{nullptr};
};

} // namespace

namespace families {

void addGoogLeNet(std::vector<RegistryEntry>& out) {
    ModelInfo info = torchvisionInfo("googlenet", "GoogLeNet", 6624904, 1.498,
                                     69.778, 89.530, "https://download.pytorch.org/models/googlenet-1378be20.pth",
                                     "Szegedy et al., Going Deeper with Convolutions, CVPR 2015");
    info.ignoredKeyPrefixes = {"aux1.", "aux2."};
    out.push_back({info, [](const CreateOptions& o) -> Backbone { return std::make_shared<GoogLeNetImpl>(o); }});
}

} // namespace families
} // namespace ts::zoo
