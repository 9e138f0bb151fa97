#include "core/zoo/Layers.h"

#include "core/zoo/Tap.h"

#include <torch/nn/functional/activation.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>

#include <cmath>

namespace ts::zoo {

torch::Tensor applyActivation(ActKind kind, const torch::Tensor& x) {
    // In place saves an allocation and a pass over memory per activation
    // (20-30 % of a ResNet's or MobileNet's inference time on the CPU).
    const bool unseen = !tapScopeActive();
    const bool noAutograd = !at::GradMode::is_enabled() || !x.requires_grad();
    const bool anyInPlace = unseen && noAutograd;
    at::Tensor y = x;  // a second handle, for the in-place calls
    switch (kind) {
    case ActKind::Identity: return x;
    case ActKind::ReLU: return unseen ? y.relu_() : at::relu(x);
    case ActKind::ReLU6:
        // LibTorch 1.13 has no bfloat16 hardtanh backward on the CPU (mixed
        // precision); clamp computes the same values and has one (but needs
        // its input for it, so it is in place only without autograd).
        if (x.scalar_type() == at::kBFloat16) return anyInPlace ? y.clamp_(0.0, 6.0) : at::clamp(x, 0.0, 6.0);
        return unseen ? at::hardtanh_(y, 0.0, 6.0) : at::hardtanh(x, 0.0, 6.0);
    case ActKind::Hardswish: return anyInPlace ? at::hardswish_(y) : at::hardswish(x);
    case ActKind::Hardsigmoid: return anyInPlace ? at::hardsigmoid_(y) : at::hardsigmoid(x);
    case ActKind::SiLU: return anyInPlace ? at::silu_(y) : at::silu(x);
    case ActKind::GELU: return at::gelu(x);
    case ActKind::Sigmoid: return anyInPlace ? y.sigmoid_() : at::sigmoid(x);
    }
    return x;
}

torch::Tensor ActivationImpl::forward(torch::Tensor x) { return applyActivation(m_kind, x); }

torch::nn::Conv2d conv2d(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t padding, int64_t groups,
                         bool bias, int64_t dilation) {
    if (padding < 0) padding = (k - 1) / 2 * dilation;
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k)
                                 .stride(stride)
                                 .padding(padding)
                                 .groups(groups)
                                 .bias(bias)
                                 .dilation(dilation));
}

torch::nn::BatchNorm2d batchNorm2d(int64_t channels, double eps, double momentum) {
    return torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(channels).eps(eps).momentum(momentum));
}

Seq convNormAct(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t groups, ActKind act, double bnEps,
                double bnMomentum, int64_t dilation) {
    Seq s;
    s->add(conv2d(in, out, k, stride, -1, groups, false, dilation));
    s->add(batchNorm2d(out, bnEps, bnMomentum));
    if (act != ActKind::Identity) s->add(Activation(act));
    return s;
}

int64_t makeDivisible(double v, int64_t divisor, int64_t minValue) {
    if (minValue < 0) minValue = divisor;
    int64_t newV = std::max(minValue, static_cast<int64_t>(v + divisor / 2.0) / divisor * divisor);
    if (newV < 0.9 * v) newV += divisor;
    return newV;
}

void initMobileStyle(torch::nn::Module& model, double linearStd) {
    torch::NoGradGuard noGrad;
    for (auto& m : model.modules(/*include_self=*/false)) {
        if (auto* conv = m->as<torch::nn::Conv2d>()) {
            torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut);
            if (conv->bias.defined()) torch::nn::init::zeros_(conv->bias);
        } else if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
            torch::nn::init::ones_(bn->weight);
            torch::nn::init::zeros_(bn->bias);
        } else if (auto* lin = m->as<torch::nn::Linear>()) {
            if (linearStd >= 0) {
                torch::nn::init::normal_(lin->weight, 0.0, linearStd);
            } else {
                const double range = 1.0 / std::sqrt(static_cast<double>(lin->weight.size(0)));
                torch::nn::init::uniform_(lin->weight, -range, range);
            }
            if (lin->bias.defined()) torch::nn::init::zeros_(lin->bias);
        }
    }
}

torch::Tensor globalAvgPool(const torch::Tensor& x) { return at::adaptive_avg_pool2d(x, {1, 1}).flatten(1); }

torch::Tensor StochasticDepthImpl::forward(torch::Tensor x) {
    if (!is_training() || m_p == 0.0) return x;
    const double survival = 1.0 - m_p;
    std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
    shape[0] = x.size(0);
    auto noise = at::empty(shape, x.options()).bernoulli_(survival);
    if (survival > 0.0) noise.div_(survival);
    return x * noise;
}

SqueezeExcitationImpl::SqueezeExcitationImpl(int64_t channels, int64_t squeeze, ActKind activation, ActKind scale) {
    m_fc1 = register_module("fc1", conv2d(channels, squeeze, 1, 1, 0, 1, /*bias=*/true));
    m_fc2 = register_module("fc2", conv2d(squeeze, channels, 1, 1, 0, 1, /*bias=*/true));
    m_activation = register_module("activation", Activation(activation));
    m_scaleActivation = register_module("scale_activation", Activation(scale));
}

torch::Tensor SqueezeExcitationImpl::forward(torch::Tensor x) {
    auto s = at::adaptive_avg_pool2d(x, {1, 1});
    s = tapped(*m_fc1, m_fc1->forward(s));
    s = tapped(*m_activation, m_activation->forward(s));
    s = tapped(*m_fc2, m_fc2->forward(s));
    s = tapped(*m_scaleActivation, m_scaleActivation->forward(s));
    return s * x;
}

} // namespace ts::zoo
