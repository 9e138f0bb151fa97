#include "core/data/ImageIO.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace ts::data {

std::string sniffImageFormat(const std::string& h) {
    auto starts = [&](const char* sig, size_t n) { return h.size() >= n && std::memcmp(h.data(), sig, n) == 0; };
    if (starts("\xFF\xD8\xFF", 3)) return "jpeg";
    if (starts("\x89PNG\r\n\x1a\n", 8)) return "png";
    if (starts("GIF87a", 6) || starts("GIF89a", 6)) return "gif";
    if (starts("BM", 2)) return "bmp";
    if (h.size() >= 12 && std::memcmp(h.data(), "RIFF", 4) == 0 && std::memcmp(h.data() + 8, "WEBP", 4) == 0)
        return "webp";
    if (starts("II*\0", 4) || starts("MM\0*", 4)) return "tiff";
    if (h.size() >= 2 && h[0] == 'P' && h[1] >= '1' && h[1] <= '6') return "ppm";
    return {};
}

namespace {

// Reads the frame size from a JPEG's SOF marker without decoding.
bool jpegSize(const std::string& b, int& width, int& height) {
    size_t i = 2;
    while (i + 9 < b.size()) {
        if (static_cast<unsigned char>(b[i]) != 0xFF) return false;
        const unsigned char marker = static_cast<unsigned char>(b[i + 1]);
        if (marker == 0xFF) { ++i; continue; }
        const size_t len = (static_cast<unsigned char>(b[i + 2]) << 8) | static_cast<unsigned char>(b[i + 3]);
        const bool isSof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (isSof) {
            height = (static_cast<unsigned char>(b[i + 5]) << 8) | static_cast<unsigned char>(b[i + 6]);
            width = (static_cast<unsigned char>(b[i + 7]) << 8) | static_cast<unsigned char>(b[i + 8]);
            return width > 0 && height > 0;
        }
        i += 2 + len;
    }
    return false;
}

} // namespace

cv::Mat decodeImageRgb(const std::string& bytes, const std::string& name, int reduceTo) {
    if (bytes.empty()) throw DataError("'" + name + "' is an empty (zero-byte) file. Delete it or replace it with the real image.");
    const std::string format = sniffImageFormat(bytes.substr(0, 16));
    if (format == "gif")
        throw DataError("'" + name + "' is a GIF, which is not supported. Convert it to PNG or JPEG, or remove it.");
    if (format.empty())
        throw DataError("'" + name + "' is not an image (unrecognised content). Remove it from the dataset folder.");
    cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
    int flags = cv::IMREAD_COLOR;
    if (reduceTo > 0 && format == "jpeg") {
        int w = 0, h = 0;
        if (jpegSize(bytes, w, h)) {
            const int shortSide = std::min(w, h);
            if (shortSide / 8 >= reduceTo) flags = cv::IMREAD_REDUCED_COLOR_8;
            else if (shortSide / 4 >= reduceTo) flags = cv::IMREAD_REDUCED_COLOR_4;
            else if (shortSide / 2 >= reduceTo) flags = cv::IMREAD_REDUCED_COLOR_2;
        }
    }
    cv::Mat bgr;
    try {
        bgr = cv::imdecode(buf, flags);
    } catch (const cv::Exception& e) {
        throw DataError("'" + name + "' could not be decoded as " + format + ": " + e.msg);
    }
    if (bgr.empty())
        throw DataError("'" + name + "' looks like a " + format +
                        " file but could not be decoded (corrupt or truncated). Re-export or remove it.");
    if (bgr.depth() != CV_8U) bgr.convertTo(bgr, CV_8U, 1.0 / 257.0);
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    return rgb;
}

cv::Mat loadImageRgb(const std::string& path, int reduceTo) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw DataError("Image '" + path + "' does not exist.");
    if (std::filesystem::is_directory(path, ec)) throw DataError("'" + path + "' is a folder, not an image.");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw DataError("Cannot open image '" + path + "': " + std::strerror(errno) + ".");
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return decodeImageRgb(bytes, path, reduceTo);
}

void savePng(const cv::Mat& rgb, const std::string& path) {
    cv::Mat out;
    if (rgb.channels() == 3) cv::cvtColor(rgb, out, cv::COLOR_RGB2BGR);
    else if (rgb.channels() == 4) cv::cvtColor(rgb, out, cv::COLOR_RGBA2BGRA);
    else out = rgb;
    std::vector<uchar> encoded;
    if (!cv::imencode(".png", out, encoded)) throw IoError("Cannot encode a PNG for '" + path + "'.");
    writeFileAtomic(path, std::string(encoded.begin(), encoded.end()));
}

} // namespace ts::data
