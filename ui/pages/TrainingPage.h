#pragma once
// TrainingPage: step 4, how the model learns. Hyper-parameters (defaults that
// work for transfer learning, a tooltip on each), augmentation with a live
// preview grid of augmented samples of one training image, a preview of the
// learning-rate schedule, and the learning-rate finder (a TrainingWorker job
// on the page's TaskManager) plotting loss against learning rate with its
// suggestion.
//
// A view over the window's ProjectSession: every widget change is written
// into session.config() at once (only the field it shows), and the widgets
// follow configChanged() (a widget is written only when its value differs,
// so typing is never disturbed). The training images per epoch and the
// preview image come from session.dataset() (the first image of the folder
// is looked for in a job).
//
// Thread safety: UI thread only; the destructor cancels the finder and waits
// for it (TaskManager). Lifetimes: the session must outlive the page.
#include "ui/models/TrainTypes.h"

#include <QTimer>
#include <QWidget>

#include <functional>
#include <memory>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QListWidget;
class QPushButton;
class QSpinBox;

namespace ts::ui {

class ConfigBinder;
class CurvePlot;
class ProjectSession;
class TaskManager;

class TrainingPage : public QWidget {
    Q_OBJECT
public:
    explicit TrainingPage(ProjectSession& session, QWidget* parent = nullptr);
    ~TrainingPage() override;

    /// The image of the augmentation preview (normally the first image
    /// found under the session's dataset folder, looked for after each scan).
    void setPreviewImage(const QString& path);
    QString previewImage() const { return m_previewImage; }

    /// Starts the learning-rate finder (lrFinderDone or an error follows).
    void startLrFinder(int steps = 60);
    void cancelLrFinder();
    /// True while the finder or the preview image lookup runs.
    bool isBusy() const;
    bool hasLrSuggestion() const { return m_suggestedLr > 0; }
    double suggestedLr() const { return m_suggestedLr; }

    CurvePlot* schedulePlot() const { return m_schedulePlot; }
    CurvePlot* lrFinderPlot() const { return m_lrPlot; }
    QListWidget* augmentPreview() const { return m_preview; }
    QSpinBox* epochsBox() const { return m_epochs; }
    QDoubleSpinBox* lrBox() const { return m_lr; }
    QComboBox* augmentBox() const { return m_augment; }

    /// Sets every field of this page to the documented defaults
    /// (train::TrainConfig{}) in the session, what the "Reset to defaults" button does.
    void resetToDefaults();
    QPushButton* resetButton() const { return m_resetButton; }
    QDoubleSpinBox* momentumBox() const { return m_momentum; }
    QSpinBox* stepEpochsBox() const { return m_stepEpochs; }
    QDoubleSpinBox* gammaBox() const { return m_gamma; }
    QSpinBox* seedBox() const { return m_seed; }
    QSpinBox* batchBox() const { return m_batch; }

    /// Recomputes the previews now (normally debounced).
    void updatePreviews();

Q_SIGNALS:
    void lrFinderDone();
    /// A step of the finder in progress, plotted as it arrives.
    void lrFinderStep(int step, double lr, double loss);
    void errorOccurred(const ts::ui::TaskError& error);

private:
    /// The widgets show session.config() (those whose value differs are set).
    void showSessionConfig();
    void onDatasetChanged();
    void scheduleUpdate();
    void updateAugmentPreview();
    void onLrStep(double lr, double loss);
    void onLrFound(const train::LrFindResult& result);
    void onLrFailed(const TaskError& error);

    ProjectSession& m_session;
    QString m_previewImage;
    std::unique_ptr<ConfigBinder> m_binder;  ///< every field's widget, bound to the session's config

    QSpinBox* m_epochs = nullptr;
    QSpinBox* m_batch = nullptr;
    QDoubleSpinBox* m_lr = nullptr;
    QComboBox* m_optimizer = nullptr;
    QDoubleSpinBox* m_momentum = nullptr;
    QDoubleSpinBox* m_weightDecay = nullptr;
    QComboBox* m_schedule = nullptr;
    QSpinBox* m_warmup = nullptr;
    QSpinBox* m_stepEpochs = nullptr;
    QDoubleSpinBox* m_gamma = nullptr;
    QDoubleSpinBox* m_labelSmoothing = nullptr;
    QCheckBox* m_classWeights = nullptr;
    QSpinBox* m_patience = nullptr;
    QSpinBox* m_seed = nullptr;

    QComboBox* m_augment = nullptr;
    QDoubleSpinBox* m_rotation = nullptr;
    QDoubleSpinBox* m_brightness = nullptr;
    QDoubleSpinBox* m_contrast = nullptr;
    QDoubleSpinBox* m_saturation = nullptr;
    QCheckBox* m_vflip = nullptr;
    QDoubleSpinBox* m_erasing = nullptr;
    QListWidget* m_preview = nullptr;
    QLabel* m_previewNote = nullptr;

    CurvePlot* m_schedulePlot = nullptr;
    CurvePlot* m_lrPlot = nullptr;
    void updateApplicability();

    QPushButton* m_resetButton = nullptr;
    QPushButton* m_findButton = nullptr;
    QPushButton* m_useButton = nullptr;
    QLabel* m_lrNote = nullptr;
    double m_suggestedLr = 0;
    bool m_finderRunning = false;
    int m_finderSteps = 0;  // steps seen of the finder in progress
    int m_finderTotal = 0;
    QTimer m_debounce;
    TaskManager* m_tasks = nullptr;
    quint64 m_finderJob = 0;
};

} // namespace ts::ui
