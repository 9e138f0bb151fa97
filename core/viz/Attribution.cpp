// Grad-CAM, Grad-CAM++ and saliency (vanilla gradient, SmoothGrad).
#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/viz/VizInternal.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Functions.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>

namespace ts::viz {
namespace {

int64_t checkedClass(const zoo::BackboneImpl& model, const at::Tensor& logits, int64_t requested) {
    const int64_t n = logits.size(1);
    if (requested < -1 || requested >= n)
        throw ConfigError("Class " + std::to_string(requested) + " is out of range for " + model.arch() + ", which has " +
                          std::to_string(n) + " classes (0-" + std::to_string(n - 1) + "); -1 means the predicted class.");
    return requested;
}

void fillScores(Heatmap& h, const at::Tensor& logits, int64_t requested) {
    const at::Tensor l = logits.detach().to(at::kCPU, at::kFloat)[0];
    h.predictedIndex = l.argmax().item<int64_t>();
    h.classIndex = requested < 0 ? h.predictedIndex : requested;
    h.logit = l[h.classIndex].item<double>();
    h.probability = at::softmax(l, 0)[h.classIndex].item<double>();
}

} // namespace

Heatmap gradCam(zoo::BackboneImpl& model, const PreparedImage& image, const GradCamOptions& options) {
    const std::string path = detail::layerOrDefault(model, options.layer, model.gradCamLayer());
    Heatmap h;
    h.layer = path;
    at::Tensor cam;
    {
        detail::ModelStateGuard guard(model);
        torch::AutoGradMode enable(true);
        at::Tensor act;
        const at::Tensor logits = detail::forwardCapture(model, image.tensor.to(detail::modelOptions(model)), path,
                                                         detail::TapMode::Leaf, act);
        if (act.dim() != 4)
            throw ModelError("Grad-CAM needs a spatial layer; '" + path + "' of " + model.arch() + " outputs a " +
                             std::to_string(act.dim()) + "-D tensor. Choose a stage or convolution from `tstudio viz layers`.");
        checkedClass(model, logits, options.classIndex);
        fillScores(h, logits, options.classIndex);
        const at::Tensor score = logits[0][h.classIndex];
        const at::Tensor grad = torch::autograd::grad({score}, {act}, {}, /*retain_graph=*/false)[0].detach();
        const at::Tensor a = act.detach();
        at::Tensor weights;  // (1, C, 1, 1)
        if (options.method == CamMethod::GradCam) {
            weights = grad.mean({2, 3}, /*keepdim=*/true);
        } else {
            // Grad-CAM++ with the exponential of the score, whose higher
            // derivatives are powers of the first (Chattopadhay et al., eq. 19).
            const at::Tensor g2 = grad.pow(2), g3 = grad.pow(3);
            const at::Tensor sumA = a.sum({2, 3}, true);
            const at::Tensor denom = 2 * g2 + sumA * g3;
            const at::Tensor alpha = g2 / at::where(denom != 0, denom, at::ones_like(denom));
            weights = (alpha * at::relu(grad)).sum({2, 3}, true);
        }
        cam = at::relu((weights * a).sum(1))[0].to(at::kCPU, at::kFloat);
    }
    h.raw = cam.contiguous();
    detail::finishHeatmap(h, h.raw, image, options.colormap, options.overlayAlpha);
    return h;
}

Heatmap saliency(zoo::BackboneImpl& model, const PreparedImage& image, const SaliencyOptions& options,
                 Feedback* feedback) {
    if (options.method == SaliencyMethod::SmoothGrad && options.samples <= 0)
        throw ConfigError("SmoothGrad needs at least one sample, got " + std::to_string(options.samples) + ".");
    Heatmap h;
    h.layer = "input";
    at::Tensor raw;
    {
        detail::ModelStateGuard guard(model);
        torch::AutoGradMode enable(true);
        const at::TensorOptions opts = detail::modelOptions(model);
        const at::Tensor x0 = image.tensor.to(opts);
        {
            torch::NoGradGuard noGrad;
            const at::Tensor logits = model.forward(x0);
            checkedClass(model, logits, options.classIndex);
            fillScores(h, logits, options.classIndex);
        }
        auto gradientAt = [&](const at::Tensor& x) {
            const at::Tensor leaf = x.detach().requires_grad_(true);
            const at::Tensor logits = model.forward(leaf);
            return torch::autograd::grad({logits[0][h.classIndex]}, {leaf})[0].detach();
        };
        if (options.method == SaliencyMethod::Vanilla) {
            raw = gradientAt(x0)[0];
        } else {
            const double sigma = options.noiseFraction * (x0.max() - x0.min()).item<double>();
            auto gen = at::make_generator<at::CPUGeneratorImpl>(options.seed);
            at::Tensor sum = at::zeros_like(x0);
            for (int i = 0; i < options.samples; ++i) {
                if (feedback) {
                    if (!feedback->waitIfPaused() || feedback->isCancelled()) throw Cancelled();
                    feedback->reportProgress(static_cast<double>(i) / options.samples,
                                             "SmoothGrad sample " + std::to_string(i + 1) + "/" +
                                                 std::to_string(options.samples));
                }
                // Noise drawn on the CPU from a seeded generator: the same map
                // on every device.
                const at::Tensor noise = at::normal(0.0, sigma, x0.sizes(), gen, at::TensorOptions().dtype(at::kFloat));
                sum += gradientAt(x0 + noise.to(opts)).abs();
            }
            raw = (sum / options.samples)[0];
            if (feedback) feedback->reportProgress(1.0, "SmoothGrad done");
        }
    }
    h.raw = raw.to(at::kCPU, at::kFloat).contiguous();
    detail::finishHeatmap(h, h.raw.abs().amax(0), image, options.colormap, options.overlayAlpha);
    return h;
}

} // namespace ts::viz
