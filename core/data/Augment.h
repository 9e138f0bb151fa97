#pragma once
// Training-time augmentation: the torchvision recipe most fine-tuning uses
// (RandomResizedCrop + RandomHorizontalFlip), plus optional vertical flip,
// rotation, colour jitter and random erasing, all drawn from the caller's
// std::mt19937 so the same seed gives identical tensors on every machine.
//
// Geometry: the crop box is sampled exactly as torchvision's
// RandomResizedCrop.get_params (10 attempts, then the ratio-clamped center
// crop; Python's round-half-even), and the box is resized with resamplePil
// (PIL-exact antialiased bilinear/bicubic), i.e. what torchvision does on PIL
// images for the same box. Random numbers come from our own portable draws,
// not torch's generator, so individual crops differ from a Python run while
// their distribution is the same.
// Rotation uses bilinear interpolation with black corners (torchvision's
// default is nearest); colour jitter follows torchvision's definitions
// (blend with black / mean grey / greyscale, hue shift in HSV) in float and
// rounds once, so it is close to but not bit-exact with PIL.
// Random erasing fills the erased box with the normalisation mean, which is
// torchvision's RandomErasing(value=0) after Normalize.
#include "core/data/AugmentPreset.h"
#include "core/data/Loader.h"
#include "core/data/Preprocess.h"

#include <opencv2/core/mat.hpp>

#include <cstdint>
#include <random>
#include <vector>

namespace ts::data {

/// torchvision ColorJitter: each factor is drawn uniformly from
/// [max(0, 1 - v), 1 + v] (hue: [-v, v]); 0 switches that part off.
struct ColorJitter {
    /// Brightness strength. Default 0.
    float brightness = 0.0f;
    /// Contrast strength. Default 0.
    float contrast = 0.0f;
    /// Saturation strength. Default 0.
    float saturation = 0.0f;
    /// Hue shift, at most 0.5 (a full turn is 1). Default 0.
    float hue = 0.0f;

    bool enabled() const { return brightness > 0 || contrast > 0 || saturation > 0 || hue > 0; }
};

struct AugmentOptions {
    /// Base recipe. Default Standard.
    AugmentPreset preset = AugmentPreset::Standard;
    /// RandomResizedCrop area range, as a fraction of the image. Default (0.08, 1).
    double scaleMin = 0.08;
    double scaleMax = 1.0;
    /// RandomResizedCrop aspect-ratio range (width / height). Default (3/4, 4/3).
    double ratioMin = 3.0 / 4.0;
    double ratioMax = 4.0 / 3.0;
    /// Standard preset: flip left-right with probability 0.5. Default true.
    bool horizontalFlip = true;
    /// Flip upside down with probability 0.5 (aerial, microscopy). Default false.
    bool verticalFlip = false;
    /// Rotate by a uniform angle in [-d, d] degrees (0 = off). Default 0.
    double rotationDegrees = 0.0;
    /// Colour jitter (all parts off by default).
    ColorJitter colorJitter;
    /// Probability of erasing one random rectangle (torchvision RandomErasing,
    /// scale (0.02, 0.33), ratio (0.3, 3.3)). Default 0.
    double randomErasing = 0.0;

    /// Throws ts::ConfigError naming the option when a value is out of range.
    void validate() const;
};

/// One augmented RGB 8-bit image of side `t.cropSize` (before normalisation):
/// what the network sees, for previews and tests.
cv::Mat augmentImage(const cv::Mat& rgb, const AugmentOptions& options, const EvalTransform& t, std::mt19937& rng);

/// The training transform for the Loader: augmentImage() then normalisation
/// with t.mean / t.std. Validates the options (ts::ConfigError).
SampleTransform makeTrainTransform(const AugmentOptions& options, const EvalTransform& t);

/// The eval transform for the Loader (ignores the rng).
SampleTransform makeEvalTransform(const EvalTransform& t);

/// `n` augmented versions of `rgb` for the preview grid; image i uses an rng
/// seeded from (seed, i), so changing n keeps the first images.
std::vector<cv::Mat> previewAugmentations(const cv::Mat& rgb, const AugmentOptions& options, int n, uint64_t seed,
                                          const EvalTransform& t = {});

/// The crop box torchvision's RandomResizedCrop.get_params would choose
/// (x, y, width, height), drawn from `rng`. Exposed for tests.
cv::Rect randomResizedCropBox(int width, int height, const AugmentOptions& options, std::mt19937& rng);

} // namespace ts::data
