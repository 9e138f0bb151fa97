// Downloads against a local HTTP server (tests/python/weights_server.py on
// 127.0.0.1, a free port): success into the cache with the SHA-256 checked,
// checksum mismatch, a cut transfer resumed with a Range request, HTTP
// errors, refused connections, cancellation; and the `tstudio weights` CLI.
#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/common/Paths.h"
#include "core/common/Sha256.h"
#include "core/weights/Download.h"
#include "core/weights/Pretrained.h"
#include "core/weights/StateDict.h"
#include "core/zoo/Registry.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <thread>

extern char** environ;

using namespace ts;
namespace fs = std::filesystem;

namespace {

std::string randomBytes(size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng() & 0xff);
    return s;
}

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// A port nothing listens on (bound, then released).
int closedPort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

class Download : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        // The server is local; never route it through a proxy from the environment.
        ::setenv("no_proxy", "127.0.0.1,localhost", 1);
        ::setenv("NO_PROXY", "127.0.0.1,localhost", 1);
        if (test::referencePython().empty() && !fs::exists("/usr/bin/python3")) return;
        s_dir = std::make_unique<test::TempDir>("ts-download");
        fs::create_directories(s_dir->file("www"));
        const std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : test::referencePython();
        const std::string script = test::pythonScript("weights_server.py");
        const std::string root = s_dir->file("www"), portFile = s_dir->file("port"), log = s_dir->file("server.log");
        std::vector<std::string> args = {python, script, "--root", root, "--port-file", portFile, "--log", log,
                                         "--timeout", "240"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (::posix_spawn(&s_serverPid, python.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
            s_serverPid = 0;
            return;
        }
        // Wait (bounded) for the server to publish its port.
        for (int i = 0; i < 600 && !fs::exists(portFile); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (!fs::exists(portFile)) return;
        s_base = "http://127.0.0.1:" + readFile(portFile);
    }

    static void TearDownTestSuite() {
        if (s_serverPid > 0) {
            ::kill(s_serverPid, SIGTERM);
            int status = 0;
            ::waitpid(s_serverPid, &status, 0);
            s_serverPid = 0;
        }
        s_dir.reset();
    }

    void SetUp() override {
        if (s_base.empty()) GTEST_SKIP() << "the local test server (python3) could not start";
        m_cache = std::make_unique<test::TempDir>("ts-download-cache");
        ::setenv("TORCH_HOME", m_cache->path().c_str(), 1);
        ::unsetenv("TS_WEIGHTS_MIRROR");
    }

    // Serves `bytes` as `name`; returns the name.
    static std::string serve(const std::string& name, const std::string& bytes) {
        writeFileAtomic(s_dir->file("www/" + name), bytes);
        return name;
    }

    // A file whose name carries the first 8 hex digits of its SHA-256.
    static std::string serveHashed(const std::string& stem, const std::string& bytes) {
        return serve(stem + "-" + sha256Hex(bytes).substr(0, 8) + ".pth", bytes);
    }

    static std::vector<nlohmann::json> serverLog() {
        std::vector<nlohmann::json> out;
        std::ifstream in(s_dir->file("server.log"));
        std::string line;
        while (std::getline(in, line))
            if (!line.empty()) out.push_back(nlohmann::json::parse(line));
        return out;
    }

    std::string cachePath(const std::string& name) const { return paths::weightsCacheDir() + "/" + name; }

    // What the downloader keeps beside a .partial of `bytes` served here
    // (the server's ETag is the first 16 hex digits of the SHA-256).
    static std::string validatorFor(const std::string& bytes) {
        return "etag: \"" + sha256Hex(bytes).substr(0, 16) + "\"\nlast-modified: \nlength: " +
               std::to_string(bytes.size()) + "\n";
    }

    static std::unique_ptr<test::TempDir> s_dir;
    static pid_t s_serverPid;
    static std::string s_base;
    std::unique_ptr<test::TempDir> m_cache;
};

std::unique_ptr<test::TempDir> Download::s_dir;
pid_t Download::s_serverPid = 0;
std::string Download::s_base;

} // namespace

