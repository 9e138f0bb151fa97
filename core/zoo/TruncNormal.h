#pragma once
// Private to core/zoo: torch.nn.init.trunc_normal_ (PyTorch 1.13), which
// LibTorch 1.13 lacks. Same algorithm as Python (uniform in CDF space, then
// the inverse error function), drawing from LibTorch's default generator, so
// torch::manual_seed() makes it reproducible.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <cmath>

namespace ts::zoo {

/// Fills `tensor` in place with values from N(mean, std) truncated to [a, b]
/// (absolute bounds, as in torch.nn.init.trunc_normal_). Returns `tensor`.
inline at::Tensor truncNormal_(at::Tensor tensor, double mean, double std, double a, double b) {
    auto normCdf = [](double x) { return (1.0 + std::erf(x / std::sqrt(2.0))) / 2.0; };
    torch::NoGradGuard noGrad;
    const double l = normCdf((a - mean) / std);
    const double u = normCdf((b - mean) / std);
    tensor.uniform_(2 * l - 1, 2 * u - 1);
    tensor.erfinv_();
    tensor.mul_(std * std::sqrt(2.0));
    tensor.add_(mean);
    tensor.clamp_(a, b);
    return tensor;
}

} // namespace ts::zoo
