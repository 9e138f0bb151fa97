#pragma once
// Sha256: the SHA-256 digest (FIPS 180-4), self-contained, for checking
// downloaded weights against the hash prefix in their file names.
//
// Thread safety: one object per thread; the free functions are reentrant.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ts {

class Sha256 {
public:
    Sha256();

    /// Adds `size` bytes to the message.
    void update(const void* data, size_t size);
    void update(std::string_view data) { update(data.data(), data.size()); }

    /// Finishes the message and returns the 32-byte digest. The object
    /// starts over afterwards.
    std::array<uint8_t, 32> digest();

    /// As digest(), in lowercase hex (64 characters).
    std::string hexDigest();

private:
    void compress(const uint8_t* block);
    void reset();

    std::array<uint32_t, 8> m_state{};
    std::array<uint8_t, 64> m_buffer{};
    size_t m_bufferSize = 0;
    uint64_t m_totalBytes = 0;
};

/// Lowercase hex SHA-256 of `data`.
std::string sha256Hex(std::string_view data);

/// Lowercase hex SHA-256 of the file at `path`, read in chunks. Throws
/// ts::IoError naming the path when it cannot be read.
std::string sha256File(const std::string& path);

} // namespace ts
