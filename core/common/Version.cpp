#include "core/common/Version.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <dlfcn.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#ifndef TS_VERSION
#define TS_VERSION "0.0.0"
#endif

namespace ts {
namespace {

// The CUDA driver API is loaded at run time so that the same binary reports the
// device name with any LibTorch build, CPU-only included.
std::string cudaDeviceNameFromDriver() {
    void* lib = ::dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!lib) return {};
    using InitFn = int (*)(unsigned);
    using GetFn = int (*)(int*, int);
    using NameFn = int (*)(char*, int, int);
    auto init = reinterpret_cast<InitFn>(::dlsym(lib, "cuInit"));
    auto get = reinterpret_cast<GetFn>(::dlsym(lib, "cuDeviceGet"));
    auto name = reinterpret_cast<NameFn>(::dlsym(lib, "cuDeviceGetName"));
    std::string result;
    int dev = 0;
    char buf[256] = {0};
    if (init && get && name && init(0) == 0 && get(&dev, 0) == 0 && name(buf, sizeof buf, dev) == 0) result = buf;
    ::dlclose(lib);
    return result;
}

std::string loadedBlas() {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        const auto pos = line.find('/');
        if (pos == std::string::npos) continue;
        const std::string path = line.substr(pos);
        const std::string file = std::filesystem::path(path).filename().string();
        if (file.rfind("libblas", 0) == 0 || file.rfind("libopenblas", 0) == 0 || file.rfind("libmkl_rt", 0) == 0 ||
            file.rfind("libblis", 0) == 0 || file.rfind("libmkl_core", 0) == 0) {
            std::error_code ec;
            const auto real = std::filesystem::canonical(path, ec);
            return ec ? path : real.string();
        }
    }
    return {};
}

} // namespace

std::string appVersion() { return TS_VERSION; }

RuntimeInfo runtimeInfo() {
    RuntimeInfo info;
    std::ostringstream v;
    v << TORCH_VERSION_MAJOR << '.' << TORCH_VERSION_MINOR << '.' << TORCH_VERSION_PATCH;
    info.libtorchVersion = v.str();
    info.cudaAvailable = torch::cuda::is_available();
    info.cudaDeviceCount = info.cudaAvailable ? static_cast<int>(torch::cuda::device_count()) : 0;
    const std::string driverName = cudaDeviceNameFromDriver();
    if (info.cudaAvailable) {
        info.cudaDeviceName = driverName.empty() ? "CUDA device 0" : driverName;
        info.deviceChoice = "cuda:0 (" + info.cudaDeviceName + ")";
    } else if (!driverName.empty()) {
        info.deviceChoice = "cpu: an NVIDIA GPU (" + driverName +
                            ") is present but this LibTorch build has no CUDA support; rebuild against the official "
                            "CUDA LibTorch (see README)";
    } else {
        info.deviceChoice = "cpu: no CUDA device or driver found";
    }
    info.cpuThreads = at::get_num_threads();
    info.blas = loadedBlas();
    const std::string blasName = std::filesystem::path(info.blas).parent_path().filename().string();
    info.blasIsReference = !info.blas.empty() && info.blas.find("openblas") == std::string::npos &&
                           info.blas.find("mkl") == std::string::npos && info.blas.find("blis") == std::string::npos &&
                           info.blas.find("atlas") == std::string::npos;
    (void)blasName;
    return info;
}

std::string versionReport(const std::string& programName) {
    const RuntimeInfo info = runtimeInfo();
    std::ostringstream out;
    out << programName << ' ' << appVersion() << '\n';
    out << "LibTorch:    " << info.libtorchVersion << '\n';
    out << "CUDA:        " << (info.cudaAvailable ? "available, " + std::to_string(info.cudaDeviceCount) + " device(s)"
                                                  : std::string("not available"))
        << '\n';
    out << "Device:      " << info.deviceChoice << '\n';
    out << "CPU threads: " << info.cpuThreads << " (of " << std::thread::hardware_concurrency() << " cores)\n";
    out << "BLAS:        " << (info.blas.empty() ? std::string("built in / not loaded") : info.blas);
    if (info.blasIsReference)
        out << "  [reference BLAS: install libopenblas0-pthread, linear layers are ~10x slower without it]";
    out << '\n';
    return out.str();
}

void configureThreads() {
    const unsigned cores = std::thread::hardware_concurrency();
    if (cores > 0 && at::get_num_threads() < static_cast<int>(cores)) at::set_num_threads(static_cast<int>(cores));
}

} // namespace ts
