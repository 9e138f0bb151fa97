#pragma once
// Checkpoints (<run>/checkpoints/last.ckpt and best.ckpt): everything a run
// needs to continue exactly where it stopped.
//
// Format (version 2): a PyTorch zip pickle, readable by torch.load, of
//   {"format": "transfer-studio-checkpoint", "version": 2,
//    "model": {name: tensor},
//    "optimizer": {"kind": "sgd" | "adam" | "adamw",
//                  "groups": [[{field: tensor} per parameter] per parameter group]},
//    "rng": uint8 tensor (the CPU generator's state),
//    "epochs_done", "step", "best_metric", "has_best", "best_epoch",
//    "since_improvement": numbers,
//    "history": JSON text, one object per epoch (non-finite numbers as null)}
// Optimizer fields per parameter, as LibTorch keeps them: SGD
// "momentum_buffer"; Adam and AdamW "step" (int64 scalar), "exp_avg",
// "exp_avg_sq" and, with amsgrad, "max_exp_avg_sq"; {} before its first step.
// Parameters are listed in the optimizer's own order, which the run's config
// and model fix.
//
// Reading goes through the project's own reader (weights/PthReader.h): the
// same zip and pickle checks as .pth files, tensors and plain values only,
// nothing from the file is executed. Version 1 checkpoints, whose optimizer
// state was a TorchScript archive, are refused with a message (loading that
// archive could run code from the file).
//
// Thread safety: free functions, no shared state.
#include "core/train/TrainConfig.h"
#include "core/weights/StateDict.h"

#include <ATen/Tensor.h>
#include <nlohmann/json.hpp>
#include <torch/optim/optimizer.h>

#include <map>
#include <string>
#include <vector>

namespace ts::train {

/// Per parameter group, per parameter: field name -> tensor (CPU).
using OptimizerState = std::vector<std::vector<std::map<std::string, at::Tensor>>>;

/// What a checkpoint holds.
struct CheckpointData {
    weights::StateDict model;
    std::string optimizerKind;  ///< "sgd", "adam" or "adamw"
    OptimizerState optimizer;
    at::Tensor rng;             ///< CPU generator state
    int epochsDone = 0;
    int64_t step = 0;
    double bestMetric = 0.0;
    bool hasBest = false;
    int bestEpoch = 0;
    int sinceImprovement = 0;
    /// One metrics object per epoch; non-finite numbers are NaN here (they
    /// are stored as null and read back as NaN).
    std::vector<nlohmann::json> history;
};

/// The name stored for `kind` ("sgd", "adam", "adamw").
std::string optimizerKindName(OptimizerKind kind);

/// `optimizer`'s per-parameter state as plain CPU tensors, group by group.
OptimizerState optimizerStateOf(const torch::optim::Optimizer& optimizer, OptimizerKind kind);

/// Puts `state` (read from `source`) into `optimizer`, which must have been
/// built with the same groups and parameters. Throws ts::IoError naming
/// `source` when the kind, the group or parameter counts, a field or a
/// tensor shape does not fit.
void restoreOptimizerState(torch::optim::Optimizer& optimizer, OptimizerKind kind, const std::string& storedKind,
                           const OptimizerState& state, const std::string& source);

/// Writes `data` to `path` atomically.
void writeCheckpoint(const CheckpointData& data, const std::string& path);

/// Reads the checkpoint at `path`. Throws, naming the file: ts::WeightsError
/// when the zip or pickle is malformed or hostile (as for .pth files),
/// ts::IoError when it cannot be opened, lacks or mistypes an entry, or was
/// written in the old format.
CheckpointData readCheckpoint(const std::string& path);

/// Replaces every null in `value` by NaN (how non-finite metrics come back
/// from JSON). `value` is at most as deep as parseJson allows.
void nullsToNaN(nlohmann::json& value);

} // namespace ts::train
