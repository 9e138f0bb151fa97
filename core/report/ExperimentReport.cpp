// The experiment report. The experiment folder is read by
// experiment::loadExperiment (the reader `tstudio experiment compare` and
// `resume` use, which checks every field), each trial's run by
// readRunSummary, and the trials are ranked by experiment::ranksBefore, so
// the report's order and numbers are compare's.
#include "core/report/Report.h"

#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/common/Json.h"
#include "core/experiment/Experiment.h"
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

struct Trial {
    std::string id;
    std::string runDir;      ///< EXP_DIR/runs/<id>
    std::string runDirText;  ///< runs/<id>
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
    experiment::RunScore score;  ///< as `tstudio experiment compare` ranks it
};

std::string textOf(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// The experiment's trials, from experiment::loadExperiment (which throws
/// ts::IoError naming the file when the folder is not an experiment or its
/// index is damaged).
std::vector<Trial> readTrials(const std::string& expDir) {
    const experiment::Experiment ex = experiment::loadExperiment(expDir);
    std::vector<Trial> out;
    for (const auto& r : ex.trials) {
        Trial t;
        t.id = r.id;
        t.runDirText = r.runDir;
        t.runDir = ex.runPath(r);
        for (auto it = r.params.begin(); it != r.params.end(); ++it) t.params.emplace_back(it.key(), textOf(it.value()));
        t.status = experiment::toString(r.status);
        t.error = r.error;
        t.reason = r.reason;
        t.stoppedAtEpoch = r.stoppedAtEpoch;
        if (r.seconds > 0) t.seconds = r.seconds;
        out.push_back(std::move(t));
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
            t.score = experiment::scoreRun(t.run.epochs);
        } catch (const Error& e) {
            t.runProblem = e.what();
        }
    }
    // Best first, as compare sorts.
    std::stable_sort(trials.begin(), trials.end(),
                     [](const Trial& a, const Trial& b) { return experiment::ranksBefore(a.score, a.id, b.score, b.id); });
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
        out += std::string("<tr") + (rank == 1 && t.score.any ? " class=\"best\"" : "") + "><td class=\"num\">" +
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
        const bool best = t.score.any;
        const double seconds = std::isfinite(t.seconds) ? t.seconds : (t.haveRun ? t.run.seconds : NAN);
        char secs[32];
        std::snprintf(secs, sizeof secs, std::isfinite(seconds) ? "%.1f s" : "-", seconds);
        out += "<td>" + status + "</td><td class=\"num\">" + (best ? pct(t.score.accuracy) : "-") + "</td><td class=\"num\">" +
               (best ? std::to_string(t.score.epoch) : "-") + "</td><td class=\"num\">" + secs + "</td><td><code>" +
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
        if (t.score.any) {
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
