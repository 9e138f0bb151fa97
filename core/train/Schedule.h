#pragma once
// Learning-rate schedules, evaluated per optimisation step.
#include "core/train/TrainConfig.h"

#include <vector>

namespace ts::train {

/// The learning rate at `step` (0-based) of `totalSteps`, for a run with
/// `stepsPerEpoch` steps per epoch: constant, step (x gamma every N epochs),
/// cosine (to 0), or one-cycle (cosine up to lr over 30% of the run from
/// lr/25, then cosine down to lr/1e4, as torch's OneCycleLR), with an
/// optional linear warm-up from lr/10 over `warmupEpochs` (not for one-cycle).
double learningRateAt(const TrainConfig& c, int64_t step, int64_t stepsPerEpoch);

/// The whole curve, one value per step (for the GUI's schedule preview).
std::vector<double> scheduleCurve(const TrainConfig& c, int64_t stepsPerEpoch);

} // namespace ts::train
