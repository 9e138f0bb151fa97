#pragma once
// The standard eval preprocessing of torchvision's classification weights:
// resize the shorter side (PIL-exact antialiased resampling), center crop,
// scale to [0,1], normalise with mean/std, HWC RGB -> CHW float tensor.
#include <ATen/Tensor.h>
#include <opencv2/core/mat.hpp>

#include <array>
#include <string>

#include "core/data/Resize.h"

namespace ts::zoo {
struct ModelInfo;
}

namespace ts::data {

/// Parameters of the eval transform; written into every export.
struct EvalTransform {
    /// Shorter side after resizing. Default 256.
    int resizeSize = 256;
    /// Side of the square center crop. Default 224.
    int cropSize = 224;
    /// Resampling filter of the resize. Default bilinear (antialiased).
    ResampleFilter filter = ResampleFilter::Bilinear;
    /// Per-channel mean and std (RGB) applied after scaling to [0,1].
    std::array<float, 3> mean{0.485f, 0.456f, 0.406f};
    std::array<float, 3> std{0.229f, 0.224f, 0.225f};

    /// The transform torchvision's weights for `info` use.
    static EvalTransform forModel(const zoo::ModelInfo& info);
};

/// Resize + crop of an RGB 8-bit image (no normalisation): what the network sees.
cv::Mat resizeAndCrop(const cv::Mat& rgb, const EvalTransform& t);

/// RGB 8-bit HWC image -> normalised float CHW tensor (no batch dimension).
at::Tensor toNormalizedTensor(const cv::Mat& rgb, const std::array<float, 3>& mean, const std::array<float, 3>& std);

/// The full eval transform of one image: (3, crop, crop) float tensor.
at::Tensor evalTensor(const cv::Mat& rgb, const EvalTransform& t);

/// Decodes `path` and applies the eval transform.
at::Tensor evalTensorFromFile(const std::string& path, const EvalTransform& t);

} // namespace ts::data
