#pragma once
// The training run behind trainRun(), resumeRun() and lrFind() (Trainer.h),
// internal to core/train. One class, its concerns in their own files:
//   Trainer.cpp          the public functions and the run loop (epochs, steps,
//                        validation, early stopping, the end of a run)
//   RunSetup.cpp         the run folder, data, model, weights and device
//   OptimizerGroups.cpp  parameter groups and their learning rates
//   FeatureCache.cpp     features of a frozen backbone, computed once
//   LrFinder.cpp         the learning-rate range test
//   RunFiles.cpp         checkpoints, metrics.jsonl/.csv and the bundle
//                        (the checkpoint format itself: Checkpoint.h)
//
// Thread safety: a Run is used by the thread that calls trainRun() & co.
#include "core/train/Trainer.h"

#include "core/common/AtomicFile.h"
#include "core/common/Json.h"
#include "core/common/Version.h"
#include "core/data/Augment.h"
#include "core/data/Dataset.h"
#include "core/data/Loader.h"
#include "core/data/Random.h"
#include "core/export/Bundle.h"
#include "core/train/Checkpoint.h"
#include "core/train/FreezePlan.h"
#include "core/train/LrSuggest.h"
#include "core/train/MixedPrecision.h"
#include "core/train/Schedule.h"
#include "core/train/TrainTransforms.h"
#include "core/weights/Pretrained.h"
#include "core/weights/StateDict.h"
#include "core/zoo/Registry.h"

#include <ATen/Functions.h>
#include <ATen/Parallel.h>
#include <ATen/core/Generator.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/util/Exception.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/cuda.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <random>
#include <set>
#include <sstream>
#include <thread>

namespace ts::train::detail {

namespace fs = std::filesystem;
using nlohmann::json;

using Clock = std::chrono::steady_clock;

inline double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

inline std::string ckptPath(const std::string& runDir, const char* name) { return runDir + "/checkpoints/" + name; }

// The image budgets of a run (max_image_megapixels, max_image_file_mib).
inline data::ImageLimits imageLimits(const TrainConfig& c) {
    data::ImageLimits limits;
    limits.maxPixels = static_cast<int64_t>(c.maxImageMegapixels * 1e6);
    limits.maxFileBytes = c.maxImageFileMib << 20;
    return limits;
}

/// Everything a run needs to continue exactly where it stopped.
struct Progress {
    int epochsDone = 0;
    int64_t step = 0;
    double bestMetric = 0.0;
    bool hasBest = false;
    int bestEpoch = 0;
    int sinceImprovement = 0;
    std::vector<EpochRecord> history;
};

/// Features of the training or validation images, computed once (FeatureCache.cpp).
struct Cached {
    at::Tensor features, labels;
    std::vector<int64_t> rowOfItem;  ///< item index -> row, -1 for files that could not be read
    std::vector<std::string> skipped;  ///< "path: reason" of the files that could not be read
};

/// Reports one phase without batch events (caching, validation) through
/// TrainerCallbacks::onProgress, throttled to batchIntervalMs.
class PhaseProgress {
public:
    PhaseProgress(const TrainerCallbacks& cb, std::string phase, int epoch, int64_t total)
        : m_cb(cb), m_start(Clock::now()) {
        m_event.phase = std::move(phase);
        m_event.epoch = epoch;
        m_event.total = total;
    }
    void report(int64_t done) {
        if (!m_cb.onProgress) return;
        const auto now = Clock::now();
        const bool edge = m_reports == 0 || done >= m_event.total;
        if (!edge && now - m_last < std::chrono::milliseconds(m_cb.batchIntervalMs)) return;
        m_last = now;
        ++m_reports;
        m_event.done = done;
        m_event.elapsedSeconds = secondsSince(m_start);
        m_event.etaSeconds = done > 0 && done < m_event.total
                                 ? m_event.elapsedSeconds * static_cast<double>(m_event.total - done) / done
                                 : 0.0;
        m_cb.onProgress(m_event);
    }

private:
    const TrainerCallbacks& m_cb;
    Clock::time_point m_start, m_last{};
    ProgressEvent m_event;
    int m_reports = 0;
};

/// The training loss and accuracy of one epoch, as it goes.
struct EpochStats {
    double lossSum = 0.0;
    int64_t correct = 0, seen = 0;
};

/// One validation pass.
struct ValStats {
    double loss = 0.0;
    ConfusionMatrix confusion;
    at::Tensor logits;  ///< (N, C) float32 on the CPU, in the validation order (for calibration)
    at::Tensor labels;  ///< (N) int64
};

/// One run: trainRun() calls start(), resumeRun() resume(), lrFind() findLr().
/// Requires: the callbacks and the feedback outlive the Run.
class Run {
public:
    Run(TrainConfig config, std::string runDir, const TrainerCallbacks& callbacks, Feedback& feedback,
        RunOptions options = {})
        : m_cfg(std::move(config)), m_dir(std::move(runDir)), m_cb(callbacks), m_feedback(feedback),
          m_options(std::move(options)) {}

