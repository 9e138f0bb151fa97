#pragma once
// Helpers shared by the test suite: temp folders, the ../shared material,
// the reference torchvision interpreter, and running commands.
#include <ATen/Tensor.h>
#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace ts::test {

/// A fresh folder under the system temp dir, removed on destruction.
class TempDir {
public:
    explicit TempDir(const std::string& prefix = "ts-test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return m_path; }
    std::string file(const std::string& name) const { return m_path + "/" + name; }

private:
    std::string m_path;
};

/// The project's ../shared folder (or $TS_SHARED_DIR); empty when absent.
std::string sharedDir();

/// Debian's /usr/bin/python3 when it can import torchvision; empty otherwise.
std::string referencePython();

/// Path of a script under tests/python/.
std::string pythonScript(const std::string& name);

/// Runs a shell command; returns its exit code and fills `output` with
/// stdout+stderr.
int runCommand(const std::string& command, std::string* output = nullptr);

/// Runs `command` under /bin/sh with stderr joined to stdout; returns its
/// status as the shell reports it (128 + N when killed by signal N), -1 when
/// the shell printed none.
int shellStatus(const std::string& command, std::string* output = nullptr);

/// The whole file as bytes ("" when it cannot be read).
std::string readText(const std::string& path);

/// The rows of RUN/metrics.jsonl, one JSON object per epoch.
std::vector<nlohmann::json> metricsRows(const std::string& runDir);

/// The lines of RUN/metrics.csv without their last column (the seconds,
/// which differ between two runs of the same config).
std::vector<std::string> csvWithoutSeconds(const std::string& runDir);

/// Quotes a string for /bin/sh.
std::string shellQuote(const std::string& s);

/// Path of a built executable (e.g. "tstudio").
std::string binaryPath(const std::string& name);

/// Reads the tensors saved by tests/python/reference.py (torch.save zip dict).
std::vector<std::pair<std::string, at::Tensor>> readTensorFile(const std::string& path);
at::Tensor tensorNamed(const std::vector<std::pair<std::string, at::Tensor>>& all, const std::string& name);

} // namespace ts::test

/// Skips the current test with a message when `dir` is empty.
#define TS_REQUIRE_SHARED(dir)                                                                   \
    do {                                                                                         \
        if ((dir).empty()) GTEST_SKIP() << "../shared is absent: skipped (real-data test)";      \
    } while (0)

#define TS_REQUIRE_REFERENCE_PYTHON(py)                                                          \
    do {                                                                                         \
        if ((py).empty()) GTEST_SKIP() << "/usr/bin/python3 with torchvision is absent: skipped " \
                                          "(install python3-torchvision: make deps)";            \
    } while (0)

namespace ts::test {

/// Writes a small labelled image set: `classes` class folders of `perClass`
/// PNGs (size x size). Class k is drawn with its own colour and shape at
/// random positions, on a noisy background, so a CNN separates them easily.
/// With `trainValFolders`, writes ROOT/train/<class> and ROOT/val/<class>
/// (valPerClass images each) instead of flat class folders.
void makeSyntheticDataset(const std::string& root, int classes, int perClass, int size, unsigned seed,
                          bool trainValFolders = false, int valPerClass = 0);

} // namespace ts::test
