#pragma once
// Building a zoo model with pretrained weights, from a file or the cache,
// and importing a hand-downloaded weights file into that cache.
//
// Thread safety: the functions are reentrant; importing the same `arch` from
// two threads at once leaves one of the two files in the cache, never half of one.
#include "core/zoo/Registry.h"

#include <cstddef>
#include <string>

namespace ts::weights {

/// Path of `arch`'s official weights in the cache (whether or not present).
std::string cachedWeightsPath(const std::string& arch);

/// Builds `arch` (1000 classes) and loads `weightsPath`, or the cached
/// official weights when `weightsPath` is empty. When neither exists, throws
/// ts::WeightsError saying how to get them (`tstudio weights download ARCH`,
/// the URL, and where a hand-downloaded file goes).
zoo::Backbone loadPretrained(const std::string& arch, const std::string& weightsPath = {});

/// What importWeightsIntoCache() did.
struct ImportResult {
    std::string path;         ///< where the weights now are: cachedWeightsPath(arch)
    std::size_t tensors = 0;  ///< tensors the file holds
    bool replaced = false;    ///< the cache held weights for `arch` before
};

/// Puts a weights file for `arch` (e.g. the official .pth fetched by hand on
/// another machine) into the cache, where loadPretrained() finds it.
/// Requires: `arch` is registered and has official weights (the cache names
/// files after them). Ensures: the file was read safely (readStateDict) and
/// loads strictly into a freshly built `arch` (applyStateDict) before it is
/// copied, atomically, to cachedWeightsPath(arch); on any error the cache is
/// unchanged. Builds the model, so it can take seconds: not on a UI thread.
/// Throws ts::ModelError for an unknown `arch`; ts::ConfigError when `arch`
/// has no official weights, or when the cache already holds weights for it
/// and `replace` is false; ts::WeightsError when the file is not a usable
/// state dict or does not match `arch` (the message lists the missing,
/// unexpected and mis-shaped keys); ts::IoError when the copy fails.
ImportResult importWeightsIntoCache(const std::string& file, const std::string& arch, bool replace);

} // namespace ts::weights
