#pragma once
// Private to core/weights: a whole regular file mapped read-only, unmapped on
// destruction. Readers parse the bytes in place and copy tensors out, so the
// file is not held once they return.
#include "core/common/Error.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ts::weights {

class MappedFile {
public:
    /// Throws ts::IoError naming `path` when it cannot be opened, is not a
    /// regular file (a FIFO, a device, a folder) or cannot be mapped.
    explicit MappedFile(const std::string& path) {
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
        // writer forever; fstat below then refuses anything but a regular file.
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) throw IoError("Cannot open '" + path + "': " + std::strerror(errno) + ".");
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            ::close(fd);
            throw IoError("Cannot read '" + path + "': it is not a regular file.");
        }
        m_size = static_cast<size_t>(st.st_size);
        if (m_size > 0) {
            m_data = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (m_data == MAP_FAILED) {
                const int err = errno;
                ::close(fd);
                throw IoError("Cannot read '" + path + "': " + std::strerror(err) + ".");
            }
        }
        ::close(fd);
    }
    ~MappedFile() {
        if (m_data && m_data != MAP_FAILED) ::munmap(m_data, m_size);
    }
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    std::string_view bytes() const { return {static_cast<const char*>(m_data), m_data ? m_size : 0}; }

private:
    void* m_data = nullptr;
    size_t m_size = 0;
};

} // namespace ts::weights
