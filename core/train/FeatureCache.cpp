// The feature cache: with a frozen backbone and no augmentation the
// backbone's features are computed once per run and only the head trains
// on them, in the same order and batches as the loader's.
//
// Shared between runs (RunOptions::featureCacheDir), each split's features
// are one file, featureCacheDir/<key>/{train,val}.features:
//   "TSFEATS1"                      8 bytes
//   header length                   uint64, little-endian
//   header                          JSON: {"format": "transfer-studio-features",
//                                   "version": 1, "key": {...}, "items": M,
//                                   "rows": N, "dims": [C, ...],
//                                   "row_of_item": [M rows or -1],
//                                   "skipped": ["path: reason", ...],
//                                   "sha256": hex of the data}
//   data                            N x C x ... float32, little-endian
// A file is used only when all of it agrees with the run: its key, the
// number of items, rows that are distinct and in order, sizes, and the
// digest of the data; the labels come from the run's own split.
#include "core/train/TrainRun.h"

#include "core/common/Sha256.h"

#include <cstring>

namespace ts::train::detail {
namespace {

constexpr char kFeatureMagic[] = "TSFEATS1";  // 8 bytes, no terminator written
constexpr size_t kMaxFeatureHeaderBytes = size_t(256) << 20;
constexpr int64_t kMaxFeatureValues = int64_t(1) << 33;  // 32 GiB of float32

void writeFeatureFile(const std::string& path, const json& key, const Cached& cached) {
    const at::Tensor data = cached.features.to(at::kCPU, at::kFloat).contiguous();
    const std::string_view bytes(static_cast<const char*>(data.data_ptr()), static_cast<size_t>(data.nbytes()));
    json dims = json::array();
    for (int64_t d = 1; d < data.dim(); ++d) dims.push_back(data.size(d));
    const json header = {{"format", "transfer-studio-features"},
                         {"version", 1},
                         {"key", key},
                         {"items", cached.rowOfItem.size()},
                         {"rows", data.size(0)},
                         {"dims", dims},
                         {"row_of_item", cached.rowOfItem},
                         {"skipped", cached.skipped},
                         {"sha256", sha256Hex(bytes)}};
    const std::string text = header.dump();
    std::string out(kFeatureMagic, 8);
    uint64_t n = text.size();
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    out += text;
    out.append(bytes.data(), bytes.size());
    writeFileAtomic(path, out);
}

/// Reads a file written by writeFeatureFile(); throws ts::IoError saying what
/// does not fit (the caller computes the features again).
Cached readFeatureFile(const std::string& path, const json& key, const std::vector<data::ImageItem>& items) {
    const std::string bytes = readFile(path);
    auto bad = [&](const std::string& why) { return IoError(why); };
    if (bytes.size() < 16 || bytes.compare(0, 8, kFeatureMagic, 8) != 0) throw bad("not a feature cache file");
    uint64_t headerBytes = 0;
    for (int i = 0; i < 8; ++i) headerBytes |= uint64_t(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    if (headerBytes > kMaxFeatureHeaderBytes || headerBytes > bytes.size() - 16) throw bad("its header is cut short");
    const json h =
        parseJson(std::string_view(bytes).substr(16, headerBytes), path, JsonLimits{8, kMaxFeatureHeaderBytes});
    if (!h.is_object() || h.value("format", std::string()) != "transfer-studio-features" || h.value("version", 0) != 1)
        throw bad("unknown format or version");
    if (!h.contains("key") || h.at("key") != key) throw bad("it was computed for other images, weights or settings");
    const auto count = [&](const char* name) -> int64_t {
        const auto it = h.find(name);
        if (it == h.end() || !it->is_number_unsigned()) throw bad(std::string("no valid \"") + name + "\"");
        return static_cast<int64_t>(std::min<uint64_t>(it->get<uint64_t>(), uint64_t(1) << 62));
    };
    const int64_t numItems = count("items"), rows = count("rows");
    if (numItems != static_cast<int64_t>(items.size())) throw bad("it holds another number of images");
    const auto& rowOf = h.value("row_of_item", json());
    const auto& dims = h.value("dims", json());
    const auto& skipped = h.value("skipped", json());
    if (!rowOf.is_array() || rowOf.size() != items.size() || !dims.is_array() || dims.empty() || dims.size() > 3 ||
        !skipped.is_array() || skipped.size() > items.size())
        throw bad("its row table or shape is damaged");
    Cached c;
    c.rowOfItem.reserve(items.size());
    std::vector<int64_t> labels;
    int64_t next = 0;
    for (size_t i = 0; i < items.size(); ++i) {
        const json& r = rowOf[i];
        if (!r.is_number_integer()) throw bad("its row table is damaged");
        const int64_t row = r.get<int64_t>();
        if (row != -1 && row != next) throw bad("its row table is damaged");
        if (row >= 0) {
            ++next;
            labels.push_back(items[i].label);
        }
        c.rowOfItem.push_back(row);
    }
    if (next != rows || rows == 0) throw bad("its row count does not match its row table");
    std::vector<int64_t> shape{rows};
    int64_t values = rows;
    for (const auto& d : dims) {
        if (!d.is_number_unsigned() || d.get<uint64_t>() == 0 || d.get<uint64_t>() > (uint64_t(1) << 24))
            throw bad("its shape is damaged");
        shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
        if (values > kMaxFeatureValues / shape.back()) throw bad("its shape is too large");
        values *= shape.back();
    }
    const uint64_t dataBytes = bytes.size() - 16 - headerBytes;
    if (dataBytes != static_cast<uint64_t>(values) * 4) throw bad("its data has the wrong size");
    const std::string_view data = std::string_view(bytes).substr(16 + headerBytes);
    if (h.value("sha256", std::string()) != sha256Hex(data)) throw bad("its data is damaged (digest mismatch)");
    for (const auto& s : skipped) {
        if (!s.is_string()) throw bad("its list of skipped files is damaged");
        c.skipped.push_back(printable(s.get<std::string>(), 600));
    }
    c.features = at::empty(shape, at::kFloat);
    std::memcpy(c.features.data_ptr(), data.data(), data.size());
    c.labels = at::tensor(labels, at::kLong);
    return c;
}

} // namespace

json Run::featureCacheKey() const {
    std::error_code ec;
    json weightsFile = m_cfg.weightsFile;
    if (!m_cfg.weightsFile.empty()) {
        const auto size = fs::file_size(m_cfg.weightsFile, ec);
        const auto time = fs::last_write_time(m_cfg.weightsFile, ec);
        weightsFile = {{"path", m_cfg.weightsFile},
                       {"bytes", ec ? 0 : static_cast<uint64_t>(size)},
                       {"modified", ec ? 0 : static_cast<int64_t>(time.time_since_epoch().count())}};
    }
    const bool pretrainedBackbone = !m_cfg.initFrom.empty() || !m_cfg.weightsFile.empty() || m_cfg.pretrained;
    json key = {{"version", 1},
            {"arch", m_cfg.arch},
            {"weights_file", weightsFile},
            {"pretrained", pretrainedBackbone},
            // A backbone from random initialisation depends on the seed.
            {"init_seed", pretrainedBackbone ? json(nullptr) : json(m_cfg.seed)},
            {"data_dir", m_cfg.dataDir},
            {"manifest_hash", data::manifestHash(m_index)},
            {"max_image_megapixels", m_cfg.maxImageMegapixels},
            {"max_image_file_mib", m_cfg.maxImageFileMib},
            {"transform",
             {{"resize", m_transform.resizeSize},
              {"crop", m_transform.cropSize},
              {"filter", static_cast<int>(m_transform.filter)},
              {"mean", m_transform.mean},
              {"std", m_transform.std}}},
            {"precision", toString(m_cfg.precision)},
            {"autocast", m_amp.note},
            {"device", m_device},
            {"batch_size", m_cfg.batchSize},
            {"threads", at::get_num_threads()}};
    if (!m_cfg.initFrom.empty()) {
        // The trained model it starts from (a run's model.tsb changes while that run trains).
        const std::string bundle = fs::is_directory(m_cfg.initFrom, ec) ? m_cfg.initFrom + "/model.tsb" : m_cfg.initFrom;
        const auto size = fs::file_size(bundle, ec);
        const auto time = fs::last_write_time(bundle, ec);
        key["init_from"] = {{"path", bundle},
                            {"bytes", ec ? 0 : static_cast<uint64_t>(size)},
                            {"modified", ec ? 0 : static_cast<int64_t>(time.time_since_epoch().count())}};
    }
    return key;
}

void Run::cacheFeatures() {
    m_sharedCacheDir.clear();
    m_sharedCacheReused = false;
    if (m_options.featureCacheDir.empty()) {
        m_trainCache = computeFeatures(m_index.train, "training");
        m_valCache = computeFeatures(m_index.val, "validation");
        return;
    }
    const json key = featureCacheKey();
    const std::string dir = m_options.featureCacheDir + "/" + sha256Hex(key.dump()).substr(0, 16);
    bool reused = true;
    auto one = [&](Cached& target, const std::vector<data::ImageItem>& items, const char* what, const char* file) {
        const std::string path = dir + "/" + file;
        std::error_code ec;
        if (fs::is_regular_file(path, ec)) {
            try {
                target = readFeatureFile(path, key, items);
                m_skipped.insert(target.skipped.begin(), target.skipped.end());
                return;
            } catch (const Error& e) {
                log("feature cache: " + path + " cannot be used (" + printable(e.what(), 200) + "); computing the " +
                    what + " features again.");
            }
        }
        reused = false;
        target = computeFeatures(items, what);
        try {
            fs::create_directories(dir, ec);
            writeFeatureFile(path, key, target);
        } catch (const Error& e) {
            log("warning: feature cache: the " + std::string(what) + " features could not be saved (" +
                printable(e.what(), 200) + "); this run uses them, later runs compute them again.");
        }
    };
    one(m_trainCache, m_index.train, "training", "train.features");
    one(m_valCache, m_index.val, "validation", "val.features");
    m_sharedCacheDir = dir;
    m_sharedCacheReused = reused;
    log(reused ? "feature cache: reused " + dir : "feature cache: computed and saved to " + dir);
}

Cached Run::computeFeatures(const std::vector<data::ImageItem>& items, const char* what) {
    data::LoaderOptions lo;
    lo.batchSize = m_cfg.batchSize;
    lo.workers = m_cfg.workers;
    lo.seed = m_cfg.seed;
    lo.limits = imageLimits(m_cfg);
    data::Loader loader(items, makeEvalSampleTransform(m_transform), lo);
    loader.startEpoch(0);
    PhaseProgress phase(m_cb, std::string("caching ") + what + " features", 0, static_cast<int64_t>(items.size()));
    m_model->eval();
    std::vector<at::Tensor> feats, labels;
    std::vector<int64_t> rowOfItem(items.size(), -1);
    int64_t rows = 0;
    size_t done = 0;
    torch::NoGradGuard noGrad;
    while (auto batch = loader.next()) {
        if (m_feedback.isCancelled()) throw Cancelled();
        AutocastScope autocast(m_amp, m_device);
        feats.push_back(m_model->features(batch->images.to(torch::Device(m_device))).to(at::kCPU, at::kFloat));
        labels.push_back(batch->labels);
        for (const int64_t i : batch->indices) rowOfItem[static_cast<size_t>(i)] = rows++;
        done += batch->indices.size();
        m_feedback.reportProgress(static_cast<double>(done) / items.size(), std::string("caching ") + what + " features");
        phase.report(static_cast<int64_t>(done));
    }
    std::vector<std::string> skipped;
    for (const auto& s : loader.skipped()) {
        skipped.push_back(s.path + ": " + s.reason);
        m_skipped.insert(skipped.back());
    }
    if (feats.empty()) throw DataError(std::string("No ") + what + " image of '" + m_cfg.dataDir + "' could be read.");
    return {at::cat(feats), at::cat(labels), std::move(rowOfItem), std::move(skipped)};
}

// The same order and batches as the Loader's (data/Random.h), so the
// cached path and the full path see identical batches.
std::vector<int64_t> Run::epochOrder(size_t n, int epoch) const {
    std::vector<int64_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = static_cast<int64_t>(i);
    std::mt19937_64 rng(data::mixSeed(m_cfg.seed, static_cast<uint64_t>(epoch)));
    data::shuffleInPlace(order, rng);
    return order;
}

EpochStats Run::trainEpochCached(int epoch, Clock::time_point runStart, int64_t& images) {
    EpochStats stats;
    FreezePlan::setTrainMode(*m_model, m_cfg.batchNormPolicy == BatchNormPolicy::AllEval);
    const auto& rowOf = m_trainCache.rowOfItem;
    const auto order = epochOrder(rowOf.size(), epoch);
    const size_t bs = static_cast<size_t>(m_cfg.batchSize);
    const int numBatches = static_cast<int>((order.size() + bs - 1) / bs);
    for (int b = 0; b < numBatches; ++b) {
        if (!m_feedback.waitIfPaused()) throw Cancelled();
        std::vector<int64_t> rows;
        for (size_t k = b * bs; k < std::min(order.size(), (b + 1) * bs); ++k)
            if (rowOf[static_cast<size_t>(order[k])] >= 0) rows.push_back(rowOf[static_cast<size_t>(order[k])]);
        if (rows.empty()) continue;
        const at::Tensor sel = at::tensor(rows);
        const at::Tensor x = m_trainCache.features.index_select(0, sel).to(torch::Device(m_device));
        const at::Tensor y = m_trainCache.labels.index_select(0, sel).to(torch::Device(m_device));
        trainStep(x, y, /*fromFeatures=*/true, epoch, b + 1, numBatches, stats, runStart, images);
    }
    return stats;
}

} // namespace ts::train::detail
