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

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string ckptPath(const std::string& runDir, const char* name) { return runDir + "/checkpoints/" + name; }

// The image budgets of a run (max_image_megapixels, max_image_file_mib).
data::ImageLimits imageLimits(const TrainConfig& c) {
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

class Run {
public:
    Run(TrainConfig config, std::string runDir, const TrainerCallbacks& callbacks, Feedback& feedback)
        : m_cfg(std::move(config)), m_dir(std::move(runDir)), m_cb(callbacks), m_feedback(feedback) {}

    TrainResult start() {
        // Everything that can fail on a wrong flag (data, architecture,
        // weights, device) is checked and loaded before the run folder is
        // created, so a failed start leaves nothing that blocks the retry.
        checkRunFolderIsFree();
        // Absolute paths in config.json and manifest.json: the run resumes
        // from any working directory (exclusions follow the data's paths).
        m_cfg.dataDir = absolutePath(m_cfg.dataDir);
        m_cfg.weightsFile = absolutePath(m_cfg.weightsFile);
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

    LrFindResult findLr(int steps, double startLr, double endLr, const std::function<void(double, double)>& onStep) {
        m_index = data::indexDataset(m_cfg.dataDir, {m_cfg.valFraction, m_cfg.seed});
        applyExclusions();
        setUp(/*resuming=*/false);
        LrFindResult r;
        const double factor = std::pow(endLr / startLr, 1.0 / std::max(1, steps - 1));
        double avg = 0.0, best = 0.0, lr = startLr;
        int step = 0;
        auto record = [&](double rawLoss) {
            avg = 0.98 * avg + 0.02 * rawLoss;
            const double smoothed = avg / (1.0 - std::pow(0.98, step + 1));
            r.lrs.push_back(lr);
            r.losses.push_back(smoothed);
            if (onStep) onStep(lr, smoothed);
            if (step == 0 || smoothed < best) best = smoothed;
            ++step;
            lr *= factor;
            return !std::isfinite(smoothed) || (step > 10 && smoothed > 4.0 * best);
        };
        auto oneStep = [&](const at::Tensor& x, const at::Tensor& y, bool fromFeatures) {
            setLearningRate(lr);
            m_optimizer->zero_grad();
            const at::Tensor logits = run(x, fromFeatures);
            const at::Tensor l = loss(logits, y);
            const double value = l.item<double>();
            if (std::isfinite(value)) {
                m_scaler.scaleLoss(l).backward();
                const bool finite = m_scaler.unscaleAndCheck(trainableParameters());
                if (finite) m_optimizer->step();
                m_scaler.update(!finite);
            }
            return record(value);
        };
        if (m_useCache) m_trainCache = computeFeatures(m_index.train, "training");
        data::LoaderOptions lo;
        lo.batchSize = m_cfg.batchSize;
        lo.workers = m_cfg.workers;
        lo.seed = m_cfg.seed;
        lo.limits = imageLimits(m_cfg);
        lo.shuffle = true;
        std::unique_ptr<data::Loader> loader;
        if (!m_useCache)
            loader = std::make_unique<data::Loader>(m_index.train, makeTrainSampleTransform(m_cfg.augment, m_transform), lo);
        for (int epoch = 1; step < steps; ++epoch) {
            FreezePlan::setTrainMode(*m_model, m_cfg.batchNormPolicy == BatchNormPolicy::AllEval);
            bool any = false;
            if (m_useCache) {
                const auto order = epochOrder(m_trainCache.rowOfItem.size(), epoch);
                for (size_t k = 0; k < order.size() && step < steps; k += static_cast<size_t>(m_cfg.batchSize)) {
                    std::vector<int64_t> rows;
                    for (size_t j = k; j < std::min(order.size(), k + m_cfg.batchSize); ++j)
                        if (m_trainCache.rowOfItem[static_cast<size_t>(order[j])] >= 0)
                            rows.push_back(m_trainCache.rowOfItem[static_cast<size_t>(order[j])]);
                    if (rows.empty()) continue;
                    any = true;
                    const at::Tensor sel = at::tensor(rows);
                    if (oneStep(m_trainCache.features.index_select(0, sel).to(torch::Device(m_device)),
                                m_trainCache.labels.index_select(0, sel).to(torch::Device(m_device)), true)) {
                        r.stoppedOnDivergence = true;
                        break;
                    }
                    if (m_feedback.isCancelled()) throw Cancelled();
                    m_feedback.reportProgress(static_cast<double>(step) / steps, "lr range test");
                }
            } else {
                loader->startEpoch(epoch);
                while (step < steps) {
                    auto batch = loader->next();
                    if (!batch) break;
                    any = true;
                    if (oneStep(batch->images.to(torch::Device(m_device)), batch->labels.to(torch::Device(m_device)), false)) {
                        r.stoppedOnDivergence = true;
                        break;
                    }
                    if (m_feedback.isCancelled()) throw Cancelled();
                    m_feedback.reportProgress(static_cast<double>(step) / steps, "lr range test");
                }
            }
            if (r.stoppedOnDivergence || !any) break;
        }
        // fastai's valley rule (LrSuggest.h). "A tenth of the rate at the
        // minimum" followed the minimum to the end of the range whenever the
        // loss did not diverge (head-only training on cached features):
        // 1.0 for Adam on ants/bees, where 1e-3 trains better.
        r.suggestedLr = suggestLearningRate(r.lrs, r.losses);
        return r;
    }

    TrainResult resume() {
        m_dirReady = true;
        const std::string manifest = m_dir + "/manifest.json";
        m_index = data::fromManifest(readJsonFile(manifest), manifest);
        setUp(/*resuming=*/true);
        return loopUntilCancelled();
    }

private:
    void log(const std::string& line) {
        if (!m_dir.empty()) {
            if (m_dirReady) {
                std::ofstream out(m_dir + "/train.log", std::ios::app);
                out << line << '\n';
            } else {
                m_pendingLog.push_back(line);  // written once the run folder exists
            }
        }
        if (m_cb.onLog) m_cb.onLog(line);
    }

    static std::string absolutePath(const std::string& path) {
        if (path.empty()) return path;
        std::error_code ec;
        const fs::path abs = fs::absolute(path, ec);
        return ec ? path : abs.lexically_normal().string();
    }

    /// Throws when `m_dir` holds anything (a run to resume, or other files);
    /// creates nothing.
    void checkRunFolderIsFree() const {
        std::error_code ec;
        if (m_dir.empty()) throw ConfigError("No run folder was given. Pass the folder to create (e.g. --out runs/first).");
        if (fs::exists(m_dir, ec) && !fs::is_directory(m_dir, ec))
            throw ConfigError("The run folder '" + m_dir + "' is a file. Choose a new folder for the run.");
        if (fs::exists(m_dir, ec) && !fs::is_empty(m_dir, ec)) {
            const bool isRun = fs::exists(m_dir + "/config.json") && fs::exists(m_dir + "/manifest.json");
            throw ConfigError("The run folder '" + m_dir + "' is not empty. Choose a new folder" +
                              (isRun ? ", or continue that run with `tstudio resume " + m_dir + "`."
                                     : std::string(" (it holds files that are not a Transfer Studio run).")));
        }
    }

    /// Creates the run folder (and its checkpoints/ folder) and writes the
    /// log lines of the setup into train.log. Returns the topmost folder it
    /// created (empty when the run folder existed, empty, before).
    fs::path createRunFolder() {
        std::error_code ec;
        fs::path created;
        for (fs::path p = fs::absolute(m_dir, ec).lexically_normal(); !p.empty() && !fs::exists(p, ec);
             p = p.parent_path()) {
            created = p;
            if (p == p.parent_path()) break;
        }
        fs::create_directories(m_dir + "/checkpoints", ec);
        if (ec) throw IoError("Cannot create the run folder '" + m_dir + "': " + ec.message() + ".");
        m_dirReady = true;
        {
            std::ofstream out(m_dir + "/train.log", std::ios::app);
            for (const auto& line : m_pendingLog) out << line << '\n';
        }
        m_pendingLog.clear();
        return created;
    }

    /// Removes what createRunFolder() and the start after it made: the
    /// folders it created, or the content of a run folder that was empty.
    void removeCreated(const fs::path& created) {
        std::error_code ec;
        if (!created.empty()) {
            fs::remove_all(created, ec);
            return;
        }
        for (const auto& entry : fs::directory_iterator(m_dir, ec)) fs::remove_all(entry.path(), ec);
    }

    /// A cancel (Ctrl-C, the app's Stop) ends the run as a result, wherever it
    /// comes: also while features are cached, before the first batch.
    TrainResult loopUntilCancelled() {
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

    void applyExclusions() {
        if (m_cfg.excludeFiles.empty()) return;
        const std::set<std::string> excluded(m_cfg.excludeFiles.begin(), m_cfg.excludeFiles.end());
        auto filter = [&](std::vector<data::ImageItem>& items) {
            items.erase(std::remove_if(items.begin(), items.end(),
                                       [&](const data::ImageItem& i) { return excluded.count(i.path) > 0; }),
                        items.end());
        };
        filter(m_index.train);
        filter(m_index.val);
        filter(m_index.test);
    }

    zoo::Backbone pretrainedForResume() {
        const std::string what = m_cfg.weightsFile.empty() ? std::string("the cached official ") + m_cfg.arch + " weights"
                                                           : "the weights file '" + m_cfg.weightsFile + "'";
        if (!m_cfg.weightsFile.empty() && !fs::exists(m_cfg.weightsFile))
            throw WeightsError("Cannot resume '" + m_dir + "': no epoch is complete yet, so it restarts from " + what +
                               " (weights_file in its config.json), which no longer exists. Put the file back, or "
                               "start a new run with `tstudio train`.");
        try {
            zoo::Backbone model = weights::loadPretrained(m_cfg.arch, m_cfg.weightsFile);
            log("No complete epoch yet: the model starts again from " + what + ".");
            return model;
        } catch (const Error& e) {
            throw WeightsError("Cannot resume '" + m_dir + "': no epoch is complete yet, so it restarts from " + what +
                               ", which cannot be loaded: " + e.what());
        }
    }

    void setUp(bool resuming) {
        m_cfg.validate();
        if (m_index.classes.size() < 2)
            throw DataError("The dataset '" + m_cfg.dataDir + "' has fewer than two classes; a classifier needs at least two.");
        if (m_index.train.empty()) throw DataError("The dataset '" + m_cfg.dataDir + "' has no training images.");
        if (m_index.val.empty())
            throw DataError("The dataset '" + m_cfg.dataDir + "' has no validation images: add a val/ folder or more "
                            "images per class.");
        const int threads = m_cfg.threads > 0 ? m_cfg.threads : static_cast<int>(std::thread::hardware_concurrency());
        if (threads > 0) at::set_num_threads(threads);

        std::string why;
        m_device = resolveDevice(m_cfg.device, &why);
        const auto& info = zoo::modelInfo(m_cfg.arch);
        m_transform = data::EvalTransform::forModel(info);
        const int64_t numClasses = static_cast<int64_t>(m_index.classes.size());

        torch::manual_seed(m_cfg.seed);
        const bool usePretrained = !m_cfg.weightsFile.empty() || m_cfg.pretrained;
        // A resumed run whose first epoch never completed has no checkpoint
        // to restore: it is rebuilt exactly as `train` built it (same seed,
        // same weights), or refuses when those weights are gone.
        const bool fromCheckpoint = resuming && fs::exists(ckptPath(m_dir, "last.ckpt"));
        if (usePretrained && !fromCheckpoint) {
            m_model = resuming ? pretrainedForResume() : weights::loadPretrained(m_cfg.arch, m_cfg.weightsFile);
            m_model->replaceHead({numClasses, m_cfg.headHiddenUnits, m_cfg.headDropout});
        } else {
            m_model = zoo::createModel(m_cfg.arch, {numClasses});
            if (m_cfg.headHiddenUnits > 0) m_model->replaceHead({numClasses, m_cfg.headHiddenUnits, m_cfg.headDropout});
        }
        if (!usePretrained)
            log("warning: no pretrained weights (--weights or --pretrained): the backbone starts from random "
                "initialisation, which needs far more data and epochs.");

        FreezeSpec spec{m_cfg.freeze, m_cfg.trainStages, m_cfg.freezeStages, m_cfg.trainParams, m_cfg.freezeParams};
        FreezePlan plan(*m_model, spec);
        m_freeze = plan.apply(*m_model);
        m_useCache = m_cfg.featureCache == FeatureCache::Auto && m_freeze.backboneFrozen && m_cfg.augment.isNone();
        m_model->to(torch::Device(m_device));
        m_amp = m_cfg.precision == Precision::Mixed ? planMixedPrecision(m_device) : MixedPrecisionPlan{};
        m_scaler = GradScaler(m_amp.scaleLoss);
        buildOptimizer();

        m_classWeights = at::Tensor();
        if (m_cfg.classWeights) {
            const auto counts = m_index.classCounts(m_index.train);
            std::vector<float> w;
            for (auto n : counts)
                w.push_back(n > 0 ? static_cast<float>(m_index.train.size()) / (counts.size() * n) : 0.0f);
            m_classWeights = at::tensor(w).to(torch::Device(m_device));
        }
        if (resuming) loadCheckpoint();

        std::ostringstream s;
        s << "Run " << m_dir << ": " << m_cfg.arch << ", " << numClasses << " classes, " << m_index.train.size()
          << " train / " << m_index.val.size() << " val images; device " << why << "; " << at::get_num_threads()
          << " CPU threads; trainable parameters " << m_freeze.trainableParams << ", frozen " << m_freeze.frozenParams
          << (m_useCache ? "; backbone frozen and no augmentation: features are computed once and cached" : "");
        log(s.str());
        if (m_cfg.precision == Precision::Mixed) log(m_amp.note + ".");
        if (m_cfg.batchNormPolicy == BatchNormPolicy::AllEval)
            log("Every BatchNorm layer stays in eval mode (batchnorm_policy all-eval): running statistics are used "
                "and not updated; trainable ones still learn their scale and shift.");
        else if (m_freeze.frozenParams > 0)
            log("Frozen BatchNorm layers stay in eval mode: their running statistics are used and not updated.");
    }

    void buildOptimizer() {
        // Parameter groups: the head first, then one group per distinct
        // learning-rate multiplier of the backbone's trainable parameters
        // (backboneLrMultiplier, or the stage's own in stageLrMultipliers).
        const auto& stages = m_model->stages();
        for (const auto& entry : m_cfg.stageLrMultipliers) {
            const bool known = std::any_of(stages.begin(), stages.end(), [&](const zoo::Stage& s) { return s.name == entry.first; });
            if (!known)
                throw ConfigError("stage_lr_multipliers: " + m_cfg.arch + " has no stage \"" + entry.first +
                                  "\". Its stages are: " + stageList(stages) + ".");
        }
        auto stageMultiplier = [&](const std::string& param, bool isHead) {
            return paramLrMultiplier(stages, m_cfg.stageLrMultipliers, m_cfg.backboneLrMultiplier, param, isHead);
        };
        std::vector<double> multipliers;            // one per group; [0] is the head's
        std::vector<std::vector<at::Tensor>> members;
        std::vector<int64_t> counts;
        multipliers.push_back(stageMultiplier(m_model->headPath(), true));
        members.emplace_back();
        counts.push_back(0);
        for (const auto& p : m_model->named_parameters(true)) {
            if (!p.value().requires_grad()) continue;
            const bool isHead = underPath(p.key(), m_model->headPath());
            size_t g = 0;
            if (!isHead) {
                const double m = stageMultiplier(p.key(), false);
                g = std::find(multipliers.begin() + 1, multipliers.end(), m) - multipliers.begin();
                if (g == multipliers.size()) {
                    multipliers.push_back(m);
                    members.emplace_back();
                    counts.push_back(0);
                }
            }
            members[g].push_back(p.value());
            counts[g] += p.value().numel();
        }
        m_groupMultipliers = multipliers;
        if (!m_cfg.stageLrMultipliers.empty()) {
            std::ostringstream s;
            s << "Learning-rate multipliers: head x" << multipliers[0];
            for (size_t g = 1; g < multipliers.size(); ++g)
                s << ", x" << multipliers[g] << " for " << counts[g] << " backbone parameters";
            log(s.str() + ".");
        }
        auto makeOptions = [&](double lr) -> std::unique_ptr<torch::optim::OptimizerOptions> {
            switch (m_cfg.optimizer) {
            case OptimizerKind::SGD:
                return std::make_unique<torch::optim::SGDOptions>(torch::optim::SGDOptions(lr)
                                                                      .momentum(m_cfg.momentum)
                                                                      .nesterov(m_cfg.nesterov)
                                                                      .weight_decay(m_cfg.weightDecay));
            case OptimizerKind::Adam:
                return std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(lr).weight_decay(m_cfg.weightDecay));
            case OptimizerKind::AdamW:
                return std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(lr).weight_decay(m_cfg.weightDecay));
            }
            return nullptr;
        };
        std::vector<torch::optim::OptimizerParamGroup> groups;
        for (size_t g = 0; g < members.size(); ++g) groups.emplace_back(members[g], makeOptions(m_cfg.lr * multipliers[g]));
        switch (m_cfg.optimizer) {
        case OptimizerKind::SGD:
            m_optimizer = std::make_unique<torch::optim::SGD>(groups, torch::optim::SGDOptions(m_cfg.lr));
            break;
        case OptimizerKind::Adam:
            m_optimizer = std::make_unique<torch::optim::Adam>(groups, torch::optim::AdamOptions(m_cfg.lr));
            break;
        case OptimizerKind::AdamW:
            m_optimizer = std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(m_cfg.lr));
            break;
        }
    }

    void setLearningRate(double lr) {
        auto& groups = m_optimizer->param_groups();
        for (size_t i = 0; i < groups.size(); ++i) groups[i].options().set_lr(lr * m_groupMultipliers[i]);
    }

    at::Tensor loss(const at::Tensor& logits, const at::Tensor& labels) {
        c10::optional<at::Tensor> weight;
        if (m_classWeights.defined()) weight = m_classWeights;
        return at::cross_entropy_loss(logits, labels, weight, at::Reduction::Mean, -100, m_cfg.labelSmoothing);
    }

    /// The model (or only its head, on cached features) under the run's
    /// precision; logits always come back as float32.
    at::Tensor run(const at::Tensor& x, bool fromFeatures) {
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
    int trainDecodeAtLeast() const {
        if (m_cfg.augment.preset != data::AugmentPreset::Standard) return 0;
        const data::AugmentOptions crop;  // the standard preset's RandomResizedCrop ranges
        const double smallestSideFraction = std::sqrt(crop.scaleMin * std::min(crop.ratioMin, 1.0));
        return static_cast<int>(std::ceil(m_transform.cropSize / std::max(smallestSideFraction, 1e-3)));
    }

    std::vector<at::Tensor> trainableParameters() const {
        std::vector<at::Tensor> params;
        for (const auto& p : m_model->parameters())
            if (p.requires_grad()) params.push_back(p);
        return params;
    }

    void checkFinite(const at::Tensor& l, int epoch, int batch) {
        if (std::isfinite(l.item<double>())) return;
        throw TrainingDiverged("The loss became " + std::string(std::isnan(l.item<double>()) ? "NaN" : "infinite") +
                               " at epoch " + std::to_string(epoch) + ", batch " + std::to_string(batch) +
                               ". Training stopped. Lower the learning rate (e.g. " + std::to_string(m_cfg.lr / 10) +
                               "), enable gradient clipping (--grad-clip 1.0), or check the data for broken images.");
    }

    // ---- feature cache ----
    struct Cached {
        at::Tensor features, labels;
        std::vector<int64_t> rowOfItem;  ///< item index -> row, -1 for files that could not be read
    };

    Cached computeFeatures(const std::vector<data::ImageItem>& items, const char* what) {
        data::LoaderOptions lo;
        lo.batchSize = m_cfg.batchSize;
        lo.workers = m_cfg.workers;
        lo.seed = m_cfg.seed;
        lo.limits = imageLimits(m_cfg);
        data::Loader loader(items, makeEvalSampleTransform(m_transform), lo);
        loader.startEpoch(0);
        PhaseProgress phase(m_cb, std::string("caching ") + what + " features", 0, static_cast<int64_t>(items.size()));
        m_model->eval();
        std::vector<at::Tensor> feats, labels;
        std::vector<int64_t> rowOfItem(items.size(), -1);
        int64_t rows = 0;
        size_t done = 0;
        torch::NoGradGuard noGrad;
        while (auto batch = loader.next()) {
            if (m_feedback.isCancelled()) throw Cancelled();
            AutocastScope autocast(m_amp, m_device);
            feats.push_back(m_model->features(batch->images.to(torch::Device(m_device))).to(at::kCPU, at::kFloat));
            labels.push_back(batch->labels);
            for (const int64_t i : batch->indices) rowOfItem[static_cast<size_t>(i)] = rows++;
            done += batch->indices.size();
            m_feedback.reportProgress(static_cast<double>(done) / items.size(), std::string("caching ") + what + " features");
            phase.report(static_cast<int64_t>(done));
        }
        for (const auto& s : loader.skipped()) m_skipped.insert(s.path + ": " + s.reason);
        if (feats.empty()) throw DataError(std::string("No ") + what + " image of '" + m_cfg.dataDir + "' could be read.");
        return {at::cat(feats), at::cat(labels), std::move(rowOfItem)};
    }

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

    // ---- one epoch ----
    struct EpochStats {
        double lossSum = 0.0;
        int64_t correct = 0, seen = 0;
    };

    void trainStep(const at::Tensor& input, const at::Tensor& labels, bool fromFeatures, int epoch, int batch,
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

    // The same order and batches as the Loader's (data/Random.h), so the
    // cached path and the full path see identical batches.
    std::vector<int64_t> epochOrder(size_t n, int epoch) const {
        std::vector<int64_t> order(n);
        for (size_t i = 0; i < n; ++i) order[i] = static_cast<int64_t>(i);
        std::mt19937_64 rng(data::mixSeed(m_cfg.seed, static_cast<uint64_t>(epoch)));
        data::shuffleInPlace(order, rng);
        return order;
    }

    EpochStats trainEpochCached(int epoch, Clock::time_point runStart, int64_t& images) {
        EpochStats stats;
        FreezePlan::setTrainMode(*m_model, m_cfg.batchNormPolicy == BatchNormPolicy::AllEval);
        const auto& rowOf = m_trainCache.rowOfItem;
        const auto order = epochOrder(rowOf.size(), epoch);
        const size_t bs = static_cast<size_t>(m_cfg.batchSize);
        const int numBatches = static_cast<int>((order.size() + bs - 1) / bs);
        for (int b = 0; b < numBatches; ++b) {
            if (!m_feedback.waitIfPaused()) throw Cancelled();
            std::vector<int64_t> rows;
            for (size_t k = b * bs; k < std::min(order.size(), (b + 1) * bs); ++k)
                if (rowOf[static_cast<size_t>(order[k])] >= 0) rows.push_back(rowOf[static_cast<size_t>(order[k])]);
            if (rows.empty()) continue;
            const at::Tensor sel = at::tensor(rows);
            const at::Tensor x = m_trainCache.features.index_select(0, sel).to(torch::Device(m_device));
            const at::Tensor y = m_trainCache.labels.index_select(0, sel).to(torch::Device(m_device));
            trainStep(x, y, /*fromFeatures=*/true, epoch, b + 1, numBatches, stats, runStart, images);
        }
        return stats;
    }

    EpochStats trainEpochFull(int epoch, Clock::time_point runStart, int64_t& images) {
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

    struct ValStats {
        double loss = 0.0;
        ConfusionMatrix confusion;
    };

    ValStats validate(int epoch) {
        ValStats v{0.0, ConfusionMatrix(static_cast<int64_t>(m_index.classes.size()))};
        const int64_t total = m_useCache ? m_valCache.features.size(0) : static_cast<int64_t>(m_index.val.size());
        PhaseProgress phase(m_cb, "validation", epoch, total);
        m_model->eval();
        torch::NoGradGuard noGrad;
        double lossSum = 0.0;
        int64_t seen = 0;
        auto consume = [&](const at::Tensor& logits, const at::Tensor& labels) {
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
        return v;
    }

    // ---- persistence ----
    void saveCheckpoint(const std::string& path) {
        // Plain tensors and numbers only (see Checkpoint.h): nothing in a
        // checkpoint is ever executed when it is read back.
        CheckpointData data;
        data.model = weights::stateDictOf(*m_model);
        data.optimizerKind = optimizerKindName(m_cfg.optimizer);
        data.optimizer = optimizerStateOf(*m_optimizer, m_cfg.optimizer);
        {
            auto gen = at::detail::getDefaultCPUGenerator();
            std::lock_guard<std::mutex> lock(gen.mutex());
            data.rng = gen.get_state();
        }
        data.epochsDone = m_progress.epochsDone;
        data.step = m_progress.step;
        data.bestMetric = m_progress.bestMetric;
        data.hasBest = m_progress.hasBest;
        data.bestEpoch = m_progress.bestEpoch;
        data.sinceImprovement = m_progress.sinceImprovement;
        for (const auto& record : m_progress.history) data.history.push_back(record.toJson());
        writeCheckpoint(data, path);
    }

    void loadCheckpoint() {
        const std::string path = ckptPath(m_dir, "last.ckpt");
        if (!fs::exists(path)) {
            log("No complete epoch in this run yet: starting it from the beginning.");
            for (const char* f : {"/metrics.jsonl", "/metrics.csv"}) fs::remove(m_dir + f);
            return;
        }
        CheckpointData data = readCheckpoint(path);
        weights::applyStateDict(*m_model, data.model, path, m_cfg.arch);
        restoreOptimizerState(*m_optimizer, m_cfg.optimizer, data.optimizerKind, data.optimizer, path);
        {
            auto gen = at::detail::getDefaultCPUGenerator();
            std::lock_guard<std::mutex> lock(gen.mutex());
            try {
                gen.set_state(data.rng);
            } catch (const c10::Error& e) {
                throw IoError("Checkpoint '" + path + "' is damaged: its random generator state is not valid (" +
                              printable(e.what_without_backtrace(), 160) +
                              "). This run cannot be resumed: start a new run (its best model so far, model.tsb, still works for predict, eval and export).");
            }
        }
        m_progress.epochsDone = data.epochsDone;
        m_progress.step = data.step;
        m_progress.bestMetric = data.bestMetric;
        m_progress.hasBest = data.hasBest;
        m_progress.bestEpoch = data.bestEpoch;
        m_progress.sinceImprovement = data.sinceImprovement;
        m_progress.history.clear();
        for (const auto& row : data.history)  // non-finite metrics are NaN again
            m_progress.history.push_back(EpochRecord::fromJson(row, "the history in checkpoint '" + path + "'"));
        writeMetricsFiles();  // drop any epoch logged after the checkpoint
        log("Resuming after epoch " + std::to_string(m_progress.epochsDone) + " of " + std::to_string(m_cfg.epochs) + ".");
    }

    void writeMetricsFiles() {
        // A diverged epoch holds NaN or inf: metrics.jsonl writes null (JSON
        // has no NaN), metrics.csv "nan"/"inf".
        std::string jsonl, csv = "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds\n";
        for (const auto& h : m_progress.history) {
            jsonl += h.toJson().dump() + "\n";
            std::ostringstream row;
            row << std::setprecision(8) << h.epoch << ',' << h.trainLoss << ',' << h.trainAccuracy << ',' << h.valLoss
                << ',' << h.valAccuracy << ',' << h.lr << ',' << h.seconds << '\n';
            csv += row.str();
        }
        writeFileAtomic(m_dir + "/metrics.jsonl", jsonl);
        writeFileAtomic(m_dir + "/metrics.csv", csv);
    }

    void writeBundle(const json& metrics) {
        exporting::BundleMeta meta;
        meta.arch = m_cfg.arch;
        meta.classes = m_index.classes;
        meta.headHiddenUnits = m_cfg.headHiddenUnits;
        meta.headDropout = m_cfg.headDropout;
        meta.transform = m_transform;
        meta.trainConfig = toJson(m_cfg);
        meta.metrics = metrics;
        meta.manifestHash = data::manifestHash(m_index);
        exporting::saveBundle(*m_model, meta, m_dir + "/model.tsb");
    }

    TrainResult loop() {
        TrainResult result;
        result.runDir = m_dir;
        result.device = m_device;
        result.usedFeatureCache = m_useCache;
        if (m_progress.epochsDone >= m_cfg.epochs) {
            log("This run already completed all " + std::to_string(m_cfg.epochs) + " epochs.");
            return finish(result);
        }
        data::LoaderOptions lo;
        lo.batchSize = m_cfg.batchSize;
        lo.workers = m_cfg.workers;
        lo.seed = m_cfg.seed;
        lo.limits = imageLimits(m_cfg);
        if (m_useCache) {
            m_trainCache = computeFeatures(m_index.train, "training");
            m_valCache = computeFeatures(m_index.val, "validation");
        } else {
            lo.shuffle = true;
            lo.decodeAtLeast = trainDecodeAtLeast();
            // Only JPEGs can be decoded at reduced size: say so only when there are some.
            const bool anyJpeg = std::any_of(m_index.train.begin(), m_index.train.end(), [](const data::ImageItem& item) {
                std::string ext = fs::path(item.path).extension().string();
                for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
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
                    writeBundle(em.toJson());
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
            }
        } catch (const Cancelled&) {
            result.cancelled = true;
            log("Cancelled. Completed epochs are saved; continue with `tstudio resume " + m_dir + "`.");
        }
        return finish(result);
    }

    TrainResult finish(TrainResult result) {
        result.epochsRun = m_progress.epochsDone;
        result.bestEpoch = m_progress.bestEpoch;
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

    TrainConfig m_cfg;
    std::string m_dir;
    const TrainerCallbacks& m_cb;
    Feedback& m_feedback;
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

} // namespace

TrainResult trainRun(const TrainConfig& config, const std::string& runDir, const TrainerCallbacks& callbacks,
                     Feedback& feedback) {
    config.validate();
    Run run(config, runDir, callbacks, feedback);
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

TrainResult resumeRun(const std::string& runDir, const TrainerCallbacks& callbacks, Feedback& feedback) {
    if (!fs::exists(runDir + "/config.json") || !fs::exists(runDir + "/manifest.json"))
        throw IoError("'" + runDir + "' is not a run folder (config.json and manifest.json are missing).");
    Run run(loadTrainConfig(runDir + "/config.json"), runDir, callbacks, feedback);
    return run.resume();
}

} // namespace ts::train
