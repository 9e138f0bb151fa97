#pragma once
// What the first bytes of an image file say about it, without decoding the
// pixels: format, stored size, channels, bit depth, and whether the file ends
// where the format says it must (a JPEG's EOI marker, a PNG's IEND chunk).
// Used by the doctor (channel summary, truncation) and by the loader (the
// same truncation rule, so both agree on which files are bad).
#include <string>

namespace ts::data {

struct ImageHeader {
    /// sniffImageFormat() of the bytes ("jpeg", "png", ..., "" when unknown).
    std::string format;
    /// Stored size (before any EXIF orientation); 0 when the header does not say.
    int width = 0;
    int height = 0;
    /// Colour components as stored: 1 grey, 2 grey+alpha, 3 colour, 4 RGBA or
    /// CMYK; 0 when the header does not say.
    int channels = 0;
    /// Bits per component (8, 16, ...); 0 when the header does not say.
    int bitDepth = 0;
    /// JPEG with four components (CMYK or YCCK).
    bool cmyk = false;
    /// PNG with a palette.
    bool palette = false;
    /// JPEG without an EOI marker after the scan, or PNG without IEND: the
    /// file was cut off (PIL refuses such files; OpenCV fills them with grey).
    bool truncated = false;
};

/// Parses the header of an in-memory file. Never throws; unknown formats
/// come back with an empty `format`.
ImageHeader inspectImageHeader(const std::string& bytes);

} // namespace ts::data
