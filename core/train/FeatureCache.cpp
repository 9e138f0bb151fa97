// The feature cache: with a frozen backbone and no augmentation the
// backbone's features are computed once per run and only the head trains
// on them, in the same order and batches as the loader's.
#include "core/train/TrainRun.h"

namespace ts::train::detail {

Cached Run::computeFeatures(const std::vector<data::ImageItem>& items, const char* what) {
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

// The same order and batches as the Loader's (data/Random.h), so the
// cached path and the full path see identical batches.
std::vector<int64_t> Run::epochOrder(size_t n, int epoch) const {
    std::vector<int64_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = static_cast<int64_t>(i);
    std::mt19937_64 rng(data::mixSeed(m_cfg.seed, static_cast<uint64_t>(epoch)));
    data::shuffleInPlace(order, rng);
    return order;
}

EpochStats Run::trainEpochCached(int epoch, Clock::time_point runStart, int64_t& images) {
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

} // namespace ts::train::detail
