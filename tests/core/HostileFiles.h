#pragma once
// Byte-level builders for the hostile-file tests: pickles opcode by opcode
// and zip archives record by record, so each test writes exactly the broken
// or crafted file it needs (nothing comes from outside the test).
#include "core/weights/ZipArchive.h"

#include <climits>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace ts::test {

inline std::string le(uint64_t v, int bytes) {
    std::string out;
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
    return out;
}

/// The bytes of a string literal, embedded NULs included.
template <size_t N>
std::string lit(const char (&s)[N]) {
    return std::string(s, N - 1);
}

/// A pickle written opcode by opcode (protocol 2 opcodes, as torch.save uses).
class PickleWriter {
public:
    PickleWriter& proto() { return raw("\x80\x02"); }
    PickleWriter& raw(const std::string& s) {
        m_bytes += s;
        return *this;
    }
    PickleWriter& op(char c) {
        m_bytes += c;
        return *this;
    }
    PickleWriter& str(const std::string& s) { return op('X').raw(le(s.size(), 4)).raw(s); }
    PickleWriter& integer(int64_t v) {
        if (v >= INT32_MIN && v <= INT32_MAX) return op('J').raw(le(static_cast<uint64_t>(v), 4));
        return op('\x8a').op('\x08').raw(le(static_cast<uint64_t>(v), 8));  // LONG1, 8 bytes
    }
    PickleWriter& global(const std::string& module, const std::string& name) { return op('c').raw(module + "\n" + name + "\n"); }
    /// `emit` the first time `key` is seen (then LONG_BINPUT it); LONG_BINGET
    /// afterwards, as Python's pickler does for repeated globals and strings.
    template <typename Emit>
    PickleWriter& memoized(const std::string& key, Emit emit) {
        for (size_t i = 0; i < m_memo.size(); ++i)
            if (m_memo[i] == key) return op('j').raw(le(i, 4));
        emit();
        m_memo.push_back(key);
        return op('r').raw(le(m_memo.size() - 1, 4));
    }
    PickleWriter& mark() { return op('('); }
    PickleWriter& tuple() { return op('t'); }
    PickleWriter& emptyDict() { return op('}'); }
    PickleWriter& setItems() { return op('u'); }
    PickleWriter& stop() { return op('.'); }
    /// A tensor as torch.save writes it: _rebuild_tensor_v2(('storage',
    /// torch.FloatStorage, key, 'cpu', numel), offset, sizes, strides, False, OrderedDict()).
    PickleWriter& tensor(const std::string& key, int64_t numel, int64_t offset, const std::vector<int64_t>& sizes,
                         const std::vector<int64_t>& strides) {
        memoized("rebuild", [&] { global("torch._utils", "_rebuild_tensor_v2"); }).mark();
        mark().memoized("storage", [&] { str("storage"); }).memoized("float", [&] { global("torch", "FloatStorage"); });
        str(key).memoized("cpu", [&] { str("cpu"); }).integer(numel).tuple().op('Q');
        integer(offset);
        mark();
        for (auto s : sizes) integer(s);
        tuple().mark();
        for (auto s : strides) integer(s);
        tuple().op('\x89');
        memoized("odict", [&] { global("collections", "OrderedDict"); }).op(')').op('R');
        return tuple().op('R');
    }
    const std::string& bytes() const { return m_bytes; }

private:
    std::string m_bytes;
    std::vector<std::string> m_memo;
};

/// One record of a zip archive being built.
struct ZipRecord {
    std::string name;
    std::string data;             ///< the stored bytes
    uint16_t method = 0;          ///< what both headers declare
    uint64_t declaredSize = ~0ull;  ///< uncompressed size both headers declare (default: data size)
};

inline std::string zipLocalHeader(const std::string& name, uint32_t crc, uint64_t compressed, uint64_t size,
                                  uint16_t method = 0) {
    return le(0x04034b50, 4) + le(20, 2) + le(0, 2) + le(method, 2) + le(0, 4) + le(crc, 4) + le(compressed, 4) +
           le(size, 4) + le(name.size(), 2) + le(0, 2) + name;
}

inline std::string zipCentralHeader(const std::string& name, uint32_t crc, uint64_t compressed, uint64_t size,
                                    uint64_t localOffset, uint16_t method = 0) {
    return le(0x02014b50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(method, 2) + le(0, 4) + le(crc, 4) +
           le(compressed, 4) + le(size, 4) + le(name.size(), 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) +
           le(localOffset, 4) + name;
}

/// The end records, placed right after the central directory; ZIP64 ones
/// when the entries do not fit the 16-bit count.
inline std::string zipEnd(uint64_t count, uint64_t dirSize, uint64_t dirOffset) {
    std::string out;
    if (count >= 0xffff) {
        const uint64_t z64 = dirOffset + dirSize;
        out += le(0x06064b50, 4) + le(44, 8) + le(45, 2) + le(45, 2) + le(0, 4) + le(0, 4) + le(count, 8) + le(count, 8) +
               le(dirSize, 8) + le(dirOffset, 8);
        out += le(0x07064b50, 4) + le(0, 4) + le(z64, 8) + le(1, 4);
        count = 0xffff;
    }
    return out + le(0x06054b50, 4) + le(0, 2) + le(0, 2) + le(count, 2) + le(count, 2) + le(dirSize, 4) +
           le(dirOffset, 4) + le(0, 2);
}

/// A well-formed zip archive of `records` (sizes and methods as each declares).
inline std::string makeZip(const std::vector<ZipRecord>& records) {
    std::string locals, central;
    for (const auto& r : records) {
        const uint32_t crc = weights::crc32(r.data);
        const uint64_t size = r.declaredSize == ~0ull ? r.data.size() : r.declaredSize;
        central += zipCentralHeader(r.name, crc, r.data.size(), size, locals.size(), r.method);
        locals += zipLocalHeader(r.name, crc, r.data.size(), size, r.method) + r.data;
    }
    return locals + central + zipEnd(records.size(), central.size(), locals.size());
}

/// Float32 values as raw little-endian bytes.
inline std::string floatBytes(size_t count, float value = 0.5f) {
    std::string out(count * 4, '\0');
    for (size_t i = 0; i < count; ++i) std::memcpy(&out[i * 4], &value, 4);
    return out;
}

/// A torch.save-like archive: "archive/data.pkl" plus "archive/data/<key>" storages.
inline std::string torchZip(const std::string& pickle, const std::vector<std::pair<std::string, std::string>>& storages,
                            uint16_t pickleMethod = 0, uint64_t pickleDeclaredSize = ~0ull) {
    std::vector<ZipRecord> records{{"archive/data.pkl", pickle, pickleMethod, pickleDeclaredSize}};
    for (const auto& [key, data] : storages) records.push_back({"archive/data/" + key, data});
    records.push_back({"archive/version", "3\n"});
    return makeZip(records);
}

} // namespace ts::test
