#include "core/zoo/Inference.h"

#include <ATen/Functions.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>

namespace ts::zoo {

std::vector<Prediction> topkFromLogits(const at::Tensor& logitsIn, int topk, const std::vector<std::string>& labels) {
    const at::Tensor logits = logitsIn.detach().to(at::kCPU, at::kFloat);
    const at::Tensor probs = at::softmax(logits, 1);
    const int64_t k = std::min<int64_t>(std::max(topk, 1), logits.size(1));
    const auto [values, indices] = at::topk(probs, k, 1);
    std::vector<Prediction> out(static_cast<size_t>(logits.size(0)));
    for (int64_t n = 0; n < logits.size(0); ++n) {
        for (int64_t j = 0; j < k; ++j) {
            ClassScore s;
            s.index = indices[n][j].item<int64_t>();
            s.prob = values[n][j].item<double>();
            s.logit = logits[n][s.index].item<double>();
            s.label = s.index < static_cast<int64_t>(labels.size()) ? labels[s.index] : "class " + std::to_string(s.index);
            out[n].push_back(std::move(s));
        }
    }
    return out;
}

std::vector<Prediction> classify(BackboneImpl& model, const at::Tensor& batch, int topk,
                                 const std::vector<std::string>& labels) {
    const bool wasTraining = model.is_training();
    model.eval();
    at::Tensor logits;
    {
        torch::NoGradGuard noGrad;
        logits = model.forward(batch);
    }
    model.train(wasTraining);
    return topkFromLogits(logits, topk, labels);
}

} // namespace ts::zoo
