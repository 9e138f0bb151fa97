#include "ui/workers/TrainingWorker.h"

#include "core/common/Feedback.h"
#include "core/train/TrainConfig.h"
#include "core/train/Trainer.h"

#include <QDir>

#include <exception>
#include <new>

namespace ts::ui {
namespace {

TaskError errorFrom(const QString& what, const QString& context) {
    TaskError error;
    error.userMessage = context + QLatin1Char(' ') + userMessageOf(what);
    error.details = what;
    return error;
}

} // namespace

TrainingWorker::TrainingWorker(QObject* parent) : QObject(parent) {
    registerTrainTypes();
    qRegisterMetaType<ts::ui::ProbeResult>();
    qRegisterMetaType<QVector<ts::ui::ProbeResult>>();
}

void TrainingWorker::setPinnedProbes(const QStringList& files) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_pinned = files;
}

QStringList TrainingWorker::pinnedProbes() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_pinned;
}

TrainingWorker::~TrainingWorker() = default;

std::shared_ptr<Feedback> TrainingWorker::startJob() {
    auto feedback = std::make_shared<Feedback>();
    std::lock_guard<std::mutex> lock(m_mutex);
    m_feedback = feedback;
    return feedback;
}

void TrainingWorker::pause() {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_feedback) m_feedback->pause();
}

void TrainingWorker::resume() {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_feedback) m_feedback->resume();
}

void TrainingWorker::cancel() {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_feedback) m_feedback->cancel();
}

bool TrainingWorker::isPaused() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_feedback && m_feedback->isPaused();
}

void TrainingWorker::train(const ts::train::TrainConfig& config, const QString& runDir) {
    runTraining(config, runDir, false);
}

void TrainingWorker::resumeTraining(const QString& runDir) {
    train::TrainConfig config;
    try {
        config = train::loadTrainConfig(QDir(runDir).filePath(QStringLiteral("config.json")).toStdString());
    } catch (const std::exception& e) {
        Q_EMIT failed(errorFrom(QString::fromStdString(e.what()), tr("The run cannot be resumed:")));
        return;
    }
    runTraining(config, runDir, true);
}

void TrainingWorker::runTraining(const ts::train::TrainConfig& config, const QString& runDir, bool resume) {
    const std::shared_ptr<Feedback> feedback = startJob();
    train::TrainerCallbacks callbacks;
    callbacks.batchIntervalMs = 100;
    callbacks.onBatch = [this](const train::BatchEvent& e) { Q_EMIT batchDone(e); };
    callbacks.onEpoch = [this](const train::EpochMetrics& m) { Q_EMIT epochDone(m); };
    callbacks.onLog = [this](const std::string& line) { Q_EMIT logLine(QString::fromStdString(line)); };
    // Probes: predicted class and Grad-CAM of a few images with the weights of
    // each epoch (small images, once per epoch: cheap next to the epoch).
    // The first validation image of each class, up to 12 classes.
    auto probes = std::make_shared<ProbeSet>(config, pinnedProbes(), 12);
    callbacks.onEpochModel = [this, probes](zoo::BackboneImpl& model, const train::EpochMetrics& m) {
        Q_EMIT probesUpdated(m.epoch, probes->run(model));
    };
    // Everything LibTorch, OpenCV or the trainer throws is a std::exception;
    // none may leave a slot (it would end the application).
    try {
        const train::TrainResult result = resume ? train::resumeRun(runDir.toStdString(), callbacks, *feedback)
                                                 : train::trainRun(config, runDir.toStdString(), callbacks, *feedback);
        Q_EMIT finished(result);
    } catch (const std::bad_alloc&) {
        Q_EMIT failed({tr("Training ran out of memory. Try a smaller batch size or a smaller backbone."),
                       QStringLiteral("std::bad_alloc")});
    } catch (const std::exception& e) {
        Q_EMIT failed(errorFrom(QString::fromStdString(e.what()), tr("Training stopped:")));
    }
    std::lock_guard<std::mutex> lock(m_mutex);
    m_feedback.reset();
}

void TrainingWorker::findLearningRate(const ts::train::TrainConfig& config, int steps) {
    const std::shared_ptr<Feedback> feedback = startJob();
    try {
        const train::LrFindResult result = train::lrFind(config, *feedback, steps, 1e-7, 10.0,
                                                         [this](double lr, double loss) { Q_EMIT lrStep(lr, loss); });
        Q_EMIT lrFound(result);
    } catch (const std::exception& e) {
        Q_EMIT failed(errorFrom(QString::fromStdString(e.what()), tr("The learning-rate finder stopped:")));
    }
    std::lock_guard<std::mutex> lock(m_mutex);
    m_feedback.reset();
}

} // namespace ts::ui
