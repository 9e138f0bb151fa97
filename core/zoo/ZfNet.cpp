// ZFNet (Zeiler & Fergus, 2013) in the layout of pytorchcv's `zfnet`, whose
// ImageNet weights are the only public ones: pytorchcv's AlexNet class with
// ZFNet's first layers (7x7 stride 2, then 5x5 stride 2), local response
// normalisation after the first two convolutions and max pools with
// ceil_mode. Keys features.stageS.unitU.conv.{weight,bias},
// output.fc1.fc / output.fc2.fc / output.fc3.{weight,bias}.
#include "core/zoo/Families.h"
#include "core/zoo/Layers.h"
#include "core/zoo/RunTapped.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/pooling.h>

namespace ts::zoo {
namespace {

// torch.nn.functional.local_response_norm(x, size=5, alpha=1e-4, beta=0.75,
// k=2), as pytorchcv calls it: x / (k + alpha * mean of x^2 over `size`
// neighbouring channels, zero-padded)^beta. The mean is an average pool over
// the channel axis of an (N, 1, C, H*W) view, which also exports to ONNX and
// OpenCV as plain pooling.
torch::Tensor localResponseNorm(const torch::Tensor& x) {
    constexpr int64_t kSize = 5;
    const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    const torch::Tensor squares = (x * x).reshape({n, 1, c, h * w});
    const torch::Tensor mean = at::avg_pool2d(squares, {kSize, 1}, {1, 1}, {kSize / 2, 0}, /*ceil_mode=*/false,
                                              /*count_include_pad=*/true)
                                   .reshape({n, c, h, w});
    return x / (mean * 1e-4 + 2.0).pow(0.75);
}

// pytorchcv's AlexConv: "conv" (with bias), ReLU ("activ", no parameters),
// then LRN in the first two stages.
class AlexConvImpl : public torch::nn::Module {
public:
    AlexConvImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding, bool lrn) : m_lrn(lrn) {
        m_conv = register_module("conv", conv2d(in, out, kernel, stride, padding, 1, /*bias=*/true));
        m_activ = register_module("activ", Activation(ActKind::ReLU));
    }
    torch::Tensor forward(torch::Tensor x) {
        x = runTapped(m_activ, runTapped(m_conv, std::move(x)));
        return m_lrn ? localResponseNorm(x) : x;
    }

private:
    torch::nn::Conv2d m_conv{nullptr};
    Activation m_activ{nullptr};
    bool m_lrn;
};
TORCH_MODULE(AlexConv);

// pytorchcv's AlexDense: "fc" Linear, ReLU ("activ"), Dropout(0.5) ("dropout").
class AlexDenseImpl : public torch::nn::Module {
public:
    AlexDenseImpl(int64_t in, int64_t out) {
        m_fc = register_module("fc", torch::nn::Linear(in, out));
        m_activ = register_module("activ", Activation(ActKind::ReLU));
        m_dropout = register_module("dropout", torch::nn::Dropout(0.5));
    }
    torch::Tensor forward(torch::Tensor x) {
        return runTapped(m_dropout, runTapped(m_activ, runTapped(m_fc, std::move(x))));
    }

private:
    torch::nn::Linear m_fc{nullptr};
    Activation m_activ{nullptr};
    torch::nn::Dropout m_dropout{nullptr};
};
TORCH_MODULE(AlexDense);

// pytorchcv's AlexOutputBlock: fc1, fc2 (AlexDense), fc3 (the classifier).
class OutputBlockImpl : public torch::nn::Module {
public:
    OutputBlockImpl(int64_t in, int64_t classes) {
        m_fc1 = register_module("fc1", AlexDense(in, 4096));
        m_fc2 = register_module("fc2", AlexDense(4096, 4096));
        register_module("fc3", torch::nn::Linear(4096, classes));
    }
    /// Everything before fc3 (the backbone's head).
    torch::Tensor beforeHead(torch::Tensor x) { return runTapped(m_fc2, runTapped(m_fc1, std::move(x))); }

private:
    AlexDense m_fc1{nullptr};
    AlexDense m_fc2{nullptr};
};
TORCH_MODULE(OutputBlock);

class ZfNetImpl : public BackboneImpl {
public:
    explicit ZfNetImpl(const CreateOptions& options) : BackboneImpl("zfnet") {
        // pytorchcv get_zfnet(version "a"): channels, kernels, strides, paddings per stage.
        struct Unit {
            int64_t out, kernel, stride, padding;
        };
        const std::vector<std::vector<Unit>> stages = {
            {{96, 7, 2, 1}}, {{256, 5, 2, 0}}, {{384, 3, 1, 1}, {384, 3, 1, 1}, {256, 3, 1, 1}}};
        m_features = register_module("features", Seq());
        int64_t in = 3;
        std::vector<Stage> stageList;
        for (size_t s = 0; s < stages.size(); ++s) {
            Seq stage;
            for (size_t u = 0; u < stages[s].size(); ++u) {
                const Unit& unit = stages[s][u];
                stage->add("unit" + std::to_string(u + 1),
                           AlexConv(in, unit.out, unit.kernel, unit.stride, unit.padding, /*lrn=*/s < 2));
                in = unit.out;
            }
            stage->add("pool" + std::to_string(s + 1),
                       torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(0).ceil_mode(true)));
            const std::string name = "stage" + std::to_string(s + 1);
            m_features->add(name, stage);
            stageList.push_back({s == 0 ? "stem (features.stage1)" : "features." + name, {"features." + name}});
        }
        m_output = register_module("output", OutputBlock(in * 6 * 6, options.numClasses));
        stageList.push_back({"classifier", {"output.fc1", "output.fc2"}});
        stageList.push_back({"head", {"output.fc3"}});

