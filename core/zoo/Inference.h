#pragma once
// Classification with a zoo model: logits -> probabilities -> top-k.
#include "core/zoo/Backbone.h"

#include <ATen/Tensor.h>

#include <string>
#include <vector>

namespace ts::zoo {

/// One class of a prediction.
struct ClassScore {
    int64_t index = 0;
    std::string label;
    double prob = 0.0;
    double logit = 0.0;
};

/// The top-k classes of one image, best first.
using Prediction = std::vector<ClassScore>;

/// Runs `model` in eval mode without gradients on a (N,3,H,W) batch and
/// returns each image's top-k; restores the model's train/eval mode.
/// `labels` may be empty (labels are then "class <i>").
std::vector<Prediction> classify(BackboneImpl& model, const at::Tensor& batch, int topk,
                                 const std::vector<std::string>& labels);

/// top-k of already computed logits (N, C).
std::vector<Prediction> topkFromLogits(const at::Tensor& logits, int topk, const std::vector<std::string>& labels);

} // namespace ts::zoo
