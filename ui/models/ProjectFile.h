#pragma once
// ProjectFile: what the GUI saves as a project (*.tsproj, JSON).
//
// Format 2 (written):
//   {"format": "transfer-studio-project", "version": 2,
//    "config": <TrainConfig JSON exactly as core/train toJson writes it>,
//    "ui": {UI-only state: step, pinned probe images...}}
// so `tstudio train --config project.tsproj` runs the same file (core's
// loadTrainConfig reads a top-level "config" object).
// Format 1 (still read): {"format": 1, "dataset": folder, "backbone": arch}.
#include "core/train/TrainConfig.h"

#include <QJsonObject>
#include <QString>

namespace ts::ui {

struct ProjectFile {
    /// The whole run description (config.dataDir is the dataset folder,
    /// config.arch the backbone).
    train::TrainConfig config;
    /// False for a version-1 file: only dataDir and arch are known (and
    /// arch only when `hasBackbone`).
    bool hasFullConfig = true;
    bool hasBackbone = true;
    /// UI-only state.
    QJsonObject ui;
    /// The version read by load() (kVersion after save()).
    int version = 2;

    static constexpr int kVersion = 2;

    /// Reads `path`. Returns false and sets `error` (naming the file) on failure.
    bool load(const QString& path, QString* error);
    /// Writes `path` atomically (temp file, then rename). Returns false and
    /// sets `error` on failure.
    bool save(const QString& path, QString* error) const;
};

/// The file name filter of project files for file dialogs.
QString projectFileFilter();

} // namespace ts::ui
