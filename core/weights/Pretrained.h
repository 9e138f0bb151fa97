#pragma once
// Building a zoo model with pretrained weights, from a file or the cache.
#include "core/zoo/Registry.h"

#include <string>

namespace ts::weights {

/// Path of `arch`'s official weights in the cache (whether or not present).
std::string cachedWeightsPath(const std::string& arch);

/// Builds `arch` (1000 classes) and loads `weightsPath`, or the cached
/// official weights when `weightsPath` is empty. When neither exists, throws
/// ts::WeightsError saying how to get them (`tstudio weights download ARCH`,
/// the URL, and where a hand-downloaded file goes).
zoo::Backbone loadPretrained(const std::string& arch, const std::string& weightsPath = {});

} // namespace ts::weights
