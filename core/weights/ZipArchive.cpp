#include "core/weights/ZipArchive.h"

#include "core/common/Error.h"
#include "core/common/Json.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace ts::weights {
namespace {

constexpr uint32_t kLocalHeaderSig = 0x04034b50;
constexpr uint32_t kCentralHeaderSig = 0x02014b50;
constexpr uint32_t kEndOfCentralDirSig = 0x06054b50;
constexpr uint32_t kZip64EndOfCentralDirSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr size_t kEndOfCentralDirSize = 22;
constexpr size_t kMaxCommentSize = 0xffff;

// Little-endian readers; the caller checks the bounds.
uint16_t le16(const char* p) {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    return static_cast<uint16_t>(u[0] | (u[1] << 8));
}
uint32_t le32(const char* p) {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    return static_cast<uint32_t>(u[0]) | (static_cast<uint32_t>(u[1]) << 8) | (static_cast<uint32_t>(u[2]) << 16) |
           (static_cast<uint32_t>(u[3]) << 24);
}
uint64_t le64(const char* p) { return static_cast<uint64_t>(le32(p)) | (static_cast<uint64_t>(le32(p + 4)) << 32); }

const std::array<uint32_t, 256>& crcTable() {
    static const std::array<uint32_t, 256> table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    return table;
}

} // namespace

