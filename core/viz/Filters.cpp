// Filter grids and feature-map grids.
#include "core/common/Error.h"
#include "core/viz/VizInternal.h"

#include <ATen/Functions.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ts::viz {
namespace {

// Scales a (rows, cols) block of values to a tile of tileH x tileW pixels with
// nearest-neighbour, each value becoming a flat block.
cv::Mat upscaleNearest(const cv::Mat& small, int tileW, int tileH) {
    cv::Mat out;
    cv::resize(small, out, cv::Size(tileW, tileH), 0, 0, cv::INTER_NEAREST);
    return out;
}

// Values (H, W) CV_32F -> grey RGB with the given range.
cv::Mat greyTile(const cv::Mat& v, float lo, float hi) {
    cv::Mat out(v.rows, v.cols, CV_8UC3);
    for (int y = 0; y < v.rows; ++y)
        for (int x = 0; x < v.cols; ++x) {
            const auto g = static_cast<uint8_t>(std::lround(detail::unitScale(v.at<float>(y, x), lo, hi) * 255.0f));
            out.at<cv::Vec3b>(y, x) = cv::Vec3b(g, g, g);
        }
    return out;
}

cv::Mat mapTile(const cv::Mat& v, float lo, float hi, Colormap map) {
    cv::Mat out(v.rows, v.cols, CV_8UC3);
    for (int y = 0; y < v.rows; ++y)
        for (int x = 0; x < v.cols; ++x) {
            const auto c = colormapRgb(map, detail::unitScale(v.at<float>(y, x), lo, hi));
            out.at<cv::Vec3b>(y, x) = cv::Vec3b(c[0], c[1], c[2]);
        }
    return out;
}

int squareColumns(size_t n, int cellW, int cellH) {
    if (n == 0) return 1;
    const double c = std::sqrt(static_cast<double>(n) * cellH / std::max(cellW, 1));
    return std::max(1, std::min<int>(static_cast<int>(n), static_cast<int>(std::ceil(c))));
}

std::pair<float, float> minMax(const at::Tensor& t) {
    return {t.min().item<float>(), t.max().item<float>()};
}

std::string firstConvPath(const zoo::BackboneImpl& model) {
    for (const auto& item : model.named_modules("", false))
        if (dynamic_cast<const torch::nn::Conv2dImpl*>(item.value().get())) return item.key();
    throw ModelError(model.arch() + " has no Conv2d layer, so it has no filters to show.");
}

} // namespace

