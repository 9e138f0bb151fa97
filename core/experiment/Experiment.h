#pragma once
// Experiment: a folder of trials (ExperimentSpec.h says what they vary), run
// one after another, resumable, and compared.
//
//   EXP_DIR/experiment.json   {"format": "transfer-studio-experiment", "version": 1,
//                              "created": "2026-12-01T21:00:00Z",
//                              "base_config": {...TrainConfig...},
//                              "axes": [{"key": "lr", "values": [0.01, 0.001]} |
//                                       {"key": "lr", "range": {"lo": 1e-4, "hi": 1e-2, "log": true}}],
//                              "mode": "grid" | "random" | "preset", "random_trials": N,
//                              "seed": S, "halving_eta": 0 | ETA, "preset": "" | "seed-strategies"}
//   EXP_DIR/trials.json       the index, rewritten atomically after every change of state:
//                             {"trials": [{"id": "t000", "run_dir": "runs/t000",
//                               "params": {"lr": 0.01}, "status": "pending" | "running" |
//                               "finished" | "stopped" | "failed", "error": "", "stopped_at_epoch": 0,
//                               "reason": "", "seconds": 0, "trainable_parameters": 0,
//                               "feature_cache": ""}]}
//   EXP_DIR/runs/<id>/        each trial's run, in the ordinary run format (Trainer.h)
//   EXP_DIR/cache/<key>/      feature caches shared by the trials (RunOptions::featureCacheDir)
//
// Trial states: pending (not started), running (started and not done: being
// trained, interrupted, or waiting for the next rung of successive halving),
// finished (all its epochs, or early stopping), stopped (by successive
// halving: stopped_at_epoch and reason say where and why), failed (error
// says why; the experiment goes on with the next trial).
//
// Successive halving with eta (halving_eta >= 2) over n trials: s rungs of
// halving, s the largest whole number with eta^s <= n. Each trial keeps its
// config's epochs E as its full budget (so its learning-rate schedule is the
// one of an unhalved run); rung i (0 <= i < s) ends after epoch
// max(1, floor(E / eta^(s - i))), where the run stops cleanly
// (RunOptions::stopAfterEpoch) and stays resumable. After each rung the
// trials still in the race are ranked by their best validation accuracy up
// to that epoch (ties: the lower best validation loss, then the id); the
// best max(1, floor(k / eta)) of the k ranked continue (resumeRun), the
// others are recorded as stopped. The last rung trains the survivors to E.
// Example: 9 trials, eta 3, 9 epochs: 9 trials to epoch 1, 3 to epoch 3,
// 1 to epoch 9. A failed trial ranks last; a finished one (early stopping)
// is ranked but has nothing left to train. Without halving every trial
// trains to E in id order.
//
// Thread safety: the functions block their calling thread; the callbacks run
// on it. One process works in an experiment folder at a time.
#include "core/common/Feedback.h"
#include "core/experiment/ExperimentSpec.h"
#include "core/train/Trainer.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace ts::experiment {

inline constexpr const char* kExperimentFormat = "transfer-studio-experiment";
inline constexpr int kExperimentVersion = 1;

enum class TrialStatus { Pending, Running, Finished, Stopped, Failed };
std::string toString(TrialStatus status);
/// Throws ts::ConfigError for a name that is not a status.
TrialStatus trialStatusFromString(const std::string& name);

/// One trial's entry in trials.json.
struct TrialRecord {
    std::string id;                                    ///< "t000"
    std::string runDir;                                ///< relative to the experiment folder: "runs/<id>"
    nlohmann::json params = nlohmann::json::object();  ///< the varied keys and their values
    TrialStatus status = TrialStatus::Pending;
    std::string error;                ///< failed: the error message
    int stoppedAtEpoch = 0;           ///< stopped: the last epoch it trained
    std::string reason;               ///< stopped: why (rung, rank)
    double seconds = 0.0;             ///< wall time of its training sessions, summed
    int64_t trainableParameters = 0;  ///< 0 until a session of it has run
    std::string featureCache;  ///< the shared feature cache it used, relative to the experiment folder ("" : none)
};

/// An experiment folder as loaded.
struct Experiment {
    std::string dir;  ///< the experiment folder as given
    ExperimentSpec spec;
    std::string created;  ///< ISO 8601, UTC
    std::vector<TrialRecord> trials;

    std::string runPath(const TrialRecord& t) const { return dir + "/" + t.runDir; }
    /// The trial's config: the base with its params (validated).
    train::TrainConfig configOf(const TrialRecord& t) const;
};

/// Reads EXP_DIR/experiment.json and trials.json, as hostile files (bounded,
/// every field checked; run_dir must be runs/<id>). Throws ts::IoError naming
/// the file when the folder is not an experiment or a file is damaged.
Experiment loadExperiment(const std::string& expDir);

/// Writes trials.json atomically.
void saveTrials(const Experiment& experiment);

