#pragma once
// The pieces of a self-contained HTML report: text escaped for HTML (every
// string taken from a file goes through escapeHtml), images embedded as
// data: URIs, numbers formatted for people.
//
// Thread safety: pure functions.
#include <opencv2/core/mat.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace ts::report {

/// `text` safe to put in HTML element content or a double- or single-quoted
/// attribute: & < > " ' become entities; control characters, DEL and bytes
/// that are not valid UTF-8 are written as the visible text "\xNN"; valid
/// UTF-8 ("café") is kept. Anything past `maxChars` bytes of input is cut
/// (on a character boundary) and marked with an ellipsis.
std::string escapeHtml(std::string_view text, size_t maxChars = 400);

/// Standard base64 (RFC 4648, with '=' padding).
std::string base64(std::string_view bytes);

/// `image` (CV_8UC3 RGB, CV_8UC1 grey or CV_8UC4 RGBA) encoded as PNG with
/// OpenCV's imencode, as "data:image/png;base64,...". Throws ts::Error when
/// the image is empty or of another type.
std::string pngDataUri(const cv::Mat& image);

/// `rgb` scaled down (never up) so that its longer side is at most `maxSide`
/// pixels (INTER_AREA).
cv::Mat fitWithin(const cv::Mat& rgb, int maxSide);

/// A number for tables: `digits` significant digits, "-" for NaN, "inf" /
/// "-inf" for infinities.
std::string formatNumber(double value, int digits = 4);

/// A fraction as a percentage with two decimals ("86.67 %"), "-" for NaN.
std::string formatPercent(double fraction);
/// The current time as "2026-12-01 21:30 UTC".
std::string utcNowText();

} // namespace ts::report
