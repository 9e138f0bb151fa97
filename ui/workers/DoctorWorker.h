#pragma once
// DoctorWorker: the job body that runs the dataset doctor (ts::data::diagnose)
// on a folder. It runs on a TaskManager lane (see DataPage), where a newer
// folder replaces the running diagnosis through the job's Feedback: the
// doctor checks it between files, so a cancelled run returns within one
// file's decode. Synchronous, thread-agnostic, never throws.
#include "ui/models/DoctorResult.h"

#include <QString>

namespace ts {
class Feedback;
}

namespace ts::ui {

class DoctorWorker {
public:
    /// Indexes `root` (ts::data::indexDataset) and diagnoses it synchronously
    /// on the calling thread. `feedback` may be null; progress goes to its
    /// callback. A cancelled run comes back with `cancelled` set; an unusable
    /// folder with `error` set.
    static DoctorResult diagnoseFolder(const QString& root, Feedback* feedback, double valFraction = 0.2,
                                       quint64 seed = 42);
};

} // namespace ts::ui
