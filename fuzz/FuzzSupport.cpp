#include "fuzz/FuzzSupport.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace ts::fuzz {
namespace {

std::string g_dir;

void removeDir() {
    std::error_code ec;
    if (!g_dir.empty()) std::filesystem::remove_all(g_dir, ec);
}

} // namespace

std::string scratchFile(const std::string& name, std::string_view data) {
    if (g_dir.empty()) {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/ts-fuzz-XXXXXX";
        if (!::mkdtemp(tmpl.data())) die("mkdtemp: " + std::string(std::strerror(errno)));
        g_dir = tmpl;
        std::atexit(removeDir);
    }
    const std::string path = g_dir + "/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out) die("cannot write the scratch file " + path);
    return path;
}

} // namespace ts::fuzz
