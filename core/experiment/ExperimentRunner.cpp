// runExperiment(): the trials one after another, in rungs with successive
// halving (the schedule is in Experiment.h), resumable at any point.
#include "core/experiment/Experiment.h"
#include "core/experiment/ExperimentInternal.h"

#include "core/common/Error.h"
#include "core/common/ErrorMessage.h"
#include "core/common/Json.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

namespace fs = std::filesystem;

namespace ts::experiment {
namespace {

using Clock = std::chrono::steady_clock;

/// s: the largest whole number with eta^s <= n (0 without halving).
int halvingRungs(int eta, size_t n) {
    if (eta < 2) return 0;
    int s = 0;
    uint64_t power = static_cast<uint64_t>(eta);
    while (power <= n) {
        ++s;
        power *= static_cast<uint64_t>(eta);
    }
    return s;
}

/// The epoch rung `rung` of `rungs` halvings ends after, for a trial of `epochs`.
int rungEpoch(int epochs, int eta, int rung, int rungs) {
    if (rung >= rungs) return epochs;
    double divisor = 1.0;
    for (int i = rung; i < rungs; ++i) divisor *= eta;
    return std::max(1, static_cast<int>(epochs / divisor));
}

class Runner {
public:
    Runner(const std::string& expDir, const ExperimentCallbacks& cb, Feedback& feedback)
        : m_ex(loadExperiment(expDir)), m_cb(cb), m_feedback(feedback) {}

    ExperimentResult run();

private:
    enum class Outcome { Done, Cancelled };
    Outcome session(size_t idx, int rung, int untilEpoch);
    void emit(TrialEvent::Kind kind, size_t idx, int rung, int untilEpoch, bool resumed = false,
              const train::TrainResult* result = nullptr) {
        if (!m_cb.onTrial) return;
        TrialEvent e;
        e.kind = kind;
        e.trial = m_ex.trials[idx];
        e.index = static_cast<int>(idx) + 1;
        e.total = static_cast<int>(m_ex.trials.size());
        e.rung = rung;
        e.rungs = m_rungs + 1;
        e.untilEpoch = untilEpoch;
        e.resumed = resumed;
        if (result) e.result = *result;
        m_cb.onTrial(e);
    }
    void log(const std::string& line) {
        if (m_cb.onLog) m_cb.onLog(line);
    }
    ExperimentResult result(bool cancelled) const {
        ExperimentResult r;
        r.cancelled = cancelled;
        for (const auto& t : m_ex.trials) {
            if (t.status == TrialStatus::Finished) ++r.finished;
            else if (t.status == TrialStatus::Stopped) ++r.stopped;
            else if (t.status == TrialStatus::Failed) ++r.failed;
            else ++r.pending;
        }
        return r;
    }

