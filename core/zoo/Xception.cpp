// Xception (Chollet, 2017) as timm's `legacy_xception` builds it: the Keras
// Applications network ported to PyTorch by Cadene, with timm's parameter and
// buffer names (conv1/bn1, conv2/bn2, block1..block12 with rep.* / skip /
// skipbn, conv3/bn3 and conv4/bn4 as separable convolutions, fc), so timm's
// weights load with the strict key check. Native input 299x299.
#include "core/zoo/Families.h"
#include "core/zoo/Layers.h"
#include "core/zoo/RunTapped.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/pooling.h>

namespace ts::zoo {
namespace {

// timm's SeparableConv2d: a depthwise conv named "conv1" (groups = in,
// no bias), then a 1x1 "pointwise" conv (no bias). Both outputs are tapped.
class SeparableConv2dImpl : public torch::nn::Module {
public:
    SeparableConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding) {
        m_depthwise = register_module("conv1", conv2d(in, in, kernel, stride, padding, /*groups=*/in));
        m_pointwise = register_module("pointwise", conv2d(in, out, 1, 1, 0));
    }
    torch::Tensor forward(torch::Tensor x) { return runTapped(m_pointwise, runTapped(m_depthwise, std::move(x))); }

private:
    torch::nn::Conv2d m_depthwise{nullptr};
    torch::nn::Conv2d m_pointwise{nullptr};
};
TORCH_MODULE(SeparableConv2d);

// timm's Block: `reps` times (ReLU, SeparableConv2d 3x3, BatchNorm) in "rep"
// (without the first ReLU when !startWithRelu), a 3x3 max pool of stride
// `stride` (padding 1) after them when stride != 1; the channels grow in the
// first repetition (growFirst) or the last. The shortcut is a strided 1x1
// conv + BatchNorm ("skip", "skipbn") when the shape changes, else identity.
// The first ReLU never overwrites the block's input, which the shortcut
// still needs (Seq runs ReLUs in place only on its own intermediates).
class BlockImpl : public torch::nn::Module {
public:
    BlockImpl(int64_t in, int64_t out, int64_t reps, int64_t stride, bool startWithRelu, bool growFirst) {
        if (out != in || stride != 1) {
            m_skip = register_module("skip", conv2d(in, out, 1, stride, 0));
            m_skipBn = register_module("skipbn", batchNorm2d(out));
        }
        m_rep = register_module("rep", Seq());
        for (int64_t i = 0; i < reps; ++i) {
            const int64_t inc = growFirst ? (i == 0 ? in : out) : in;
            const int64_t outc = growFirst ? out : (i < reps - 1 ? in : out);
            if (i > 0 || startWithRelu) m_rep->add(torch::nn::ReLU());
            m_rep->add(SeparableConv2d(inc, outc, 3, 1, 1));
            m_rep->add(batchNorm2d(outc));
        }
        if (stride != 1) m_rep->add(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(stride).padding(1)));
    }
    torch::Tensor forward(torch::Tensor x) {
        torch::Tensor y = runTapped(m_rep, x);
        if (m_skip) return y + runTapped(m_skipBn, runTapped(m_skip, x));
        return y + x;
    }

private:
    Seq m_rep{nullptr};
    torch::nn::Conv2d m_skip{nullptr};
    torch::nn::BatchNorm2d m_skipBn{nullptr};
};
TORCH_MODULE(Block);

class XceptionImpl : public BackboneImpl {
public:
    explicit XceptionImpl(const CreateOptions& options) : BackboneImpl("xception") {
        // Entry flow stem: two unpadded 3x3 convs (the first of stride 2).
        m_conv1 = register_module("conv1", conv2d(3, 32, 3, 2, 0));
        m_bn1 = register_module("bn1", batchNorm2d(32));
        m_act1 = register_module("act1", Activation(ActKind::ReLU));
        m_conv2 = register_module("conv2", conv2d(32, 64, 3, 1, 0));
        m_bn2 = register_module("bn2", batchNorm2d(64));
        m_act2 = register_module("act2", Activation(ActKind::ReLU));
        // Entry flow (block1-3), middle flow (block4-11), exit flow (block12).
        addBlock(64, 128, 2, 2, /*startWithRelu=*/false, true);
        addBlock(128, 256, 2, 2, true, true);
        addBlock(256, 728, 2, 2, true, true);
        for (int i = 4; i <= 11; ++i) addBlock(728, 728, 3, 1, true, true);
        addBlock(728, 1024, 2, 2, true, /*growFirst=*/false);
        m_conv3 = register_module("conv3", SeparableConv2d(1024, 1536, 3, 1, 1));
        m_bn3 = register_module("bn3", batchNorm2d(1536));
        m_act3 = register_module("act3", Activation(ActKind::ReLU));
        m_conv4 = register_module("conv4", SeparableConv2d(1536, 2048, 3, 1, 1));
        m_bn4 = register_module("bn4", batchNorm2d(2048));
        m_act4 = register_module("act4", Activation(ActKind::ReLU));
        m_fc = register_module("fc", torch::nn::Linear(2048, options.numClasses));

        // timm: convs kaiming_normal(fan_out, relu), BatchNorm 1/0; the
        // Linear keeps PyTorch's default initialisation.
        {
            torch::NoGradGuard noGrad;
            for (auto& m : modules(/*include_self=*/false)) {
                if (auto* conv = m->as<torch::nn::Conv2d>()) {
                    torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
                } else if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
                    bn->weight.fill_(1.0);
                    bn->bias.zero_();
                }
            }
        }

