#include "ui/workers/ExperimentWorker.h"

#include "core/common/Feedback.h"
#include "core/common/Json.h"
#include "core/experiment/Experiment.h"
#include "core/train/Trainer.h"

#include <QDir>
#include <QFileInfo>
#include <QObject>

#include <exception>
#include <new>

namespace ts::ui {
namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

TrialState stateOf(const experiment::TrialRecord& t, const QString& expDir, int index, int total) {
    TrialState s;
    s.id = qs(t.id);
    s.runDir = QFileInfo(QDir(expDir).filePath(qs(t.runDir))).absoluteFilePath();
    QStringList parts;
    if (t.params.is_object())
        for (auto it = t.params.begin(); it != t.params.end(); ++it)
            parts << qs(printable(it.key(), 60)) + QLatin1Char('=') +
                         qs(printable(it->is_string() ? it->get<std::string>() : it->dump(), 60));
    s.params = parts.join(QStringLiteral(", "));
    s.status = qs(experiment::toString(t.status));
    s.error = qs(printable(t.error, 400));
    s.index = index;
    s.total = total;
    return s;
}

[[noreturn]] void rethrowWorded() {
    try {
        throw;
    } catch (const JobFailure&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw JobFailure(
            {QObject::tr("The experiment ran out of memory. Try a smaller batch size or a smaller backbone."),
             QStringLiteral("std::bad_alloc")});
    } catch (const std::exception& e) {
        const QString what = QString::fromStdString(e.what());
        throw JobFailure({QObject::tr("The experiment stopped:") + QLatin1Char(' ') + userMessageOf(what), what});
    }
}

ExperimentOutcome runIt(const QString& expDir, Feedback& feedback, const ExperimentEvents& events) {
    train::TrainerCallbacks trainer;
    trainer.batchIntervalMs = 100;
    trainer.onBatch = [&events](const train::BatchEvent& e) {
        if (events.batch) events.batch(e);
    };
    trainer.onEpoch = [&events](const train::EpochMetrics& m) {
        if (events.epoch) events.epoch(m);
    };
    trainer.onLog = [&events](const std::string& line) {
        if (events.log) events.log(qs(line));
    };
    experiment::ExperimentCallbacks callbacks;
    callbacks.trainer = &trainer;
    callbacks.onLog = [&events](const std::string& line) {
        if (events.log) events.log(qs(line));
    };
    callbacks.onTrial = [&events, &expDir](const experiment::TrialEvent& e) {
        if (events.trial) events.trial(stateOf(e.trial, expDir, e.index, e.total));
    };
    const experiment::ExperimentResult r = experiment::runExperiment(expDir.toStdString(), callbacks, feedback);
    ExperimentOutcome out;
    out.expDir = expDir;
    out.cancelled = r.cancelled;
    out.finished = r.finished;
    out.stopped = r.stopped;
    out.failed = r.failed;
    out.pending = r.pending;
    return out;
}

}  // namespace

ExperimentOutcome ExperimentWorker::start(const train::TrainConfig& base, const ExperimentGrid& grid,
                                          const QString& expDir, Feedback& feedback, const ExperimentEvents& events) {
    registerTrainTypes();
    try {
        createExperimentFolder(base, grid, expDir);
        // Every trial as pending first: the queue shows the whole experiment.
        const QVector<TrialState> trials = readTrials(expDir);
        for (const TrialState& t : trials)
            if (events.trial) events.trial(t);
        return runIt(expDir, feedback, events);
    } catch (...) {
        rethrowWorded();
    }
}

ExperimentOutcome ExperimentWorker::resume(const QString& expDir, Feedback& feedback, const ExperimentEvents& events) {
    registerTrainTypes();
    try {
        return runIt(expDir, feedback, events);
    } catch (...) {
        rethrowWorded();
    }
}

QVector<TrialState> ExperimentWorker::readTrials(const QString& expDir) {
    const experiment::Experiment ex = experiment::loadExperiment(expDir.toStdString());
    QVector<TrialState> out;
    const int total = int(ex.trials.size());
    for (int i = 0; i < total; ++i) out << stateOf(ex.trials[size_t(i)], expDir, i + 1, total);
    return out;
}

bool ExperimentWorker::resumable(const QVector<TrialState>& trials) {
    for (const TrialState& t : trials)
        if (t.status == QLatin1String("pending") || t.status == QLatin1String("running")) return true;
    return false;
}

}  // namespace ts::ui