TEST(Sha256, KnownVectors) {
    EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(sha256Hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    // Fed in uneven pieces, the digest is the same.
    const std::string data = randomBytes(100003, 7);
    Sha256 h;
    for (size_t pos = 0, step = 1; pos < data.size(); pos += step, step = step * 3 % 977 + 1)
        h.update(data.substr(pos, step));
    EXPECT_EQ(h.hexDigest(), sha256Hex(data));
}

TEST(Sha256, MatchesSha256sumOnAFile) {
    test::TempDir dir;
    const std::string path = dir.file("blob.bin");
    writeFileAtomic(path, randomBytes(3 * 1024 * 1024 + 17, 3));
    std::string output;
    ASSERT_EQ(test::runCommand("sha256sum " + test::shellQuote(path), &output), 0) << output;
    EXPECT_EQ(sha256File(path), output.substr(0, 64));
}

TEST(DownloadNames, HashPrefixAsTorchHubReadsIt) {
    EXPECT_EQ(weights::hashPrefixFromFileName("resnet18-f37072fd.pth"), "f37072fd");
    EXPECT_EQ(weights::hashPrefixFromFileName("mnasnet0.5_top1_67.823-3ffadce67e.pth"), "3ffadce67e");
    EXPECT_EQ(weights::hashPrefixFromFileName("efficientnet_b0_rwightman-3dd342df.pth"), "3dd342df");
    EXPECT_EQ(weights::hashPrefixFromFileName("weights.pth"), "");
    // re.search semantics: the first '-' whose hex run ends at a '.'.
    EXPECT_EQ(weights::hashPrefixFromFileName("a-b-1f.pth"), "1f");
    EXPECT_EQ(weights::hashPrefixFromFileName("net-ABCD.pth"), "");
    EXPECT_EQ(weights::hashPrefixFromFileName("x-.pth"), "");
    // Long names are scanned, not recursed into.
    EXPECT_EQ(weights::hashPrefixFromFileName(std::string(32000, '-') + "beef.pth"), "beef");
    EXPECT_EQ(weights::hashPrefixFromFileName("n-" + std::string(2000000, 'a')), "");
}

TEST_F(Download, DownloadsIntoTheCacheWithItsHashChecked) {
    const std::string bytes = randomBytes(300 * 1024 + 5, 1);
    const std::string name = serveHashed("blob", bytes);
    const std::string dest = cachePath(name);
    EXPECT_EQ(fs::path(dest).parent_path(), fs::path(m_cache->path()) / "hub" / "checkpoints");
    std::vector<weights::DownloadProgress> reports;
    weights::DownloadOptions options;
    options.onProgress = [&](const weights::DownloadProgress& p) { reports.push_back(p); };
    Feedback feedback;
    double lastFraction = 0;
    feedback.setProgressCallback([&](double f, const std::string&) { lastFraction = f; });
    EXPECT_EQ(weights::downloadWeights(s_base + "/files/" + name, dest, options, &feedback), dest);
    EXPECT_EQ(readFile(dest), bytes);
    EXPECT_FALSE(fs::exists(dest + ".partial"));
    ASSERT_FALSE(reports.empty());
    EXPECT_EQ(reports.back().bytes, static_cast<int64_t>(bytes.size()));
    EXPECT_EQ(reports.back().totalBytes, static_cast<int64_t>(bytes.size()));
    EXPECT_GT(reports.back().bytesPerSecond, 0.0);
    EXPECT_EQ(lastFraction, 1.0);
}

TEST_F(Download, ChecksumMismatchLeavesNoFile) {
    const std::string name = serve("blob-deadbeef.pth", randomBytes(50000, 2));
    const std::string url = s_base + "/files/" + name;
    const std::string dest = cachePath(name);
    try {
        weights::downloadWeights(url, dest);
        FAIL() << "a file with the wrong hash was accepted";
    } catch (const DownloadError& e) {
        const std::string msg = e.what();
        EXPECT_TRUE(contains(msg, url)) << msg;
        EXPECT_TRUE(contains(msg, "deadbeef")) << msg;
        EXPECT_TRUE(contains(msg, sha256Hex(readFile(s_dir->file("www/" + name))))) << msg;
        EXPECT_TRUE(contains(msg, dest)) << msg;
    }
    EXPECT_FALSE(fs::exists(dest));
    EXPECT_FALSE(fs::exists(dest + ".partial"));
}

TEST_F(Download, CutTransferResumesWithARangeRequest) {
    const std::string bytes = randomBytes(1024 * 1024, 3);
    const std::string name = serveHashed("big", bytes);
    const std::string dest = cachePath(name);
    const int64_t cut = 300000;
    try {
        weights::downloadWeights(s_base + "/drop/" + std::to_string(cut) + "/" + name, dest);
        FAIL() << "a cut transfer was accepted";
    } catch (const DownloadError& e) {
        const std::string msg = e.what();
        EXPECT_TRUE(contains(msg, "/drop/")) << msg;
        EXPECT_TRUE(contains(msg, "HTTP 200")) << msg;
        EXPECT_TRUE(contains(msg, dest + ".partial")) << msg;
        EXPECT_TRUE(contains(msg, dest + "'")) << msg;
    }
    EXPECT_FALSE(fs::exists(dest)) << "a partial download sits under the final name";
    ASSERT_TRUE(fs::exists(dest + ".partial"));
    EXPECT_EQ(static_cast<int64_t>(fs::file_size(dest + ".partial")), cut);

    EXPECT_EQ(weights::downloadWeights(s_base + "/files/" + name, dest), dest);
    EXPECT_EQ(readFile(dest), bytes);
    EXPECT_FALSE(fs::exists(dest + ".partial"));
    bool sawRange = false;
    const std::string etag = "\"" + sha256Hex(bytes).substr(0, 16) + "\"";
    for (const auto& entry : serverLog())
        if (entry["path"] == "/files/" + name && entry["range"] == "bytes=" + std::to_string(cut) + "-" &&
            entry["status"] == 206) {
            sawRange = true;
            EXPECT_EQ(entry["if_range"], etag) << "the range was not guarded by the first response's ETag";
        }
    EXPECT_TRUE(sawRange) << "no Range request reached the server";
    EXPECT_FALSE(fs::exists(dest + ".partial.validator"));
}

TEST_F(Download, ChangedRemoteFileRestartsInsteadOfSplicing) {
    // No hash in the name: only If-Range stands between the old bytes and a
    // spliced file.
    const std::string before = randomBytes(400000, 21), after = randomBytes(400000, 22);
    const std::string name = serve("changing.pth", before);
    const std::string dest = cachePath(name);
    const int64_t cut = 150000;
    EXPECT_THROW(weights::downloadWeights(s_base + "/drop/" + std::to_string(cut) + "/" + name, dest), DownloadError);
    ASSERT_EQ(static_cast<int64_t>(fs::file_size(dest + ".partial")), cut);
    ASSERT_TRUE(fs::exists(dest + ".partial.validator"));
    EXPECT_TRUE(contains(readFile(dest + ".partial.validator"), sha256Hex(before).substr(0, 16)));

    serve(name, after);  // the file changes on the server
    EXPECT_EQ(weights::downloadWeights(s_base + "/files/" + name, dest), dest);
    EXPECT_EQ(readFile(dest), after) << "old and new bytes were spliced";
    bool sawRestart = false;
    for (const auto& entry : serverLog())
        if (entry["path"] == "/files/" + name && entry["range"] == "bytes=" + std::to_string(cut) + "-") {
            EXPECT_EQ(entry["if_range"], "\"" + sha256Hex(before).substr(0, 16) + "\"");
            EXPECT_EQ(entry["status"], 200);
            sawRestart = true;
        }
    EXPECT_TRUE(sawRestart) << "the resumed request carried no Range/If-Range";
    EXPECT_FALSE(fs::exists(dest + ".partial"));
    EXPECT_FALSE(fs::exists(dest + ".partial.validator"));
}

TEST_F(Download, WeakEtagResumesWithTheLastModifiedDate) {
    const std::string bytes = randomBytes(300000, 23);
    const std::string name = serveHashed("weak", bytes);
    const std::string dest = cachePath(name);
    EXPECT_THROW(weights::downloadWeights(s_base + "/drop/100000/" + name + "?etag=weak", dest), DownloadError);
    ASSERT_EQ(fs::file_size(dest + ".partial"), 100000u);
    EXPECT_EQ(weights::downloadWeights(s_base + "/files/" + name + "?etag=weak", dest), dest);
    EXPECT_EQ(readFile(dest), bytes);
    bool resumed = false;
    for (const auto& entry : serverLog())
        if (entry["path"] == "/files/" + name + "?etag=weak" && entry["status"] == 206) {
            resumed = true;
            const std::string ifRange = entry["if_range"].is_string() ? entry["if_range"].get<std::string>() : "";
            EXPECT_TRUE(contains(ifRange, "GMT")) << "If-Range must be the date, not a weak ETag: " << ifRange;
        }
    EXPECT_TRUE(resumed);
}

TEST_F(Download, ServerNamingNoVersionIsNeverResumed) {
    const std::string bytes = randomBytes(300000, 24);
    const std::string name = serveHashed("anon", bytes);
    const std::string dest = cachePath(name);
    try {
        weights::downloadWeights(s_base + "/drop/120000/" + name + "?validators=none", dest);
        FAIL() << "a cut transfer was accepted";
    } catch (const DownloadError& e) {
        EXPECT_TRUE(contains(e.what(), "no ETag or Last-Modified")) << e.what();
        EXPECT_TRUE(contains(e.what(), "starts over")) << e.what();
    }
    EXPECT_FALSE(fs::exists(dest + ".partial")) << "bytes that cannot be resumed safely were kept";
    EXPECT_EQ(weights::downloadWeights(s_base + "/files/" + name + "?validators=none", dest), dest);
    EXPECT_EQ(readFile(dest), bytes);
    for (const auto& entry : serverLog())
        if (entry["path"] == "/files/" + name + "?validators=none") EXPECT_TRUE(entry["range"].is_null()) << entry.dump();
}

TEST_F(Download, BytesAreCappedAtTheExpectedSize) {
    const std::string bytes = randomBytes(200000, 25);
    const std::string name = serve("capped.pth", bytes);  // no hash in the name: the size alone must stop it
    const std::string dest = cachePath(name);
    weights::DownloadOptions known;
    known.expectedBytes = static_cast<int64_t>(bytes.size());
    // No Content-Length, 5000 bytes too many.
    try {
        weights::downloadWeights(s_base + "/files/" + name + "?extra=5000", dest, known);
        FAIL() << "an oversize body was accepted";
    } catch (const DownloadError& e) {
        EXPECT_TRUE(contains(e.what(), "sent more than the 200000 bytes")) << e.what();
        EXPECT_TRUE(contains(e.what(), dest)) << e.what();
    }
    EXPECT_FALSE(fs::exists(dest));
    EXPECT_FALSE(fs::exists(dest + ".partial"));
    // A Content-Length larger than the known size is refused before any byte is kept.
    try {
        weights::downloadWeights(s_base + "/files/" + name + "?extra=5000&length=1", dest, known);
        FAIL() << "an announced oversize body was accepted";
    } catch (const DownloadError& e) {
        EXPECT_TRUE(contains(e.what(), "announced a file of 205000 bytes, but it should have 200000 bytes")) << e.what();
    }
    EXPECT_FALSE(fs::exists(dest + ".partial"));
    // Resumed: the server's own total (Content-Range) caps the body.
    EXPECT_THROW(weights::downloadWeights(s_base + "/drop/50000/" + name, dest), DownloadError);
    ASSERT_EQ(fs::file_size(dest + ".partial"), 50000u);
    try {
        weights::downloadWeights(s_base + "/files/" + name + "?extra=7000", dest);
        FAIL() << "a range longer than the file was accepted";
    } catch (const DownloadError& e) {
        EXPECT_TRUE(contains(e.what(), "sent more than the 200000 bytes it announced")) << e.what();
    }
    EXPECT_FALSE(fs::exists(dest));
    EXPECT_FALSE(fs::exists(dest + ".partial"));
    // Without any known size, maxBytes is the cap.
    weights::DownloadOptions small;
    small.maxBytes = 100000;
    EXPECT_THROW(weights::downloadWeights(s_base + "/files/" + name + "?extra=1", dest, small), DownloadError);
    // And the right size passes.
    EXPECT_EQ(weights::downloadWeights(s_base + "/files/" + name, dest, known), dest);
    EXPECT_EQ(readFile(dest), bytes);
}

TEST_F(Download, SecondDownloadOfTheSameFileIsRefusedWhileTheFirstRuns) {
    const std::string bytes = randomBytes(1536 * 1024, 26);
    const std::string name = serveHashed("locked", bytes);
    const std::string dest = cachePath(name);
    std::atomic<bool> firstRunning{false};
    std::string firstError;
    std::thread first([&] {
        weights::DownloadOptions options;
        options.progressIntervalMs = 0;
        options.onProgress = [&](const weights::DownloadProgress& p) {
            if (p.bytes > 0) firstRunning = true;
        };
        try {
            weights::downloadWeights(s_base + "/slow/" + name, dest, options);
        } catch (const std::exception& e) {
            firstError = e.what();
        }
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!firstRunning && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(firstRunning);
    try {
        weights::downloadWeights(s_base + "/files/" + name, dest);
        ADD_FAILURE() << "two downloads of the same file ran at once";
    } catch (const DownloadError& e) {
        EXPECT_TRUE(contains(e.what(), "already being downloaded")) << e.what();
        EXPECT_TRUE(contains(e.what(), dest + ".partial")) << e.what();
    }
    // From another process too (flock is per open file, not per thread).
    std::string output;
    const int rc = test::runCommand("/usr/bin/flock --nonblock " + test::shellQuote(dest + ".partial") + " true", &output);
    EXPECT_NE(rc, 0) << "another process could lock the .partial: " << output;
    first.join();
    EXPECT_EQ(firstError, "");
    EXPECT_EQ(readFile(dest), bytes);
    EXPECT_FALSE(fs::exists(dest + ".partial"));
    // Once it is done, the same file downloads again without complaint.
    EXPECT_EQ(weights::downloadWeights(s_base + "/files/" + name, dest), dest);
}

TEST_F(Download, ServerIgnoringRangeRestartsTheFile) {
    const std::string bytes = randomBytes(200000, 4);
    const std::string name = serveHashed("norange", bytes);
    const std::string dest = cachePath(name);
    fs::create_directories(fs::path(dest).parent_path());
    writeFileAtomic(dest + ".partial", randomBytes(1000, 99));  // stale bytes that must not survive
    writeFileAtomic(dest + ".partial.validator", validatorFor(bytes));  // so that a Range is sent
    EXPECT_EQ(weights::downloadWeights(s_base + "/norange/" + name, dest), dest);
    EXPECT_EQ(readFile(dest), bytes);
    bool sentRange = false;
    for (const auto& entry : serverLog())
        if (entry["path"] == "/norange/" + name && entry["range"] == "bytes=1000-") sentRange = true;
    EXPECT_TRUE(sentRange);
}

TEST_F(Download, CompletePartialIsFetchedAgainAfter416) {
    const std::string bytes = randomBytes(70000, 5);
    const std::string name = serveHashed("whole", bytes);
    const std::string dest = cachePath(name);
    fs::create_directories(fs::path(dest).parent_path());
    writeFileAtomic(dest + ".partial", bytes);
    writeFileAtomic(dest + ".partial.validator", validatorFor(bytes));
    EXPECT_EQ(weights::downloadWeights(s_base + "/files/" + name, dest), dest);
    EXPECT_EQ(readFile(dest), bytes);
    bool saw416 = false;
    for (const auto& entry : serverLog())
        if (entry["path"] == "/files/" + name && entry["status"] == 416) saw416 = true;
    EXPECT_TRUE(saw416);
}

TEST_F(Download, APartialWithoutItsValidatorIsNotResumed) {
    // Bytes of unknown origin (e.g. left by an older version): no Range.
    const std::string bytes = randomBytes(90000, 27);
    const std::string name = serveHashed("orphan", bytes);
    const std::string dest = cachePath(name);
    fs::create_directories(fs::path(dest).parent_path());
    writeFileAtomic(dest + ".partial", bytes.substr(0, 30000));
    EXPECT_EQ(weights::downloadWeights(s_base + "/files/" + name, dest), dest);
    EXPECT_EQ(readFile(dest), bytes);
    for (const auto& entry : serverLog())
        if (entry["path"] == "/files/" + name) EXPECT_TRUE(entry["range"].is_null()) << entry.dump();
}

TEST_F(Download, HttpErrorsNameUrlStatusAndManualPath) {
    for (const auto& [path, status] : {std::pair<std::string, std::string>{"/files/missing-0000.pth", "404"},
                                       {"/status/500/blob.pth", "500"}}) {
        const std::string url = s_base + path;
        const std::string dest = cachePath(fs::path(path).filename().string());
        try {
            weights::downloadWeights(url, dest);
            FAIL() << url << " did not fail";
        } catch (const DownloadError& e) {
            const std::string msg = e.what();
            EXPECT_TRUE(contains(msg, url)) << msg;
            EXPECT_TRUE(contains(msg, "HTTP " + status)) << msg;
            EXPECT_TRUE(contains(msg, "place it at '" + dest + "'")) << msg;
        }
        EXPECT_FALSE(fs::exists(dest));
        EXPECT_FALSE(fs::exists(dest + ".partial"));
    }
}

TEST_F(Download, RefusedConnectionIsADownloadError) {
    const std::string url = "http://127.0.0.1:" + std::to_string(closedPort()) + "/files/x-00.pth";
    const std::string dest = cachePath("x-00.pth");
    try {
        weights::downloadWeights(url, dest);
        FAIL() << "no error without a server";
    } catch (const DownloadError& e) {
        const std::string msg = e.what();
        EXPECT_TRUE(contains(msg, url)) << msg;
        EXPECT_TRUE(contains(msg, "no HTTP response")) << msg;
        EXPECT_TRUE(contains(msg, dest)) << msg;
    }
    EXPECT_FALSE(fs::exists(dest));
}

TEST_F(Download, CancelKeepsThePartialForLater) {
    const std::string bytes = randomBytes(2 * 1024 * 1024, 6);
    const std::string name = serveHashed("slow", bytes);
    const std::string dest = cachePath(name);
    Feedback feedback;
    weights::DownloadOptions options;
    options.progressIntervalMs = 0;
    options.onProgress = [&](const weights::DownloadProgress& p) {
        if (p.bytes > 100000) feedback.cancel();
    };
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(weights::downloadWeights(s_base + "/slow/" + name, dest, options, &feedback), Cancelled);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
    EXPECT_FALSE(fs::exists(dest));
    ASSERT_TRUE(fs::exists(dest + ".partial"));
    EXPECT_LT(fs::file_size(dest + ".partial"), bytes.size());
    // A later call finishes it.
    EXPECT_EQ(weights::downloadWeights(s_base + "/files/" + name, dest), dest);
    EXPECT_EQ(readFile(dest), bytes);
}

TEST_F(Download, OfficialWeightsUseTheCacheAndTheMirror) {
    EXPECT_THROW(weights::downloadOfficialWeights("tiny_cnn"), WeightsError);
    // Through a mirror serving a file whose content does not match the official hash.
    const auto& info = zoo::modelInfo("mobilenet_v2");
    const std::string name = serve(zoo::weightsFileName(info), randomBytes(4096, 8));
    ::setenv("TS_WEIGHTS_MIRROR", (s_base + "/files").c_str(), 1);
    try {
        weights::downloadOfficialWeights("mobilenet_v2");
        FAIL() << "a file with the wrong hash was accepted";
    } catch (const DownloadError& e) {
        EXPECT_TRUE(contains(e.what(), s_base + "/files/" + name)) << e.what();
        EXPECT_TRUE(contains(e.what(), "b0353104")) << e.what();
    }
    // Already cached: returned without any network access.
    const std::string cached = weights::cachedWeightsPath("mobilenet_v2");
    writeFileAtomic(cached, "x");
    ::setenv("TS_WEIGHTS_MIRROR", ("http://127.0.0.1:" + std::to_string(closedPort())).c_str(), 1);
    EXPECT_EQ(weights::downloadOfficialWeights("mobilenet_v2"), cached);
    ::unsetenv("TS_WEIGHTS_MIRROR");
}

TEST_F(Download, CliImportChecksTheArchitectureAndCopiesIntoTheCache) {
    const std::string good = m_cache->file("mine.pth"), wrong = m_cache->file("tiny.pth");
    weights::writeStateDict(weights::stateDictOf(*zoo::createModel("mobilenet_v2")), good);
    weights::writeStateDict(weights::stateDictOf(*zoo::createModel("tiny_cnn")), wrong);
    const std::string env = "TORCH_HOME=" + test::shellQuote(m_cache->path()) + " ";
    const std::string tstudio = test::shellQuote(test::binaryPath("tstudio"));
    const std::string cached = weights::cachedWeightsPath("mobilenet_v2");

    std::string output;
    EXPECT_EQ(test::runCommand(env + tstudio + " weights import " + test::shellQuote(wrong) + " --arch mobilenet_v2", &output), 1);
    EXPECT_TRUE(contains(output, "missing key(s)")) << output;
    EXPECT_TRUE(contains(output, "features.0.0.weight")) << output;
    EXPECT_FALSE(fs::exists(cached));

    EXPECT_EQ(test::runCommand(env + tstudio + " weights import " + test::shellQuote(good) + " --arch mobilenet_v2", &output), 0) << output;
    EXPECT_TRUE(contains(output, cached)) << output;
    EXPECT_EQ(readFile(cached), readFile(good));
    EXPECT_EQ(test::runCommand(env + tstudio + " weights import " + test::shellQuote(good) + " --arch mobilenet_v2", &output), 1);
    EXPECT_TRUE(contains(output, "--force")) << output;
    EXPECT_NO_THROW(weights::loadPretrained("mobilenet_v2"));
}

TEST_F(Download, ImportIntoCacheChecksStrictlyAndReplacesOnlyWhenAsked) {
    const std::string good = m_cache->file("mine.pth"), wrong = m_cache->file("tiny.pth");
    weights::writeStateDict(weights::stateDictOf(*zoo::createModel("mobilenet_v2")), good);
    weights::writeStateDict(weights::stateDictOf(*zoo::createModel("tiny_cnn")), wrong);
    const std::string cached = weights::cachedWeightsPath("mobilenet_v2");

    try {
        weights::importWeightsIntoCache(wrong, "mobilenet_v2", false);
        ADD_FAILURE() << "a tiny_cnn file was accepted as mobilenet_v2";
    } catch (const WeightsError& e) {
        EXPECT_TRUE(contains(e.what(), "missing key(s)")) << e.what();
        EXPECT_TRUE(contains(e.what(), "features.0.0.weight")) << e.what();
    }
    EXPECT_FALSE(fs::exists(cached));

    const weights::ImportResult first = weights::importWeightsIntoCache(good, "mobilenet_v2", false);
    EXPECT_EQ(first.path, cached);
    EXPECT_FALSE(first.replaced);
    EXPECT_EQ(first.tensors, weights::stateDictOf(*zoo::createModel("mobilenet_v2")).size());
    EXPECT_EQ(readFile(cached), readFile(good));
    EXPECT_THROW(weights::importWeightsIntoCache(good, "mobilenet_v2", false), ConfigError);
    EXPECT_TRUE(weights::importWeightsIntoCache(good, "mobilenet_v2", true).replaced);
    EXPECT_EQ(readFile(cached), readFile(good));
    // A wrong file never replaces good cached weights.
    EXPECT_THROW(weights::importWeightsIntoCache(wrong, "mobilenet_v2", true), WeightsError);
    EXPECT_EQ(readFile(cached), readFile(good));
    EXPECT_THROW(weights::importWeightsIntoCache(wrong, "tiny_cnn", true), ConfigError);  // no official weights
    for (const auto& entry : fs::directory_iterator(paths::weightsCacheDir()))
        EXPECT_TRUE(entry.path().string() == cached || entry.path().string() == cached + ".sha256")
            << "left behind in the cache: " << entry.path();
}

TEST_F(Download, DamagedCachedWeightsAreReportedOnFirstUse) {
    // Bytes under the official name whose SHA-256 is not the one in that name.
    const std::string cached = weights::cachedWeightsPath("mobilenet_v2");
    writeFileAtomic(cached, randomBytes(5000, 31));
    try {
        weights::loadPretrained("mobilenet_v2");
        FAIL() << "damaged cached weights were loaded";
    } catch (const WeightsError& e) {
        const std::string msg = e.what();
        EXPECT_TRUE(contains(msg, cached)) << msg;
        EXPECT_TRUE(contains(msg, "damaged")) << msg;
        EXPECT_TRUE(contains(msg, sha256File(cached))) << msg;
        EXPECT_TRUE(contains(msg, "b0353104")) << msg;
        EXPECT_TRUE(contains(msg, "tstudio weights download mobilenet_v2 --force")) << msg;
    }
    // The CLI says the same, in a fresh process.
    std::string output;
    const std::string env = "TORCH_HOME=" + test::shellQuote(m_cache->path()) + " ";
    const std::string image = m_cache->file("x.png");
    test::makeSyntheticDataset(m_cache->file("imgs"), 2, 1, 32, 1);
    for (const auto& e : fs::recursive_directory_iterator(m_cache->file("imgs")))
        if (e.is_regular_file()) fs::copy_file(e.path(), image, fs::copy_options::overwrite_existing);
    EXPECT_EQ(test::runCommand(env + test::shellQuote(test::binaryPath("tstudio")) + " predict --arch mobilenet_v2 " +
                                   test::shellQuote(image),
                               &output),
              1);
    EXPECT_TRUE(contains(output, "damaged")) << output;
    EXPECT_TRUE(contains(output, cached)) << output;
}

TEST_F(Download, ImportedWeightsAreRecordedAndCheckedAgain) {
    const std::string good = m_cache->file("mine.pth");
    weights::writeStateDict(weights::stateDictOf(*zoo::createModel("mobilenet_v2")), good);
    const std::string cached = weights::cachedWeightsPath("mobilenet_v2");
    weights::importWeightsIntoCache(good, "mobilenet_v2", false);
    // Not the official file, but the one imported: it loads, here and in a new process.
    EXPECT_NO_THROW(weights::loadPretrained("mobilenet_v2"));
    const std::string record = readFile(cached + ".sha256");
    EXPECT_EQ(record, sha256File(good) + "  " + fs::path(cached).filename().string() + "\n");
    std::string output;
    EXPECT_EQ(test::runCommand("cd " + test::shellQuote(paths::weightsCacheDir()) + " && sha256sum -c " +
                                   test::shellQuote(fs::path(cached).filename().string() + ".sha256"),
                               &output),
              0)
        << output;

    // One byte changes (same size): the next use in this process notices.
    std::string bytes = readFile(cached);
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
    {
        std::ofstream out(cached, std::ios::binary | std::ios::in | std::ios::out);
        out.seekp(static_cast<std::streamoff>(bytes.size() / 2));
        out.put(bytes[bytes.size() / 2]);
    }
    fs::last_write_time(cached, fs::last_write_time(cached) + std::chrono::seconds(1));
    try {
        weights::loadPretrained("mobilenet_v2");
        FAIL() << "a damaged imported file was loaded";
    } catch (const WeightsError& e) {
        EXPECT_TRUE(contains(e.what(), cached)) << e.what();
        EXPECT_TRUE(contains(e.what(), "damaged")) << e.what();
        EXPECT_TRUE(contains(e.what(), sha256File(good))) << e.what();
    }
    // Importing it again repairs the cache.
    weights::importWeightsIntoCache(good, "mobilenet_v2", true);
    EXPECT_NO_THROW(weights::loadPretrained("mobilenet_v2"));
}

TEST_F(Download, CliDownloadReportsProgressAndErrors) {
    const auto& info = zoo::modelInfo("mobilenet_v2");
    serve(zoo::weightsFileName(info), randomBytes(600000, 9));
    const std::string env = "TORCH_HOME=" + test::shellQuote(m_cache->path()) +
                            " TS_WEIGHTS_MIRROR=" + test::shellQuote(s_base + "/slow") + " ";
    std::string output;
    EXPECT_EQ(test::runCommand(env + test::shellQuote(test::binaryPath("tstudio")) + " weights download mobilenet_v2", &output), 1);
    EXPECT_TRUE(contains(output, "Downloading " + zoo::weightsFileName(info))) << output;
    EXPECT_TRUE(contains(output, "b0353104")) << output;
    EXPECT_FALSE(fs::exists(weights::cachedWeightsPath("mobilenet_v2")));
}
