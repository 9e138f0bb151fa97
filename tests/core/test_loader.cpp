// Loader: order, determinism across worker counts, bad files, bounded
// read-ahead, restart and shutdown in the middle of an epoch.
#include "core/common/Error.h"
#include "core/data/Augment.h"
#include "core/data/Loader.h"
#include "tests/core/HostileImages.h"
#include "tests/support/TestSupport.h"

#include <ATen/Functions.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

using namespace ts;

namespace {

// `n` small PNGs whose colour encodes their index; files listed in `bad` are
// written as garbage instead.
std::vector<data::ImageItem> makeImages(const test::TempDir& dir, int n, const std::set<int>& bad = {}) {
    std::vector<data::ImageItem> items;
    for (int i = 0; i < n; ++i) {
        const std::string path = dir.file("img_" + std::to_string(i) + ".png");
        if (bad.count(i)) {
            std::ofstream(path, std::ios::binary) << "not an image " << i;
        } else {
            cv::Mat img(24 + i % 5, 30, CV_8UC3, cv::Scalar(i % 256, (i * 7) % 256, 100));
            cv::randu(img(cv::Rect(0, 0, 10, 10)), 0, 255);
            EXPECT_TRUE(cv::imwrite(path, img));
        }
        items.push_back({path, i % 3});
    }
    return items;
}

data::SampleTransform smallAugment() {
    data::EvalTransform t;
    t.cropSize = 16;
    data::AugmentOptions o;
    o.colorJitter.brightness = 0.3f;
    o.rotationDegrees = 10;
    return data::makeTrainTransform(o, t);
}

std::vector<data::Batch> drain(data::Loader& loader) {
    std::vector<data::Batch> out;
    while (auto b = loader.next()) out.push_back(std::move(*b));
    return out;
}

} // namespace

