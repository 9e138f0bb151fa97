// trainRun(), resumeRun() and lrFind() (Trainer.h) and the run loop: epochs,
// steps, validation, early stopping, the end of a run. The rest of a run is
// in the files TrainRun.h lists.
#include "core/train/Trainer.h"
#include "core/train/TrainRun.h"

#include "core/data/PathText.h"

#include <torch/cuda.h>

#include <filesystem>

namespace fs = std::filesystem;
using nlohmann::json;

namespace ts::train {

std::string resolveDevice(DeviceChoice choice, std::string* why) {
    const bool cuda = torch::cuda::is_available();
    if (choice == DeviceChoice::CUDA && !cuda)
        throw ConfigError("device cuda was asked for, but this LibTorch build sees no CUDA device. Run "
                          "`tstudio --version` to see why, or use --device auto|cpu.");
    if (choice == DeviceChoice::CPU) {
        if (why) *why = "cpu (asked for)";
        return "cpu";
    }
    if (cuda) {
        if (why) *why = "cuda (a CUDA device is available)";
        return "cuda";
    }
    if (why) *why = "cpu (no CUDA device available)";
    return "cpu";
}

namespace detail {

TrainResult Run::start() {
    // Everything that can fail on a wrong flag (data, architecture,
    // weights, device) is checked and loaded before the run folder is
    // created, so a failed start leaves nothing that blocks the retry.
    checkRunFolderIsFree();
    // Absolute paths in config.json and manifest.json: the run resumes
    // from any working directory (exclusions follow the data's paths).
    m_cfg.dataDir = absolutePath(m_cfg.dataDir);
    m_cfg.weightsFile = absolutePath(m_cfg.weightsFile);
    m_cfg.initFrom = absolutePath(m_cfg.initFrom);
    for (auto& file : m_cfg.excludeFiles) file = absolutePath(file);
    m_index = data::indexDataset(m_cfg.dataDir, {m_cfg.valFraction, m_cfg.seed});
    applyExclusions();
    setUp(/*resuming=*/false);
    const fs::path created = createRunFolder();
    try {
        saveTrainConfig(m_cfg, m_dir + "/config.json");
        json manifest = data::toManifest(m_index);
        writeFileAtomic(m_dir + "/manifest.json", manifest.dump(1) + "\n");
        return loopUntilCancelled();
    } catch (...) {
        // Nothing to resume yet: take back exactly what this start
        // created (the run folder, or its content when it existed empty).
        if (m_progress.epochsDone == 0 && !fs::exists(ckptPath(m_dir, "last.ckpt"))) removeCreated(created);
        throw;
    }
}

TrainResult Run::resume() {
    m_dirReady = true;
    const std::string manifest = m_dir + "/manifest.json";
    m_index = data::fromManifest(readJsonFile(manifest), manifest);
    setUp(/*resuming=*/true);
    return loopUntilCancelled();
}

/// A cancel (Ctrl-C, the app's Stop) ends the run as a result, wherever it
/// comes: also while features are cached, before the first batch.
TrainResult Run::loopUntilCancelled() {
    try {
        return loop();
    } catch (const Cancelled&) {
        TrainResult result;
        result.runDir = m_dir;
        result.device = m_device;
        result.usedFeatureCache = m_useCache;
        result.cancelled = true;
        log(std::string("Cancelled. ") +
            (m_progress.epochsDone > 0 ? "Completed epochs are saved; " : "No epoch is complete yet; ") +
            "continue with `tstudio resume " + m_dir + "`.");
        return finish(result);
    }
}

at::Tensor Run::loss(const at::Tensor& logits, const at::Tensor& labels) {
    c10::optional<at::Tensor> weight;
    if (m_classWeights.defined()) weight = m_classWeights;
    return at::cross_entropy_loss(logits, labels, weight, at::Reduction::Mean, -100, m_cfg.labelSmoothing);
}

/// The model (or only its head, on cached features) under the run's
/// precision; logits always come back as float32.
at::Tensor Run::run(const at::Tensor& x, bool fromFeatures) {
    AutocastScope autocast(m_amp, m_device);
    return (fromFeatures ? m_model->head(x) : m_model->forward(x)).to(at::kFloat);
}

/// Large JPEGs are decoded at 1/2, 1/4 or 1/8 size for random-crop
/// training (the standard preset) when even the smallest crop
/// RandomResizedCrop can take (scaleMin of the area at the narrowest ratio) still has at least the
/// output's resolution: reduced decoding then never causes upsampling and
/// saves most of the decode time of camera-sized photos. Evaluation (and
/// the `none` preset, which is the eval transform) always decodes at full
/// size, so its pixels equal torchvision's.
int Run::trainDecodeAtLeast() const {
    if (m_cfg.augment.preset != data::AugmentPreset::Standard) return 0;
    const data::AugmentOptions crop;  // the standard preset's RandomResizedCrop ranges
    const double smallestSideFraction = std::sqrt(crop.scaleMin * std::min(crop.ratioMin, 1.0));
    return static_cast<int>(std::ceil(m_transform.cropSize / std::max(smallestSideFraction, 1e-3)));
}

std::vector<at::Tensor> Run::trainableParameters() const {
    std::vector<at::Tensor> params;
    for (const auto& p : m_model->parameters())
        if (p.requires_grad()) params.push_back(p);
    return params;
}

void Run::checkFinite(const at::Tensor& l, int epoch, int batch) {
    if (std::isfinite(l.item<double>())) return;
    throw TrainingDiverged("The loss became " + std::string(std::isnan(l.item<double>()) ? "NaN" : "infinite") +
                           " at epoch " + std::to_string(epoch) + ", batch " + std::to_string(batch) +
                           ". Training stopped. Lower the learning rate (e.g. " + std::to_string(m_cfg.lr / 10) +
                           "), enable gradient clipping (--grad-clip 1.0), or check the data for broken images.");
}

void Run::trainStep(const at::Tensor& input, const at::Tensor& labels, bool fromFeatures, int epoch, int batch,
               int numBatches, EpochStats& stats, Clock::time_point runStart, int64_t& imagesThisRun) {
    const double lr = learningRateAt(m_cfg, m_progress.step, numBatches);
    setLearningRate(lr);
    m_optimizer->zero_grad();
    const at::Tensor logits = run(input, fromFeatures);
    const at::Tensor l = loss(logits, labels);
    checkFinite(l, epoch, batch);
    m_scaler.scaleLoss(l).backward();
    const std::vector<at::Tensor> params = trainableParameters();
    // With float16 loss scaling, a step whose gradients overflowed is
    // skipped and the scale lowered (torch.cuda.amp.GradScaler).
    const bool finite = m_scaler.unscaleAndCheck(params);
    if (finite && m_cfg.gradClipNorm > 0) torch::nn::utils::clip_grad_norm_(params, m_cfg.gradClipNorm);
    if (finite) m_optimizer->step();
    m_scaler.update(!finite);
    ++m_progress.step;
    const int64_t n = labels.size(0);
    stats.lossSum += l.item<double>() * n;
    stats.correct += logits.argmax(1).eq(labels).sum().item<int64_t>();
    stats.seen += n;
    imagesThisRun += n;
    if (m_cb.onBatch && (batch == numBatches || Clock::now() - m_lastBatchEvent >= std::chrono::milliseconds(m_cb.batchIntervalMs))) {
        m_lastBatchEvent = Clock::now();
        BatchEvent e;
        e.epoch = epoch;
        e.batch = batch;
        e.numBatches = numBatches;
        e.loss = l.item<double>();
        e.lr = lr;
        const double elapsed = secondsSince(runStart);
        e.imagesPerSec = elapsed > 0 ? imagesThisRun / elapsed : 0.0;
        const int64_t stepsLeft = int64_t(m_cfg.epochs - epoch) * numBatches + (numBatches - batch);
        const double stepsPerSec = elapsed > 0 ? (m_progress.step - m_stepAtRunStart) / elapsed : 0.0;
        e.etaSeconds = stepsPerSec > 0 ? stepsLeft / stepsPerSec : 0.0;
        m_cb.onBatch(e);
    }
}

EpochStats Run::trainEpochFull(int epoch, Clock::time_point runStart, int64_t& images) {
    EpochStats stats;
    FreezePlan::setTrainMode(*m_model, m_cfg.batchNormPolicy == BatchNormPolicy::AllEval);
    m_trainLoader->startEpoch(epoch);
    const int numBatches = static_cast<int>(m_trainLoader->numBatches());
    int b = 0;
    const bool cuda = m_device == "cuda";
    while (auto batch = m_trainLoader->next()) {
        if (!m_feedback.waitIfPaused()) throw Cancelled();
        ++b;
        at::Tensor x = batch->images, y = batch->labels;
        if (cuda) {
            x = x.pin_memory().to(torch::Device(m_device), /*non_blocking=*/true);
            y = y.pin_memory().to(torch::Device(m_device), /*non_blocking=*/true);
        }
        trainStep(x, y, /*fromFeatures=*/false, epoch, std::min(b, numBatches), numBatches, stats, runStart, images);
    }
    for (const auto& s : m_trainLoader->skipped()) m_skipped.insert(s.path + ": " + s.reason);
    return stats;
}

ValStats Run::validate(int epoch) {
    ValStats v{0.0, ConfusionMatrix(static_cast<int64_t>(m_index.classes.size()))};
    const int64_t total = m_useCache ? m_valCache.features.size(0) : static_cast<int64_t>(m_index.val.size());
    PhaseProgress phase(m_cb, "validation", epoch, total);
    m_model->eval();
    torch::NoGradGuard noGrad;
    double lossSum = 0.0;
    int64_t seen = 0;
    std::vector<at::Tensor> allLogits, allLabels;
    auto consume = [&](const at::Tensor& logits, const at::Tensor& labels) {
        allLogits.push_back(logits.detach().to(at::kCPU, at::kFloat));
        allLabels.push_back(labels.to(at::kCPU, at::kLong));
        lossSum += loss(logits, labels).item<double>() * labels.size(0);
        seen += labels.size(0);
        const at::Tensor pred = logits.argmax(1).to(at::kCPU);
        const at::Tensor truth = labels.to(at::kCPU);
        for (int64_t i = 0; i < truth.size(0); ++i) v.confusion.add(truth[i].item<int64_t>(), pred[i].item<int64_t>());
    };
    if (m_useCache) {
        const int64_t n = m_valCache.features.size(0);
        for (int64_t s = 0; s < n; s += m_cfg.batchSize) {
            const at::Tensor x = m_valCache.features.slice(0, s, std::min(n, s + m_cfg.batchSize)).to(torch::Device(m_device));
            const at::Tensor y = m_valCache.labels.slice(0, s, std::min(n, s + m_cfg.batchSize)).to(torch::Device(m_device));
            consume(run(x, /*fromFeatures=*/true), y);
            phase.report(std::min(n, s + m_cfg.batchSize));
        }
    } else {
        m_valLoader->startEpoch(0);
        const auto numBatches = static_cast<int64_t>(m_valLoader->numBatches());
        int64_t b = 0;
        while (auto batch = m_valLoader->next()) {
            if (m_feedback.isCancelled()) throw Cancelled();
            consume(run(batch->images.to(torch::Device(m_device)), /*fromFeatures=*/false),
                    batch->labels.to(torch::Device(m_device)));
            // Counted in batches, so files the loader skips do not hold the phase short of its end.
            ++b;
            phase.report(numBatches > 0 ? total * std::min(b, numBatches) / numBatches : total);
        }
        for (const auto& s : m_valLoader->skipped()) m_skipped.insert(s.path + ": " + s.reason);
    }
    v.loss = seen ? lossSum / seen : 0.0;
    const auto classes = static_cast<int64_t>(m_index.classes.size());
    v.logits = allLogits.empty() ? torch::zeros({0, classes}) : at::cat(allLogits, 0);
    v.labels = allLabels.empty() ? torch::zeros({0}, at::kLong) : at::cat(allLabels, 0);
    return v;
}

TrainResult Run::loop() {
    TrainResult result;
    result.runDir = m_dir;
    result.device = m_device;
    result.usedFeatureCache = m_useCache;
    if (m_progress.epochsDone >= m_cfg.epochs) {
        log("This run already completed all " + std::to_string(m_cfg.epochs) + " epochs.");
        return finish(result);
    }
    if (m_options.stopAfterEpoch > 0 && m_progress.epochsDone >= m_options.stopAfterEpoch) {
        result.stoppedAtLimit = true;
        return finish(result);
    }
    data::LoaderOptions lo;
    lo.batchSize = m_cfg.batchSize;
    lo.workers = m_cfg.workers;
    lo.seed = m_cfg.seed;
    lo.limits = imageLimits(m_cfg);
    if (m_useCache) {
        cacheFeatures();
        result.sharedFeatureCache = m_sharedCacheDir;
        result.reusedFeatureCache = m_sharedCacheReused;
    } else {
        lo.shuffle = true;
        lo.decodeAtLeast = trainDecodeAtLeast();
        // Only JPEGs can be decoded at reduced size: say so only when there are some.
        const bool anyJpeg = std::any_of(m_index.train.begin(), m_index.train.end(), [](const data::ImageItem& item) {
            const std::string ext = data::lowerExtension(item.path);
            return ext == ".jpg" || ext == ".jpeg";
        });
        if (lo.decodeAtLeast > 0 && anyJpeg)
            log("Random-crop training: JPEGs whose shorter side is at least twice " +
                std::to_string(lo.decodeAtLeast) + " px are decoded at reduced size (the smallest crop keeps "
                "the full output resolution); validation decodes at full size.");
        m_trainLoader = std::make_unique<data::Loader>(m_index.train, makeTrainSampleTransform(m_cfg.augment, m_transform), lo);
        lo.shuffle = false;
        lo.decodeAtLeast = 0;
        m_valLoader = std::make_unique<data::Loader>(m_index.val, makeEvalSampleTransform(m_transform), lo);
    }
    const auto runStart = Clock::now();
    m_stepAtRunStart = m_progress.step;
    int64_t images = 0;
    try {
        for (int epoch = m_progress.epochsDone + 1; epoch <= m_cfg.epochs; ++epoch) {
            const auto epochStart = Clock::now();
            const EpochStats st = m_useCache ? trainEpochCached(epoch, runStart, images) : trainEpochFull(epoch, runStart, images);
            const ValStats val = validate(epoch);
            EpochRecord em;
            em.epoch = epoch;
            em.trainLoss = st.seen ? st.lossSum / st.seen : 0.0;
            em.trainAccuracy = st.seen ? static_cast<double>(st.correct) / st.seen : 0.0;
            em.valLoss = val.loss;
            em.valAccuracy = val.confusion.accuracy();
            em.lr = m_optimizer->param_groups().front().options().get_lr();
            em.seconds = secondsSince(epochStart);
            em.perClass = val.confusion.perClass();
            em.classNames = m_index.classes;
            em.confusion = val.confusion.counts();
            const bool byLoss = m_cfg.earlyStoppingMetric == EarlyStoppingMetric::ValLoss;
            const double metric = byLoss ? -em.valLoss : em.valAccuracy;
            em.isBest = !m_progress.hasBest || metric > m_progress.bestMetric;
            if (em.isBest) {
                m_progress.bestMetric = metric;
                m_progress.hasBest = true;
                m_progress.bestEpoch = epoch;
                m_progress.sinceImprovement = 0;
            } else {
                ++m_progress.sinceImprovement;
            }
            m_progress.history.push_back(em);
            m_progress.epochsDone = epoch;
            // Crash safety: last.ckpt is the commit record of an epoch,
            // so it is written after everything it vouches for. A kill
            // -9 between any two of these writes leaves a run that
            // resumes from the previous last.ckpt, re-runs this epoch
            // (identically on the CPU; on a GPU a re-run may differ, and
            // if it is no new best, best.ckpt/model.tsb keep the killed
            // attempt's better model) and writes it all again:
            //  1. best.ckpt, 2. model.tsb (new best only): until last.ckpt
            //     names this epoch, they are ahead of the record, never
            //     behind it, so the best model is never lost;
            //  3. last.ckpt: the epoch counts as done;
            //  4. metrics.jsonl, metrics.csv: rebuilt from last.ckpt's
            //     history on resume, so they may lag behind it.
            if (em.isBest) {
                saveCheckpoint(ckptPath(m_dir, "best.ckpt"));
                writeBundle(em.toJson(), val);
            }
            saveCheckpoint(ckptPath(m_dir, "last.ckpt"));
            writeMetricsFiles();
            std::ostringstream line;
            line << std::fixed << std::setprecision(4) << "epoch " << epoch << "/" << m_cfg.epochs
                 << "  train loss " << em.trainLoss << " acc " << em.trainAccuracy << "  val loss " << em.valLoss
                 << " acc " << em.valAccuracy << "  lr " << std::setprecision(6) << em.lr << "  "
                 << std::setprecision(1) << em.seconds << " s" << (em.isBest ? "  (best)" : "");
            log(line.str());
            if (m_cb.onEpoch) m_cb.onEpoch(em);
            if (m_cb.onEpochModel) {
                m_model->eval();
                m_cb.onEpochModel(*m_model, em);
                m_model->zero_grad();
                FreezePlan::setTrainMode(*m_model, m_cfg.batchNormPolicy == BatchNormPolicy::AllEval);
            }
            if (m_cfg.earlyStoppingPatience > 0 && m_progress.sinceImprovement >= m_cfg.earlyStoppingPatience &&
                epoch < m_cfg.epochs) {
                log("Early stopping: no improvement of " + toString(m_cfg.earlyStoppingMetric) + " for " +
                    std::to_string(m_cfg.earlyStoppingPatience) + " epochs.");
                result.stoppedEarly = true;
                break;
            }
            if (m_options.stopAfterEpoch > 0 && epoch >= m_options.stopAfterEpoch && epoch < m_cfg.epochs) {
                log("Stopped after epoch " + std::to_string(epoch) + " of " + std::to_string(m_cfg.epochs) +
                    " as asked; continue with `tstudio resume " + m_dir + "`.");
                result.stoppedAtLimit = true;
                break;
            }
        }
    } catch (const Cancelled&) {
        result.cancelled = true;
        log("Cancelled. Completed epochs are saved; continue with `tstudio resume " + m_dir + "`.");
    }
    return finish(result);
}

TrainResult Run::finish(TrainResult result) {
    result.epochsRun = m_progress.epochsDone;
    result.bestEpoch = m_progress.bestEpoch;
    result.trainableParameters = m_freeze.trainableParams;
    for (const auto& h : m_progress.history)
        if (h.epoch == m_progress.bestEpoch) {
            result.bestValAccuracy = h.valAccuracy;
            result.bestValLoss = h.valLoss;
        }
    if (fs::exists(m_dir + "/model.tsb")) result.bundlePath = m_dir + "/model.tsb";
    // A resumed run only sees the files of the epochs it runs itself
    // (none when it had nothing left to do): keep what earlier sessions
    // of this run recorded.
    std::set<std::string> all = m_skipped;
    {
        std::error_code ec;
        if (fs::is_regular_file(m_dir + "/skipped.json", ec)) {
            try {
                const json previous = readJsonFile(m_dir + "/skipped.json", JsonLimits{4, size_t(64) << 20});
                if (previous.is_array())
                    for (const auto& entry : previous)
                        if (entry.is_string()) all.insert(entry.get<std::string>());
            } catch (const Error&) {
                // A damaged list is replaced by what this session saw.
            }
        }
    }
    result.skippedFiles.assign(all.begin(), all.end());
    json skipped = result.skippedFiles;
    writeFileAtomic(m_dir + "/skipped.json", skipped.dump(1) + "\n");
    if (!m_skipped.empty())
        log(std::to_string(m_skipped.size()) + " file(s) could not be used and were skipped (listed in skipped.json).");
    return result;
}

} // namespace detail

using detail::Run;

TrainResult trainRun(const TrainConfig& config, const std::string& runDir, const TrainerCallbacks& callbacks,
                     Feedback& feedback, const RunOptions& options) {
    config.validate();
    if (options.stopAfterEpoch < 0) throw ConfigError("stopAfterEpoch must be 0 (no limit) or an epoch.");
    Run run(config, runDir, callbacks, feedback, options);
    return run.start();
}

LrFindResult lrFind(const TrainConfig& config, Feedback& feedback, int steps, double startLr, double endLr,
                    const std::function<void(double, double)>& onStep) {
    config.validate();
    if (!(startLr > 0) || !(endLr > startLr)) throw ConfigError("lr-find needs 0 < start < end.");
    static const TrainerCallbacks kNone;
    Run run(config, std::string(), kNone, feedback);
    return run.findLr(std::max(steps, 10), startLr, endLr, onStep);
}

TrainResult resumeRun(const std::string& runDir, const TrainerCallbacks& callbacks, Feedback& feedback,
                      const RunOptions& options) {
    if (!fs::exists(runDir + "/config.json") || !fs::exists(runDir + "/manifest.json"))
        throw IoError("'" + runDir + "' is not a run folder (config.json and manifest.json are missing).");
    if (options.stopAfterEpoch < 0) throw ConfigError("stopAfterEpoch must be 0 (no limit) or an epoch.");
    Run run(loadTrainConfig(runDir + "/config.json"), runDir, callbacks, feedback, options);
    return run.resume();
}

} // namespace ts::train
