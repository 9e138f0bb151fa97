#include "core/data/Loader.h"

#include "core/common/Error.h"
#include "core/data/ImageHeader.h"
#include "core/data/ImageIO.h"
#include "core/data/PathText.h"
#include "core/data/Random.h"

#include <ATen/Functions.h>
#include <opencv2/core.hpp>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

namespace ts::data {
namespace {

// What was made of one batch: the batch, nothing (every file was bad, or the
// epoch was stopped), or an error that is not about a file (rethrown to the consumer).
struct Slot {
    std::optional<Batch> batch;
    std::exception_ptr error;
};

} // namespace

struct Loader::State {
    std::vector<ImageItem> items;
    SampleTransform transform;
    LoaderOptions options;

    // The current epoch. `order` and `epoch` are written only while no worker runs.
    int epoch = 0;
    bool started = false;
    std::vector<int64_t> order;
    std::vector<std::thread> workers;
    std::mutex mutex;
    std::condition_variable workAvailable;  // workers wait for room in the queue
    std::condition_variable batchReady;     // the consumer waits for its next batch
    bool stop = false;
    size_t nextClaim = 0;    // next batch a worker may start
    size_t nextDeliver = 0;  // next batch next() returns
    std::map<size_t, Slot> ready;
    std::exception_ptr fatal;  // a worker failed outside any batch (rethrown by next())

    mutable std::mutex skippedMutex;
    std::vector<SkippedFile> skipped;
    std::vector<uint8_t> known;  // 1 when items[i] is known bad

    size_t batchCount() const {
        const size_t n = items.size(), bs = static_cast<size_t>(options.batchSize);
        return options.dropLast ? n / bs : (n + bs - 1) / bs;
    }

    bool isKnownBad(int64_t index) const {
        std::lock_guard<std::mutex> lock(skippedMutex);
        return known[static_cast<size_t>(index)] != 0;
    }

    void recordSkip(int64_t index, const std::string& reason) {
        std::lock_guard<std::mutex> lock(skippedMutex);
        if (known[static_cast<size_t>(index)]) return;
        known[static_cast<size_t>(index)] = 1;
        skipped.push_back({items[static_cast<size_t>(index)].path, reason});
    }

    bool stopping() {
        std::lock_guard<std::mutex> lock(mutex);
        return stop;
    }

    // Decodes and transforms batch `b`. Runs on a worker (or the consumer when workers == 0).
    Slot produce(size_t b) {
        Slot slot;
        const size_t bs = static_cast<size_t>(options.batchSize);
        const size_t begin = b * bs, end = std::min(begin + bs, order.size());
        std::vector<at::Tensor> images;
        std::vector<int64_t> labels, indices;
        const uint64_t epochSeed = mixSeed(options.seed, static_cast<uint64_t>(epoch));
        try {
            for (size_t k = begin; k < end; ++k) {
                if (stopping()) return slot;
                const int64_t index = order[k];
                if (isKnownBad(index)) continue;
                const ImageItem& item = items[static_cast<size_t>(index)];
                at::Tensor x;
                try {
                    cv::Mat rgb;
                    {
                        const std::string bytes = readImageFile(item.path, options.limits);
                        const ImageHeader header = inspectImageHeader(bytes);
                        if (!bytes.empty() && header.truncated)
                            throw DataError(quotedPath(item.path) + " is truncated (the data ends early).");
                        rgb = decodeImageRgb(bytes, header, item.path, options.decodeAtLeast, options.limits);
                    }  // the file's bytes are freed before the transform runs
                    // Seeded by (seed, epoch, index): the same whichever thread runs it.
                    std::mt19937 rng = seededMt19937(mixSeed(epochSeed, static_cast<uint64_t>(index)));
                    x = transform(rgb, rng);
                } catch (const Error& e) {
                    recordSkip(index, e.what());
                    continue;
                } catch (const cv::Exception& e) {
                    recordSkip(index, quotedPath(item.path) + " could not be decoded: " + e.msg.substr(0, 300));
                    continue;
                } catch (const std::bad_alloc&) {
                    recordSkip(index, "Ran out of memory decoding " + quotedPath(item.path) +
                                          ". Downscale it or remove it (or lower the image pixel limit).");
                    continue;
                }
                images.push_back(std::move(x));
                labels.push_back(item.label);
                indices.push_back(index);
            }
            if (!images.empty()) {
                Batch batch;
                batch.images = at::stack(images);
                batch.labels = at::tensor(labels, at::kLong);
                batch.indices = std::move(indices);
                slot.batch = std::move(batch);
            }
        } catch (...) {
            slot.error = std::current_exception();
        }
        return slot;
    }

