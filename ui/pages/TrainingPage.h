#pragma once
// TrainingPage: step 4, how the model learns. Hyper-parameters (defaults that
// work for transfer learning, a tooltip on each), augmentation with a live
// preview grid of augmented samples of one training image, a preview of the
// learning-rate schedule, and the learning-rate finder (a TrainingWorker job
// on the page's TaskManager) plotting loss against learning rate with its
// suggestion.
//
// Thread safety: UI thread only; the destructor cancels the finder and waits
// for it (TaskManager).
#include "ui/models/TrainTypes.h"

#include <QTimer>
#include <QWidget>

#include <functional>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QListWidget;
class QPushButton;
class QSpinBox;

namespace ts::ui {

class CurvePlot;
class TaskManager;

class TrainingPage : public QWidget {
    Q_OBJECT
public:
    explicit TrainingPage(QWidget* parent = nullptr);
    ~TrainingPage() override;

    /// Where the page gets the rest of the config (data folder, backbone,
    /// freeze plan) for the finder and the previews; in the window, the
    /// ProjectSession's config (MainWindow::currentConfig).
    void setConfigSource(std::function<train::TrainConfig()> source) { m_source = std::move(source); }
    /// Training images per epoch (for the schedule preview's steps).
    void setTrainImages(qint64 n);
    /// An image of the training set for the augmentation preview.
    void setPreviewImage(const QString& path);

    /// Writes the page's values into `config`.
    void applyTo(train::TrainConfig& config) const;
    void loadFrom(const train::TrainConfig& config);

    /// Starts the learning-rate finder (lrFinderDone or an error follows).
    void startLrFinder(int steps = 60);
    void cancelLrFinder();
    bool isBusy() const { return m_finderRunning; }
    bool hasLrSuggestion() const { return m_suggestedLr > 0; }
    double suggestedLr() const { return m_suggestedLr; }

    CurvePlot* schedulePlot() const { return m_schedulePlot; }
    CurvePlot* lrFinderPlot() const { return m_lrPlot; }
    QListWidget* augmentPreview() const { return m_preview; }
    QSpinBox* epochsBox() const { return m_epochs; }
    QDoubleSpinBox* lrBox() const { return m_lr; }
    QComboBox* augmentBox() const { return m_augment; }

    /// Sets every field to the documented defaults (train::TrainConfig{}),
    /// what the "Reset to defaults" button does.
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
    void configChanged();
    void lrFinderDone();
    /// A step of the finder in progress, plotted as it arrives.
    void lrFinderStep(int step, double lr, double loss);
    void errorOccurred(const ts::ui::TaskError& error);

private:
    void scheduleUpdate();
    void updateAugmentPreview();
    void onLrStep(double lr, double loss);
    void onLrFound(const train::LrFindResult& result);
    void onLrFailed(const TaskError& error);

    std::function<train::TrainConfig()> m_source;
    qint64 m_trainImages = 0;
    QString m_previewImage;

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
