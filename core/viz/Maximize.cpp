// Activation maximisation: gradient ascent on the input with jitter, blur,
// decay and octaves.
#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/viz/VizInternal.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Functions.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace ts::viz {
namespace {

// A depthwise separable Gaussian blur of a (1, 3, H, W) image.
at::Tensor gaussianBlur(const at::Tensor& x, double sigma) {
    const int radius = std::max(1, static_cast<int>(std::ceil(2.0 * sigma)));
    std::vector<float> k;
    float sum = 0.f;
    for (int i = -radius; i <= radius; ++i) {
        k.push_back(static_cast<float>(std::exp(-0.5 * i * i / (sigma * sigma))));
        sum += k.back();
    }
    for (auto& v : k) v /= sum;
    const int64_t n = static_cast<int64_t>(k.size()), c = x.size(1);
    const at::Tensor kernel = at::tensor(k, x.options());
    const at::Tensor kx = kernel.view({1, 1, 1, n}).expand({c, 1, 1, n}).contiguous();
    const at::Tensor ky = kernel.view({1, 1, n, 1}).expand({c, 1, n, 1}).contiguous();
    at::Tensor y = at::reflection_pad2d(x, {radius, radius, 0, 0});
    const std::vector<int64_t> one{1, 1}, zero{0, 0};
    y = at::conv2d(y, kx, at::Tensor(), one, zero, one, c);
    y = at::reflection_pad2d(y, {0, 0, radius, radius});
    return at::conv2d(y, ky, at::Tensor(), one, zero, one, c);
}

} // namespace

MaximizeResult maximizeActivation(zoo::BackboneImpl& model, const data::EvalTransform& transform,
                                  const MaximizeOptions& options, Feedback* feedback) {
    const int size = options.sizePx > 0 ? options.sizePx : transform.cropSize;
    if (size < 8) throw ConfigError("Activation maximisation needs an image of at least 8 px, got " + std::to_string(size) + ".");
    if (options.octaves < 1 || options.stepsPerOctave < 1 || options.octaveScale < 1.0)
        throw ConfigError("Activation maximisation needs octaves >= 1, stepsPerOctave >= 1 and octaveScale >= 1.");
    MaximizeResult result;
    const bool filterTarget = options.target == MaximizeTarget::Filter;
    const std::string path = filterTarget ? detail::layerOrDefault(model, options.layer, model.gradCamLayer()) : "";
    result.layer = filterTarget ? path : "logits";

    detail::ModelStateGuard guard(model);
    torch::AutoGradMode enable(true);
    const at::TensorOptions opts = detail::modelOptions(model);

    // Objective on an input that may require grad.
    auto objective = [&](const at::Tensor& x) {
        if (filterTarget) {
            at::Tensor act;
            detail::forwardCapture(model, x, path, detail::TapMode::Observe, act);
            if (act.dim() != 4 || options.channel < 0 || options.channel >= act.size(1))
                throw ConfigError("Channel " + std::to_string(options.channel) + " does not exist in layer '" + path +
                                  "' of " + model.arch() + " (" + std::to_string(act.dim() == 4 ? act.size(1) : 0) +
                                  " channels).");
            return act[0][options.channel].mean();
        }
        const at::Tensor logits = model.forward(x);
        if (options.classIndex < 0 || options.classIndex >= logits.size(1))
            throw ConfigError("Class " + std::to_string(options.classIndex) + " is out of range for " + model.arch() +
                              " (" + std::to_string(logits.size(1)) + " classes).");
        return logits[0][options.classIndex];
    };
    auto valueAt = [&](const at::Tensor& x) {
        torch::NoGradGuard noGrad;
        return objective(x).item<double>();
    };

    // The valid range of each normalised channel (pixels in [0,1]).
    std::vector<float> lo, hi;
    for (int c = 0; c < 3; ++c) {
        lo.push_back(-transform.mean[c] / transform.std[c]);
        hi.push_back((1.0f - transform.mean[c]) / transform.std[c]);
    }
    const at::Tensor loT = at::tensor(lo, opts).view({1, 3, 1, 1});
    const at::Tensor hiT = at::tensor(hi, opts).view({1, 3, 1, 1});

    std::vector<int> sizes;
    for (int o = 0; o < options.octaves; ++o)
        sizes.push_back(std::max(8, static_cast<int>(std::lround(size / std::pow(options.octaveScale, options.octaves - 1 - o)))));

    auto gen = at::make_generator<at::CPUGeneratorImpl>(options.seed);
    std::mt19937_64 rng(options.seed);
    at::Tensor img = at::normal(0.0, 0.1, {1, 3, sizes.front(), sizes.front()}, gen, at::TensorOptions().dtype(at::kFloat))
                         .to(opts);
    auto atFinal = [&](const at::Tensor& x) {
        return x.size(2) == size ? x : at::upsample_bilinear2d(x, {size, size}, /*align_corners=*/false);
    };
    result.initialObjective = valueAt(atFinal(img));

    const int total = options.octaves * options.stepsPerOctave;
    int done = 0;
    for (int o = 0; o < options.octaves; ++o) {
        if (img.size(2) != sizes[o]) img = at::upsample_bilinear2d(img, {sizes[o], sizes[o]}, false);
        const int jitter = std::min(options.jitterPx, sizes[o] / 4);
        std::uniform_int_distribution<int> shift(-jitter, jitter);
        for (int s = 0; s < options.stepsPerOctave; ++s) {
            if (feedback && (!feedback->waitIfPaused() || feedback->isCancelled())) throw Cancelled();
            const int dx = jitter > 0 ? shift(rng) : 0, dy = jitter > 0 ? shift(rng) : 0;
            const at::Tensor leaf = at::roll(img, {dy, dx}, {2, 3}).detach().requires_grad_(true);
            const at::Tensor value = objective(leaf);
            at::Tensor grad = torch::autograd::grad({value}, {leaf})[0].detach();
            grad = at::roll(grad, {-dy, -dx}, {2, 3});
            {
                torch::NoGradGuard noGrad;
                img = img + options.stepSize * grad / (grad.abs().mean() + 1e-8);
                img = img * (1.0 - options.decay);
                if (options.blurEvery > 0 && options.blurSigma > 0.0 && (s + 1) % options.blurEvery == 0)
                    img = gaussianBlur(img, options.blurSigma);
                img = at::max(at::min(img, hiT), loT);
            }
            result.history.push_back(value.item<double>());
            ++done;
            if (feedback)
                feedback->reportProgress(static_cast<double>(done) / total,
                                         "octave " + std::to_string(o + 1) + "/" + std::to_string(options.octaves) +
                                             ", step " + std::to_string(s + 1) + "/" +
                                             std::to_string(options.stepsPerOctave));
        }
    }
    img = atFinal(img).detach();
    result.finalObjective = valueAt(img);
    result.input = img.to(at::kCPU, at::kFloat).contiguous();
    result.image = detail::inputToRgb(result.input, transform);
    return result;
}

} // namespace ts::viz
