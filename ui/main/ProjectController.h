#pragma once
// ProjectController: opens and saves a window's project (*.tsproj) and keeps
// the recent-projects list. Opening reads the file (ProjectFile), loads its
// config into the ProjectSession and shows it on the pages (the split, the
// folder, the exclusions, the backbone, then the layers and training
// settings, which choosing a backbone would reset), and turns to the step
// the project was saved on. Saving writes the session's config with the
// UI-only state (step, pinned probe images). A file that cannot be read
// opens an error dialog naming it; the window stays as it was.
//
// Thread safety: UI thread only. Lifetimes: a child of the window; the
// window and the session must outlive it.
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

    /// Most recent first, absolute paths (QSettings).
    QStringList recentProjects() const;
    void addRecent(const QString& path);
    void clearRecent();

Q_SIGNALS:
    void recentChanged();

private:
    MainWindow& m_window;
    ProjectSession& m_session;
};

} // namespace ts::ui
