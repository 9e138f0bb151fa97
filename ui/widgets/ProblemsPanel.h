#pragma once
// ProblemsPanel: the Data page's Problems tab. What the dataset doctor found
// (a ProblemsModel) as a sortable table with a severity filter, a summary
// line with the doctor's progress, and the actions on the selected rows:
// exclude from training, include again, exclude every unusable file, open
// the folder, copy the paths. The panel only shows and asks: the exclusions
// live in the page (isExcluded), which acts on the request signals and calls
// showExclusions() when they change.
//
// Thread safety: UI thread only.
#include "ui/models/DoctorResult.h"

#include <QStringList>
#include <QWidget>

#include <functional>

class QAction;
class QComboBox;
class QLabel;
class QProgressBar;
class QSortFilterProxyModel;
class QTableView;

namespace ts::ui {

class ProblemsModel;

class ProblemsPanel : public QWidget {
    Q_OBJECT
public:
    /// Severity filter of the table (the combo's rows).
    enum SeverityFilter { AllProblems, ErrorsAndWarnings, ErrorsOnly };
    /// What the doctor is doing, for the summary line.
    enum class DoctorState { NoFolder, WaitingForScan, Checking, Done };

    /// `model` is not owned and must outlive the panel.
    explicit ProblemsPanel(ProblemsModel* model, QWidget* parent = nullptr);

    /// Which files are excluded (null: none).
    void setExclusionCheck(std::function<bool(const QString&)> isExcluded);
    /// The summary line for `result` (the last finished diagnosis, or invalid) in `state`.
    void showDoctor(const DoctorResult& result, DoctorState state);
    /// The doctor's progress, [0, 1].
    void setProgress(double fraction);
    /// The excluded files changed: the label and the actions follow.
    void showExclusions(const QStringList& excluded);
    void setSeverityFilter(SeverityFilter filter);

    /// The paths of the selected rows (every kind, deduplicated, in row order).
    QStringList selectedProblemPaths() const;
    /// Of those, the files the training reads (what "Exclude" acts on).
    QStringList selectedExcludableFiles() const;
    /// Enables the actions for the selection and the unusable files left.
    void updateActions();

    QTableView* view() const { return m_view; }
    QAction* excludeAction() const { return m_excludeAction; }
    QAction* includeAction() const { return m_includeAction; }
    QAction* excludeAllAction() const { return m_excludeAllAction; }
    QAction* openFolderAction() const { return m_openFolderAction; }
    QAction* copyPathAction() const { return m_copyPathAction; }

Q_SIGNALS:
    void excludeRequested(const QStringList& files);
    void includeRequested(const QStringList& files);
    void excludeAllRequested();
    void openFolderRequested(const QString& path);
    void copyRequested(const QStringList& paths);

private:
    bool excluded(const QString& file) const { return m_isExcluded && m_isExcluded(file); }

    ProblemsModel* m_model = nullptr;
    QSortFilterProxyModel* m_proxy = nullptr;
    QTableView* m_view = nullptr;
    QLabel* m_summary = nullptr;
    QProgressBar* m_progress = nullptr;
    QComboBox* m_severity = nullptr;
    QLabel* m_excludedLabel = nullptr;
    QAction* m_excludeAction = nullptr;
    QAction* m_includeAction = nullptr;
    QAction* m_excludeAllAction = nullptr;
    QAction* m_openFolderAction = nullptr;
    QAction* m_copyPathAction = nullptr;
    std::function<bool(const QString&)> m_isExcluded;
    QStringList m_badFiles;  // of the last result shown
};

} // namespace ts::ui