uint32_t crc32(std::string_view data) {
    const auto& table = crcTable();
    uint32_t c = 0xffffffffu;
    for (unsigned char byte : data) c = table[(c ^ byte) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

bool ZipArchive::looksLikeZip(std::string_view bytes) {
    return bytes.size() >= 4 && (le32(bytes.data()) == kLocalHeaderSig || le32(bytes.data()) == kEndOfCentralDirSig);
}

ZipArchive::ZipArchive(std::string_view bytes, std::string sourceName) : m_bytes(bytes), m_source(std::move(sourceName)) {
    auto corrupt = [&](const std::string& what) {
        return WeightsError("'" + m_source + "' is a damaged zip archive (" + what +
                            "). The file is probably truncated or corrupt: download or save it again.");
    };
    const size_t n = bytes.size();
    // The end-of-central-directory record sits at the very end, before an
    // optional comment of up to 64 KiB. A truncated download loses it.
    if (n < kEndOfCentralDirSize) throw corrupt("too short to hold a zip directory");
    size_t eocd = std::string_view::npos;
    const size_t lowest = n > kEndOfCentralDirSize + kMaxCommentSize ? n - kEndOfCentralDirSize - kMaxCommentSize : 0;
    for (size_t pos = n - kEndOfCentralDirSize + 1; pos-- > lowest;) {
        if (le32(bytes.data() + pos) == kEndOfCentralDirSig && pos + kEndOfCentralDirSize + le16(bytes.data() + pos + 20) == n) {
            eocd = pos;
            break;
        }
    }
    if (eocd == std::string_view::npos) throw corrupt("no central directory at its end");
    const char* e = bytes.data() + eocd;
    if (le16(e + 4) != 0 || le16(e + 6) != 0)
        throw WeightsError("'" + m_source + "' is a multi-part zip archive, which PyTorch never writes: "
                           "join the parts or save the weights again with torch.save.");
    uint64_t count = le16(e + 10);
    uint64_t dirSize = le32(e + 12);
    uint64_t dirOffset = le32(e + 16);
    if (count == 0xffff || dirSize == 0xffffffffu || dirOffset == 0xffffffffu) {
        // ZIP64: a locator just before the record points to the 64-bit record.
        if (eocd < 20 || le32(e - 20) != kZip64LocatorSig) throw corrupt("ZIP64 locator missing");
        const uint64_t z64 = le64(e - 20 + 8);
        if (z64 > n || n - z64 < 56 || le32(bytes.data() + z64) != kZip64EndOfCentralDirSig)
            throw corrupt("ZIP64 directory record missing");
        const char* z = bytes.data() + z64;
        count = le64(z + 32);
        dirSize = le64(z + 40);
        dirOffset = le64(z + 48);
    }
    if (dirOffset > n || dirSize > n - dirOffset) throw corrupt("the central directory lies outside the file");
    // Each central entry takes at least 46 bytes: a count the directory
    // cannot hold is refused before anything is reserved for it.
    if (count > dirSize / 46) throw corrupt("the central directory is shorter than its entry count");

    size_t pos = static_cast<size_t>(dirOffset);
    const size_t dirEnd = static_cast<size_t>(dirOffset + dirSize);
    m_entries.reserve(static_cast<size_t>(count));
    m_index.reserve(static_cast<size_t>(count));
    for (uint64_t i = 0; i < count; ++i) {
        if (dirEnd - pos < 46 || le32(bytes.data() + pos) != kCentralHeaderSig)
            throw corrupt("entry " + std::to_string(i) + " of the central directory is malformed");
        const char* h = bytes.data() + pos;
        Entry entry;
        entry.flags = le16(h + 8);
        entry.method = le16(h + 10);
        entry.crc32 = le32(h + 16);
        entry.compressedSize = le32(h + 20);
        entry.size = le32(h + 24);
        const size_t nameLen = le16(h + 28), extraLen = le16(h + 30), commentLen = le16(h + 32);
        entry.localHeaderOffset = le32(h + 42);
        if (dirEnd - pos - 46 < nameLen + extraLen + commentLen)
            throw corrupt("entry " + std::to_string(i) + " of the central directory is cut short");
        entry.name.assign(h + 46, nameLen);
        // ZIP64 extra field: the 64-bit values, in this order, for each field saturated above.
        const char* extra = h + 46 + nameLen;
        for (size_t x = 0; x + 4 <= extraLen;) {
            const uint16_t id = le16(extra + x), len = le16(extra + x + 2);
            if (x + 4 + len > extraLen) break;
            if (id == 0x0001) {
                const char* f = extra + x + 4;
                size_t left = len;
                auto take = [&](uint64_t& field) {
                    if (left < 8) throw corrupt("ZIP64 field of '" + printable(entry.name) + "' is cut short");
                    field = le64(f);
                    f += 8;
                    left -= 8;
                };
                if (entry.size == 0xffffffffu) take(entry.size);
                if (entry.compressedSize == 0xffffffffu) take(entry.compressedSize);
                if (entry.localHeaderOffset == 0xffffffffu) take(entry.localHeaderOffset);
            }
            x += 4 + len;
        }
        if (!m_index.emplace(entry.name, m_entries.size()).second)
            throw corrupt("it holds two entries named '" + printable(entry.name) + "'");
        m_entries.push_back(std::move(entry));
        pos += 46 + nameLen + extraLen + commentLen;
    }

    // Each local header must describe the same file as its central entry:
    // readers that trust one or the other would otherwise see different
    // archives. Then no two entries may share bytes.
    struct Span {
        uint64_t begin, end;
        size_t entry;
    };
    std::vector<Span> spans;
    spans.reserve(m_entries.size());
    for (size_t i = 0; i < m_entries.size(); ++i) {
        Entry& entry = m_entries[i];
        const std::string shown = "'" + printable(entry.name) + "'";
        const uint64_t at = entry.localHeaderOffset;
        if (at > n || n - at < 30 || le32(bytes.data() + at) != kLocalHeaderSig)
            throw corrupt("the entry " + shown + " has no local header where the directory says");
        const char* l = bytes.data() + at;
        const size_t nameLen = le16(l + 26), extraLen = le16(l + 28);
        if (n - at - 30 < nameLen + extraLen) throw corrupt("the local header of " + shown + " is cut short");
        if (std::string_view(l + 30, nameLen) != entry.name)
            throw corrupt("the local header of " + shown + " names another file");
        if (le16(l + 8) != entry.method) throw corrupt("the local header of " + shown + " gives another compression method");
        uint64_t localCompressed = le32(l + 18), localSize = le32(l + 22);
        if (localCompressed == 0xffffffffu || localSize == 0xffffffffu) {
            // ZIP64 local extra: both sizes, uncompressed first.
            const char* extra = l + 30 + nameLen;
            for (size_t x = 0; x + 4 <= extraLen;) {
                const uint16_t id = le16(extra + x), len = le16(extra + x + 2);
                if (x + 4 + len > extraLen) break;
                if (id == 0x0001 && len >= 16) {
                    localSize = le64(extra + x + 4);
                    localCompressed = le64(extra + x + 12);
                }
                x += 4 + len;
            }
        }
        // With a data descriptor (bit 3) the local sizes may be left zero.
        const bool deferred = (le16(l + 6) & 0x8) != 0 && localCompressed == 0 && localSize == 0;
        if (!deferred && (localCompressed != entry.compressedSize || localSize != entry.size))
            throw corrupt("the local header of " + shown + " gives other sizes than the directory");
        if (entry.method == 0 && entry.compressedSize != entry.size)
            throw corrupt("the stored entry " + shown + " declares two different sizes");
        entry.dataOffset = at + 30 + nameLen + extraLen;
        if (entry.dataOffset > n || n - entry.dataOffset < entry.compressedSize)
            throw WeightsError("'" + m_source + "' is truncated or corrupt: the entry " + shown +
                               " runs past the end of the file. Download or save the file again.");
        spans.push_back({at, entry.dataOffset + entry.compressedSize, i});
    }
    std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
    for (size_t i = 1; i < spans.size(); ++i)
        if (spans[i].begin < spans[i - 1].end)
            throw WeightsError("'" + m_source + "' is a malformed zip archive: the entries '" +
                               printable(m_entries[spans[i - 1].entry].name) + "' and '" +
                               printable(m_entries[spans[i].entry].name) +
                               "' overlap in the file (a trick to make a small file expand to a huge one). PyTorch "
                               "never writes such archives; do not use this file.");
}

const ZipArchive::Entry* ZipArchive::find(const std::string& name) const {
    const auto it = m_index.find(name);
    return it == m_index.end() ? nullptr : &m_entries[it->second];
}

std::string_view ZipArchive::read(const Entry& entry) const {
    const std::string shown = "'" + printable(entry.name) + "'";
    if (entry.flags & 0x1)
        throw WeightsError("'" + m_source + "' holds the encrypted entry " + shown +
                           "; PyTorch never encrypts weights. Save them again with torch.save.");
    if (entry.method != 0)
        throw WeightsError("'" + m_source + "' holds the compressed entry " + shown + " (zip method " +
                           std::to_string(entry.method) +
                           "). torch.save stores entries uncompressed and compressed entries are never inflated "
                           "here; the file was probably re-zipped by another tool. Load it in Python and save it "
                           "again with torch.save, or re-zip it with `zip -0`.");
    // The constructor checked that [dataOffset, dataOffset + size) lies in the
    // file for its own entries; an Entry from elsewhere is checked here.
    if (entry.dataOffset > m_bytes.size() || m_bytes.size() - entry.dataOffset < entry.size)
        throw WeightsError("'" + m_source + "' is truncated or corrupt: the entry " + shown +
                           " runs past the end of the file. Download or save the file again.");
    const std::string_view data = m_bytes.substr(static_cast<size_t>(entry.dataOffset), static_cast<size_t>(entry.size));
    if (crc32(data) != entry.crc32)
        throw WeightsError("'" + m_source + "' is corrupt: the entry " + shown +
                           " fails its CRC-32 check. Download or save the file again.");
    return data;
}

} // namespace ts::weights
