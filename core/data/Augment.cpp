#include "core/data/Augment.h"

#include "core/common/Error.h"
#include "core/data/Random.h"
#include "core/data/Resize.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>

namespace ts::data {
namespace {

// torchvision converts to greyscale with ITU-R 601-2 luma (PIL's "L").
cv::Mat luma(const cv::Mat& rgbFloat) {
    cv::Mat grey;
    cv::transform(rgbFloat, grey, cv::Matx13f(0.299f, 0.587f, 0.114f));
    return grey;
}

void clamp255(cv::Mat& img) {
    cv::min(img, 255.0, img);
    cv::max(img, 0.0, img);
}

// out = other + factor * (img - other), as PIL's ImageEnhance / Image.blend.
void blendTowards(cv::Mat& img, const cv::Mat& other3, float factor) {
    cv::addWeighted(img, factor, other3, 1.0f - factor, 0.0, img);
    clamp255(img);
}

void adjustHue(cv::Mat& img, float hueFactor) {
    cv::Mat hsv;
    cv::Mat unit = img / 255.0f;
    cv::cvtColor(unit, hsv, cv::COLOR_RGB2HSV);  // float: H in degrees [0, 360)
    std::vector<cv::Mat> ch;
    cv::split(hsv, ch);
    const float shift = hueFactor * 360.0f;
    ch[0].forEach<float>([shift](float& h, const int*) {
        h = std::fmod(h + shift, 360.0f);
        if (h < 0) h += 360.0f;
    });
    cv::merge(ch, hsv);
    cv::cvtColor(hsv, unit, cv::COLOR_HSV2RGB);
    img = unit * 255.0f;
    clamp255(img);
}

void colorJitter(cv::Mat& rgb, const ColorJitter& j, std::mt19937& rng) {
    // As torchvision's ColorJitter.get_params: a random order, then the factors.
    std::vector<int> order{0, 1, 2, 3};
    shuffleInPlace(order, rng);
    auto factor = [&](float v) { return static_cast<float>(uniformReal(rng, std::max(0.0, 1.0 - v), 1.0 + v)); };
    const float b = j.brightness > 0 ? factor(j.brightness) : 1.0f;
    const float c = j.contrast > 0 ? factor(j.contrast) : 1.0f;
    const float s = j.saturation > 0 ? factor(j.saturation) : 1.0f;
    const float h = j.hue > 0 ? static_cast<float>(uniformReal(rng, -j.hue, j.hue)) : 0.0f;

    cv::Mat img;
    rgb.convertTo(img, CV_32FC3);
    for (int op : order) {
        if (op == 0 && j.brightness > 0) {
            img *= b;
            clamp255(img);
        } else if (op == 1 && j.contrast > 0) {
            // PIL: blend with a constant image of the rounded mean grey level.
            const float mean = std::floor(static_cast<float>(cv::mean(luma(img))[0]) + 0.5f);
            blendTowards(img, cv::Mat(img.size(), CV_32FC3, cv::Scalar::all(mean)), c);
        } else if (op == 2 && j.saturation > 0) {
            cv::Mat grey3;
            cv::cvtColor(luma(img), grey3, cv::COLOR_GRAY2RGB);
            blendTowards(img, grey3, s);
        } else if (op == 3 && j.hue > 0) {
            adjustHue(img, h);
        }
    }
    img.convertTo(rgb, CV_8UC3);  // rounds to nearest and saturates
}

void rotate(cv::Mat& img, double degrees) {
    // Counter-clockwise about the centre, same size, black corners (torchvision's RandomRotation).
    const cv::Point2f centre(static_cast<float>(img.cols - 1) / 2.0f, static_cast<float>(img.rows - 1) / 2.0f);
    const cv::Mat m = cv::getRotationMatrix2D(centre, degrees, 1.0);
    cv::Mat out;
    cv::warpAffine(img, out, m, img.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
    img = out;
}

void randomErase(cv::Mat& img, const std::array<float, 3>& mean, std::mt19937& rng) {
    // torchvision RandomErasing.get_params with scale (0.02, 0.33), ratio (0.3, 3.3).
    const double area = static_cast<double>(img.rows) * img.cols;
    const double logLo = std::log(0.3), logHi = std::log(3.3);
    for (int attempt = 0; attempt < 10; ++attempt) {
        const double eraseArea = area * uniformReal(rng, 0.02, 0.33);
        const double aspect = std::exp(uniformReal(rng, logLo, logHi));
        const int h = static_cast<int>(std::nearbyint(std::sqrt(eraseArea * aspect)));
        const int w = static_cast<int>(std::nearbyint(std::sqrt(eraseArea / aspect)));
        if (!(h < img.rows && w < img.cols)) continue;
        const int y = static_cast<int>(uniformInt(rng, 0, img.rows - h));
        const int x = static_cast<int>(uniformInt(rng, 0, img.cols - w));
        // value 0 after Normalize == the mean colour before it.
        const cv::Scalar fill(std::nearbyint(mean[0] * 255.0f), std::nearbyint(mean[1] * 255.0f),
                              std::nearbyint(mean[2] * 255.0f));
        img(cv::Rect(x, y, w, h)).setTo(fill);
        return;
    }
}

} // namespace

void AugmentOptions::validate() const {
    auto fail = [](const std::string& what) { throw ConfigError("Augmentation: " + what); };
    if (!(scaleMin > 0.0 && scaleMin <= scaleMax && scaleMax <= 1.0))
        fail("the crop scale range must satisfy 0 < min <= max <= 1 (got " + std::to_string(scaleMin) + ", " +
             std::to_string(scaleMax) + "). The usual range is 0.08 to 1.");
    if (!(ratioMin > 0.0 && ratioMin <= ratioMax))
        fail("the crop aspect-ratio range must satisfy 0 < min <= max (got " + std::to_string(ratioMin) + ", " +
             std::to_string(ratioMax) + "). The usual range is 3/4 to 4/3.");
    if (!(rotationDegrees >= 0.0 && rotationDegrees <= 180.0))
        fail("rotation must be between 0 and 180 degrees (got " + std::to_string(rotationDegrees) + ").");
    const auto& j = colorJitter;
    if (!(j.brightness >= 0 && j.contrast >= 0 && j.saturation >= 0 && j.hue >= 0 && j.hue <= 0.5f))
        fail("colour jitter strengths must be >= 0 and hue <= 0.5.");
    if (!(randomErasing >= 0.0 && randomErasing <= 1.0))
        fail("the random-erasing probability must be between 0 and 1 (got " + std::to_string(randomErasing) + ").");
}

cv::Rect randomResizedCropBox(int width, int height, const AugmentOptions& o, std::mt19937& rng) {
    const double area = static_cast<double>(width) * height;
    const double logLo = std::log(o.ratioMin), logHi = std::log(o.ratioMax);
    for (int attempt = 0; attempt < 10; ++attempt) {
        const double targetArea = area * uniformReal(rng, o.scaleMin, o.scaleMax);
        const double aspect = std::exp(uniformReal(rng, logLo, logHi));
        // Python's round() is half-to-even, as nearbyint in the default rounding mode.
        const int w = static_cast<int>(std::nearbyint(std::sqrt(targetArea * aspect)));
        const int h = static_cast<int>(std::nearbyint(std::sqrt(targetArea / aspect)));
        if (0 < w && w <= width && 0 < h && h <= height) {
            const int y = static_cast<int>(uniformInt(rng, 0, height - h));
            const int x = static_cast<int>(uniformInt(rng, 0, width - w));
            return {x, y, w, h};
        }
    }
    // Fallback: the center crop with the aspect ratio clamped into range.
    const double inRatio = static_cast<double>(width) / height;
    int w = width, h = height;
    if (inRatio < o.ratioMin) {
        h = static_cast<int>(std::nearbyint(w / o.ratioMin));
    } else if (inRatio > o.ratioMax) {
        w = static_cast<int>(std::nearbyint(h * o.ratioMax));
    }
    return {(width - w) / 2, (height - h) / 2, w, h};
}

cv::Mat augmentImage(const cv::Mat& rgb, const AugmentOptions& o, const EvalTransform& t, std::mt19937& rng) {
    if (rgb.empty() || rgb.type() != CV_8UC3) throw DataError("Augmentation needs an 8-bit RGB image.");
    cv::Mat img;
    if (o.preset == AugmentPreset::Standard) {
        const cv::Rect box = randomResizedCropBox(rgb.cols, rgb.rows, o, rng);
        img = resamplePil(rgb(box), t.cropSize, t.cropSize, t.filter);
        if (o.horizontalFlip && bernoulli(rng, 0.5)) cv::flip(img, img, 1);
    } else {
        img = resizeAndCrop(rgb, t);
    }
    if (o.verticalFlip && bernoulli(rng, 0.5)) cv::flip(img, img, 0);
    if (o.rotationDegrees > 0.0) rotate(img, uniformReal(rng, -o.rotationDegrees, o.rotationDegrees));
    if (o.colorJitter.enabled()) colorJitter(img, o.colorJitter, rng);
    if (o.randomErasing > 0.0 && bernoulli(rng, o.randomErasing)) randomErase(img, t.mean, rng);
    return img;
}

SampleTransform makeTrainTransform(const AugmentOptions& options, const EvalTransform& t) {
    options.validate();
    return [options, t](const cv::Mat& rgb, std::mt19937& rng) {
        return toNormalizedTensor(augmentImage(rgb, options, t, rng), t.mean, t.std);
    };
}

SampleTransform makeEvalTransform(const EvalTransform& t) {
    return [t](const cv::Mat& rgb, std::mt19937&) { return evalTensor(rgb, t); };
}

std::vector<cv::Mat> previewAugmentations(const cv::Mat& rgb, const AugmentOptions& options, int n, uint64_t seed,
                                          const EvalTransform& t) {
    options.validate();
    std::vector<cv::Mat> out;
    for (int i = 0; i < n; ++i) {
        std::mt19937 rng = seededMt19937(mixSeed(seed, static_cast<uint64_t>(i)));
        out.push_back(augmentImage(rgb, options, t, rng));
    }
    return out;
}

} // namespace ts::data
