#pragma once
// Feedback: the cancellation flag and progress channel shared by every long
// operation in ts_core (downloads, scans, training, visualisation).
//
// Thread safety: cancel()/pause()/resume()/isCancelled() may be called from any
// thread. The progress callback runs on the worker thread; it is throttled to
// at most one call per minIntervalMs except for the final 100% report.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

namespace ts {

class Feedback {
public:
    using ProgressFn = std::function<void(double fraction, const std::string& what)>;

    Feedback() = default;
    Feedback(const Feedback&) = delete;
    Feedback& operator=(const Feedback&) = delete;

    void cancel() {
        m_cancelled.store(true);
        std::lock_guard<std::mutex> lock(m_mutex);
        m_paused = false;
        m_cv.notify_all();
    }
    bool isCancelled() const { return m_cancelled.load(); }

    void pause() {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_paused = true;
    }
    void resume() {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_paused = false;
        m_cv.notify_all();
    }
    bool isPaused() const {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_paused;
    }
    /// Blocks while paused; returns false when cancelled.
    bool waitIfPaused() {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_cv.wait(lock, [this] { return !m_paused || m_cancelled.load(); });
        return !m_cancelled.load();
    }

    void setProgressCallback(ProgressFn fn, int minIntervalMs = 100) {
        m_progress = std::move(fn);
        m_minIntervalMs = minIntervalMs;
    }
    void reportProgress(double fraction, const std::string& what = {}) {
        if (!m_progress) return;
        const auto now = std::chrono::steady_clock::now();
        if (fraction < 1.0 && now - m_lastReport < std::chrono::milliseconds(m_minIntervalMs)) return;
        m_lastReport = now;
        m_progress(fraction, what);
    }

private:
    std::atomic<bool> m_cancelled{false};
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_paused = false;
    ProgressFn m_progress;
    int m_minIntervalMs = 100;
    std::chrono::steady_clock::time_point m_lastReport{};
};

} // namespace ts
