#include "core/report/Svg.h"

#include "core/report/Html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace ts::report {
namespace {

constexpr const char* kFont = "font-family=\"DejaVu Sans, Verdana, Arial, sans-serif\"";
constexpr int kTickFontPx = 12;
constexpr int kLabelFontPx = 13;
constexpr int kTitleFontPx = 14;
// A rough width of one character of the 12-13 px sans-serif font above: text
// sizes are estimated from it to lay out legends and labels without a font
// engine (generous, so labels do not collide).
constexpr double kCharPx = 7.4;

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

// Text cut to `maxChars` UTF-8 characters (with an ellipsis), before escaping.
std::string shortened(const std::string& text, size_t maxChars) {
    size_t chars = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
            if (chars == maxChars) return text.substr(0, i) + "\xE2\x80\xA6";
            ++chars;
        }
    }
    return text;
}

size_t displayChars(const std::string& text) {
    size_t n = 0;
    for (const char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

std::string text(double x, double y, const std::string& escaped, int fontPx, const std::string& extra = {}) {
    return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" font-size=\"" + std::to_string(fontPx) + "\" " + kFont +
           (extra.empty() ? "" : " " + extra) + ">" + escaped + "</text>\n";
}

std::string svgOpen(int w, int h, const std::string& label) {
    return "<svg class=\"plot\" width=\"" + std::to_string(w) + "\" height=\"" +
           std::to_string(h) + "\" viewBox=\"0 0 " + std::to_string(w) + " " + std::to_string(h) +
           "\" role=\"img\" aria-label=\"" + escapeHtml(label, 200) + "\">\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
}

struct LegendItem {
    std::string name;
    std::string colour;
    bool dashed = false;
    bool bar = false;
};

// A legend laid out in rows from (x0, y0) within `width`; returns its SVG and
// sets `height`.
std::string legend(const std::vector<LegendItem>& items, double x0, double y0, double width, double& height) {
    std::string out;
    double x = x0, y = y0;
    const double rowPx = 20;
    height = items.empty() ? 0 : rowPx;
    for (const auto& item : items) {
        const std::string name = shortened(item.name, 48);
        const double w = 30 + displayChars(name) * kCharPx + 18;
        if (x > x0 && x + w > x0 + width) {
            x = x0;
            y += rowPx;
            height += rowPx;
        }
        if (item.bar)
            out += "<rect x=\"" + num(x) + "\" y=\"" + num(y + 4) + "\" width=\"22\" height=\"10\" fill=\"" + item.colour + "\"/>\n";
        else
            out += "<line x1=\"" + num(x) + "\" y1=\"" + num(y + 9) + "\" x2=\"" + num(x + 22) + "\" y2=\"" + num(y + 9) +
                   "\" stroke=\"" + item.colour + "\" stroke-width=\"3\"" +
                   (item.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n";
        out += text(x + 28, y + 13, escapeHtml(name), kTickFontPx, "fill=\"#222222\"");
        x += w;
    }
    return out;
}

} // namespace

const std::vector<std::string>& palette() {
    static const std::vector<std::string> colours = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                                     "#CC79A7", "#56B4E9", "#000000", "#F0E442"};
    return colours;
}

std::vector<double> niceTicks(double lo, double hi, int target, bool integers) {
    if (!std::isfinite(lo) || !std::isfinite(hi)) return {0.0, 1.0};
    if (hi < lo) std::swap(lo, hi);
    if (hi == lo) {
        const double d = integers ? 1.0 : (lo == 0.0 ? 1.0 : std::abs(lo) * 0.1);
        lo -= d;
        hi += d;
    }
    target = std::max(2, std::min(target, 12));
    const double raw = (hi - lo) / (target - 1);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double r = raw / mag;
    double step = (r <= 1.0 ? 1.0 : r <= 2.0 ? 2.0 : r <= 2.5 ? 2.5 : r <= 5.0 ? 5.0 : 10.0) * mag;
    if (integers) step = std::max(1.0, std::ceil(step));
    const double start = std::floor(lo / step + 1e-9) * step;
    const double end = std::ceil(hi / step - 1e-9) * step;
    const int n = std::min(50, static_cast<int>(std::lround((end - start) / step)) + 1);
    std::vector<double> ticks;
    for (int i = 0; i < n; ++i) {
        double v = start + i * step;
        if (std::abs(v) < step * 1e-9) v = 0.0;
        ticks.push_back(v);
    }
    if (ticks.size() < 2) ticks.push_back(start + step);
    return ticks;
}

std::string tickLabel(double value, double step) {
    char buf[48];
    step = std::abs(step);
    if (step > 0 && (step < 1e-4 || std::abs(value) >= 1e7)) {
        std::snprintf(buf, sizeof buf, "%.2g", value);
        return buf;
    }
    int decimals = 0;
    while (decimals < 6) {
        const double scaled = step * std::pow(10.0, decimals);
        if (std::abs(scaled - std::round(scaled)) < 1e-6 * std::max(1.0, scaled)) break;
        ++decimals;
    }
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return buf;
}

std::string svgLinePlot(const std::vector<PlotSeries>& series, const LinePlotOptions& o) {
    const int w = std::max(240, o.widthPx);
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (const auto& s : series)
        for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
            if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
            xmin = std::min(xmin, s.x[i]);
            xmax = std::max(xmax, s.x[i]);
            ymin = std::min(ymin, s.y[i]);
            ymax = std::max(ymax, s.y[i]);
        }
    const bool empty = !std::isfinite(xmin);
    if (std::isfinite(o.yMin)) ymin = std::min(o.yMin, std::isfinite(ymin) ? ymin : o.yMin);
    if (std::isfinite(o.yMax)) ymax = std::max(o.yMax, std::isfinite(ymax) ? ymax : o.yMax);

    std::vector<LegendItem> items;
    for (size_t i = 0; i < series.size(); ++i) {
        const size_t c = series[i].colour >= 0 ? size_t(series[i].colour) : i;
        items.push_back({series[i].name, palette()[c % palette().size()],
                         series[i].dashed || c >= palette().size(), false});
    }
    const double titleH = o.title.empty() ? 8 : 28;
    double legendH = 0;
    const std::string legendSvg = legend(items, 16, titleH, w - 32, legendH);
    const double top = titleH + legendH + 12;
    const int h = static_cast<int>(top + std::max(160, o.heightPx));

    const std::vector<double> yt = empty ? std::vector<double>{0, 1} : niceTicks(ymin, ymax, 6, false);
    const std::vector<double> xt = empty ? std::vector<double>{0, 1} : niceTicks(xmin, xmax, 8, o.integerX);
    const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1.0, xstep = xt.size() > 1 ? xt[1] - xt[0] : 1.0;
    size_t yLabelChars = 1;
    for (double v : yt) yLabelChars = std::max(yLabelChars, tickLabel(v, ystep).size());
    const double left = 30 + yLabelChars * kCharPx + 8;
    const double right = w - 18;
    const double plotTop = top, plotBottom = h - 52;
    const double y0 = yt.front(), y1 = yt.back(), x0 = xt.front(), x1 = xt.back();
    auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (right - left); };
    auto py = [&](double y) { return plotBottom - (y - y0) / (y1 - y0) * (plotBottom - plotTop); };

    std::string out = svgOpen(w, h, o.title.empty() ? "plot" : o.title);
    if (!o.title.empty())
        out += text(w / 2.0, 19, escapeHtml(o.title), kTitleFontPx, "text-anchor=\"middle\" font-weight=\"bold\" fill=\"#111111\"");
    out += legendSvg;
    // Grid and ticks.
    for (double v : yt) {
        const double y = py(v);
        out += "<line x1=\"" + num(left) + "\" y1=\"" + num(y) + "\" x2=\"" + num(right) + "\" y2=\"" + num(y) +
               "\" stroke=\"#e3e3e3\" stroke-width=\"1\"/>\n";
        out += text(left - 7, y + 4, escapeHtml(tickLabel(v, ystep)), kTickFontPx, "text-anchor=\"end\" fill=\"#333333\"");
    }
    // At most ~ one x label per 40 px.
    const size_t every = std::max<size_t>(1, size_t(std::ceil(xt.size() * 40.0 / std::max(1.0, right - left))));
    for (size_t i = 0; i < xt.size(); ++i) {
        const double x = px(xt[i]);
        out += "<line x1=\"" + num(x) + "\" y1=\"" + num(plotTop) + "\" x2=\"" + num(x) + "\" y2=\"" + num(plotBottom) +
               "\" stroke=\"#f0f0f0\" stroke-width=\"1\"/>\n";
        out += "<line x1=\"" + num(x) + "\" y1=\"" + num(plotBottom) + "\" x2=\"" + num(x) + "\" y2=\"" +
               num(plotBottom + 5) + "\" stroke=\"#555555\" stroke-width=\"1\"/>\n";
        if (i % every == 0)
            out += text(x, plotBottom + 19, escapeHtml(tickLabel(xt[i], xstep)), kTickFontPx,
                        "text-anchor=\"middle\" fill=\"#333333\"");
    }
    out += "<rect x=\"" + num(left) + "\" y=\"" + num(plotTop) + "\" width=\"" + num(right - left) + "\" height=\"" +
           num(plotBottom - plotTop) + "\" fill=\"none\" stroke=\"#555555\" stroke-width=\"1\"/>\n";
    if (!o.xLabel.empty())
        out += text((left + right) / 2, h - 10, escapeHtml(o.xLabel), kLabelFontPx, "text-anchor=\"middle\" fill=\"#222222\"");
    if (!o.yLabel.empty()) {
        const double cy = (plotTop + plotBottom) / 2;
        out += text(16, cy, escapeHtml(o.yLabel), kLabelFontPx,
                    "text-anchor=\"middle\" fill=\"#222222\" transform=\"rotate(-90 16 " + num(cy) + ")\"");
    }
    if (empty) {
        out += text((left + right) / 2, (plotTop + plotBottom) / 2, "no data", kLabelFontPx,
                    "text-anchor=\"middle\" fill=\"#777777\"");
    }
    // Series, clipped to the plot area by construction (the range covers every point).
    for (size_t si = 0; si < series.size(); ++si) {
        const auto& s = series[si];
        const std::string& colour = items[si].colour;
        const bool dashed = items[si].dashed;
        std::string path;
        bool pen = false;
        size_t finite = 0;
        const size_t n = std::min(s.x.size(), s.y.size());
        for (size_t i = 0; i < n; ++i) {
            if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
                pen = false;
                continue;
            }
            path += (pen ? " L" : " M") + num(px(s.x[i])) + " " + num(py(s.y[i]));
            pen = true;
            ++finite;
        }
        if (!path.empty())
            out += "<path d=\"" + path.substr(1) + "\" fill=\"none\" stroke=\"" + colour +
                   "\" stroke-width=\"2.2\" stroke-linejoin=\"round\"" + (dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n";
        if (finite <= o.markersUpTo)
            for (size_t i = 0; i < n; ++i) {
                if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
                out += "<circle cx=\"" + num(px(s.x[i])) + "\" cy=\"" + num(py(s.y[i])) + "\" r=\"3.2\" fill=\"" + colour +
                       "\"><title>" + escapeHtml(s.name, 80) + ": " + formatNumber(s.x[i]) + ", " + formatNumber(s.y[i]) +
                       "</title></circle>\n";
            }
    }
    out += "</svg>\n";
    return out;
}

