#pragma once
// MainWindow: the wizard. A sidebar lists the seven steps (Data, Backbone,
// Layers, Training, Train, Inspect, Export); a stacked widget shows the
// current step's page. File menu: new/open/save project, recent projects,
// quit; Help menu: about (the same report as `--version`).
// The window geometry and the recent projects are kept in QSettings.
#include <QMainWindow>
#include <QStringList>

class QLabel;
class QListWidget;
class QMenu;
class QStackedWidget;

namespace ts::ui {

class BackbonePage;
class DataPage;
struct DatasetSummary;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    /// The steps, in order; the values are the sidebar rows and page indices.
    enum Step { DataStep, BackboneStep, LayersStep, TrainingStep, TrainStep, InspectStep, ExportStep, StepCount };

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
    QListWidget* sidebar() const { return m_sidebar; }

    /// True while any page has background work running.
    bool isBusy() const;
    /// Processes events until no page is busy or `timeoutMs` passed; false on timeout.
    bool waitUntilIdle(int timeoutMs);

    /// Renders every page to DIR/<nn>-<step>.png (QWidget::grab of the whole
    /// window on each step). Returns the files written; sets `error` on failure.
    QStringList saveScreenshots(const QString& dir, QString* error);

    /// The recent projects, most recent first.
    QStringList recentProjects() const;
    /// The project file in use; empty for a new, unsaved project.
    QString projectPath() const { return m_projectPath; }

public Q_SLOTS:
    void setCurrentStep(int step);
    /// Generates the demo dataset if needed and opens it on the Data page.
    bool openDemo();
    /// Opens a project file (*.tsproj) or, for a folder, a new project on it.
    bool openPath(const QString& path);
    void newProject();
    void openProjectDialog();
    bool saveProject();
    bool saveProjectAs();
    void showAbout();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildMenus();
    void addRecentProject(const QString& path);
    void updateRecentMenu();
    void updateTitle();
    void onDatasetChanged(const DatasetSummary& summary);

    QListWidget* m_sidebar = nullptr;
    QStackedWidget* m_stack = nullptr;
    DataPage* m_dataPage = nullptr;
    BackbonePage* m_backbonePage = nullptr;
    QMenu* m_recentMenu = nullptr;
    QLabel* m_statusDataset = nullptr;
    QString m_projectPath;
};

} // namespace ts::ui
