#pragma once
// The augmentation presets, apart from Augment.h so that TrainConfig.h (read
// by the app's pages) names them without OpenCV or LibTorch headers.

namespace ts::data {

enum class AugmentPreset {
    None,      ///< the eval transform (resize + center crop); options below still apply
    Standard,  ///< RandomResizedCrop + RandomHorizontalFlip, then the options below
};

} // namespace ts::data
