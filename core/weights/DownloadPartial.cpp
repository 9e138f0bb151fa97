// The partial file and validator of a resumable download (DownloadPartial.h).
#include "core/weights/DownloadPartial.h"

#include "core/common/Error.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ts::weights::detail {

std::string validatorPath(const std::string& partial) { return partial + ".validator"; }

// A header value as a validator may hold it: visible ASCII and spaces, not
// too long; anything else is dropped (never sent back to a server).
std::string cleanValue(std::string v) {
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ' || v.back() == '\t')) v.pop_back();
    size_t b = 0;
    while (b < v.size() && (v[b] == ' ' || v[b] == '\t')) ++b;
    v.erase(0, b);
    if (v.size() > 200) return {};
    for (unsigned char c : v)
        if (c < 0x20 || c > 0x7e) return {};
    return v;
}

// Reads "<partial>.validator"; an absent, oversized or garbled one yields an
// empty validator, which makes the next attempt start over.
Validator readValidator(const std::string& partial) {
    Validator v;
    std::FILE* f = std::fopen(validatorPath(partial).c_str(), "rb");
    if (!f) return v;
    char buf[1024];
    const size_t n = std::fread(buf, 1, sizeof buf, f);
    const bool tooBig = n == sizeof buf;
    std::fclose(f);
    if (tooBig) return v;
    std::string text(buf, n), line;
    size_t pos = 0;
    while (pos < text.size()) {
        const size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) return Validator{};  // cut short: not trusted
        line = text.substr(pos, nl - pos);
        pos = nl + 1;
        const size_t colon = line.find(':');
        if (colon == std::string::npos) return Validator{};
        const std::string key = line.substr(0, colon), value = cleanValue(line.substr(colon + 1));
        if (key == "etag") v.etag = value;
        else if (key == "last-modified") v.lastModified = value;
        else if (key == "length") {
            char* e = nullptr;
            const long long len = std::strtoll(value.c_str(), &e, 10);
            v.length = (e && *e == '\0' && !value.empty() && len >= 0) ? len : -1;
        }
    }
    return v;
}

// Writes the validator beside the .partial: temporary file, fsync, rename
// (no exception: called from a libcurl callback). Returns false on failure.
bool writeValidator(const std::string& partial, const Validator& v) noexcept {
    try {
        const std::string path = validatorPath(partial), tmp = path + ".tmp";
        const std::string text = "etag: " + v.etag + "\nlast-modified: " + v.lastModified +
                                 "\nlength: " + std::to_string(v.length) + "\n";
        std::FILE* f = std::fopen(tmp.c_str(), "wb");
        if (!f) return false;
        bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0 &&
                  ::fsync(fileno(f)) == 0;
        ok = std::fclose(f) == 0 && ok;
        if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
            std::remove(tmp.c_str());
            return false;
        }
        return true;
    } catch (...) {
        return false;
    }
}

void removeValidator(const std::string& partial) {
    std::error_code ec;
    fs::remove(validatorPath(partial), ec);
}

PartialFile::PartialFile(const std::string& partial, const std::string& dest) : m_path(partial) {
    // Another download may rename or delete the file between our open()
    // and our flock(): then the lock is on a file no longer at that
    // path, and we open again.
    for (int tries = 0; tries < 10; ++tries) {
        const int fd = ::open(partial.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            throw IoError("Cannot write '" + partial + "': " + std::strerror(errno) +
                          ". Check the permissions and free space of that folder.");
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int err = errno;
            ::close(fd);
            if (err == EWOULDBLOCK)
                throw DownloadError("'" + dest + "' is already being downloaded (its partial file '" + partial +
                                    "' is locked by another download, in this or another program). Wait for "
                                    "that download to finish or cancel it, then try again.");
            throw IoError("Cannot lock '" + partial + "': " + std::strerror(err) + ".");
        }
        struct stat opened{}, named{};
        if (::fstat(fd, &opened) == 0 && ::stat(partial.c_str(), &named) == 0 && opened.st_dev == named.st_dev &&
            opened.st_ino == named.st_ino) {
            m_fd = fd;
            return;
        }
        ::close(fd);
    }
    throw DownloadError("Cannot download to '" + dest + "': its partial file '" + partial +
                        "' keeps being replaced by another program. Try again later.");
}

void PartialFile::removeFromDisk() {
    std::error_code ec;
    fs::remove(m_path, ec);
    removeValidator(m_path);
}

PartialFile::~PartialFile() {
    if (m_fd >= 0) ::close(m_fd);
}

int64_t PartialFile::size() const {
    struct stat st{};
    return ::fstat(m_fd, &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

bool PartialFile::truncate() { return ::ftruncate(m_fd, 0) == 0 && ::lseek(m_fd, 0, SEEK_SET) == 0; }

bool PartialFile::seekToEnd() { return ::lseek(m_fd, 0, SEEK_END) >= 0; }

bool PartialFile::writeAll(const char* data, size_t n) {
    while (n > 0) {
        const ssize_t w = ::write(m_fd, data, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

} // namespace ts::weights::detail
