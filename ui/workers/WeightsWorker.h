#pragma once
// WeightsWorker: fills the pretrained-weights cache off the UI thread. It
// downloads an architecture's official weights (weights::downloadOfficialWeights,
// resumable, SHA-256 checked) or checks a weights file against an architecture
// and copies it into the cache (weights::importWeightsIntoCache, which builds
// the model: seconds for the large ones).
//
// Lives on a QThread (see BackbonePage). Start a job with download() or
// importFile() through a queued call (QMetaObject::invokeMethod with a lambda).
// Each job ends in exactly one of downloaded(), imported(), cancelled() or
// failed() for the same `arch`; a download sends progress() before that. All
// signals carry plain values, for queued connections.
//
// Thread safety: download() and importFile() run on the worker's thread; a
// download is cancelled through its ts::Feedback, whose cancel() may be called
// from any thread (the page calls it from the UI thread). Never throws.
#include "core/common/Feedback.h"

#include <QObject>
#include <QString>

#include <memory>

namespace ts::ui {

class WeightsWorker : public QObject {
    Q_OBJECT
public:
    explicit WeightsWorker(QObject* parent = nullptr);

    /// Downloads `arch`'s official weights into the cache (TS_WEIGHTS_MIRROR
    /// applies). Cancel with feedback->cancel(); the .partial file is kept.
    void download(const QString& arch, const std::shared_ptr<ts::Feedback>& feedback);
    /// Checks `file` against `arch` and copies it into the cache; replaces
    /// cached weights only when `replace` is true.
    void importFile(const QString& file, const QString& arch, bool replace);

Q_SIGNALS:
    /// Download progress, at most every 150 ms: bytes present (resumed ones
    /// included), the file's size (-1 while unknown), average speed.
    void progress(const QString& arch, qint64 bytes, qint64 totalBytes, double bytesPerSecond);
    void downloaded(const QString& arch, const QString& path);
    void imported(const QString& arch, const QString& path, int tensors, bool replaced);
    /// The download stopped at the user's request; `partialBytes` stay in
    /// `partialPath` (0 when nothing arrived) for a later resume.
    void cancelled(const QString& arch, const QString& partialPath, qint64 partialBytes);
    /// `message` is what the user reads (it names the URL, the HTTP status and
    /// where the file can be put by hand, or the keys that do not fit);
    /// `details` adds the exception type.
    void failed(const QString& arch, const QString& message, const QString& details);

private:
    /// Emits failed() for the exception being handled (call only from a catch block).
    void reportFailure(const QString& arch);
};

} // namespace ts::ui
