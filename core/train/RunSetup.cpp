// Setting a run up: the run folder (checked before anything is created,
// removed again when the start fails), the data, the model and its
// weights, the freeze plan, the device and precision.
#include "core/train/TrainRun.h"

namespace ts::train::detail {

void Run::log(const std::string& line) {
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

std::string Run::absolutePath(const std::string& path) {
    if (path.empty()) return path;
    std::error_code ec;
    const fs::path abs = fs::absolute(path, ec);
    return ec ? path : abs.lexically_normal().string();
}

/// Throws when `m_dir` holds anything (a run to resume, or other files);
/// creates nothing.
void Run::checkRunFolderIsFree() const {
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
fs::path Run::createRunFolder() {
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
void Run::removeCreated(const fs::path& created) {
    std::error_code ec;
    if (!created.empty()) {
        fs::remove_all(created, ec);
        return;
    }
    for (const auto& entry : fs::directory_iterator(m_dir, ec)) fs::remove_all(entry.path(), ec);
}

void Run::applyExclusions() {
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

zoo::Backbone Run::pretrainedForResume() {
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

zoo::Backbone Run::trainedForInit(bool resuming) {
    const std::string& from = m_cfg.initFrom;
    const std::string start = resuming ? "Cannot resume '" + m_dir + "': no epoch is complete yet, so it restarts from '" +
                                             from + "' (init_from in its config.json)"
                                       : "Cannot start from '" + from + "' (init_from, --init-from)";
    exporting::LoadedModel loaded;
    try {
        loaded = exporting::loadTrainedModel(from);
    } catch (const Error& e) {
        throw WeightsError(start + ": " + e.what());
    }
    const auto& meta = loaded.meta;
    if (meta.arch != m_cfg.arch)
        throw ConfigError(start + ": it is a " + printable(meta.arch, 60) + " model and this run's arch is " +
                          m_cfg.arch + ". Set arch to " + printable(meta.arch, 60) +
                          " (--arch), or start from a model of this architecture.");
    if (meta.headHiddenUnits != m_cfg.headHiddenUnits)
        throw ConfigError(start + ": its head has " + std::to_string(meta.headHiddenUnits) +
                          " hidden units and this run's has " + std::to_string(m_cfg.headHiddenUnits) +
                          ". Set head_hidden_units to " + std::to_string(meta.headHiddenUnits) + " (--head-hidden).");
    if (meta.classes != m_index.classes) {
        auto list = [](const std::vector<std::string>& names) {
            std::string s;
            for (size_t i = 0; i < names.size() && i < 8; ++i) s += (i ? ", " : "") + printable(names[i], 40);
            return names.size() > 8 ? s + ", ... (" + std::to_string(names.size()) + ")" : s;
        };
        std::string first;
        for (size_t i = 0; i < std::max(meta.classes.size(), m_index.classes.size()); ++i) {
            const std::string a = i < meta.classes.size() ? "\"" + printable(meta.classes[i], 40) + "\"" : "none";
            const std::string b = i < m_index.classes.size() ? "\"" + printable(m_index.classes[i], 40) + "\"" : "none";
            if (a != b) {
                first = " (class " + std::to_string(i + 1) + " is " + a + " there and " + b + " here)";
                break;
            }
        }
        throw DataError(start + ": it was trained on the classes [" + list(meta.classes) + "] and the dataset '" +
                        m_cfg.dataDir + "' has [" + list(m_index.classes) + "]" + first +
                        ". --init-from keeps the trained head, so the class folders must have the same names; "
                        "rename them, or start from pretrained weights instead (--weights, --pretrained).");
    }
    log("The model starts from the trained " + meta.arch + " of '" + from + "', head included (" +
        std::to_string(meta.classes.size()) + " classes).");
    return loaded.model;
}

void Run::setUp(bool resuming) {
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
    const bool initFrom = !m_cfg.initFrom.empty();
    const bool usePretrained = initFrom || !m_cfg.weightsFile.empty() || m_cfg.pretrained;
    // A resumed run whose first epoch never completed has no checkpoint
    // to restore: it is rebuilt exactly as `train` built it (same seed,
    // same weights), or refuses when those weights are gone.
    const bool fromCheckpoint = resuming && fs::exists(ckptPath(m_dir, "last.ckpt"));
    if (initFrom && !fromCheckpoint) {
        m_model = trainedForInit(resuming);
    } else if (usePretrained && !fromCheckpoint) {
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

} // namespace ts::train::detail
