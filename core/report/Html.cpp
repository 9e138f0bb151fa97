#include "core/report/Html.h"

#include "core/common/Error.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <vector>

namespace ts::report {
namespace {

// Length of the valid UTF-8 sequence at `s[i]` (1..4), or 0 when the bytes
// there are not one (overlong forms, surrogates and code points past
// U+10FFFF included).
size_t utf8Length(std::string_view s, size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) {
        n = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    for (size_t k = 1; k < n; ++k) {
        const auto d = static_cast<unsigned char>(s[i + k]);
        if ((d & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    // C1 controls (U+0080..U+009F) are as invisible as C0 ones.
    if (cp >= 0x80 && cp <= 0x9F) return 0;
    return n;
}

void appendHex(std::string& out, unsigned char c) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02X", c);
    out += hex;
}

} // namespace

std::string escapeHtml(std::string_view text, size_t maxChars) {
    std::string out;
    out.reserve(std::min(text.size(), maxChars) + 16);
    size_t i = 0;
    while (i < text.size()) {
        if (i >= maxChars) {
            out += "&hellip;";
            break;
        }
        const auto c = static_cast<unsigned char>(text[i]);
        switch (c) {
        case '&': out += "&amp;"; ++i; continue;
        case '<': out += "&lt;"; ++i; continue;
        case '>': out += "&gt;"; ++i; continue;
        case '"': out += "&quot;"; ++i; continue;
        case '\'': out += "&#39;"; ++i; continue;
        default: break;
        }
        if (c < 0x20 || c == 0x7F) {
            appendHex(out, c);
            ++i;
            continue;
        }
        const size_t n = utf8Length(text, i);
        if (n == 0) {
            // A stray byte (or a C1 control): shown, never passed on.
            appendHex(out, c);
            ++i;
            continue;
        }
        out.append(text.substr(i, n));
        i += n;
    }
    return out;
}

std::string base64(std::string_view bytes) {
    static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) |
                           uint32_t(uint8_t(bytes[i + 2]));
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += table[v & 63];
    }
    const size_t rest = bytes.size() - i;
    if (rest == 1) {
        const uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += "==";
    } else if (rest == 2) {
        const uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8);
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::string pngDataUri(const cv::Mat& image) {
    if (image.empty() || image.depth() != CV_8U || (image.channels() != 1 && image.channels() != 3 && image.channels() != 4))
        throw Error("Cannot embed an image in the report: it is empty or not an 8-bit grey, RGB or RGBA image "
                    "(this is a bug in Transfer Studio: please report it).");
    cv::Mat bgr;
    if (image.channels() == 3)
        cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
    else if (image.channels() == 4)
        cv::cvtColor(image, bgr, cv::COLOR_RGBA2BGRA);
    else
        bgr = image;
    std::vector<uchar> png;
    if (!cv::imencode(".png", bgr, png))
        throw Error("OpenCV could not encode an image of the report as PNG (" + std::to_string(image.cols) + "x" +
                    std::to_string(image.rows) + "); check that OpenCV was built with PNG support.");
    return "data:image/png;base64," + base64(std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

cv::Mat fitWithin(const cv::Mat& rgb, int maxSide) {
    if (rgb.empty() || maxSide <= 0) return rgb;
    const int longer = std::max(rgb.cols, rgb.rows);
    if (longer <= maxSide) return rgb;
    const double s = double(maxSide) / longer;
    cv::Mat out;
    cv::resize(rgb, out, cv::Size(std::max(1, int(std::lround(rgb.cols * s))), std::max(1, int(std::lround(rgb.rows * s)))),
               0, 0, cv::INTER_AREA);
    return out;
}

std::string formatNumber(double value, int digits) {
    if (std::isnan(value)) return "-";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*g", std::max(1, std::min(digits, 17)), value);
    return buf;
}

std::string formatPercent(double fraction) {
    if (!std::isfinite(fraction)) return "-";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f %%", fraction * 100.0);
    return buf;
}

std::string utcNowText() {
    const std::time_t tt = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return buf;
}

} // namespace ts::report
