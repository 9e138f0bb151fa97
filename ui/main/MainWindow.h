#pragma once
// MainWindow: the wizard. A sidebar lists the eight steps (Data, Backbone,
// Layers, Training, Train, Experiments, Inspect, Export); a stacked widget shows the
// current step's page. File menu: new/open/save project, recent projects,
// quit; Help menu: about (the same report as `--version`). A folder dropped
// onto the window becomes the dataset of the Data page.
// The window is chrome over the project: the state is the ProjectSession
// (session()), over which the pages are views (each reads and writes it;
// the window copies nothing between them); opening and saving projects,
// runs and the demo and the recent list are a ProjectController;
// saveScreenshots() is a ScreenshotTour. The window geometry is kept in
// QSettings.
//
// Thread safety: UI thread only. Lifetimes: the session, the controller and
// the pages are children of the window; closing it cancels their jobs and
// waits for them (each page's TaskManager).
#include "ui/models/TrainTypes.h"

#include <QMainWindow>
#include <QStringList>

#include <functional>

class QLabel;
class QListWidget;
class QMenu;
class QStackedWidget;

namespace ts::ui {

class BackbonePage;
class DataPage;
class ExperimentsPage;
class ExportPage;
class InspectPage;
class LayersPage;
class ProjectController;
class ProjectSession;
class TrainPage;
class TrainingPage;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    /// The steps, in order; the values are the sidebar rows and page indices.
    enum Step {
        DataStep,
        BackboneStep,
        LayersStep,
        TrainingStep,
        TrainStep,
        ExperimentsStep,
        InspectStep,
        ExportStep,
        StepCount
    };

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    /// Short lowercase name of a step ("data", "backbone", ...), used in file names.
    static QString stepKey(int step);
    /// The title of a step as the sidebar shows it.
    static QString stepTitle(int step);

    int stepCount() const;
    int currentStep() const;
    QWidget* page(int step) const;
    DataPage* dataPage() const { return m_dataPage; }
    BackbonePage* backbonePage() const { return m_backbonePage; }
    LayersPage* layersPage() const { return m_layersPage; }
    TrainingPage* trainingPage() const { return m_trainingPage; }
    TrainPage* trainPage() const { return m_trainPage; }
    ExperimentsPage* experimentsPage() const { return m_experimentsPage; }
    InspectPage* inspectPage() const { return m_inspectPage; }
    ExportPage* exportPage() const { return m_exportPage; }

    /// The run the wizard describes now: dataset, backbone, freeze plan and
    /// training settings (core/train/TrainConfig.h): the session's config.
    train::TrainConfig currentConfig() const;
    /// Settings that suit the demo project (tiny_cnn from random weights,
    /// everything trains, a few quick epochs).
    void applyDemoSettings(int epochs = 5);
    /// Trains the current config and waits (processing events) until the run
    /// and the Inspect page's follow-up work end; false on failure or timeout.
    bool trainAndWait(int timeoutMs);
    /// True while a training run or an experiment is in progress.
    bool isTraining() const;
    /// Replaces the yes/no question asked before a running training is
    /// stopped (tests answer it without a dialog). Returns true to stop.
    void setStopConfirmation(std::function<bool(const QString& question)> confirm) { m_confirmStop = std::move(confirm); }
    QListWidget* sidebar() const { return m_sidebar; }

    /// True while any page has background work running.
    bool isBusy() const;
    /// Processes events until no page is busy or `timeoutMs` passed; false on timeout.
    bool waitUntilIdle(int timeoutMs);

    /// Renders every page to DIR/<nn>-<step>.png (QWidget::grab of the whole
    /// window on each step), after a short training of the open dataset when
    /// none was done (the demo project: tiny_cnn, a few epochs, the LR finder
    /// and the exports), then the Inspect page's filters, feature maps and
    /// Grad-CAM as 07b/07c/07d-inspect-*.png. Returns the files written; sets `error` on failure.
    QStringList saveScreenshots(const QString& dir, QString* error);

    /// The recent projects, most recent first.
    QStringList recentProjects() const;
    /// The project file in use; empty for a new, unsaved project.
    QString projectPath() const;
    /// The window's project state (the config, dataset, exclusions, runs).
    ProjectSession* session() const { return m_session; }

public Q_SLOTS:
    void setCurrentStep(int step);
    /// Generates the demo dataset if needed and opens it on the Data page.
    bool openDemo();
    /// Opens a project file (*.tsproj) or, for a folder, a new project on it.
    bool openPath(const QString& path);
    void newProject();
    void openProjectDialog();
    /// Opens a run folder or a model bundle (.tsb) on the Inspect and Export
    /// pages; an interrupted run can then be resumed from the Train page.
    /// False with `error` set (or, when `error` is null, a message box).
    bool openRunOrBundle(const QString& path, QString* error = nullptr);
    void openRunDialog();
    /// Opens the run folder and continues it from its last complete epoch.
    bool resumeRunFolder(const QString& runDir, QString* error = nullptr);
    bool saveProject();
    bool saveProjectAs();
    /// Writes the project (every page's settings, core/train's TrainConfig
    /// under "config") to `path` without asking; false with `error` set on failure.
    bool saveProjectTo(const QString& path, QString* error);
    void showAbout();

protected:
    void closeEvent(QCloseEvent* event) override;
    /// A local folder dropped anywhere (where no page takes the drop itself,
    /// as the Inspect page does with images) becomes the dataset: the Data
    /// page opens and scans it. A dropped project file opens it; any other
    /// file is refused with a note in the status bar.
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void buildMenus();
    void updateRecentMenu();
    void updateTitle();
    /// The status bar's note on the session's dataset.
    void updateDatasetStatus();
    void onStepChanged(int step);
    bool confirmStopTraining(const QString& question);

    QListWidget* m_sidebar = nullptr;
    QStackedWidget* m_stack = nullptr;
    DataPage* m_dataPage = nullptr;
    BackbonePage* m_backbonePage = nullptr;
    LayersPage* m_layersPage = nullptr;
    TrainingPage* m_trainingPage = nullptr;
    TrainPage* m_trainPage = nullptr;
    ExperimentsPage* m_experimentsPage = nullptr;
    InspectPage* m_inspectPage = nullptr;
    ExportPage* m_exportPage = nullptr;
    std::function<bool(const QString&)> m_confirmStop;
    int m_shownStep = 0;
    QMenu* m_recentMenu = nullptr;
    QLabel* m_statusDataset = nullptr;
    ProjectSession* m_session = nullptr;      ///< the project's state, which every page reads and writes
    ProjectController* m_projects = nullptr;  ///< opening and saving projects and runs, the recent list
};

} // namespace ts::ui
