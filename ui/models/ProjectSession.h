#pragma once
// ProjectSession: the editable state of one window's project (OBS's wizard
// object that every page reads). It owns
//   - the TrainConfig (the whole run description: the dataset folder, the
//     backbone, layers, training settings; fields no page shows keep what
//     the project file said),
//   - the dataset summary of the last scan and the doctor's last result,
//   - the files excluded from training (config().excludeFiles),
//   - the current run (folder and bundle) and the runs started in this window,
//   - the project file's path (empty for an unsaved project),
//   - the backbone chosen (config().arch once one was chosen),
// and says when each changes. The pages are views over it: each writes its
// widgets' changes through editConfig() (or a setter) at once, and refreshes
// its widgets from config() on configChanged(); none keeps a copy of the
// config. The project file is written from it and read into it
// (toProjectFile / loadProjectFile).
//
// Thread safety: UI thread only. Every setter emits its signal only when the
// value changed.
#include "core/train/TrainConfig.h"
#include "ui/models/DatasetSummary.h"
#include "ui/models/DoctorResult.h"
#include "ui/models/ProjectFile.h"

#include <QJsonObject>
#include <QObject>
#include <QStringList>

#include <functional>

namespace ts::ui {

class ProjectSession : public QObject {
    Q_OBJECT
public:
    explicit ProjectSession(QObject* parent = nullptr);

    // --- the run description ---
    const train::TrainConfig& config() const { return m_config; }
    /// Replaces the config (configChanged(), and exclusionsChanged() when its
    /// excludeFiles differ).
    void setConfig(const train::TrainConfig& config);
    /// Changes the config in place: `edit` receives a copy, which replaces
    /// the config when it differs.
    void editConfig(const std::function<void(train::TrainConfig&)>& edit);
    /// The training settings and the split back to TrainConfig{} (a new
    /// project, a new dataset): the folder, the backbone and its layers
    /// (freeze plan, head, weights) and the exclusions stay.
    void resetTrainingSettings();

    // --- the backbone ---
    /// The architecture chosen (on the Backbone page or by the project
    /// opened); empty until one is (config().arch then holds TrainConfig's
    /// default, which no page shows as chosen).
    QString backbone() const { return m_backboneChosen ? QString::fromStdString(m_config.arch) : QString(); }
    /// Chooses `arch` (config().arch). Another architecture than the one
    /// chosen before drops the per-stage choices (stage overrides and
    /// learning rates name the old one's stages), and, when `arch` has no
    /// official weights, "official weights" becomes random initialisation.
    void chooseBackbone(const QString& arch, bool hasOfficialWeights);

    // --- the dataset ---
    const DatasetSummary& dataset() const { return m_dataset; }
    void setDataset(const DatasetSummary& summary);
    const DoctorResult& doctorResult() const { return m_doctor; }
    void setDoctorResult(const DoctorResult& result);
    /// The files left out of training, in the order they were excluded.
    QStringList exclusions() const;
    void setExclusions(const QStringList& files);

    // --- runs ---
    QString currentRunDir() const { return m_runDir; }
    QString currentBundle() const { return m_bundle; }
    /// The run shown by Inspect and Export (`bundlePath` empty while it trains).
    void setCurrentRun(const QString& runDir, const QString& bundlePath);
    /// The runs started or opened in this window, oldest first (no duplicates).
    QStringList runs() const { return m_runs; }

    // --- the project file ---
    QString projectPath() const { return m_projectPath; }
    void setProjectPath(const QString& path);
    /// The project as it is saved: the config and the UI-only state `ui`.
    ProjectFile toProjectFile(const QJsonObject& ui = {}) const;
    /// Takes a project's config (a version-1 file only brings its folder and
    /// backbone; the rest starts from TrainConfig{}) and its backbone as the
    /// chosen one (its stage choices stay); drops the dataset,
    /// doctor result and current run, which belong to the old folder.
    void loadProjectFile(const ProjectFile& project, const QString& path);

Q_SIGNALS:
    void configChanged();
    /// backbone() changed (also when the chosen name equals config().arch already).
    void backboneChanged();
    void datasetChanged();
    void doctorResultChanged();
    void exclusionsChanged(const QStringList& files);
    void runChanged();
    void projectPathChanged();

private:
    train::TrainConfig m_config;
    bool m_backboneChosen = false;
    DatasetSummary m_dataset;
    DoctorResult m_doctor;
    QString m_runDir;
    QString m_bundle;
    QStringList m_runs;
    QString m_projectPath;
};

} // namespace ts::ui
