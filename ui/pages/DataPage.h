#pragma once
// DataPage: step 1, choose the image folder. Scans it in a background job and
// shows the classes with their image counts per split, as a table and as a
// bar chart. After a scan the dataset doctor (core/data/Doctor.h) reads every
// file in a second job; its problems are listed below (Problems tab) with
// actions: exclude the selected files from training (or include them again),
// exclude every unusable file at once, open the file's folder, copy its path.
// The Images tab (ThumbnailGrid) shows thumbnails of one class, decoded in
// its own job (the page turns to it when the doctor finds nothing).
// The excluded files go into TrainConfig::excludeFiles (through the window's
// ProjectSession); changing the folder drops the exclusions that are not
// under the new one.
//
// Thread safety: UI thread only. The scan and the doctor are jobs on two
// lanes of the page's TaskManager, each request replacing the older one of
// its kind; a new folder also supersedes the doctor and the thumbnail
// loading of the previous one. The destructor cancels them and waits. Only
// value types (DatasetSummary, DoctorResult, Thumbnail) cross the threads.
#include "ui/models/DatasetSummary.h"
#include "ui/models/DoctorResult.h"
#include "core/train/TrainConfig.h"

#include <QSet>
#include <QStringList>
#include <QVector>
#include <QWidget>

class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QListWidgetItem;
class QProgressBar;
class QSortFilterProxyModel;
class QSpinBox;
class QTableView;
class QTabWidget;

namespace ts::ui {

class ClassCountChart;
class ClassCountsModel;
class ProblemsModel;
class ProblemsPanel;
class ProjectSession;
class TaskManager;
class ThumbnailGrid;
template <typename T>
struct JobResult;

class DataPage : public QWidget {
    Q_OBJECT
public:
    /// Severity filter of the problems table (the same rows as ProblemsPanel::SeverityFilter).
    enum SeverityFilter { AllProblems, ErrorsAndWarnings, ErrorsOnly };

    explicit DataPage(QWidget* parent = nullptr);
    ~DataPage() override;

    /// Starts scanning `folder`; datasetChanged() follows (also on failure),
    /// then, for a usable folder, the doctor (doctorFinished()).
    void setFolder(const QString& folder);
    /// The folder last asked for; empty when none.
    QString folder() const;
    /// How flat class folders are split (TrainConfig::valFraction and seed);
    /// a change rescans the folder, keeping the exclusions.
    void setSplit(double valFraction, quint64 seed);
    double valFraction() const { return m_valFraction; }
    /// Makes the page a view over `session` (not owned; may be null): its
    /// part of the project (folder, validation share, exclusions, the scan
    /// and the doctor's result) is written into the session at once; the
    /// split follows the session's config (the seed is set on the Training
    /// page: it is taken when this page is shown, so the split shown is the
    /// one the training will use), and so do the exclusions.
    void setSession(ProjectSession* session);
    /// Takes the session's split now.
    void applySessionSplit();
    quint64 splitSeed() const { return m_seed; }
    /// The last scan's result (invalid until a scan finished).
    const DatasetSummary& summary() const { return m_summary; }
    /// The doctor's last result for the current folder (invalid until it finished).
    const DoctorResult& doctorResult() const { return m_doctorResult; }
    /// True while any background work runs: the scan, the doctor or thumbnails.
    bool isBusy() const { return isScanning() || isDiagnosing() || isLoadingThumbnails(); }
    bool isScanning() const;
    bool isDiagnosing() const;
    bool isLoadingThumbnails() const;

    // --- exclusions (TrainConfig::excludeFiles) ---
    /// The files left out of training, in the order they were excluded.
    QStringList excludedFiles() const { return m_excluded; }
    bool isExcluded(const QString& path) const { return m_excludedSet.contains(path); }
    /// Replaces the list (a project being opened); no filtering.
    void setExcludedFiles(const QStringList& files);
    /// Adds `files`; returns how many were not excluded before.
    int excludeFiles(const QStringList& files);
    /// Removes `files`; returns how many were excluded before.
    int includeFiles(const QStringList& files);
    /// Excludes the doctor's unusable files (DoctorResult::badFiles); returns how many were new.
    int excludeAllUnusable();

    // --- problems table ---
    ProblemsModel* problemsModel() const { return m_problems; }
    QTableView* problemsView() const;
    void setSeverityFilter(SeverityFilter filter);
    /// The paths of the selected problem rows (every kind, deduplicated).
    QStringList selectedProblemPaths() const;
    /// Of those, the files the training reads (what "Exclude" acts on).
    QStringList selectedExcludableFiles() const;
    QAction* excludeAction() const;
    QAction* includeAction() const;
    QAction* excludeAllAction() const;
    QAction* openFolderAction() const;
    QAction* copyPathAction() const;

    // --- thumbnails ---
    /// Shows the Images tab with the thumbnails of class `classIndex`.
    void showClassImages(int classIndex);
    /// The class whose thumbnails are shown (or loading); -1 when none.
    int thumbnailClass() const;
    QListWidget* thumbnailView() const;
    QTabWidget* tabs() const { return m_tabs; }

    ClassCountsModel* countsModel() const { return m_model; }
    ClassCountChart* chart() const { return m_chart; }

public Q_SLOTS:
    /// Opens a folder dialog.
    void browse();

Q_SIGNALS:
    void datasetChanged(const ts::ui::DatasetSummary& summary);
    /// The doctor finished on the current folder (not sent for cancelled runs).
    void doctorFinished(const ts::ui::DoctorResult& result);
    /// The excluded files changed.
    void exclusionsChanged(const QStringList& files);
    /// Every thumbnail of `classIndex` (up to the listing cap) is shown.
    void thumbnailsLoaded(int classIndex, int count);
    /// The user asked for the built-in demo dataset.
    void demoRequested();

protected:
    bool event(QEvent* event) override;

private:
    void onScanFinished(const JobResult<DatasetSummary>& result);
    void startDoctor();
    void onDoctorFinished(const JobResult<DoctorResult>& result);
    void exclusionsUpdated();
    void updateDoctorSummary();
    void showStatus();
    void openFolderOf(const QString& path);
    void copyPaths(const QStringList& paths);

    QLineEdit* m_folderEdit = nullptr;
    QLabel* m_status = nullptr;
    QTableView* m_table = nullptr;
    ClassCountsModel* m_model = nullptr;
    ClassCountChart* m_chart = nullptr;
    QTabWidget* m_tabs = nullptr;
    QWidget* m_problemsTab = nullptr;
    QWidget* m_imagesTab = nullptr;

    // Problems tab
    ProblemsModel* m_problems = nullptr;
    ProblemsPanel* m_problemsPanel = nullptr;

    ThumbnailGrid* m_thumbnails = nullptr;  ///< the Images tab

    QSpinBox* m_valBox = nullptr;
    double m_valFraction = train::TrainConfig{}.valFraction;  // the documented defaults
    quint64 m_seed = train::TrainConfig{}.seed;
    DatasetSummary m_summary;
    DoctorResult m_doctorResult;
    QString m_requested;
    QStringList m_excluded;
    QSet<QString> m_excludedSet;

    TaskManager* m_tasks = nullptr;
    ProjectSession* m_session = nullptr;
};

} // namespace ts::ui
