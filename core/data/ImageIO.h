#pragma once
// Image decoding for training, prediction and visualisation.
//
// Every image becomes 8-bit RGB (cv::Mat CV_8UC3, RGB order): grey is
// replicated, alpha dropped (as PIL's convert("RGB")), CMYK converted, 16-bit
// scaled to 8-bit, and the EXIF orientation applied. Failures throw
// ts::DataError naming the file and saying what is wrong with it.
#include <opencv2/core/mat.hpp>

#include <string>

namespace ts::data {

/// What kind of file the first bytes say it is ("jpeg", "png", "gif", "bmp",
/// "webp", "tiff", "ppm", "" when unknown).
std::string sniffImageFormat(const std::string& headerBytes);

/// Decodes `path` to RGB. `reduceTo` > 0 allows decoding JPEGs at 1/2, 1/4 or
/// 1/8 size as long as the shorter side stays >= reduceTo (faster for large
/// photos that are resized anyway).
cv::Mat loadImageRgb(const std::string& path, int reduceTo = 0);

/// Decodes an in-memory file; `name` is used in messages.
cv::Mat decodeImageRgb(const std::string& bytes, const std::string& name, int reduceTo = 0);

/// Writes an RGB (or grey) 8-bit image as PNG, atomically.
void savePng(const cv::Mat& rgb, const std::string& path);

} // namespace ts::data
