#pragma once
// DatasetIndex: which image files belong to which class and split.
//
// A dataset folder is either
//   ROOT/<class>/<images>                       -> a stratified, seeded split
//   ROOT/train/<class>/..., ROOT/val/<class>/... (and optional test/) -> used as given
// Class names are the sorted sub-folder names (as torchvision's ImageFolder),
// so label indices agree with torchvision on the same folder.
//
// The folder is untrusted (a downloaded archive can hold anything), so the
// scan lists regular files only and never opens anything:
//  - FIFOs, devices and sockets are skipped (reading them blocks or never ends);
//  - each real folder is visited once (by device and inode): a link back to a
//    folder already on the way (`loop -> .`, `up -> ..`) is not followed;
//  - a symbolic link is followed as torchvision's ImageFolder follows it
//    (datasets are often made of links into a pool of images), except where
//    that would list an image twice or give it a second label: a link to a
//    folder that contains it (or to the dataset or a split folder), a link
//    into another class folder of the dataset (a class folder that is a
//    link: into another split), and a folder that is the same as one already
//    used are skipped; links that leave the dataset folder for a folder of
//    their own are followed;
//  - folders nested more than 64 deep below a class folder are not scanned;
//  - a symbolic link to a regular file is listed under the link's own path,
//    like any file.
// Everything skipped is listed in DatasetIndex::skipped with the reason.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ts::data {

/// Why the scan passed over a folder entry.
enum class SkipReason {
    SpecialFile,     ///< a FIFO, device or socket: never opened
    BrokenLink,      ///< a symbolic link whose target does not exist
    LinkLoop,        ///< a link to itself, or to a folder that contains it
    OtherClass,      ///< a folder link into another class folder (or split)
    AlreadyScanned,  ///< the same real folder as one already scanned
    Unlistable,      ///< a folder that cannot be listed (permissions)
    TooDeep,         ///< nested deeper than the scan follows (64 folders)
};

/// "special_file", "broken_link", "link_loop",
/// "other_class", "already_scanned", "unlistable", "too_deep".
const char* toString(SkipReason reason);

/// A folder entry the scan did not use.
struct SkippedEntry {
    std::string path;    ///< as found under the dataset folder
    SkipReason reason = SkipReason::SpecialFile;
    std::string message; ///< what it is, why it is skipped, what to do (path quoted safely)
};

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

/// Where a dataset's train/val split came from.
enum class SplitSource {
    Split,    ///< "split": flat class folders, split by val_fraction and seed
    Folders,  ///< "folders": the folder layout (train/ val/ [test/])
};
/// "split" or "folders", as manifest.json stores it.
std::string toString(SplitSource source);

struct DatasetIndex {
    std::string root;
    std::vector<std::string> classes;
    std::vector<ImageItem> train;
    std::vector<ImageItem> val;
    std::vector<ImageItem> test;
    /// Non-hidden files in class folders that are not listed (no image
    /// extension, e.g. notes.txt): not used; the doctor reports them.
    std::vector<std::string> ignoredFiles;
    /// Entries that are not regular files or not followed (see the top of
    /// this file), in scan order: not used; the doctor reports them.
    std::vector<SkippedEntry> skipped;
    /// Where train/val came from: the folder layout (train/ val/) or a split
    /// of flat class folders. Stored in manifest.json as "folders" / "split".
    SplitSource splitSource = SplitSource::Split;
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
/// exist, cannot be listed, holds no class folders, or has only one class;
/// it throws nothing but ts::Error subclasses, and opens no file.
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
