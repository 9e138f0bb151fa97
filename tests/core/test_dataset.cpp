// DatasetIndex: folder scan, class order, stratified split, manifest.
#include "core/common/Error.h"
#include "core/data/Dataset.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>

using namespace ts;
namespace fs = std::filesystem;

namespace {

void touch(const std::string& path, const std::string& content = "x") {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << content;
}

// ROOT/<class>/img_<i>.jpg with `counts[c]` files per class (content does not
// matter to the index).
void makeFlat(const std::string& root, const std::vector<std::pair<std::string, int>>& counts) {
    for (const auto& [cls, n] : counts)
        for (int i = 0; i < n; ++i) touch(root + "/" + cls + "/img_" + std::to_string(i) + ".jpg");
}

std::set<std::string> paths(const std::vector<data::ImageItem>& items) {
    std::set<std::string> out;
    for (const auto& i : items) out.insert(i.path);
    return out;
}

} // namespace

TEST(Dataset, ImageExtensions) {
    EXPECT_TRUE(data::hasImageExtension("a/b.JPG"));
    EXPECT_TRUE(data::hasImageExtension("x.jpeg"));
    EXPECT_TRUE(data::hasImageExtension("x.Png"));
    EXPECT_TRUE(data::hasImageExtension("x.webp"));
    EXPECT_TRUE(data::hasImageExtension("x.tif"));
    EXPECT_FALSE(data::hasImageExtension("x.gif"));
    EXPECT_TRUE(data::isListedExtension("x.gif"));
    EXPECT_FALSE(data::hasImageExtension("notes.txt"));
    EXPECT_FALSE(data::hasImageExtension("jpg"));
}

TEST(Dataset, FlatFoldersGiveAStratifiedSeededSplit) {
    test::TempDir dir;
    makeFlat(dir.path(), {{"zebra", 50}, {"ant", 10}, {"Bee", 21}});
    touch(dir.file("ant/.hidden.jpg"));
    touch(dir.file("ant/notes.txt"));
    touch(dir.file(".cache/x.jpg"));  // hidden folder: not a class

    const auto index = data::indexDataset(dir.path());
    EXPECT_EQ(index.splitSource, "split");
    // Sorted as Python's sorted(): upper case before lower case.
    EXPECT_EQ(index.classes, (std::vector<std::string>{"Bee", "ant", "zebra"}));
    EXPECT_EQ(index.classCounts(index.val), (std::vector<int64_t>{4, 2, 10}));  // round(0.2 n)
    EXPECT_EQ(index.classCounts(index.train), (std::vector<int64_t>{17, 8, 40}));
    EXPECT_TRUE(index.test.empty());
    ASSERT_EQ(index.ignoredFiles.size(), 1u);
    EXPECT_EQ(fs::path(index.ignoredFiles[0]).filename(), "notes.txt");

    // Train and val are disjoint and together hold every image.
    const auto train = paths(index.train), val = paths(index.val);
    for (const auto& p : val) EXPECT_EQ(train.count(p), 0u) << p;
    EXPECT_EQ(train.size() + val.size(), 81u);
    for (const auto& item : index.all())
        EXPECT_EQ(fs::path(item.path).parent_path().filename().string(), index.classes[static_cast<size_t>(item.label)]);

    // Same seed, same split; another seed, another split.
    const auto again = data::indexDataset(dir.path());
    EXPECT_EQ(paths(again.val), val);
    data::SplitOptions other;
    other.seed = 7;
    const auto reseeded = data::indexDataset(dir.path(), other);
    EXPECT_NE(paths(reseeded.val), val);
    EXPECT_EQ(reseeded.classCounts(reseeded.val), index.classCounts(index.val));

    data::SplitOptions half;
    half.valFraction = 0.5;
    const auto halved = data::indexDataset(dir.path(), half);
    EXPECT_EQ(halved.classCounts(halved.val), (std::vector<int64_t>{11, 5, 25}));  // 10.5 rounds up
}

TEST(Dataset, SmallClassesKeepOneImageOnEachSide) {
    test::TempDir dir;
    makeFlat(dir.path(), {{"a", 2}, {"b", 3}, {"c", 1}});
    const auto index = data::indexDataset(dir.path());
    EXPECT_EQ(index.classCounts(index.train), (std::vector<int64_t>{1, 2, 1}));
    EXPECT_EQ(index.classCounts(index.val), (std::vector<int64_t>{1, 1, 0}));
}

