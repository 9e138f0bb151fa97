#include "core/train/TrainTransforms.h"

#include "core/data/Augment.h"

namespace ts::train {

data::AugmentOptions toAugmentOptions(const AugmentConfig& a) {
    data::AugmentOptions o;
    o.preset = a.preset;
    o.rotationDegrees = a.rotationDegrees;
    o.colorJitter.brightness = static_cast<float>(a.brightness);
    o.colorJitter.contrast = static_cast<float>(a.contrast);
    o.colorJitter.saturation = static_cast<float>(a.saturation);
    o.colorJitter.hue = static_cast<float>(a.hue);
    o.verticalFlip = a.verticalFlip;
    o.randomErasing = a.randomErasing;
    return o;
}

data::SampleTransform makeEvalSampleTransform(const data::EvalTransform& t) { return data::makeEvalTransform(t); }

data::SampleTransform makeTrainSampleTransform(const AugmentConfig& augment, const data::EvalTransform& t) {
    if (augment.isNone()) return makeEvalSampleTransform(t);
    return data::makeTrainTransform(toAugmentOptions(augment), t);
}

} // namespace ts::train
