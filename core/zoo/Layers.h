#pragma once
// Building blocks shared by the zoo's architectures, matching torchvision's
// layer definitions and initialisation.
#include "core/zoo/Seq.h"

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <string>

namespace ts::zoo {

enum class ActKind { Identity, ReLU, ReLU6, Hardswish, Hardsigmoid, SiLU, GELU, Sigmoid };

/// A parameterless activation module (LibTorch lacks Hardswish/Hardsigmoid
/// modules). kind() lets exporters and viewers see what it computes. Like
/// applyActivation() it may overwrite its input, so it follows a layer that
/// makes a new tensor (conv, BatchNorm, Linear), never a container's input.
class ActivationImpl : public torch::nn::Module {
public:
    explicit ActivationImpl(ActKind kind = ActKind::ReLU) : m_kind(kind) {}
    torch::Tensor forward(torch::Tensor x);
    ActKind kind() const { return m_kind; }

private:
    ActKind m_kind;
};
TORCH_MODULE(Activation);

/// Applies an activation as a function (for hand-written forward code).
/// Like torchvision's inplace=True activations, it overwrites `x` when no
/// one can see the difference: no tap scope is active (Tap.h), and autograd
/// allows it (grad mode off, `x` not requiring grad, or ReLU/ReLU6, whose
/// backward uses the output). Callers pass a fresh output they do not use
/// again; the values are the same either way.
torch::Tensor applyActivation(ActKind kind, const torch::Tensor& x);

/// nn.Conv2d options: kernel k, stride, padding (default (k-1)/2 * dilation),
/// groups, bias.
torch::nn::Conv2d conv2d(int64_t in, int64_t out, int64_t k, int64_t stride = 1, int64_t padding = -1,
                         int64_t groups = 1, bool bias = false, int64_t dilation = 1);

/// nn.BatchNorm2d with the given eps and momentum (torchvision defaults 1e-5, 0.1).
torch::nn::BatchNorm2d batchNorm2d(int64_t channels, double eps = 1e-5, double momentum = 0.1);

/// torchvision.ops.Conv2dNormActivation: Seq(Conv2d(bias=False), BatchNorm2d, act).
/// The activation is omitted when kind == Identity.
Seq convNormAct(int64_t in, int64_t out, int64_t k, int64_t stride = 1, int64_t groups = 1,
                ActKind act = ActKind::ReLU, double bnEps = 1e-5, double bnMomentum = 0.1, int64_t dilation = 1);

/// torchvision's _make_divisible: round to a multiple of `divisor`, never
/// below 90% of v.
int64_t makeDivisible(double v, int64_t divisor, int64_t minValue = -1);

/// The common torchvision initialisation used by MobileNet/EfficientNet/
/// MnasNet-style models: conv kaiming_normal(fan_out) with zero bias, norm
/// weight 1 bias 0, Linear normal(0, linearStd) (or uniform(±1/sqrt(out))
/// when linearStd < 0) with zero bias.
void initMobileStyle(torch::nn::Module& model, double linearStd = 0.01);

/// adaptive_avg_pool2d to 1x1 followed by flatten(1).
torch::Tensor globalAvgPool(const torch::Tensor& x);

/// torchvision.ops.StochasticDepth(p, "row"): in training, each sample of the
/// batch is zeroed with probability p and the survivors are scaled by
/// 1 / (1 - p); identity in eval or when p == 0. No parameters.
class StochasticDepthImpl : public torch::nn::Module {
public:
    explicit StochasticDepthImpl(double p) : m_p(p) {}
    torch::Tensor forward(torch::Tensor x);
    double p() const { return m_p; }

private:
    double m_p;
};
TORCH_MODULE(StochasticDepth);

/// torchvision.ops.SqueezeExcitation: global average pool, fc1 (1x1 conv),
/// `activation`, fc2 (1x1 conv), `scale` activation, times the input. Keys
/// fc1.{weight,bias}, fc2.{weight,bias}. EfficientNet uses SiLU/Sigmoid,
/// MobileNetV3 ReLU/Hardsigmoid. Every conv and activation output is tapped.
class SqueezeExcitationImpl : public torch::nn::Module {
public:
    SqueezeExcitationImpl(int64_t channels, int64_t squeeze, ActKind activation, ActKind scale);
    torch::Tensor forward(torch::Tensor x);

private:
    torch::nn::Conv2d m_fc1{nullptr};
    torch::nn::Conv2d m_fc2{nullptr};
    Activation m_activation{nullptr};
    Activation m_scaleActivation{nullptr};
};
TORCH_MODULE(SqueezeExcitation);

} // namespace ts::zoo
