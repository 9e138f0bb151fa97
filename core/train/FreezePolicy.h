#pragma once
// The stage learning-rate policy of a freeze plan, in one place for the
// trainer's optimizer groups (Trainer) and the app's Layers page, which shows
// the multipliers before a run: which multiplier a stage trains with, and
// the graded (discriminative) rates the page offers. Freeze presets
// themselves are TrainConfig's FreezePreset; FreezePlan.h applies them to a
// model. Plain values only (no LibTorch), so the app's pages can include it.
//
// Thread safety: free functions, no shared state.
#include <map>
#include <string>
#include <vector>

namespace ts::train {

/// The learning-rate multiplier of `stage` (relative to the configured lr):
/// its own entry in `stageLrMultipliers` when it has one, else 1 for the
/// head and `backboneLrMultiplier` for a backbone stage.
double stageLrMultiplier(const std::map<std::string, double>& stageLrMultipliers, double backboneLrMultiplier,
                         const std::string& stage, bool isHead);

/// One stage of a model as the graded policy needs it, in the model's order.
struct StageTrainability {
    std::string name;
    bool isHead = false;
    bool trainable = false;  ///< some of its parameters train under the plan
};

/// Graded learning rates: the head x1, then, from the last backbone stage to
/// the first, each trainable stage `factor` times the rate of the trainable
/// stage after it (factor, factor^2, ...). Frozen stages get no entry.
/// Requires: factor > 0.
std::map<std::string, double> gradedStageLrMultipliers(const std::vector<StageTrainability>& stages, double factor);

} // namespace ts::train
