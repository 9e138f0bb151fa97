#pragma once
// ExperimentWorker: the job body of an experiment (core/experiment's
// createExperiment and runExperiment). It runs on a TaskManager lane (the
// Experiments page's "Training" lane), synchronously on the calling thread,
// and reports each trial's change of state, the current trial's batches and
// epochs and the log through the events below on that thread (the page wraps
// each in JobContext::post, so it reaches the UI thread as a value).
//
// A cancel of the job's Feedback stops the trial being trained after its
// current batch; the experiment stays resumable (resume() continues it:
// finished trials are kept, the interrupted one resumes from its last
// complete epoch). Failures throw JobFailure worded for the user
// ("The experiment stopped: …").
//
// Lifetimes: the events are called until the function returns, never after.
#include "ui/models/ExperimentBridge.h"
#include "ui/models/TrainTypes.h"

#include <QMetaType>
#include <QString>
#include <QVector>

#include <functional>

namespace ts {
class Feedback;
}

namespace ts::ui {

/// A trial's entry in the experiment's index, as the queue list shows it.
struct TrialState {
    QString id;      ///< "t000"
    QString runDir;  ///< absolute
    QString params;  ///< "freeze=last:2, lr=0.0001"
    /// pending, running, finished, stopped (by successive halving) or failed
    QString status;
    QString error;  ///< failed: why
    int index = 0;  ///< 1-based
    int total = 0;
};

struct ExperimentEvents {
    std::function<void(const TrialState&)> trial;
    std::function<void(const train::BatchEvent&)> batch;
    std::function<void(const train::EpochMetrics&)> epoch;
    std::function<void(const QString&)> log;
};

struct ExperimentOutcome {
    QString expDir;
    bool cancelled = false;
    int finished = 0, stopped = 0, failed = 0, pending = 0;
};

class ExperimentWorker {
public:
    /// Creates the experiment folder `expDir` for `grid` over `base` and runs it.
    static ExperimentOutcome start(const train::TrainConfig& base, const ExperimentGrid& grid, const QString& expDir,
                                   Feedback& feedback, const ExperimentEvents& events);
    /// Continues the experiment in `expDir`.
    static ExperimentOutcome resume(const QString& expDir, Feedback& feedback, const ExperimentEvents& events);
    /// The trials of the experiment in `expDir` as its index says. Throws
    /// ts::Error naming the file when it is not an experiment or is damaged.
    static QVector<TrialState> readTrials(const QString& expDir);
    /// True when some trial of `trials` has still something to train.
    static bool resumable(const QVector<TrialState>& trials);
};

}  // namespace ts::ui

Q_DECLARE_METATYPE(ts::ui::TrialState)
