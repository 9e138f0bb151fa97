#include "ui/models/ExperimentBridge.h"

#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/common/Json.h"
#include "core/data/Dataset.h"
#include "core/experiment/Experiment.h"
#include "core/experiment/ExperimentSpec.h"
#include "core/report/Report.h"
#include "ui/models/TaskError.h"
#include "ui/models/ZooFacts.h"

#include <QDir>
#include <QFileInfo>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

namespace ts::ui {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

QString qs(const std::string& s) { return QString::fromStdString(s); }

// A value from a file as one bounded, printable line.
QString shownValue(const json& v) {
    if (v.is_string()) return qs(printable(v.get<std::string>(), 120));
    return qs(printable(v.dump(), 120));
}

// {"a": {"b": 1}} as {"a.b": "1"}; lists stay one value.
void flatten(const json& j, const std::string& prefix, QMap<QString, QString>& out, int depth = 0) {
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
        if (it->is_object() && depth < 4) flatten(*it, key, out, depth + 1);
        else out.insert(qs(printable(key, 80)), shownValue(*it));
    }
}

// The params of a trial as "freeze=last:2, lr=0.0001".
QString paramsText(const json& params) {
    QStringList parts;
    if (params.is_object())
        for (auto it = params.begin(); it != params.end(); ++it)
            parts << qs(printable(it.key(), 60)) + QLatin1Char('=') + shownValue(*it);
    return parts.join(QStringLiteral(", "));
}

// A learning rate as the grid lists it: three significant digits.
double roundedLr(double lr) { return QString::number(lr, 'g', 3).toDouble(); }

experiment::ExperimentSpec specOf(const train::TrainConfig& base, const ExperimentGrid& grid, QString* error,
                                  bool* nothingVaries = nullptr) {
    experiment::ExperimentSpec spec;
    spec.base = base;
    if (grid.strategies) {
        spec.mode = experiment::SearchMode::Preset;
        spec.preset = "seed-strategies";
        return spec;
    }
    spec.mode = experiment::SearchMode::Grid;
    struct Choice {
        const char* key;
        QString name;
        std::vector<json> values;
        json current;
    };
    std::vector<Choice> choices(4);
    choices[0] = {"arch", QObject::tr("backbone"), {}, base.arch};
    for (const QString& a : grid.archs) choices[0].values.push_back(a.toStdString());
    choices[1] = {"freeze", QObject::tr("freeze preset"), {}, train::toString(base.freeze)};
    for (const QString& f : grid.freezes) choices[1].values.push_back(f.toStdString());
    choices[2] = {"augment.preset", QObject::tr("augmentation"), {}, train::toString(base.augment.preset)};
    for (const QString& a : grid.augments) choices[2].values.push_back(a.toStdString());
    choices[3] = {"lr", QObject::tr("learning rate"), {}, base.lr};
    for (double lr : grid.lrs) choices[3].values.push_back(roundedLr(lr));
    for (const Choice& c : choices) {
        if (c.values.empty()) {
            *error = QObject::tr("No %1 is checked: an empty grid trains nothing. Check at least one value on "
                                 "each axis.")
                         .arg(c.name);
            return spec;
        }
    }
    for (Choice& c : choices) {
        // A value listed twice counts once; one value equal to the base's does not vary.
        std::vector<json> unique;
        for (const json& v : c.values)
            if (std::find(unique.begin(), unique.end(), v) == unique.end()) unique.push_back(v);
        const bool isLr = std::string(c.key) == "lr";
        const bool same = unique.size() == 1 && (isLr ? std::fabs(unique[0].get<double>() - c.current.get<double>()) <=
                                                            1e-12 * std::max(1.0, std::fabs(c.current.get<double>()))
                                                      : unique[0] == c.current);
        if (same) continue;
        experiment::Axis axis;
        axis.key = c.key;
        axis.values = unique;
        spec.axes.push_back(axis);
    }
    if (spec.axes.empty() && nothingVaries) *nothingVaries = true;
    if (spec.axes.empty())
        *error = QObject::tr("Nothing varies yet: check a second value on an axis, or pick The three strategies.");
    return spec;
}

}  // namespace

