#pragma once
// The budgets an image file must fit before it is read or decoded: a small
// file can expand to gigabytes of pixels (a "decompression bomb"), and a
// folder entry can be a 16 GiB file. Carried by LoaderOptions and
// DoctorOptions; used by readImageFile / decodeImageRgb (ImageIO.h).
#include <cstdint>

namespace ts::data {

struct ImageLimits {
    /// Largest image accepted, in stored pixels (width x height, read from the
    /// header before decoding). Default 100 megapixels. Decoding may also use
    /// at most 8 bytes per pixel of this budget, so an image with wider samples
    /// (e.g. a 32-bit float TIFF) counts for more pixels.
    int64_t maxPixels = 100'000'000;
    /// Largest file accepted, in bytes, checked before reading. Default 512 MiB
    /// (the decoder takes at most 2 GiB).
    int64_t maxFileBytes = int64_t{512} << 20;
};

} // namespace ts::data
