// ONNX Runtime through the Node runner (see OnnxRuntime.h for why Node and
// where things are looked for).
#include "core/export/OnnxRuntime.h"
#include "core/export/ScratchDir.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

extern char** environ;

namespace ts::embedded {
const std::string& ortRunnerSource();
}

namespace ts::exporting {
namespace {

namespace fs = std::filesystem;

constexpr size_t kStderrTail = 1500;
constexpr int64_t kMaxHeaderBytes = 1 << 20;
constexpr int64_t kMaxOutputBytes = int64_t(2) << 30;
constexpr size_t kMaxOutputs = 64;

/// Printable text of at most `limit` bytes from the end of `s` (control
/// characters but newline and tab become '?').
std::string printableTail(std::string s, size_t limit) {
    if (s.size() > limit) s = "..." + s.substr(s.size() - limit);
    for (char& c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) c = '?';
    }
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

/// The last `limit` bytes of a file, without reading all of a large one.
std::string fileTail(const std::string& path, size_t limit) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return {};
    const std::streamoff size = in.tellg();
    const std::streamoff from = size > std::streamoff(limit) ? size - std::streamoff(limit) : 0;
    in.seekg(from);
    std::string s(static_cast<size_t>(size - from), '\0');
    in.read(s.data(), static_cast<std::streamsize>(s.size()));
    s.resize(static_cast<size_t>(in.gcount()));
    return (from > 0 ? "..." : "") + s;
}

bool isExecutable(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

std::string findNode(std::string* why) {
    if (const char* env = std::getenv("TSTUDIO_NODE"); env != nullptr && *env != '\0') {
        if (isExecutable(env)) return fs::absolute(env).string();
        *why = "Node.js is not at TSTUDIO_NODE='" + printableTail(env, 200) + "' (no executable file there).";
        return {};
    }
    const char* pathEnv = std::getenv("PATH");
    std::string path = pathEnv ? pathEnv : "/usr/local/bin:/usr/bin:/bin";
    size_t start = 0;
    while (start <= path.size()) {
        const size_t end = std::min(path.find(':', start), path.size());
        const std::string dir = path.substr(start, end - start);
        if (!dir.empty() && isExecutable(fs::path(dir) / "node")) return fs::absolute(fs::path(dir) / "node").string();
        start = end + 1;
    }
    *why = "Node.js ('node') is not on PATH. Install it (apt-get install nodejs) or set TSTUDIO_NODE.";
    return {};
}

/// The package folder under `dir`: dir/node_modules/onnxruntime-node,
/// dir/onnxruntime-node, or dir itself; empty when none holds package.json.
std::string packageUnder(const fs::path& dir) {
    std::error_code ec;
    for (const fs::path& candidate :
         {dir / "node_modules" / "onnxruntime-node", dir / "onnxruntime-node", dir}) {
        if (fs::is_regular_file(candidate / "package.json", ec) && candidate.filename() == "onnxruntime-node")
            return fs::absolute(candidate, ec).lexically_normal().string();
    }
    return {};
}

std::string executableDir() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : exe.parent_path().string();
}

std::string findPackage(std::string* why) {
    if (const char* env = std::getenv("TSTUDIO_ONNXRUNTIME_DIR"); env != nullptr && *env != '\0') {
        const std::string found = packageUnder(env);
        if (found.empty())
            *why = "TSTUDIO_ONNXRUNTIME_DIR='" + printableTail(env, 200) +
                   "' holds no onnxruntime-node package (looked for node_modules/onnxruntime-node/package.json). "
                   "Install it there: npm install --ignore-scripts --prefix DIR onnxruntime-node@1.30.0";
        return found;
    }
    std::vector<fs::path> looked;
    const std::string exeDir = executableDir();
    if (!exeDir.empty()) {
        fs::path d = exeDir;
        for (int up = 0; up < 6 && !d.empty(); ++up) {
            looked.push_back(d / "third_party" / "onnxruntime");
            if (d == d.parent_path()) break;
            d = d.parent_path();
        }
        looked.push_back(fs::path(exeDir).parent_path() / "share" / "transfer-studio" / "onnxruntime");
    }
#ifdef TS_SOURCE_DIR
    looked.push_back(fs::path(TS_SOURCE_DIR) / "third_party" / "onnxruntime");
#endif
    for (const auto& dir : looked) {
        const std::string found = packageUnder(dir);
        if (!found.empty()) return found;
    }
    *why = "The npm package onnxruntime-node is not installed (looked in third_party/onnxruntime/ next to the "
           "executable and its parent folders, in share/transfer-studio/onnxruntime/ and in the source tree). Run "
           "scripts/install-deps.sh, or install it anywhere with npm install --ignore-scripts --prefix DIR "
           "onnxruntime-node@1.30.0 and set TSTUDIO_ONNXRUNTIME_DIR=DIR.";
    return {};
}

std::string packageVersion(const std::string& packageDir) {
    try {
        const fs::path file = fs::path(packageDir) / "package.json";
        std::error_code ec;
        if (fs::file_size(file, ec) > static_cast<uintmax_t>(kMaxHeaderBytes) || ec) return {};
        const nlohmann::json j = nlohmann::json::parse(readFile(file.string()));
        if (j.is_object() && j.contains("version") && j["version"].is_string())
            return printableTail(j["version"].get<std::string>(), 40);
    } catch (const std::exception&) {
    }
    return {};
}

/// Runs argv with stdin from /dev/null and stdout/stderr to the given files;
/// kills it after `timeoutSeconds`. Returns the exit status (-signal when
/// killed by one); sets *timedOut.
int runProcess(const std::vector<std::string>& argv, const std::string& stdoutPath, const std::string& stderrPath,
               int64_t timeoutSeconds, bool* timedOut) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, stdoutPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, stderrPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        throw ModelError("Cannot start Node.js ('" + argv[0] + "'): " + std::strerror(rc) +
                         ". Check the installation of nodejs (or TSTUDIO_NODE).");
    *timedOut = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(std::max<int64_t>(1, timeoutSeconds));
    int status = 0;
    for (auto wait = std::chrono::milliseconds(2);; wait = std::min(wait * 2, std::chrono::milliseconds(50))) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) break;
        if (done < 0 && errno != EINTR) return -1;
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            *timedOut = true;
            break;
        }
        std::this_thread::sleep_for(wait);
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return -1;
}

