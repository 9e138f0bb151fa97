// `tstudio viz` end to end with the genuine ImageNet MobileNetV2 of ../shared:
// every subcommand writes its PNG and says what it showed; errors say what to do.
#include "core/data/ImageIO.h"
#include "core/export/Bundle.h"
#include "core/zoo/Registry.h"
#include "tests/support/TestSupport.h"

#include <ATen/Functions.h>
#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>

using ts::test::shellQuote;

namespace {
std::string weightsPath(const std::string& shared) { return shared + "/weights/mobilenet_v2_imagenet.pth"; }
} // namespace

TEST(VizCli, WritesEveryView) {
    const std::string shared = ts::test::sharedDir();
    TS_REQUIRE_SHARED(shared);
    ts::test::TempDir dir;
    const std::string base = shellQuote(ts::test::binaryPath("tstudio")) + " viz ";
    const std::string model = " --arch mobilenet_v2 --weights " + shellQuote(weightsPath(shared));
    const std::string parrot = " --image " + shellQuote(shared + "/images/parrot.jpg");
    std::string out;

    ASSERT_EQ(ts::test::runCommand(base + "layers" + model, &out), 0) << out;
    EXPECT_NE(out.find("features.0.0"), std::string::npos) << out;
    EXPECT_NE(out.find("1280x7x7"), std::string::npos) << out;
    EXPECT_NE(out.find("default Grad-CAM layer"), std::string::npos) << out;

    const struct {
        std::string args;
        std::string file;
        std::string expect;
    } runs[] = {
        {"filters" + model, "filters.png", "features.0.0"},
        {"features" + model + parrot + " --layer features.4", "features.png", "features.4"},
        {"gradcam" + model + parrot, "gradcam.png", "macaw"},
        {"gradcam" + model + parrot + " --class 'African grey' --method gradcam++", "grey.png", "African grey"},
        {"saliency" + model + parrot, "saliency.png", "macaw"},
        {"maximize" + model + " --layer features.4 --channel 3 --octaves 1 --steps 5 --size 96", "max.png", "objective"},
    };
    for (const auto& r : runs) {
        const std::string png = dir.file(r.file);
        ASSERT_EQ(ts::test::runCommand(base + r.args + " --out " + shellQuote(png), &out), 0) << r.args << "\n" << out;
        EXPECT_NE(out.find(r.expect), std::string::npos) << r.args << "\n" << out;
        const cv::Mat m = cv::imread(png);
        EXPECT_FALSE(m.empty()) << png;
    }
    EXPECT_TRUE(std::filesystem::exists(dir.file("gradcam_heatmap.png")));
    EXPECT_EQ(cv::imread(dir.file("gradcam.png")).size(), cv::Size(512, 929));

    // Errors say what to do.
    EXPECT_EQ(ts::test::runCommand(base + "gradcam" + model + parrot + " --layer nope --out " +
                                       shellQuote(dir.file("x.png")),
                                   &out),
              1);
    EXPECT_NE(out.find("tstudio viz layers"), std::string::npos) << out;
    EXPECT_EQ(ts::test::runCommand(base + "filters --out " + shellQuote(dir.file("x.png")), &out), 1);
    EXPECT_NE(out.find("--arch"), std::string::npos) << out;
}

// A trained run's bundle: its own classes (by name) and its own
// preprocessing. Needs no ../shared material.
TEST(VizCli, WorksOnATrainedBundle) {
    ts::test::TempDir dir;
    torch::manual_seed(4);
    ts::zoo::Backbone model = ts::zoo::createModel("tiny_cnn", {3});
    model->eval();
    ts::exporting::BundleMeta meta;
    meta.arch = "tiny_cnn";
    meta.classes = {"ants", "bees", "wasps"};
    meta.transform = ts::data::EvalTransform::forModel(ts::zoo::modelInfo("tiny_cnn"));
    meta.transform.resizeSize = 80;
    meta.transform.cropSize = 64;
    ts::exporting::saveBundle(*model, meta, dir.file("model.tsb"));
    cv::Mat img(90, 120, CV_8UC3);
    cv::randu(img, 0, 255);
    ts::data::savePng(img, dir.file("img.png"));

    const std::string base = shellQuote(ts::test::binaryPath("tstudio")) + " viz ";
    const std::string m = " --model " + shellQuote(dir.file("model.tsb"));
    std::string out;
    ASSERT_EQ(ts::test::runCommand(base + "gradcam" + m + " --image " + shellQuote(dir.file("img.png")) +
                                       " --class bees --out " + shellQuote(dir.file("cam.png")),
                                   &out),
              0)
        << out;
    EXPECT_NE(out.find("class 1 bees"), std::string::npos) << out;
    EXPECT_EQ(cv::imread(dir.file("cam.png")).size(), cv::Size(120, 90));
    EXPECT_EQ(cv::imread(dir.file("cam_heatmap.png")).size(), cv::Size(64, 64));
    ASSERT_EQ(ts::test::runCommand(base + "layers" + m, &out), 0) << out;
    EXPECT_NE(out.find("64x4x4"), std::string::npos) << out;  // features.3 at the bundle's 64 px crop
    EXPECT_EQ(ts::test::runCommand(base + "gradcam" + m + " --image " + shellQuote(dir.file("img.png")) +
                                       " --class hornets --out " + shellQuote(dir.file("x.png")),
                                   &out),
              1);
    EXPECT_NE(out.find("matches no class name"), std::string::npos) << out;
}
