#pragma once
// The exports of a run, recorded in RUN_DIR/exports.json by `tstudio export`
// (and read by `tstudio report`), so that a run folder says where its model
// went and whether each export computes what the model computes:
//
//   {"format": "transfer-studio-exports", "version": 1,
//    "exports": [{"path": "/abs/model.onnx", "format": "onnx", "bytes": 9000,
//                 "time": "2026-12-01T21:30:00Z", "checked_on": "/abs/data",
//                 "round_trip": {...RoundTripReport::toJson()...} or null}]}
//
// One entry per exported path (a new export to the same path replaces its
// entry); at most kMaxExportRecords entries, the oldest dropped. Written
// atomically (AtomicFile.h). Thread safety: free functions; two processes
// recording into one run at the same time may lose one entry (last writer
// wins), never corrupt the file.
#include "core/export/Export.h"

#include <optional>
#include <string>
#include <vector>

namespace ts::exporting {

inline constexpr size_t kMaxExportRecords = 100;

/// One export of a run.
struct ExportRecord {
    std::string path;  ///< absolute path of the file written
    ExportFormat format = ExportFormat::Bundle;
    int64_t bytes = 0;
    std::string time;       ///< when, UTC, ISO 8601 ("2026-12-01T21:30:00Z")
    std::string checkedOn;  ///< the labelled folder of the round-trip check; empty without one
    std::optional<RoundTripReport> roundTrip;
};

/// RUN_DIR/exports.json.
std::string exportLogPath(const std::string& runDir);

/// Adds `record` to the run's exports.json (replacing an entry of the same
/// path), atomically. An unreadable or damaged exports.json is replaced by
/// one holding only the new record. Throws ts::IoError naming the file when
/// it cannot be written.
void recordExport(const std::string& runDir, const ExportRecord& record);

/// The run's exports, oldest first; empty when the run has no exports.json.
/// Throws ts::IoError naming the file (and the entry) when it is not JSON,
/// not of this format, or an entry has a value of the wrong type.
std::vector<ExportRecord> readExportLog(const std::string& runDir);

/// The current time as recorded in `time`.
std::string utcTimestamp();

} // namespace ts::exporting
