#pragma once
// What `eval` and `export --check` need to know about a labelled folder
// before they score a model on it: that its classes are the model's, and
// which of its images the model was trained on.
#include "core/data/Dataset.h"

#include <optional>
#include <string>
#include <vector>

namespace ts::cli {

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

} // namespace ts::cli
