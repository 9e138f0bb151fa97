#pragma once
// Loader: worker threads decode and transform images ahead of the trainer
// into a bounded queue (memory stays flat however large the dataset).
//
// Thread safety: one consumer thread calls startEpoch()/next(); workers are
// internal. Destruction stops and joins the workers.
// Bad files never stop an epoch: they are skipped and listed in skipped().
// Each file is read once per epoch (regular files only, within
// LoaderOptions::limits, checked before reading and before decoding) and
// decoded once; a file that makes the decoder throw or run out of memory is
// skipped like any bad file. No exception escapes a worker thread: errors
// that are not about a file reach the consumer through next().
#include "core/data/Dataset.h"
#include "core/data/ImageLimits.h"

#include <ATen/Tensor.h>
#include <opencv2/core/mat.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace ts::data {

/// Image (RGB 8-bit) -> (3,H,W) float tensor; `rng` is seeded per sample
/// from (seed, epoch, index) so results do not depend on thread timing.
using SampleTransform = std::function<at::Tensor(const cv::Mat& rgb, std::mt19937& rng)>;

struct LoaderOptions {
    /// Images per batch. Default 32.
    int batchSize = 32;
    /// Decoding threads; 0 decodes on the caller's thread inside next(). Default 2.
    int workers = 2;
    /// Shuffle the order each epoch (seeded by seed and epoch). Default false.
    bool shuffle = false;
    /// Seed of shuffling and of per-sample augmentation. Default 0.
    uint64_t seed = 0;
    /// Batches prepared ahead of the one being consumed (the queue bound:
    /// at most this many batches exist beyond the consumer). Default 4.
    int prefetchBatches = 4;
    /// Drop the last incomplete batch. Default false.
    bool dropLast = false;
    /// Decode JPEGs at reduced size when the shorter side stays >= this
    /// (0 = always full size). Default 0.
    int decodeAtLeast = 0;
    /// File and pixel budgets: larger files are skipped unread, larger images
    /// undecoded (the doctor, given the same limits, reports the same files).
    /// Default ImageLimits{} (100 megapixels, 512 MiB).
    ImageLimits limits;
};

/// A file the loader could not use, and why.
struct SkippedFile {
    std::string path;
    std::string reason;
};

struct Batch {
    at::Tensor images;             ///< (B,3,H,W) float
    at::Tensor labels;             ///< (B) int64
    std::vector<int64_t> indices;  ///< positions in the item list
};

class Loader {
public:
    Loader(std::vector<ImageItem> items, SampleTransform transform, LoaderOptions options);
    ~Loader();
    Loader(const Loader&) = delete;
    Loader& operator=(const Loader&) = delete;

    /// Starts (or restarts) an epoch; batches come in a seeded order. Stops and
    /// discards the work of an unfinished epoch first.
    void startEpoch(int epoch);
    /// The next batch of the epoch, or nullopt at its end (epoch 0 starts
    /// implicitly). Batch k always holds the same items of the epoch's order,
    /// minus bad files, so it may be smaller than batchSize; a batch whose
    /// files are all bad is passed over. Errors that are not about a file
    /// (e.g. a bug in the transform) are rethrown here.
    std::optional<Batch> next();
    /// Batches per epoch.
    size_t numBatches() const;
    size_t size() const;
    /// Files skipped so far (each listed once, with the reason; thread-safe).
    std::vector<SkippedFile> skipped() const;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace ts::data
