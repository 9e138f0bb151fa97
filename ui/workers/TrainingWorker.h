#pragma once
// TrainingWorker: the job bodies of training, resuming and the learning-rate
// range test (core/train/Trainer.h). They run on a TaskManager lane (see
// TrainPage and TrainingPage), synchronously on the calling thread, and
// report through the events below on that thread (the pages wrap each one in
// JobContext::post, so it reaches the UI thread as a value).
//
// pause(), resume() and cancel() of the TaskManager set the job's Feedback,
// which the trainer checks between batches; a cancelled run returns the
// epochs it completed (TrainResult::cancelled). Failures throw JobFailure
// (TaskError.h) worded for the user: "Training stopped: …", the
// out-of-memory advice, "The run cannot be resumed: …", "The learning-rate
// finder stopped: …"; a stop before anything was written (ts::Cancelled)
// is worded the same way, so each job ends in a result or a failure.
//
// Lifetimes: the events are called until the function returns, never after.
#include "ui/models/ProbeBridge.h"
#include "ui/models/TrainTypes.h"

#include <QString>
#include <QStringList>
#include <QVector>

#include <functional>

namespace ts {
class Feedback;
}

namespace ts::ui {

/// What a training job reports while it runs (each may be null).
struct TrainingEvents {
    std::function<void(const train::BatchEvent&)> batch;
    std::function<void(const train::EpochMetrics&)> epoch;
    std::function<void(const QString&)> log;
    /// After each epoch: the probe images' predictions and Grad-CAM.
    std::function<void(int epoch, const QVector<ProbeResult>&)> probes;
};

class TrainingWorker {
public:
    /// Trains `config` into `runDir` (a new folder). `pinnedProbes`: images to
    /// probe after each epoch besides the first validation image of each class.
    static train::TrainResult train(const train::TrainConfig& config, const QString& runDir,
                                    const QStringList& pinnedProbes, Feedback& feedback, const TrainingEvents& events);
    /// Continues the run in `runDir` from its last complete epoch (core's
    /// train::resumeRun), with the config stored there.
    static train::TrainResult resume(const QString& runDir, const QStringList& pinnedProbes, Feedback& feedback,
                                     const TrainingEvents& events);
    /// Learning-rate range test over `steps` batches; `onStep` receives each
    /// step's rate and smoothed loss as it is done.
    static train::LrFindResult findLearningRate(const train::TrainConfig& config, int steps, Feedback& feedback,
                                                const std::function<void(double lr, double loss)>& onStep);
};

} // namespace ts::ui
