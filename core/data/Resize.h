#pragma once
// Resampling that matches PIL (and so torchvision's transforms on PIL images)
// pixel for pixel: separable convolution with a filter whose support grows
// with the downscale factor (antialiasing), 8-bit fixed-point coefficients,
// horizontal pass first, rounding and clipping after each pass, exactly as
// Pillow's ImagingResample does. OpenCV's INTER_LINEAR does not antialias and
// INTER_AREA uses another kernel, which shifts predictions measurably.
#include <opencv2/core/mat.hpp>

namespace ts::data {

enum class ResampleFilter { Bilinear, Bicubic };

/// Resizes an 8-bit image (any channel count) to width x height.
cv::Mat resamplePil(const cv::Mat& src, int width, int height, ResampleFilter filter = ResampleFilter::Bilinear);

/// torchvision Resize(size) with an int: the shorter side becomes `size`, the
/// longer int(size * long / short).
cv::Mat resizeShorterSide(const cv::Mat& src, int size, ResampleFilter filter = ResampleFilter::Bilinear);

/// torchvision CenterCrop(size): top = round((h - size) / 2), same for left;
/// pads with zeros when the image is smaller.
cv::Mat centerCrop(const cv::Mat& src, int size);

} // namespace ts::data
