#pragma once
// The model bundle (.tsb): one file with a trained model's weights and
// everything needed to use it: architecture, class names, preprocessing,
// the training config, final metrics, library versions and the dataset
// manifest hash. Format: a PyTorch zip pickle of
//   {"format": "transfer-studio-bundle", "version": 1,
//    "meta": <JSON text>, "state_dict": {name: tensor}}
// The meta's optional "calibration" object ({"temperature", "unknown_threshold",
// "unknown_target_recall"}) came later: bundles without it read as T = 1 and no
// unknown threshold.
// so Python can read it with torch.load(path) as well.
#include "core/data/Preprocess.h"
#include "core/zoo/Backbone.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ts::exporting {

struct BundleMeta {
    std::string arch;
    std::vector<std::string> classes;
    int64_t headHiddenUnits = 0;
    double headDropout = 0.2;
    data::EvalTransform transform;
    nlohmann::json trainConfig;  ///< the run's config.json
    nlohmann::json metrics;      ///< final/best metrics
    std::string manifestHash;
    std::string createdWith;     ///< app and LibTorch versions
    /// Temperature T of the calibrated probabilities softmax(logits / T),
    /// fitted on the validation logits after training (train/Calibration.h).
    /// 1 (uncalibrated) for bundles without a "calibration" entry.
    double temperature = 1.0;
    /// Unknown rejection: a prediction whose calibrated max probability is
    /// below this is "unknown". 0 = never (no threshold was chosen).
    double unknownThreshold = 0.0;
    /// The in-distribution validation recall the threshold was chosen for
    /// (0.95 by default; 0 without a threshold).
    double unknownTargetRecall = 0.0;

    nlohmann::json toJson() const;
    /// Reads the metadata written by toJson(), treating it as hostile: every
    /// field has its type checked, every number its range (crop_size 200000
    /// is refused, mean and std must be finite, std > 0), every text and list
    /// its length. Throws ts::WeightsError naming `sourceName` (e.g. the
    /// bundle's path; empty: "the bundle") and the field.
    static BundleMeta fromJson(const nlohmann::json& j, const std::string& sourceName = {});
};

struct LoadedModel {
    zoo::Backbone model;  ///< in eval mode, on the CPU
    BundleMeta meta;
};

/// Writes `model` (any device) and `meta` atomically.
void saveBundle(zoo::BackboneImpl& model, const BundleMeta& meta, const std::string& path);

/// Reads a bundle; ts::WeightsError naming the file on any problem.
LoadedModel loadBundle(const std::string& path);

/// A bundle file, or a run directory (its model.tsb).
LoadedModel loadTrainedModel(const std::string& bundleOrRunDir);

} // namespace ts::exporting