        // pytorchcv: convs kaiming_uniform (a = 0) with zero bias; the
        // Linears keep PyTorch's default initialisation.
        {
            torch::NoGradGuard noGrad;
            for (auto& m : modules(/*include_self=*/false))
                if (auto* conv = m->as<torch::nn::Conv2d>()) {
                    torch::nn::init::kaiming_uniform_(conv->weight, 0.0);
                    conv->bias.zero_();
                }
        }
        finishSetup(std::move(stageList), "output.fc3", 4096, options.numClasses, "features.stage3.unit3");
    }

    torch::Tensor features(torch::Tensor x) override {
        x = m_features->forward(x);
        // 6x6 at the native 224 px (pytorchcv flattens it as is); other sizes
        // are pooled to 6x6 as torchvision's AlexNet does.
        if (x.size(2) != 6 || x.size(3) != 6) x = at::adaptive_avg_pool2d(x, {6, 6});
        return m_output->beforeHead(x.flatten(1));
    }

private:
    Seq m_features{nullptr};
    OutputBlock m_output{nullptr};
};

} // namespace

namespace families {

void addZfNet(std::vector<RegistryEntry>& out) {
    ModelInfo info;
    info.name = "zfnet";
    info.family = "ZFNet";
    info.numParams = 62357608;
    info.gflops = 1.168;
    // pytorchcv's evaluation: 224 px centre crop of a 256 px resize (crop
    // ratio 0.875), bilinear, ImageNet mean and std.
    info.inputSize = 224;
    info.resizeSize = 256;
    // pytorchcv's table for zfnet-1727-d010ddca: top-1 error 39.79, top-5 error 17.27.
    info.top1 = 60.21;
    info.top5 = 82.73;
    // pytorchcv publishes the weights as a zip holding the .pth, named after
    // a SHA-1 prefix (not the SHA-256 that torch.hub's names carry), so the
    // download and cache path does not apply: unzip it and pass the .pth.
    info.weightsUrl = "";
    info.license = "third-party: pytorchcv (osmr/imgclsmob, MIT licence); weights "
                   "https://github.com/osmr/imgclsmob/releases/download/v0.0.395/zfnet-1727-d010ddca.pth.zip "
                   "(unzip, then --weights zfnet-1727-d010ddca.pth); ImageNet weights for non-commercial research "
                   "use per ImageNet terms";
    info.paper = "Zeiler & Fergus, Visualizing and Understanding Convolutional Networks, ECCV 2014 (arXiv 2013)";
    out.push_back({info, [](const CreateOptions& o) -> Backbone { return std::make_shared<ZfNetImpl>(o); }});
}

} // namespace families
} // namespace ts::zoo
