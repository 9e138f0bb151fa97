// ShuffleNetV2 (torchvision.models.shufflenet_v2_x1_0).
#include "core/zoo/Families.h"
#include "core/zoo/Layers.h"

#include <torch/nn/modules/pooling.h>

#include <array>

namespace ts::zoo {
namespace {

// channel_shuffle(x, groups): (N, g*c, H, W) -> view (N, g, c, H, W), swap g and c.
torch::Tensor channelShuffle(const torch::Tensor& x, int64_t groups) {
    const auto n = x.size(0), channels = x.size(1), h = x.size(2), w = x.size(3);
    return x.view({n, groups, channels / groups, h, w}).transpose(1, 2).contiguous().view({n, -1, h, w});
}

// torchvision shufflenetv2.InvertedResidual: keys <block>.branch1.{0..4}
// (stride > 1 only) and <block>.branch2.{0..7}. torchvision leaves branch1
// an empty nn.Sequential when stride == 1; it holds no tensors, so it is not
// registered here.
class InvertedResidualImpl : public torch::nn::Module {
public:
    InvertedResidualImpl(int64_t inp, int64_t oup, int64_t stride) : m_stride(stride) {
        const int64_t branch = oup / 2;
        if (stride > 1) {
            Seq b1;
            b1->add(conv2d(inp, inp, 3, stride, 1, /*groups=*/inp));
            b1->add(batchNorm2d(inp));
            b1->add(conv2d(inp, branch, 1, 1, 0));
            b1->add(batchNorm2d(branch));
            b1->add(Activation(ActKind::ReLU));
            m_branch1 = register_module("branch1", b1);
        }
        Seq b2;
        b2->add(conv2d(stride > 1 ? inp : branch, branch, 1, 1, 0));
        b2->add(batchNorm2d(branch));
        b2->add(Activation(ActKind::ReLU));
        b2->add(conv2d(branch, branch, 3, stride, 1, /*groups=*/branch));
        b2->add(batchNorm2d(branch));
        b2->add(conv2d(branch, branch, 1, 1, 0));
        b2->add(batchNorm2d(branch));
        b2->add(Activation(ActKind::ReLU));
        m_branch2 = register_module("branch2", b2);
    }
    torch::Tensor forward(torch::Tensor x) {
        torch::Tensor out;
        if (m_stride == 1) {
            const auto halves = x.chunk(2, 1);
            out = at::cat({halves[0], tapped(*m_branch2, m_branch2->forward(halves[1]))}, 1);
        } else {
            out = at::cat({tapped(*m_branch1, m_branch1->forward(x)), tapped(*m_branch2, m_branch2->forward(x))}, 1);
        }
        return channelShuffle(out, 2);
    }

private:
    Seq m_branch1{nullptr};
    Seq m_branch2{nullptr};
    int64_t m_stride;
};
TORCH_MODULE(InvertedResidual);

class ShuffleNetV2Impl : public BackboneImpl {
public:
    ShuffleNetV2Impl(const std::string& arch, const std::array<int64_t, 3>& repeats,
                     const std::array<int64_t, 5>& channels, const CreateOptions& options)
        : BackboneImpl(arch) {
        Seq conv1;
        conv1->add(conv2d(3, channels[0], 3, 2, 1));
        conv1->add(batchNorm2d(channels[0]));
        conv1->add(Activation(ActKind::ReLU));
        m_conv1 = register_module("conv1", conv1);
        m_maxpool = register_module("maxpool", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1)));
        int64_t input = channels[0];
        for (size_t s = 0; s < 3; ++s) {
            Seq stage;
            stage->add(InvertedResidual(input, channels[s + 1], 2));
            for (int64_t i = 1; i < repeats[s]; ++i) stage->add(InvertedResidual(channels[s + 1], channels[s + 1], 1));
            m_stages[s] = register_module("stage" + std::to_string(s + 2), stage);
            input = channels[s + 1];
        }
        Seq conv5;
        conv5->add(conv2d(input, channels[4], 1, 1, 0));
        conv5->add(batchNorm2d(channels[4]));
        conv5->add(Activation(ActKind::ReLU));
        m_conv5 = register_module("conv5", conv5);
        m_fc = register_module("fc", torch::nn::Linear(channels[4], options.numClasses));
        // torchvision keeps PyTorch's default initialisation, as LibTorch does.

        finishSetup({{"stem (conv1, maxpool)", {"conv1", "maxpool"}},
                     {"stage2", {"stage2"}},
                     {"stage3", {"stage3"}},
                     {"stage4", {"stage4"}},
                     {"conv5", {"conv5"}},
                     {"head", {"fc"}}},
                    "fc", channels[4], options.numClasses, "conv5");
    }

    torch::Tensor features(torch::Tensor x) override {
        x = tapped(*m_conv1, m_conv1->forward(x));
        x = tapped(*m_maxpool, m_maxpool->forward(x));
        for (auto& stage : m_stages) x = tapped(*stage, stage->forward(x));
        x = tapped(*m_conv5, m_conv5->forward(x));
        return x.mean({2, 3});
    }

private:
    Seq m_conv1{nullptr};
    torch::nn::MaxPool2d m_maxpool{nullptr};
    std::array<Seq, 3> m_stages{Seq(nullptr), Seq(nullptr), Seq(nullptr)};
    Seq m_conv5{nullptr};
    torch::nn::Linear m_fc{nullptr};
};

} // namespace

namespace families {

void addShuffleNet(std::vector<RegistryEntry>& out) {
    ModelInfo info;
    info.name = "shufflenet_v2_x1_0";
    info.family = "ShuffleNet";
    info.numParams = 2278604;
    info.gflops = 0.14;
    info.inputSize = 224;
    info.resizeSize = 256;
    info.top1 = 69.362;
    info.top5 = 88.316;
    info.weightsUrl = "https://download.pytorch.org/models/shufflenetv2_x1-5666bf0f80.pth";
    info.license = "BSD-3-Clause (torchvision); weights ported from ericsun99/Shufflenet-v2-Pytorch, ImageNet "
                   "terms (non-commercial research use)";
    info.paper = "Ma et al., ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design, ECCV 2018";
    out.push_back({info, [](const CreateOptions& o) -> Backbone {
                       return std::make_shared<ShuffleNetV2Impl>("shufflenet_v2_x1_0", std::array<int64_t, 3>{4, 8, 4},
                                                                 std::array<int64_t, 5>{24, 116, 232, 464, 1024}, o);
                   }});
}

} // namespace families
} // namespace ts::zoo
