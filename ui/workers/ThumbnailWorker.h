#pragma once
// ThumbnailWorker: decodes small previews of image files off the UI thread
// (read with the same file and pixel budgets as training, then
// QImageReader with the EXIF orientation applied and a scaled size, so a
// JPEG is decoded at a fraction of its resolution).
//
// The job body of the Data page's Images tab: it runs on a TaskManager lane,
// where a newer class replaces the running load through the job's Feedback
// (checked before each file). Synchronous, thread-agnostic, never throws.
// QImage (not QPixmap) crosses the thread boundary; the UI makes the pixmaps.
#include "core/data/ImageLimits.h"

#include <QImage>
#include <QMetaType>
#include <QSize>
#include <QString>
#include <QStringList>
#include <QVector>

#include <functional>

namespace ts {
class Feedback;
}

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

class ThumbnailWorker {
public:
    /// Reads one thumbnail synchronously on the calling thread. Files that are
    /// not regular files, or are over `limits` (file bytes, header pixels),
    /// come back with `error` set and are never decoded.
    static Thumbnail readThumbnail(const QString& path, int sidePx, const data::ImageLimits& limits = {});

    /// Reads `paths` in order and hands them to `onBatch` in batches (at most
    /// 16, at least every 120 ms while images arrive). Stops before the next
    /// file once `feedback` is cancelled; returns false then (the last partial
    /// batch is not handed over).
    static bool loadThumbnails(const QStringList& paths, int sidePx, const Feedback& feedback,
                               const std::function<void(const QVector<Thumbnail>&)>& onBatch);
};

} // namespace ts::ui

Q_DECLARE_METATYPE(ts::ui::Thumbnail)
