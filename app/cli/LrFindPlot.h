#pragma once
// `tstudio lr-find --out FILE.png`: the range test as a plot (loss against
// learning rate on a log axis, the suggestion marked) and as a CSV table.
#include "core/train/Trainer.h"

#include <string>
#include <vector>

namespace ts::cli {

/// Draws `r` into a PNG at `pngPath` (OpenCV). Throws ts::IoError naming the
/// file when it cannot be written, ts::ConfigError when `r` has no step.
void writeLrFindPlot(const train::LrFindResult& r, const std::string& pngPath);

/// Writes the table "step,lr,loss,suggested" to `csvPath`: one row per step,
/// suggested = 1 on the row whose rate is nearest the suggestion.
void writeLrFindCsv(const train::LrFindResult& r, const std::string& csvPath);

/// Fails before any work when `path` cannot be written as a file with one
/// of `extensions` (lower case, with the dot): a folder, another extension, a
/// folder that does not exist (nothing is created). `option` names the flag.
void checkOutputFile(const std::string& path, const std::vector<std::string>& extensions, const std::string& option);

} // namespace ts::cli
