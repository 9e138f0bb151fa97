#pragma once
// ExperimentsPage: step 6, several trainings of the session's config side by
// side (core/experiment), and every run of the runs folder compared.
//
// Top: a grid built from the session's config, one row of check boxes per
// axis (backbones, freeze presets, augmentation presets, learning rates;
// the config's own value checked), or The three strategies (core's
// seed-strategies preset); the number of trials and a time estimate from the
// last run's seconds per epoch. Run experiment queues the whole experiment as
// one job on the page's "Training" lane (ExperimentWorker: core's
// runExperiment into <runs folder>/<time>-experiment); the queue lists each
// trial's state as the runner reports it, and the current trial's curves grow
// as on the Train page. Stop ends the trial being trained after its batch;
// Resume continues an interrupted experiment (also one found in the runs
// folder when the project is opened again).
//
// Below: the runs table, every run and experiment trial of the runs folder
// (read in a background job through ExperimentBridge's scanRuns: a damaged
// folder is a row with its error), sortable, with a filter. Selecting runs
// overlays their validation accuracy (the legend names only the config keys
// that differ between them), beside the config diff of two runs (the keys that
// differ; a column per run when more are selected) and their validation
// confusion matrices side by side; for one run,
// Open in Inspect / Export (through the window: inspectRequested /
// exportRequested) and Report (the HTML report, core/report, written in a
// background job).
//
// Thread safety: UI thread only; the destructor cancels the jobs and waits.
// Lifetimes: the session must outlive the page.
#include "ui/models/ExperimentBridge.h"
#include "ui/workers/ExperimentWorker.h"

#include <QMap>
#include <QWidget>

#include <functional>

class QCheckBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QScrollArea;
class QShowEvent;
class QSortFilterProxyModel;
class QStandardItemModel;
class QTableView;
class QTableWidget;
class QTabWidget;

namespace ts::ui {

class CurvePlot;
class ProjectSession;
class TaskManager;

class ExperimentsPage : public QWidget {
    Q_OBJECT
public:
    explicit ExperimentsPage(ProjectSession& session, QWidget* parent = nullptr);
    ~ExperimentsPage() override;

    /// Where the runs are (the Train page's runs folder); called on every use.
    void setRunsRootProvider(std::function<QString()> provider) { m_runsRoot = std::move(provider); }
    QString runsRoot() const;
    /// Asked before an experiment starts: a non-empty answer (a training
    /// already running elsewhere in the window) refuses it with that reason.
    void setBusyCheck(std::function<QString()> check) { m_busyCheck = std::move(check); }

    // --- the grid ---
    /// The check box of `value` on the axis `key` ("arch", "freeze",
    /// "augment.preset", "lr"; an lr value as QString::number(lr)); null when there is none.
    QCheckBox* axisBox(const QString& key, const QString& value) const;
    /// What the check boxes (or The three strategies) ask for now.
    ExperimentGrid grid() const;
    /// The trials of grid() over the session's config.
    ExperimentPlan plan() const;
    QPushButton* strategiesButton() const { return m_strategies; }
    QLabel* planLabel() const { return m_planLabel; }

    // --- running ---
    /// Queues the experiment of grid(); false with the reason on the page
    /// (an empty grid, a config that is not valid, one already running).
    bool runExperiment();
    /// Continues the experiment in `expDir`; false when one is running or it is not an experiment.
    bool resumeExperiment(const QString& expDir);
    /// The experiment that Resume continues (empty: none).
    QString resumableExperiment() const { return m_resumable; }
    /// Asks the experiment to stop after the current batch (returns at once).
    void stop();
    /// Stops and waits up to `timeoutMs` for it to return; true when it did.
    bool stopAndWait(int timeoutMs = 30000);
    bool isRunning() const { return m_running; }
    /// The experiment being run or last run.
    QString experimentDir() const { return m_expDir; }
    const QVector<TrialState>& trials() const { return m_trials; }
    QListWidget* queueList() const { return m_queue; }
    QLabel* statusLabel() const { return m_status; }
    QPushButton* runButton() const { return m_run; }
    QPushButton* stopButton() const { return m_stop; }
    QPushButton* resumeButton() const { return m_resume; }
    CurvePlot* liveAccuracyPlot() const { return m_liveAccuracy; }
    CurvePlot* liveLossPlot() const { return m_liveLoss; }

