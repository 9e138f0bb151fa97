// Hostile input through the CLI: every reader, every command that opens a
// file. tests/python/hostile_corpus.py mutates the output of a real tiny run
// (bundle, checkpoints, config, manifest, metrics) and writes .pth and .safetensors files,
// configs, projects, images of every format, dataset trees (symlink loops,
// FIFOs, /dev/zero) and the files of a real tiny experiment (experiment.json,
// trials.json, a trial's run files), broken the ways an attacker would break
// them. Each case
// runs tstudio as `timeout` + `prlimit --as` would (a forked child with
// RLIMIT_AS, killed at its deadline) and must
//   - end by itself (no hang) and not by a signal (exit code < 128),
//   - stay within a small multiple of its input above the same command's
//     memory on good input (peak RSS from wait4),
//   - when it fails, say which file (the message names it), and never echo
//     raw control characters or unbounded text from it,
//   - when the case says "error", fail (a hostile file is not accepted),
// and nothing in any file is ever executed (a marker file stays absent).
// Every failing case is listed with its reason, command and output, per
// reader group, and in <build>/hostile-report.txt.
//
// Settings (environment): TS_HOSTILE_AS_MB (address-space limit per command,
// default 4096), TS_HOSTILE_KEEP=1 (keep the corpus folder),
// TS_HOSTILE_JOBS (commands at a time, default 2).
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ts;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int64_t kMiB = 1 << 20;

int64_t envInt(const char* name, int64_t fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::atoll(v) : fallback;
}

struct Outcome {
    int exitCode = -1;
    int signal = 0;
    bool timedOut = false;
    int64_t maxRssBytes = 0;
    double seconds = 0;
    std::string output;       ///< stdout + stderr, first 1 MiB
    int64_t outputBytes = 0;  ///< all of it
};

