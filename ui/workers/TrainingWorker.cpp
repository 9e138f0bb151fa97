#include "ui/workers/TrainingWorker.h"

#include "core/common/Feedback.h"
#include "core/train/TrainConfig.h"
#include "core/train/Trainer.h"

#include <QDir>
#include <QObject>

#include <exception>
#include <new>

namespace ts::ui {
namespace {

// Rethrows the exception being handled as a JobFailure that starts with
// `context` (also ts::Cancelled, which the trainer throws when stopped before
// the run folder exists: the page reports that stop as the run's end);
// std::bad_alloc reads `outOfMemory` when one is given.
[[noreturn]] void rethrowWorded(const QString& context, const QString& outOfMemory = {}) {
    try {
        throw;
    } catch (const std::bad_alloc& e) {
        if (!outOfMemory.isEmpty()) throw JobFailure({outOfMemory, QStringLiteral("std::bad_alloc")});
        const QString what = QString::fromLatin1(e.what());
        throw JobFailure({context + QLatin1Char(' ') + userMessageOf(what), what});
    } catch (const std::exception& e) {
        const QString what = QString::fromStdString(e.what());
        throw JobFailure({context + QLatin1Char(' ') + userMessageOf(what), what});
    }
}

train::TrainResult runTraining(const train::TrainConfig& config, const QString& runDir, bool resume,
                               const QStringList& pinnedProbes, Feedback& feedback, const TrainingEvents& events) {
    train::TrainerCallbacks callbacks;
    callbacks.batchIntervalMs = 100;
    callbacks.onBatch = [&events](const train::BatchEvent& e) { if (events.batch) events.batch(e); };
    callbacks.onEpoch = [&events](const train::EpochMetrics& m) { if (events.epoch) events.epoch(m); };
    callbacks.onLog = [&events](const std::string& line) { if (events.log) events.log(QString::fromStdString(line)); };
    // Probes: predicted class and Grad-CAM of a few images with the weights of
    // each epoch (small images, once per epoch: cheap next to the epoch).
    // The first validation image of each class, up to 12 classes.
    auto probes = std::make_shared<ProbeSet>(config, pinnedProbes, 12);
    callbacks.onEpochModel = [&events, probes](zoo::BackboneImpl& model, const train::EpochMetrics& m) {
        const QVector<ProbeResult> results = probes->run(model);
        if (events.probes) events.probes(m.epoch, results);
    };
    // Everything LibTorch, OpenCV or the trainer throws is a std::exception.
    try {
        return resume ? train::resumeRun(runDir.toStdString(), callbacks, feedback)
                      : train::trainRun(config, runDir.toStdString(), callbacks, feedback);
    } catch (...) {
        rethrowWorded(QObject::tr("Training stopped:"),
                      QObject::tr("Training ran out of memory. Try a smaller batch size or a smaller backbone."));
    }
}

} // namespace

train::TrainResult TrainingWorker::train(const train::TrainConfig& config, const QString& runDir,
                                         const QStringList& pinnedProbes, Feedback& feedback,
                                         const TrainingEvents& events) {
    registerTrainTypes();
    return runTraining(config, runDir, false, pinnedProbes, feedback, events);
}

train::TrainResult TrainingWorker::resume(const QString& runDir, const QStringList& pinnedProbes, Feedback& feedback,
                                          const TrainingEvents& events) {
    registerTrainTypes();
    train::TrainConfig config;
    try {
        config = train::loadTrainConfig(QDir(runDir).filePath(QStringLiteral("config.json")).toStdString());
    } catch (...) {
        rethrowWorded(QObject::tr("The run cannot be resumed:"));
    }
    return runTraining(config, runDir, true, pinnedProbes, feedback, events);
}

train::LrFindResult TrainingWorker::findLearningRate(const train::TrainConfig& config, int steps, Feedback& feedback,
                                                     const std::function<void(double, double)>& onStep) {
    try {
        return train::lrFind(config, feedback, steps, 1e-7, 10.0, [&onStep](double lr, double loss) {
            if (onStep) onStep(lr, loss);
        });
    } catch (...) {
        rethrowWorded(QObject::tr("The learning-rate finder stopped:"));
    }
}

} // namespace ts::ui
