// Training transforms: RandomResizedCrop sampling, flips, options, determinism.
#include "core/common/Error.h"
#include "core/data/Augment.h"
#include "core/data/Preprocess.h"
#include "core/data/Random.h"
#include "core/data/Resize.h"

#include <ATen/Functions.h>
#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>

using namespace ts;

namespace {

cv::Mat photo(int width, int height, unsigned seed = 3) {
    cv::Mat img(height, width, CV_8UC3);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            img.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(255 * x / width), static_cast<uchar>(255 * y / height),
                                                static_cast<uchar>((x * 7 + y * 3) % 256));
    cv::Mat noise(height, width, CV_8UC3);
    cv::RNG(seed).fill(noise, cv::RNG::UNIFORM, 0, 30);
    return img + noise;
}

bool equal(const cv::Mat& a, const cv::Mat& b) {
    return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

} // namespace

TEST(Transforms, RandomResizedCropStatistics) {
    data::AugmentOptions o;
    std::mt19937 rng(1);
    const int w = 400, h = 300;
    double areaSum = 0;
    const int n = 4000;
    int fullWidth = 0;
    for (int i = 0; i < n; ++i) {
        const cv::Rect r = data::randomResizedCropBox(w, h, o, rng);
        ASSERT_GE(r.x, 0);
        ASSERT_GE(r.y, 0);
        ASSERT_LE(r.x + r.width, w);
        ASSERT_LE(r.y + r.height, h);
        const double area = static_cast<double>(r.width) * r.height / (w * h);
        const double ratio = static_cast<double>(r.width) / r.height;
        // Rounding to whole pixels moves area and ratio a little.
        EXPECT_GE(area, 0.08 * 0.9);
        EXPECT_LE(area, 1.0);
        EXPECT_GE(ratio, 0.75 * 0.9);
        EXPECT_LE(ratio, 4.0 / 3.0 * 1.1);
        areaSum += area;
        if (r.width == w) ++fullWidth;
    }
    // Uniform area in [0.08, 1], minus the draws that do not fit: mean around 0.5.
    EXPECT_GT(areaSum / n, 0.40);
    EXPECT_LT(areaSum / n, 0.56);
    EXPECT_LT(fullWidth, n / 10);
}

TEST(Transforms, RandomResizedCropFallsBackToClampedCenterCrop) {
    data::AugmentOptions o;
    o.scaleMin = 1.0;  // the whole area of a 10:1 strip never fits a 4:3 box
    std::mt19937 rng(5);
    const cv::Rect wide = data::randomResizedCropBox(1000, 100, o, rng);
    EXPECT_EQ(wide, cv::Rect(433, 0, 133, 100));  // round(100 * 4/3) = 133, left (1000 - 133) // 2
    const cv::Rect tall = data::randomResizedCropBox(100, 1000, o, rng);
    EXPECT_EQ(tall, cv::Rect(0, 433, 100, 133));  // round(100 / (3/4)) = 133
    const cv::Rect square = data::randomResizedCropBox(200, 200, o, rng);
    EXPECT_EQ(square.width * square.height, 200 * 200);
}

TEST(Transforms, PresetNoneIsTheEvalTransform) {
    const cv::Mat img = photo(320, 240);
    data::EvalTransform t;
    data::AugmentOptions o;
    o.preset = data::AugmentPreset::None;
    const auto transform = data::makeTrainTransform(o, t);
    std::mt19937 rng(3);
    const at::Tensor x = transform(img, rng);
    EXPECT_TRUE(at::equal(x, data::evalTensor(img, t)));
    EXPECT_TRUE(at::equal(data::makeEvalTransform(t)(img, rng), x));
}

TEST(Transforms, StandardCropIsThePilResizeOfTheBox) {
    const cv::Mat img = photo(300, 200);
    data::EvalTransform t;
    t.cropSize = 64;
    data::AugmentOptions o;
    o.horizontalFlip = false;
    std::mt19937 a(9), b(9);
    const cv::Rect box = data::randomResizedCropBox(img.cols, img.rows, o, a);
    const cv::Mat out = data::augmentImage(img, o, t, b);
    EXPECT_TRUE(equal(out, data::resamplePil(img(box), 64, 64)));
}

TEST(Transforms, HorizontalFlipHalfTheTime) {
    const cv::Mat img = photo(120, 90);
    data::EvalTransform t;
    t.cropSize = 48;
    data::AugmentOptions o;
    o.scaleMin = 1.0;
    o.ratioMin = o.ratioMax = 120.0 / 90.0;  // the box is always the whole image
    const cv::Mat plain = data::resamplePil(img, 48, 48);
    cv::Mat flipped;
    cv::flip(plain, flipped, 1);
    int flips = 0;
    const int n = 200;
    for (int i = 0; i < n; ++i) {
        std::mt19937 rng(static_cast<unsigned>(i));
        const cv::Mat out = data::augmentImage(img, o, t, rng);
        if (equal(out, flipped)) ++flips;
        else EXPECT_TRUE(equal(out, plain));
    }
    EXPECT_GT(flips, n * 35 / 100);
    EXPECT_LT(flips, n * 65 / 100);
}

TEST(Transforms, SameSeedSameTensorsEveryOption) {
    const cv::Mat img = photo(256, 192);
    data::EvalTransform t;
    t.cropSize = 96;
    data::AugmentOptions o;
    o.verticalFlip = true;
    o.rotationDegrees = 20;
    o.colorJitter = {0.4f, 0.4f, 0.4f, 0.1f};
    o.randomErasing = 0.5;
    const auto transform = data::makeTrainTransform(o, t);
    for (unsigned seed : {0u, 1u, 77u}) {
        std::mt19937 a(seed), b(seed), c(seed + 1000);
        const at::Tensor x = transform(img, a), y = transform(img, b), z = transform(img, c);
        EXPECT_EQ(x.sizes(), (std::vector<int64_t>{3, 96, 96}));
        EXPECT_EQ(x.scalar_type(), at::kFloat);
        EXPECT_TRUE(at::equal(x, y));
        EXPECT_FALSE(at::equal(x, z));
    }
}