at::Tensor readOutput(const std::string& file, const std::vector<int64_t>& dims, const std::string& onnxPath) {
    int64_t count = 1;
    for (const int64_t d : dims) {
        if (d < 0 || (d > 0 && count > kMaxOutputBytes / 4 / d))
            throw ModelError("ONNX Runtime reported an output of impossible shape for '" + onnxPath + "'.");
        count *= d;
    }
    std::error_code ec;
    const uintmax_t bytes = fs::file_size(file, ec);
    if (ec || bytes != static_cast<uintmax_t>(count) * 4)
        throw ModelError("ONNX Runtime's output file for '" + onnxPath + "' has " + (ec ? "no" : std::to_string(bytes)) +
                         " bytes where its shape needs " + std::to_string(count * 4) + ".");
    const std::string data = readFile(file);
    at::Tensor t = torch::empty(dims, at::kFloat);
    if (count > 0) std::memcpy(t.data_ptr<float>(), data.data(), data.size());
    return t;
}

} // namespace

const std::string& onnxRuntimeRunnerSource() { return embedded::ortRunnerSource(); }

at::Tensor OnnxRuntimeOutputs::output(const std::string& name) const {
    for (const auto& [n, t] : outputs)
        if (n == name) return t;
    return {};
}

std::optional<OnnxRuntimeSetup> findOnnxRuntime(std::string* whyAbsent) {
    std::string why;
    OnnxRuntimeSetup setup;
    setup.node = findNode(&why);
    if (!setup.node.empty()) setup.packageDir = findPackage(&why);
    if (setup.node.empty() || setup.packageDir.empty()) {
        if (whyAbsent) *whyAbsent = why;
        return std::nullopt;
    }
    setup.version = packageVersion(setup.packageDir);
    return setup;
}

