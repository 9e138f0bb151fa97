#pragma once
// State dicts: reading torchvision .pth files and applying them to a model.
//
// Only tensors and plain containers (dict, list, tuple, str, int, float, bool,
// None) are accepted from a file; any other class reference in a pickle is
// rejected before anything is constructed. Nothing from a file is executed.
#include <ATen/Tensor.h>
#include <torch/nn/module.h>

#include <string>
#include <utility>
#include <vector>

namespace ts::weights {

/// An ordered list of (key, tensor), as torch.save(model.state_dict()) writes.
using StateDict = std::vector<std::pair<std::string, at::Tensor>>;

/// Longest state-dict key accepted from a file (torchvision's longest is
/// under 100 characters).
constexpr size_t kMaxStateDictKeyLength = 4096;
/// Most tensors a state dict read from a file may hold (the largest zoo
/// model has about 1,000).
constexpr size_t kMaxStateDictKeys = 200000;

/// Reads a .pth file (zip format of PyTorch >= 1.6, or legacy) or a safetensors file (SafetensorsReader.h), the
/// latter told by a ".safetensors" name or by content (8-byte header length fitting the file, then '{'). A .pth may
/// hold a plain state_dict, or a checkpoint dict holding one under "state_dict" / "model" / "model_state_dict".
/// Throws ts::WeightsError naming the file and what is wrong (truncated, not a weights file, unsafe content, no
/// tensors, a key longer than kMaxStateDictKeyLength or more than kMaxStateDictKeys tensors, a safetensors header
/// that breaks the format's rules).
StateDict readStateDict(const std::string& path);

/// As readStateDict(), from memory (`sourceName` names it; a .safetensors name or content picks that reader).
StateDict readStateDictFromBytes(const std::string& bytes, const std::string& sourceName);

/// Writes `dict` in the zip format torch.load() reads, atomically.
void writeStateDict(const StateDict& dict, const std::string& path);

/// How strictly to match keys when applying a state dict.
enum class Match {
    Strict,       ///< every key present on both sides with equal shapes
    IgnoreHead,   ///< as Strict, but keys under `headPath` may be absent/mismatched
};

/// Copies `dict` into `model`'s parameters and buffers (no grad, same device
/// and dtype as the model). Applies torchvision's own key fixes (DenseNet's
/// old "norm.1" style names) and skips the keys that `arch`'s registry entry
/// lists in ModelInfo::ignoredKeyPrefixes (auxiliary classifiers). Throws
/// ts::WeightsError listing every missing, unexpected and mis-shaped key by
/// name (first 20 of each, with counts), naming `sourceName` and `arch`.
void applyStateDict(torch::nn::Module& model, const StateDict& dict, const std::string& sourceName,
                    const std::string& arch, Match match = Match::Strict, const std::string& headPath = {});

/// The model's own parameters and buffers as a state dict (torchvision order).
StateDict stateDictOf(const torch::nn::Module& model);

} // namespace ts::weights
