#include "core/weights/ZipArchive.h"

#include "core/common/Error.h"

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

    size_t pos = static_cast<size_t>(dirOffset);
    const size_t dirEnd = static_cast<size_t>(dirOffset + dirSize);
    m_entries.reserve(static_cast<size_t>(std::min<uint64_t>(count, dirSize / 46 + 1)));
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
                    if (left < 8) throw corrupt("ZIP64 field of '" + entry.name + "' is cut short");
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
        m_entries.push_back(std::move(entry));
        pos += 46 + nameLen + extraLen + commentLen;
    }
}

const ZipArchive::Entry* ZipArchive::find(const std::string& name) const {
    for (const auto& entry : m_entries)
        if (entry.name == name) return &entry;
    return nullptr;
}

std::string_view ZipArchive::read(const Entry& entry) const {
    if (entry.flags & 0x1)
        throw WeightsError("'" + m_source + "' holds the encrypted entry '" + entry.name +
                           "'; PyTorch never encrypts weights. Save them again with torch.save.");
    if (entry.method != 0)
        throw WeightsError("'" + m_source + "' holds the compressed entry '" + entry.name + "' (zip method " +
                           std::to_string(entry.method) +
                           "). torch.save stores entries uncompressed; the file was probably re-zipped by another "
                           "tool. Load it in Python and save it again with torch.save, or re-zip it with `zip -0`.");
    const size_t n = m_bytes.size();
    const uint64_t at = entry.localHeaderOffset;
    if (at > n || n - at < 30 || le32(m_bytes.data() + at) != kLocalHeaderSig)
        throw WeightsError("'" + m_source + "' is truncated or corrupt: the entry '" + entry.name +
                           "' is missing. Download or save the file again.");
    const uint64_t dataAt = at + 30 + le16(m_bytes.data() + at + 26) + le16(m_bytes.data() + at + 28);
    if (dataAt > n || n - dataAt < entry.compressedSize || entry.compressedSize != entry.size)
        throw WeightsError("'" + m_source + "' is truncated or corrupt: the entry '" + entry.name +
                           "' runs past the end of the file. Download or save the file again.");
    const std::string_view data = m_bytes.substr(static_cast<size_t>(dataAt), static_cast<size_t>(entry.size));
    if (crc32(data) != entry.crc32)
        throw WeightsError("'" + m_source + "' is corrupt: the entry '" + entry.name +
                           "' fails its CRC-32 check. Download or save the file again.");
    return data;
}

} // namespace ts::weights