/// Creates the experiment folder for `spec` and `trials` (expandTrials()),
/// or finds the same experiment there (the same spec and trials: it is
/// continued as it is). Checks before it creates anything: an existing
/// EXP_DIR that is a file, not empty and not an experiment, or an
/// experiment of another spec is a ts::ConfigError saying what to do; so is
/// a trial's data_dir that is not a folder.
Experiment createExperiment(const ExperimentSpec& spec, const std::vector<TrialPlan>& trials,
                            const std::string& expDir);

/// What the runner reports about a trial.
struct TrialEvent {
    /// Started: a training session begins (or resumes); Paused: it reached its
    /// rung's epoch and waits for the ranking; Finished: all its epochs (or
    /// early stopping); Stopped: ranked out by successive halving; Failed.
    enum class Kind { Started, Finished, Stopped, Failed, Paused };
    Kind kind = Kind::Started;
    TrialRecord trial;          ///< its entry after the change
    int index = 0;              ///< 1-based position in the experiment
    int total = 0;              ///< trials in the experiment
    int rung = 0;               ///< 0-based rung (0 without halving)
    int rungs = 1;              ///< rungs of the experiment (1 without halving)
    int untilEpoch = 0;         ///< the epoch this session trains to
    bool resumed = false;       ///< Started: continues an existing run
    train::TrainResult result;  ///< Finished and Paused: the session's result
};

struct ExperimentCallbacks {
    std::function<void(const TrialEvent&)> onTrial;
    std::function<void(const std::string&)> onLog;
    /// Passed to every trial's trainRun()/resumeRun(); must outlive the call.
    const train::TrainerCallbacks* trainer = nullptr;
};

struct ExperimentResult {
    bool cancelled = false;
    int finished = 0, stopped = 0, failed = 0, pending = 0;  ///< trial counts at the end
};

/// Runs (or continues) the experiment in `expDir`: finished, stopped and
/// failed trials are kept, a running one resumes from its last complete
/// epoch, pending ones start; with halving, the rungs are replayed from the
/// runs' metrics, so a resumed experiment takes the same decisions. A trial
/// that throws is recorded failed and the next one runs. A cancel through
/// `feedback` (between trials or inside one) returns with `cancelled` set and
/// leaves the experiment resumable. With the same seeds on the CPU a resumed
/// experiment ends with the same numbers as an uninterrupted one.
ExperimentResult runExperiment(const std::string& expDir, const ExperimentCallbacks& callbacks, Feedback& feedback);

/// How compare, successive halving and the report rank runs: by the highest
/// val_accuracy among a run's epochs (up to `untilEpoch`, 0: all), then by
/// the lower lowest val_loss, then by the smaller id; runs without an epoch
/// with a finite val_accuracy come last.
struct RunScore {
    bool any = false;         ///< an epoch has a finite val_accuracy
    double accuracy = 0.0;    ///< the highest val_accuracy
    int epoch = 0;            ///< the first epoch with `accuracy`
    double lossAtBest = 0.0;  ///< val_loss of that epoch
    double lowestLoss = std::numeric_limits<double>::infinity();  ///< the lowest finite val_loss
};
RunScore scoreRun(const std::vector<train::EpochRecord>& epochs, int untilEpoch = 0);
/// Whether run A (scored `a`, trial id `idA`) ranks before run B.
bool ranksBefore(const RunScore& a, const std::string& idA, const RunScore& b, const std::string& idB);

/// One row of `tstudio experiment compare`.
struct CompareRow {
    std::string id;
    std::string runDir;   ///< relative to the experiment folder
    std::string runPath;  ///< the experiment folder joined with runDir
    nlohmann::json params;
    TrialStatus status = TrialStatus::Pending;
    std::string error, reason;
    int stoppedAtEpoch = 0;
    bool hasMetrics = false;          ///< metrics.jsonl has at least one epoch with a finite val_accuracy
    double bestValAccuracy = 0.0;     ///< the highest val_accuracy in metrics.jsonl
    double bestValLoss = 0.0;         ///< the val_loss of that epoch
    int bestEpoch = 0;                ///< the first epoch with that accuracy
    int epochsDone = 0;               ///< rows of metrics.jsonl
    int epochs = 0;                   ///< the trial's configured epochs
    double seconds = 0.0;             ///< the trial's wall time (trials.json)
    double epochSeconds = 0.0;        ///< the epochs' own seconds summed (metrics.jsonl)
    double imagesPerSecond = 0.0;     ///< training images x epochs / epochSeconds (0 when unknown)
    int64_t trainableParameters = 0;  ///< 0 when unknown
    std::string featureCache;
};

/// Every trial of the experiment, best first: by best val accuracy, then the
/// lower val loss, then id; trials without metrics last, in id order. The
/// numbers come from each run's own metrics.jsonl and manifest.json. Throws
/// as loadExperiment(); a damaged metrics file is a ts::IoError naming it.
std::vector<CompareRow> compareExperiment(const std::string& expDir);

/// The row as `compare --json` prints it: id, run_dir, run_path, params,
/// status, error, reason, stopped_at_epoch, best_val_accuracy, best_val_loss,
/// best_epoch (null without metrics), epochs_done, epochs, seconds,
/// epoch_seconds, images_per_second, trainable_parameters, feature_cache.
nlohmann::json toJson(const CompareRow& row);

}  // namespace ts::experiment
