#pragma once
// LayersPage: step 3, decide which parts of the backbone learn.
//
// The model as a tree of stages (and the modules they group), each stage with
// a check box: checked = trains. Presets: feature extraction (only the new
// head), fine-tune the last N stages, train everything; a stage's box
// overrides its preset, and the BatchNorm policy says whether trainable
// BatchNorm layers update their statistics. The page also sets learning-rate multipliers (one for
// the trainable backbone, and per stage in the tree's "LR ×" column, with a
// one-click graded set: each stage back from the head gets a fixed fraction
// of the next one's rate), the new head (hidden units, dropout) and where the
// pretrained weights come from. The trainable parameter count follows every
// change. BatchNorm policy (core/train/FreezePlan.h): frozen BatchNorm layers
// stay in eval mode, so their running statistics are used and kept.
//
// Building a backbone takes seconds for the large ones (VGG, ConvNeXt): the
// page builds it in a TaskManager job and shows a busy bar meanwhile; the last few
// architectures stay cached, so the presets and boxes then answer at once.
//
// A view over the window's ProjectSession: the model is session.backbone()
// with the classes of session.dataset() (2 until a dataset is scanned);
// every choice is written into session.config() at once (freeze preset,
// stage overrides, learning-rate multipliers, BatchNorm policy, head,
// weights), and the widgets and the tree follow configChanged() (a widget is
// set only when its value differs). Whether the frozen backbone's features
// will be cached follows the config's augmentation and feature cache.
//
// Thread safety: UI thread only. Lifetimes: the session must outlive the page.
#include "ui/models/ModelBridge.h"

#include <functional>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTreeWidget;
class QTreeWidgetItem;

namespace ts::ui {

class ProjectSession;
class TaskManager;

class LayersPage : public QWidget {
    Q_OBJECT
public:
    enum Preset { FeatureExtraction, FineTuneLast, TrainEverything };
    enum WeightsSource { OfficialWeights, WeightsFile, RandomInit };

    explicit LayersPage(ProjectSession& session, QWidget* parent = nullptr);

    /// The model shown: the session's chosen backbone (empty when none) and
    /// the class count of its dataset.
    QString arch() const { return m_arch; }
    int numClasses() const { return m_numClasses; }

    /// Chooses a preset (dropping the stage overrides), in the session.
    void setPreset(Preset preset, int lastStages = 2);
    Preset preset() const;
    /// Overrides one stage (true = trains); false when there is no such stage.
    bool setStageTrainable(const QString& stage, bool trainable);
    /// Sets one stage's learning-rate multiplier (relative to the peak rate);
    /// a negative value clears it (the stage then follows the backbone's
    /// multiplier, the head x1). False when there is no such stage.
    bool setStageLrMultiplier(const QString& stage, double multiplier);
    /// The stage's own multiplier, or -1 when it has none.
    double stageLrMultiplier(const QString& stage) const;
    /// Graded rates: the head x1, and each trainable backbone stage, going
    /// back from the head, `factor` times the rate of the stage after it.
    void gradeStageLrMultipliers(double factor);
    /// Forgets every per-stage multiplier.
    void clearStageLrMultipliers();
    void setWeightsSource(WeightsSource source, const QString& file = {});
    WeightsSource weightsSource() const;

    /// Re-reads whether the official weights are cached (after a download or an import).
    void refreshWeightsNote() { updateWeightsNote(); }
    /// Why training cannot start with the chosen backbone and weights, in the
    /// app's words (what to click where); empty when it can.
    QString weightsProblem() const;

    /// True while the backbone is being built on the worker (report() is then
    /// that of the previous model, or empty).
    bool isBusy() const;
    QWidget* busyIndicator() const { return m_busy; }

    const FreezeReport& report() const { return m_report; }
    qint64 trainableParams() const { return m_report.trainable; }
    QTreeWidget* tree() const { return m_tree; }
    QLabel* countLabel() const { return m_count; }

Q_SIGNALS:
    /// The plan shown changed (after the session's config or model did).
    void planChanged();

private:
    /// The widgets show session.config() and the tree its plan.
    void showSessionConfig();
    /// Writes one change into the session's config.
    void write(const std::function<void(train::TrainConfig&)>& edit);
    /// The weights choice of the widgets, into `config`.
    void writeWeights(train::TrainConfig& config) const;
    void refresh();
    void rebuildTree();
    void onItemChanged(QTreeWidgetItem* item, int column);
    void updateWeightsNote();
    double effectiveLrMultiplier(const FreezeStageRow& stage) const;

    ProjectSession& m_session;
    QString m_arch;        ///< the model the tree shows (the session's backbone)
    int m_numClasses = 2;  ///< and its classes (the session's dataset)
    QString m_shownKey;    ///< the session's page state last shown
    QComboBox* m_preset = nullptr;
    QSpinBox* m_lastN = nullptr;
    QDoubleSpinBox* m_lrMultiplier = nullptr;
    QSpinBox* m_hidden = nullptr;
    QDoubleSpinBox* m_dropout = nullptr;
    QComboBox* m_weights = nullptr;
    QLineEdit* m_weightsFile = nullptr;
    QPushButton* m_browse = nullptr;
    QLabel* m_weightsNote = nullptr;
    QTreeWidget* m_tree = nullptr;
    QLabel* m_count = nullptr;
    QLabel* m_error = nullptr;
    QWidget* m_busy = nullptr;
    QLabel* m_busyLabel = nullptr;
    TaskManager* m_tasks = nullptr;
    QString m_building;  // key of the model being built, empty when none
    QDoubleSpinBox* m_gradeFactor = nullptr;
    QComboBox* m_bnPolicy = nullptr;
    FreezeReport m_report;
    bool m_updating = false;
    bool m_writing = false;  ///< inside write(): the widgets already show the change
};

} // namespace ts::ui
