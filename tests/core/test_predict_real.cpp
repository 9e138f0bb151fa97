// The genuine ImageNet MobileNetV2 in ../shared predicts torchvision's top-5
// on real photos, through the CLI (`tstudio predict --json`).
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

using ts::test::shellQuote;

TEST(PredictReal, TopFiveMatchesTorchvision) {
    const std::string shared = ts::test::sharedDir();
    TS_REQUIRE_SHARED(shared);
    std::ifstream in(shared + "/images/expected_torchvision_top5.json");
    const auto expected = nlohmann::json::parse(in);
    std::string cmd = shellQuote(ts::test::binaryPath("tstudio")) + " predict --json --arch mobilenet_v2 --weights " +
                      shellQuote(shared + "/weights/mobilenet_v2_imagenet.pth");
    for (const auto& e : expected) cmd += " " + shellQuote(shared + "/images/" + e["image"].get<std::string>());
    std::string out;
    ASSERT_EQ(ts::test::runCommand(cmd + " 2>/dev/null", &out), 0) << out;
    const auto got = nlohmann::json::parse(out);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
        const auto& g = got[i]["top"];
        const auto& e = expected[i]["top"];
        ASSERT_EQ(g.size(), 5u);
        for (size_t k = 0; k < 5; ++k) {
            EXPECT_EQ(g[k]["index"], e[k]["index"]) << expected[i]["image"] << " rank " << k;
            EXPECT_NEAR(g[k]["prob"].get<double>(), e[k]["prob"].get<double>(), 0.02) << expected[i]["image"];
        }
    }
}

TEST(PredictReal, ParrotIsAMacaw) {
    const std::string shared = ts::test::sharedDir();
    TS_REQUIRE_SHARED(shared);
    std::string out;
    ASSERT_EQ(ts::test::runCommand(shellQuote(ts::test::binaryPath("tstudio")) +
                                       " predict --arch mobilenet_v2 --topk 1 --weights " +
                                       shellQuote(shared + "/weights/mobilenet_v2_imagenet.pth") + " " +
                                       shellQuote(shared + "/images/parrot.jpg"),
                                   &out),
              0)
        << out;
    EXPECT_NE(out.find("macaw"), std::string::npos) << out;
}

TEST(PredictReal, MissingCachedWeightsSayHowToGetThem) {
    ts::test::TempDir home;
    std::string out;
    const int rc = ts::test::runCommand("TORCH_HOME=" + shellQuote(home.path()) + " " +
                                            shellQuote(ts::test::binaryPath("tstudio")) +
                                            " predict --arch mobilenet_v2 some.jpg",
                                        &out);
    EXPECT_EQ(rc, 1);
    EXPECT_NE(out.find("tstudio weights download mobilenet_v2"), std::string::npos) << out;
    EXPECT_NE(out.find("https://download.pytorch.org/models/mobilenet_v2-b0353104.pth"), std::string::npos) << out;
    EXPECT_NE(out.find(home.path() + "/hub/checkpoints"), std::string::npos) << out;
}
