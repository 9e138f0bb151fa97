#pragma once
// Fast non-cryptographic content hash (FNV-1a, 64 bit) for finding duplicate
// files. Not collision resistant: callers that must be exact compare the bytes too.
#include <cstddef>
#include <cstdint>

namespace ts::data {

inline uint64_t fnv1a64(const void* data, size_t size, uint64_t hash = 0xCBF29CE484222325ull) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; ++i) {
        hash ^= p[i];
        hash *= 0x100000001B3ull;
    }
    return hash;
}

} // namespace ts::data
