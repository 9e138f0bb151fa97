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
/// the URL, and where a hand-downloaded file goes). Cached weights are
/// checked with verifyCachedWeights() first.
zoo::Backbone loadPretrained(const std::string& arch, const std::string& weightsPath = {});

/// Path of the record beside a cached weights file ("<file>.sha256", in
/// sha256sum's format) that lists the SHA-256 of a file imported into the
/// cache, whose content need not be the official file's.
std::string cachedWeightsRecordPath(const std::string& cachedPath);

/// Checks that the cached weights of `arch` (cachedWeightsPath(arch), which
/// must exist) are intact: their SHA-256 starts with the hash in the
/// official file name ("mobilenet_v2-b0353104.pth"), as torch.hub checks a
/// download, or equals a digest recorded when the file was imported. Reads
/// the whole file the first time a given file (path, size, modification
/// time) is checked in a process; later calls return at once.
/// Throws ts::WeightsError naming the file, both digests and how to get a
/// good copy again (download or import with --force).
/// Thread safety: may be called from several threads at once.
void verifyCachedWeights(const std::string& arch);

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
/// copied, atomically and durably (file and folder fsynced), to
/// cachedWeightsPath(arch), with its SHA-256 recorded beside it
/// (cachedWeightsRecordPath) for verifyCachedWeights(); on any error the
/// cache holds the previous file, still verifiable. Builds the model, so it can take seconds: not on a UI thread.
/// Throws ts::ModelError for an unknown `arch`; ts::ConfigError when `arch`
/// has no official weights, or when the cache already holds weights for it
/// and `replace` is false; ts::WeightsError when the file is not a usable
/// state dict or does not match `arch` (the message lists the missing,
/// unexpected and mis-shaped keys); ts::IoError when the copy fails.
ImportResult importWeightsIntoCache(const std::string& file, const std::string& arch, bool replace);

} // namespace ts::weights
