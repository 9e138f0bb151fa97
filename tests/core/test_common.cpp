#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/common/Json.h"
#include "core/common/Paths.h"
#include "core/common/Version.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

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

namespace {

// Helper run in a child process (see the two tests below): writes
// a, b (writeFileAtomicWith, its writer never fsyncs), c, d into
// $TS_TEST_ATOMIC_DIR. Skipped when that variable is unset.
void writeFourFiles(const std::string& dir) {
    writeFileAtomic(dir + "/a", "first");
    writeFileAtomicWith(dir + "/b", [](const std::string& tmp) {
        std::FILE* f = std::fopen(tmp.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        std::fputs("second", f);
        std::fclose(f);
    });
    writeFileAtomic(dir + "/c", "third");
    writeFileAtomic(dir + "/d", "fourth");
}

// Runs this test binary's AtomicFileChild test with `env` before it; returns
// the shell's status for it (128 + N when killed by signal N).
int runChild(const std::string& env, std::string* output) {
    const std::string self = fs::read_symlink("/proc/self/exe").string();
    std::string out;
    test::runCommand("{ (" + env + " " + test::shellQuote(self) +
                         " --gtest_filter=AtomicFileChild.WritesFourFiles) 2>&1; echo \"child-status=$?\"; }",
                     &out);
    if (output) *output = out;
    const auto at = out.rfind("child-status=");
    return at == std::string::npos ? -1 : std::atoi(out.c_str() + at + 13);
}

} // namespace

TEST(AtomicFileChild, WritesFourFiles) {
    const char* dir = std::getenv("TS_TEST_ATOMIC_DIR");
    if (!dir) GTEST_SKIP() << "only run as a child of the AtomicFile tests";
    writeFourFiles(dir);
}

TEST(AtomicFile, FaultInjectionKillsTheProcessRightAfterTheKthWrite) {
    for (const int k : {1, 3}) {
        test::TempDir dir;
        std::string output;
        const int rc = runChild("TS_TEST_ATOMIC_DIR=" + test::shellQuote(dir.path()) +
                                    " TS_FAULT_ABORT_AFTER_WRITES=" + std::to_string(k),
                                &output);
        EXPECT_EQ(rc, 128 + SIGKILL) << "k=" << k << ": " << output;  // the shell's code for a SIGKILLed child
        const std::vector<std::string> names = {"a", "b", "c", "d"};
        for (int i = 0; i < 4; ++i)
            EXPECT_EQ(fs::exists(dir.file(names[i])), i < k) << "k=" << k << " file " << names[i];
        if (k == 3) EXPECT_EQ(readFile(dir.file("c")), "third");
        for (const auto& e : fs::directory_iterator(dir.path()))
            EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << "temporary file left: " << e.path();
    }
    // Unset, zero or garbage: no fault.
    for (const std::string value : {"", "0", "x3"}) {
        test::TempDir dir;
        std::string output;
        EXPECT_EQ(runChild("TS_TEST_ATOMIC_DIR=" + test::shellQuote(dir.path()) + " TS_FAULT_ABORT_AFTER_WRITES=" +
                               test::shellQuote(value),
                           &output),
                  0)
            << "'" << value << "': " << output;
        EXPECT_TRUE(fs::exists(dir.file("d")));
    }
}

TEST(AtomicFile, FsyncsTheFileBeforeTheRenameAndTheFolderAfterIt) {
    if (test::runCommand("strace -o /dev/null true") != 0) GTEST_SKIP() << "strace is absent or not permitted here";
    test::TempDir dir;
    fs::create_directories(dir.file("out"));
    const std::string log = dir.file("strace.log");
    std::string output;
    // LeakSanitizer cannot run under ptrace: in a sanitizer build the traced
    // child runs without leak checking (the other checks stay on).
    ASSERT_EQ(runChild("ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\" TS_TEST_ATOMIC_DIR=" +
                           test::shellQuote(dir.file("out")) + " strace -f -e trace=openat,fsync,fdatasync,rename,renameat,renameat2 -o " +
                           test::shellQuote(log),
                       &output),
              0)
        << output;
    // For each file: openat(tmp) = fd, fsync(fd) of a descriptor opened on the
    // tmp path, rename(tmp, file), openat(folder, O_DIRECTORY) = dfd, fsync(dfd).
    std::ifstream in(log);
    std::string line;
    std::map<std::string, std::string> fdPath;  // "pid fd" -> path opened
    std::map<std::string, std::vector<std::string>> events;  // per final file, in order
    const std::string out = dir.file("out");
    std::string lastRenamed;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string pid;
        ls >> pid;
        const auto q1 = line.find('"'), q2 = q1 == std::string::npos ? q1 : line.find('"', q1 + 1);
        const std::string path = q1 != std::string::npos && q2 != std::string::npos ? line.substr(q1 + 1, q2 - q1 - 1) : "";
        const auto eq = line.rfind("= ");
        const std::string ret = eq == std::string::npos ? "" : line.substr(eq + 2);
        if (line.find("openat(") != std::string::npos && !ret.empty() && ret[0] != '-') {
            fdPath[pid + " " + ret.substr(0, ret.find(' '))] = path;
        } else if (line.find("fsync(") != std::string::npos) {
            const auto open = line.find("fsync(") + 6;
            const std::string fd = line.substr(open, line.find(')', open) - open);
            const std::string p = fdPath[pid + " " + fd];
            if (p.rfind(out + "/", 0) == 0) {
                const std::string base = fs::path(p).filename().string();
                events[base.substr(0, base.find(".tmp-"))].push_back("fsync-file");
            } else if (p == out && !lastRenamed.empty()) {
                events[lastRenamed].push_back("fsync-folder");
            }
        } else if (line.find("rename") != std::string::npos && path.rfind(out + "/", 0) == 0) {
            const std::string base = fs::path(path).filename().string();
            lastRenamed = base.substr(0, base.find(".tmp-"));
            events[lastRenamed].push_back("rename");
        }
    }
    for (const std::string name : {"a", "b", "c", "d"}) {
        const std::vector<std::string> expected = {"fsync-file", "rename", "fsync-folder"};
        EXPECT_EQ(events[name], expected) << "file " << name << "; strace log: " << log;
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
