#include "ui/models/ProjectFile.h"

#include <nlohmann/json.hpp>

#include <QFile>
#include <QJsonDocument>
#include <QObject>
#include <QSaveFile>

namespace ts::ui {
namespace {
const char* const kFormatName = "transfer-studio-project";
}

bool ProjectFile::load(const QString& path, QString* error) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        if (error) *error = QObject::tr("Cannot open project %1: %2").arg(path, file.errorString());
        return false;
    }
    const QByteArray bytes = file.readAll();
    nlohmann::json root;
    try {
        root = nlohmann::json::parse(bytes.toStdString());
    } catch (const nlohmann::json::exception& e) {
        if (error) *error = QObject::tr("%1 is not a Transfer Studio project (%2).").arg(path, QString::fromUtf8(e.what()));
        return false;
    }
    if (!root.is_object()) {
        if (error) *error = QObject::tr("%1 is not a Transfer Studio project (not a JSON object).").arg(path);
        return false;
    }
    const auto format = root.find("format");
    if (format != root.end() && format->is_number_integer()) {
        // Version 1: the dataset folder and the backbone.
        if (format->get<int>() > 1) {
            if (error)
                *error = QObject::tr("%1 was written by a newer Transfer Studio (format %2); update the app to open it.")
                             .arg(path)
                             .arg(format->get<int>());
            return false;
        }
        version = 1;
        hasFullConfig = false;
        config = {};
        config.dataDir = root.value("dataset", std::string());
        const std::string arch = root.value("backbone", std::string());
        hasBackbone = !arch.empty();
        if (hasBackbone) config.arch = arch;
        ui = {};
        return true;
    }
    if (format == root.end() || !format->is_string() || format->get<std::string>() != kFormatName) {
        if (error)
            *error = QObject::tr("%1 is not a Transfer Studio project (no \"format\": \"%2\").")
                         .arg(path, QString::fromLatin1(kFormatName));
        return false;
    }
    version = root.value("version", 0);
    if (version > kVersion) {
        if (error)
            *error = QObject::tr("%1 was written by a newer Transfer Studio (version %2); update the app to open it.")
                         .arg(path)
                         .arg(version);
        return false;
    }
    if (!root.contains("config") || !root["config"].is_object()) {
        if (error) *error = QObject::tr("%1 has no \"config\" object.").arg(path);
        return false;
    }
    try {
        config = train::trainConfigFromJson(root["config"]);
    } catch (const std::exception& e) {
        if (error) *error = QObject::tr("The settings in %1 are not valid: %2").arg(path, QString::fromStdString(e.what()));
        return false;
    }
    hasFullConfig = true;
    hasBackbone = true;
    ui = {};
    if (root.contains("ui") && root["ui"].is_object())
        ui = QJsonDocument::fromJson(QByteArray::fromStdString(root["ui"].dump())).object();
    return true;
}

bool ProjectFile::save(const QString& path, QString* error) const {
    // Written with nlohmann so "config" is exactly what core's toJson writes
    // (its key order, 64-bit seeds and doubles unchanged).
    nlohmann::json root;
    root["format"] = kFormatName;
    root["version"] = kVersion;
    root["config"] = train::toJson(config);
    root["ui"] = nlohmann::json::parse(QJsonDocument(ui).toJson(QJsonDocument::Compact).toStdString());
    QSaveFile file(path);
    const QByteArray bytes = QByteArray::fromStdString(root.dump(2) + "\n");
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) < 0 || !file.commit()) {
        if (error) *error = QObject::tr("Cannot save project %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

QString projectFileFilter() { return QObject::tr("Transfer Studio projects (*.tsproj);;All files (*)"); }

} // namespace ts::ui
