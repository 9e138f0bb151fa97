#pragma once
// Shared by Experiment.cpp and ExperimentRunner.cpp; not part of the API.
#include "core/train/EpochRecord.h"

#include <string>
#include <vector>

namespace ts::experiment::detail {

/// The rows of RUN/metrics.jsonl (none when the file does not exist).
/// Throws ts::IoError naming the file when it is too large or damaged.
std::vector<train::EpochRecord> readMetrics(const std::string& runPath);

/// The ranking of successive halving and of compare: the higher best
/// val_accuracy among the epochs up to `untilA`/`untilB` (0: all), then the
/// lower best val_loss, then the smaller id; runs without a finite accuracy last.
bool ranksBefore(const std::vector<train::EpochRecord>& a, const std::string& idA,
                 const std::vector<train::EpochRecord>& b, const std::string& idB, int untilA, int untilB);

}  // namespace ts::experiment::detail
