#pragma once
// The dataset doctor: reads every file of a DatasetIndex once, before any
// training, and reports what would hurt: files that cannot be used (each
// named, with the reason), duplicates and train/val leakage, tiny images,
// empty or single classes, class imbalance (with suggested class weights),
// and what the loader will convert (grey, alpha, CMYK, 16-bit).
//
// Each file is read once (regular files only, within ImageLimits) and decoded
// once; its size is checked from the header before decoding.
//
// Contract: diagnose() never throws for a bad file (every bad file becomes a
// Problem, also when decoding it runs out of memory or the decoder throws);
// no exception escapes its worker threads. It throws ts::Cancelled when the
// feedback is cancelled.
// badFiles() lists exactly the files the Loader would skip, so a trainer can
// exclude them up front (withoutBadFiles()).
// Thread safety: diagnose() uses its own worker threads; the report is a value.
#include "core/data/Dataset.h"
#include "core/data/ImageLimits.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ts {
class Feedback;
}

namespace ts::data {

enum class Severity {
    Info,     ///< worth knowing, nothing to do (e.g. a grey image converted to RGB)
    Warning,  ///< training works but results may suffer (duplicates, imbalance, tiny images)
    Error,    ///< the file or the dataset cannot be used as is
};

enum class ProblemKind {
    Unreadable,         ///< cannot be opened (permissions, vanished)        error
    EmptyFile,          ///< zero bytes                                       error
    NotAnImage,         ///< content is not an image, or no image extension  error / warning
    UnsupportedFormat,  ///< an image format the loader does not decode (GIF) error
    Corrupt,            ///< the decoder fails                                error
    Truncated,          ///< JPEG without EOI / PNG without IEND              error
    TinyImage,          ///< shorter side < DoctorOptions::minSide            warning
    Duplicate,          ///< same bytes as another file of the same split     warning
    Leakage,            ///< same bytes as a file of another split            warning
    EmptyClass,         ///< a class with no usable image in a split          error (train) / warning
    SingleClass,        ///< fewer than two classes with usable train images  error
    Imbalance,          ///< max/min train class count > imbalanceRatio       warning
    Converted,          ///< grey, alpha, CMYK or 16-bit: converted to RGB    info
    Rotated,            ///< EXIF orientation applied when decoding           info
    WrongExtension,     ///< extension does not match the content             info
    TooLarge,           ///< file or pixel size over DoctorOptions::limits    error
    SkippedEntry,       ///< not a regular file, or a link not followed (scan) warning
};

const char* toString(Severity severity);
const char* toString(ProblemKind kind);

struct Problem {
    ProblemKind kind = ProblemKind::Corrupt;
    Severity severity = Severity::Error;
    /// The file (or class folder, or dataset root for dataset-wide problems).
    std::string path;
    /// "train", "val", "test", or "" for dataset-wide problems.
    std::string split;
    /// What is wrong and what to do, for people.
    std::string message;
    /// Duplicates and leakage: the first file with the same content.
    std::string otherPath;
};

struct DoctorOptions {
    /// Images whose shorter side is below this many pixels are reported. Default 32.
    int minSide = 32;
    /// Warn when the largest train class has more than this many times the
    /// images of the smallest. Default 3.
    double imbalanceRatio = 3.0;
    /// Look for files with identical content within and across splits. Default true.
    bool findDuplicates = true;
    /// Decoding threads (0 = hardware concurrency). Default 2.
    int threads = 2;
    /// File and pixel budgets; files over them are TooLarge errors (the
    /// loader, given the same limits, skips the same files). Default ImageLimits{}.
    ImageLimits limits;
};

/// min / median / max of a series of pixel sizes.
struct SizeSummary {
    int min = 0;
    int median = 0;
    int max = 0;
};

/// How the decodable images are stored (each image counted once; an image
/// can be both e.g. grey and 16-bit).
struct ChannelSummary {
    int64_t colour = 0;      ///< 3-channel 8-bit (nothing to convert)
    int64_t grey = 0;        ///< 1 channel (or grey + alpha)
    int64_t alpha = 0;       ///< has an alpha channel (dropped)
    int64_t cmyk = 0;        ///< CMYK / YCCK JPEG
    int64_t sixteenBit = 0;  ///< 16 bits per channel (scaled to 8)
    int64_t palette = 0;     ///< palette PNG
};

struct SplitSummary {
    std::string name;             ///< "train", "val", "test"
    std::vector<int64_t> listed;  ///< files listed per class
    std::vector<int64_t> usable;  ///< files without an error per class
};

struct DoctorReport {
    std::string root;
    std::vector<std::string> classes;
    std::vector<SplitSummary> splits;
    int64_t filesChecked = 0;
    SizeSummary width;
    SizeSummary height;
    ChannelSummary channels;
    /// N / (C * n_c) over the usable train images (0 for an empty class):
    /// weights for a class-weighted loss.
    std::vector<double> classWeights;
    /// Every problem, in dataset order (dataset-wide problems last).
    std::vector<Problem> problems;
    /// What the scan passed over (DatasetIndex::skipped), each also a
    /// SkippedEntry warning in `problems`.
    std::vector<SkippedEntry> skipped;

    /// Files that cannot be used (errors on files): the loader would skip them.
    std::vector<std::string> badFiles() const;
    /// Problems of one kind / of at least one severity.
    std::vector<Problem> problemsOf(ProblemKind kind) const;
    size_t count(Severity severity) const;
    bool hasErrors() const { return count(Severity::Error) > 0; }
};

/// Notes (Severity::Info) of one kind, counted: what people read instead of
/// one line per file ("676 greyscale images will be converted to RGB").
struct NoteSummary {
    ProblemKind kind = ProblemKind::Converted;
    std::string key;      ///< "grey", "alpha", "cmyk", "16-bit", "palette", "rotated", "wrong_extension", or the kind's name
    int64_t count = 0;    ///< files
    std::string message;  ///< the sentence, with the count
    std::string example;  ///< the first such file
};

/// The report's notes summarised by kind (a file converted for two reasons
/// counts under both), in a fixed order; empty without notes.
std::vector<NoteSummary> summariseNotes(const DoctorReport& report);

/// Checks every file of `index` (train, val, test) and the dataset as a whole.
/// `feedback` (optional) receives progress and can cancel.
DoctorReport diagnose(const DatasetIndex& index, const DoctorOptions& options = {}, Feedback* feedback = nullptr);

/// The report as JSON (for `tstudio scan --json` and the GUI).
nlohmann::json toJson(const DoctorReport& report);

/// `items` without the report's bad files.
std::vector<ImageItem> withoutBadFiles(const std::vector<ImageItem>& items, const DoctorReport& report);

} // namespace ts::data
