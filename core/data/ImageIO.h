#pragma once
// Image decoding for training, prediction and visualisation.
//
// Every image becomes 8-bit RGB (cv::Mat CV_8UC3, RGB order): grey is
// replicated, alpha dropped (as PIL's convert("RGB")), CMYK converted, 16-bit
// scaled to 8-bit, and the EXIF orientation applied. Failures throw
// ts::DataError naming the file and saying what is wrong with it.
//
// Files are untrusted: only regular files are opened (a FIFO, a device or a
// socket is refused without being opened or read), the file size is checked
// before reading and the pixel size (from the header, see ImageHeader) before
// decoding, so neither a huge file nor a small file that expands to gigabytes
// of pixels (a "decompression bomb") gets memory. Thread safety: all
// functions are reentrant.
#include "core/common/Error.h"
#include "core/data/ImageHeader.h"
#include "core/data/ImageLimits.h"

#include <opencv2/core/mat.hpp>

#include <cstdint>
#include <string>

namespace ts::data {

/// An image file over an ImageLimits budget (the message names the file,
/// its size and the limit).
class ImageTooLargeError : public DataError {
public:
    using DataError::DataError;
};

/// What kind of file the first bytes say it is ("jpeg", "png", "gif", "bmp",
/// "webp", "tiff", "ppm", "" when unknown).
std::string sniffImageFormat(const std::string& headerBytes);

/// Reads a whole image file. Refuses (DataError) anything that is not a
/// regular file (folder, FIFO, device, socket) without reading from it, and
/// (ImageTooLargeError) files over `limits.maxFileBytes`.
std::string readImageFile(const std::string& path, const ImageLimits& limits = {});

/// Throws DataError (naming `name`) when `header` states no size, and
/// ImageTooLargeError when the size is over `limits`.
void checkImageSize(const ImageHeader& header, const std::string& name, const ImageLimits& limits = {});

/// Decodes `path` to RGB. `reduceTo` > 0 allows decoding JPEGs at 1/2, 1/4 or
/// 1/8 size as long as the shorter side stays >= reduceTo (faster for large
/// photos that are resized anyway).
cv::Mat loadImageRgb(const std::string& path, int reduceTo = 0, const ImageLimits& limits = {});

/// Decodes an in-memory file; `name` is used in messages.
cv::Mat decodeImageRgb(const std::string& bytes, const std::string& name, int reduceTo = 0,
                       const ImageLimits& limits = {});

/// The same, for callers that already parsed the header of `bytes`
/// (inspectImageHeader(bytes)); it is not parsed again.
cv::Mat decodeImageRgb(const std::string& bytes, const ImageHeader& header, const std::string& name, int reduceTo,
                       const ImageLimits& limits);

/// Writes an RGB (or grey) 8-bit image as PNG, atomically.
void savePng(const cv::Mat& rgb, const std::string& path);

} // namespace ts::data
