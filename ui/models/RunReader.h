#pragma once
// RunReader: what the app shows of a finished or interrupted run folder
// (runs/<time>-<arch>: config.json, metrics.jsonl, model.tsb) or of a lone
// model bundle (.tsb): its classes, the best epoch's metrics (confusion
// matrix, per-class precision and recall), the dataset and whether the run
// can be resumed. Reads files only; no LibTorch type crosses this header.
#include "ui/models/TrainTypes.h"

#include <QString>
#include <QStringList>

namespace ts::ui {

struct OpenedRun {
    QString runDir;       ///< the run folder; empty for a lone bundle
    QString bundlePath;   ///< the best model; empty when no epoch is complete yet
    QString dataDir;      ///< the dataset it was trained on (from its config)
    QString arch;
    QStringList classes;
    train::EpochMetrics best;  ///< epoch 0 when no epoch is complete
    int epochsDone = 0;
    int epochsPlanned = 0;
    /// A run folder that has epochs left to train (or none complete yet).
    bool resumable() const { return !runDir.isEmpty() && epochsDone < epochsPlanned; }
};

/// Reads a run folder or a .tsb bundle. False with `error` (names the path,
/// says what is wrong and what to choose instead) when it is neither.
bool readRunOrBundle(const QString& path, OpenedRun* run, QString* error);

} // namespace ts::ui
