#pragma once
// Small image files that claim huge sizes (decompression bombs), built byte by
// byte for the doctor, loader and scan tests. Each is a few hundred bytes to a
// few KB; decoded, each would take gigabytes.
#include <opencv2/imgcodecs.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ts::test::hostile {

inline void le16(std::string& s, uint32_t v) {
    s += static_cast<char>(v & 0xFF);
    s += static_cast<char>((v >> 8) & 0xFF);
}
inline void le32(std::string& s, uint32_t v) {
    le16(s, v & 0xFFFF);
    le16(s, v >> 16);
}
inline void be32(std::string& s, uint32_t v) {
    for (int k = 3; k >= 0; --k) s += static_cast<char>((v >> (8 * k)) & 0xFF);
}

inline uint32_t crc32(const std::string& data) {
    uint32_t c = 0xFFFFFFFFu;
    for (const char ch : data) {
        c ^= static_cast<unsigned char>(ch);
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

inline std::string pngChunk(const std::string& type, const std::string& data) {
    std::string out;
    be32(out, static_cast<uint32_t>(data.size()));
    out += type + data;
    be32(out, crc32(type + data));
    return out;
}

/// An 8-bit RLE BMP of width x height whose pixel data is one "end of
/// bitmap" code, padded to ~1.4 KB: 30000x25000 decodes to 2.25 GB.
inline std::string bmpRleBomb(uint32_t width = 30000, uint32_t height = 25000) {
    std::string info;
    le32(info, 40);
    le32(info, width);
    le32(info, height);
    le16(info, 1);   // planes
    le16(info, 8);   // bits per pixel
    le32(info, 1);   // BI_RLE8
    le32(info, 2);   // image size
    le32(info, 2835);
    le32(info, 2835);
    le32(info, 256);
    le32(info, 0);
    std::string palette;
    for (uint32_t i = 0; i < 256; ++i) {
        palette += static_cast<char>(i);
        palette += static_cast<char>(255 - i);
        palette += static_cast<char>(i / 2);
        palette += '\0';
    }
    const std::string pixels("\x00\x01", 2);  // end of bitmap
    std::string out = "BM";
    le32(out, static_cast<uint32_t>(14 + info.size() + palette.size() + pixels.size()));
    le32(out, 0);
    le32(out, static_cast<uint32_t>(14 + info.size() + palette.size()));
    out += info + palette + pixels;
    out.resize(1400, '\0');
    return out;
}

/// A PNG whose IHDR says width x height RGB, with a tiny IDAT and IEND.
inline std::string pngBomb(uint32_t width = 32767, uint32_t height = 32767) {
    std::string ihdr;
    be32(ihdr, width);
    be32(ihdr, height);
    ihdr += std::string("\x08\x02\x00\x00\x00", 5);
    const std::string idat("\x78\x9c\x63\x60\x00\x00\x00\x02\x00\x01", 10);  // zlib of one zero byte
    return std::string("\x89PNG\r\n\x1a\n", 8) + pngChunk("IHDR", ihdr) + pngChunk("IDAT", idat) + pngChunk("IEND", "");
}

/// A real small JPEG whose frame header is patched to width x height.
inline std::string jpegBomb(uint16_t width = 65500, uint16_t height = 65500) {
    cv::Mat img(16, 16, CV_8UC3, cv::Scalar(10, 120, 200));
    std::vector<uchar> buf;
    cv::imencode(".jpg", img, buf);
    std::string jpeg(buf.begin(), buf.end());
    const size_t sof = jpeg.find("\xFF\xC0");
    jpeg[sof + 5] = static_cast<char>(height >> 8);
    jpeg[sof + 6] = static_cast<char>(height & 0xFF);
    jpeg[sof + 7] = static_cast<char>(width >> 8);
    jpeg[sof + 8] = static_cast<char>(width & 0xFF);
    return jpeg;
}

/// A little-endian TIFF with one strip (or, with `tile` > 0, one tile of
/// tile x tile) of `bits`-bit samples whose IFD says width x height x samples.
inline std::string tiffBomb(uint32_t width, uint32_t height, uint16_t bits = 8, uint16_t samples = 3,
                            uint32_t tile = 0) {
    struct Entry {
        uint16_t tag, type;
        uint32_t count, value;
    };
    const uint32_t dataOffset = 8 + 2 + 10 * 12 + 4;
    std::vector<Entry> entries{
        {256, 4, 1, width},  {257, 4, 1, height},    {258, 3, 1, bits},        {259, 3, 1, 8},  // deflate
        {262, 3, 1, 2},      {273, 4, 1, dataOffset}, {277, 3, 1, samples},    {278, 4, 1, height},
        {279, 4, 1, 16},     {339, 3, 1, bits > 16 ? 3u : 1u},
    };
    if (tile > 0) {  // TileWidth, TileLength, TileOffsets, TileByteCounts instead of strips
        entries = {{256, 4, 1, width}, {257, 4, 1, height}, {258, 3, 1, bits},  {259, 3, 1, 8},
                   {262, 3, 1, 2},     {277, 3, 1, samples}, {322, 4, 1, tile}, {323, 4, 1, tile},
                   {324, 4, 1, dataOffset}, {325, 4, 1, 16}};
    }
    std::string out("II*\0", 4);
    le32(out, 8);
    le16(out, static_cast<uint32_t>(entries.size()));
    for (const auto& e : entries) {
        le16(out, e.tag);
        le16(out, e.type);
        le32(out, e.count);
        le32(out, e.value);
    }
    le32(out, 0);
    out += std::string("\x78\x9c\x63\x60\x00\x00\x00\x02\x00\x01\x00\x00\x00\x00\x00\x00", 16);
    return out;
}

/// An extended WebP (VP8X) whose canvas is width x height.
inline std::string webpBomb(uint32_t width = 16000, uint32_t height = 16000) {
    std::string vp8x;
    vp8x += '\0';
    vp8x += std::string(3, '\0');
    const uint32_t w = width - 1, h = height - 1;
    vp8x += static_cast<char>(w & 0xFF);
    vp8x += static_cast<char>((w >> 8) & 0xFF);
    vp8x += static_cast<char>((w >> 16) & 0xFF);
    vp8x += static_cast<char>(h & 0xFF);
    vp8x += static_cast<char>((h >> 8) & 0xFF);
    vp8x += static_cast<char>((h >> 16) & 0xFF);
    std::string body = "WEBPVP8X";
    le32(body, static_cast<uint32_t>(vp8x.size()));
    body += vp8x + std::string(64, '\0');
    std::string out = "RIFF";
    le32(out, static_cast<uint32_t>(body.size()));
    return out + body;
}

/// A binary PPM header of width x height with a few bytes of pixels.
inline std::string ppmBomb(uint32_t width = 20000, uint32_t height = 20000) {
    return "P6\n# made by a test\n" + std::to_string(width) + " " + std::to_string(height) + "\n255\n" +
           std::string(32, '\x7f');
}

} // namespace ts::test::hostile
