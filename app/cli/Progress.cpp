#include "app/cli/Progress.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <unistd.h>

using nlohmann::json;

namespace ts::cli {

std::string formatDuration(double seconds) {
    char buf[32];
    const int t = static_cast<int>(std::max(0.0, seconds) + 0.5);
    std::snprintf(buf, sizeof buf, "%d:%02d:%02d", t / 3600, (t / 60) % 60, t % 60);
    return buf;
}

namespace {

double intervalFromEnvironment() {
    const char* v = std::getenv("TSTUDIO_PROGRESS_INTERVAL");
    if (!v || !*v) return 10.0;
    char* end = nullptr;
    const double s = std::strtod(v, &end);
    return end != v && s >= 0 && s < 1e6 ? s : 10.0;
}

} // namespace

ProgressDisplay::ProgressDisplay() : ProgressDisplay(::isatty(STDERR_FILENO) != 0, intervalFromEnvironment()) {}

ProgressDisplay::ProgressDisplay(bool terminal, double lineIntervalSeconds)
    : m_terminal(terminal), m_interval(lineIntervalSeconds) {}

void ProgressDisplay::update(const std::string& phase, double fraction, const std::string& detail, double etaSeconds) {
    fraction = std::clamp(fraction, 0.0, 1.0);
    const auto now = Clock::now();
    const bool newPhase = phase != m_phase;
    if (newPhase) {
        m_phase = phase;
        m_lastLine = now;
    }
    const std::string eta = etaSeconds > 0 ? "  ETA " + formatDuration(etaSeconds) : "";
    if (m_terminal) {
        const int width = 24;
        const int filled = static_cast<int>(width * fraction);
        std::fprintf(stderr, "\r\033[K%s [%s%s] %3d%%  %s%s", phase.c_str(), std::string(filled, '#').c_str(),
                     std::string(width - filled, '.').c_str(), static_cast<int>(100 * fraction), detail.c_str(),
                     eta.c_str());
        std::fflush(stderr);
        m_barShown = true;
        return;
    }
    // Plain lines: one per interval of a phase (none for a phase shorter
    // than the interval, whose end the next log line reports).
    if (m_interval > 0 && (newPhase || now - m_lastLine < std::chrono::duration<double>(m_interval))) return;
    m_lastLine = now;
    std::fprintf(stderr, "%s: %d%%  %s%s\n", phase.c_str(), static_cast<int>(100 * fraction), detail.c_str(), eta.c_str());
    std::fflush(stderr);
}

void ProgressDisplay::clear() {
    if (m_barShown) std::fprintf(stderr, "\r\033[K");
    m_barShown = false;
}

json batchEventJson(const train::BatchEvent& e) {
    return {{"event", "batch"},
            {"epoch", e.epoch},
            {"batch", e.batch},
            {"batches", e.numBatches},
            {"loss", e.loss},
            {"lr", e.lr},
            {"images_per_sec", e.imagesPerSec},
            {"eta_seconds", e.etaSeconds}};
}

json progressEventJson(const train::ProgressEvent& e) {
    return {{"event", "progress"},
            {"phase", e.phase},
            {"epoch", e.epoch},
            {"done", e.done},
            {"total", e.total},
            {"elapsed_seconds", e.elapsedSeconds},
            {"eta_seconds", e.etaSeconds}};
}

TrainEventPrinter::TrainEventPrinter(bool json) : m_json(json) {}

train::TrainerCallbacks TrainEventPrinter::callbacks() {
    train::TrainerCallbacks cb;
    cb.batchIntervalMs = m_json ? 500 : 200;
    cb.onBatch = [this](const train::BatchEvent& e) { batch(e); };
    cb.onProgress = [this](const train::ProgressEvent& e) { progress(e); };
    cb.onEpoch = [this](const train::EpochRecord& e) { epoch(e); };
    cb.onLog = [this](const std::string& line) { log(line); };
    return cb;
}

void TrainEventPrinter::finished(const train::TrainResult& r) {
    if (m_json) {
        json j = {{"event", r.cancelled ? "cancelled" : "finished"},
                  {"best_val_accuracy", r.bestValAccuracy},
                  {"best_val_loss", r.bestValLoss},
                  {"best_epoch", r.bestEpoch},
                  {"epochs_run", r.epochsRun},
                  {"stopped_early", r.stoppedEarly},
                  {"run_dir", r.runDir},
                  {"bundle", r.bundlePath},
                  {"device", r.device},
                  {"feature_cache", r.usedFeatureCache},
                  {"skipped_files", r.skippedFiles}};
        std::cout << j.dump() << std::endl;
        return;
    }
    m_display.clear();
    std::printf("%s after %d epoch(s): best val accuracy %.4f (epoch %d)\nRun folder: %s\n",
                r.cancelled ? "Cancelled" : "Finished", r.epochsRun, r.bestValAccuracy, r.bestEpoch, r.runDir.c_str());
    if (!r.skippedFiles.empty()) std::printf("%zu file(s) skipped, see skipped.json\n", r.skippedFiles.size());
}

void TrainEventPrinter::batch(const train::BatchEvent& e) {
    if (m_json) {
        std::cout << batchEventJson(e).dump() << std::endl;
        return;
    }
    char detail[160];
    std::snprintf(detail, sizeof detail, "batch %d/%d  loss %.4f  %.1f img/s  run ETA %s", e.batch, e.numBatches, e.loss,
                  e.imagesPerSec, formatDuration(e.etaSeconds).c_str());
    m_display.update("epoch " + std::to_string(e.epoch), e.numBatches ? double(e.batch) / e.numBatches : 0.0, detail, 0.0);
}

void TrainEventPrinter::progress(const train::ProgressEvent& e) {
    if (m_json) {
        // A newer event type; "batch", "epoch", "log" and "finished" are unchanged.
        std::cout << progressEventJson(e).dump() << std::endl;
        return;
    }
    const std::string phase = e.epoch > 0 ? "epoch " + std::to_string(e.epoch) + " " + e.phase : e.phase;
    m_display.update(phase, e.total > 0 ? double(e.done) / double(e.total) : 1.0,
                     std::to_string(e.done) + "/" + std::to_string(e.total) + " images  " +
                         formatDuration(e.elapsedSeconds),
                     e.etaSeconds);
}

void TrainEventPrinter::epoch(const train::EpochRecord& e) {
    if (!m_json) return;  // the trainer's log line says it for people
    // The metrics.jsonl row itself, marked as an event.
    json row = e.toJson();
    row["event"] = "epoch";
    std::cout << row.dump() << std::endl;
}

void TrainEventPrinter::log(const std::string& line) {
    if (m_json) {
        std::cout << json({{"event", "log"}, {"message", line}}).dump() << std::endl;
        return;
    }
    m_display.clear();
    std::fprintf(stderr, "%s\n", line.c_str());
}

} // namespace ts::cli
