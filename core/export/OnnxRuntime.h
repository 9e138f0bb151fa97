#pragma once
// ONNX Runtime as a second runtime for ONNX exports.
//
// ONNX Runtime is not packaged in Debian 12; the npm package onnxruntime-node
// ships its Linux x64 libonnxruntime.so with a Node binding, so the project
// runs exports through a small Node script (resources/ort_run.js, embedded in
// the binary and written to a private temp folder for each run) rather than
// dlopen()ing the C API: that API is a table of function pointers whose
// layout is defined only by its headers, which the package does not ship, so
// calling it without them would mean re-declaring a versioned ABI by hand.
//
// Where things are looked for (first match wins):
//  - node: $TSTUDIO_NODE, else `node` on $PATH.
//  - the package folder (…/node_modules/onnxruntime-node): under
//    $TSTUDIO_ONNXRUNTIME_DIR when it is set (the npm --prefix folder, its
//    node_modules, or the package folder itself; nothing else is searched
//    then); else third_party/onnxruntime/ (what scripts/install-deps.sh
//    installs) in the folder of the executable or any of its parents, then
//    <prefix>/share/transfer-studio/onnxruntime/ next to an installed
//    executable (<prefix>/bin), then the source tree this was built from.
//    An installed .deb ships no ONNX Runtime: it finds one only through
//    $TSTUDIO_ONNXRUNTIME_DIR or that share folder, and reports it absent
//    otherwise.
//
// core/ prints nothing: the child's stdout and stderr go to files in the
// private temp folder; only the last 1500 bytes of stderr (control characters
// replaced) reach an error message. A run that exceeds its timeout is killed.
//
// Thread safety: free functions without shared state; each run has its own
// temp folder and child process.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ts::exporting {

/// Where ONNX Runtime was found.
struct OnnxRuntimeSetup {
    /// The node executable (absolute path).
    std::string node;
    /// The onnxruntime-node package folder (holds its package.json).
    std::string packageDir;
    /// The package's version from its package.json ("" when unreadable).
    std::string version;
};

/// Looks for node and the onnxruntime-node package as the file comment says.
/// Returns nullopt when either is missing; `whyAbsent` (optional) then says
/// which, where it was looked for and how to install it.
std::optional<OnnxRuntimeSetup> findOnnxRuntime(std::string* whyAbsent = nullptr);

/// Options of one ONNX Runtime run.
struct OnnxRuntimeOptions {
    /// Images per session.run inside the one Node process. Default 16.
    int64_t batchSize = 16;
    /// The Node process is killed after this many seconds. Default 600.
    int64_t timeoutSeconds = 600;
};

/// The outputs of a run, in the model's output order.
struct OnnxRuntimeOutputs {
    /// "ONNX Runtime 1.30.0".
    std::string runtime;
    /// (output name, float32 tensor with the output's shape).
    std::vector<std::pair<std::string, at::Tensor>> outputs;

    /// The output called `name`; an undefined tensor when there is none.
    at::Tensor output(const std::string& name) const;
};

/// Runs the ONNX file `onnxPath` in ONNX Runtime (one Node process) on
/// `input` (N,C,H,W float32, CPU; fed in chunks of options.batchSize to the
/// model's single input) and returns every float32 output. Throws
/// ts::ModelError naming the file when ONNX Runtime refuses or fails to run it
/// (with the tail of the runner's stderr), when the run exceeds the timeout,
/// or when the outputs it wrote are malformed; ts::IoError when the temp
/// folder cannot be made.
OnnxRuntimeOutputs runOnnxRuntime(const OnnxRuntimeSetup& setup, const std::string& onnxPath, const at::Tensor& input,
                                  const OnnxRuntimeOptions& options = {});

/// The Node runner's source (resources/ort_run.js).
const std::string& onnxRuntimeRunnerSource();

} // namespace ts::exporting
