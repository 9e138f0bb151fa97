#include "ui/models/ProjectFile.h"

#include "core/common/Error.h"
#include "core/common/Json.h"

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
    // Every problem, whatever its kind, comes back as a message naming the
    // file: a project is a file users are sent, and nothing in it may crash
    // the app (a wrong type once ended in std::terminate).
    auto failWith = [&](const QString& message) {
        if (error) *error = message;
        return false;
    };
    const std::string file = QFile::encodeName(path).toStdString();
    try {
        const nlohmann::json root = readJsonFile(file);
        if (!root.is_object())
            return failWith(QObject::tr("%1 is not a Transfer Studio project (not a JSON object).").arg(path));
        auto shown = [](const nlohmann::json& v) { return QString::fromStdString(printable(v.dump(), 40)); };
        // A text field of a version-1 file; `maxBytes` bounds it.
        auto text = [&](const char* key, size_t maxBytes, std::string* out, QString* problem) {
            const auto it = root.find(key);
            if (it == root.end() || it->is_null()) return true;
            if (!it->is_string() || it->get_ref<const std::string&>().size() > maxBytes) {
                *problem = QObject::tr("%1 is not a valid Transfer Studio project: \"%2\" must be a text of at most %3 "
                                       "bytes (got %4).")
                               .arg(path, QString::fromLatin1(key))
                               .arg(maxBytes)
                               .arg(it->is_string() ? QObject::tr("%1 bytes").arg(it->get_ref<const std::string&>().size())
                                                    : shown(*it));
                return false;
            }
            *out = it->get<std::string>();
            return true;
        };

        const auto format = root.find("format");
        if (format != root.end() && format->is_number()) {
            // Version 1: the dataset folder and the backbone.
            if (!format->is_number_integer() || format->get<int64_t>() != 1) {
                if (format->is_number_integer() && format->get<int64_t>() > 1)
                    return failWith(
                        QObject::tr("%1 was written by a newer Transfer Studio (format %2); update the app to open it.")
                            .arg(path, shown(*format)));
                return failWith(QObject::tr("%1 is not a Transfer Studio project (unknown format %2).").arg(path, shown(*format)));
            }
            std::string dataset, arch;
            QString problem;
            if (!text("dataset", train::kMaxConfigPathBytes, &dataset, &problem) ||
                !text("backbone", train::kMaxConfigNameBytes, &arch, &problem))
                return failWith(problem);
            version = 1;
            hasFullConfig = false;
            config = {};
            config.dataDir = dataset;
            hasBackbone = !arch.empty();
            if (hasBackbone) config.arch = arch;
            ui = {};
            return true;
        }
        if (format == root.end() || !format->is_string() || format->get_ref<const std::string&>() != kFormatName)
            return failWith(QObject::tr("%1 is not a Transfer Studio project (no \"format\": \"%2\").")
                                .arg(path, QString::fromLatin1(kFormatName)));
        const auto versionIt = root.find("version");
        if (versionIt == root.end() || !versionIt->is_number_integer() || versionIt->get<int64_t>() < 1)
            return failWith(QObject::tr("%1 is not a valid Transfer Studio project: \"version\" must be a whole number "
                                        "of at least 1 (got %2).")
                                .arg(path, versionIt == root.end() ? QObject::tr("none") : shown(*versionIt)));
        if (versionIt->get<int64_t>() > kVersion)
            return failWith(
                QObject::tr("%1 was written by a newer Transfer Studio (version %2); update the app to open it.")
                    .arg(path, shown(*versionIt)));
        const auto configIt = root.find("config");
        if (configIt == root.end() || !configIt->is_object())
            return failWith(QObject::tr("%1 has no \"config\" object.").arg(path));
        train::TrainConfig read;
        try {
            read = train::trainConfigFromJson(*configIt);
        } catch (const Error& e) {
            return failWith(QObject::tr("The settings in %1 are not valid: %2").arg(path, QString::fromStdString(e.what())));
        }
        QJsonObject uiState;
        const auto uiIt = root.find("ui");
        if (uiIt != root.end() && !uiIt->is_null()) {
            if (!uiIt->is_object())
                return failWith(QObject::tr("%1 is not a valid Transfer Studio project: \"ui\" must be an object (got %2).")
                                    .arg(path, shown(*uiIt)));
            uiState = QJsonDocument::fromJson(QByteArray::fromStdString(uiIt->dump())).object();
        }
        version = static_cast<int>(versionIt->get<int64_t>());
        config = std::move(read);
        hasFullConfig = true;
        hasBackbone = true;
        ui = uiState;
        return true;
    } catch (const Error& e) {
        // IoError from the reader: unreadable, too large, not JSON, too deep; it names the file.
        return failWith(QString::fromStdString(e.what()));
    } catch (const std::exception& e) {
        return failWith(QObject::tr("%1 cannot be opened as a Transfer Studio project (%2).")
                            .arg(path, QString::fromStdString(printable(e.what(), 200))));
    }
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
