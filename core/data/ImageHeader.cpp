#include "core/data/ImageHeader.h"

#include "core/data/ImageIO.h"

#include <cstdint>

namespace ts::data {
namespace {

inline unsigned byteAt(const std::string& b, size_t i) { return static_cast<unsigned char>(b[i]); }

inline uint32_t be32(const std::string& b, size_t i) {
    return (uint32_t{byteAt(b, i)} << 24) | (byteAt(b, i + 1) << 16) | (byteAt(b, i + 2) << 8) | byteAt(b, i + 3);
}

void inspectJpeg(const std::string& b, ImageHeader& h) {
    size_t i = 2;
    size_t scanStart = 0;
    bool lostSync = false;
    while (i + 4 <= b.size()) {
        if (byteAt(b, i) != 0xFF) {  // not a marker: corrupt, the decoder will say so
            lostSync = true;
            break;
        }
        const unsigned marker = byteAt(b, i + 1);
        if (marker == 0xFF) { ++i; continue; }                       // fill byte
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length
            i += 2;
            continue;
        }
        const size_t len = (byteAt(b, i + 2) << 8) | byteAt(b, i + 3);
        const bool isSof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (isSof && i + 10 <= b.size()) {
            h.bitDepth = static_cast<int>(byteAt(b, i + 4));
            h.height = static_cast<int>((byteAt(b, i + 5) << 8) | byteAt(b, i + 6));
            h.width = static_cast<int>((byteAt(b, i + 7) << 8) | byteAt(b, i + 8));
            h.channels = static_cast<int>(byteAt(b, i + 9));
            h.cmyk = h.channels == 4;
        }
        if (marker == 0xDA) {  // start of scan: entropy-coded data follows
            scanStart = i + 2 + len;
            break;
        }
        i += 2 + len;
    }
    // 0xFF 0xD9 cannot occur inside entropy-coded data (0xFF is stuffed), so
    // an EOI after the first scan marks a complete file; an EXIF thumbnail's
    // EOI comes before the scan. Trailing bytes after EOI are allowed.
    // Headers that run out of bytes before the scan: cut off as well. Garbage
    // instead of a marker is left to the decoder (reported as corrupt).
    if (scanStart == 0 || scanStart > b.size()) {
        h.truncated = !lostSync;
        return;
    }
    const size_t eoi = b.rfind("\xFF\xD9");
    h.truncated = eoi == std::string::npos || eoi < scanStart;
}

void inspectPng(const std::string& b, ImageHeader& h) {
    // Signature (8), then IHDR: length (4) "IHDR" (4) width height depth colour-type ...
    if (b.size() < 8 + 8 + 13 || b.compare(12, 4, "IHDR") != 0)
        return;  // no valid IHDR: nothing to judge; the decoder reports it as corrupt
    h.width = static_cast<int>(be32(b, 16));
    h.height = static_cast<int>(be32(b, 20));
    h.bitDepth = static_cast<int>(byteAt(b, 24));
    switch (byteAt(b, 25)) {
    case 0: h.channels = 1; break;
    case 2: h.channels = 3; break;
    case 3: h.channels = 3; h.palette = true; break;
    case 4: h.channels = 2; break;
    case 6: h.channels = 4; break;
    default: break;
    }
    const size_t iend = b.rfind("IEND");
    h.truncated = iend == std::string::npos || iend < 33;
}

} // namespace

ImageHeader inspectImageHeader(const std::string& bytes) {
    ImageHeader h;
    h.format = sniffImageFormat(bytes.substr(0, 16));
    if (h.format == "jpeg") inspectJpeg(bytes, h);
    else if (h.format == "png") inspectPng(bytes, h);
    return h;
}

} // namespace ts::data
