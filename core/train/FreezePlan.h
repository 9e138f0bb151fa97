#pragma once
// FreezePlan: which parameters of a backbone train.
//
// Built from a preset ("feature-extraction", "last:N", "none") over the
// model's ordered stages, then per-stage and per-parameter-name overrides.
// apply() sets requires_grad; setTrainMode() puts the model in train mode but
// keeps every module whose parameters are all frozen (BatchNorm above all) in
// eval mode, so frozen BatchNorm layers use and keep their running statistics.
// The stage learning-rate policy (which multiplier a stage trains with,
// graded rates) is in FreezePolicy.h, which the app's pages can include.
#include "core/train/TrainConfig.h"
#include "core/zoo/Backbone.h"

#include <map>
#include <string>
#include <vector>

namespace ts::train {

struct FreezeSpec {
    FreezePreset preset;  ///< feature extraction, the last N stages, or none
    std::vector<std::string> trainStages, freezeStages;
    std::vector<std::string> trainParams, freezeParams;  ///< parameter-name prefixes
};

struct FreezeSummary {
    int64_t trainableParams = 0;
    int64_t frozenParams = 0;
    std::vector<std::string> trainableStages;  ///< stages with every parameter trainable
    std::vector<std::string> frozenStages;     ///< stages with every parameter frozen
    bool backboneFrozen = false;               ///< only head parameters train
};

class FreezePlan {
public:
    /// Validates the spec against the model's stages (unknown stage or
    /// parameter names -> ts::ConfigError listing the valid ones).
    FreezePlan(const zoo::BackboneImpl& model, const FreezeSpec& spec);

    /// Sets requires_grad of every parameter; returns the counts.
    FreezeSummary apply(zoo::BackboneImpl& model) const;

    /// Whether the named parameter trains under this plan.
    bool isTrainable(const std::string& paramName) const;

    /// model.train(), then eval() on every module whose own parameters and
    /// all of whose children's are frozen (BN stays in eval mode; frozen
    /// blocks' dropout is off). With `allBatchNormEval` every BatchNorm
    /// layer stays in eval mode, trainable or not: its affine parameters
    /// still learn, but it normalises with (and keeps) its pretrained running
    /// statistics; the usual choice for small batches.
    static void setTrainMode(zoo::BackboneImpl& model, bool allBatchNormEval = false);

private:
    std::vector<std::pair<std::string, bool>> m_decisions;  // param name -> trainable
};

/// True when `name` is `prefix` or lies under it ("layer4" covers "layer4.0.conv1.weight").
bool underPath(const std::string& name, const std::string& prefix);
/// True when the parameter `param` lies under one of the stage's modules.
bool inStage(const std::string& param, const zoo::Stage& stage);
/// The learning-rate multiplier of the parameter `param` (the optimizer
/// group it joins): the multiplier of the first of `stages` that holds it and
/// has an entry in `stageLrMultipliers`, else stageLrMultiplier()'s default
/// (1 for the head, `backboneLrMultiplier` for the backbone).
double paramLrMultiplier(const std::vector<zoo::Stage>& stages, const std::map<std::string, double>& stageLrMultipliers,
                         double backboneLrMultiplier, const std::string& param, bool isHead);
/// The stages' names, comma-separated, for messages that list the valid ones.
std::string stageList(const std::vector<zoo::Stage>& stages);

} // namespace ts::train
