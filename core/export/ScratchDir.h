#pragma once
// A private temp folder for a second runtime's files (the torchvision
// scripts, the ONNX Runtime runner and its tensors): mode 0700, a new
// unpredictable name made by mkdtemp (never one that already exists, so no
// other user made or opened it), removed with everything in it on
// destruction. Internal to core/export.
#include "core/common/Error.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

namespace ts::exporting::detail {

class ScratchDir {
public:
    /// `prefix` names the folder: <temp dir>/<prefix>-XXXXXX.
    explicit ScratchDir(const std::string& prefix) {
        std::error_code ec;
        std::filesystem::path base = std::filesystem::temp_directory_path(ec);
        if (ec) base = "/tmp";
        std::string templ = (base / (prefix + "-XXXXXX")).string();
        if (::mkdtemp(templ.data()) == nullptr)
            throw IoError("Cannot create a private temporary folder in '" + base.string() + "': " +
                          std::strerror(errno) + ". Check that it exists and is writable (TMPDIR).");
        m_path = templ;
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    std::string file(const std::string& name) const { return (m_path / name).string(); }
    std::string path() const { return m_path.string(); }

private:
    std::filesystem::path m_path;
};

}  // namespace ts::exporting::detail