    // --- the runs ---
    /// Reads the runs folder again (a background job; rowsChanged() after).
    void refreshRuns();
    /// True while the runs are read or a report is written.
    bool isBusy() const;
    const QVector<RunRow>& rows() const { return m_rows; }
    QTableView* runsTable() const { return m_table; }
    QSortFilterProxyModel* runsProxy() const { return m_proxy; }
    QLineEdit* filterEdit() const { return m_filter; }
    /// Selects the rows of these run folders in the table (the others are deselected).
    void selectRuns(const QStringList& runDirs);
    /// The selected rows' run folders, in table order.
    QStringList selectedRuns() const;
    CurvePlot* overlayPlot() const { return m_overlay; }
    /// The legend of each selected run's curve, in table order.
    QStringList overlayLegend() const { return m_legend; }
    QTableWidget* diffTable() const { return m_diff; }
    QTableWidget* confusionTable(int i) const { return i == 0 ? m_confusionA : m_confusionB; }
    QPushButton* inspectButton() const { return m_inspect; }
    QPushButton* exportButton() const { return m_export; }
    QPushButton* reportButton() const { return m_report; }
    /// Opens the one selected run in Inspect / Export (false: not exactly one run with a model).
    bool openSelectedInInspect();
    bool openSelectedInExport();
    /// Writes the selected run's HTML report to `path` in a background job
    /// (reportWritten or reportFailed after); false when not exactly one run is selected.
    bool writeReport(const QString& path);

Q_SIGNALS:
    void inspectRequested(const QString& runDir);
    void exportRequested(const QString& runDir);
    void experimentStarted(const QString& expDir);
    void experimentEnded(const QString& expDir);
    void rowsChanged();
    void reportWritten(const QString& path);
    void reportFailed(const ts::ui::TaskError& error);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void rebuildAxes();
    void updatePlan();
    void setRunning(bool running);
    void submit(const QString& expDir, bool resume, const ExperimentGrid& grid);
    void onTrial(const TrialState& state);
    void onBatch(const train::BatchEvent& e);
    void onEpoch(const train::EpochMetrics& m);
    void onEnded(const QString& text);
    void showQueue();
    void showRows(const RunsScan& scan);
    void updateSelection();
    /// The rows selected in the table (indices into m_rows), in table order.
    QVector<int> selectedRows() const;
    int oneSelectedRow() const;
    /// The seconds per epoch of the newest run with a complete epoch (0: none).
    double lastSecondsPerEpoch() const;

    ProjectSession& m_session;
    std::function<QString()> m_runsRoot;
    std::function<QString()> m_busyCheck;
    /// The reason m_busyCheck gives (empty: none); shown instead of starting.
    bool refusedAsBusy();
    TaskManager* m_tasks = nullptr;

    // the grid
    QScrollArea* m_axesScroll = nullptr;
    QWidget* m_axesHost = nullptr;
    QMap<QString, QVector<QCheckBox*>> m_axisBoxes;  ///< key -> its boxes (property "value")
    QMap<QString, QString> m_axisCurrent;            ///< key -> the config's value when the boxes were made
    QPushButton* m_strategies = nullptr;
    QLabel* m_planLabel = nullptr;
    QPushButton* m_run = nullptr;
    QPushButton* m_stop = nullptr;
    QPushButton* m_resume = nullptr;
    QLabel* m_status = nullptr;

    // the run
    bool m_running = false;
    quint64 m_job = 0;
    QString m_expDir;
    QString m_resumable;
    QVector<TrialState> m_trials;
    QString m_currentTrial;
    QListWidget* m_queue = nullptr;
    QLabel* m_trialLabel = nullptr;
    CurvePlot* m_liveAccuracy = nullptr;
    CurvePlot* m_liveLoss = nullptr;
    int m_batchLoss = -1, m_trainLoss = -1, m_valLoss = -1, m_trainAcc = -1, m_valAcc = -1;
    QPlainTextEdit* m_log = nullptr;

    // the runs
    quint64 m_scanJob = 0;
    quint64 m_reportJob = 0;
    QVector<RunRow> m_rows;
    QStandardItemModel* m_model = nullptr;
    QSortFilterProxyModel* m_proxy = nullptr;
    QTableView* m_table = nullptr;
    QLineEdit* m_filter = nullptr;
    QLabel* m_runsNote = nullptr;
    QTabWidget* m_tabs = nullptr;
    CurvePlot* m_overlay = nullptr;
    QStringList m_legend;
    QTableWidget* m_diff = nullptr;
    QLabel* m_diffNote = nullptr;
    QTableWidget* m_confusionA = nullptr;
    QTableWidget* m_confusionB = nullptr;
    QLabel* m_confusionTitleA = nullptr;
    QLabel* m_confusionTitleB = nullptr;
    QPushButton* m_inspect = nullptr;
    QPushButton* m_export = nullptr;
    QPushButton* m_report = nullptr;
};

}  // namespace ts::ui
