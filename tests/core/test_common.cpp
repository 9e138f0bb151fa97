#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/common/Json.h"
#include "core/common/Paths.h"
#include "core/common/Version.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

namespace fs = std::filesystem;
using namespace ts;

TEST(AtomicFile, WritesAndReplaces) {
    test::TempDir dir;
    const std::string path = dir.file("sub/out.bin");
    writeFileAtomic(path, "first");
    EXPECT_EQ(readFile(path), "first");
    writeFileAtomic(path, std::string(100000, 'x'));
    EXPECT_EQ(readFile(path).size(), 100000u);
    size_t files = 0;
    for (const auto& e : fs::directory_iterator(dir.file("sub"))) files += e.is_regular_file();
    EXPECT_EQ(files, 1u) << "a temporary file was left behind";
}

TEST(AtomicFile, FailedWriterKeepsOldFileAndLeavesNoTemp) {
    test::TempDir dir;
    const std::string path = dir.file("model.bin");
    writeFileAtomic(path, "good");
    EXPECT_THROW(writeFileAtomicWith(path,
                                     [](const std::string& tmp) {
                                         writeFileAtomic(tmp, "half");
                                         throw IoError("disk full");
                                     }),
                 IoError);
    EXPECT_EQ(readFile(path), "good");
    size_t files = 0;
    for (const auto& e : fs::directory_iterator(dir.path())) files += e.is_regular_file();
    EXPECT_EQ(files, 1u);
}

TEST(AtomicFile, UnwritableTargetNamesThePath) {
    try {
        writeFileAtomic("/proc/definitely/not/here.bin", "x");
        FAIL() << "expected IoError";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("/proc/definitely/not"), std::string::npos) << e.what();
    }
}

TEST(Json, RefusesDeepNestingWhileParsingAndNamesTheFile) {
    // A million nested arrays would overflow the stack in a later copy or dump.
    const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
    try {
        parseJson(deep, "deep.tsproj");
        FAIL() << "a million-deep array was accepted";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("deep.tsproj"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("64 levels"), std::string::npos) << e.what();
    }
    // Exactly at the limit is fine, one more is not.
    JsonLimits limits;
    limits.maxDepth = 3;
    EXPECT_EQ(parseJson("[[[1]]]", "x", limits)[0][0][0], 1);
    EXPECT_THROW(parseJson("[[[[1]]]]", "x", limits), IoError);
    EXPECT_THROW(parseJson("{\"a\":{\"b\":{\"c\":{}}}}", "x", limits), IoError);
}

TEST(Json, ParseErrorsNameTheFileAndStayPrintable) {
    try {
        parseJson("{\"lr\": 1e400}", "cfg.json");
        FAIL() << "an overflowing number was accepted";
    } catch (const IoError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("'cfg.json' is not valid JSON"), std::string::npos) << what;
        EXPECT_EQ(what.find("json.exception"), std::string::npos) << what;
    }
    try {
        parseJson(std::string("{\"a\":\"") + std::string(5000, '\x01') + "", "bad.json");
        FAIL();
    } catch (const IoError& e) {
        const std::string what = e.what();
        EXPECT_LT(what.size(), 600u) << "the message echoes unbounded input";
        for (unsigned char c : what) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "control byte in message";
    }
    test::TempDir dir;
    EXPECT_THROW(readJsonFile(dir.file("missing.json")), IoError);
    writeFileAtomic(dir.file("big.json"), "[" + std::string(100, ' ') + "]");
    JsonLimits small;
    small.maxBytes = 50;
    try {
        readJsonFile(dir.file("big.json"), small);
        FAIL();
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("big.json"), std::string::npos);
    }
    EXPECT_EQ(printable("ab\ncd", 80), "ab\\x0acd");
    EXPECT_EQ(printable(std::string(100, 'z'), 10), std::string(10, 'z') + "...");
}

TEST(Paths, FollowXdgAndTorchHome) {
    ::setenv("XDG_CONFIG_HOME", "/tmp/xdg-config", 1);
    ::setenv("XDG_DATA_HOME", "/tmp/xdg-data", 1);
    ::setenv("TORCH_HOME", "/tmp/torch-home", 1);
    EXPECT_EQ(paths::configDir(), "/tmp/xdg-config/transfer-studio");
    EXPECT_EQ(paths::runsDir(), "/tmp/xdg-data/transfer-studio/runs");
    EXPECT_EQ(paths::weightsCacheDir(), "/tmp/torch-home/hub/checkpoints");
    ::unsetenv("TORCH_HOME");
    ::setenv("XDG_CACHE_HOME", "/tmp/xdg-cache", 1);
    EXPECT_EQ(paths::weightsCacheDir(), "/tmp/xdg-cache/torch/hub/checkpoints");
    ::unsetenv("XDG_CONFIG_HOME");
    ::unsetenv("XDG_DATA_HOME");
    ::unsetenv("XDG_CACHE_HOME");
}

TEST(Version, ReportNamesLibTorchDeviceThreadsAndBlas) {
    configureThreads();
    const std::string report = versionReport("tstudio");
    EXPECT_NE(report.find("LibTorch:    1."), std::string::npos) << report;  // 1.13 here; 2.x elsewhere
    EXPECT_NE(report.find("Device:"), std::string::npos);
    EXPECT_NE(report.find("CPU threads: " + std::to_string(std::thread::hardware_concurrency())), std::string::npos)
        << report;
    const RuntimeInfo info = runtimeInfo();
    EXPECT_FALSE(info.blas.empty()) << "no BLAS library found in the process";
    EXPECT_FALSE(info.blasIsReference) << "the reference BLAS is loaded: " << info.blas
                                       << " (install libopenblas0-pthread)";
}

TEST(Feedback, PauseBlocksUntilResumeAndCancelReleases) {
    Feedback fb;
    fb.pause();
    std::atomic<bool> passed{false};
    std::thread worker([&] {
        fb.waitIfPaused();
        passed = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_FALSE(passed.load());
    fb.resume();
    worker.join();
    EXPECT_TRUE(passed.load());
    fb.pause();
    std::thread worker2([&] { EXPECT_FALSE(fb.waitIfPaused()); });
    fb.cancel();
    worker2.join();
    EXPECT_TRUE(fb.isCancelled());
}
