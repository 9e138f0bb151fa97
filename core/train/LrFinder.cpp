// The learning-rate range test (lrFind in Trainer.h): a throwaway copy of
// the run trained for a few batches while the rate grows exponentially.
#include "core/train/TrainRun.h"

namespace ts::train::detail {

LrFindResult Run::findLr(int steps, double startLr, double endLr, const std::function<void(double, double)>& onStep) {
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

} // namespace ts::train::detail
