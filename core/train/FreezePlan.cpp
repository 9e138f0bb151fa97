#include "core/train/FreezePlan.h"
#include "core/train/FreezePolicy.h"

#include "core/common/Error.h"
#include "core/common/Json.h"
#include "core/train/TrainConfig.h"

#include <algorithm>

namespace ts::train {

bool underPath(const std::string& name, const std::string& prefix) {
    if (prefix.empty()) return true;
    return name == prefix || (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
                              name[prefix.size()] == '.');
}

namespace {

const zoo::Stage* findStage(const std::vector<zoo::Stage>& stages, const std::string& name) {
    for (const auto& s : stages)
        if (s.name == name) return &s;
    // also accept a stage's module path ("layer3" for stage "layer3")
    for (const auto& s : stages)
        if (s.modules.size() == 1 && s.modules.front() == name) return &s;
    return nullptr;
}

} // namespace

double stageLrMultiplier(const std::map<std::string, double>& stageLrMultipliers, double backboneLrMultiplier,
                         const std::string& stage, bool isHead) {
    const auto it = stageLrMultipliers.find(stage);
    if (it != stageLrMultipliers.end()) return it->second;
    return isHead ? 1.0 : backboneLrMultiplier;
}

std::map<std::string, double> gradedStageLrMultipliers(const std::vector<StageTrainability>& stages, double factor) {
    std::map<std::string, double> out;
    double rate = 1.0;
    for (auto it = stages.rbegin(); it != stages.rend(); ++it) {
        if (it->isHead) {
            out[it->name] = 1.0;
            continue;
        }
        if (!it->trainable) continue;
        rate *= factor;
        out[it->name] = rate;
    }
    return out;
}

double paramLrMultiplier(const std::vector<zoo::Stage>& stages, const std::map<std::string, double>& stageLrMultipliers,
                         double backboneLrMultiplier, const std::string& param, bool isHead) {
    // The first stage that holds the parameter and has its own multiplier.
    for (const auto& stage : stages)
        if (stageLrMultipliers.count(stage.name) && inStage(param, stage))
            return stageLrMultipliers.at(stage.name);
    return isHead ? 1.0 : backboneLrMultiplier;
}

bool inStage(const std::string& param, const zoo::Stage& stage) {
    return std::any_of(stage.modules.begin(), stage.modules.end(),
                       [&](const std::string& m) { return underPath(param, m); });
}

std::string stageList(const std::vector<zoo::Stage>& stages) {
    std::string s;
    for (const auto& st : stages) s += (s.empty() ? "" : ", ") + st.name;
    return s;
}

FreezePlan::FreezePlan(const zoo::BackboneImpl& model, const FreezeSpec& spec) {
    const auto& stages = model.stages();
    const std::string& head = model.headPath();
    int trainLast = -1;  // number of non-head stages that train
    const int backboneStages = static_cast<int>(stages.size()) - 1;
    switch (spec.preset.kind) {
    case FreezePreset::Kind::FeatureExtraction: trainLast = 0; break;
    case FreezePreset::Kind::LastStages:
        if (spec.preset.lastStages >= 0 && spec.preset.lastStages <= kMaxFreezeLastStages)
            trainLast = std::min(spec.preset.lastStages, backboneStages);
        break;
    case FreezePreset::Kind::None: trainLast = backboneStages; break;
    }
    if (trainLast < 0)
        throw ConfigError("Invalid freeze preset \"" + printable(toString(spec.preset), 40) +
                          "\": use feature-extraction, last:N (N from 0 to " + std::to_string(kMaxFreezeLastStages) +
                          ") or none.");

    for (const auto& list : {spec.trainStages, spec.freezeStages})
        for (const auto& name : list)
            if (!findStage(stages, name))
                throw ConfigError("The " + model.arch() + " model has no stage '" + name + "'. Its stages: " +
                                  stageList(stages) + ".");

    for (const auto& p : model.named_parameters(true)) {
        const std::string& name = p.key();
        bool trainable;
        if (underPath(name, head)) {
            trainable = true;
        } else if (spec.preset.kind == FreezePreset::Kind::None) {
            trainable = true;
        } else {
            trainable = false;
            for (int i = backboneStages - trainLast; i < backboneStages; ++i)
                if (inStage(name, stages[static_cast<size_t>(i)])) trainable = true;
        }
        for (const auto& s : spec.trainStages)
            if (inStage(name, *findStage(stages, s))) trainable = true;
        for (const auto& s : spec.freezeStages)
            if (inStage(name, *findStage(stages, s))) trainable = false;
        for (const auto& prefix : spec.trainParams)
            if (underPath(name, prefix) || name.rfind(prefix, 0) == 0) trainable = true;
        for (const auto& prefix : spec.freezeParams)
            if (underPath(name, prefix) || name.rfind(prefix, 0) == 0) trainable = false;
        m_decisions.emplace_back(name, trainable);
    }
    for (const auto& list : {spec.trainParams, spec.freezeParams})
        for (const auto& prefix : list) {
            const bool matches = std::any_of(m_decisions.begin(), m_decisions.end(),
                                             [&](const auto& d) { return d.first.rfind(prefix, 0) == 0; });
            if (!matches)
                throw ConfigError("No parameter of " + model.arch() + " starts with '" + prefix +
                                  "'. See the layer tree (tstudio viz layers --arch " + model.arch() + ").");
        }
}

bool FreezePlan::isTrainable(const std::string& paramName) const {
    for (const auto& [name, trainable] : m_decisions)
        if (name == paramName) return trainable;
    return false;
}

FreezeSummary FreezePlan::apply(zoo::BackboneImpl& model) const {
    FreezeSummary summary;
    bool anyBackboneTrainable = false;
    for (auto& p : model.named_parameters(true)) {
        const bool trainable = isTrainable(p.key());
        p.value().set_requires_grad(trainable);
        (trainable ? summary.trainableParams : summary.frozenParams) += p.value().numel();
        if (trainable && !underPath(p.key(), model.headPath())) anyBackboneTrainable = true;
    }
    summary.backboneFrozen = !anyBackboneTrainable;
    for (const auto& stage : model.stages()) {
        bool all = true, none = true, any = false;
        for (const auto& p : model.named_parameters(true)) {
            if (!inStage(p.key(), stage)) continue;
            any = true;
            (p.value().requires_grad() ? none : all) = false;
        }
        if (!any) continue;
        if (all) summary.trainableStages.push_back(stage.name);
        if (none) summary.frozenStages.push_back(stage.name);
    }
    return summary;
}

void FreezePlan::setTrainMode(zoo::BackboneImpl& model, bool allBatchNormEval) {
    model.train(true);
    const std::string& head = model.headPath();
    // Does the subtree at `path` hold a trainable parameter outside the head?
    std::vector<std::string> trainableBackbone;
    for (const auto& p : model.named_parameters(true))
        if (p.value().requires_grad() && !underPath(p.key(), head)) trainableBackbone.push_back(p.key());
    auto subtreeTrains = [&](const std::string& path) {
        return std::any_of(trainableBackbone.begin(), trainableBackbone.end(),
                           [&](const std::string& name) { return underPath(name, path); });
    };
    for (const auto& item : model.named_modules("", /*include_self=*/false)) {
        const std::string& path = item.key();
        if (underPath(path, head) || underPath(head, path)) continue;  // the head and its ancestors train
        const std::vector<at::Tensor> params = item.value()->parameters(true);
        bool frozen;
        if (!params.empty()) {
            // A module with parameters is frozen when none of them train
            // (BatchNorm: running statistics stay untouched).
            frozen = std::none_of(params.begin(), params.end(), [](const at::Tensor& t) { return t.requires_grad(); });
        } else {
            // Dropout, pooling, activations: frozen when their parent's
            // (non-head) parameters are all frozen, e.g. the dropout before a
            // new head in feature extraction, so the cached-feature path and
            // the full forward compute the same thing.
            const auto dot = path.rfind('.');
            frozen = !subtreeTrains(dot == std::string::npos ? std::string() : path.substr(0, dot));
        }
        if (frozen || (allBatchNormEval && item.value()->name().find("BatchNorm") != std::string::npos))
            item.value()->eval();
    }
}

} // namespace ts::train
