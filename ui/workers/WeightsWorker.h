#pragma once
// WeightsWorker: the job bodies that fill the pretrained-weights cache. One
// downloads an architecture's official weights (weights::downloadOfficialWeights,
// resumable, SHA-256 checked); the other checks a weights file against an
// architecture and copies it into the cache (weights::importWeightsIntoCache,
// which builds the model: seconds for the large ones).
//
// They run on a TaskManager lane (see BackbonePage), synchronously on the
// calling thread. A download is cancelled through the job's Feedback (any
// thread); it then returns a Cancelled outcome with the bytes kept. Failures
// throw JobFailure (TaskError.h): `userMessage` is what the user reads (it
// names the URL, the HTTP status and where the file can be put by hand, or
// the keys that do not fit); `details` adds the exception type.
#include <QString>

#include <functional>

namespace ts {
class Feedback;
}

namespace ts::ui {

/// How a weights job ended (failures are thrown, see above).
struct WeightsOutcome {
    enum Kind { Downloaded, Imported, Cancelled };
    Kind kind = Cancelled;
    /// The cached file (Downloaded, Imported) or the kept .partial file (Cancelled).
    QString path;
    /// Imported: tensors copied; whether cached weights were replaced.
    int tensors = 0;
    bool replaced = false;
    /// Cancelled: bytes kept in `path` for a later resume (0 when nothing arrived).
    qint64 partialBytes = 0;
};

class WeightsWorker {
public:
    /// Download progress: bytes present (resumed ones included), the file's
    /// size (-1 while unknown), average speed.
    using Progress = std::function<void(qint64 bytes, qint64 totalBytes, double bytesPerSecond)>;

    /// Downloads `arch`'s official weights into the cache (TS_WEIGHTS_MIRROR
    /// applies), reporting `progress` at most every 150 ms. Cancel with
    /// feedback.cancel(); the .partial file is kept.
    static WeightsOutcome download(const QString& arch, Feedback& feedback, const Progress& progress);
    /// Checks `file` against `arch` and copies it into the cache; replaces
    /// cached weights only when `replace` is true.
    static WeightsOutcome importFile(const QString& file, const QString& arch, bool replace);
};

} // namespace ts::ui
