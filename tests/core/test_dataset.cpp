// DatasetIndex: folder scan, class order, stratified split, manifest.
#include "core/common/Error.h"
#include "core/data/Dataset.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
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
    EXPECT_EQ(index.splitSource, data::SplitSource::Split);
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
    EXPECT_EQ(index.splitSource, data::SplitSource::Folders);
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

// ---- Hostile folders: links, loops and special files -------------------------

namespace {

std::map<std::string, std::string> skippedByPath(const data::DatasetIndex& index) {
    std::map<std::string, std::string> out;
    for (const auto& s : index.skipped) out[s.path] = data::toString(s.reason);
    return out;
}

// A listening-less Unix socket at `path` (bound, then the descriptor closed).
bool makeSocket(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) {
        ::close(fd);
        return false;
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

} // namespace

TEST(Dataset, LinksLoopsAndSpecialFilesAreSkippedAndReported) {
    test::TempDir dir;
    const std::string root = dir.file("data");
    makeFlat(root, {{"cats", 2}, {"dogs", 2}});
    touch(dir.file("elsewhere/secret.jpg"));
    touch(dir.file("elsewhere/more/x.jpg"));
    touch(dir.file("pool/birds/b.jpg"));
    // Loops: each of these used to multiply the files (two of them hung the scan).
    fs::create_directory_symlink(".", root + "/cats/loop");
    fs::create_directory_symlink(".", root + "/cats/loop2");
    fs::create_directory_symlink("..", root + "/dogs/up");  // would make the dataset folder part of 'dogs'
    fs::create_directory_symlink(".", root + "/loop");      // would be a class holding every class
    fs::create_symlink("self.jpg", root + "/cats/self.jpg"); // ELOOP
    fs::create_symlink("nowhere.jpg", root + "/cats/dangling.jpg");
    // Out of the dataset folder: followed, as ImageFolder does (datasets made
    // of links into a pool of images are common), unless the target holds
    // the dataset itself.
    fs::create_directory_symlink("../../elsewhere/more", root + "/cats/more");
    fs::create_directory_symlink("../pool/birds", root + "/birds");
    fs::create_symlink("../../elsewhere/secret.jpg", root + "/dogs/secret.jpg");
    fs::create_directory_symlink("../..", root + "/dogs/top");  // holds the dataset: a loop
    // Special files: never opened (a FIFO blocks the reader, /dev/zero never ends).
    ASSERT_EQ(::mkfifo((root + "/cats/pipe.jpg").c_str(), 0600), 0);
    fs::create_symlink("/dev/zero", root + "/cats/zero.jpg");
    fs::create_symlink("pipe.jpg", root + "/cats/pipe_link.jpg");
    const bool socket = makeSocket(root + "/dogs/sock.png");
    // Allowed: a link to a regular file inside the dataset (listed under its own path).
    fs::create_symlink("../cats/img_0.jpg", root + "/dogs/alias.jpg");

    const auto started = std::chrono::steady_clock::now();
    const auto index = data::indexDataset(root);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));

    EXPECT_EQ(index.classes, (std::vector<std::string>{"birds", "cats", "dogs"}));
    std::set<std::string> listed;
    for (const auto& item : index.all()) EXPECT_TRUE(listed.insert(item.path).second) << "listed twice: " << item.path;
    const std::set<std::string> expected{root + "/cats/img_0.jpg", root + "/cats/img_1.jpg", root + "/dogs/img_0.jpg",
                                         root + "/dogs/img_1.jpg", root + "/dogs/alias.jpg", root + "/birds/b.jpg",
                                         root + "/cats/more/x.jpg", root + "/dogs/secret.jpg"};
    EXPECT_EQ(listed, expected);
    for (const auto& item : index.all())
        EXPECT_EQ(index.classes[static_cast<size_t>(item.label)],
                  fs::path(item.path).lexically_relative(root).begin()->string())
            << item.path;

    std::map<std::string, std::string> want{
        {root + "/cats/loop", "link_loop"},          {root + "/cats/loop2", "link_loop"},
        {root + "/dogs/up", "link_loop"},            {root + "/loop", "link_loop"},
        {root + "/cats/self.jpg", "link_loop"},      {root + "/cats/dangling.jpg", "broken_link"},
        {root + "/dogs/top", "link_loop"},           {root + "/cats/pipe.jpg", "special_file"},
        {root + "/cats/zero.jpg", "special_file"},   {root + "/cats/pipe_link.jpg", "special_file"},
    };
    if (socket) want[root + "/dogs/sock.png"] = "special_file";
    EXPECT_EQ(skippedByPath(index), want);
    for (const auto& s : index.skipped)
        EXPECT_NE(s.message.find(fs::path(s.path).filename().string()), std::string::npos) << s.message;
    const auto pipe = std::find_if(index.skipped.begin(), index.skipped.end(),
                                   [&](const data::SkippedEntry& s) { return s.path == root + "/cats/pipe.jpg"; });
    ASSERT_NE(pipe, index.skipped.end());
    EXPECT_NE(pipe->message.find("FIFO"), std::string::npos) << pipe->message;
}