QStringList experimentBackbones(const QString& current) {
    static const char* const shortList[] = {"resnet18", "mobilenet_v2", "efficientnet_b0", "mobilenet_v3_small",
                                            "tiny_cnn"};
    QStringList known;
    for (const ZooRow& row : zooRows()) known << row.name;
    QStringList out;
    if (!current.isEmpty()) out << current;
    for (const char* name : shortList)
        if (known.contains(QLatin1String(name)) && !out.contains(QLatin1String(name))) out << QLatin1String(name);
    return out;
}

ExperimentPlan planExperiment(const train::TrainConfig& base, const ExperimentGrid& grid) {
    ExperimentPlan plan;
    const experiment::ExperimentSpec spec = specOf(base, grid, &plan.error, &plan.nothingVaries);
    if (!plan.error.isEmpty()) return plan;
    try {
        for (const experiment::TrialPlan& t : experiment::expandTrials(spec)) {
            PlannedTrial p;
            p.id = qs(t.id);
            p.params = paramsText(t.params);
            p.epochs = t.config.epochs;
            plan.totalEpochs += p.epochs;
            plan.trials.push_back(p);
        }
    } catch (const std::exception& e) {
        plan.trials.clear();
        plan.totalEpochs = 0;
        plan.error = userMessageOf(QString::fromStdString(e.what()));
    }
    return plan;
}

void createExperimentFolder(const train::TrainConfig& base, const ExperimentGrid& grid, const QString& expDir) {
    QString error;
    const experiment::ExperimentSpec spec = specOf(base, grid, &error);
    if (!error.isEmpty()) throw ConfigError(error.toStdString());
    experiment::createExperiment(spec, experiment::expandTrials(spec), expDir.toStdString());
}

namespace {

// One run folder as a row; what cannot be read is the row's error.
RunRow readRow(const std::string& dir, const QString& name) {
    RunRow row;
    std::error_code ec;
    row.runDir = QFileInfo(qs(dir)).absoluteFilePath();
    row.name = name;
    const QFileInfo configInfo(QDir(row.runDir).filePath(QStringLiteral("config.json")));
    row.date = configInfo.lastModified();
    row.hasModel = fs::is_regular_file(fs::path(dir) / "model.tsb", ec);
    try {
        const report::RunSummary s = report::readRunSummary(dir);
        const train::TrainConfig config = train::trainConfigFromJson(s.config);
        flatten(train::toJson(config), "", row.config);
        row.arch = qs(config.arch);
        row.freeze = qs(train::toString(config.freeze));
        row.augment = qs(train::toString(config.augment.preset));
        row.epochs = config.epochs;
        row.epochsDone = int(s.epochs.size());
        row.bestEpoch = s.bestEpoch;
        row.bestValAccuracy = s.bestValAccuracy;
        row.seconds = s.seconds;
        for (const train::EpochRecord& e : s.epochs) {
            if (std::isfinite(e.valAccuracy)) row.valAccuracy << QPointF(e.epoch, e.valAccuracy);
            if (std::isfinite(e.valLoss)) row.valLoss << QPointF(e.epoch, e.valLoss);
            if (e.epoch == s.bestEpoch) {
                row.classes.clear();
                for (const std::string& c : e.classNames) row.classes << qs(printable(c, 60));
                row.confusion.clear();
                for (const auto& r : e.confusion) {
                    QVector<qint64> cells;
                    for (int64_t v : r) cells << qint64(v);
                    row.confusion << cells;
                }
            }
        }
        const std::string manifest = (fs::path(dir) / "manifest.json").string();
        if (!s.epochs.empty() && s.seconds > 0 && fs::is_regular_file(manifest, ec)) {
            try {
                const data::DatasetIndex index = data::fromManifest(readJsonFile(manifest), manifest);
                row.imagesPerSecond = double(index.train.size()) * double(s.epochs.size()) / s.seconds;
            } catch (const std::exception&) {
                row.imagesPerSecond = 0;  // the speed is unknown; the rest of the run is fine
            }
        }
    } catch (const Cancelled&) {
        throw;
    } catch (const std::exception& e) {
        row.error = userMessageOf(qs(printable(e.what(), 400)));
    }
    return row;
}

}  // namespace

