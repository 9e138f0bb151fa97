#pragma once
// EpochRecord: one epoch of a run, as every part of the project sees it. The
// trainer fills it, reports it (TrainerCallbacks::onEpoch), writes it as one
// line of metrics.jsonl, keeps it in the checkpoint's history and stores the
// best one in model.tsb; the CLI's `--json` epoch event and the app's run
// reader go through the same toJson()/fromJson(), so the row has one format:
//
//   {"epoch": 3, "train_loss": 0.41, "train_accuracy": 0.83,
//    "val_loss": 0.38, "val_accuracy": 0.86, "lr": 0.001, "seconds": 12.5,
//    "best": true,
//    "per_class": [{"class": "ants", "precision": 0.9, "recall": 0.8,
//                   "f1": 0.85, "support": 70}, ...],
//    "confusion": [[56, 14], [6, 77]]}          validation, [true][predicted]
//
// Non-finite numbers (a diverged epoch) are written as null (JSON has no NaN)
// and read back as NaN. Thread safety: a plain value type.
#include "core/train/Metrics.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ts::train {

struct EpochRecord {
    int epoch = 0;  ///< 1-based
    double trainLoss = 0.0;
    double trainAccuracy = 0.0;
    double valLoss = 0.0;
    double valAccuracy = 0.0;
    double lr = 0.0;       ///< at the end of the epoch
    double seconds = 0.0;  ///< wall time of the epoch (train + val)
    bool isBest = false;
    std::vector<ClassMetrics> perClass;           ///< on the validation set
    /// The class name of each perClass entry ("class" in JSON); may be
    /// shorter than perClass (then the rest are written without a name).
    std::vector<std::string> classNames;
    std::vector<std::vector<int64_t>> confusion;  ///< validation, [true][predicted]

    /// The row as metrics.jsonl holds it (see the file comment).
    nlohmann::json toJson() const;
    /// Reads a row written by toJson(). Keys that are missing keep their
    /// defaults (rows of older runs); null numbers become NaN. Throws
    /// ts::IoError naming `source` (a file, or "the history in checkpoint
    /// ...") when the row is not an object or a key holds a value of the
    /// wrong type or range.
    static EpochRecord fromJson(const nlohmann::json& row, const std::string& source);
};

} // namespace ts::train
