// Eval preprocessing against torchvision's transforms on PIL images.
#include "core/data/ImageIO.h"
#include "core/data/Preprocess.h"
#include "core/data/Resize.h"
#include "tests/support/TestSupport.h"

#include <ATen/Functions.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using namespace ts;

namespace {

// A photo-like test image: smooth gradients, hard edges and noise.
cv::Mat syntheticImage(int width, int height, unsigned seed) {
    cv::Mat img(height, width, CV_8UC3);
    cv::RNG rng(seed);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            img.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(255 * x / width), static_cast<uchar>(255 * y / height),
                                                static_cast<uchar>((x * 7 + y * 3) % 256));
    cv::circle(img, {width / 3, height / 2}, std::min(width, height) / 4, {250, 20, 40}, -1);
    cv::Mat noise(height, width, CV_8UC3);
    rng.fill(noise, cv::RNG::UNIFORM, 0, 40);
    img += noise;
    return img;
}

struct Case {
    int width, height, resize, crop;
    bool bicubic;
};

class PreprocessParity : public ::testing::TestWithParam<Case> {};

} // namespace

TEST_P(PreprocessParity, MatchesTorchvisionOnPil) {
    const std::string py = test::referencePython();
    TS_REQUIRE_REFERENCE_PYTHON(py);
    const Case c = GetParam();
    test::TempDir dir;
    const cv::Mat rgb = syntheticImage(c.width, c.height, static_cast<unsigned>(c.width * 31 + c.height));
    const std::string png = dir.file("in.png");
    data::savePng(rgb, png);
    const std::string out = dir.file("ref.pth");
    std::string log;
    ASSERT_EQ(test::runCommand(test::shellQuote(py) + " " + test::shellQuote(test::pythonScript("reference.py")) +
                                   " transform --image " + png + " --resize " + std::to_string(c.resize) + " --crop " +
                                   std::to_string(c.crop) + (c.bicubic ? " --bicubic" : "") + " --out " + out,
                               &log),
              0)
        << log;
    const auto ref = test::readTensorFile(out);

    const cv::Mat loaded = data::loadImageRgb(png);
    const auto filter = c.bicubic ? data::ResampleFilter::Bicubic : data::ResampleFilter::Bilinear;
    const cv::Mat resized = data::resizeShorterSide(loaded, c.resize, filter);
    const at::Tensor refResized = test::tensorNamed(ref, "resized");
    ASSERT_EQ(resized.rows, refResized.size(0));
    ASSERT_EQ(resized.cols, refResized.size(1));
    const at::Tensor ours = at::from_blob(resized.data, {resized.rows, resized.cols, 3}, at::kByte).clone();
    const int64_t maxDiff = (ours.to(at::kInt) - refResized.to(at::kInt)).abs().max().item<int64_t>();
    EXPECT_EQ(maxDiff, 0) << "resampling differs from PIL by up to " << maxDiff << " levels";

    data::EvalTransform t;
    t.resizeSize = c.resize;
    t.cropSize = c.crop;
    t.filter = filter;
    const at::Tensor tensor = data::evalTensor(loaded, t);
    const at::Tensor refTensor = test::tensorNamed(ref, "tensor");
    ASSERT_EQ(tensor.sizes(), refTensor.sizes());
    EXPECT_LT((tensor - refTensor).abs().max().item<double>(), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Shapes, PreprocessParity,
                         ::testing::Values(Case{640, 480, 256, 224, false}, Case{300, 500, 256, 224, false},
                                           Case{193, 130, 256, 224, false},  // upscaling, like hymenoptera's smallest
                                           Case{257, 255, 232, 224, false}, Case{1001, 777, 342, 299, false},
                                           Case{640, 480, 255, 240, true}, Case{200, 200, 256, 224, false}));

TEST(Preprocess, CenterCropRoundsHalfToEvenAndPadsSmallImages) {
    cv::Mat img(5, 8, CV_8UC1);
    for (int y = 0; y < 5; ++y)
        for (int x = 0; x < 8; ++x) img.at<uchar>(y, x) = static_cast<uchar>(y * 10 + x);
    // (8-3)/2 = 2.5 -> 2 (Python's round), (5-3)/2 = 1
    const cv::Mat crop = data::centerCrop(img, 3);
    EXPECT_EQ(crop.at<uchar>(0, 0), 12);
    const cv::Mat padded = data::centerCrop(img, 10);
    EXPECT_EQ(padded.rows, 10);
    EXPECT_EQ(padded.at<uchar>(0, 0), 0);
}

TEST(ImageIO, ClearErrorsForEmptyGifAndNonImages) {
    test::TempDir dir;
    auto write = [&](const std::string& name, const std::string& bytes) {
        FILE* f = std::fopen(dir.file(name).c_str(), "wb");
        std::fwrite(bytes.data(), 1, bytes.size(), f);
        std::fclose(f);
        return dir.file(name);
    };
    auto messageOf = [](const std::string& path) {
        try {
            data::loadImageRgb(path);
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    const std::string empty = write("empty.jpg", "");
    EXPECT_NE(messageOf(empty).find("zero-byte"), std::string::npos) << messageOf(empty);
    const std::string gif = write("a.gif", "GIF89a\x01\x00\x01\x00");
    EXPECT_NE(messageOf(gif).find("GIF"), std::string::npos);
    const std::string txt = write("notes.jpg", "hello, I am text");
    EXPECT_NE(messageOf(txt).find("not an image"), std::string::npos);
    const std::string trunc = write("trunc.png", std::string("\x89PNG\r\n\x1a\n\x00\x00", 10));
    EXPECT_NE(messageOf(trunc).find("corrupt or truncated"), std::string::npos) << messageOf(trunc);
    EXPECT_NE(messageOf(trunc).find(trunc), std::string::npos);
}
