#pragma once
// train::evaluate: scores a trained model on labelled images, as `tstudio
// eval` reports it. By default the images are the run's own validation split
// (its manifest.json); with a data folder, that folder's validation split
// (or all of it), and the images of it the model was trained on (the same
// content as a file of the run's training split) are scored apart from the
// held-out ones, so a folder that overlaps the training data cannot inflate
// the accuracy.
//
// Also here: what `eval` and `export --check` need to know about a labelled
// folder before they score a model on it (that its classes are the model's,
// which of its images the model was trained on).
//
// Thread safety: free functions; evaluate() runs the model on the calling
// thread (the model must not be used elsewhere meanwhile).
#include "core/common/Feedback.h"
#include "core/data/Dataset.h"
#include "core/data/Loader.h"
#include "core/train/Metrics.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ts::exporting {
struct LoadedModel;
}

namespace ts::train {

/// One wrongly predicted image.
struct Misclassified {
    std::string path;
    int64_t truth = 0;
    int64_t predicted = 0;
    double confidence = 0.0;  ///< softmax probability of the predicted class
    double loss = 0.0;        ///< cross-entropy: -log p(true class)
};

/// `wrong` sorted by loss, highest first (ties: by path).
void sortByLoss(std::vector<Misclassified>& wrong);

/// Where evaluate() took its images from.
enum class EvalSource {
    Manifest,  ///< the run's validation split (manifest.json)
    Folder,    ///< a labelled folder
};
/// "manifest" or "folder" (as `eval --json` writes it).
std::string toString(EvalSource source);

/// What evaluate() found.
struct EvalReport {
    std::vector<std::string> classes;  ///< the model's, in its output order
    EvalSource source = EvalSource::Manifest;
    /// Whether the run's training split was known, so training images could be
    /// recognised (always true for the manifest's validation split).
    bool trainingImagesKnown = false;
    size_t images = 0;                 ///< images listed (held out + training, readable or not)
    size_t trainingImages = 0;         ///< of them, copies of training images
    ConfusionMatrix heldOut;           ///< the held-out images: the accuracy that counts
    ConfusionMatrix trained;           ///< the training images, scored apart
    double heldOutLoss = 0.0;          ///< mean cross-entropy on the held-out images, as the trainer's val_loss (0 without any)
    double heldOutLossCalibrated = 0.0;  ///< the same of the calibrated probabilities softmax(logits / T)
    /// The model's temperature T (bundle; 1 for older bundles): the
    /// misclassified images' confidence and loss, heldOutLossCalibrated and
    /// ece use softmax(logits / T).
    double temperature = 1.0;
    double ece = 0.0;              ///< 15-bin expected calibration error of the held-out images, calibrated
    double eceUncalibrated = 0.0;  ///< the same with T = 1
    /// The model's unknown threshold on the calibrated max probability (0: none).
    double unknownThreshold = 0.0;
    /// Held-out images whose calibrated max probability is below it (they
    /// would be answered "unknown"; still scored by their top class above).
    int64_t heldOutUnknown = 0;
    std::vector<Misclassified> misclassified;  ///< held-out images only, highest loss first
    std::vector<std::string> warnings;         ///< for people: what may make the numbers misleading
    std::vector<data::SkippedFile> skipped;    ///< files that could not be read

    double accuracy() const { return heldOut.accuracy(); }
    std::vector<ClassMetrics> perClass() const { return heldOut.perClass(); }
};

/// Scores `model` (from exporting::loadTrainedModel). `runDir` is the run the
/// model belongs to (runFolderOf(), may be empty); `dataDir` a labelled folder,
/// or empty for the run's validation split. Requires: the folder's (or the
/// manifest's) classes are among the model's (else ts::DataError naming the
/// folder). Throws ts::ConfigError when `dataDir` is empty and the run has no
/// matching manifest, ts::DataError when there is nothing to score, and
/// ts::Cancelled when `feedback` is cancelled between batches.
EvalReport evaluate(const exporting::LoadedModel& model, const std::string& runDir, const std::string& dataDir,
                    Feedback* feedback = nullptr);

/// For each class of a labelled folder, its index among `modelClasses`
/// (matched by name). Throws ts::DataError naming `folder` and `command`
/// when a class folder is not one of the model's classes: scores on such a
/// folder would count every image of that class as wrong (or skip it).
std::vector<int64_t> folderClassesToModel(const std::vector<std::string>& folderClasses,
                                          const std::vector<std::string>& modelClasses, const std::string& folder,
                                          const std::string& command);

/// The run a `--model` argument belongs to: a run folder itself, or the
/// folder of a bundle file when that folder is a run (holds manifest.json).
/// Empty when there is none (a bundle copied elsewhere).
std::string runFolderOf(const std::string& modelArg);

/// The run's manifest (its exact train/val split), when `runDir` has one
/// whose hash equals `expectedHash` (the bundle's manifest hash; an empty
/// hash accepts any). `why` (optional) says why there is none.
std::optional<data::DatasetIndex> runManifest(const std::string& runDir, const std::string& expectedHash,
                                              std::string* why = nullptr);

/// Which of `files` have exactly the content of a file of `training`
/// (size, then a 64-bit content hash, then the bytes compared). Only
/// training files with the size of some candidate are read. Ensures: the
/// result has one flag per file; files that cannot be read are not flagged.
/// `unreadableTraining` (optional) receives how many training files could
/// not be read (moved or deleted since training): equal images among the
/// candidates then go unrecognised.
std::vector<bool> findTrainingImages(const std::vector<std::string>& files, const std::vector<data::ImageItem>& training,
                                     size_t* unreadableTraining = nullptr);

} // namespace ts::train
