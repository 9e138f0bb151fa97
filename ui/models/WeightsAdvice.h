#pragma once
// WeightsAdvice: what the app says about the pretrained weights of a model,
// in its own words (which page, which button): the note under the Layers
// page's weights choice, and why a run cannot start (the Train page's
// readiness). Reads the zoo's facts (ZooFacts: is there an official file,
// is it in the cache) and the file system; no LibTorch.
//
// Thread safety: UI thread (it reads the weights cache state each call).
#include "core/train/TrainConfig.h"

#include <QString>

namespace ts::ui {

/// Where the pretrained weights come from (the Layers page's choice).
enum class WeightsChoice { Official, File, Random };

/// The choice a config describes: a weights file when it names one, else
/// official or random weights.
WeightsChoice weightsChoiceOf(const train::TrainConfig& config);

/// Why training cannot start with `arch` (empty: no backbone chosen) and
/// these weights; empty when it can.
QString weightsProblem(const QString& arch, WeightsChoice choice, const QString& file);
/// The same for a config (the session's: `arch` is its chosen backbone).
QString weightsProblem(const QString& arch, const train::TrainConfig& config);
/// The note under the weights choice (cached where, what to download or choose).
QString weightsNote(const QString& arch, WeightsChoice choice, const QString& file);

} // namespace ts::ui