TEST(Dataset, TrainValFoldersAreUsedAsGiven) {
    test::TempDir dir;
    makeFlat(dir.file("train"), {{"cats", 5}, {"dogs", 4}});
    makeFlat(dir.file("val"), {{"cats", 2}, {"dogs", 3}});
    makeFlat(dir.file("test"), {{"dogs", 1}, {"owls", 1}});
    touch(dir.file("train/dogs/nested/deep.png"));

    const auto index = data::indexDataset(dir.path());
    EXPECT_EQ(index.splitSource, "folders");
    EXPECT_EQ(index.classes, (std::vector<std::string>{"cats", "dogs", "owls"}));
    EXPECT_EQ(index.classCounts(index.train), (std::vector<int64_t>{5, 5, 0}));
    EXPECT_EQ(index.classCounts(index.val), (std::vector<int64_t>{2, 3, 0}));
    EXPECT_EQ(index.classCounts(index.test), (std::vector<int64_t>{0, 1, 1}));
    for (const auto& item : index.train) EXPECT_NE(item.path.find("/train/"), std::string::npos);
    for (const auto& item : index.val) EXPECT_NE(item.path.find("/val/"), std::string::npos);
    // Files inside a class are in (folder, name) order, as ImageFolder's os.walk.
    EXPECT_EQ(fs::path(index.train[5].path).filename(), "img_0.jpg");
    EXPECT_EQ(fs::path(index.train[9].path).filename(), "deep.png");
}

TEST(Dataset, ClearErrors) {
    test::TempDir dir;
    try {
        data::indexDataset(dir.file("missing"));
        FAIL() << "no error";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(dir.file("missing")), std::string::npos) << e.what();
    }
    fs::create_directories(dir.file("empty"));
    touch(dir.file("empty/loose.jpg"));
    try {
        data::indexDataset(dir.file("empty"));
        FAIL() << "no error";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("no class folders"), std::string::npos) << e.what();
    }
    makeFlat(dir.file("one"), {{"only", 3}});
    try {
        data::indexDataset(dir.file("one"));
        FAIL() << "no error";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("only one class ('only')"), std::string::npos) << e.what();
    }
    touch(dir.file("file.jpg"));
    EXPECT_THROW(data::indexDataset(dir.file("file.jpg")), DataError);
    data::SplitOptions bad;
    bad.valFraction = 1.5;
    makeFlat(dir.file("two"), {{"a", 3}, {"b", 3}});
    EXPECT_THROW(data::indexDataset(dir.file("two"), bad), ConfigError);
}

TEST(Dataset, ManifestRoundTripAndHash) {
    test::TempDir dir;
    makeFlat(dir.file("data"), {{"a", 6}, {"b", 7}});
    const auto index = data::indexDataset(dir.file("data"));
    const nlohmann::json manifest = data::toManifest(index);
    // Paths are stored relative to the root, so a manifest survives moving the folder.
    EXPECT_EQ(manifest["train"][0][0].get<std::string>().find(dir.path()), std::string::npos);

    const auto back = data::fromManifest(nlohmann::json::parse(manifest.dump()));
    EXPECT_EQ(back.root, index.root);
    EXPECT_EQ(back.classes, index.classes);
    EXPECT_EQ(back.splitSource, index.splitSource);
    EXPECT_EQ(back.split.seed, index.split.seed);
    ASSERT_EQ(back.train.size(), index.train.size());
    ASSERT_EQ(back.val.size(), index.val.size());
    for (size_t i = 0; i < back.train.size(); ++i) {
        EXPECT_EQ(back.train[i].path, index.train[i].path);
        EXPECT_EQ(back.train[i].label, index.train[i].label);
    }
    const std::string hash = data::manifestHash(index);
    EXPECT_EQ(hash.size(), 64u);
    EXPECT_EQ(data::manifestHash(back), hash);

    // The same data elsewhere keeps its hash; another split changes it.
    fs::rename(dir.file("data"), dir.file("moved"));
    EXPECT_EQ(data::manifestHash(data::indexDataset(dir.file("moved"))), hash);
    data::SplitOptions other;
    other.seed = 1;
    EXPECT_NE(data::manifestHash(data::indexDataset(dir.file("moved"), other)), hash);

    nlohmann::json broken = manifest;
    broken["train"][0][1] = 5;
    EXPECT_THROW(data::fromManifest(broken), DataError);
    EXPECT_THROW(data::fromManifest(nlohmann::json{{"format", "other"}}), DataError);
}
