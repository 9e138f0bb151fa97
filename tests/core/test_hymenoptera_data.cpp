// Real data: torchvision's hymenoptera (ants/bees) tutorial set from ../shared.
#include "core/data/Augment.h"
#include "core/data/Dataset.h"
#include "core/data/Doctor.h"
#include "core/data/ImageIO.h"
#include "core/data/Loader.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>

using namespace ts;
namespace fs = std::filesystem;

namespace {

std::string hymenopteraDir() {
    const std::string shared = test::sharedDir();
    if (shared.empty()) return {};
    const std::string dir = shared + "/data/hymenoptera_data";
    return fs::is_directory(dir) ? dir : std::string();
}

} // namespace

TEST(Hymenoptera, IndexMatchesImageFolder) {
    const std::string root = hymenopteraDir();
    TS_REQUIRE_SHARED(root);
    const auto index = data::indexDataset(root);
    EXPECT_EQ(index.splitSource, data::SplitSource::Folders);
    EXPECT_EQ(index.classes, (std::vector<std::string>{"ants", "bees"}));
    EXPECT_EQ(index.classCounts(index.train), (std::vector<int64_t>{124, 121}));  // incl. the GIF
    EXPECT_EQ(index.classCounts(index.val), (std::vector<int64_t>{70, 83}));
    EXPECT_TRUE(index.test.empty());
    EXPECT_EQ(data::manifestHash(index), data::manifestHash(data::fromManifest(data::toManifest(index))));
}

TEST(Hymenoptera, DoctorFlagsOnlyTheGif) {
    const std::string root = hymenopteraDir();
    TS_REQUIRE_SHARED(root);
    const auto index = data::indexDataset(root);
    const auto report = data::diagnose(index);
    const std::string gif = index.root + "/train/ants/imageNotFound.gif";
    std::vector<data::Problem> serious;
    for (const auto& p : report.problems)
        if (p.severity != data::Severity::Info) serious.push_back(p);
    ASSERT_EQ(serious.size(), 1u) << data::toJson(report).dump(1);
    EXPECT_EQ(serious[0].kind, data::ProblemKind::UnsupportedFormat);
    EXPECT_EQ(serious[0].path, gif);
    EXPECT_EQ(report.badFiles(), (std::vector<std::string>{gif}));
    EXPECT_EQ(report.splits[0].usable, (std::vector<int64_t>{123, 121}));

    // The file name with a space is read like any other.
    const std::string spaced = index.root + "/train/ants/ant photos.jpg";
    for (const auto& p : report.problems) EXPECT_NE(p.path, spaced) << p.message;
    const cv::Mat rgb = data::loadImageRgb(spaced);
    EXPECT_EQ(rgb.channels(), 3);
    EXPECT_GT(rgb.rows, 32);
}

TEST(Hymenoptera, LoaderSkipsTheGifAndDeliversTheRest) {
    const std::string root = hymenopteraDir();
    TS_REQUIRE_SHARED(root);
    const auto index = data::indexDataset(root);
    data::EvalTransform t;
    t.resizeSize = 64;
    t.cropSize = 56;
    data::AugmentOptions augment;
    data::LoaderOptions o;
    o.batchSize = 16;
    o.shuffle = true;
    o.decodeAtLeast = 64;
    data::Loader loader(index.train, data::makeTrainTransform(augment, t), o);
    loader.startEpoch(0);
    int64_t delivered = 0;
    while (auto batch = loader.next()) {
        EXPECT_EQ(batch->images.size(2), 56);
        delivered += batch->images.size(0);
    }
    EXPECT_EQ(delivered, 244);
    const auto skipped = loader.skipped();
    ASSERT_EQ(skipped.size(), 1u);
    EXPECT_EQ(skipped[0].path, index.root + "/train/ants/imageNotFound.gif");
}
