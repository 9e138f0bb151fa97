#include "app/cli/LrFindPlot.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace ts::cli {
namespace {

std::string shortNumber(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

} // namespace

void checkOutputFile(const std::string& path, const std::vector<std::string>& extensions, const std::string& option) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(path, ec))
        throw IoError(option + " '" + path + "' is a folder. Give a file name inside it (e.g. " + path + "/lr" +
                      extensions.front() + ").");
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (std::find(extensions.begin(), extensions.end(), ext) == extensions.end())
        throw ConfigError(option + " '" + path + "': " +
                          (ext.empty() ? std::string("the file name has no extension") : "'" + ext + "' is not supported") +
                          ". Name a " + extensions.front() + " file.");
    const fs::path p(path);
    const fs::path parent = p.has_parent_path() ? p.parent_path() : fs::path(".");
    if (!fs::is_directory(parent, ec))
        throw IoError("Cannot write '" + path + "': the folder '" + parent.string() +
                      "' does not exist. Create it first or choose another location.");
}

void writeLrFindPlot(const train::LrFindResult& r, const std::string& pngPath) {
    std::vector<double> xs, ys;  // log10(lr), loss: finite points only
    for (size_t i = 0; i < r.lrs.size() && i < r.losses.size(); ++i)
        if (r.lrs[i] > 0 && std::isfinite(r.losses[i])) {
            xs.push_back(std::log10(r.lrs[i]));
            ys.push_back(r.losses[i]);
        }
    if (xs.size() < 2)
        throw ConfigError("The learning-rate range test recorded fewer than two finite losses: nothing to plot in '" +
                          pngPath + "'. Run more --steps, or check the data.");

    const int W = 900, H = 560, left = 90, right = 30, top = 50, bottom = 70;
    cv::Mat img(H, W, CV_8UC3, cv::Scalar(255, 255, 255));
    // Whole decades; a rate a hair above a power of ten (10.000000000000071) does not add one.
    const double xmin = std::floor(*std::min_element(xs.begin(), xs.end()) + 1e-6);
    double xmax = std::ceil(*std::max_element(xs.begin(), xs.end()) - 1e-6);
    if (!(xmax > xmin)) xmax = xmin + 1.0;
    const double lossMin = *std::min_element(ys.begin(), ys.end());
    double lossMax = *std::max_element(ys.begin(), ys.end());
    // A diverging tail would flatten the interesting part: show up to twice
    // the drop from the first loss to the minimum above the first loss.
    const double first = ys.front();
    if (first > lossMin) lossMax = std::min(lossMax, first + (first - lossMin));
    double ymin = lossMin - 0.05 * (lossMax - lossMin), ymax = lossMax + 0.05 * (lossMax - lossMin);
    if (!(ymax > ymin)) {
        ymin = lossMin - 0.5;
        ymax = lossMin + 0.5;
    }
    const int pw = W - left - right, ph = H - top - bottom;
    auto px = [&](double x) { return left + static_cast<int>(std::lround((x - xmin) / (xmax - xmin) * pw)); };
    auto py = [&](double y) {
        const double t = std::clamp((y - ymin) / (ymax - ymin), 0.0, 1.0);
        return top + static_cast<int>(std::lround((1.0 - t) * ph));
    };
    const cv::Scalar axis(40, 40, 40), grid(225, 225, 225), curve(180, 90, 20), mark(30, 30, 210);
    const int font = cv::FONT_HERSHEY_SIMPLEX;

    // Grid and ticks: one per decade, five on the loss axis.
    for (double d = xmin; d <= xmax + 1e-9; d += 1.0) {
        const int x = px(d);
        cv::line(img, {x, top}, {x, top + ph}, grid, 1);
        const std::string label = "1e" + std::to_string(static_cast<int>(d));
        const cv::Size sz = cv::getTextSize(label, font, 0.45, 1, nullptr);
        cv::putText(img, label, {x - sz.width / 2, top + ph + 20}, font, 0.45, axis, 1, cv::LINE_AA);
    }
    for (int k = 0; k <= 4; ++k) {
        const double v = ymin + (ymax - ymin) * k / 4.0;
        const int y = py(v);
        cv::line(img, {left, y}, {left + pw, y}, grid, 1);
        const std::string label = shortNumber(v);
        const cv::Size sz = cv::getTextSize(label, font, 0.45, 1, nullptr);
        cv::putText(img, label, {left - 8 - sz.width, y + 5}, font, 0.45, axis, 1, cv::LINE_AA);
    }
    cv::rectangle(img, {left, top}, {left + pw, top + ph}, axis, 1);

    std::vector<cv::Point> pts;
    for (size_t i = 0; i < xs.size(); ++i) pts.push_back({px(xs[i]), py(ys[i])});
    cv::polylines(img, pts, false, curve, 2, cv::LINE_AA);

    if (r.suggestedLr > 0) {
        const double sx = std::log10(r.suggestedLr);
        const int x = px(std::clamp(sx, xmin, xmax));
        for (int y = top; y < top + ph; y += 12) cv::line(img, {x, y}, {x, std::min(top + ph, y + 6)}, mark, 2);
        // The curve's loss at the suggestion (interpolated).
        double sy = ys.front();
        for (size_t i = 1; i < xs.size(); ++i)
            if (xs[i] >= sx) {
                const double t = xs[i] > xs[i - 1] ? (sx - xs[i - 1]) / (xs[i] - xs[i - 1]) : 0.0;
                sy = ys[i - 1] + std::clamp(t, 0.0, 1.0) * (ys[i] - ys[i - 1]);
                break;
            } else if (i + 1 == xs.size()) {
                sy = ys.back();
            }
        cv::circle(img, {x, py(sy)}, 7, mark, 2, cv::LINE_AA);
        const std::string label = "suggested " + shortNumber(r.suggestedLr);
        const cv::Size sz = cv::getTextSize(label, font, 0.55, 1, nullptr);
        const int lx = x + 10 + sz.width < left + pw ? x + 10 : x - 10 - sz.width;
        cv::putText(img, label, {lx, top + 22}, font, 0.55, mark, 1, cv::LINE_AA);
    }

    cv::putText(img, "Learning-rate range test" + std::string(r.stoppedOnDivergence ? " (stopped: loss diverged)" : ""),
                {left, 32}, font, 0.65, axis, 1, cv::LINE_AA);
    const std::string xl = "learning rate (log scale)";
    const cv::Size xsz = cv::getTextSize(xl, font, 0.55, 1, nullptr);
    cv::putText(img, xl, {left + (pw - xsz.width) / 2, H - 20}, font, 0.55, axis, 1, cv::LINE_AA);
    // The y label, rotated: drawn horizontally on its own canvas, then turned.
    const std::string yl = "smoothed training loss";
    const cv::Size ysz = cv::getTextSize(yl, font, 0.55, 1, nullptr);
    cv::Mat label(ysz.height + 10, ysz.width + 4, CV_8UC3, cv::Scalar(255, 255, 255));
    cv::putText(label, yl, {2, ysz.height + 3}, font, 0.55, axis, 1, cv::LINE_AA);
    cv::Mat turned;
    cv::rotate(label, turned, cv::ROTATE_90_COUNTERCLOCKWISE);
    const int ly = std::max(0, top + (ph - turned.rows) / 2);
    if (ly + turned.rows <= H && turned.cols + 8 <= left) turned.copyTo(img(cv::Rect(8, ly, turned.cols, turned.rows)));

    std::vector<uchar> png;
    if (!cv::imencode(".png", img, png)) throw IoError("Cannot encode the plot for '" + pngPath + "' as PNG.");
    writeFileAtomic(pngPath, std::string(png.begin(), png.end()));
}

void writeLrFindCsv(const train::LrFindResult& r, const std::string& csvPath) {
    size_t nearest = 0;
    for (size_t i = 0; i < r.lrs.size(); ++i)
        if (std::abs(std::log(r.lrs[i] / r.suggestedLr)) < std::abs(std::log(r.lrs[nearest] / r.suggestedLr))) nearest = i;
    std::ostringstream out;
    out.precision(10);
    out << "step,lr,loss,suggested\n";
    for (size_t i = 0; i < r.lrs.size() && i < r.losses.size(); ++i)
        out << i + 1 << ',' << r.lrs[i] << ',' << r.losses[i] << ',' << (r.suggestedLr > 0 && i == nearest ? 1 : 0) << '\n';
    writeFileAtomic(csvPath, out.str());
}

} // namespace ts::cli
