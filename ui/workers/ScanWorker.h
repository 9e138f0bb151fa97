#pragma once
// ScanWorker: the job body that scans a dataset folder (ts::data::indexDataset)
// into a DatasetSummary. It runs on a TaskManager lane (see DataPage); it is
// synchronous and thread-agnostic, and never throws: the summary carries the
// error message when the folder cannot be used.
#include "ui/models/DatasetSummary.h"

#include <QString>

namespace ts::ui {

class ScanWorker {
public:
    /// Scans synchronously on the calling thread.
    /// Flat class folders are split with `valFraction` and `seed` (as the
    /// trainer does); train/ val/ folders keep their own split.
    static DatasetSummary scanFolder(const QString& root, double valFraction = 0.2, quint64 seed = 42);
};

} // namespace ts::ui
