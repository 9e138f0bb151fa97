// Inception v3 (torchvision.models.inception_v3) as torchvision builds it for
// its official weights: transform_input on, AuxLogits not built (its keys in
// the official file are skipped, ModelInfo::ignoredKeyPrefixes). Native input
// 299x299 (resize 342).
#include "core/zoo/BasicConv2d.h"
#include "core/zoo/Families.h"
#include "core/zoo/Layers.h"
#include "core/zoo/TruncNormal.h"

#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/pooling.h>

namespace ts::zoo {
namespace {

// Every Inception block registers BasicConv2d children by torchvision's names
// and runs them through conv(), which taps their outputs.
class MixedBlock : public torch::nn::Module {
protected:
    BasicConv2d& conv(const std::string& name, int64_t in, int64_t out, std::array<int64_t, 2> kernel,
                      int64_t stride = 1, std::array<int64_t, 2> padding = {0, 0}) {
        return m_convs.emplace(name, register_module(name, BasicConv2d(in, out, kernel, stride, padding)))
            .first->second;
    }
    BasicConv2d& conv(const std::string& name, int64_t in, int64_t out, int64_t kernel, int64_t stride = 1,
                      int64_t padding = 0) {
        return conv(name, in, out, {kernel, kernel}, stride, {padding, padding});
    }
    torch::Tensor run(const std::string& name, const torch::Tensor& x) { return runTapped(m_convs.at(name), x); }
    static torch::Tensor avgPool3(const torch::Tensor& x) { return at::avg_pool2d(x, {3, 3}, {1, 1}, {1, 1}); }
    static torch::Tensor maxPool3s2(const torch::Tensor& x) { return at::max_pool2d(x, {3, 3}, {2, 2}); }

private:
    std::map<std::string, BasicConv2d> m_convs;
};

class InceptionAImpl : public MixedBlock {
public:
    InceptionAImpl(int64_t in, int64_t poolFeatures) {
        conv("branch1x1", in, 64, 1);
        conv("branch5x5_1", in, 48, 1);
        conv("branch5x5_2", 48, 64, 5, 1, 2);
        conv("branch3x3dbl_1", in, 64, 1);
        conv("branch3x3dbl_2", 64, 96, 3, 1, 1);
        conv("branch3x3dbl_3", 96, 96, 3, 1, 1);
        conv("branch_pool", in, poolFeatures, 1);
    }
    torch::Tensor forward(torch::Tensor x) {
        const auto b1 = run("branch1x1", x);
        const auto b5 = run("branch5x5_2", run("branch5x5_1", x));
        const auto b3 = run("branch3x3dbl_3", run("branch3x3dbl_2", run("branch3x3dbl_1", x)));
        const auto bp = run("branch_pool", avgPool3(x));
        return at::cat({b1, b5, b3, bp}, 1);
    }
};
TORCH_MODULE(InceptionA);

class InceptionBImpl : public MixedBlock {
public:
    explicit InceptionBImpl(int64_t in) {
        conv("branch3x3", in, 384, 3, 2);
        conv("branch3x3dbl_1", in, 64, 1);
        conv("branch3x3dbl_2", 64, 96, 3, 1, 1);
        conv("branch3x3dbl_3", 96, 96, 3, 2);
    }
    torch::Tensor forward(torch::Tensor x) {
        const auto b3 = run("branch3x3", x);
        const auto bd = run("branch3x3dbl_3", run("branch3x3dbl_2", run("branch3x3dbl_1", x)));
        return at::cat({b3, bd, maxPool3s2(x)}, 1);
    }
};
TORCH_MODULE(InceptionB);

class InceptionCImpl : public MixedBlock {
public:
    InceptionCImpl(int64_t in, int64_t c7) {
        conv("branch1x1", in, 192, 1);
        conv("branch7x7_1", in, c7, 1);
        conv("branch7x7_2", c7, c7, {1, 7}, 1, {0, 3});
        conv("branch7x7_3", c7, 192, {7, 1}, 1, {3, 0});
        conv("branch7x7dbl_1", in, c7, 1);
        conv("branch7x7dbl_2", c7, c7, {7, 1}, 1, {3, 0});
        conv("branch7x7dbl_3", c7, c7, {1, 7}, 1, {0, 3});
        conv("branch7x7dbl_4", c7, c7, {7, 1}, 1, {3, 0});
        conv("branch7x7dbl_5", c7, 192, {1, 7}, 1, {0, 3});
        conv("branch_pool", in, 192, 1);
    }
    torch::Tensor forward(torch::Tensor x) {
        const auto b1 = run("branch1x1", x);
        const auto b7 = run("branch7x7_3", run("branch7x7_2", run("branch7x7_1", x)));
        auto bd = run("branch7x7dbl_1", x);
        for (const char* name : {"branch7x7dbl_2", "branch7x7dbl_3", "branch7x7dbl_4", "branch7x7dbl_5"})
            bd = run(name, bd);
        const auto bp = run("branch_pool", avgPool3(x));
        return at::cat({b1, b7, bd, bp}, 1);
    }
};
TORCH_MODULE(InceptionC);

class InceptionDImpl : public MixedBlock {
public:
    explicit InceptionDImpl(int64_t in) {
        conv("branch3x3_1", in, 192, 1);
        conv("branch3x3_2", 192, 320, 3, 2);
        conv("branch7x7x3_1", in, 192, 1);
        conv("branch7x7x3_2", 192, 192, {1, 7}, 1, {0, 3});
        conv("branch7x7x3_3", 192, 192, {7, 1}, 1, {3, 0});
        conv("branch7x7x3_4", 192, 192, 3, 2);
    }
    torch::Tensor forward(torch::Tensor x) {
        const auto b3 = run("branch3x3_2", run("branch3x3_1", x));
        auto b7 = run("branch7x7x3_1", x);
        for (const char* name : {"branch7x7x3_2", "branch7x7x3_3", "branch7x7x3_4"}) b7 = run(name, b7);
        return at::cat({b3, b7, maxPool3s2(x)}, 1);
    }
};
TORCH_MODULE(InceptionD);

class InceptionEImpl : public MixedBlock {
public:
    explicit InceptionEImpl(int64_t in) {
        conv("branch1x1", in, 320, 1);
        conv("branch3x3_1", in, 384, 1);
        conv("branch3x3_2a", 384, 384, {1, 3}, 1, {0, 1});
        conv("branch3x3_2b", 384, 384, {3, 1}, 1, {1, 0});
        conv("branch3x3dbl_1", in, 448, 1);
        conv("branch3x3dbl_2", 448, 384, 3, 1, 1);
        conv("branch3x3dbl_3a", 384, 384, {1, 3}, 1, {0, 1});
        conv("branch3x3dbl_3b", 384, 384, {3, 1}, 1, {1, 0});
        conv("branch_pool", in, 192, 1);
    }
    torch::Tensor forward(torch::Tensor x) {
        const auto b1 = run("branch1x1", x);
        const auto b3 = run("branch3x3_1", x);
        const auto b3cat = at::cat({run("branch3x3_2a", b3), run("branch3x3_2b", b3)}, 1);
        const auto bd = run("branch3x3dbl_2", run("branch3x3dbl_1", x));
        const auto bdcat = at::cat({run("branch3x3dbl_3a", bd), run("branch3x3dbl_3b", bd)}, 1);
        const auto bp = run("branch_pool", avgPool3(x));
        return at::cat({b1, b3cat, bdcat, bp}, 1);
    }
};
TORCH_MODULE(InceptionE);

// ImageNet normalisation -> the (x - 0.5) / 0.5 normalisation of the original weights.
torch::Tensor transformInput(const torch::Tensor& x) {
    const double mean[3] = {0.485, 0.456, 0.406};
    const double std[3] = {0.229, 0.224, 0.225};
    std::vector<torch::Tensor> channels;
    for (int64_t c = 0; c < 3; ++c)
        channels.push_back(x.select(1, c).unsqueeze(1) * (std[c] / 0.5) + (mean[c] - 0.5) / 0.5);
    return at::cat(channels, 1);
}

class InceptionV3Impl : public BackboneImpl {
public:
    explicit InceptionV3Impl(const CreateOptions& options)
        : BackboneImpl("inception_v3"), m_transformInput(options.transformInput) {
        auto pool = [] { return torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2)); };
        add("Conv2d_1a_3x3", BasicConv2d(3, 32, 3, 2));
        add("Conv2d_2a_3x3", BasicConv2d(32, 32, 3));
        add("Conv2d_2b_3x3", BasicConv2d(32, 64, 3, 1, 1));
        add("maxpool1", pool());
        add("Conv2d_3b_1x1", BasicConv2d(64, 80, 1));
        add("Conv2d_4a_3x3", BasicConv2d(80, 192, 3));
        add("maxpool2", pool());
        add("Mixed_5b", InceptionA(192, 32));
        add("Mixed_5c", InceptionA(256, 64));
        add("Mixed_5d", InceptionA(288, 64));
        add("Mixed_6a", InceptionB(288));
        add("Mixed_6b", InceptionC(768, 128));
        add("Mixed_6c", InceptionC(768, 160));
        add("Mixed_6d", InceptionC(768, 160));
        add("Mixed_6e", InceptionC(768, 192));
        add("Mixed_7a", InceptionD(768));
        add("Mixed_7b", InceptionE(1280));
        add("Mixed_7c", InceptionE(2048));
        m_dropout = register_module("dropout", torch::nn::Dropout(0.5));
        m_fc = register_module("fc", torch::nn::Linear(2048, options.numClasses));

