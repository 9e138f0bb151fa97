#include "core/common/AtomicFile.h"

#include "core/common/Error.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ts {
namespace {

std::string tempPathFor(const std::string& path) {
    static std::atomic<unsigned> counter{0};
    return path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

std::string parentOf(const std::string& path) {
    const fs::path parent = fs::path(path).parent_path();
    return parent.empty() ? std::string(".") : parent.string();
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

// Some file systems (a few FUSE and network ones) cannot fsync a folder and
// say so with EINVAL; everything else is a real failure.
bool unsupportedSync(int err) { return err == EINVAL || err == ENOTSUP || err == EOPNOTSUPP; }

// The fault-injection hook: see TS_FAULT_ABORT_AFTER_WRITES in the header.
// The variable is read at every write, so a test can set it in-process.
void afterCompletedWrite() {
    static std::atomic<long> completed{0};
    const long n = ++completed;
    const char* value = std::getenv("TS_FAULT_ABORT_AFTER_WRITES");
    if (!value || !*value) return;
    char* end = nullptr;
    const long k = std::strtol(value, &end, 10);
    if (end && *end == '\0' && k >= 1 && n == k) {
        ::kill(::getpid(), SIGKILL);
        ::_exit(137);  // not reached
    }
}

} // namespace

void syncFile(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw IoError("Cannot open '" + path + "' to flush it to disk: " + std::strerror(errno) + ".");
    const bool ok = ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    if (!ok && !unsupportedSync(err))
        throw IoError("Cannot flush '" + path + "' to disk: " + std::strerror(err) +
                      " (disk full or failing?). Check the free space and the disk, then try again.");
}

void syncDirectory(const std::string& dir) {
    const std::string d = dir.empty() ? std::string(".") : dir;
    const int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw IoError("Cannot open the folder '" + d + "' to flush it to disk: " + std::strerror(errno) + ".");
    const bool ok = ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    if (!ok && !unsupportedSync(err))
        throw IoError("Cannot flush the folder '" + d + "' to disk: " + std::strerror(err) +
                      ". Check the disk, then try again.");
}

void writeFileAtomic(const std::string& path, const std::string& bytes) {
    writeFileAtomicWith(path, [&](const std::string& tmp) {
        std::FILE* f = std::fopen(tmp.c_str(), "wb");
        if (!f) throw IoError("Cannot write '" + path + "': " + std::strerror(errno) +
                              ". Check the permissions and free space of that folder.");
        const size_t written = bytes.empty() ? 0 : std::fwrite(bytes.data(), 1, bytes.size(), f);
        const bool ok = written == bytes.size() && std::fflush(f) == 0;
        const int err = errno;
        const bool closed = std::fclose(f) == 0;
        if (!ok || !closed) throw IoError("Cannot write '" + path + "': " + std::strerror(err) + " (disk full?).");
    });
}

void writeFileAtomicWith(const std::string& path, const std::function<void(const std::string& tmpPath)>& writer) {
    ensureParentExists(path);
    const std::string tmp = tempPathFor(path);
    try {
        writer(tmp);
        std::error_code ec;
        if (!fs::exists(tmp, ec)) throw IoError("Writing '" + path + "' produced no file.");
        // Whoever wrote it (our own code or a library), the bytes reach the
        // disk before the rename makes them the file's content.
        syncFile(tmp);
    } catch (...) {
        std::error_code ec;
        fs::remove(tmp, ec);
        throw;
    }
    renameOver(tmp, path);
    syncDirectory(parentOf(path));
    afterCompletedWrite();
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError("Cannot open '" + path + "': " + std::strerror(errno) + ".");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace ts
