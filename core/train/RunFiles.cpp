// The files a run writes as it goes: the checkpoints (their format is
// Checkpoint.h), metrics.jsonl and metrics.csv (EpochRecord rows) and the
// best model's bundle.
#include "core/train/TrainRun.h"
#include "core/train/Calibration.h"

namespace ts::train::detail {

void Run::saveCheckpoint(const std::string& path) {
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

void Run::loadCheckpoint() {
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

void Run::writeMetricsFiles() {
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

void Run::writeBundle(const json& metrics, const ValStats& val) {
    exporting::BundleMeta meta;
    meta.arch = m_cfg.arch;
    meta.classes = m_index.classes;
    meta.headHiddenUnits = m_cfg.headHiddenUnits;
    meta.headDropout = m_cfg.headDropout;
    meta.transform = m_transform;
    meta.trainConfig = toJson(m_cfg);
    meta.metrics = metrics;
    meta.manifestHash = data::manifestHash(m_index);
    // Calibrated confidence: the temperature and the unknown threshold of this
    // model, fitted on its validation logits (a split without images keeps T = 1).
    const Calibration calibration = calibrate(val.logits, val.labels, m_cfg.unknownTargetRecall);
    meta.temperature = calibration.temperature;
    meta.unknownThreshold = calibration.unknownThreshold;
    meta.unknownTargetRecall = calibration.targetRecall;
    exporting::saveBundle(*m_model, meta, m_dir + "/model.tsb");
}

} // namespace ts::train::detail
