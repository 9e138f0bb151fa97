#include "core/common/AtomicFile.h"

#include "core/common/Error.h"

#include <cerrno>
#include <cstdio>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ts {
namespace {

std::string tempPathFor(const std::string& path) {
    static std::atomic<unsigned> counter{0};
    return path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

void ensureParentExists(const std::string& path) {
    const fs::path parent = fs::path(path).parent_path();
    if (parent.empty()) return;
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) throw IoError("Cannot create folder '" + parent.string() + "' for '" + path + "': " + ec.message() +
                          ". Check the permissions or choose another location.");
}

void renameOver(const std::string& tmp, const std::string& path) {
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw IoError("Cannot move the finished file into place at '" + path + "': " + ec.message() +
                      ". Check the permissions and free space of that folder.");
    }
}

} // namespace

void writeFileAtomic(const std::string& path, const std::string& bytes) {
    writeFileAtomicWith(path, [&](const std::string& tmp) {
        std::FILE* f = std::fopen(tmp.c_str(), "wb");
        if (!f) throw IoError("Cannot write '" + path + "': " + std::strerror(errno) +
                              ". Check the permissions and free space of that folder.");
        const size_t written = bytes.empty() ? 0 : std::fwrite(bytes.data(), 1, bytes.size(), f);
        const bool ok = written == bytes.size() && std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
        const int err = errno;
        std::fclose(f);
        if (!ok) throw IoError("Cannot write '" + path + "': " + std::strerror(err) + " (disk full?).");
    });
}

void writeFileAtomicWith(const std::string& path, const std::function<void(const std::string& tmpPath)>& writer) {
    ensureParentExists(path);
    const std::string tmp = tempPathFor(path);
    try {
        writer(tmp);
    } catch (...) {
        std::error_code ec;
        fs::remove(tmp, ec);
        throw;
    }
    std::error_code ec;
    if (!fs::exists(tmp, ec)) throw IoError("Writing '" + path + "' produced no file.");
    renameOver(tmp, path);
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError("Cannot open '" + path + "': " + std::strerror(errno) + ".");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace ts