FilterGrid filterGrid(zoo::BackboneImpl& model, const FilterOptions& options) {
    const std::string path = options.layer.empty() ? firstConvPath(model) : resolveLayer(model, options.layer);
    const auto* conv = dynamic_cast<const torch::nn::Conv2dImpl*>(model.moduleAt(path).get());
    if (!conv)
        throw ModelError("Layer '" + path + "' of " + model.arch() +
                         " is not a Conv2d, so it has no filters to show; pick a convolution from `tstudio viz "
                         "layers`.");
    FilterGrid g;
    g.layer = path;
    g.weights = conv->weight.detach().to(at::kCPU, at::kFloat).clone();
    const at::Tensor& w = g.weights;  // (out, in/groups, kH, kW)
    const int64_t outCh = w.size(0), inCh = w.size(1), kH = w.size(2), kW = w.size(3);

    g.view = options.view;
    if (g.view == FilterView::Auto) g.view = inCh == 3 ? FilterView::Rgb : FilterView::Channels;
    if (g.view == FilterView::Rgb && inCh != 3)
        throw ConfigError("The RGB filter view needs 3 input channels; layer '" + path + "' has " +
                          std::to_string(inCh) + " per group. Use the channels, mean or norm view.");

    const at::Tensor norms = w.reshape({outCh, -1}).norm(2, 1);
    std::vector<int64_t> order(static_cast<size_t>(outCh));
    std::iota(order.begin(), order.end(), 0);
    if (options.sortByNorm) {
        const auto* n = norms.data_ptr<float>();
        std::stable_sort(order.begin(), order.end(), [n](int64_t a, int64_t b) { return n[a] > n[b]; });
    }
    if (options.maxFilters > 0 && static_cast<int64_t>(order.size()) > options.maxFilters) order.resize(options.maxFilters);
    g.filterIndices = order;
    for (int64_t f : order) g.filterNorms.push_back(norms[f].item<double>());

    const int kMax = static_cast<int>(std::max(kH, kW));
    g.tilePx = options.tilePx > 0 ? options.tilePx : detail::multipleAtLeast(kMax, 24);
    const int tileW = std::max(1, static_cast<int>(std::lround(static_cast<double>(g.tilePx) * kW / kMax)));
    const int tileH = std::max(1, static_cast<int>(std::lround(static_cast<double>(g.tilePx) * kH / kMax)));

    const at::Tensor idx = at::tensor(order, at::kLong);
    const at::Tensor shown = w.index_select(0, idx);  // (n, in, kH, kW)
    std::vector<detail::Tile> tiles;
    std::string title = path + "  " + std::to_string(outCh) + " filters " + std::to_string(inCh) + "x" +
                        std::to_string(kH) + "x" + std::to_string(kW);

    if (g.view == FilterView::Channels) {
        const int64_t nCh = options.maxChannels > 0 ? std::min<int64_t>(inCh, options.maxChannels) : inCh;
        for (int64_t c = 0; c < nCh; ++c) g.channelIndices.push_back(c);
        const at::Tensor part = shown.narrow(1, 0, nCh);
        const auto [gLo, gHi] = minMax(part);
        const int rowW = static_cast<int>(nCh) * (tileW + 1) - 1;
        for (size_t i = 0; i < order.size(); ++i) {
            const auto [fLo, fHi] = minMax(part[i]);
            const float lo = options.normalization == Normalization::Global ? gLo : fLo;
            const float hi = options.normalization == Normalization::Global ? gHi : fHi;
            cv::Mat row(tileH, rowW, CV_8UC3, cv::Scalar(255, 255, 255));
            for (int64_t c = 0; c < nCh; ++c) {
                const cv::Mat k = greyTile(detail::toMat32(part[i][c]), lo, hi);
                upscaleNearest(k, tileW, tileH).copyTo(row(cv::Rect(static_cast<int>(c) * (tileW + 1), 0, tileW, tileH)));
            }
            tiles.push_back({row, "f" + std::to_string(order[i])});
        }
        title += "  (channels 0-" + std::to_string(nCh - 1) + ")";
    } else if (g.view == FilterView::Rgb) {
        const auto [gLo, gHi] = minMax(shown);
        for (size_t i = 0; i < order.size(); ++i) {
            const auto [fLo, fHi] = minMax(shown[i]);
            const float lo = options.normalization == Normalization::Global ? gLo : fLo;
            const float hi = options.normalization == Normalization::Global ? gHi : fHi;
            cv::Mat k(static_cast<int>(kH), static_cast<int>(kW), CV_8UC3);
            const at::Tensor f = shown[i].contiguous();
            const auto acc = f.accessor<float, 3>();
            for (int y = 0; y < kH; ++y)
                for (int x = 0; x < kW; ++x)
                    for (int c = 0; c < 3; ++c)
                        k.at<cv::Vec3b>(y, x)[c] =
                            static_cast<uint8_t>(std::lround(detail::unitScale(acc[c][y][x], lo, hi) * 255.0f));
            tiles.push_back({upscaleNearest(k, tileW, tileH), std::to_string(order[i])});
        }
    } else {
        const at::Tensor reduced =
            g.view == FilterView::Mean ? shown.mean(1) : shown.pow(2).sum(1).sqrt();  // (n, kH, kW)
        const auto [gLo, gHi] = minMax(reduced);
        for (size_t i = 0; i < order.size(); ++i) {
            const auto [fLo, fHi] = minMax(reduced[i]);
            const float lo = options.normalization == Normalization::Global ? gLo : fLo;
            const float hi = options.normalization == Normalization::Global ? gHi : fHi;
            const cv::Mat v = detail::toMat32(reduced[i]);
            const cv::Mat k = g.view == FilterView::Mean ? greyTile(v, lo, hi) : mapTile(v, lo, hi, Colormap::Viridis);
            tiles.push_back({upscaleNearest(k, tileW, tileH), std::to_string(order[i])});
        }
        title += g.view == FilterView::Mean ? "  (mean over input channels)" : "  (L2 norm over input channels)";
    }
    if (options.sortByNorm) title += ", by norm";
    const int cols = tiles.empty() ? 1 : squareColumns(tiles.size(), tiles.front().rgb.cols, tiles.front().rgb.rows);
    g.image = detail::layoutGrid(tiles, cols, options.labels, options.labels ? title : std::string(), g.cells);
    return g;
}

