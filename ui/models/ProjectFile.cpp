#include "ui/models/ProjectFile.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QObject>
#include <QSaveFile>

namespace ts::ui {
namespace {
constexpr int kFormatVersion = 1;
}

bool ProjectFile::load(const QString& path, QString* error) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        if (error) *error = QObject::tr("Cannot open project %1: %2").arg(path, file.errorString());
        return false;
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (doc.isNull() || !doc.isObject()) {
        if (error)
            *error = QObject::tr("%1 is not a Transfer Studio project (JSON error at byte %2: %3).")
                         .arg(path)
                         .arg(parseError.offset)
                         .arg(parseError.errorString());
        return false;
    }
    const QJsonObject root = doc.object();
    if (root.value(QStringLiteral("format")).toInt() > kFormatVersion) {
        if (error)
            *error = QObject::tr("%1 was written by a newer Transfer Studio (format %2); update the app to open it.")
                         .arg(path)
                         .arg(root.value(QStringLiteral("format")).toInt());
        return false;
    }
    datasetFolder = root.value(QStringLiteral("dataset")).toString();
    backbone = root.value(QStringLiteral("backbone")).toString();
    return true;
}

bool ProjectFile::save(const QString& path, QString* error) const {
    QJsonObject root;
    root.insert(QStringLiteral("format"), kFormatVersion);
    root.insert(QStringLiteral("dataset"), datasetFolder);
    root.insert(QStringLiteral("backbone"), backbone);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(QJsonDocument(root).toJson()) < 0 || !file.commit()) {
        if (error) *error = QObject::tr("Cannot save project %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

QString projectFileFilter() { return QObject::tr("Transfer Studio projects (*.tsproj);;All files (*)"); }

} // namespace ts::ui