RunsScan scanRuns(const QString& root, Feedback& feedback, int maxRuns) {
    RunsScan scan;
    scan.root = root;
    std::error_code ec;
    const fs::path base(root.toStdString());
    if (root.isEmpty() || !fs::is_directory(base, ec)) return scan;
    // The folders, newest name last (run folders start with their time).
    std::vector<std::string> names;
    for (fs::directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec)) {
        if (names.size() >= 20000) break;
        std::error_code e2;
        if (it->is_directory(e2)) names.push_back(it->path().filename().string());
    }
    std::sort(names.begin(), names.end());
    const auto full = [&scan, maxRuns] { return int(scan.rows.size()) >= maxRuns; };
    for (auto n = names.rbegin(); n != names.rend(); ++n) {
        if (feedback.isCancelled()) throw Cancelled();
        if (full()) {
            scan.truncated = true;
            break;
        }
        const std::string dir = (base / *n).string();
        const QString name = qs(printable(*n, 120));
        if (report::isExperimentFolder(dir)) {
            try {
                const experiment::Experiment ex = experiment::loadExperiment(dir);
                for (const experiment::TrialRecord& t : ex.trials) {
                    if (full()) {
                        scan.truncated = true;
                        break;
                    }
                    if (feedback.isCancelled()) throw Cancelled();
                    const std::string runPath = ex.runPath(t);
                    const QString trialName = name + QLatin1Char('/') + qs(t.id);
                    RunRow row;
                    if (report::isRunFolder(runPath)) {
                        row = readRow(runPath, trialName);
                    } else {  // not started yet
                        row.runDir = QFileInfo(qs(runPath)).absoluteFilePath();
                        row.name = trialName;
                        try {
                            const train::TrainConfig config = ex.configOf(t);
                            flatten(train::toJson(config), "", row.config);
                            row.arch = qs(config.arch);
                            row.freeze = qs(train::toString(config.freeze));
                            row.augment = qs(train::toString(config.augment.preset));
                            row.epochs = config.epochs;
                        } catch (const std::exception& e) {
                            row.error = userMessageOf(qs(printable(e.what(), 400)));
                        }
                    }
                    row.experimentDir = QFileInfo(qs(dir)).absoluteFilePath();
                    row.trialId = qs(t.id);
                    row.trialStatus = qs(experiment::toString(t.status));
                    row.params = paramsText(t.params);
                    // What the trial cost: its sessions' wall time (a shared feature cache included).
                    if (t.seconds > 0 && std::isfinite(t.seconds)) row.seconds = t.seconds;
                    if (t.status == experiment::TrialStatus::Failed && row.error.isEmpty())
                        row.error = qs(printable(t.error, 400));
                    scan.rows.push_back(row);
                }
            } catch (const Cancelled&) {
                throw;
            } catch (const std::exception& e) {
                RunRow row;
                row.runDir = QFileInfo(qs(dir)).absoluteFilePath();
                row.name = name;
                row.experimentDir = row.runDir;
                row.error = userMessageOf(qs(printable(e.what(), 400)));
                scan.rows.push_back(row);
            }
            continue;
        }
        const bool hasConfig = fs::exists(base / *n / "config.json", ec);
        const bool hasMetrics = fs::exists(base / *n / "metrics.jsonl", ec);
        if (!hasConfig && !hasMetrics) continue;  // not a run (a cache, a download...)
        scan.rows.push_back(readRow(dir, name));
    }
    return scan;
}

QStringList differingKeys(const QMap<QString, QString>& a, const QMap<QString, QString>& b) {
    return differingKeys(QVector<QMap<QString, QString>>{a, b});
}

QStringList differingKeys(const QVector<QMap<QString, QString>>& configs) {
    std::set<QString> keys;
    for (const auto& c : configs)
        for (auto it = c.begin(); it != c.end(); ++it) keys.insert(it.key());
    QStringList out;
    for (const QString& key : keys) {
        bool differ = false;
        for (const auto& c : configs) {
            if (c.contains(key) != configs.first().contains(key) || c.value(key) != configs.first().value(key)) {
                differ = true;
                break;
            }
        }
        if (differ) out << key;
    }
    return out;
}

void writeHtmlReport(const QString& dir, const QString& outPath, Feedback& feedback) {
    report::ReportOptions options;
    options.feedback = &feedback;
    report::writeReport(dir.toStdString(), outPath.toStdString(), options);
}

}  // namespace ts::ui
