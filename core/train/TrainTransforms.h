#pragma once
// The per-sample transforms a run uses, built from its config.
#include "core/data/Loader.h"
#include "core/data/Preprocess.h"
#include "core/train/TrainConfig.h"

namespace ts::data {
struct AugmentOptions;
}

namespace ts::train {

/// The data layer's augmentation options for a config.
data::AugmentOptions toAugmentOptions(const AugmentConfig& augment);

/// The eval transform (resize shorter side + center crop + normalise).
data::SampleTransform makeEvalSampleTransform(const data::EvalTransform& t);

/// The training transform: the eval transform for preset "none" without
/// options, otherwise the augmentation pipeline.
data::SampleTransform makeTrainSampleTransform(const AugmentConfig& augment, const data::EvalTransform& t);

} // namespace ts::train
