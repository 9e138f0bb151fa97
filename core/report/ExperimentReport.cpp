// The experiment report. The experiment folder is read here, in one
// function (readTrials), straight from its documented format:
//   EXP_DIR/experiment.json  {"format": "transfer-studio-experiment", ...}
//   EXP_DIR/trials.json      {"trials": [{"id", "run_dir" (relative to EXP_DIR),
//                             "params": {key: value}, "status", "error",
//                             "stopped_at_epoch", "reason", "seconds"}]}
// (a "trials" list inside experiment.json is read when trials.json is absent),
// each run in the normal run format. Everything else works on Trial values.
#include "core/report/Report.h"

#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/common/Json.h"
#include "core/report/Html.h"
#include "core/report/Svg.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

namespace ts::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr size_t kMaxTrials = 1000;

struct Trial {
    std::string id;
    std::string runDir;  ///< resolved against EXP_DIR; empty when unusable
    std::string runDirText;
    std::vector<std::pair<std::string, std::string>> params;  ///< key, value as text
    std::string status;
    std::string error;
    std::string reason;
    int stoppedAtEpoch = 0;
    double seconds = NAN;
    // From the run folder:
    bool haveRun = false;
    std::string runProblem;
    RunSummary run;
    // Ranked as `tstudio experiment compare` ranks (core/experiment/Experiment.h):
    // the highest val_accuracy of metrics.jsonl and its first epoch; ties go
    // to the lower lowest val_loss, then to the id.
    int bestEpoch = 0;  ///< 0: no epoch with a finite val_accuracy
    double bestValAccuracy = NAN;
    double lowestValLoss = INFINITY;
};

/// Fills the trial's best epoch from its run's epochs (see Trial).
void scoreTrial(Trial& t) {
    for (const auto& e : t.run.epochs) {
        if (std::isfinite(e.valLoss)) t.lowestValLoss = std::min(t.lowestValLoss, e.valLoss);
        if (std::isfinite(e.valAccuracy) && (t.bestEpoch == 0 || e.valAccuracy > t.bestValAccuracy)) {
            t.bestEpoch = e.epoch;
            t.bestValAccuracy = e.valAccuracy;
        }
    }
}

