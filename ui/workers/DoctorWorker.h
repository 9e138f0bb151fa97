#pragma once
// DoctorWorker: runs the dataset doctor (ts::data::diagnose) off the UI thread.
//
// Lives on a QThread (see DataPage). Each request is
//     id = worker->cancel();  // from any thread
//     QMetaObject::invokeMethod(worker, [=] { worker->diagnose(root, id); });
// and ends in exactly one finished() signal carrying that id: the report, an
// error message, or `cancelled` when cancel() was called again before or
// while it ran. progress() reports the fraction done (throttled). Never throws.
//
// Thread safety: cancel() may be called from any thread; diagnose() runs on
// the worker's thread. The doctor checks the cancel flag between files, so a
// cancelled run returns within one file's decode.
#include "ui/models/DoctorResult.h"

#include <QObject>

#include <mutex>

namespace ts {
class Feedback;
}

namespace ts::ui {

class DoctorWorker : public QObject {
    Q_OBJECT
public:
    explicit DoctorWorker(QObject* parent = nullptr);

    /// Cancels the running diagnosis and every request made so far; returns
    /// the id for the next request. Thread-safe.
    quint64 cancel();

    /// Indexes `root` (ts::data::indexDataset) and diagnoses it synchronously
    /// on the calling thread. `feedback` may be null.
    static DoctorResult diagnoseFolder(const QString& root, Feedback* feedback, double valFraction = 0.2,
                                       quint64 seed = 42);

public Q_SLOTS:
    void diagnose(const QString& root, quint64 requestId, double valFraction = 0.2, quint64 seed = 42);

Q_SIGNALS:
    void progress(quint64 requestId, double fraction);
    void finished(const ts::ui::DoctorResult& result);

private:
    std::mutex m_mutex;
    quint64 m_current = 0;            // the id a request must carry to run (guarded by m_mutex)
    Feedback* m_running = nullptr;    // the feedback of the running diagnosis (guarded by m_mutex)
};

} // namespace ts::ui
