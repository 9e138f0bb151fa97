#pragma once
// Trainer: runs a TrainConfig into a run directory.
//
//   RUN_DIR/config.json      the full TrainConfig
//   RUN_DIR/manifest.json    the exact train/val split (and its hash)
//   RUN_DIR/metrics.jsonl    one object per epoch (epoch, train_loss, train_accuracy,
//                            val_loss, val_accuracy, lr, seconds, ...)
//   RUN_DIR/metrics.csv      the same as a table
//   RUN_DIR/train.log        log lines
//   RUN_DIR/checkpoints/last.ckpt, best.ckpt   written atomically every epoch
//   RUN_DIR/model.tsb        the best model's bundle
//   RUN_DIR/skipped.json     files that could not be used, and why
//
// Flow: folder -> DatasetIndex -> Loader -> model (zoo + weights + FreezePlan)
// -> events. Cancel and pause are checked between batches through Feedback.
// Thread safety: trainRun(), resumeRun() and lrFind() block their calling
// thread; every callback runs on it. Lifetimes: `callbacks` (and whatever
// its functions capture) and `feedback` are referenced, not copied, for the
// whole call: they must outlive it. Feedback::cancel() may come from any
// thread (or a signal handler) while the call runs.
#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/train/Events.h"
#include "core/train/TrainConfig.h"

#include <functional>
#include <string>

namespace ts::train {

/// A run stopped because the loss became NaN or infinite.
class TrainingDiverged : public Error {
public:
    using Error::Error;
};

/// What a trainRun() or resumeRun() call does besides its config; none of
/// it changes the run's results.
struct RunOptions {
    /// Stop cleanly after this epoch when it comes before the config's last
    /// one (0: no limit). The run ends exactly as after a cancel at that
    /// epoch boundary (checkpoints, metrics and model.tsb written, resumable
    /// with resumeRun(), which may be given a later limit) and its result
    /// has `stoppedAtLimit` set. The learning-rate schedule still spans the
    /// config's epochs, so a run stopped and resumed equals one that was not.
    /// A run resumed with a limit it has already reached returns at once.
    int stopAfterEpoch = 0;
    /// A folder of feature caches shared between runs ("": none). When the
    /// run caches its frozen backbone's features, they are kept in
    /// featureCacheDir/<key>/ (train.features, val.features), where <key>
    /// hashes everything the features depend on (architecture, weights,
    /// data folder and split, exclusions and image limits, eval transform,
    /// precision, device, batch size, threads; the seed when the backbone
    /// is not pretrained). Valid files are reused; a damaged or mismatched
    /// file is recomputed, with a log line, and what is computed is saved
    /// there atomically. The features are the same as the run's own.
    std::string featureCacheDir;
};

/// Trains `config` into `runDir`. Requires: `runDir` does not exist or is an
/// empty folder (anything else is a ts::ConfigError). The data, model,
/// weights and device are loaded before `runDir` is created, so a wrong flag
/// creates nothing; a failure before the first complete epoch removes what
/// this call created (the folders it made, or the content of the empty folder
/// it was given). config.json records the data folder and weights file as
/// absolute paths. Returns when done, stopped early or cancelled (then
/// `cancelled` is set, also when the cancel came while features were cached:
/// Cancelled is not thrown once the folder exists). `callbacks` and
/// `feedback` must outlive the call.
TrainResult trainRun(const TrainConfig& config, const std::string& runDir, const TrainerCallbacks& callbacks,
                     Feedback& feedback, const RunOptions& options = {});

/// Continues the run in `runDir` from its last complete epoch (after a crash,
/// kill -9 or cancel) with the config stored there. Before the first complete
/// epoch there is no checkpoint: the model is rebuilt as trainRun() built it
/// (the same seed, weights file or cached pretrained weights), and a missing
/// weights file is a ts::WeightsError naming it. With the same seed on the
/// CPU the result equals an uninterrupted run. A cancel returns with
/// `cancelled` set, as trainRun().
TrainResult resumeRun(const std::string& runDir, const TrainerCallbacks& callbacks, Feedback& feedback,
                      const RunOptions& options = {});

/// Result of a learning-rate range test.
struct LrFindResult {
    std::vector<double> lrs;       ///< one per step, exponentially increasing
    std::vector<double> losses;    ///< smoothed training loss at each lr
    double suggestedLr = 0.0;      ///< halfway along the falling stretch (suggestLearningRate, fastai's valley)
    bool stoppedOnDivergence = false;
};

/// Learning-rate range test (Smith; fastai's lr_find): trains a throwaway
/// copy of the configured model for up to `steps` batches while the rate
/// grows exponentially from `startLr` to `endLr`, stopping when the loss
/// diverges. Nothing is written to disk. `onStep` (optional) is called on
/// the calling thread after every step with its rate and smoothed loss, so a
/// plot can grow while the test runs.
LrFindResult lrFind(const TrainConfig& config, Feedback& feedback, int steps = 100, double startLr = 1e-7,
                    double endLr = 10.0, const std::function<void(double lr, double loss)>& onStep = {});

/// The device a config runs on ("cpu" or "cuda"), and a note on why.
std::string resolveDevice(DeviceChoice choice, std::string* why = nullptr);

} // namespace ts::train
