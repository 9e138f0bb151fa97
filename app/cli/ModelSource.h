#pragma once
// The model a command works on, from `--arch ARCH [--weights FILE]` (ImageNet
// classes) or `--model RUN_DIR|BUNDLE` (a trained run's own classes), with the
// eval transform and class names that go with it. Shared by predict and viz.
#include "core/data/Preprocess.h"
#include "core/zoo/Backbone.h"

#include <string>
#include <vector>

namespace ts::cli {

struct ModelSource {
    zoo::Backbone model;
    data::EvalTransform transform;
    std::vector<std::string> labels;
    /// Calibration of a trained model (bundle): probabilities are
    /// softmax(logits / temperature); a calibrated max probability below
    /// unknownThreshold (> 0) is "unknown". Pretrained backbones: 1 and 0.
    double temperature = 1.0;
    double unknownThreshold = 0.0;
};

/// Loads the model named by exactly one of `arch` and `model`; throws
/// ts::ConfigError naming `command` when neither or both are given.
ModelSource loadModelSource(const std::string& command, const std::string& arch, const std::string& weights,
                            const std::string& model);

} // namespace ts::cli