    void workerLoop() noexcept {
        try {
            const size_t total = order.empty() ? 0 : batchCount();
            const size_t ahead = static_cast<size_t>(std::max(1, options.prefetchBatches));
            for (;;) {
                size_t b = 0;
                {
                    std::unique_lock<std::mutex> lock(mutex);
                    workAvailable.wait(lock, [&] { return stop || nextClaim >= total || nextClaim < nextDeliver + ahead; });
                    if (stop || nextClaim >= total) return;
                    b = nextClaim++;
                }
                Slot slot = produce(b);
                {
                    std::lock_guard<std::mutex> lock(mutex);
                    if (stop) return;
                    ready[b] = std::move(slot);
                }
                batchReady.notify_all();
            }
        } catch (...) {
            // E.g. no memory left to queue a batch: the consumer gets it from next().
            {
                std::lock_guard<std::mutex> lock(mutex);
                if (!fatal) fatal = std::current_exception();
            }
            batchReady.notify_all();
        }
    }

    void stopWorkers() {
        {
            std::lock_guard<std::mutex> lock(mutex);
            stop = true;
        }
        workAvailable.notify_all();
        batchReady.notify_all();
        for (auto& t : workers) t.join();
        workers.clear();
        ready.clear();
    }
};

Loader::Loader(std::vector<ImageItem> items, SampleTransform transform, LoaderOptions options)
    : m_state(std::make_unique<State>()) {
    if (options.batchSize <= 0)
        throw ConfigError("The batch size must be at least 1 (got " + std::to_string(options.batchSize) + ").");
    if (options.workers < 0) throw ConfigError("The number of loader workers cannot be negative.");
    if (!transform) throw ConfigError("The loader needs a transform (see makeTrainTransform / makeEvalTransform).");
    m_state->items = std::move(items);
    m_state->transform = std::move(transform);
    m_state->options = options;
    m_state->known.assign(m_state->items.size(), 0);
}

Loader::~Loader() { m_state->stopWorkers(); }

void Loader::startEpoch(int epoch) {
    State& s = *m_state;
    s.stopWorkers();
    s.epoch = epoch;
    s.started = true;
    s.order.resize(s.items.size());
    for (size_t i = 0; i < s.order.size(); ++i) s.order[i] = static_cast<int64_t>(i);
    if (s.options.shuffle) {
        std::mt19937_64 rng(mixSeed(s.options.seed, static_cast<uint64_t>(epoch)));
        shuffleInPlace(s.order, rng);
    }
    s.stop = false;
    s.fatal = nullptr;
    s.nextClaim = 0;
    s.nextDeliver = 0;
    const size_t total = s.batchCount();
    const size_t threads = std::min<size_t>(static_cast<size_t>(s.options.workers), total);
    for (size_t t = 0; t < threads; ++t) s.workers.emplace_back([&s] { s.workerLoop(); });
}

std::optional<Batch> Loader::next() {
    State& s = *m_state;
    if (!s.started) startEpoch(0);
    const size_t total = s.batchCount();
    for (;;) {
        Slot slot;
        if (s.workers.empty()) {  // workers == 0: decode on the caller's thread
            if (s.nextDeliver >= total) return std::nullopt;
            slot = s.produce(s.nextDeliver++);
        } else {
            std::unique_lock<std::mutex> lock(s.mutex);
            if (s.nextDeliver >= total) return std::nullopt;
            s.batchReady.wait(lock, [&] { return s.ready.count(s.nextDeliver) > 0 || s.fatal; });
            auto it = s.ready.find(s.nextDeliver);
            if (it == s.ready.end()) std::rethrow_exception(s.fatal);
            slot = std::move(it->second);
            s.ready.erase(it);
            ++s.nextDeliver;
            lock.unlock();
            s.workAvailable.notify_all();
        }
        if (slot.error) std::rethrow_exception(slot.error);
        if (slot.batch) return std::move(slot.batch);
        // Every file of that batch was bad: move on to the next one.
    }
}

size_t Loader::numBatches() const { return m_state->batchCount(); }

size_t Loader::size() const { return m_state->items.size(); }

std::vector<SkippedFile> Loader::skipped() const {
    std::lock_guard<std::mutex> lock(m_state->skippedMutex);
    return m_state->skipped;
}

} // namespace ts::data
