#pragma once
// Internal to core/data: the doctor's look at one file (Doctor.cpp runs it on
// worker threads and aggregates the results) and the byte comparison behind
// its exact-duplicate finding. Not a public API.
#include "core/data/Doctor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ts::data::detail {

/// What checking one file found.
struct FileResult {
    std::vector<Problem> problems;
    bool usable = false;
    int width = 0;
    int height = 0;
    uint64_t hash = 0;
    uint64_t size = 0;
    bool grey = false, alpha = false, cmyk = false, sixteenBit = false, palette = false;
};

/// Reads and decodes `path` (bounded by options.limits) and lists its
/// problems. Never throws: whatever goes wrong with one file (a decoder
/// exception, memory running out) is a problem of that file, so no exception
/// leaves a worker thread.
FileResult checkFileSafely(const std::string& path, const std::string& split, const DoctorOptions& options) noexcept;

/// True when two regular files have the same bytes (opened without blocking
/// and without following anything but regular files; false on any error).
bool sameBytes(const std::string& a, const std::string& b);

} // namespace ts::data::detail
