#pragma once
// ProjectFile: what the GUI saves as a project (*.tsproj, JSON).
//
// For now it holds the choices of the pages that exist (dataset folder,
// backbone). TODO(train): once core/train's TrainConfig lands, a project
// becomes {"config": <TrainConfig JSON>, "ui": {...}} so the CLI can run the
// same file; load() already ignores keys it does not know.
#include <QString>

namespace ts::ui {

struct ProjectFile {
    /// Dataset folder (absolute); empty when none chosen.
    QString datasetFolder;
    /// Backbone architecture name; empty when none chosen.
    QString backbone;

    /// Reads `path`. Returns false and sets `error` (naming the file) on failure.
    bool load(const QString& path, QString* error);
    /// Writes `path` atomically (temp file, then rename). Returns false and
    /// sets `error` on failure.
    bool save(const QString& path, QString* error) const;
};

/// The file name filter of project files for file dialogs.
QString projectFileFilter();

} // namespace ts::ui
