#pragma once
// ZipArchive: a read-only view of a zip archive held in memory, as torch.save
// writes it (PyTorch >= 1.6): every entry stored without compression, ZIP64
// records when the archive is large. Only what .pth files need: compressed,
// encrypted or multi-disk archives are refused with a clear message, and
// nothing is ever inflated.
//
// The archive is checked as a whole when it is opened: every local header
// must agree with its central-directory entry (name, method, sizes), entry
// names are unique, and no two entries may share bytes of the file, so the
// stored data of all entries together never exceeds the file's own size
// (no "many entries, one blob" amplification).
//
// Requires: the bytes outlive the archive (entries are views into them).
// Thread safety: const methods may be called from several threads.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ts::weights {

class ZipArchive {
public:
    /// One file in the archive, as the central directory describes it.
    struct Entry {
        std::string name;             ///< path inside the archive, e.g. "archive/data.pkl"
        uint64_t localHeaderOffset = 0;  ///< where its local header starts
        uint64_t dataOffset = 0;      ///< where its stored bytes start (after the local header)
        uint64_t compressedSize = 0;  ///< bytes stored
        uint64_t size = 0;            ///< bytes once extracted
        uint32_t crc32 = 0;           ///< CRC-32 of the extracted bytes
        uint16_t method = 0;          ///< 0 = stored, 8 = deflate, ...
        uint16_t flags = 0;           ///< general purpose bit flags
    };

    /// True when `bytes` starts like a zip file (a local header or an empty archive).
    static bool looksLikeZip(std::string_view bytes);

    /// Parses the central directory and checks every entry against its
    /// local header. Throws ts::WeightsError naming `sourceName` when the
    /// archive is truncated, corrupt, self-overlapping or unsupported.
    ZipArchive(std::string_view bytes, std::string sourceName);

    const std::vector<Entry>& entries() const { return m_entries; }

    /// The entry named `name`, or nullptr. O(1): names are indexed once.
    const Entry* find(const std::string& name) const;

    /// The bytes of `entry` (a view into the archive, never a copy). Checks
    /// that it is stored uncompressed and unencrypted and matches its
    /// CRC-32; throws ts::WeightsError otherwise.
    std::string_view read(const Entry& entry) const;

private:
    std::string_view m_bytes;
    std::string m_source;
    std::vector<Entry> m_entries;
    std::unordered_map<std::string, size_t> m_index;  ///< name -> index in m_entries
};

/// CRC-32 (ISO-HDLC, as zip uses) of `data`.
uint32_t crc32(std::string_view data);

} // namespace ts::weights
