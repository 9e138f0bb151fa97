#include "ui/workers/WeightsWorker.h"

#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/weights/Download.h"
#include "core/weights/Pretrained.h"
#include "ui/models/TaskError.h"

#include <c10/util/Exception.h>

#include <QObject>

#include <exception>
#include <filesystem>

namespace ts::ui {
namespace {

// Rethrows the exception being handled as a JobFailure worded for the
// Backbone page: ts::Error messages whole (they name the URL and the place
// for a hand-fetched file), c10::Error without its backtrace.
[[noreturn]] void rethrowWorded() {
    try {
        throw;
    } catch (const c10::Error& e) {
        throw JobFailure({userMessageOf(messageOf(e)), QString::fromStdString(e.what())});
    } catch (const std::exception& e) {
        const QString what = QString::fromStdString(e.what());
        throw JobFailure({what, exceptionTypeName(e) + QStringLiteral(": ") + what});
    } catch (...) {
        throw JobFailure({QObject::tr("An unknown error stopped the job."), QStringLiteral("unknown exception")});
    }
}

} // namespace

WeightsOutcome WeightsWorker::download(const QString& arch, Feedback& feedback, const Progress& progress) {
    const std::string name = arch.toStdString();
    std::string dest;
    try {
        dest = weights::cachedWeightsPath(name);
        weights::DownloadOptions options;
        options.progressIntervalMs = 150;
        options.onProgress = [progress](const weights::DownloadProgress& p) {
            if (progress) progress(p.bytes, p.totalBytes, p.bytesPerSecond);
        };
        WeightsOutcome out;
        out.kind = WeightsOutcome::Downloaded;
        out.path = QString::fromStdString(weights::downloadOfficialWeights(name, &feedback, options));
        return out;
    } catch (const Cancelled&) {
        const std::string partial = dest + ".partial";
        std::error_code ec;
        const auto size = std::filesystem::file_size(partial, ec);
        WeightsOutcome out;
        out.kind = WeightsOutcome::Cancelled;
        out.path = QString::fromStdString(partial);
        out.partialBytes = ec ? 0 : qint64(size);
        return out;
    } catch (...) {
        rethrowWorded();
    }
}

WeightsOutcome WeightsWorker::importFile(const QString& file, const QString& arch, bool replace) {
    // readStateDict/createModel/applyStateDict throw ts::Error, c10::Error or
    // std::bad_alloc: all are worded for the page.
    try {
        const weights::ImportResult result = weights::importWeightsIntoCache(file.toStdString(), arch.toStdString(), replace);
        WeightsOutcome out;
        out.kind = WeightsOutcome::Imported;
        out.path = QString::fromStdString(result.path);
        out.tensors = int(result.tensors);
        out.replaced = result.replaced;
        return out;
    } catch (...) {
        rethrowWorded();
    }
}

} // namespace ts::ui
