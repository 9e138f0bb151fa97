#pragma once
// Atomic file writes: content goes to "<path>.tmp-<pid>" in the same folder,
// is flushed, then renamed over <path>. Readers see the old file or the new
// one, never half of one. Throws ts::IoError naming the path on failure and
// leaves no temporary file behind.
#include <functional>
#include <ostream>
#include <string>

namespace ts {

/// Writes `bytes` to `path` atomically.
void writeFileAtomic(const std::string& path, const std::string& bytes);

/// Calls `writer` with a temporary path in the destination folder, then
/// renames it over `path`. Use when a library writes the file itself.
void writeFileAtomicWith(const std::string& path, const std::function<void(const std::string& tmpPath)>& writer);

/// Reads a whole file; throws ts::IoError naming the path.
std::string readFile(const std::string& path);

} // namespace ts
