#include "ui/workers/WeightsWorker.h"

#include "core/common/Error.h"
#include "core/weights/Download.h"
#include "core/weights/Pretrained.h"
#include "ui/models/TrainTypes.h"

#include <c10/util/Exception.h>

#include <exception>
#include <filesystem>
#include <typeinfo>

namespace ts::ui {
namespace {

// The type of error in words, for the details behind the readable message.
QString kindOf(const std::exception& e) {
    if (dynamic_cast<const DownloadError*>(&e)) return QStringLiteral("DownloadError");
    if (dynamic_cast<const WeightsError*>(&e)) return QStringLiteral("WeightsError");
    if (dynamic_cast<const ConfigError*>(&e)) return QStringLiteral("ConfigError");
    if (dynamic_cast<const IoError*>(&e)) return QStringLiteral("IoError");
    if (dynamic_cast<const ModelError*>(&e)) return QStringLiteral("ModelError");
    if (dynamic_cast<const c10::Error*>(&e)) return QStringLiteral("c10::Error");
    return QString::fromLatin1(typeid(e).name());
}

} // namespace

WeightsWorker::WeightsWorker(QObject* parent) : QObject(parent) {}

void WeightsWorker::reportFailure(const QString& arch) {
    try {
        throw;
    } catch (const c10::Error& e) {
        Q_EMIT failed(arch, userMessageOf(QString::fromStdString(e.what_without_backtrace())),
                      QString::fromStdString(e.what()));
    } catch (const std::exception& e) {
        const QString what = QString::fromStdString(e.what());
        Q_EMIT failed(arch, what, kindOf(e) + QStringLiteral(": ") + what);
    } catch (...) {
        Q_EMIT failed(arch, tr("An unknown error stopped the job."), QStringLiteral("unknown exception"));
    }
}

void WeightsWorker::download(const QString& arch, const std::shared_ptr<ts::Feedback>& feedback) {
    const std::string name = arch.toStdString();
    std::string dest;
    try {
        dest = weights::cachedWeightsPath(name);
        weights::DownloadOptions options;
        options.progressIntervalMs = 150;
        options.onProgress = [this, arch](const weights::DownloadProgress& p) {
            Q_EMIT progress(arch, p.bytes, p.totalBytes, p.bytesPerSecond);
        };
        const std::string path = weights::downloadOfficialWeights(name, feedback.get(), options);
        Q_EMIT downloaded(arch, QString::fromStdString(path));
    } catch (const Cancelled&) {
        const std::string partial = dest + ".partial";
        std::error_code ec;
        const auto size = std::filesystem::file_size(partial, ec);
        Q_EMIT cancelled(arch, QString::fromStdString(partial), ec ? 0 : qint64(size));
    } catch (...) {
        reportFailure(arch);
    }
}

void WeightsWorker::importFile(const QString& file, const QString& arch, bool replace) {
    // readStateDict/createModel/applyStateDict throw ts::Error, c10::Error or
    // std::bad_alloc: all are std::exception, and none may leave the worker.
    try {
        const weights::ImportResult result = weights::importWeightsIntoCache(file.toStdString(), arch.toStdString(), replace);
        Q_EMIT imported(arch, QString::fromStdString(result.path), int(result.tensors), result.replaced);
    } catch (...) {
        reportFailure(arch);
    }
}

} // namespace ts::ui
