#pragma once
// Atomic, durable file writes: content goes to "<path>.tmp-<pid>-<n>" in the
// same folder, is flushed and fsynced, then renamed over <path>, and the
// folder itself is fsynced so that the rename survives a power cut. Readers
// see the old file or the new one, never half of one. Throws ts::IoError
// naming the path on failure and leaves no temporary file behind.
//
// Fault injection (for crash tests): while the environment variable
// TS_FAULT_ABORT_AFTER_WRITES=k (k >= 1) is set (it is read at every write),
// the process kills itself with SIGKILL right after its k-th
// completed atomic write (file renamed into place and its folder fsynced),
// exactly as `kill -9` would: no destructor, no atexit handler, no flush.
#include <functional>
#include <ostream>
#include <string>

namespace ts {

/// Writes `bytes` to `path` atomically and durably.
void writeFileAtomic(const std::string& path, const std::string& bytes);

/// Calls `writer` with a temporary path in the destination folder, fsyncs
/// the file it produced, then renames it over `path` and fsyncs the folder.
/// Use when a library writes the file itself.
void writeFileAtomicWith(const std::string& path, const std::function<void(const std::string& tmpPath)>& writer);

/// Flushes a finished file's content to disk (fsync). Throws ts::IoError
/// naming the path.
void syncFile(const std::string& path);

/// Flushes a folder's entries (renames, new files) to disk (fsync on the
/// folder). Throws ts::IoError naming the folder.
void syncDirectory(const std::string& dir);

/// Reads a whole file; throws ts::IoError naming the path.
std::string readFile(const std::string& path);

} // namespace ts