    TrainResult start();
    LrFindResult findLr(int steps, double startLr, double endLr, const std::function<void(double, double)>& onStep);
    TrainResult resume();

private:
    void log(const std::string& line);
    static std::string absolutePath(const std::string& path);
    /// Throws when `m_dir` holds anything (a run to resume, or other files);
    /// creates nothing.
    void checkRunFolderIsFree() const;
    /// Creates the run folder (and its checkpoints/ folder) and writes the
    /// log lines of the setup into train.log. Returns the topmost folder it
    /// created (empty when the run folder existed, empty, before).
    fs::path createRunFolder();
    /// Removes what createRunFolder() and the start after it made: the
    /// folders it created, or the content of a run folder that was empty.
    void removeCreated(const fs::path& created);
    /// A cancel (Ctrl-C, the app's Stop) ends the run as a result, wherever it
    /// comes: also while features are cached, before the first batch.
    TrainResult loopUntilCancelled();
    void applyExclusions();
    zoo::Backbone pretrainedForResume();
    /// The trained model of init_from (a run folder or a bundle), head
    /// included, checked against this run: the same arch, head and class names.
    zoo::Backbone trainedForInit(bool resuming);
    void setUp(bool resuming);
    void buildOptimizer();
    void setLearningRate(double lr);
    at::Tensor loss(const at::Tensor& logits, const at::Tensor& labels);
    /// The model (or only its head, on cached features) under the run's
    /// precision; logits always come back as float32.
    at::Tensor run(const at::Tensor& x, bool fromFeatures);
    /// Large JPEGs are decoded at 1/2, 1/4 or 1/8 size for random-crop
    /// training (the standard preset) when even the smallest crop
    /// RandomResizedCrop can take (scaleMin of the area at the narrowest ratio) still has at least the
    /// output's resolution: reduced decoding then never causes upsampling and
    /// saves most of the decode time of camera-sized photos. Evaluation (and
    /// the `none` preset, which is the eval transform) always decodes at full
    /// size, so its pixels equal torchvision's.
    int trainDecodeAtLeast() const;
    std::vector<at::Tensor> trainableParameters() const;
    void checkFinite(const at::Tensor& l, int epoch, int batch);
    Cached computeFeatures(const std::vector<data::ImageItem>& items, const char* what);
    /// Fills m_trainCache and m_valCache: computed, or with
    /// RunOptions::featureCacheDir read from (or saved to) the shared cache.
    void cacheFeatures();
    /// Everything the cached features depend on (RunOptions::featureCacheDir).
    json featureCacheKey() const;
    void trainStep(const at::Tensor& input, const at::Tensor& labels, bool fromFeatures, int epoch, int batch,
                   int numBatches, EpochStats& stats, Clock::time_point runStart, int64_t& imagesThisRun);
    // The same order and batches as the Loader's (data/Random.h), so the
    // cached path and the full path see identical batches.
    std::vector<int64_t> epochOrder(size_t n, int epoch) const;
    EpochStats trainEpochCached(int epoch, Clock::time_point runStart, int64_t& images);
    EpochStats trainEpochFull(int epoch, Clock::time_point runStart, int64_t& images);
    ValStats validate(int epoch);
    void saveCheckpoint(const std::string& path);
    void loadCheckpoint();
    void writeMetricsFiles();
    /// model.tsb of the current model; its temperature and unknown threshold
    /// are fitted on `val`'s logits (train/Calibration.h).
    void writeBundle(const json& metrics, const ValStats& val);
    TrainResult loop();
    TrainResult finish(TrainResult result);

    TrainConfig m_cfg;
    std::string m_dir;
    const TrainerCallbacks& m_cb;
    Feedback& m_feedback;
    RunOptions m_options;
    std::string m_sharedCacheDir;   ///< the shared cache folder used ("" : none)
    bool m_sharedCacheReused = false;
    data::DatasetIndex m_index;
    data::EvalTransform m_transform;
    std::string m_device = "cpu";
    zoo::Backbone m_model;
    FreezeSummary m_freeze;
    bool m_useCache = false;
    MixedPrecisionPlan m_amp;
    GradScaler m_scaler{false};
    std::unique_ptr<torch::optim::Optimizer> m_optimizer;
    std::vector<double> m_groupMultipliers;
    at::Tensor m_classWeights;
    Progress m_progress;
    Cached m_trainCache, m_valCache;
    std::unique_ptr<data::Loader> m_trainLoader, m_valLoader;
    std::set<std::string> m_skipped;
    Clock::time_point m_lastBatchEvent{};
    bool m_dirReady = false;                 ///< the run folder exists: log() appends to train.log
    std::vector<std::string> m_pendingLog;   ///< log lines from before it existed
    int64_t m_stepAtRunStart = 0;
};

} // namespace ts::train::detail