FeatureMaps featureMaps(zoo::BackboneImpl& model, const PreparedImage& image, const FeatureOptions& options) {
    const std::string path = detail::layerOrDefault(model, options.layer, model.gradCamLayer());
    at::Tensor act;
    {
        detail::ModelStateGuard guard(model);
        torch::NoGradGuard noGrad;
        at::Tensor captured;
        detail::forwardCapture(model, image.tensor.to(detail::modelOptions(model)), path, detail::TapMode::Observe,
                               captured);
        act = captured;
    }
    if (act.dim() != 4)
        throw ModelError("Layer '" + path + "' of " + model.arch() +
                         " does not output a spatial map (shape " + std::to_string(act.dim()) +
                         "-D); choose a stage or convolution from `tstudio viz layers`.");
    FeatureMaps fm;
    fm.layer = path;
    fm.activations = act[0].detach().to(at::kCPU, at::kFloat).contiguous();
    const at::Tensor& a = fm.activations;
    const int64_t C = a.size(0), H = a.size(1), W = a.size(2);
    const at::Tensor flat = a.reshape({C, -1});
    const at::Tensor means = flat.mean(1), maxs = std::get<0>(flat.max(1)), zeros = flat.eq(0).to(at::kFloat).mean(1);
    for (int64_t c = 0; c < C; ++c)
        fm.stats.push_back({c, means[c].item<double>(), maxs[c].item<double>(), zeros[c].item<double>()});
    std::vector<int64_t> byMean(static_cast<size_t>(C));
    std::iota(byMean.begin(), byMean.end(), 0);
    std::stable_sort(byMean.begin(), byMean.end(),
                     [&](int64_t x, int64_t y) { return fm.stats[x].mean > fm.stats[y].mean; });
    fm.topChannels.assign(byMean.begin(), byMean.begin() + std::min<int64_t>(C, std::max(options.topK, 0)));

    if (options.onlyTopK) {
        fm.shownChannels = fm.topChannels;
    } else {
        const int64_t n = options.maxChannels > 0 ? std::min<int64_t>(C, options.maxChannels) : C;
        for (int64_t c = 0; c < n; ++c) fm.shownChannels.push_back(c);
    }
    const int mapMax = static_cast<int>(std::max(H, W));
    fm.tilePx = options.tilePx > 0 ? options.tilePx : detail::multipleAtLeast(mapMax, 48);
    const int tileW = std::max(1, static_cast<int>(std::lround(static_cast<double>(fm.tilePx) * W / mapMax)));
    const int tileH = std::max(1, static_cast<int>(std::lround(static_cast<double>(fm.tilePx) * H / mapMax)));

    float gLo = 0.f, gHi = 0.f;
    if (!fm.shownChannels.empty()) {
        const at::Tensor shown = a.index_select(0, at::tensor(fm.shownChannels, at::kLong));
        gLo = shown.min().item<float>();
        gHi = shown.max().item<float>();
    }
    std::vector<detail::Tile> tiles;
    for (int64_t c : fm.shownChannels) {
        const cv::Mat v = detail::toMat32(a[c]);
        float lo = gLo, hi = gHi;
        if (options.normalization == Normalization::PerFilter) {
            double l, h;
            cv::minMaxLoc(v, &l, &h);
            lo = static_cast<float>(l);
            hi = static_cast<float>(h);
        }
        cv::Mat t = mapTile(v, lo, hi, options.colormap);
        tiles.push_back({upscaleNearest(t, tileW, tileH), std::to_string(c)});
    }
    const std::string title = path + "  " + std::to_string(C) + "x" + std::to_string(H) + "x" + std::to_string(W) +
                              (options.onlyTopK ? "  top " + std::to_string(fm.shownChannels.size()) + " by mean" : "");
    const int cols = tiles.empty() ? 1 : squareColumns(tiles.size(), tileW, tileH);
    fm.image = detail::layoutGrid(tiles, cols, options.labels, options.labels ? title : std::string(), fm.cells);
    return fm;
}

} // namespace ts::viz
