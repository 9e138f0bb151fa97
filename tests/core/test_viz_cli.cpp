// `tstudio viz` end to end with the genuine ImageNet MobileNetV2 of ../shared:
// every subcommand writes its PNG and says what it showed; errors say what to do.
#include "tests/support/TestSupport.h"

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
