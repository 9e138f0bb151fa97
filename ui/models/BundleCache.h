#pragma once
// BundleCache: the one cache of trained models (model.tsb) in the app. The
// Inspect page's predictions (ModelBridge), the views inside the network
// (VizBridge) and the exports (ExportBridge) all read the bundle through it,
// so a run's model is loaded once, not once per page.
//
//     BundleLease lease(bundleOrRunDir);     // loads, or reuses the cached model
//     lease.model().model->forward(...);     // exclusive while the lease lives
//
// The cache holds the most recently used bundle only (a model can be large);
// a run folder and its model.tsb are the same entry, and a file rewritten
// since (a resumed run) is read again. A lease holds the
// cache's lock: one lease at a time in the whole process, so jobs on
// different lanes that use models run one after another (the same module is
// never run by two threads at once, which LibTorch's autograd does not allow).
// Do not take a second lease on the same thread while holding one (it would
// deadlock).
//
// Thread safety: any thread. Lifetimes: the model reference is valid while
// the lease lives. No LibTorch in this header.
#include <QString>

#include <mutex>

namespace ts::exporting {
struct LoadedModel;
}

namespace ts::ui {

class BundleLease {
public:
    /// Locks the cache and loads `bundleOrRunDir` unless it is the cached
    /// one. Throws what exporting::loadTrainedModel throws (ts::WeightsError
    /// naming the file); the cache is then empty.
    explicit BundleLease(const QString& bundleOrRunDir);
    BundleLease(const BundleLease&) = delete;
    BundleLease& operator=(const BundleLease&) = delete;

    exporting::LoadedModel& model() const { return *m_model; }

    /// The cache's key for a path: a run folder means its model.tsb; absolute.
    static QString keyOf(const QString& bundleOrRunDir);
    /// Drops the cached model (e.g. after its file was rewritten). Thread-safe.
    static void clear();
    /// How many times a bundle was read from disk (for tests).
    static int loads();

private:
    std::unique_lock<std::mutex> m_lock;
    exporting::LoadedModel* m_model = nullptr;
};

} // namespace ts::ui