/// Runs `tstudio args...` with RLIMIT_AS = `asBytes`, stdin from /dev/null,
/// stdout+stderr to `logPath`; SIGKILLs its process group after `timeoutS`.
Outcome runLimited(const std::string& exe, const std::vector<std::string>& args, const std::string& logPath,
                   double timeoutS, int64_t asBytes) {
    std::vector<std::string> all{exe};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    Outcome o;
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    if (pid < 0) {
        o.output = std::string("fork failed: ") + std::strerror(errno);
        return o;
    }
    if (pid == 0) {  // only async-signal-safe calls until exec
        ::setpgid(0, 0);
        struct rlimit lim{static_cast<rlim_t>(asBytes), static_cast<rlim_t>(asBytes)};
        ::setrlimit(RLIMIT_AS, &lim);
        const int in = ::open("/dev/null", O_RDONLY);
        const int out = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in >= 0) ::dup2(in, 0);
        if (out >= 0) {
            ::dup2(out, 1);
            ::dup2(out, 2);
        }
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::setpgid(pid, pid);
    int status = 0;
    struct rusage usage{};
    const auto deadline = start + std::chrono::duration<double>(timeoutS);
    for (;;) {
        const pid_t r = ::wait4(pid, &status, WNOHANG, &usage);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) break;
        if (std::chrono::steady_clock::now() > deadline && !o.timedOut) {
            o.timedOut = true;
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(-pid, SIGKILL);  // anything it left behind in its group
    o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    o.maxRssBytes = static_cast<int64_t>(usage.ru_maxrss) * 1024;
    if (WIFEXITED(status)) o.exitCode = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
    std::ifstream log(logPath, std::ios::binary);
    o.output.assign(std::istreambuf_iterator<char>(log), {});
    o.outputBytes = static_cast<int64_t>(o.output.size());
    if (o.output.size() > size_t(kMiB)) o.output.resize(size_t(kMiB));
    return o;
}

/// `s` with unprintable bytes escaped, cut to `max` characters, for reports.
std::string escaped(const std::string& s, size_t max = 400) {
    std::string out;
    for (size_t i = 0; i < s.size() && out.size() < max; ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == '\n') out += " | ";
        else if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
        else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    if (s.size() > max) out += "...";
    return out;
}

struct Case {
    std::string name, group, kind, expect;
    std::vector<std::string> args, names;
    int64_t bytes = 0;
    int64_t extraBytes = 0;  ///< memory a good file of the same claims would also take
};

struct Baseline {
    int64_t maxRssBytes = 0;
    double seconds = 0;
};

class HostileCli : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_python = test::referencePython();
        if (s_python.empty()) return;
        s_tmp = std::make_unique<test::TempDir>("ts-hostile");
        const std::string root = s_tmp->path();
        s_marker = root + "/executed-marker";
        s_asBytes = envInt("TS_HOSTILE_AS_MB", 4096) * kMiB;
        s_jobs = static_cast<int>(std::max<int64_t>(1, envInt("TS_HOSTILE_JOBS", 2)));
        ::setenv("TORCH_HOME", (root + "/torch-home").c_str(), 1);
        // A real run to break: one epoch of tiny_cnn on a small image set.
        test::makeSyntheticDataset(root + "/data", 2, 8, 32, 5, /*trainValFolders=*/true, 4);
        std::string out;
        const int trained = test::runCommand(test::shellQuote(test::binaryPath("tstudio")) + " train --data " +
                                                 root + "/data --arch tiny_cnn --epochs 1 --batch-size 4 --out " +
                                                 root + "/run 2>&1",
                                             &out);
        if (trained != 0) {
            s_setupError = "training the tiny run failed: " + out;
            return;
        }
        // A real experiment to break: two one-epoch lr trials of the same.
        std::ofstream(root + "/base.json") << json{{"data_dir", root + "/data"}, {"arch", "tiny_cnn"},
                                                   {"pretrained", false},       {"epochs", 1},
                                                   {"batch_size", 4},           {"augment", {{"preset", "none"}}}}
                                                  .dump();
        const int ran = test::runCommand(test::shellQuote(test::binaryPath("tstudio")) + " experiment run --config " +
                                             root + "/base.json --grid lr=0.01,0.001 --out " + root + "/exp 2>&1",
                                         &out);
        if (ran != 0) {
            s_setupError = "running the tiny experiment failed: " + out;
            return;
        }
        const int made = test::runCommand(test::shellQuote(s_python) + " " +
                                              test::shellQuote(test::pythonScript("hostile_corpus.py")) + " --out " +
                                              root + "/corpus --run " + root + "/run --data " + root + "/data --marker " +
                                              s_marker + " --experiment " + root + "/exp 2>&1",
                                          &out);
        if (made != 0) {
            s_setupError = "hostile_corpus.py failed: " + out;
            return;
        }
        std::ifstream in(root + "/corpus/cases.json");
        const json j = json::parse(in);
        for (const auto& c : j.at("cases")) {
            Case k;
            k.name = c.at("name");
            k.group = c.at("group");
            k.kind = c.at("kind");
            k.expect = c.at("expect");
            k.args = c.at("args").get<std::vector<std::string>>();
            k.names = c.at("names").get<std::vector<std::string>>();
            k.bytes = c.at("bytes");
            k.extraBytes = c.value("extra_mb", int64_t(0)) * kMiB;
            s_cases.push_back(std::move(k));
        }
        // The same commands on good input: they must pass under the same
        // limits, and their memory and time are what cases are measured by.
        for (const auto& [kind, args] : j.at("baselines").items()) {
            const Outcome o = runLimited(test::binaryPath("tstudio"), args.get<std::vector<std::string>>(),
                                         root + "/baseline-" + kind + ".log", 300, s_asBytes);
            if (o.exitCode != 0) {
                s_baselineErrors[kind] = "baseline '" + kind + "' (" + args.dump() + ") failed under a " +
                                std::to_string(s_asBytes / kMiB) + " MiB address-space limit: exit " +
                                std::to_string(o.exitCode) + " signal " + std::to_string(o.signal) + ": " +
                                escaped(o.output, 2000);
                continue;
            }
            s_baselines[kind] = {o.maxRssBytes, o.seconds};
            s_report << "baseline " << kind << ": " << o.maxRssBytes / kMiB << " MiB peak RSS, " << o.seconds << " s\n";
        }
    }

    static void TearDownTestSuite() {
        if (s_tmp) {
            const std::string path = std::string(TS_BINARY_DIR) + "/hostile-report.txt";
            std::ofstream(path) << s_report.str();
            if (envInt("TS_HOSTILE_KEEP", 0)) {
                std::cerr << "TS_HOSTILE_KEEP: corpus kept in " << s_tmp->path() << '\n';
                const std::string kept = s_tmp->path() + ".kept";
                std::error_code ec;
                fs::rename(s_tmp->path(), kept, ec);
            }
        }
        s_tmp.reset();
    }

    void SetUp() override {
        TS_REQUIRE_REFERENCE_PYTHON(s_python);
        ASSERT_TRUE(s_setupError.empty()) << s_setupError;
    }

    /// Why case `c` failed, or "" when it passed.
    static std::string judge(const Case& c, const Outcome& o) {
        std::vector<std::string> why;
        const auto base = s_baselines.find(c.kind);
        if (o.timedOut) why.push_back("hang: killed after " + std::to_string(int(o.seconds)) + " s");
        if (o.signal) why.push_back(std::string("killed by signal ") + std::to_string(o.signal) + " (" + strsignal(o.signal) + ")");
        else if (!o.timedOut && o.exitCode >= 128) why.push_back("exit code " + std::to_string(o.exitCode) + " (a signal)");
        if (base != s_baselines.end()) {
            const int64_t allowed = base->second.maxRssBytes + 4 * c.bytes + 128 * kMiB + c.extraBytes;
            if (o.maxRssBytes > allowed)
                why.push_back("peak memory " + std::to_string(o.maxRssBytes / kMiB) + " MiB, allowed " +
                              std::to_string(allowed / kMiB) + " MiB (baseline " +
                              std::to_string(base->second.maxRssBytes / kMiB) + " MiB + 4 x " +
                              std::to_string(c.bytes) + " bytes + 128 MiB" +
                              (c.extraBytes ? " + " + std::to_string(c.extraBytes / kMiB) + " MiB for this case" : "") +
                              ")");
        }
        if (!o.timedOut && !o.signal) {
            if (c.expect == "error" && o.exitCode == 0) why.push_back("accepted a hostile input (exit 0)");
            if (o.exitCode != 0 &&
                std::none_of(c.names.begin(), c.names.end(),
                             [&](const std::string& n) { return o.output.find(n) != std::string::npos; })) {
                std::string names;
                for (const auto& n : c.names) names += (names.empty() ? "" : " or ") + escaped(n, 60);
                why.push_back("the error does not name the file (" + names + ")");
            }
            if (o.exitCode != 0 && o.output.find("what():") != std::string::npos)
                why.push_back("an exception escaped (std::terminate)");
        }
        if (o.outputBytes > 64 * 1024) why.push_back("printed " + std::to_string(o.outputBytes) + " bytes (unbounded echo)");
        for (unsigned char ch : o.output)
            if ((ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r') || ch == 0x7f) {
                why.push_back("echoed a raw control character from the file");
                break;
            }
        std::string all;
        for (const auto& w : why) all += (all.empty() ? "" : "; ") + w;
        return all;
    }

    /// Runs every case of `group`, s_jobs at a time; one failure per bad case.
    void runGroup(const std::string& group) {
        std::vector<const Case*> todo;
        std::set<std::string> brokenKinds;
        for (const auto& c : s_cases) {
            if (c.group != group) continue;
            const auto broken = s_baselineErrors.find(c.kind);
            if (broken == s_baselineErrors.end()) todo.push_back(&c);
            else if (brokenKinds.insert(c.kind).second)
                ADD_FAILURE() << "the " << c.kind << " cases of " << group << " did not run: " << broken->second;
        }
        ASSERT_FALSE(todo.empty()) << "no cases to run in group " << group;
        std::atomic<size_t> next{0};
        std::mutex mu;
        std::vector<std::pair<const Case*, std::string>> failures;
        auto worker = [&] {
            for (size_t i; (i = next++) < todo.size();) {
                const Case& c = *todo[i];
                const auto base = s_baselines.find(c.kind);
                const double timeout =
                    std::max(20.0, base == s_baselines.end() ? 60.0 : 5 * base->second.seconds);
                const Outcome o = runLimited(test::binaryPath("tstudio"), c.args,
                                             s_tmp->path() + "/case-" + std::to_string(i) + "-" + group + ".log",
                                             timeout, s_asBytes);
                const std::string why = judge(c, o);
                std::lock_guard<std::mutex> lock(mu);
                s_report << (why.empty() ? "ok   " : "FAIL ") << c.name << "  exit " << o.exitCode << " signal "
                         << o.signal << " " << o.maxRssBytes / kMiB << " MiB " << int(o.seconds * 1000) << " ms"
                         << (why.empty() ? "" : "  -- " + why) << '\n';
                if (!why.empty()) {
                    std::string cmd = "tstudio";
                    for (const auto& a : c.args) cmd += " " + escaped(a, 200);
                    failures.emplace_back(&c, why + "\n    command: " + cmd + "\n    output: " + escaped(o.output, 600));
                }
            }
        };
        std::vector<std::thread> threads;
        for (int t = 0; t < s_jobs; ++t) threads.emplace_back(worker);
        for (auto& t : threads) t.join();
        std::sort(failures.begin(), failures.end(),
                  [](const auto& a, const auto& b) { return a.first->name < b.first->name; });
        for (const auto& [c, why] : failures) ADD_FAILURE() << c->name << ": " << why;
        std::cout << "[ hostile ] " << group << ": " << todo.size() - failures.size() << "/" << todo.size()
                  << " cases pass\n";
        EXPECT_FALSE(fs::exists(s_marker)) << "a file's content was executed: " << s_marker << " was created";
    }

    static std::string s_python, s_marker, s_setupError;
    static std::unique_ptr<test::TempDir> s_tmp;
    static std::vector<Case> s_cases;
    static std::map<std::string, Baseline> s_baselines;
    static std::map<std::string, std::string> s_baselineErrors;
    static int64_t s_asBytes;
    static int s_jobs;
    static std::ostringstream s_report;
};

