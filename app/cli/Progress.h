#pragma once
// Progress of long phases on stderr: a bar with an ETA on a terminal, a plain
// line every few seconds otherwise (logs, pipes, CI), nothing with --json
// (JSON events carry the same on stdout).
#include "core/train/Events.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

namespace ts::cli {

/// "1:02:03" for 3723 s.
std::string formatDuration(double seconds);

class ProgressDisplay {
public:
    /// Terminal when stderr is one; the plain-line interval is 10 s, or the
    /// seconds in TSTUDIO_PROGRESS_INTERVAL (0: a line for every update).
    ProgressDisplay();
    ProgressDisplay(bool terminal, double lineIntervalSeconds);

    /// One update of `phase` (a new phase name starts a new bar and a new
    /// line timer). `detail` follows the bar, e.g. "13/40  loss 0.51".
    void update(const std::string& phase, double fraction, const std::string& detail, double etaSeconds);
    /// Removes the bar before other output goes to stderr (a no-op without one).
    void clear();
    bool terminal() const { return m_terminal; }

private:
    using Clock = std::chrono::steady_clock;
    bool m_terminal;
    double m_interval;
    bool m_barShown = false;
    std::string m_phase;
    Clock::time_point m_lastLine{};
};

/// Prints a training run's events: progress (ProgressDisplay) and log lines on
/// stderr, or one JSON object per event on stdout.
/// The `--json` lines of a batch and of a progress event ("event": "batch" /
/// "progress"), shared by `train`, `resume` and `experiment`.
nlohmann::json batchEventJson(const train::BatchEvent& e);
nlohmann::json progressEventJson(const train::ProgressEvent& e);

class TrainEventPrinter {
public:
    explicit TrainEventPrinter(bool json);
    train::TrainerCallbacks callbacks();
    void finished(const train::TrainResult& r);

private:
    void batch(const train::BatchEvent& e);
    void progress(const train::ProgressEvent& e);
    void epoch(const train::EpochRecord& e);
    void log(const std::string& line);

    bool m_json;
    ProgressDisplay m_display;
};

} // namespace ts::cli
