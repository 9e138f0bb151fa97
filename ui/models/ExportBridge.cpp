#include "ui/models/ExportBridge.h"
#include "ui/models/BridgeCommon.h"
#include "ui/models/BundleCache.h"

#include "core/common/Error.h"
#include "core/export/Bundle.h"
#include "core/export/Export.h"

#include <c10/util/Exception.h>

#include <QDir>
#include <QFileInfo>
#include <QObject>


namespace ts::ui {

QStringList availableExportFormats() { return {QStringLiteral("bundle"), QStringLiteral("onnx"), QStringLiteral("pth")}; }

QString exportExtension(const QString& format) {
    try {
        return QString::fromStdString(exporting::defaultExtension(exporting::parseFormat(format.toStdString())));
    } catch (const std::exception&) {
        return QStringLiteral(".tsb");
    }
}

namespace {

// The round trip in words: how many images agree, and how close the
// probabilities are ("identical" rather than "max |dp| 0.00e+00").
QString roundTripText(const exporting::RoundTripReport& r) {
    const QString runtime = QString::fromStdString(r.runtime);
    if (r.images == 0) return QObject::tr("no validation image to compare with %1").arg(runtime);
    QString closeness;
    if (r.maxProbabilityDiff == 0.0 && r.maxLogitDiff == 0.0)
        closeness = QObject::tr("identical probabilities");
    else if (r.maxProbabilityDiff < 1e-4)
        closeness = QObject::tr("probabilities within %1 (rounding)").arg(r.maxProbabilityDiff, 0, 'g', 2);
    else
        closeness = QObject::tr("probabilities differ by up to %1").arg(r.maxProbabilityDiff, 0, 'g', 2);
    return QObject::tr("%1 of %2 validation images get the same class in %3 (%4%), %5")
        .arg(r.top1Agreements)
        .arg(r.images)
        .arg(runtime)
        .arg(r.top1AgreementRate * 100.0, 0, 'f', 1)
        .arg(closeness);
}

} // namespace

ExportOutcome exportModelFile(const ExportRequest& request) {
    ExportOutcome out;
    out.format = request.format;
    out.path = request.path;
    try {
        const BundleLease lease(request.bundle);
        exporting::LoadedModel& model = lease.model();
        const exporting::ExportFormat format = exporting::parseFormat(request.format.toStdString());
        exporting::ExportOptions options;
        options.withPreprocessing = request.withPreprocessing;
        options.withProbabilities = request.withProbabilities;
        const exporting::ExportResult result = exporting::exportModel(model, format, request.path.toStdString(), options);
        out.path = QString::fromStdString(result.path);
        out.bytes = result.bytes;
        for (const auto& note : result.notes) out.notes << QString::fromStdString(note);
        if (request.roundTrip && !request.dataDir.isEmpty()) {
            exporting::RoundTripOptions rt;
            rt.maxImages = request.maxImages;
            try {
                const exporting::RoundTripReport report = exporting::roundTripCheck(
                    model, format, result.path, options, request.dataDir.toStdString(), rt);
                out.roundTrip = roundTripText(report);
                out.roundTripPassed = report.images > 0 && report.top1AgreementRate >= 0.99;
            } catch (const std::exception& e) {
                // The file is written; only the check could not run (e.g. no Python torchvision).
                out.roundTrip = QObject::tr("round trip not checked: %1").arg(messageOf(e));
                out.roundTripPassed = false;
            }
        }
    } catch (const std::exception& e) {
        out.error = messageOf(e);
        out.details = QString::fromStdString(e.what());
    }
    return out;
}

} // namespace ts::ui
