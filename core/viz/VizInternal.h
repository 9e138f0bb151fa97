#pragma once
// Private to core/viz: model state guard, tapped forward passes, tensor <->
// cv::Mat conversions and tile grids shared by the views.
#include "core/viz/Viz.h"

#include <ATen/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>
#include <opencv2/core/mat.hpp>

#include <memory>
#include <string>
#include <vector>

namespace ts::viz::detail {

/// Puts a model in eval mode with every parameter's requires_grad off (so
/// autograd never reaches a parameter and no .grad is written), and restores
/// each module's train/eval flag and each parameter's requires_grad when it
/// goes out of scope, whatever happens in between.
class ModelStateGuard {
public:
    explicit ModelStateGuard(torch::nn::Module& model);
    ~ModelStateGuard();
    ModelStateGuard(const ModelStateGuard&) = delete;
    ModelStateGuard& operator=(const ModelStateGuard&) = delete;

private:
    torch::nn::Module& m_model;
    bool m_modelTraining;
    // Pre-order (parents first): Module::train() is recursive, so restoring
    // in this order lets each child's own flag win.
    std::vector<std::pair<std::shared_ptr<torch::nn::Module>, bool>> m_training;
    std::vector<std::pair<at::Tensor, bool>> m_requiresGrad;
};

/// Device and dtype of the model's first parameter (CPU float when none).
at::TensorOptions modelOptions(const torch::nn::Module& model);

/// What to do with the tapped output of the chosen layer.
enum class TapMode {
    Observe,  ///< keep it (still part of the graph when the input needs grad)
    Leaf,     ///< replace it by a detached copy that requires grad
};

/// Runs model.forward(x) while capturing the first output of `modulePath`.
/// Throws ts::ModelError when that module's output was never tapped.
at::Tensor forwardCapture(zoo::BackboneImpl& model, const at::Tensor& x, const std::string& modulePath,
                          TapMode mode, at::Tensor& captured);

/// The layer name to use: `layer`, or `fallback` when empty, resolved to a
/// module path.
std::string layerOrDefault(const zoo::BackboneImpl& model, const std::string& layer, const std::string& fallback);

/// 2-D tensor -> CV_32F Mat (copy).
cv::Mat toMat32(const at::Tensor& t2d);

/// Values -> t in [0,1] with (v - lo) / (hi - lo); 0.5 when hi <= lo.
inline float unitScale(float v, float lo, float hi) {
    if (!(hi > lo)) return 0.5f;
    const float t = (v - lo) / (hi - lo);
    return t < 0.f ? 0.f : (t > 1.f ? 1.f : t);
}

/// One tile of a grid: an RGB image and its label.
struct Tile {
    cv::Mat rgb;
    std::string label;
};

/// Lays tiles (all the same size) out in `columns` columns with a gap of
/// kGridGapPx, a label band above each tile when `labels`, and a title band
/// on top. Fills `cells` with each tile's rectangle in the returned image.
cv::Mat layoutGrid(const std::vector<Tile>& tiles, int columns, bool labels, const std::string& title,
                   std::vector<cv::Rect>& cells);

/// The smallest multiple of `unit` that is >= minPx (at least `unit`).
int multipleAtLeast(int unit, int minPx);

/// Un-normalises a (3,H,W) or (1,3,H,W) input with mean/std to CV_8UC3 RGB.
cv::Mat inputToRgb(const at::Tensor& input, const data::EvalTransform& t);

/// Fills the Heatmap's map, mapOriginal, heatmap and overlay from a
/// non-negative (h, w) importance tensor.
void finishHeatmap(Heatmap& h, const at::Tensor& importance2d, const PreparedImage& image, Colormap map,
                   double alpha);

} // namespace ts::viz::detail
