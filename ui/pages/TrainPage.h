#pragma once
// TrainPage: step 5, run the training and watch it. Live curves (per-batch
// and per-epoch train loss, validation loss, train/validation accuracy,
// learning rate) that grow as events arrive, batch progress, images/s, ETA,
// pause/resume/stop and the run's log.
//
// The run is a TrainingWorker job on the page's TaskManager (lane
// "Training"); its events are posted to the UI thread as values and only
// append to the curves' models (drawn in batches on a timer), so the UI
// thread stays responsive. stopAndWait() cancels and waits for the trainer
// to return (it checks the job's Feedback between batches).
//
// Probe images: after each epoch the worker predicts and explains (Grad-CAM)
// a few images with the current weights, by default the first validation
// image of each class (up to 12); pinProbe() (the "Pin image…" button or a
// drop on the page) adds the user's own.
//
// The run's config is the window's ProjectSession's; the page says what is
// missing before Start (the backbone, its weights: WeightsAdvice) whenever
// the session changes, and records each run it starts as the session's
// current run.
//
// Thread safety: UI thread only; the destructor cancels the run and waits for it.
// Lifetimes: the session must outlive the page.
#include "ui/models/ProbeBridge.h"
#include "ui/models/TrainTypes.h"

#include <QElapsedTimer>
#include <QWidget>

#include <functional>

class QDragEnterEvent;
class QDropEvent;
class QGridLayout;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QShowEvent;

namespace ts::ui {

class CurvePlot;
class ProjectSession;
class TaskManager;

class TrainPage : public QWidget {
    Q_OBJECT
public:
    explicit TrainPage(ProjectSession& session, QWidget* parent = nullptr);
    ~TrainPage() override;

    /// Folder under which each run gets its own folder (default: core's runs folder).
    void setRunsRoot(const QString& folder) { m_runsRoot = folder; }
    QString runsRoot() const;
    /// Asks again what must be done before a run can start (no backbone
    /// chosen, its weights not on this computer...: weightsProblem() of the
    /// session's config); while something is, Start is disabled and the page
    /// says it. Done on every change of the session; the window calls it
    /// after a download.
    void updateReadiness();
    /// What the readiness check said last; empty when ready.
    QString notReadyReason() const { return m_notReady; }
    /// Asked before a run starts or resumes: a non-empty reason (another job
    /// trains, e.g. an experiment) is shown instead of starting.
    void setBusyCheck(std::function<QString()> check) { m_busyCheck = std::move(check); }
    /// The status line's text (what the page last said about the run).
    QString statusText() const;

    /// Starts a run with `config` (validated first; an invalid config shows
    /// an error and returns false).
    bool start(const train::TrainConfig& config);
    /// Starts a run with the session's config; refused (false) while
    /// the readiness check says something.
    bool start();
    /// Continues the run folder `runDir` from its last complete epoch, with
    /// the config stored in it (not the wizard's). False, with the reason in
    /// the status, when a run is in progress or `runDir` is not a run.
    bool resumeRun(const QString& runDir);
    /// The run that the "Resume run" button continues (an opened,
    /// interrupted one); empty hides the button.
    void setResumableRun(const QString& runDir);
    QString resumableRun() const { return m_resumable; }
    QPushButton* resumeRunButton() const { return m_resumeRun; }
    void pause();
    void resume();
    /// Asks the run to stop (returns at once).
    void stop();
    /// Stops and waits up to `timeoutMs` for the trainer to return; true when it did.
    bool stopAndWait(int timeoutMs = 30000);
    bool isRunning() const { return m_running; }
    bool isPaused() const { return m_paused; }

    /// The folder of the current or last run, and its bundle (after success).
    QString runDir() const { return m_runDir; }
    QString bundlePath() const { return m_bundlePath; }
    const QVector<train::EpochMetrics>& epochs() const { return m_epochs; }
    const train::TrainResult& lastResult() const { return m_result; }

    /// Pins an image as a probe of the next run (and the runs after it).
    void pinProbe(const QString& file);
    void clearPinnedProbes();
    QStringList pinnedProbes() const { return m_pinned; }
    /// The probes after the last epoch of the current or last run, and that epoch (0: none yet).
    const QVector<ProbeResult>& probes() const { return m_probes; }
    int probesEpoch() const { return m_probesEpoch; }
    QWidget* probeStrip() const { return m_probeStrip; }

    CurvePlot* lossPlot() const { return m_lossPlot; }
    CurvePlot* accuracyPlot() const { return m_accuracyPlot; }
    CurvePlot* lrPlot() const { return m_lrPlot; }
    QLabel* accuracyLabel() const { return m_accuracy; }
    QPlainTextEdit* log() const { return m_log; }
    QPushButton* startButton() const { return m_start; }
    QPushButton* pauseButton() const { return m_pause; }
    QPushButton* stopButton() const { return m_stop; }
    /// A log line of the trainer with its command-line advice in the app's
    /// words ("Resume run" rather than `tstudio resume DIR`).
    static QString inAppWords(QString line);

Q_SIGNALS:
    void runStarted(const QString& runDir);
    /// After a run ends with a model (also when stopped after >= 1 epoch).
    void runFinished(const QString& runDir, const QString& bundlePath);
    void runFailed(const ts::ui::TaskError& error);

protected:
    void showEvent(QShowEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    /// The busy check's reason, shown in the status line; true when there is one.
    bool refusedAsBusy();
    /// Empties the curves, log, probes and progress for a run of `totalEpochs` (new or resumed).
    void clearForRun(int totalEpochs);
    void onProbes(int epoch, const QVector<ProbeResult>& probes);
    void showProbes();
    void onBatch(const train::BatchEvent& e);
    void onEpoch(const train::EpochMetrics& m);
    void onLog(const QString& line);
    void onFinished(const train::TrainResult& result);
    void onFailed(const TaskError& error);
    void setRunning(bool running);

    ProjectSession& m_session;
    QString m_notReady;
    QLabel* m_readyNote = nullptr;
    QString m_runsRoot;
    QString m_runDir;
    QString m_bundlePath;
    bool m_running = false;
    bool m_paused = false;
    int m_totalEpochs = 0;
    QVector<train::EpochMetrics> m_epochs;
    train::TrainResult m_result;

    QPushButton* m_start = nullptr;
    QPushButton* m_resumeRun = nullptr;
    QString m_resumable;
    QPushButton* m_pause = nullptr;
    QPushButton* m_stop = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    QLabel* m_speed = nullptr;
    QLabel* m_eta = nullptr;
    QLabel* m_accuracy = nullptr;
    CurvePlot* m_lossPlot = nullptr;
    CurvePlot* m_accuracyPlot = nullptr;
    CurvePlot* m_lrPlot = nullptr;
    QPlainTextEdit* m_log = nullptr;
    QStringList m_pinned;
    QVector<ProbeResult> m_probes;
    int m_probesEpoch = 0;
    QWidget* m_probeStrip = nullptr;
    QGridLayout* m_probeGrid = nullptr;
    QLabel* m_probeTitle = nullptr;
    QPushButton* m_pinButton = nullptr;
    int m_batchLoss = -1, m_trainLoss = -1, m_valLoss = -1, m_trainAcc = -1, m_valAcc = -1, m_lrSeries = -1;

    TaskManager* m_tasks = nullptr;
    quint64 m_job = 0;  ///< the run in progress
    /// Starts the run job: a new run of `config`, or `resume` of m_runDir.
    void submitRun(const train::TrainConfig& config, bool resume);
    std::function<QString()> m_busyCheck;
};

} // namespace ts::ui
