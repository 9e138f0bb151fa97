#pragma once
// DatasetIndex: which image files belong to which class and split.
//
// A dataset folder is either
//   ROOT/<class>/<images>                       -> a stratified, seeded split
//   ROOT/train/<class>/..., ROOT/val/<class>/... (and optional test/) -> used as given
// Class names are the sorted sub-folder names (as torchvision's ImageFolder),
// so label indices agree with torchvision on the same folder.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ts::data {

/// One labelled image file.
struct ImageItem {
    std::string path;   ///< absolute or root-relative path as found
    int64_t label = 0;  ///< index into DatasetIndex::classes
};

/// How to split a flat class-folder dataset.
struct SplitOptions {
    /// Fraction of each class that goes to validation. Default 0.2.
    double valFraction = 0.2;
    /// Seed of the stratified shuffle. Default 42.
    uint64_t seed = 42;
};

struct DatasetIndex {
    std::string root;
    std::vector<std::string> classes;
    std::vector<ImageItem> train;
    std::vector<ImageItem> val;
    std::vector<ImageItem> test;
    /// Non-hidden files in class folders that are not listed (no image
    /// extension, e.g. notes.txt): not used; the doctor reports them.
    std::vector<std::string> ignoredFiles;
    /// "folders" when train/val came from the folder layout, else "split".
    std::string splitSource;
    SplitOptions split;

    /// Images per class in `items`.
    std::vector<int64_t> classCounts(const std::vector<ImageItem>& items) const;
    /// Every item (train, val, test).
    std::vector<ImageItem> all() const;
};

/// True when the extension is one the loader decodes (jpg, jpeg, png, bmp,
/// webp, tif, tiff, ppm, pgm, pbm); case-insensitive. GIFs are listed by the
/// scan (so the doctor can report them) but are not loadable.
bool hasImageExtension(const std::string& path);

/// True for the extensions the scan lists: hasImageExtension() or .gif.
bool isListedExtension(const std::string& path);

/// Scans `root`. Throws ts::DataError naming the folder when it does not
/// exist, holds no class folders, or has only one class.
DatasetIndex indexDataset(const std::string& root, const SplitOptions& split = {});

/// The split as JSON (saved in a run as manifest.json) and back.
nlohmann::json toManifest(const DatasetIndex& index);
/// Reads what toManifest() wrote, treating it as hostile: every field has its
/// type, length and range checked (labels within the classes, paths and names
/// bounded). Throws ts::DataError naming `sourceName` (the manifest's path;
/// empty: "the dataset manifest") and what is wrong in it.
DatasetIndex fromManifest(const nlohmann::json& manifest, const std::string& sourceName = {});

/// sha256 (hex) over the manifest's canonical text (without the root, so a moved
/// dataset keeps its hash): identifies the data a model was trained on.
std::string manifestHash(const DatasetIndex& index);

} // namespace ts::data
