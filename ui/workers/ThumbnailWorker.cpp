#include "ui/workers/ThumbnailWorker.h"

#include "core/common/Feedback.h"
#include "core/data/ImageIO.h"

#include <QBuffer>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QImageReader>

namespace ts::ui {
namespace {

constexpr int kMaxBatch = 16;
constexpr qint64 kMaxBatchMs = 120;  // a batch goes out at least this often while images arrive

} // namespace

Thumbnail ThumbnailWorker::readThumbnail(const QString& path, int sidePx, const data::ImageLimits& limits) {
    Thumbnail t;
    t.path = path;
    const QFileInfo info(path);
    t.bytes = info.size();
    if (t.bytes == 0 && info.isFile()) {
        t.error = QObject::tr("empty file");
        return t;
    }
    // The same checks as training: a regular file only (a FIFO or a device is
    // never opened), within the file budget, read once; the header's size
    // within the pixel budget before anything is decoded.
    std::string file;
    try {
        file = data::readImageFile(path.toStdString(), limits);
        const data::ImageHeader header = data::inspectImageHeader(file);
        if (header.width > 0 && header.height > 0) data::checkImageSize(header, path.toStdString(), limits);
    } catch (const std::exception& e) {
        t.error = QString::fromStdString(e.what());
        return t;
    }
    // Qt decodes the bytes read above (no copy: `file` outlives the reader).
    QByteArray bytes = QByteArray::fromRawData(file.data(), qsizetype(file.size()));
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::ReadOnly);
    QImageReader reader(&buffer);
    reader.setAutoTransform(true);
    QSize size = reader.size();
    if (size.isValid()) {
        // The size before the EXIF rotation; a quarter turn swaps the sides.
        if (reader.transformation() & QImageIOHandler::TransformationRotate90) size.transpose();
        t.size = size;
        const QSize scaled = size.scaled(sidePx, sidePx, Qt::KeepAspectRatio);
        // Decode small (JPEG scales in the decoder); never upscale tiny images.
        if (size.width() > sidePx || size.height() > sidePx) {
            // setScaledSize is applied before the rotation.
            reader.setScaledSize(reader.transformation() & QImageIOHandler::TransformationRotate90 ? scaled.transposed()
                                                                                                   : scaled);
        }
    }
    QImage image = reader.read();
    if (image.isNull()) {
        t.error = reader.errorString();
        t.size = {};
        return t;
    }
    if (!t.size.isValid()) t.size = image.size();
    if (image.width() > sidePx || image.height() > sidePx)
        image = image.scaled(sidePx, sidePx, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    t.image = image;
    return t;
}

bool ThumbnailWorker::loadThumbnails(const QStringList& paths, int sidePx, const Feedback& feedback,
                                     const std::function<void(const QVector<Thumbnail>&)>& onBatch) {
    QVector<Thumbnail> batch;
    QElapsedTimer sinceBatch;
    sinceBatch.start();
    for (const QString& path : paths) {
        if (feedback.isCancelled()) return false;
        batch << readThumbnail(path, sidePx);
        if (batch.size() >= kMaxBatch || sinceBatch.elapsed() >= kMaxBatchMs) {
            onBatch(batch);
            batch.clear();
            sinceBatch.restart();
        }
    }
    if (!batch.isEmpty()) onBatch(batch);
    return true;
}

} // namespace ts::ui