OnnxRuntimeOutputs runOnnxRuntime(const OnnxRuntimeSetup& setup, const std::string& onnxPath, const at::Tensor& input,
                                  const OnnxRuntimeOptions& options) {
    std::error_code ec;
    if (!fs::is_regular_file(onnxPath, ec))
        throw IoError("ONNX Runtime check: the ONNX file '" + onnxPath + "' does not exist or is not a file.");
    if (input.dim() != 4 || input.numel() == 0)
        throw ModelError("ONNX Runtime check of '" + onnxPath + "': expected a non-empty (N,C,H,W) input batch.");
    detail::ScratchDir tmp("ts-onnxruntime");
    const at::Tensor x = input.to(at::kFloat).contiguous();
    writeFileAtomic(tmp.file("input.bin"),
                    std::string(static_cast<const char*>(x.data_ptr()), static_cast<size_t>(x.numel()) * sizeof(float)));
    writeFileAtomic(tmp.file("ort_run.js"), onnxRuntimeRunnerSource());
    const std::string shape = std::to_string(x.size(0)) + "," + std::to_string(x.size(1)) + "," +
                              std::to_string(x.size(2)) + "," + std::to_string(x.size(3));
    const std::vector<std::string> argv = {setup.node,
                                           tmp.file("ort_run.js"),
                                           setup.packageDir,
                                           fs::absolute(onnxPath).string(),
                                           tmp.file("input.bin"),
                                           shape,
                                           tmp.path(),
                                           std::to_string(std::max<int64_t>(1, options.batchSize))};
    bool timedOut = false;
    const int rc = runProcess(argv, tmp.file("stdout.txt"), tmp.file("stderr.txt"), options.timeoutSeconds, &timedOut);
    const std::string runtime = "ONNX Runtime" + (setup.version.empty() ? std::string() : " " + setup.version);
    if (timedOut)
        throw ModelError(runtime + " did not finish running '" + onnxPath + "' within " +
                         std::to_string(options.timeoutSeconds) + " s; it was stopped. Try fewer images (--max-images).");
    if (rc != 0 || !fs::exists(tmp.file("header.json"), ec)) {
        const std::string err = printableTail(fileTail(tmp.file("stderr.txt"), kStderrTail), kStderrTail);
        throw ModelError(runtime + " could not load or run the ONNX file '" + onnxPath + "' (runner exit " +
                         std::to_string(rc) + ")" + (err.empty() ? std::string(".") : ":\n" + err));
    }
    if (fs::file_size(tmp.file("header.json"), ec) > static_cast<uintmax_t>(kMaxHeaderBytes) || ec)
        throw ModelError(runtime + " wrote an oversized header for '" + onnxPath + "'.");
    OnnxRuntimeOutputs result;
    result.runtime = runtime;
    try {
        const nlohmann::json header = nlohmann::json::parse(readFile(tmp.file("header.json")));
        const auto& outputs = header.at("outputs");
        if (!outputs.is_array() || outputs.size() > kMaxOutputs) throw std::runtime_error("bad outputs list");
        for (size_t k = 0; k < outputs.size(); ++k) {
            const auto& o = outputs[k];
            std::string name = o.at("name").get<std::string>();
            const std::vector<int64_t> dims = o.at("dims").get<std::vector<int64_t>>();
            if (dims.size() > 8) throw std::runtime_error("too many dimensions");
            // The file name is the runner's convention, not taken from the header.
            result.outputs.emplace_back(printableTail(name, 200),
                                        readOutput(tmp.file("output" + std::to_string(k) + ".bin"), dims, onnxPath));
        }
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw ModelError(runtime + " wrote an unreadable result for '" + onnxPath + "': " + printableTail(e.what(), 300));
    }
    return result;
}

} // namespace ts::exporting
