#include "ui/models/ExportBridge.h"
#include "ui/models/BridgeCommon.h"

#include "core/common/Error.h"
#include "core/export/Export.h"

#include <c10/util/Exception.h>

#include <QDir>
#include <QFileInfo>
#include <QObject>

#include <mutex>

namespace ts::ui {
namespace {

std::mutex g_mutex;
std::string g_key;
std::unique_ptr<exporting::LoadedModel> g_model;

} // namespace

QStringList availableExportFormats() { return {QStringLiteral("bundle"), QStringLiteral("onnx"), QStringLiteral("pth")}; }

QString exportExtension(const QString& format) {
    try {
        return QString::fromStdString(exporting::defaultExtension(exporting::parseFormat(format.toStdString())));
    } catch (const std::exception&) {
        return QStringLiteral(".tsb");
    }
}

ExportOutcome exportModelFile(const ExportRequest& request) {
    ExportOutcome out;
    out.format = request.format;
    out.path = request.path;
    try {
        std::lock_guard<std::mutex> lock(g_mutex);
        const std::string key = request.bundle.toStdString();
        if (!g_model || g_key != key) {
            g_model.reset();
            g_model = std::make_unique<exporting::LoadedModel>(exporting::loadTrainedModel(key));
            g_key = key;
        }
        const exporting::ExportFormat format = exporting::parseFormat(request.format.toStdString());
        exporting::ExportOptions options;
        options.withPreprocessing = request.withPreprocessing;
        options.withProbabilities = request.withProbabilities;
        const exporting::ExportResult result = exporting::exportModel(*g_model, format, request.path.toStdString(), options);
        out.path = QString::fromStdString(result.path);
        out.bytes = result.bytes;
        for (const auto& note : result.notes) out.notes << QString::fromStdString(note);
        if (request.roundTrip && !request.dataDir.isEmpty()) {
            exporting::RoundTripOptions rt;
            rt.maxImages = request.maxImages;
            try {
                const exporting::RoundTripReport report = exporting::roundTripCheck(
                    *g_model, format, result.path, options, request.dataDir.toStdString(), rt);
                out.roundTrip = QString::fromStdString(report.summary());
                out.roundTripPassed = report.images > 0 && report.top1AgreementRate >= 0.99;
            } catch (const std::exception& e) {
                // The file is written; only the check could not run (e.g. no Python torchvision).
                out.roundTrip = QObject::tr("round trip not checked: %1").arg(whatOf(e));
                out.roundTripPassed = false;
            }
        }
    } catch (const std::exception& e) {
        out.error = whatOf(e);
        out.details = QString::fromStdString(e.what());
    }
    return out;
}

} // namespace ts::ui