TEST(Transforms, ColorJitterAndErasingDoWhatTheySay) {
    const cv::Mat img = photo(64, 64);
    data::EvalTransform t;
    t.resizeSize = 64;
    t.cropSize = 64;
    data::AugmentOptions o;
    o.preset = data::AugmentPreset::None;
    std::mt19937 first(1);
    const cv::Mat base = data::augmentImage(img, o, t, first);

    o.colorJitter.brightness = 0.5f;
    double lo = 1e9, hi = 0;
    for (unsigned s = 0; s < 40; ++s) {
        std::mt19937 rng(s);
        const double m = cv::mean(data::augmentImage(img, o, t, rng))[0];
        lo = std::min(lo, m);
        hi = std::max(hi, m);
    }
    const double m0 = cv::mean(base)[0];
    EXPECT_LT(lo, m0 * 0.8);  // factors in [0.5, 1.5]
    EXPECT_GT(hi, m0 * 1.1);
    EXPECT_GT(lo, m0 * 0.45);

    o.colorJitter = {};
    o.colorJitter.saturation = 1.0f;  // factor in [0, 2]: some outputs almost grey
    double minSpread = 1e9;
    for (unsigned s = 0; s < 100; ++s) {
        std::mt19937 rng(s);
        const cv::Mat out = data::augmentImage(img, o, t, rng);
        std::vector<cv::Mat> ch;
        cv::split(out, ch);
        minSpread = std::min(minSpread, cv::norm(ch[0], ch[1], cv::NORM_L1) / (64.0 * 64.0));
    }
    EXPECT_LT(minSpread, 15.0);

    o.colorJitter = {};
    o.randomErasing = 1.0;
    std::mt19937 rng(4);
    const cv::Mat erased = data::augmentImage(img, o, t, rng);
    cv::Mat diff;
    cv::absdiff(erased, base, diff);
    cv::Mat changed;
    cv::cvtColor(diff, changed, cv::COLOR_RGB2GRAY);
    const double fraction = cv::countNonZero(changed) / (64.0 * 64.0);
    EXPECT_GT(fraction, 0.01);
    EXPECT_LT(fraction, 0.40);
}

TEST(Transforms, RotationKeepsSizeAndBlackensCorners) {
    const cv::Mat img(80, 80, CV_8UC3, cv::Scalar(200, 200, 200));
    data::EvalTransform t;
    t.resizeSize = 80;
    t.cropSize = 80;
    data::AugmentOptions o;
    o.preset = data::AugmentPreset::None;
    o.rotationDegrees = 45;
    int blackCorners = 0;
    for (unsigned s = 0; s < 10; ++s) {
        std::mt19937 rng(s);
        const cv::Mat out = data::augmentImage(img, o, t, rng);
        ASSERT_EQ(out.size(), img.size());
        if (out.at<cv::Vec3b>(0, 0)[0] == 0) ++blackCorners;
        EXPECT_EQ(out.at<cv::Vec3b>(40, 40)[0], 200);
    }
    EXPECT_GT(blackCorners, 5);
}

TEST(Transforms, PreviewIsSeededAndStable) {
    const cv::Mat img = photo(200, 150);
    data::AugmentOptions o;
    o.colorJitter.hue = 0.2f;
    data::EvalTransform t;
    t.cropSize = 64;
    const auto four = data::previewAugmentations(img, o, 4, 11, t);
    const auto six = data::previewAugmentations(img, o, 6, 11, t);
    ASSERT_EQ(four.size(), 4u);
    ASSERT_EQ(six.size(), 6u);
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(four[i].type(), CV_8UC3);
        EXPECT_EQ(four[i].cols, 64);
        EXPECT_TRUE(equal(four[i], six[i]));
    }
    EXPECT_FALSE(equal(four[0], four[1]));
    EXPECT_FALSE(equal(data::previewAugmentations(img, o, 1, 12, t)[0], four[0]));
}

TEST(Transforms, InvalidOptionsAreConfigErrors) {
    data::AugmentOptions o;
    o.scaleMin = 0.9;
    o.scaleMax = 0.5;
    EXPECT_THROW(data::makeTrainTransform(o, {}), ConfigError);
    o = {};
    o.randomErasing = 2;
    EXPECT_THROW(o.validate(), ConfigError);
    o = {};
    o.colorJitter.hue = 0.7f;
    EXPECT_THROW(o.validate(), ConfigError);
}

TEST(Transforms, PortableRandomHelpers) {
    // mt19937's output is fixed by the standard, so these values hold everywhere.
    std::mt19937 rng(5489u);
    EXPECT_EQ(rng(), 3499211612u);
    std::mt19937 a(1), b(1);
    std::vector<int> v{0, 1, 2, 3, 4, 5, 6, 7};
    auto w = v;
    data::shuffleInPlace(v, a);
    data::shuffleInPlace(w, b);
    EXPECT_EQ(v, w);
    std::vector<int> counts(5, 0);
    for (int i = 0; i < 5000; ++i) ++counts[static_cast<size_t>(data::uniformInt(rng, 0, 4))];
    for (int c : counts) EXPECT_NEAR(c, 1000, 150);
    for (int i = 0; i < 1000; ++i) {
        const double u = data::uniformReal(rng, -2.0, 3.0);
        EXPECT_GE(u, -2.0);
        EXPECT_LT(u, 3.0);
    }
}