std::string textOf(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string stringField(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// Reads the experiment's trials (see the file comment). Throws ts::IoError
/// naming the file when it is not an experiment of this format.
std::vector<Trial> readTrials(const std::string& expDir) {
    const std::string expPath = (fs::path(expDir) / "experiment.json").string();
    const json exp = readJsonFile(expPath);
    if (!exp.is_object() || stringField(exp, "format") != "transfer-studio-experiment")
        throw IoError("'" + expPath + "' is not a Transfer Studio experiment (it needs \"format\": "
                      "\"transfer-studio-experiment\"). Give the folder `tstudio experiment run --out` wrote.");
    std::error_code ec;
    const fs::path trialsPath = fs::path(expDir) / "trials.json";
    json trials;
    std::string source = trialsPath.string();
    if (fs::exists(trialsPath, ec)) {
        trials = readJsonFile(trialsPath.string());
    } else {
        trials = exp;
        source = expPath;
    }
    if (!trials.is_object() || !trials.contains("trials") || !trials["trials"].is_array())
        throw IoError("'" + source + "' has no \"trials\" list: the experiment's index is missing or damaged. "
                      "`tstudio experiment resume` rewrites it.");
    std::vector<Trial> out;
    const json& list = trials["trials"];
    for (size_t i = 0; i < list.size() && i < kMaxTrials; ++i) {
        const json& t = list[i];
        if (!t.is_object())
            throw IoError("'" + source + "' is damaged: trial " + std::to_string(i + 1) + " is not an object.");
        Trial trial;
        trial.id = t.contains("id") ? textOf(t["id"]) : std::to_string(i + 1);
        trial.status = stringField(t, "status");
        trial.error = stringField(t, "error");
        trial.reason = stringField(t, "reason");
        if (t.contains("stopped_at_epoch") && t["stopped_at_epoch"].is_number_integer())
            trial.stoppedAtEpoch = t["stopped_at_epoch"].get<int>();
        if (t.contains("seconds") && t["seconds"].is_number()) trial.seconds = t["seconds"].get<double>();
        if (t.contains("params") && t["params"].is_object())
            for (auto it = t["params"].begin(); it != t["params"].end(); ++it)
                trial.params.emplace_back(it.key(), textOf(it.value()));
        trial.runDirText = stringField(t, "run_dir");
        // A run folder inside the experiment only: no absolute path, no "..".
        const fs::path rel(trial.runDirText);
        bool inside = !trial.runDirText.empty() && rel.is_relative();
        for (const auto& part : rel) inside = inside && part != "..";
        if (inside)
            trial.runDir = (fs::path(expDir) / rel).string();
        else
            trial.runProblem = trial.runDirText.empty() ? "no run_dir" : "run_dir is not a folder inside the experiment";
        out.push_back(std::move(trial));
    }
    return out;
}

std::string pct(double v) { return std::isfinite(v) ? formatPercent(v) : "-"; }

} // namespace

std::string renderExperimentSection(const std::string& expDir, const ReportOptions& options) {
    std::vector<Trial> trials = readTrials(expDir);
    if (options.onStep) options.onStep("Reading the " + std::to_string(trials.size()) + " trials of the experiment");
    std::error_code ec;
    for (auto& t : trials) {
        if (options.feedback && options.feedback->isCancelled()) throw Cancelled();
        if (t.runDir.empty()) continue;
        if (!fs::is_directory(t.runDir, ec)) {
            t.runProblem = "its run folder does not exist (yet)";
            continue;
        }
        try {
            t.run = readRunSummary(t.runDir);
            t.haveRun = true;
            scoreTrial(t);
        } catch (const Error& e) {
            t.runProblem = e.what();
        }
    }
    // Best first, as compare sorts (see Trial); trials without an epoch last,
    // in id order.
    std::stable_sort(trials.begin(), trials.end(), [](const Trial& a, const Trial& b) {
        if ((a.bestEpoch > 0) != (b.bestEpoch > 0)) return a.bestEpoch > 0;
        if (a.bestEpoch == 0) return a.id < b.id;
        if (a.bestValAccuracy != b.bestValAccuracy) return a.bestValAccuracy > b.bestValAccuracy;
        if (a.lowestValLoss != b.lowestValLoss) return a.lowestValLoss < b.lowestValLoss;
        return a.id < b.id;
    });
    // The keys whose values differ between trials name the curves.
    std::set<std::string> keys;
    std::map<std::string, std::set<std::string>> seen;
    for (const auto& t : trials)
        for (const auto& [k, v] : t.params) {
            keys.insert(k);
            seen[k].insert(v);
        }
    std::vector<std::string> varying;
    for (const auto& k : keys)
        if (seen[k].size() > 1) varying.push_back(k);
    auto label = [&](const Trial& t) {
        std::string s;
        for (const auto& [k, v] : t.params)
            if (std::find(varying.begin(), varying.end(), k) != varying.end()) s += (s.empty() ? "" : ", ") + k + "=" + v;
        return s.empty() ? "trial " + t.id : s;
    };

    const std::string name = fs::absolute(expDir, ec).lexically_normal().filename().string();
    std::string out = "<h1>Experiment " + escapeHtml(name, 120) + " - Transfer Studio report</h1>\n";
    out += "<p class=\"sub\">" + std::to_string(trials.size()) + " trials" +
           (varying.empty() ? std::string() : ", varying " + escapeHtml([&] {
                                                  std::string s;
                                                  for (const auto& k : varying) s += (s.empty() ? "" : ", ") + k;
                                                  return s;
                                              }(), 300)) +
           ".</p>\n<nav class=\"toc\"><a href=\"#exp-table\">Comparison</a> <a href=\"#exp-curves\">Validation curves</a> "
           "<a href=\"#best-section\">Best run</a></nav>\n";
    out += "<h2 id=\"exp-table\">Comparison</h2>\n<table class=\"data\">\n<tr><th>#</th><th>trial</th>";
    for (const auto& k : keys) out += "<th>" + escapeHtml(k, 60) + "</th>";
    out += "<th>status</th><th>best val. accuracy</th><th>best epoch</th><th>time</th><th>run folder</th></tr>\n";
    int rank = 0;
    for (const auto& t : trials) {
        ++rank;
        out += std::string("<tr") + (rank == 1 && t.bestEpoch > 0 ? " class=\"best\"" : "") + "><td class=\"num\">" +
               std::to_string(rank) + "</td><td>" + escapeHtml(t.id, 60) + "</td>";
        for (const auto& k : keys) {
            std::string v = "-";
            for (const auto& [pk, pv] : t.params)
                if (pk == k) v = pv;
            out += "<td>" + escapeHtml(v, 80) + "</td>";
        }
        std::string status = escapeHtml(t.status.empty() ? "?" : t.status, 40);
        if (!t.error.empty()) status += ": " + escapeHtml(t.error, 200);
        if (t.stoppedAtEpoch > 0) status += " at epoch " + std::to_string(t.stoppedAtEpoch);
        if (!t.reason.empty()) status += " (" + escapeHtml(t.reason, 200) + ")";
        if (!t.runProblem.empty()) status += "<br><em>" + escapeHtml(t.runProblem, 300) + "</em>";
        const bool best = t.bestEpoch > 0;
        const double seconds = std::isfinite(t.seconds) ? t.seconds : (t.haveRun ? t.run.seconds : NAN);
        char secs[32];
        std::snprintf(secs, sizeof secs, std::isfinite(seconds) ? "%.1f s" : "-", seconds);
        out += "<td>" + status + "</td><td class=\"num\">" + (best ? pct(t.bestValAccuracy) : "-") + "</td><td class=\"num\">" +
               (best ? std::to_string(t.bestEpoch) : "-") + "</td><td class=\"num\">" + secs + "</td><td><code>" +
               escapeHtml(t.runDirText, 120) + "</code></td></tr>\n";
    }
    out += "</table>\n";

    std::vector<PlotSeries> curves;
    for (const auto& t : trials) {
        if (!t.haveRun || t.run.epochs.empty()) continue;
        PlotSeries s;
        s.name = label(t);
        for (const auto& e : t.run.epochs) {
            s.x.push_back(e.epoch);
            s.y.push_back(e.valAccuracy * 100);
        }
        curves.push_back(std::move(s));
        if (curves.size() == 16) break;  // a legible plot: the 16 best
    }
    LinePlotOptions lo;
    lo.title = "Validation accuracy of every trial";
    lo.xLabel = "epoch";
    lo.yLabel = "validation accuracy (%)";
    lo.widthPx = 900;
    lo.heightPx = 380;
    out += "<h2 id=\"exp-curves\">Validation curves</h2>\n<div class=\"plot\">" + svgLinePlot(curves, lo) + "</div>\n";

    const Trial* best = nullptr;
    for (const auto& t : trials)
        if (t.bestEpoch > 0) {
            best = &t;
            break;
        }
    if (!best) return out + "<p class=\"warn\">No trial has finished an epoch yet: there is no best run to show.</p>\n";
    ReportOptions o = options;
    o.idPrefix = "best-";
    if (o.onStep) o.onStep("The best run: " + best->runDirText);
    out += "<p class=\"note\">The best trial: <strong>" + escapeHtml(label(*best), 300) + "</strong>.</p>\n";
    out += renderRunSection(best->runDir, o);
    return out;
}

} // namespace ts::report
