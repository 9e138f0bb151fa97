#include "ui/models/ExportBridge.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QObject>

// ONNX and .pth exports (core/export/Export.h) are being implemented; until
// they link, this build writes the bundle format only.

namespace ts::ui {

QStringList availableExportFormats() { return {QStringLiteral("bundle")}; }

QString exportExtension(const QString& format) {
    if (format == QLatin1String("onnx")) return QStringLiteral(".onnx");
    if (format == QLatin1String("pth")) return QStringLiteral(".pth");
    return QStringLiteral(".tsb");
}

ExportOutcome exportModelFile(const ExportRequest& request) {
    ExportOutcome out;
    out.format = request.format;
    out.path = request.path;
    if (request.format != QLatin1String("bundle")) {
        out.error = QObject::tr("The %1 export is not built into this version yet.").arg(request.format);
        return out;
    }
    QString source = request.bundle;
    if (QFileInfo(source).isDir()) source = QDir(source).filePath(QStringLiteral("model.tsb"));
    if (!QFileInfo::exists(source)) {
        out.error = QObject::tr("The trained model %1 does not exist.").arg(source);
        return out;
    }
    const QString temp = request.path + QStringLiteral(".part");
    QFile::remove(temp);
    if (!QFile::copy(source, temp) || (QFile::exists(request.path) && !QFile::remove(request.path)) ||
        !QFile::rename(temp, request.path)) {
        QFile::remove(temp);
        out.error = QObject::tr("Cannot write %1.").arg(request.path);
        return out;
    }
    out.bytes = QFileInfo(request.path).size();
    if (request.roundTrip) {
        out.roundTrip = QObject::tr("bundle: byte-identical copy of the run's model (%1 bytes)").arg(out.bytes);
        out.roundTripPassed = true;
    }
    return out;
}

} // namespace ts::ui
