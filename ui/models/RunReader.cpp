#include "ui/models/RunReader.h"
#include "ui/models/BridgeCommon.h"

#include "core/common/Json.h"
#include "core/export/Bundle.h"
#include "core/train/TrainConfig.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <nlohmann/json.hpp>

#include <exception>

namespace ts::ui {
namespace {

using nlohmann::json;

// One row of metrics.jsonl (or a bundle's metrics) as the trainer wrote it;
// the class names of its per-class rows fill `classes` when that is empty.
train::EpochMetrics epochFromJson(const json& row, const std::string& source, QStringList* classes) {
    train::EpochRecord m = train::EpochRecord::fromJson(row, source);
    if (classes && classes->isEmpty())
        for (const std::string& name : m.classNames) *classes << QString::fromStdString(name);
    return m;
}

QString shown(const QString& path) { return QDir::toNativeSeparators(path); }

} // namespace

bool readRunOrBundle(const QString& path, OpenedRun* run, QString* error) {
    const auto fail = [error](const QString& message) {
        if (error) *error = message;
        return false;
    };
    OpenedRun r;
    const QFileInfo info(path);
    try {
        if (info.isFile()) {
            if (info.suffix().compare(QLatin1String("tsb"), Qt::CaseInsensitive) != 0)
                return fail(QObject::tr("%1 is not a model bundle (.tsb). Choose a run folder or a .tsb file.")
                                .arg(shown(path)));
            const exporting::LoadedModel model = exporting::loadBundle(info.absoluteFilePath().toStdString());
            r.bundlePath = info.absoluteFilePath();
            r.arch = QString::fromStdString(model.meta.arch);
            for (const std::string& c : model.meta.classes) r.classes << QString::fromStdString(c);
            if (model.meta.trainConfig.is_object()) {
                r.dataDir = QString::fromStdString(model.meta.trainConfig.value("data_dir", std::string()));
                r.epochsPlanned = model.meta.trainConfig.value("epochs", 0);
            }
            if (model.meta.metrics.is_object()) {
                QStringList ignored;
                r.best = epochFromJson(model.meta.metrics, "the bundle '" + r.bundlePath.toStdString() + "'", &ignored);
            }
            r.epochsDone = r.epochsPlanned;
            *run = r;
            return true;
        }
        if (!info.isDir()) return fail(QObject::tr("%1 does not exist.").arg(shown(path)));
        const QString dir = info.absoluteFilePath();
        const QString configPath = QDir(dir).filePath(QStringLiteral("config.json"));
        if (!QFileInfo(configPath).isFile())
            return fail(QObject::tr("%1 is not a run folder: it has no config.json. Choose the folder of a run "
                                    "(runs/<time>-<model>) or a .tsb bundle.")
                            .arg(shown(dir)));
        const train::TrainConfig config = train::loadTrainConfig(configPath.toStdString());
        r.runDir = dir;
        r.arch = QString::fromStdString(config.arch);
        r.dataDir = QString::fromStdString(config.dataDir);
        r.epochsPlanned = config.epochs;
        const QString metricsPath = QDir(dir).filePath(QStringLiteral("metrics.jsonl"));
        QFile metrics(metricsPath);
        // A regular file only (a FIFO would block the open); each line is read
        // with the same depth and size limits as every other JSON file.
        if (QFileInfo(metricsPath).isFile() && metrics.open(QIODevice::ReadOnly)) {
            bool haveBest = false;
            while (!metrics.atEnd()) {
                const QByteArray line = metrics.readLine(16 << 20).trimmed();
                if (line.isEmpty()) continue;
                json row;
                train::EpochMetrics m;
                try {
                    row = parseJson(line.toStdString(), metricsPath.toStdString());
                    if (!row.is_object()) continue;
                    m = epochFromJson(row, "'" + metricsPath.toStdString() + "'", &r.classes);
                } catch (const std::exception&) {
                    continue;  // a torn or damaged line: the epochs before it count
                }
                r.epochsDone = qMax(r.epochsDone, m.epoch);
                if (m.isBest || !haveBest) {
                    r.best = m;
                    haveBest = haveBest || m.isBest;
                }
            }
        }
        const QString bundle = QDir(dir).filePath(QStringLiteral("model.tsb"));
        if (QFileInfo(bundle).isFile()) r.bundlePath = bundle;
        if (r.classes.isEmpty() && !r.bundlePath.isEmpty()) {
            const exporting::LoadedModel model = exporting::loadBundle(bundle.toStdString());
            for (const std::string& c : model.meta.classes) r.classes << QString::fromStdString(c);
        }
    } catch (const std::exception& e) {
        return fail(QObject::tr("Cannot open %1: %2").arg(shown(path), userMessageOf(QString::fromStdString(e.what()))));
    }
    *run = r;
    return true;
}

} // namespace ts::ui
