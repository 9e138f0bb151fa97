#pragma once
// ScanWorker: scans a dataset folder (ts::data::indexDataset) off the UI thread.
//
// Lives on a QThread (see DataPage); call scan() through a queued connection
// or QMetaObject::invokeMethod. Requests are served in order; each one ends in
// exactly one finished() signal, whose summary carries the error message when
// the folder cannot be used. Never throws.
#include "ui/models/DatasetSummary.h"

#include <QObject>

namespace ts::ui {

class ScanWorker : public QObject {
    Q_OBJECT
public:
    explicit ScanWorker(QObject* parent = nullptr);

    /// Scans synchronously on the calling thread (what scan() runs).
    /// Flat class folders are split with `valFraction` and `seed` (as the
    /// trainer does); train/ val/ folders keep their own split.
    static DatasetSummary scanFolder(const QString& root, double valFraction = 0.2, quint64 seed = 42);

public Q_SLOTS:
    void scan(const QString& root, double valFraction, quint64 seed);

Q_SIGNALS:
    void finished(const ts::ui::DatasetSummary& summary);
};

} // namespace ts::ui
