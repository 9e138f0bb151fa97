// Colour maps, titles and tile grids (OpenCV only).
#include "core/common/Error.h"
#include "core/viz/VizInternal.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace ts::viz {
namespace {

// Degree-6 polynomial fits of matplotlib's viridis and inferno tables (each
// channel within ~4/255 of the table), evaluated with Horner's scheme.
constexpr double kViridis[7][3] = {{0.2777273272234177, 0.005407344544966578, 0.3340998053353061},
                                   {0.1050930431085774, 1.404613529898575, 1.384590162594685},
                                   {-0.3308618287255563, 0.214847559468213, 0.09509516302823659},
                                   {-4.634230498983486, -5.799100973351585, -19.33244095627987},
                                   {6.228269936347081, 14.17993336680509, 56.69055260068105},
                                   {4.776384997670288, -13.74514537774601, -65.35303263337234},
                                   {-5.435455855934631, 4.645852612178535, 26.3124352495832}};
constexpr double kInferno[7][3] = {{0.0002189403691192265, 0.001651004631001012, -0.01948089843709184},
                                   {0.1065134194856116, 0.5639564367884091, 3.932712388889277},
                                   {11.60249308247187, -3.972853965665698, -15.9423941062914},
                                   {-41.70399613139459, 17.43639888205313, 44.35414519872813},
                                   {77.162935699427, -33.40235894210092, -81.80730925738993},
                                   {-71.31942824499214, 32.62606426397723, 73.20951985803202},
                                   {25.13112622477341, -12.24266895238567, -23.07032500287172}};

uint8_t toByte(double v) { return static_cast<uint8_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0)); }

std::array<uint8_t, 3> polynomial(const double (&c)[7][3], double t) {
    std::array<uint8_t, 3> rgb{};
    for (int ch = 0; ch < 3; ++ch) {
        double v = c[6][ch];
        for (int k = 5; k >= 0; --k) v = v * t + c[k][ch];
        rgb[ch] = toByte(v);
    }
    return rgb;
}

// A 256-entry lookup table per map keeps applyColormap cheap on large images.
std::array<std::array<uint8_t, 3>, 256> makeLut(Colormap map) {
    std::array<std::array<uint8_t, 3>, 256> lut{};
    for (int i = 0; i < 256; ++i) lut[i] = colormapRgb(map, i / 255.0);
    return lut;
}

constexpr int kGridGapPx = 4;
constexpr double kLabelScale = 0.35;
constexpr double kTitleScale = 0.5;

} // namespace

std::array<uint8_t, 3> colormapRgb(Colormap map, double t) {
    t = std::isfinite(t) ? std::clamp(t, 0.0, 1.0) : 0.0;
    switch (map) {
    case Colormap::Viridis: return polynomial(kViridis, t);
    case Colormap::Inferno: return polynomial(kInferno, t);
    case Colormap::Jet:
        return {toByte(1.5 - std::abs(4.0 * t - 3.0)), toByte(1.5 - std::abs(4.0 * t - 2.0)),
                toByte(1.5 - std::abs(4.0 * t - 1.0))};
    case Colormap::Gray: {
        const uint8_t g = toByte(t);
        return {g, g, g};
    }
    }
    return {0, 0, 0};
}

cv::Mat applyColormap(const cv::Mat& values, Colormap map, double lo, double hi) {
    if (values.channels() != 1 || (values.depth() != CV_32F && values.depth() != CV_64F))
        throw ConfigError("applyColormap needs a single-channel float image (CV_32F or CV_64F); convert it first.");
    cv::Mat v;
    values.convertTo(v, CV_64F);
    if (lo == hi && !v.empty()) cv::minMaxLoc(v, &lo, &hi);
    const auto lut = makeLut(map);
    cv::Mat out(v.rows, v.cols, CV_8UC3);
    for (int y = 0; y < v.rows; ++y) {
        const double* src = v.ptr<double>(y);
        auto* dst = out.ptr<cv::Vec3b>(y);
        for (int x = 0; x < v.cols; ++x) {
            const double t = hi > lo ? (src[x] - lo) / (hi - lo) : 0.0;
            const int i = std::isfinite(t) ? static_cast<int>(std::lround(std::clamp(t, 0.0, 1.0) * 255.0)) : 0;
            dst[x] = cv::Vec3b(lut[i][0], lut[i][1], lut[i][2]);
        }
    }
    return out;
}

cv::Mat addTitle(const cv::Mat& image, const std::string& text) {
    int baseline = 0;
    const cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, kTitleScale, 1, &baseline);
    const int band = size.height + baseline + 10;
    const int width = std::max(image.cols, size.width + 12);
    cv::Mat out(image.rows + band, width, CV_8UC3, cv::Scalar(255, 255, 255));
    image.copyTo(out(cv::Rect(0, band, image.cols, image.rows)));
    cv::putText(out, text, cv::Point(6, band - baseline - 5), cv::FONT_HERSHEY_SIMPLEX, kTitleScale,
                cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    return out;
}

namespace detail {

int multipleAtLeast(int unit, int minPx) {
    unit = std::max(unit, 1);
    return std::max(unit, (minPx + unit - 1) / unit * unit);
}

cv::Mat layoutGrid(const std::vector<Tile>& tiles, int columns, bool labels, const std::string& title,
                   std::vector<cv::Rect>& cells) {
    cells.clear();
    if (tiles.empty()) return addTitle(cv::Mat(1, 1, CV_8UC3, cv::Scalar(255, 255, 255)), title);
    columns = std::max(1, std::min<int>(columns, static_cast<int>(tiles.size())));
    const int rows = (static_cast<int>(tiles.size()) + columns - 1) / columns;
    const int tileW = tiles.front().rgb.cols;
    const int tileH = tiles.front().rgb.rows;
    int baseline = 0;
    const cv::Size textSize = cv::getTextSize("0123456789", cv::FONT_HERSHEY_SIMPLEX, kLabelScale, 1, &baseline);
    const int labelH = labels ? textSize.height + baseline + 4 : 0;
    // A label wider than its tile widens the column so labels stay readable.
    int cellW = tileW;
    if (labels)
        for (const auto& t : tiles)
            cellW = std::max(cellW, cv::getTextSize(t.label, cv::FONT_HERSHEY_SIMPLEX, kLabelScale, 1, &baseline).width);
    const int cellH = tileH + labelH;
    const int width = kGridGapPx + columns * (cellW + kGridGapPx);
    const int height = kGridGapPx + rows * (cellH + kGridGapPx);
    cv::Mat grid(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
    std::vector<cv::Rect> local;
    for (size_t i = 0; i < tiles.size(); ++i) {
        const int r = static_cast<int>(i) / columns;
        const int c = static_cast<int>(i) % columns;
        const int x = kGridGapPx + c * (cellW + kGridGapPx);
        const int y = kGridGapPx + r * (cellH + kGridGapPx);
        const cv::Rect rect(x, y + labelH, tileW, tileH);
        tiles[i].rgb.copyTo(grid(rect));
        if (labels)
            cv::putText(grid, tiles[i].label, cv::Point(x, y + labelH - baseline - 2), cv::FONT_HERSHEY_SIMPLEX,
                        kLabelScale, cv::Scalar(40, 40, 40), 1, cv::LINE_AA);
        local.push_back(rect);
    }
    cv::Mat out = title.empty() ? grid : addTitle(grid, title);
    const int offsetY = out.rows - grid.rows;
    for (auto r : local) cells.push_back(r + cv::Point(0, offsetY));
    return out;
}

} // namespace detail
} // namespace ts::viz
