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
    for (const auto& entry : serverLog())
        if (entry["path"] == "/files/" + name && entry["range"] == "bytes=" + std::to_string(cut) + "-" &&
            entry["status"] == 206)
            sawRange = true;
    EXPECT_TRUE(sawRange) << "no Range request reached the server";
}

TEST_F(Download, ServerIgnoringRangeRestartsTheFile) {
    const std::string bytes = randomBytes(200000, 4);
    const std::string name = serveHashed("norange", bytes);
    const std::string dest = cachePath(name);
    fs::create_directories(fs::path(dest).parent_path());
    writeFileAtomic(dest + ".partial", randomBytes(1000, 99));  // stale bytes that must not survive
    EXPECT_EQ(weights::downloadWeights(s_base + "/norange/" + name, dest), dest);
    EXPECT_EQ(readFile(dest), bytes);
}

TEST_F(Download, CompletePartialIsFetchedAgainAfter416) {
    const std::string bytes = randomBytes(70000, 5);
    const std::string name = serveHashed("whole", bytes);
    const std::string dest = cachePath(name);
    fs::create_directories(fs::path(dest).parent_path());
    writeFileAtomic(dest + ".partial", bytes);
    EXPECT_EQ(weights::downloadWeights(s_base + "/files/" + name, dest), dest);
    EXPECT_EQ(readFile(dest), bytes);
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
        EXPECT_EQ(entry.path().string(), cached) << "left behind in the cache";
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
