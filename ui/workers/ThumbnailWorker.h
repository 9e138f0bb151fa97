#pragma once
// ThumbnailWorker: decodes small previews of image files off the UI thread
// (read with the same file and pixel budgets as training, then
// QImageReader with the EXIF orientation applied and a scaled size, so a
// JPEG is decoded at a fraction of its resolution).
//
// Lives on a QThread (see DataPage). Each request is
//     id = worker->cancel();  // from any thread
//     QMetaObject::invokeMethod(worker, [=] { worker->load(id, paths, sidePx); });
// and delivers the thumbnails in order, in batches (batchReady), then exactly
// one finished(id, complete). cancel() stops the running request before its
// next file; `complete` is false then. Never throws.
//
// Thread safety: cancel() may be called from any thread. QImage (not QPixmap)
// crosses the thread boundary; the UI makes the pixmaps.
#include "core/data/ImageLimits.h"

#include <QImage>
#include <QMetaType>
#include <QObject>
#include <QSize>
#include <QString>
#include <QStringList>
#include <QVector>

#include <atomic>

namespace ts::ui {

struct Thumbnail {
    QString path;
    /// At most sidePx on its longer side; null when the file cannot be read.
    QImage image;
    /// The image's own size (after the EXIF rotation); invalid when unreadable.
    QSize size;
    qint64 bytes = 0;
    /// Why the file could not be read; empty otherwise.
    QString error;
};

class ThumbnailWorker : public QObject {
    Q_OBJECT
public:
    explicit ThumbnailWorker(QObject* parent = nullptr);

    /// Cancels the running request and every one made so far; returns the id
    /// for the next request. Thread-safe.
    quint64 cancel();

    /// Reads one thumbnail synchronously on the calling thread. Files that are
    /// not regular files, or are over `limits` (file bytes, header pixels),
    /// come back with `error` set and are never decoded.
    static Thumbnail readThumbnail(const QString& path, int sidePx, const data::ImageLimits& limits = {});

public Q_SLOTS:
    void load(quint64 requestId, const QStringList& paths, int sidePx);

Q_SIGNALS:
    void batchReady(quint64 requestId, const QVector<ts::ui::Thumbnail>& thumbnails);
    void finished(quint64 requestId, bool complete);

private:
    std::atomic<quint64> m_current{0};
};

} // namespace ts::ui

Q_DECLARE_METATYPE(ts::ui::Thumbnail)
