#pragma once
// Value types that a training run reports; they cross threads (queued
// signals in the GUI, a std::thread in the CLI), so they hold no tensors
// (onEpochModel lends the model to a callback on the training thread only).
#include "core/train/EpochRecord.h"

#include <functional>
#include <string>
#include <vector>

namespace ts::zoo {
class BackboneImpl;
}

namespace ts::train {

struct BatchEvent {
    int epoch = 0;            ///< 1-based
    int batch = 0;            ///< 1-based within the epoch
    int numBatches = 0;
    double loss = 0.0;
    double lr = 0.0;
    double imagesPerSec = 0.0;
    double etaSeconds = 0.0;  ///< whole run
};

/// Progress of the phases that train no batch: computing the feature cache
/// (once per run, before the first epoch) and validation (every epoch).
struct ProgressEvent {
    /// "caching training features", "caching validation features" or "validation".
    std::string phase;
    int epoch = 0;           ///< 1-based; 0 while features are cached
    int64_t done = 0;        ///< images of this phase done so far
    int64_t total = 0;       ///< images of this phase
    double elapsedSeconds = 0.0;  ///< since the phase began
    double etaSeconds = 0.0;      ///< to the end of the phase (0 until it can be estimated)
};

/// The per-epoch metrics (EpochRecord.h) under the name the event callbacks
/// and the app's queued signals have always used: one type, not a copy.
using EpochMetrics = EpochRecord;

struct TrainerCallbacks {
    /// At most every `batchIntervalMs` (and for the last batch of an epoch).
    std::function<void(const BatchEvent&)> onBatch;
    std::function<void(const EpochRecord&)> onEpoch;
    /// Caching and validation progress: at most every `batchIntervalMs`, and
    /// always for the first and the last batch of a phase.
    std::function<void(const ProgressEvent&)> onProgress;
    /// After each epoch (after onEpoch), on the training thread, with the
    /// model as it is at the end of the epoch, in eval mode on the run's
    /// device: for probes (predictions, Grad-CAM of pinned images) that need
    /// the current weights. The callback must not keep the reference, change
    /// the weights or leave gradients; the trainer restores training mode.
    std::function<void(zoo::BackboneImpl& model, const EpochRecord&)> onEpochModel;
    std::function<void(const std::string&)> onLog;
    int batchIntervalMs = 100;
};

struct TrainResult {
    bool cancelled = false;
    bool stoppedEarly = false;
    int epochsRun = 0;  ///< epochs completed, including resumed ones
    int bestEpoch = 0;
    double bestValAccuracy = 0.0;
    double bestValLoss = 0.0;
    std::string runDir;
    std::string bundlePath;
    std::vector<std::string> skippedFiles;  ///< "path: reason"
    bool usedFeatureCache = false;
    std::string device;
    /// Stopped after RunOptions::stopAfterEpoch, before the config's last
    /// epoch: the run is resumable, as after a cancel at an epoch boundary.
    bool stoppedAtLimit = false;
    /// Parameters the run trains (the freeze plan's count).
    int64_t trainableParameters = 0;
    /// With RunOptions::featureCacheDir: the folder of the shared feature
    /// cache the run used, and whether it reused features found there
    /// (false: it computed them and saved them there). Empty otherwise.
    std::string sharedFeatureCache;
    bool reusedFeatureCache = false;
};

} // namespace ts::train
