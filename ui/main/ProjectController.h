#pragma once
// ProjectController: what a window opens and saves. Projects (*.tsproj) and
// the recent-projects list: opening reads the file (ProjectFile), loads it
// into the ProjectSession (the pages follow the session: layers and training
// settings, the split), asks the Data page to scan the project's folder with
// its exclusions and the Backbone page to select its backbone, and turns to
// the step the project was saved on; saving writes the session's config with
// the UI-only state (step, pinned probe images). A file that cannot be read
// opens an error dialog naming it; the window stays as it was.
// A new project, a dataset folder or the demo project; and runs: a run folder
// or bundle opened (or a finished training) becomes the session's current run,
// shown by the Inspect and Export pages; an interrupted run can be resumed.
// In an unsaved project, another dataset than the one the settings were made
// for starts the training settings from the defaults.
//
// Thread safety: UI thread only. Lifetimes: a child of the window; the
// window and the session must outlive it.
#include <QJsonObject>
#include <QObject>
#include <QString>
#include <QStringList>

namespace ts::ui {

class MainWindow;
class ProjectSession;

class ProjectController : public QObject {
    Q_OBJECT
public:
    /// How many projects the recent list keeps.
    static constexpr int kMaxRecentProjects = 8;

    ProjectController(MainWindow& window, ProjectSession& session);

    /// Opens the project file `path`; false (after the error dialog) when it cannot be read.
    bool open(const QString& path);
    /// Writes the project to `path`; false and `error` (naming the file) on failure.
    bool saveTo(const QString& path, QString* error);
    /// Saves to the project's file, or asks for one (saveAs) when it has none.
    bool save();
    bool saveAs();
    /// A file dialog in the projects folder, then open().
    void openDialog();
    /// A new, unsaved project: the training settings and split from the
    /// defaults, no exclusions (the folder, backbone and layers stay).
    void newProject();
    /// A folder: a new project on it; a file: open().
    bool openPath(const QString& path);
    /// Generates the demo dataset if needed and opens it with the demo settings.
    bool openDemo();
    /// Settings that suit the demo project (tiny_cnn from random weights,
    /// everything trains, a few quick epochs), in the session.
    void applyDemoSettings(int epochs);

    /// Opens a run folder or a model bundle (.tsb) on the Inspect and Export
    /// pages. False with `error` set (or, when `error` is null, a message box).
    bool openRunOrBundle(const QString& path, QString* error);
    /// A file dialog for a bundle or a run's config.json, then openRunOrBundle().
    void openRunDialog();
    /// Opens the run folder and continues it from its last complete epoch.
    bool resumeRunFolder(const QString& runDir, QString* error);
    /// A training ended with a model: shows its run on Inspect and Export.
    void showFinishedRun(const QString& runDir, const QString& bundlePath);

    /// The step a project's UI state names ("step_key", or the number "step"
    /// of an older file, whose steps had no Experiments); the Data step when none.
    static int savedStep(const QJsonObject& ui);

    /// Most recent first, absolute paths (QSettings).
    QStringList recentProjects() const;
    void addRecent(const QString& path);
    void clearRecent();

Q_SIGNALS:
    void recentChanged();

private:
    void onDatasetChanged();

    MainWindow& m_window;
    ProjectSession& m_session;
    /// The dataset folder the current training settings were made for.
    QString m_settingsFolder;
};

} // namespace ts::ui
