#pragma once
// ExperimentBridge: core/experiment and core/report as Qt value types, for
// the Experiments page. It plans a grid from the session's config (the
// trials core's expandTrials would make, checked the same way), reads every
// run and experiment trial under a runs folder into table rows, compares two
// configs and writes a run's or an experiment's HTML report.
//
// ExperimentBridge.cpp includes core/experiment and core/report; this header
// holds Qt and torch-free project types only. Reading runs and writing a
// report are slow on big folders: call them from a TaskManager job.
//
// Thread safety: plain values and free functions.
#include "core/train/TrainConfig.h"

#include <QDateTime>
#include <QMap>
#include <QMetaType>
#include <QPointF>
#include <QString>
#include <QStringList>
#include <QVector>

#include <limits>

namespace ts {
class Feedback;
}

namespace ts::ui {

/// What the Experiments page asks for: the values checked on each axis, or
/// the three strategies (core's "seed-strategies" preset; the lists are then
/// ignored). An axis with one value equal to the base config's does not vary.
struct ExperimentGrid {
    bool strategies = false;
    QStringList archs;     ///< "arch"
    QStringList freezes;   ///< "freeze": "feature-extraction", "last:N", "none"
    QStringList augments;  ///< "augment.preset": "none", "standard"
    QVector<double> lrs;   ///< "lr"
};

/// One trial of a plan.
struct PlannedTrial {
    QString id;      ///< "t000"
    QString params;  ///< the varied keys: "freeze=last:2, lr=0.0001"
    int epochs = 0;
};

struct ExperimentPlan {
    /// Why nothing can be queued (an empty axis, nothing varies, a value the
    /// config cannot take); empty when the plan is good.
    QString error;
    /// The error is that no axis varies (every axis has the config's value only).
    bool nothingVaries = false;
    QVector<PlannedTrial> trials;
    int totalEpochs = 0;  ///< summed over the trials
    bool ok() const { return error.isEmpty() && !trials.isEmpty(); }
};

/// The trials `grid` makes from `base` (core's expandTrials: every config validated).
ExperimentPlan planExperiment(const train::TrainConfig& base, const ExperimentGrid& grid);

/// The backbones offered as an axis: a short list from the zoo and `current`.
QStringList experimentBackbones(const QString& current);

/// Creates the experiment folder `expDir` for the plan (core's
/// createExperiment). Throws ts::Error naming what is wrong.
void createExperimentFolder(const train::TrainConfig& base, const ExperimentGrid& grid, const QString& expDir);

/// One run of the runs table: a run folder (config.json and metrics.jsonl)
/// or a trial of an experiment folder (EXP/runs/<id>).
struct RunRow {
    QString runDir;         ///< absolute
    QString name;           ///< the folder's name, "EXP/t000" for a trial
    QString experimentDir;  ///< the experiment of a trial; empty for a plain run
    QString trialId;        ///< "t000" for a trial
    QString trialStatus;    ///< a trial's state in the experiment (pending, running, finished, stopped, failed)
    QString params;         ///< a trial's varied keys ("lr=0.001")
    QString arch, freeze, augment;
    int epochs = 0;      ///< configured
    int epochsDone = 0;  ///< rows of metrics.jsonl
    double bestValAccuracy = std::numeric_limits<double>::quiet_NaN();
    int bestEpoch = 0;
    double seconds = 0.0;          ///< the epochs' wall time, summed (a trial: its sessions' wall time)
    double imagesPerSecond = 0.0;  ///< training images x epochs / seconds (0: unknown)
    QDateTime date;                ///< when config.json was written (the run's start)
    /// What is wrong with the folder (a damaged config.json or metrics.jsonl):
    /// the row shows it and nothing else can be trusted.
    QString error;
    QMap<QString, QString> config;  ///< every config key, dotted for nested ones, as text
    QVector<QPointF> valAccuracy;   ///< (epoch, validation accuracy)
    QVector<QPointF> valLoss;       ///< (epoch, validation loss)
    QStringList classes;            ///< from the best epoch's per-class rows
    /// The best model's validation confusion matrix [true][predicted] (its epoch's row).
    QVector<QVector<qint64>> confusion;
    bool hasModel = false;  ///< model.tsb exists
};

struct RunsScan {
    QString root;
    QVector<RunRow> rows;
    bool truncated = false;  ///< more than the limit: the newest were kept
};

/// Most runs one scan lists.
inline constexpr int kMaxScannedRuns = 500;

/// Every run and experiment trial directly under `root` (a missing folder:
/// no rows). A folder that cannot be read becomes a row with its error;
/// every text from a file is bounded and printable. Cancelled through
/// `feedback` (ts::Cancelled).
RunsScan scanRuns(const QString& root, Feedback& feedback, int maxRuns = kMaxScannedRuns);

/// The keys whose values differ between `a` and `b` (a key only one has
/// counts), in key order.
QStringList differingKeys(const QMap<QString, QString>& a, const QMap<QString, QString>& b);
/// The keys whose values are not the same in all of `configs`.
QStringList differingKeys(const QVector<QMap<QString, QString>>& configs);

/// Writes the HTML report of the run or experiment folder `dir` to
/// `outPath` (core/report). Throws ts::Error naming the folder or file.
void writeHtmlReport(const QString& dir, const QString& outPath, Feedback& feedback);

}  // namespace ts::ui

Q_DECLARE_METATYPE(ts::ui::RunsScan)
