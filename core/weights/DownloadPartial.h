#pragma once
// Internal to core/weights (Download.cpp): the files a resumable download
// keeps beside its destination: DEST.partial (the bytes so far, locked while
// a download writes it) and DEST.partial.validator (what identifies the
// server's version of the file, for If-Range). Not a public API.
#include <cstddef>
#include <cstdint>
#include <string>

namespace ts::weights::detail {

// What identifies the version of the file on the server, from the first
// response of a download; kept beside the .partial for If-Range.
struct Validator {
    std::string etag;          // strong ETag, quotes included; empty when none
    std::string lastModified;  // HTTP date; empty when none
    int64_t length = -1;       // the whole file's size, when announced

    bool empty() const { return etag.empty() && lastModified.empty(); }
    // RFC 9110 13.1.5: If-Range takes a strong ETag or a date.
    std::string ifRange() const { return !etag.empty() ? etag : lastModified; }
};

/// "<partial>.validator".
std::string validatorPath(const std::string& partial);
/// A header value as a validator may hold it: visible ASCII and spaces, not
/// too long; anything else yields "" (never sent back to a server).
std::string cleanValue(std::string v);
/// Reads "<partial>.validator"; an absent, oversized or garbled one yields an
/// empty validator, which makes the next attempt start over.
Validator readValidator(const std::string& partial);
/// Writes the validator beside the .partial: temporary file, fsync, rename.
/// No exception (called from a libcurl callback); false on failure.
bool writeValidator(const std::string& partial, const Validator& v) noexcept;
void removeValidator(const std::string& partial);

// The .partial, open and locked (flock, exclusive) for one download.
class PartialFile {
public:
    /// Opens (creating it) and locks `partial`, the partial file of `dest`.
    /// Throws DownloadError when another download holds the lock, IoError
    /// when the file cannot be opened.
    PartialFile(const std::string& partial, const std::string& dest);
    ~PartialFile();  ///< closes the file, which releases the lock
    PartialFile(const PartialFile&) = delete;
    PartialFile& operator=(const PartialFile&) = delete;

    int fd() const { return m_fd; }
    /// The file's size; -1 when it cannot be read.
    int64_t size() const;
    /// Empties the file (a fresh start); false with errno set on failure.
    bool truncate();
    bool seekToEnd();
    /// Writes all of `data`; false with errno set on failure.
    bool writeAll(const char* data, size_t n);
    // Deletes the file while it is still locked; a download waiting to open
    // it sees that the path no longer names the file it locked.
    void removeFromDisk();

private:
    std::string m_path;
    int m_fd = -1;
};

} // namespace ts::weights::detail
