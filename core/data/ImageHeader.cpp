#include "core/data/ImageHeader.h"

#include "core/data/ImageIO.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>

namespace ts::data {
namespace {

inline unsigned byteAt(const std::string& b, size_t i) { return static_cast<unsigned char>(b[i]); }

inline uint32_t be32(const std::string& b, size_t i) {
    return (uint32_t{byteAt(b, i)} << 24) | (byteAt(b, i + 1) << 16) | (byteAt(b, i + 2) << 8) | byteAt(b, i + 3);
}
inline uint32_t le16(const std::string& b, size_t i) { return byteAt(b, i) | (byteAt(b, i + 1) << 8); }
inline uint32_t le24(const std::string& b, size_t i) { return le16(b, i) | (byteAt(b, i + 2) << 16); }
inline uint32_t le32(const std::string& b, size_t i) { return le24(b, i) | (uint32_t{byteAt(b, i + 3)} << 24); }

// A stated size as an int: negative or zero means "not stated", huge is clamped
// (it is over any budget either way).
inline int clampSize(int64_t v) { return v <= 0 ? 0 : static_cast<int>(std::min<int64_t>(v, INT_MAX)); }

void inspectJpeg(const std::string& b, ImageHeader& h) {
    size_t i = 2;
    size_t scanStart = 0;
    bool lostSync = false;
    int64_t width = 0, height = 0;
    while (i + 4 <= b.size()) {
        if (byteAt(b, i) != 0xFF) {
            // Not a marker: corrupt (the decoder will say so). libjpeg skips such
            // bytes looking for the next marker, so keep looking for a frame
            // header: the size must be known before anything is decoded.
            lostSync = true;
            ++i;
            continue;
        }
        const unsigned marker = byteAt(b, i + 1);
        if (marker == 0xFF) { ++i; continue; }                       // fill byte
        if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {  // no length
            i += 2;
            continue;
        }
        const size_t len = (byteAt(b, i + 2) << 8) | byteAt(b, i + 3);
        const bool isSof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (isSof && i + 10 <= b.size()) {
            // Several frame headers (not valid, but possible): budget for the largest.
            h.bitDepth = static_cast<int>(byteAt(b, i + 4));
            height = std::max<int64_t>(height, (byteAt(b, i + 5) << 8) | byteAt(b, i + 6));
            width = std::max<int64_t>(width, (byteAt(b, i + 7) << 8) | byteAt(b, i + 8));
            h.channels = static_cast<int>(byteAt(b, i + 9));
            h.cmyk = h.channels == 4;
        }
        if (marker == 0xDA && !lostSync) {  // start of scan: entropy-coded data follows
            scanStart = i + 2 + len;
            break;
        }
        if (marker == 0xDA) break;
        i += 2 + len;
    }
    h.width = clampSize(width);
    h.height = clampSize(height);
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
    h.width = clampSize(be32(b, 16));
    h.height = clampSize(be32(b, 20));
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

// BITMAPFILEHEADER (14 bytes), then an OS/2 core header (12 bytes) or a
// BITMAPINFOHEADER and its successors (16..124 bytes), then the palette.
void inspectBmp(const std::string& b, ImageHeader& h) {
    if (b.size() < 14 + 16) return;
    const uint32_t dib = le32(b, 14);
    int64_t width = 0, height = 0;
    uint32_t bpp = 0, compression = 0, colours = 0, entry = 4;
    if (dib == 12) {
        width = le16(b, 18);
        height = le16(b, 20);
        bpp = le16(b, 24);
        entry = 3;
    } else if (dib >= 16 && dib <= 4096) {
        width = static_cast<int32_t>(le32(b, 18));
        height = static_cast<int32_t>(le32(b, 22));
        if (height < 0) height = -height;  // top-down rows
        bpp = le16(b, 28);
        if (dib >= 20 && b.size() >= 34) compression = le32(b, 30);
        if (dib >= 36 && b.size() >= 50) colours = le32(b, 46);
    } else {
        return;
    }
    h.width = clampSize(width);
    h.height = clampSize(height);
    h.bitDepth = 8;
    // As OpenCV decides: a palette of greys gives one channel, 32 bits with
    // channel masks keep the alpha, everything else is colour.
    h.channels = 3;
    if (bpp >= 1 && bpp <= 8) {
        const uint64_t count = colours > 0 && colours < (1u << bpp) ? colours : (1u << bpp);
        const uint64_t offset = 14 + uint64_t{dib};
        if (offset + count * entry <= b.size()) {
            bool grey = true;
            for (uint64_t k = 0; k < count && grey; ++k) {
                const size_t p = static_cast<size_t>(offset + k * entry);
                grey = byteAt(b, p) == byteAt(b, p + 1) && byteAt(b, p + 1) == byteAt(b, p + 2);
            }
            if (grey) h.channels = 1;
        }
    } else if (bpp == 32 && compression == 3) {
        h.channels = 4;
    }
}

// RIFF "WEBP", then the first chunk: VP8 (lossy), VP8L (lossless) or VP8X (extended).
void inspectWebp(const std::string& b, ImageHeader& h) {
    if (b.size() < 30) return;
    const std::string chunk = b.substr(12, 4);
    const size_t d = 20;
    h.bitDepth = 8;
    if (chunk == "VP8 ") {
        if (byteAt(b, d + 3) != 0x9D || byteAt(b, d + 4) != 0x01 || byteAt(b, d + 5) != 0x2A) return;
        h.width = clampSize(le16(b, d + 6) & 0x3FFF);
        h.height = clampSize(le16(b, d + 8) & 0x3FFF);
        h.channels = 3;
    } else if (chunk == "VP8L") {
        if (byteAt(b, d) != 0x2F) return;
        const uint32_t bits = le32(b, d + 1);
        h.width = clampSize((bits & 0x3FFF) + 1);
        h.height = clampSize(((bits >> 14) & 0x3FFF) + 1);
        h.channels = (bits >> 28) & 1 ? 4 : 3;
    } else if (chunk == "VP8X") {
        h.width = clampSize(int64_t{le24(b, d + 4)} + 1);
        h.height = clampSize(int64_t{le24(b, d + 7)} + 1);
        h.channels = byteAt(b, d) & 0x10 ? 4 : 3;
    }
}

// The first image file directory: ImageWidth (256), ImageLength (257),
// BitsPerSample (258), Photometric (262), SamplesPerPixel (277).
void inspectTiff(const std::string& b, ImageHeader& h) {
    if (b.size() < 8) return;
    const bool little = b[0] == 'I';
    auto u16 = [&](size_t i) -> uint32_t {
        return little ? le16(b, i) : (byteAt(b, i) << 8) | byteAt(b, i + 1);
    };
    auto u32 = [&](size_t i) -> uint32_t { return little ? le32(b, i) : be32(b, i); };
    const uint64_t ifd = u32(4);
    if (ifd + 2 > b.size()) return;
    const uint32_t n = u16(static_cast<size_t>(ifd));
    int64_t width = 0, height = 0;
    uint32_t samples = 1, bits = 1, photometric = 0;
    int64_t tileWidth = 0, tileHeight = 0;
    for (uint32_t k = 0; k < n; ++k) {
        const uint64_t e = ifd + 2 + uint64_t{k} * 12;
        if (e + 12 > b.size()) break;
        const auto at = static_cast<size_t>(e);
        const uint32_t tag = u16(at), type = u16(at + 2), count = u32(at + 4);
        // The first value: inline when it fits in 4 bytes, else at an offset.
        auto first = [&]() -> uint32_t {
            if (type == 3) {  // SHORT
                if (count <= 2) return u16(at + 8);
                const uint64_t off = u32(at + 8);
                return off + 2 <= b.size() ? u16(static_cast<size_t>(off)) : 0;
            }
            if (type == 4) {  // LONG
                if (count <= 1) return u32(at + 8);
                const uint64_t off = u32(at + 8);
                return off + 4 <= b.size() ? u32(static_cast<size_t>(off)) : 0;
            }
            if (type == 1) return byteAt(b, at + 8);  // BYTE
            return 0;
        };
        switch (tag) {
        case 256: width = first(); break;
        case 257: height = first(); break;
        case 258: bits = first(); break;
        case 262: photometric = first(); break;
        case 277: samples = first(); break;
        case 322: tileWidth = first(); break;
        case 323: tileHeight = first(); break;
        default: break;
        }
    }
    h.width = clampSize(width);
    h.height = clampSize(height);
    h.bitDepth = static_cast<int>(std::max<uint32_t>(8, std::min<uint32_t>(bits, 64)));
    h.channels = photometric == 3 ? 3 : static_cast<int>(std::clamp<uint32_t>(samples, 1, 4));
    // The decoder reads a tiled image one tile at a time into a buffer of a
    // whole tile, which the file may declare far larger than the picture.
    if (tileWidth > 0 && tileHeight > 0)
        h.workingBytes = std::min<int64_t>(tileWidth, 1 << 24) * std::min<int64_t>(tileHeight, 1 << 24) *
                         std::clamp<int64_t>(samples, 1, 64) *
                         std::max<int64_t>(1, (std::min<uint32_t>(bits, 64) + 7) / 8);
}

// "P1".."P6", whitespace and # comments, width, height, and (except P1/P4) maxval.
void inspectPnm(const std::string& b, ImageHeader& h) {
    const char kind = b[1];
    size_t i = 2;
    auto number = [&]() -> int64_t {
        for (;;) {
            while (i < b.size() && std::isspace(static_cast<unsigned char>(b[i]))) ++i;
            if (i < b.size() && b[i] == '#') {
                while (i < b.size() && b[i] != '\n' && b[i] != '\r') ++i;
                continue;
            }
            break;
        }
        if (i >= b.size() || !std::isdigit(static_cast<unsigned char>(b[i]))) return -1;
        int64_t v = 0;
        while (i < b.size() && std::isdigit(static_cast<unsigned char>(b[i]))) {
            v = std::min<int64_t>(v * 10 + (b[i] - '0'), int64_t{1} << 40);
            ++i;
        }
        return v;
    };
    const int64_t width = number();
    const int64_t height = width < 0 ? -1 : number();
    if (width < 0 || height < 0) return;
    h.width = clampSize(width);
    h.height = clampSize(height);
    h.channels = kind == '3' || kind == '6' ? 3 : 1;
    h.bitDepth = 8;
    if (kind != '1' && kind != '4') {
        const int64_t maxval = number();
        if (maxval > 255) h.bitDepth = 16;
    }
}

} // namespace

ImageHeader inspectImageHeader(const std::string& bytes) {
    ImageHeader h;
    h.format = sniffImageFormat(bytes.substr(0, 16));
    if (h.format == "jpeg") inspectJpeg(bytes, h);
    else if (h.format == "png") inspectPng(bytes, h);
    else if (h.format == "bmp") inspectBmp(bytes, h);
    else if (h.format == "webp") inspectWebp(bytes, h);
    else if (h.format == "tiff") inspectTiff(bytes, h);
    else if (h.format == "ppm") inspectPnm(bytes, h);
    return h;
}

} // namespace ts::data
