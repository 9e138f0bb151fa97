#pragma once
// BackbonePage: step 2, choose the pretrained network. The zoo as a sortable,
// filterable table (name, family, parameters, GFLOPs, ImageNet accuracy,
// weights cached); the selected model's facts and stages beside it. The
// stages come from building the model in a background job (a newer selection
// replaces a request that has not started).
//
// Below the facts, the selected model's official weights can be downloaded
// into the cache (progress bar with MB and speed, Cancel; an interrupted
// download is kept as a .partial and resumed by the next one), or a weights
// file fetched elsewhere can be checked against the model and imported into
// the cache. These jobs run one at a time on a second lane of the page's
// TaskManager (WeightsWorker), so a download never waits behind a model being
// built for its stages, nor the other way round.
//
// Thread safety: UI thread only. Cancel reaches the download through its
// job's ts::Feedback. The destructor (TaskManager) cancels a running download
// and waits for both lanes; an import in progress is waited for (it cannot be
// interrupted while the model is being built and checked).
#include "ui/models/ZooFacts.h"
#include "ui/workers/WeightsWorker.h"

#include <QWidget>

#include <functional>

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QTreeWidget;

namespace ts::ui {

class ProjectSession;

class JobContext;

class TaskManager;
class WeightsWorker;
class ZooTableModel;

class BackbonePage : public QWidget {
    Q_OBJECT
public:
    explicit BackbonePage(QWidget* parent = nullptr);
    ~BackbonePage() override;

    /// Shows only models whose name or family contains `text` (case-insensitive).
    void setFilterText(const QString& text);
    /// Names of the rows shown now, in display order.
    QStringList visibleModelNames() const;
    /// Writes the selection into `session` (not owned; may be null) as its
    /// chosen backbone (ProjectSession::chooseBackbone).
    void setSession(ProjectSession* session) { m_session = session; }
    /// Selects `name`; returns false when it is not shown.
    bool selectBackbone(const QString& name);
    /// The selected architecture; empty when none.
    QString selectedBackbone() const { return m_selected; }
    /// Stages of the selected model (empty until they are built).
    const QVector<StageRow>& stages() const { return m_stages; }
    /// True while the selected model is being built for its stages.
    bool isBusy() const;

    ZooTableModel* model() const { return m_model; }
    QSortFilterProxyModel* proxy() const { return m_proxy; }

    /// Starts downloading the selected model's official weights (what the
    /// "Download weights" button does). Returns false, changing nothing, when
    /// no model is selected, it has no official weights, they are cached, or
    /// another download or import is running.
    bool startDownload();
    /// Asks the running download to stop (the Cancel button); it ends with
    /// its .partial file kept. Does nothing when no download runs.
    void cancelDownload();
    /// Checks `path` against the selected model and copies it into the cache,
    /// in a background job; cached weights are replaced only when `replace`.
    /// The "Import weights file…" button asks for the file and, when weights
    /// are cached, whether to replace them, then calls this. Returns false when
    /// nothing was started (as startDownload()).
    bool importWeightsFile(const QString& path, bool replace = false);
    /// True while a download or an import runs.
    bool isWeightsJobRunning() const { return m_job != WeightsJob::None; }
    /// The status under the weights buttons, in full (plain text): what runs,
    /// where the file went, or what went wrong. The label shows long texts
    /// shortened, with the full one in its tooltip.
    QString weightsStatusText() const { return m_weightsStatusText; }

Q_SIGNALS:
    void backboneChanged(const QString& name);
    /// The cache gained weights for `arch` (downloaded or imported).
    void weightsCached(const QString& arch);
    /// A download or import ended, whichever way.
    void weightsJobFinished(const QString& arch);

private:
    enum class WeightsJob { None, Download, Import };

    void onSelectionChanged();
    void onStagesReady(const QString& arch, const QVector<StageRow>& stages);
    void onStagesFailed(const QString& arch, const QString& message);
    void submitWeightsJob(std::function<WeightsOutcome(JobContext&)> work);
    void onWeightsOutcome(const QString& arch, const WeightsOutcome& outcome);
    void onImportClicked();
    void onDownloadProgress(const QString& arch, qint64 bytes, qint64 totalBytes, double bytesPerSecond);
    void onWeightsFailed(const QString& arch, const QString& message, const QString& details);
    void finishWeightsJob(const QString& arch, bool cacheChanged);
    void setWeightsStatus(const QString& text, bool error = false);
    void updateWeightsControls();
    const ZooRow* selectedRow() const;
    void showDetails(const ZooRow* row);
    void updateCount();

    QLineEdit* m_filter = nullptr;
    QLabel* m_count = nullptr;
    QTableView* m_table = nullptr;
    ZooTableModel* m_model = nullptr;
    QSortFilterProxyModel* m_proxy = nullptr;
    QLabel* m_details = nullptr;
    QLabel* m_stageStatus = nullptr;
    QTreeWidget* m_stageTree = nullptr;
    QString m_selected;
    QVector<StageRow> m_stages;
    TaskManager* m_tasks = nullptr;

    QPushButton* m_downloadButton = nullptr;
    QPushButton* m_importButton = nullptr;
    QPushButton* m_cancelButton = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_weightsStatus = nullptr;
    QString m_weightsStatusText;
    WeightsJob m_job = WeightsJob::None;
    QString m_jobArch;
    quint64 m_weightsJob = 0;  ///< the running download or import
    ProjectSession* m_session = nullptr;
};

} // namespace ts::ui
