#pragma once
// What the first bytes of an image file say about it, without decoding the
// pixels: format, stored size, channels, bit depth, and whether the file ends
// where the format says it must (a JPEG's EOI marker, a PNG's IEND chunk).
// Used by the doctor (channel summary, truncation), by the loader (the same
// truncation rule, so both agree on which files are bad) and by every decode
// (the size is checked against ImageLimits before any pixel is allocated).
//
// Every format the loader accepts is parsed: JPEG (SOF), PNG (IHDR), BMP
// (BITMAPINFOHEADER / OS/2 core header, palette), WebP (VP8, VP8L, VP8X),
// TIFF (first IFD, both byte orders) and PBM/PGM/PPM (P1-P6). A file whose
// header does not state a size comes back with width/height 0, and the
// decoders refuse it rather than guess.
#include <cstdint>
#include <string>

namespace ts::data {

struct ImageHeader {
    /// sniffImageFormat() of the bytes ("jpeg", "png", ..., "" when unknown).
    std::string format;
    /// Stored size (before any EXIF orientation); 0 when the header does not
    /// say (or says 0). Sizes above INT_MAX are clamped to INT_MAX.
    int width = 0;
    int height = 0;
    /// Colour components as the decoder returns them unchanged: 1 grey,
    /// 2 grey+alpha, 3 colour, 4 RGBA or CMYK; 0 when the header does not say.
    int channels = 0;
    /// Bits per component (8, 16, ...); 0 when the header does not say.
    int bitDepth = 0;
    /// Bytes the decoder needs at once besides the image itself when the
    /// header says it is more than the image (a TIFF tile larger than the
    /// picture); 0 otherwise.
    int64_t workingBytes = 0;
    /// JPEG with four components (CMYK or YCCK).
    bool cmyk = false;
    /// PNG with a palette.
    bool palette = false;
    /// JPEG without an EOI marker after the scan, or PNG without IEND: the
    /// file was cut off (PIL refuses such files; OpenCV fills them with grey).
    bool truncated = false;

    /// True when the header states a non-zero width and height.
    bool sizeKnown() const { return width > 0 && height > 0; }
};

/// Parses the header of an in-memory file. Never throws; reads only inside
/// `bytes`; unknown formats come back with an empty `format`.
ImageHeader inspectImageHeader(const std::string& bytes);

} // namespace ts::data