        auto blocks = [](int first, int last) {
            std::vector<std::string> names;
            for (int i = first; i <= last; ++i) names.push_back("block" + std::to_string(i));
            return names;
        };
        std::vector<Stage> stages = {
            {"stem", {"conv1", "bn1", "act1", "conv2", "bn2", "act2"}},
            {"entry flow", blocks(1, 3)},
            {"middle flow", blocks(4, 11)},
            {"exit flow", {"block12", "conv3", "bn3", "act3", "conv4", "bn4", "act4"}},
            {"head", {"fc"}},
        };
        finishSetup(std::move(stages), "fc", 2048, options.numClasses, "act4");
    }

    torch::Tensor features(torch::Tensor x) override {
        x = runTapped(m_act1, runTapped(m_bn1, runTapped(m_conv1, x)));
        x = runTapped(m_act2, runTapped(m_bn2, runTapped(m_conv2, x)));
        for (auto& block : m_blocks) x = runTapped(block, x);
        x = runTapped(m_act3, runTapped(m_bn3, runTapped(m_conv3, x)));
        x = runTapped(m_act4, runTapped(m_bn4, runTapped(m_conv4, x)));
        return globalAvgPool(x);
    }

private:
    void addBlock(int64_t in, int64_t out, int64_t reps, int64_t stride, bool startWithRelu, bool growFirst) {
        const std::string name = "block" + std::to_string(m_blocks.size() + 1);
        m_blocks.push_back(register_module(name, Block(in, out, reps, stride, startWithRelu, growFirst)));
    }

    torch::nn::Conv2d m_conv1{nullptr}, m_conv2{nullptr};
    torch::nn::BatchNorm2d m_bn1{nullptr}, m_bn2{nullptr}, m_bn3{nullptr}, m_bn4{nullptr};
    Activation m_act1{nullptr}, m_act2{nullptr}, m_act3{nullptr}, m_act4{nullptr};
    std::vector<Block> m_blocks;
    SeparableConv2d m_conv3{nullptr}, m_conv4{nullptr};
    torch::nn::Linear m_fc{nullptr};
};

} // namespace

namespace families {

void addXception(std::vector<RegistryEntry>& out) {
    ModelInfo info;
    info.name = "xception";
    info.family = "Xception";
    info.numParams = 22855952;
    info.gflops = 8.357;
    info.inputSize = 299;
    // timm's default config: crop_pct 0.8975 (299 / 0.8975 = 333), bicubic, mean = std = 0.5.
    info.resizeSize = 333;
    info.interpolation = Interpolation::Bicubic;
    info.mean = {0.5f, 0.5f, 0.5f};
    info.std = {0.5f, 0.5f, 0.5f};
    // timm's legacy_xception weights (its source's docstring: Prec@1 78.892, Prec@5 94.292).
    info.top1 = 78.892;
    info.top5 = 94.292;
    // The release file timm's pretrained config names. Whether "43020ad28"
    // is the SHA-256 prefix of the file (torch.hub's convention, which the
    // download and the cache check apply) is not stated by timm.
    info.weightsUrl = "https://github.com/huggingface/pytorch-image-models/releases/download/v0.1-cadene/"
                      "xception-43020ad28.pth";
    info.license = "Apache-2.0 (timm's code); third-party weights: Keras Applications' Xception ported to PyTorch by "
                   "Cadene, distributed by timm; ImageNet weights for non-commercial research use per ImageNet terms";
    info.paper = "Chollet, Xception: Deep Learning with Depthwise Separable Convolutions, CVPR 2017";
    out.push_back({info, [](const CreateOptions& o) -> Backbone { return std::make_shared<XceptionImpl>(o); }});
}

} // namespace families
} // namespace ts::zoo
