#include "core/data/Resize.h"

#include "core/common/Error.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ts::data {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

double bilinearFilter(double x) {
    x = std::fabs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
}

double bicubicFilter(double x) {
    constexpr double a = -0.5;
    x = std::fabs(x);
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

struct Coefficients {
    int kernelSize = 0;
    std::vector<int> bounds;  // (xmin, xcount) per output pixel
    std::vector<int> weights; // kernelSize per output pixel, fixed point
};

Coefficients computeCoefficients(int inSize, int outSize, ResampleFilter filter) {
    const double support0 = filter == ResampleFilter::Bilinear ? 1.0 : 2.0;
    const double scale = static_cast<double>(inSize) / outSize;
    const double filterScale = std::max(scale, 1.0);
    const double support = support0 * filterScale;
    Coefficients c;
    c.kernelSize = static_cast<int>(std::ceil(support)) * 2 + 1;
    c.bounds.resize(outSize * 2);
    c.weights.assign(static_cast<size_t>(outSize) * c.kernelSize, 0);
    std::vector<double> k(c.kernelSize);
    const double ss = 1.0 / filterScale;
    for (int xx = 0; xx < outSize; ++xx) {
        const double center = (xx + 0.5) * scale;
        int xmin = static_cast<int>(center - support + 0.5);
        if (xmin < 0) xmin = 0;
        int xmax = static_cast<int>(center + support + 0.5);
        if (xmax > inSize) xmax = inSize;
        xmax -= xmin;
        double ww = 0.0;
        for (int x = 0; x < xmax; ++x) {
            const double arg = (x + xmin - center + 0.5) * ss;
            const double w = filter == ResampleFilter::Bilinear ? bilinearFilter(arg) : bicubicFilter(arg);
            k[x] = w;
            ww += w;
        }
        for (int x = 0; x < xmax; ++x) {
            const double v = ww != 0.0 ? k[x] / ww : k[x];
            c.weights[static_cast<size_t>(xx) * c.kernelSize + x] =
                static_cast<int>(v < 0 ? -0.5 + v * (1 << kPrecisionBits) : 0.5 + v * (1 << kPrecisionBits));
        }
        c.bounds[xx * 2] = xmin;
        c.bounds[xx * 2 + 1] = xmax;
    }
    return c;
}

inline uchar clip8(int64_t v) {
    v >>= kPrecisionBits;
    return static_cast<uchar>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

cv::Mat resampleHorizontal(const cv::Mat& src, int outWidth, ResampleFilter filter) {
    const Coefficients c = computeCoefficients(src.cols, outWidth, filter);
    const int ch = src.channels();
    cv::Mat dst(src.rows, outWidth, src.type());
    for (int y = 0; y < src.rows; ++y) {
        const uchar* in = src.ptr<uchar>(y);
        uchar* out = dst.ptr<uchar>(y);
        for (int xx = 0; xx < outWidth; ++xx) {
            const int xmin = c.bounds[xx * 2], xcount = c.bounds[xx * 2 + 1];
            const int* k = &c.weights[static_cast<size_t>(xx) * c.kernelSize];
            for (int b = 0; b < ch; ++b) {
                int64_t ss = 1 << (kPrecisionBits - 1);
                for (int x = 0; x < xcount; ++x) ss += static_cast<int64_t>(in[(x + xmin) * ch + b]) * k[x];
                out[xx * ch + b] = clip8(ss);
            }
        }
    }
    return dst;
}

cv::Mat resampleVertical(const cv::Mat& src, int outHeight, ResampleFilter filter) {
    const Coefficients c = computeCoefficients(src.rows, outHeight, filter);
    const int rowLen = src.cols * src.channels();
    cv::Mat dst(outHeight, src.cols, src.type());
    std::vector<int64_t> acc(rowLen);
    for (int yy = 0; yy < outHeight; ++yy) {
        const int ymin = c.bounds[yy * 2], ycount = c.bounds[yy * 2 + 1];
        const int* k = &c.weights[static_cast<size_t>(yy) * c.kernelSize];
        std::fill(acc.begin(), acc.end(), int64_t(1) << (kPrecisionBits - 1));
        for (int y = 0; y < ycount; ++y) {
            const uchar* in = src.ptr<uchar>(ymin + y);
            const int64_t w = k[y];
            for (int i = 0; i < rowLen; ++i) acc[i] += in[i] * w;
        }
        uchar* out = dst.ptr<uchar>(yy);
        for (int i = 0; i < rowLen; ++i) out[i] = clip8(acc[i]);
    }
    return dst;
}

} // namespace

cv::Mat resamplePil(const cv::Mat& src, int width, int height, ResampleFilter filter) {
    if (src.depth() != CV_8U) throw Error("resamplePil needs an 8-bit image.");
    if (width <= 0 || height <= 0) throw Error("resamplePil: target size must be positive.");
    cv::Mat cur = src.isContinuous() ? src : src.clone();
    if (cur.cols != width) cur = resampleHorizontal(cur, width, filter);
    if (cur.rows != height) cur = resampleVertical(cur, height, filter);
    return cur.data == src.data ? cur.clone() : cur;
}

cv::Mat resizeShorterSide(const cv::Mat& src, int size, ResampleFilter filter) {
    const int w = src.cols, h = src.rows;
    const bool wide = w >= h;
    const int shortSide = wide ? h : w, longSide = wide ? w : h;
    if (shortSide == size) return src.clone();
    const int newLong = static_cast<int>(static_cast<double>(size) * longSide / shortSide);
    return wide ? resamplePil(src, newLong, size, filter) : resamplePil(src, size, newLong, filter);
}

cv::Mat centerCrop(const cv::Mat& src, int size) {
    cv::Mat img = src;
    if (img.cols < size || img.rows < size) {
        const int padW = std::max(0, size - img.cols), padH = std::max(0, size - img.rows);
        cv::Mat padded(img.rows + padH, img.cols + padW, img.type(), cv::Scalar::all(0));
        img.copyTo(padded(cv::Rect(padW / 2, padH / 2, img.cols, img.rows)));
        img = padded;
    }
    // Python's round() rounds halves to even; nearbyint does the same.
    const int top = static_cast<int>(std::nearbyint((img.rows - size) / 2.0));
    const int left = static_cast<int>(std::nearbyint((img.cols - size) / 2.0));
    return img(cv::Rect(left, top, size, size)).clone();
}

} // namespace ts::data
