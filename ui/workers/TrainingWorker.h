#pragma once
// TrainingWorker: runs training and the learning-rate range test off the UI
// thread (core/train/Trainer.h).
//
// Lives on a QThread (see TrainPage and TrainingPage); call train() and
// findLearningRate() queued. Events cross back as queued signals carrying
// value types. pause(), resume() and cancel() may be called from any thread:
// they only set the run's Feedback flags, which the trainer checks between
// batches. Each train() ends in exactly one finished() or failed(); each
// findLearningRate() in one lrFound() or failed(). Never throws.
#include "ui/models/ProbeBridge.h"
#include "ui/models/TrainTypes.h"

#include <QObject>

#include <atomic>
#include <memory>
#include <mutex>

namespace ts { class Feedback; }

namespace ts::ui {

class TrainingWorker : public QObject {
    Q_OBJECT
public:
    explicit TrainingWorker(QObject* parent = nullptr);
    ~TrainingWorker() override;

    /// Thread-safe controls of the job in progress (no effect when idle).
    void pause();
    void resume();
    void cancel();
    bool isPaused() const;
    /// Images to probe after each epoch besides the default ones (the first
    /// validation image of each class); read when a run starts. Thread-safe.
    void setPinnedProbes(const QStringList& files);
    QStringList pinnedProbes() const;

public Q_SLOTS:
    /// Trains `config` into `runDir` (a new folder).
    void train(const ts::train::TrainConfig& config, const QString& runDir);
    /// Continues the run in `runDir` from its last complete epoch
    /// (core's train::resumeRun), with the config stored there.
    void resumeTraining(const QString& runDir);
    /// Learning-rate range test over `steps` batches.
    void findLearningRate(const ts::train::TrainConfig& config, int steps);

Q_SIGNALS:
    void batchDone(const ts::train::BatchEvent& event);
    void epochDone(const ts::train::EpochMetrics& metrics);
    void logLine(const QString& line);
    /// After each epoch: the probe images' predictions and Grad-CAM.
    void probesUpdated(int epoch, const QVector<ts::ui::ProbeResult>& probes);
    void finished(const ts::train::TrainResult& result);
    /// Each step of the range test as it is done: its rate and smoothed loss.
    void lrStep(double lr, double loss);
    void lrFound(const ts::train::LrFindResult& result);
    void failed(const ts::ui::TaskError& error);

private:
    std::shared_ptr<Feedback> startJob();
    void runTraining(const ts::train::TrainConfig& config, const QString& runDir, bool resume);

    mutable std::mutex m_mutex;
    std::shared_ptr<Feedback> m_feedback;  // of the job in progress
    QStringList m_pinned;
};

} // namespace ts::ui
