#pragma once
// Private to core/zoo: the BasicConv2d block of torchvision's GoogLeNet and
// Inception v3 (Conv2d without bias, BatchNorm2d eps 0.001, ReLU); keys
// <name>.conv.weight, <name>.bn.{weight,bias,running_mean,running_var}.
// The conv output is tapped here; callers tap the block's output.
#include "core/zoo/Layers.h"
#include "core/zoo/RunTapped.h"

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

#include <array>

namespace ts::zoo {

class BasicConv2dImpl : public torch::nn::Module {
public:
    /// kernel (kh, kw), stride, padding (ph, pw), as torchvision passes them.
    BasicConv2dImpl(int64_t in, int64_t out, std::array<int64_t, 2> kernel, int64_t stride = 1,
                    std::array<int64_t, 2> padding = {0, 0}) {
        m_conv = register_module(
            "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, torch::ExpandingArray<2>({kernel[0], kernel[1]}))
                                          .stride(stride)
                                          .padding(torch::ExpandingArray<2>({padding[0], padding[1]}))
                                          .bias(false)));
        m_bn = register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out).eps(0.001)));
    }
    BasicConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0)
        : BasicConv2dImpl(in, out, {kernel, kernel}, stride, {padding, padding}) {}

    at::Tensor forward(at::Tensor x) {
        return applyActivation(ActKind::ReLU, m_bn->forward(tapped(*m_conv, m_conv->forward(x))));
    }

private:
    torch::nn::Conv2d m_conv{nullptr};
    torch::nn::BatchNorm2d m_bn{nullptr};
};
TORCH_MODULE(BasicConv2d);

} // namespace ts::zoo
