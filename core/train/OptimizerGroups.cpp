// The optimizer of a run: one parameter group for the head, then one per
// distinct learning-rate multiplier of the trainable backbone parameters
// (FreezePolicy.h), and the learning rate of each group at a step.
#include "core/train/TrainRun.h"

namespace ts::train::detail {

void Run::buildOptimizer() {
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

void Run::setLearningRate(double lr) {
    auto& groups = m_optimizer->param_groups();
    for (size_t i = 0; i < groups.size(); ++i) groups[i].options().set_lr(lr * m_groupMultipliers[i]);
}

} // namespace ts::train::detail