    Experiment m_ex;
    const ExperimentCallbacks& m_cb;
    Feedback& m_feedback;
    std::vector<train::TrainConfig> m_configs;
    int m_rungs = 0;
};

ExperimentResult Runner::run() {
    for (const auto& t : m_ex.trials) m_configs.push_back(m_ex.configOf(t));
    const int eta = m_ex.spec.halvingEta;
    m_rungs = halvingRungs(eta, m_ex.trials.size());
    std::vector<size_t> racing(m_ex.trials.size());
    for (size_t i = 0; i < racing.size(); ++i) racing[i] = i;
    for (int rung = 0; rung <= m_rungs; ++rung) {
        for (size_t idx : racing) {
            TrialRecord& t = m_ex.trials[idx];
            if (t.status == TrialStatus::Finished || t.status == TrialStatus::Failed) continue;
            const int until = rungEpoch(m_configs[idx].epochs, eta, rung, m_rungs);
            // A trial that already reached this rung (in an earlier session) waits for the ranking.
            if (rung < m_rungs && static_cast<int>(detail::readMetrics(m_ex.runPath(t)).size()) >= until) continue;
            if (m_feedback.isCancelled()) return result(true);
            if (session(idx, rung, until) == Outcome::Cancelled) return result(true);
        }
        if (rung == m_rungs) break;
        // Rank the trials of this rung on their epochs up to its end; the best continue.
        std::vector<std::vector<train::EpochRecord>> metrics(m_ex.trials.size());
        std::vector<int> untilOf(m_ex.trials.size(), 0);
        for (size_t idx : racing) {
            metrics[idx] = detail::readMetrics(m_ex.runPath(m_ex.trials[idx]));
            untilOf[idx] = rungEpoch(m_configs[idx].epochs, eta, rung, m_rungs);
        }
        std::vector<size_t> ranked = racing;
        std::stable_sort(ranked.begin(), ranked.end(), [&](size_t a, size_t b) {
            const bool failedA = m_ex.trials[a].status == TrialStatus::Failed;
            const bool failedB = m_ex.trials[b].status == TrialStatus::Failed;
            if (failedA != failedB) return failedB;
            return detail::ranksBefore(metrics[a], m_ex.trials[a].id, metrics[b], m_ex.trials[b].id, untilOf[a],
                                       untilOf[b]);
        });
        const size_t keep = std::max<size_t>(1, ranked.size() / static_cast<size_t>(eta));
        for (size_t r = keep; r < ranked.size(); ++r) {
            TrialRecord& t = m_ex.trials[ranked[r]];
            if (t.status != TrialStatus::Running && t.status != TrialStatus::Stopped) continue;
            const bool changed = t.status != TrialStatus::Stopped;
            t.status = TrialStatus::Stopped;
            t.stoppedAtEpoch = static_cast<int>(metrics[ranked[r]].size());
            t.reason = "successive halving (eta " + std::to_string(eta) + "): ranked " + std::to_string(r + 1) +
                       " of " + std::to_string(ranked.size()) + " by best val accuracy after rung " +
                       std::to_string(rung + 1) + " of " + std::to_string(m_rungs + 1) + " (epoch " +
                       std::to_string(untilOf[ranked[r]]) + "); only the best " + std::to_string(keep) + " continue";
            saveTrials(m_ex);
            if (changed) emit(TrialEvent::Kind::Stopped, ranked[r], rung, untilOf[ranked[r]]);
        }
        ranked.resize(keep);
        std::sort(ranked.begin(), ranked.end());
        racing = ranked;
    }
    return result(false);
}

Runner::Outcome Runner::session(size_t idx, int rung, int untilEpoch) {
    TrialRecord& t = m_ex.trials[idx];
    const std::string runPath = m_ex.runPath(t);
    const int epochs = m_configs[idx].epochs;
    std::error_code ec;
    const bool resuming = fs::is_regular_file(runPath + "/manifest.json", ec);
    t.status = TrialStatus::Running;
    t.error.clear();
    saveTrials(m_ex);
    emit(TrialEvent::Kind::Started, idx, rung, untilEpoch, resuming);

    train::RunOptions options;
    options.stopAfterEpoch = untilEpoch < epochs ? untilEpoch : 0;
    options.featureCacheDir = m_ex.dir + "/cache";
    static const train::TrainerCallbacks kNone;
    const train::TrainerCallbacks& trainer = m_cb.trainer ? *m_cb.trainer : kNone;
    const auto start = Clock::now();
    auto addTime = [&] { t.seconds += std::chrono::duration<double>(Clock::now() - start).count(); };
    try {
        train::TrainResult r;
        if (resuming) {
            r = train::resumeRun(runPath, trainer, m_feedback, options);
        } else {
            // Killed before its split was on disk: nothing to resume, start it again.
            fs::remove_all(runPath, ec);
            r = train::trainRun(m_configs[idx], runPath, trainer, m_feedback, options);
        }
        addTime();
        t.trainableParameters = r.trainableParameters;
        if (!r.sharedFeatureCache.empty())
            t.featureCache = "cache/" + fs::path(r.sharedFeatureCache).filename().string();
        if (r.cancelled) {
            saveTrials(m_ex);
            return Outcome::Cancelled;
        }
        if (r.stoppedAtLimit) {
            saveTrials(m_ex);
            emit(TrialEvent::Kind::Paused, idx, rung, untilEpoch, resuming, &r);
        } else {
            t.status = TrialStatus::Finished;
            saveTrials(m_ex);
            emit(TrialEvent::Kind::Finished, idx, rung, untilEpoch, resuming, &r);
        }
    } catch (const Cancelled&) {
        addTime();
        saveTrials(m_ex);
        return Outcome::Cancelled;
    } catch (const std::exception& e) {
        addTime();
        t.status = TrialStatus::Failed;
        t.error = printable(userMessage(e), 2000);
        saveTrials(m_ex);
        log("Trial " + t.id + " failed: " + t.error);
        emit(TrialEvent::Kind::Failed, idx, rung, untilEpoch, resuming);
    }
    return Outcome::Done;
}

}  // namespace

ExperimentResult runExperiment(const std::string& expDir, const ExperimentCallbacks& callbacks, Feedback& feedback) {
    Runner runner(expDir, callbacks, feedback);
    return runner.run();
}

}  // namespace ts::experiment
