#include "core/common/Paths.h"

#include <cstdlib>
#include <filesystem>

namespace ts::paths {
namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : std::string();
}

std::string home() {
    std::string h = env("HOME");
    return h.empty() ? std::filesystem::temp_directory_path().string() : h;
}

} // namespace

std::string configDir() {
    std::string base = env("XDG_CONFIG_HOME");
    if (base.empty()) base = home() + "/.config";
    return base + "/transfer-studio";
}

std::string dataDir() {
    std::string base = env("XDG_DATA_HOME");
    if (base.empty()) base = home() + "/.local/share";
    return base + "/transfer-studio";
}

std::string projectsDir() { return dataDir() + "/projects"; }
std::string runsDir() { return dataDir() + "/runs"; }

std::string weightsCacheDir() {
    std::string torchHome = env("TORCH_HOME");
    if (torchHome.empty()) {
        std::string cache = env("XDG_CACHE_HOME");
        if (cache.empty()) cache = home() + "/.cache";
        torchHome = cache + "/torch";
    }
    return torchHome + "/hub/checkpoints";
}

} // namespace ts::paths
