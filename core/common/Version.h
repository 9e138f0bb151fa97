#pragma once
// Build and runtime facts for `--version` and bug reports.
#include <string>

namespace ts {

/// The application version from CMake's project().
std::string appVersion();

/// Facts about the compute runtime, gathered at call time.
struct RuntimeInfo {
    std::string libtorchVersion;  ///< e.g. "1.13.0"
    bool cudaAvailable = false;   ///< torch::cuda::is_available()
    int cudaDeviceCount = 0;
    std::string cudaDeviceName;   ///< first device's name, empty without CUDA
    std::string deviceChoice;     ///< which device `auto` picks, and why
    int cpuThreads = 0;           ///< LibTorch intra-op threads
    std::string blas;             ///< the BLAS library actually loaded
    bool blasIsReference = false; ///< true when the slow reference BLAS is loaded
};

/// Reads the runtime facts (loads CUDA's driver library if present).
RuntimeInfo runtimeInfo();

/// Multi-line report for `--version`.
std::string versionReport(const std::string& programName);

/// Sets LibTorch's intra-op threads to the number of cores (LibTorch starts
/// with one on some machines; measured 2x slower convolutions here).
void configureThreads();

} // namespace ts