TEST(Dataset, LinksNeverRelabelOrLeakBetweenSplits) {
    test::TempDir dir;
    const std::string root = dir.file("data");
    makeFlat(root + "/train", {{"cats", 3}, {"dogs", 3}});
    makeFlat(root + "/val", {{"dogs", 1}});
    touch(root + "/train/dogs/sub/deep.jpg");
    fs::create_directory_symlink("../train/cats", root + "/val/cats");      // val = train: leakage
    fs::create_directory_symlink("../cats", root + "/train/dogs/cats_too"); // cats labelled as dogs
    fs::create_directory_symlink("sub", root + "/train/dogs/sub_again");    // the same folder twice
    fs::create_directory_symlink("dogs", root + "/train/hounds");           // a second class for the same folder
    fs::create_directory_symlink("dogs/sub", root + "/train/puppies");      // a class inside a class

    const auto index = data::indexDataset(root);
    EXPECT_EQ(index.splitSource, data::SplitSource::Folders);
    EXPECT_EQ(index.classes, (std::vector<std::string>{"cats", "dogs"}));
    EXPECT_EQ(index.classCounts(index.train), (std::vector<int64_t>{3, 4}));
    EXPECT_EQ(index.classCounts(index.val), (std::vector<int64_t>{0, 1}));
    for (const auto& item : index.train)
        if (item.label == 1) EXPECT_EQ(item.path.find("/cats"), std::string::npos) << item.path;
    const std::map<std::string, std::string> want{
        {root + "/val/cats", "other_class"},
        {root + "/train/dogs/cats_too", "other_class"},
        {root + "/train/dogs/sub_again", "already_scanned"},
        {root + "/train/hounds", "already_scanned"},
        {root + "/train/puppies", "other_class"},
    };
    EXPECT_EQ(skippedByPath(index), want);
}

TEST(Dataset, AFolderLinkInsideTheClassIsFollowedOnce) {
    test::TempDir dir;
    const std::string root = dir.file("data");
    makeFlat(root, {{"a", 2}, {"b", 2}});
    touch(root + "/a/.stash/hidden_0.jpg");
    fs::create_directory_symlink(".stash", root + "/a/extra");  // inside the class folder: fine
    fs::create_directory_symlink("a", root + "/.a_link");        // hidden: ignored as before
    const auto index = data::indexDataset(root);
    EXPECT_EQ(index.classCounts(index.all()), (std::vector<int64_t>{3, 2}));
    EXPECT_TRUE(index.skipped.empty()) << index.skipped.front().message;
    bool viaLink = false;
    for (const auto& item : index.all()) viaLink |= item.path == root + "/a/extra/hidden_0.jpg";
    EXPECT_TRUE(viaLink);
}