std::string HostileCli::s_python, HostileCli::s_marker, HostileCli::s_setupError;
std::unique_ptr<test::TempDir> HostileCli::s_tmp;
std::vector<Case> HostileCli::s_cases;
std::map<std::string, Baseline> HostileCli::s_baselines;
std::map<std::string, std::string> HostileCli::s_baselineErrors;
int64_t HostileCli::s_asBytes = 0;
int HostileCli::s_jobs = 2;
std::ostringstream HostileCli::s_report;

} // namespace

// tstudio weights import: .pth files, zip and legacy.
TEST_F(HostileCli, PthFiles) { runGroup("pth"); }
// tstudio weights import: .safetensors files.
TEST_F(HostileCli, SafetensorsFiles) { runGroup("safetensors"); }
// tstudio predict / eval / export --model: .tsb bundles.
TEST_F(HostileCli, Bundles) { runGroup("bundle"); }
// tstudio resume: checkpoints/last.ckpt.
TEST_F(HostileCli, Checkpoints) { runGroup("ckpt"); }
// tstudio resume: a run's config.json.
TEST_F(HostileCli, RunConfigs) { runGroup("runconfig"); }
// tstudio resume: a run's manifest.json.
TEST_F(HostileCli, Manifests) { runGroup("manifest"); }
// tstudio resume: a run's metrics.jsonl.
TEST_F(HostileCli, MetricsFiles) { runGroup("metrics"); }
// tstudio train --config: config JSON and .tsproj projects.
TEST_F(HostileCli, ConfigsAndProjects) { runGroup("config"); }
// tstudio predict: images of every format.
TEST_F(HostileCli, Images) { runGroup("image"); }
// tstudio scan / eval --data: dataset trees.
TEST_F(HostileCli, DatasetTrees) { runGroup("tree"); }
// tstudio experiment compare / resume, tstudio report: an experiment's
// experiment.json, trials.json and its trials' run files.
TEST_F(HostileCli, Experiments) { runGroup("experiment"); }