std::string svgConfusionMatrix(const std::vector<std::string>& classes, const std::vector<std::vector<int64_t>>& counts,
                               const std::string& title) {
    const size_t n = classes.size();
    bool square = counts.size() == n && n > 0;
    for (const auto& row : counts) square = square && row.size() == n;
    if (!square) {
        std::string out = svgOpen(420, 60, "confusion matrix");
        out += text(12, 34, "The confusion matrix is malformed: it is not one row and one column per class.", kLabelFontPx,
                    "fill=\"#b00020\"");
        return out + "</svg>\n";
    }
    constexpr size_t kMaxLabel = 24;
    const bool showCounts = n <= 30;
    const double cell = showCounts ? std::clamp(420.0 / n, 36.0, 64.0) : std::max(8.0, 600.0 / n);
    size_t labelChars = 1;
    for (const auto& c : classes) labelChars = std::max(labelChars, displayChars(shortened(c, kMaxLabel)));
    const double labelW = labelChars * kCharPx + 10;
    const double titleH = title.empty() ? 8 : 30;
    const double gx = 30 + labelW + 6, gy = titleH + 8;
    const double grid = cell * n;
    // Column labels run down-left at 40 degrees below the grid.
    const double colLabelH = labelW * 0.65 + 18;
    const int w = static_cast<int>(std::max(gx + grid + 20, 260.0));
    const int h = static_cast<int>(gy + grid + colLabelH + 30);
    std::string out = svgOpen(w, h, title.empty() ? "confusion matrix" : title);
    if (!title.empty())
        out += text(w / 2.0, 20, escapeHtml(title), kTitleFontPx, "text-anchor=\"middle\" font-weight=\"bold\" fill=\"#111111\"");
    const int fontPx = cell >= 48 ? 13 : 12;
    for (size_t t = 0; t < n; ++t) {
        int64_t rowSum = 0;
        for (auto v : counts[t]) rowSum += std::max<int64_t>(0, v);
        for (size_t p = 0; p < n; ++p) {
            const int64_t v = counts[t][p];
            const double share = rowSum > 0 ? double(std::max<int64_t>(0, v)) / rowSum : 0.0;
            // White (#f7fbff) to dark blue (#08519c).
            const int r = int(std::lround(247 + (8 - 247) * share)), g = int(std::lround(251 + (81 - 251) * share)),
                      b = int(std::lround(255 + (156 - 255) * share));
            char fill[16];
            std::snprintf(fill, sizeof fill, "#%02x%02x%02x", r, g, b);
            const double x = gx + p * cell, y = gy + t * cell;
            out += "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(cell) + "\" height=\"" + num(cell) +
                   "\" fill=\"" + fill + "\" stroke=\"" + (t == p ? "#333333" : "#c8c8c8") + "\" stroke-width=\"1\"><title>true " +
                   escapeHtml(shortened(classes[t], 60)) + ", predicted " + escapeHtml(shortened(classes[p], 60)) + ": " +
                   std::to_string(v) + "</title></rect>\n";
            if (showCounts)
                out += text(x + cell / 2, y + cell / 2 + fontPx * 0.36, std::to_string(v), fontPx,
                            std::string("text-anchor=\"middle\" fill=\"") + (share > 0.5 ? "#ffffff" : "#111111") + "\"");
        }
        out += text(gx - 6, gy + t * cell + cell / 2 + 4, escapeHtml(shortened(classes[t], kMaxLabel)), kTickFontPx,
                    "text-anchor=\"end\" fill=\"#222222\"");
    }
    for (size_t p = 0; p < n; ++p) {
        const double x = gx + p * cell + cell / 2 + 4, y = gy + grid + 14;
        out += text(x, y, escapeHtml(shortened(classes[p], kMaxLabel)), kTickFontPx,
                    "text-anchor=\"end\" fill=\"#222222\" transform=\"rotate(-40 " + num(x) + " " + num(y) + ")\"");
    }
    const double cy = gy + grid / 2;
    out += text(14, cy, "true class", kLabelFontPx,
                "text-anchor=\"middle\" fill=\"#222222\" transform=\"rotate(-90 14 " + num(cy) + ")\"");
    out += text(gx + grid / 2, h - 10, "predicted class", kLabelFontPx, "text-anchor=\"middle\" fill=\"#222222\"");
    out += "</svg>\n";
    return out;
}