        // torchvision (init_weights=True): conv and Linear weights
        // trunc_normal(0, 0.1, [-2, 2]) (the 0.01/0.001 overrides belong to
        // AuxLogits, not built), BN 1/0; biases keep their defaults.
        {
            torch::NoGradGuard noGrad;
            for (auto& m : modules(/*include_self=*/false)) {
                if (auto* conv = m->as<torch::nn::Conv2d>()) {
                    truncNormal_(conv->weight, 0.0, 0.1, -2.0, 2.0);
                } else if (auto* lin = m->as<torch::nn::Linear>()) {
                    truncNormal_(lin->weight, 0.0, 0.1, -2.0, 2.0);
                } else if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
                    bn->weight.fill_(1.0);
                    bn->bias.zero_();
                }
            }
        }

        std::vector<Stage> stages;
        Stage stem{"stem", {}};
        for (const auto& [name, module] : m_body) {
            if (name.rfind("Mixed_", 0) == 0)
                stages.push_back({name, {name}});
            else
                stem.modules.push_back(name);
        }
        stages.insert(stages.begin(), stem);
        stages.push_back({"head", {"fc"}});
        finishSetup(std::move(stages), "fc", 2048, options.numClasses, "Mixed_7c");
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
    std::vector<std::pair<std::string, torch::nn::AnyModule>> m_body;  // Conv2d_1a_3x3 .. Mixed_7c
    torch::nn::Dropout m_dropout{nullptr};
    torch::nn::Linear m_fc{nullptr};
};

} // namespace

namespace families {

void addInception(std::vector<RegistryEntry>& out) {
    ModelInfo info;
    info.name = "inception_v3";
    info.family = "Inception";
    // torchvision's meta says 27161264, which counts AuxLogits (3326696
    // parameters); the model as built here and used after loading has:
    info.numParams = 23834568;
    info.gflops = 5.713;
    info.inputSize = 299;
    info.resizeSize = 342;
    info.top1 = 77.294;
    info.top5 = 93.450;
    info.weightsUrl = "https://download.pytorch.org/models/inception_v3_google-0cc3c7bd.pth";
    info.license = "BSD-3-Clause (torchvision); weights ported from TensorFlow's Inception v3; ImageNet weights for "
                   "non-commercial research use per ImageNet terms";
    info.paper = "Szegedy et al., Rethinking the Inception Architecture for Computer Vision, CVPR 2016";
    info.ignoredKeyPrefixes = {"AuxLogits."};
    out.push_back({info, [](const CreateOptions& o) -> Backbone { return std::make_shared<InceptionV3Impl>(o); }});
}

} // namespace families
} // namespace ts::zoo