TEST(Loader, SequentialOrderBatchesAndLabels) {
    test::TempDir dir;
    const auto items = makeImages(dir, 10);
    data::LoaderOptions o;
    o.batchSize = 4;
    data::Loader loader(items, smallAugment(), o);
    EXPECT_EQ(loader.size(), 10u);
    EXPECT_EQ(loader.numBatches(), 3u);
    loader.startEpoch(0);
    const auto batches = drain(loader);
    ASSERT_EQ(batches.size(), 3u);
    std::vector<int64_t> seen;
    for (const auto& b : batches) {
        EXPECT_EQ(b.images.size(0), b.labels.size(0));
        EXPECT_EQ(b.images.sizes().slice(1), (std::vector<int64_t>{3, 16, 16}));
        EXPECT_EQ(b.labels.scalar_type(), at::kLong);
        for (size_t k = 0; k < b.indices.size(); ++k) {
            seen.push_back(b.indices[k]);
            EXPECT_EQ(b.labels[static_cast<int64_t>(k)].item<int64_t>(), items[static_cast<size_t>(b.indices[k])].label);
        }
    }
    EXPECT_EQ(seen, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
    EXPECT_EQ(batches[2].images.size(0), 2);
    EXPECT_FALSE(loader.next().has_value());  // stays at the end

    o.dropLast = true;
    data::Loader dropping(items, smallAugment(), o);
    EXPECT_EQ(dropping.numBatches(), 2u);
    dropping.startEpoch(0);
    EXPECT_EQ(drain(dropping).size(), 2u);
}

TEST(Loader, ShuffleIsSeededPerEpoch) {
    test::TempDir dir;
    const auto items = makeImages(dir, 12);
    data::LoaderOptions o;
    o.batchSize = 5;
    o.shuffle = true;
    o.seed = 3;
    auto order = [&](data::Loader& l, int epoch) {
        l.startEpoch(epoch);
        std::vector<int64_t> idx;
        for (const auto& b : drain(l)) idx.insert(idx.end(), b.indices.begin(), b.indices.end());
        return idx;
    };
    data::Loader a(items, smallAugment(), o), b(items, smallAugment(), o);
    const auto e0 = order(a, 0), e1 = order(a, 1);
    EXPECT_EQ(std::set<int64_t>(e0.begin(), e0.end()).size(), 12u);
    EXPECT_NE(e0, e1);
    EXPECT_EQ(order(b, 1), e1);  // the same epoch gives the same order, whatever came before
    EXPECT_EQ(order(a, 0), e0);
}

TEST(Loader, OneOrTwoWorkersGiveIdenticalBatches) {
    test::TempDir dir;
    const auto items = makeImages(dir, 23, {4, 5, 6, 7, 13});
    auto run = [&](int workers) {
        data::LoaderOptions o;
        o.batchSize = 4;
        o.shuffle = true;
        o.seed = 11;
        o.workers = workers;
        o.prefetchBatches = 2;
        data::Loader loader(items, smallAugment(), o);
        std::vector<data::Batch> all;
        for (int epoch : {0, 1}) {
            loader.startEpoch(epoch);
            for (auto& b : drain(loader)) all.push_back(std::move(b));
        }
        return all;
    };
    const auto one = run(1), two = run(2), zero = run(0);
    ASSERT_EQ(one.size(), two.size());
    ASSERT_EQ(one.size(), zero.size());
    for (size_t i = 0; i < one.size(); ++i) {
        EXPECT_EQ(one[i].indices, two[i].indices);
        EXPECT_TRUE(at::equal(one[i].images, two[i].images)) << "batch " << i;
        EXPECT_TRUE(at::equal(one[i].labels, two[i].labels));
        EXPECT_TRUE(at::equal(one[i].images, zero[i].images)) << "batch " << i;
    }
    // Augmentation differs between epochs (the rng is seeded by the epoch too).
    int64_t delivered = 0;
    for (const auto& b : one) delivered += b.images.size(0);
    EXPECT_EQ(delivered, 2 * (23 - 5));
}

TEST(Loader, BadFilesAreSkippedOnceAndNeverThrow) {
    test::TempDir dir;
    // Batch 1 (items 2, 3) is entirely bad; item 6 is missing altogether.
    auto items = makeImages(dir, 8, {2, 3, 5});
    items[6].path = dir.file("vanished.png");
    data::LoaderOptions o;
    o.batchSize = 2;
    data::Loader loader(items, smallAugment(), o);
    for (int epoch : {0, 1}) {
        loader.startEpoch(epoch);
        const auto batches = drain(loader);
        ASSERT_EQ(batches.size(), 3u);  // 4 nominal batches, one all bad
        EXPECT_EQ(batches[0].indices, (std::vector<int64_t>{0, 1}));
        EXPECT_EQ(batches[1].indices, (std::vector<int64_t>{4}));
        EXPECT_EQ(batches[2].indices, (std::vector<int64_t>{7}));
    }
    const auto skipped = loader.skipped();
    ASSERT_EQ(skipped.size(), 4u);
    std::set<std::string> paths;
    for (const auto& s : skipped) {
        paths.insert(s.path);
        EXPECT_FALSE(s.reason.empty());
    }
    EXPECT_EQ(paths, (std::set<std::string>{items[2].path, items[3].path, items[5].path, items[6].path}));
}

TEST(Loader, ReadAheadIsBounded) {
    test::TempDir dir;
    const auto items = makeImages(dir, 60);
    std::atomic<int> calls{0};
    data::EvalTransform t;
    t.resizeSize = t.cropSize = 8;
    const auto eval = data::makeEvalTransform(t);
    data::SampleTransform counting = [&](const cv::Mat& rgb, std::mt19937& rng) {
        ++calls;
        return eval(rgb, rng);
    };
    data::LoaderOptions o;
    o.batchSize = 3;
    o.workers = 2;
    o.prefetchBatches = 2;
    data::Loader loader(items, counting, o);
    loader.startEpoch(0);
    ASSERT_TRUE(loader.next().has_value());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    // Delivered 1 batch; at most prefetchBatches more are prepared.
    EXPECT_LE(calls.load(), (1 + 2) * 3);
    EXPECT_GE(calls.load(), 2 * 3);
}

TEST(Loader, RestartAndDestroyMidEpoch) {
    test::TempDir dir;
    const auto items = makeImages(dir, 40);
    data::EvalTransform t;
    t.resizeSize = t.cropSize = 8;
    const auto eval = data::makeEvalTransform(t);
    data::SampleTransform slow = [&](const cv::Mat& rgb, std::mt19937& rng) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return eval(rgb, rng);
    };
    data::LoaderOptions o;
    o.batchSize = 4;
    o.workers = 2;
    o.prefetchBatches = 3;
    {
        data::Loader loader(items, slow, o);
        loader.startEpoch(0);
        ASSERT_TRUE(loader.next().has_value());
        loader.startEpoch(1);  // restart in the middle: a full new epoch follows
        EXPECT_EQ(drain(loader).size(), 10u);
        loader.startEpoch(2);
        ASSERT_TRUE(loader.next().has_value());
    }  // destroyed with workers busy
    const auto start = std::chrono::steady_clock::now();
    {
        data::Loader loader(items, slow, o);
        loader.startEpoch(0);
        ASSERT_TRUE(loader.next().has_value());
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(ms, 2000);
}

TEST(Loader, TransformErrorsThatAreNotAboutFilesReachTheConsumer) {
    test::TempDir dir;
    const auto items = makeImages(dir, 4);
    data::SampleTransform broken = [](const cv::Mat&, std::mt19937&) -> at::Tensor {
        throw std::logic_error("bug in the transform");
    };
    data::LoaderOptions o;
    o.batchSize = 2;
    data::Loader loader(items, broken, o);
    loader.startEpoch(0);
    EXPECT_THROW(loader.next(), std::logic_error);
    EXPECT_THROW(data::Loader(items, broken, data::LoaderOptions{0}), ConfigError);
}

TEST(Loader, HostileFilesAreSkippedAndNoWorkerThrows) {
    // A FIFO (blocks a reader), /dev/zero (never ends), a 16 GiB sparse file
    // (bad_alloc), a PNG whose header asks for 3.2 GB, and a file whose decoder
    // throws: all skipped with a reason naming them, from two workers.
    test::TempDir dir;
    auto items = makeImages(dir, 6);
    auto add = [&](const std::string& name) {
        items.push_back({dir.file(name), 1});
        return dir.file(name);
    };
    ASSERT_EQ(::mkfifo(add("pipe.png").c_str(), 0600), 0);
    std::filesystem::create_symlink("/dev/zero", add("zero.png"));
    const std::string huge = add("huge.png");
    std::ofstream(huge, std::ios::binary).close();
    ASSERT_EQ(::truncate(huge.c_str(), int64_t{16} << 30), 0);
    std::ofstream(add("bomb.png"), std::ios::binary) << test::hostile::pngBomb();
    std::ofstream(add("bomb.bmp"), std::ios::binary) << test::hostile::bmpRleBomb();
    std::ofstream(add("short.png"), std::ios::binary) << test::hostile::pngBomb(20, 20);  // IDAT too short
    data::LoaderOptions o;
    o.batchSize = 3;
    o.workers = 2;
    data::Loader loader(items, smallAugment(), o);
    size_t delivered = 0;
    for (int epoch : {0, 1}) {
        loader.startEpoch(epoch);
        for (const auto& b : drain(loader)) delivered += b.indices.size();
    }
    EXPECT_EQ(delivered, 12u);
    const auto skipped = loader.skipped();
    std::map<std::string, std::string> reasons;
    for (const auto& s : skipped) reasons[std::filesystem::path(s.path).filename().string()] = s.reason;
    ASSERT_EQ(reasons.size(), 6u);
    for (const auto& [name, reason] : reasons) EXPECT_NE(reason.find(name), std::string::npos) << reason;
    EXPECT_NE(reasons["pipe.png"].find("FIFO"), std::string::npos) << reasons["pipe.png"];
    EXPECT_NE(reasons["zero.png"].find("character device"), std::string::npos) << reasons["zero.png"];
    EXPECT_NE(reasons["huge.png"].find("16.0 GiB"), std::string::npos) << reasons["huge.png"];
    EXPECT_NE(reasons["bomb.png"].find("megapixels"), std::string::npos) << reasons["bomb.png"];
    EXPECT_NE(reasons["bomb.bmp"].find("megapixels"), std::string::npos) << reasons["bomb.bmp"];

    // The budget is an option: a lower one skips the ordinary images too.
    data::LoaderOptions tight = o;
    tight.limits.maxPixels = 100;
    data::Loader strict(std::vector<data::ImageItem>(items.begin(), items.begin() + 6), smallAugment(), tight);
    EXPECT_TRUE(drain(strict).empty());
    EXPECT_EQ(strict.skipped().size(), 6u);
}