std::string svgBarChart(const std::vector<std::string>& categories, const std::vector<BarSeries>& series,
                        const std::string& title, bool percent, int widthPx) {
    const int w = std::max(320, widthPx);
    constexpr size_t kMaxLabel = 24;
    size_t labelChars = 1;
    for (const auto& c : categories) labelChars = std::max(labelChars, displayChars(shortened(c, kMaxLabel)));
    const double left = 16 + labelChars * kCharPx + 8;
    const double valueW = 64;
    const double right = w - valueW;
    double vmax = percent ? 1.0 : 0.0;
    for (const auto& s : series)
        for (double v : s.values)
            if (std::isfinite(v)) vmax = std::max(vmax, v);
    if (vmax <= 0) vmax = 1.0;
    std::vector<LegendItem> items;
    for (size_t i = 0; i < series.size(); ++i) items.push_back({series[i].name, palette()[i % palette().size()], false, true});
    const double titleH = title.empty() ? 8 : 28;
    double legendH = 0;
    const std::string legendSvg = legend(items, 16, titleH, w - 32, legendH);
    const double barH = 15, gap = 10;
    const double groupH = series.size() * barH + gap;
    const double top = titleH + legendH + 10;
    const int h = static_cast<int>(top + categories.size() * groupH + 10);
    std::string out = svgOpen(w, h, title.empty() ? "bar chart" : title);
    if (!title.empty())
        out += text(w / 2.0, 19, escapeHtml(title), kTitleFontPx, "text-anchor=\"middle\" font-weight=\"bold\" fill=\"#111111\"");
    out += legendSvg;
    for (size_t c = 0; c < categories.size(); ++c) {
        const double gy = top + c * groupH;
        out += text(left - 8, gy + groupH / 2 - gap / 2 + 4, escapeHtml(shortened(categories[c], kMaxLabel)), kTickFontPx,
                    "text-anchor=\"end\" fill=\"#222222\"");
        for (size_t s = 0; s < series.size(); ++s) {
            const double v = c < series[s].values.size() ? series[s].values[c] : NAN;
            const double y = gy + s * barH;
            const double len = std::isfinite(v) ? std::max(0.0, v) / vmax * (right - left) : 0.0;
            out += "<rect x=\"" + num(left) + "\" y=\"" + num(y + 1) + "\" width=\"" + num(len) + "\" height=\"" +
                   num(barH - 2) + "\" fill=\"" + palette()[s % palette().size()] + "\"/>\n";
            char label[32];
            if (!std::isfinite(v))
                std::snprintf(label, sizeof label, "-");
            else if (percent)
                std::snprintf(label, sizeof label, "%.1f %%", v * 100);
            else
                std::snprintf(label, sizeof label, "%s", formatNumber(v, 6).c_str());
            out += text(left + len + 5, y + barH - 3, label, kTickFontPx, "fill=\"#222222\"");
        }
    }
    out += "<line x1=\"" + num(left) + "\" y1=\"" + num(top - 2) + "\" x2=\"" + num(left) + "\" y2=\"" + num(h - 8) +
           "\" stroke=\"#555555\" stroke-width=\"1\"/>\n";
    out += "</svg>\n";
    return out;
}

} // namespace ts::report
