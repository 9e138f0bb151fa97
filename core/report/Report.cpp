#include "core/report/Report.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/common/Json.h"
#include "core/data/Doctor.h"
#include "core/export/Bundle.h"
#include "core/export/ExportLog.h"
#include "core/report/Html.h"
#include "core/report/Svg.h"
#include "core/train/Evaluate.h"
#include "core/train/TrainConfig.h"
#include "core/viz/Viz.h"

#include <c10/util/Exception.h>
#include <opencv2/core.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace ts::report {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr size_t kMaxConfigRows = 300;
constexpr size_t kMaxClassRows = 200;

std::string h(std::string_view s, size_t maxChars = 400) { return escapeHtml(s, maxChars); }

void checkCancel(const ReportOptions& o) {
    if (o.feedback && o.feedback->isCancelled()) throw Cancelled();
}

void step(const ReportOptions& o, const std::string& what) {
    checkCancel(o);
    if (o.onStep) o.onStep(what);
}

std::string note(const std::string& escapedText, const char* kind = "note") {
    return std::string("<p class=\"") + kind + "\">" + escapedText + "</p>\n";
}

std::string fileTime(const fs::path& p) {
    std::error_code ec;
    const auto t = fs::last_write_time(p, ec);
    if (ec) return {};
    const auto sys = std::chrono::time_point_cast<std::chrono::system_clock::duration>(
        t - fs::file_time_type::clock::now() + std::chrono::system_clock::now());
    const std::time_t tt = std::chrono::system_clock::to_time_t(sys);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return buf;
}

std::string duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "-";
    char buf[48];
    if (seconds < 1)
        std::snprintf(buf, sizeof buf, "%.2f s", seconds);
    else if (seconds < 120)
        std::snprintf(buf, sizeof buf, "%.1f s", seconds);
    else if (seconds < 7200)
        std::snprintf(buf, sizeof buf, "%.1f min", seconds / 60);
    else
        std::snprintf(buf, sizeof buf, "%.2f h", seconds / 3600);
    return buf;
}

std::string bytesText(int64_t bytes) {
    char buf[48];
    if (bytes < 1024 * 1024)
        std::snprintf(buf, sizeof buf, "%.1f KB", bytes / 1024.0);
    else
        std::snprintf(buf, sizeof buf, "%.1f MB", bytes / (1024.0 * 1024.0));
    return buf;
}

// A JSON value as one line of text for a table.
std::string valueText(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

// A config key as text whatever its type ("?" when absent): config.json is
// shown as stored, not validated, so a hostile "arch": 5 must not throw.
std::string configText(const json& c, const char* key) {
    const auto it = c.find(key);
    if (it == c.end() || it->is_null()) return "?";
    return valueText(*it);
}

void flatten(const json& j, const std::string& prefix, std::map<std::string, json>& out) {
    if (j.is_object() && !j.empty()) {
        for (auto it = j.begin(); it != j.end() && out.size() < kMaxConfigRows; ++it)
            flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    } else if (!prefix.empty()) {
        out[prefix] = j;
    }
}

// A path shown relative to `root` when it lies under it.
std::string shownPath(const std::string& path, const std::string& root) {
    if (!root.empty() && path.size() > root.size() + 1 && path.compare(0, root.size(), root) == 0 &&
        (path[root.size()] == '/' || root.back() == '/'))
        return path.substr(root.size() + (root.back() == '/' ? 0 : 1));
    return path;
}

// "2026-12-01T21:30:00Z" as "2026-12-01 21:30 UTC"; anything else as it is.
std::string shownTime(const std::string& iso) {
    if (iso.size() == 20 && iso[10] == 'T' && iso[19] == 'Z') return iso.substr(0, 10) + " " + iso.substr(11, 5) + " UTC";
    return iso;
}

std::string id(const ReportOptions& o, const char* name) { return h(o.idPrefix + name, 80); }

// --- the parts of a run section ---------------------------------------------

std::string summaryPart(const RunSummary& s, const ReportOptions& o) {
    const json& c = s.config;
    const std::string arch = configText(c, "arch");
    const int64_t planned = c.contains("epochs") && c["epochs"].is_number_integer() ? c["epochs"].get<int64_t>() : 0;
    const int done = s.epochs.empty() ? 0 : s.epochs.back().epoch;
    std::string out = "<table class=\"facts\">\n";
    auto row = [&](const std::string& key, const std::string& escapedValue, const std::string& attrs = {}) {
        out += "<tr><th>" + key + "</th><td" + attrs + ">" + escapedValue + "</td></tr>\n";
    };
    row("Run folder", "<code>" + h(fs::path(s.runDir).filename().string()) + "</code> (" + h(s.runDir) + ")");
    std::string weights = " (from scratch)";
    if (c.contains("weights_file") && c["weights_file"].is_string() && !c["weights_file"].get<std::string>().empty())
        weights = " with the weights of <code>" + h(fs::path(c["weights_file"].get<std::string>()).filename().string(), 120) + "</code>";
    else if (c.contains("pretrained") && c["pretrained"].is_boolean() && c["pretrained"].get<bool>())
        weights = " with the official ImageNet weights";
    row("Architecture", h(arch) + weights);
    row("Freeze", h(c.contains("freeze") ? valueText(c["freeze"]) : "-"));
    row("Data folder", h(c.contains("data_dir") ? valueText(c["data_dir"]) : "-"));
    row("Started", h(fileTime(fs::path(s.runDir) / "config.json")));
    row("Last epoch written", h(fileTime(fs::path(s.runDir) / "metrics.jsonl")));
    row("Epochs", std::to_string(done) + " of " + std::to_string(planned) +
                      (done < planned ? " (stopped early, cancelled or still running)" : ""));
    if (s.bestEpoch > 0) {
        char value[40];
        std::snprintf(value, sizeof value, "%.9g", s.bestValAccuracy);
        row("Best validation accuracy", "<strong>" + formatPercent(s.bestValAccuracy) + "</strong>",
            " id=\"" + id(o, "best-val-accuracy") + "\" data-value=\"" + value + "\"");
        row("Best epoch", std::to_string(s.bestEpoch) + " (its model is model.tsb)", " id=\"" + id(o, "best-epoch") + "\"");
        for (const auto& e : s.epochs)
            if (e.epoch == s.bestEpoch) row("Validation loss there", h(formatNumber(e.valLoss)));
    } else {
        row("Best validation accuracy", "no complete epoch yet");
    }
    row("Time in the epochs", h(duration(s.seconds)) + " (training and validation, added up; a feature cache is computed before the first epoch)");
    {
        std::map<std::string, json> values, defaults;
        flatten(c, "", values);
        flatten(train::toJson(train::TrainConfig{}), "", defaults);
        std::string changed;
        size_t n = 0;
        for (const auto& [key, value] : values) {
            const auto d = defaults.find(key);
            if (key == "data_dir" || (d != defaults.end() && d->second == value)) continue;
            if (++n > 16) continue;
            changed += (changed.empty() ? "" : ", ") + std::string("<code>") + h(key, 80) + "=" + h(valueText(value), 80) + "</code>";
        }
        if (n > 16) changed += ", and " + std::to_string(n - 16) + " more";
        row("Changed from the defaults", changed.empty() ? std::string("nothing") : changed);
    }
    out += "</table>\n";
    return out;
}

std::string configPart(const json& config, const ReportOptions& o) {
    std::map<std::string, json> values, defaults;
    flatten(config, "", values);
    flatten(train::toJson(train::TrainConfig{}), "", defaults);
    size_t changed = 0;
    std::string rows, changedRows;
    for (const auto& [key, value] : values) {
        const auto d = defaults.find(key);
        const bool isDefault = d != defaults.end() && d->second == value;
        changed += !isDefault;
        const std::string row = std::string("<tr") + (isDefault ? "" : " class=\"changed\"") + "><td><code>" + h(key, 120) +
                                "</code></td><td>" + h(valueText(value), 200) + "</td><td>" +
                                (d == defaults.end() ? std::string("-") : h(valueText(d->second), 200)) + "</td><td>" +
                                (isDefault ? "" : "changed") + "</td></tr>\n";
        rows += row;
        if (!isDefault) changedRows += row;
    }
    const std::string header = "<table class=\"data config\">\n<tr><th>key</th><th>value</th><th>default</th><th></th></tr>\n";
    std::string out = "<h3 id=\"" + id(o, "config") + "\">Configuration</h3>\n";
    out += note("The " + std::to_string(changed) + " of the " + std::to_string(values.size()) +
                " keys of config.json that differ from the defaults:");
    if (changed > 0) out += header + changedRows + "</table>\n";
    out += "<details><summary>Every key of config.json</summary>\n" + header + rows + "</table>\n</details>\n";
    return out;
}

struct DatasetState {
    bool haveIndex = false;
    bool dataPresent = false;
    data::DatasetIndex index;
};

std::string datasetPart(const RunSummary& s, const ReportOptions& o, DatasetState& state) {
    std::string out = "<h3 id=\"" + id(o, "dataset") + "\">Dataset</h3>\n";
    const std::string manifestPath = (fs::path(s.runDir) / "manifest.json").string();
    try {
        state.index = data::fromManifest(readJsonFile(manifestPath), manifestPath);
        state.haveIndex = true;
    } catch (const Error& e) {
        out += note("The run's split cannot be shown: " + h(e.what(), 600), "warn");
        return out;
    }
    const data::DatasetIndex& index = state.index;
    std::error_code ec;
    state.dataPresent = !index.root.empty() && fs::is_directory(index.root, ec);
    const auto train = index.classCounts(index.train), val = index.classCounts(index.val);
    out += note(std::to_string(index.classes.size()) + " classes, " + std::to_string(index.train.size()) + " training and " +
                std::to_string(index.val.size()) + " validation images (" +
                (index.splitSource == data::SplitSource::Folders ? "train/ and val/ folders"
                                                                  : "split of the class folders, " +
                                                                        formatPercent(index.split.valFraction) +
                                                                        " for validation, seed " + std::to_string(index.split.seed)) +
                "), from <code>" + h(index.root) + "</code>.");
    out += "<div class=\"row\">\n<table class=\"data\">\n<tr><th>class</th><th>train</th><th>val</th></tr>\n";
    for (size_t c = 0; c < index.classes.size() && c < kMaxClassRows; ++c)
        out += "<tr><td>" + h(index.classes[c], 120) + "</td><td class=\"num\">" + std::to_string(c < train.size() ? train[c] : 0) +
               "</td><td class=\"num\">" + std::to_string(c < val.size() ? val[c] : 0) + "</td></tr>\n";
    if (index.classes.size() > kMaxClassRows)
        out += "<tr><td colspan=\"3\">and " + std::to_string(index.classes.size() - kMaxClassRows) + " more classes</td></tr>\n";
    out += "</table>\n";
    if (index.classes.size() <= 40) {
        std::vector<double> tr(train.begin(), train.end()), va(val.begin(), val.end());
        out += "<div class=\"plot\">" + svgBarChart(index.classes, {{"train", tr}, {"val", va}}, "Images per class") + "</div>\n";
    }
    out += "</div>\n";

    out += "<h3 id=\"" + id(o, "doctor") + "\">Doctor's findings</h3>\n";
    if (!state.dataPresent) {
        out += note("The data folder <code>" + h(index.root) +
                        "</code> no longer exists (or is not a folder here): the doctor, the evaluation on the "
                        "validation split and the worst mistakes are skipped. The numbers below are those recorded "
                        "during training.",
                    "warn");
        return out;
    }
    if (!o.runDoctor) {
        out += note("The doctor was not run for this report.");
        return out;
    }
    step(o, "Running the doctor on the " + std::to_string(index.train.size() + index.val.size() + index.test.size()) +
                " files of the run's split");
    const data::DoctorReport d = data::diagnose(index, data::DoctorOptions{}, o.feedback);
    auto counted = [](size_t n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); };
    out += note(counted(size_t(d.filesChecked), "file") + " checked: " + counted(d.count(data::Severity::Error), "error") + ", " +
                counted(d.count(data::Severity::Warning), "warning") + ", " + counted(d.count(data::Severity::Info), "note") +
                ". Image sizes " + std::to_string(d.width.min) + "-" +
                std::to_string(d.width.max) + " x " + std::to_string(d.height.min) + "-" + std::to_string(d.height.max) +
                " px (median " + std::to_string(d.width.median) + " x " + std::to_string(d.height.median) + ").");
    const auto notes = data::summariseNotes(d);
    if (!notes.empty()) {
        out += "<ul class=\"notes\">\n";
        for (const auto& n : notes) out += "<li>" + h(n.message, 300) + "</li>\n";
        out += "</ul>\n";
    }
    std::vector<const data::Problem*> shown;
    for (const auto& p : d.problems)
        if (p.severity != data::Severity::Info) shown.push_back(&p);
    if (shown.empty()) {
        out += note("No errors or warnings.", "good");
        return out;
    }
    out += "<table class=\"data\">\n<tr><th>severity</th><th>kind</th><th>file</th><th>what</th></tr>\n";
    const size_t limit = static_cast<size_t>(std::max(0, o.maxDoctorProblems));
    for (size_t i = 0; i < shown.size() && i < limit; ++i) {
        const auto& p = *shown[i];
        out += std::string("<tr class=\"") + (p.severity == data::Severity::Error ? "error" : "warning") + "\"><td>" +
               data::toString(p.severity) + "</td><td>" + data::toString(p.kind) + "</td><td><code>" +
               h(shownPath(p.path, index.root), 160) + "</code></td><td>" + h(p.message, 300) + "</td></tr>\n";
    }
    out += "</table>\n";
    if (shown.size() > limit)
        out += note("and " + std::to_string(shown.size() - limit) + " more (tstudio scan " + h(index.root, 200) +
                    " lists them all).");
    return out;
}

std::string curvesPart(const RunSummary& s, const ReportOptions& o) {
    std::string out = "<h3 id=\"" + id(o, "curves") + "\">Training curves</h3>\n";
    if (s.epochs.empty()) return out + note("No complete epoch yet: metrics.jsonl is empty.");
    PlotSeries trainLoss{"training", {}, {}, 0, true}, valLoss{"validation", {}, {}, 1, false};
    PlotSeries trainAcc{"training", {}, {}, 0, true}, valAcc{"validation", {}, {}, 1, false};
    PlotSeries lr{"learning rate (end of epoch)", {}, {}, 2, false};
    for (const auto& e : s.epochs) {
        for (PlotSeries* p : {&trainLoss, &valLoss, &trainAcc, &valAcc, &lr}) p->x.push_back(e.epoch);
        trainLoss.y.push_back(e.trainLoss);
        valLoss.y.push_back(e.valLoss);
        trainAcc.y.push_back(e.trainAccuracy * 100);
        valAcc.y.push_back(e.valAccuracy * 100);
        lr.y.push_back(e.lr);
    }
    LinePlotOptions lo;
    lo.xLabel = "epoch";
    lo.widthPx = 360;  // three side by side in a 1200 px wide window
    lo.heightPx = 300;
    out += "<div class=\"row\">\n";
    lo.title = "Loss";
    lo.yLabel = "cross-entropy";
    out += "<div class=\"plot\">" + svgLinePlot({trainLoss, valLoss}, lo) + "</div>\n";
    lo.title = "Accuracy";
    lo.yLabel = "accuracy (%)";
    out += "<div class=\"plot\">" + svgLinePlot({trainAcc, valAcc}, lo) + "</div>\n";
    lo.title = "Learning rate";
    lo.yLabel = "learning rate";
    out += "<div class=\"plot\">" + svgLinePlot({lr}, lo) + "</div>\n";
    out += "</div>\n";
    out += "<details><summary>Every epoch</summary>\n<table class=\"data\">\n<tr><th>epoch</th><th>train loss</th><th>train "
           "acc.</th><th>val loss</th><th>val acc.</th><th>lr</th><th>time</th></tr>\n";
    constexpr size_t kMaxEpochRows = 1000;
    for (size_t i = 0; i < s.epochs.size() && i < kMaxEpochRows; ++i) {
        const auto& e = s.epochs[i];
        out += std::string("<tr") + (e.epoch == s.bestEpoch ? " class=\"best\"" : "") + "><td class=\"num\">" +
               std::to_string(e.epoch) + (e.epoch == s.bestEpoch ? " (best)" : "") + "</td><td class=\"num\">" +
               formatNumber(e.trainLoss) + "</td><td class=\"num\">" + formatPercent(e.trainAccuracy) + "</td><td class=\"num\">" +
               formatNumber(e.valLoss) + "</td><td class=\"num\">" + formatPercent(e.valAccuracy) + "</td><td class=\"num\">" +
               formatNumber(e.lr, 3) + "</td><td class=\"num\">" + duration(e.seconds) + "</td></tr>\n";
    }
    out += "</table>\n";
    if (s.epochs.size() > kMaxEpochRows)
        out += note("and " + std::to_string(s.epochs.size() - kMaxEpochRows) + " more epochs (metrics.csv lists them all).");
    out += "</details>\n";
    return out;
}

std::string metricsTables(const std::vector<std::string>& classes, const std::vector<std::vector<int64_t>>& confusion,
                          const std::vector<train::ClassMetrics>& perClass, const std::string& title) {
    // A heat map of more classes than this would be a huge, unreadable file.
    constexpr size_t kMaxMatrixClasses = 100;
    std::string out = "<div class=\"row\">\n";
    if (classes.size() <= kMaxMatrixClasses)
        out += "<div class=\"plot\">" + svgConfusionMatrix(classes, confusion, title) + "</div>\n";
    else
        out += note("The confusion matrix of " + std::to_string(classes.size()) + " classes is not drawn (more than " +
                    std::to_string(kMaxMatrixClasses) + "); <code>tstudio eval --json</code> prints it.");
    out += "<table class=\"data perclass\">\n<tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>\n";
    for (size_t c = 0; c < perClass.size() && c < kMaxClassRows; ++c) {
        const auto& m = perClass[c];
        out += "<tr><td>" + (c < classes.size() ? h(classes[c], 120) : std::to_string(c)) + "</td><td class=\"num\">" +
               formatPercent(m.precision) + "</td><td class=\"num\">" + formatPercent(m.recall) + "</td><td class=\"num\">" +
               formatPercent(m.f1) + "</td><td class=\"num\">" + std::to_string(m.support) + "</td></tr>\n";
    }
    out += "</table>\n";
    if (!perClass.empty() && perClass.size() <= 40) {
        BarSeries p{"precision", {}}, r{"recall", {}}, f{"F1", {}};
        for (const auto& m : perClass) {
            p.values.push_back(m.precision);
            r.values.push_back(m.recall);
            f.values.push_back(m.f1);
        }
        std::vector<std::string> names(classes.begin(), classes.begin() + std::min(classes.size(), perClass.size()));
        while (names.size() < perClass.size()) names.push_back(std::to_string(names.size()));
        out += "<div class=\"plot\">" + svgBarChart(names, {p, r, f}, "Per-class precision, recall and F1", true, 460) + "</div>\n";
    }
    out += "</div>\n";
    return out;
}

std::string recordedEvaluation(const RunSummary& s) {
    for (const auto& e : s.epochs) {
        if (e.epoch != s.bestEpoch) continue;
        if (e.confusion.empty()) return note("metrics.jsonl has no confusion matrix for the best epoch.");
        std::vector<std::string> names = e.classNames;
        while (names.size() < e.confusion.size()) names.push_back("class " + std::to_string(names.size()));
        return note("As recorded in metrics.jsonl for epoch " + std::to_string(e.epoch) + " (validation split).") +
               metricsTables(names, e.confusion, e.perClass, "Confusion matrix (epoch " + std::to_string(e.epoch) + ")");
    }
    return note("No best epoch in metrics.jsonl yet.");
}

std::string mistakeFigure(exporting::LoadedModel& model, const train::Misclassified& m, const std::string& root,
                          const std::vector<std::string>& classes, const ReportOptions& o, std::string& problem) {
    std::string path = m.path;
    if (fs::path(path).is_relative() && !root.empty()) path = (fs::path(root) / path).string();
    viz::Heatmap cam;
    viz::PreparedImage prepared;
    try {
        prepared = viz::prepareImageFile(path, model.meta.transform);
        viz::GradCamOptions go;
        go.classIndex = m.predicted;
        cam = viz::gradCam(*model.model, prepared, go);
    } catch (const Error& e) {
        problem = e.what();
        return {};
    } catch (const c10::Error& e) {
        problem = e.what_without_backtrace();
        return {};
    } catch (const cv::Exception& e) {
        problem = e.what();
        return {};
    }
    auto name = [&](int64_t k) { return k >= 0 && size_t(k) < classes.size() ? classes[size_t(k)] : std::to_string(k); };
    std::string out = "<figure class=\"mistake\">\n<div class=\"pair\"><img alt=\"image\" src=\"" +
                      pngDataUri(fitWithin(prepared.original, o.thumbnailPx)) + "\"><img alt=\"Grad-CAM\" src=\"" +
                      pngDataUri(fitWithin(cam.overlay, o.thumbnailPx)) + "\"></div>\n<figcaption><code>" +
                      h(fs::path(m.path).filename().string(), 60) + "</code><br>true <strong>" + h(name(m.truth), 60) +
                      "</strong>, predicted <strong>" + h(name(m.predicted), 60) + "</strong> (" +
                      formatPercent(m.confidence) + ")</figcaption>\n</figure>\n";
    return out;
}

std::string evaluationPart(const RunSummary& s, const DatasetState& data, const ReportOptions& o) {
    std::string out = "<h3 id=\"" + id(o, "evaluation") + "\">Best model on the validation split</h3>\n";
    std::string mistakes = "<h3 id=\"" + id(o, "mistakes") + "\">Worst mistakes</h3>\n";
    const std::string bundle = (fs::path(s.runDir) / "model.tsb").string();
    std::error_code ec;
    std::string why;
    if (!data.haveIndex || !data.dataPresent)
        why = "the data folder is not available";
    else if (!o.evaluate)
        why = "evaluation was not asked for";
    else if (!fs::is_regular_file(bundle, ec))
        why = "the run has no model.tsb yet";
    if (!why.empty())
        return out + note("Not evaluated now (" + h(why) + ").") + recordedEvaluation(s) + mistakes +
               note("Skipped: " + h(why) + ".");
    step(o, "Evaluating model.tsb on the " + std::to_string(data.index.val.size()) + " validation images");
    exporting::LoadedModel model;
    train::EvalReport r;
    try {
        model = exporting::loadTrainedModel(s.runDir);
        r = train::evaluate(model, s.runDir, "", o.feedback);
    } catch (const Cancelled&) {
        throw;
    } catch (const Error& e) {
        return out + note("The best model could not be evaluated: " + h(e.what(), 600), "warn") + recordedEvaluation(s) +
               mistakes + note("Skipped: the model could not be evaluated.");
    }
    out += note("model.tsb scored now on the " + std::to_string(r.heldOut.total()) + " validation images of manifest.json: " +
                "accuracy <strong>" + formatPercent(r.accuracy()) + "</strong>, mean loss " + formatNumber(r.heldOutLoss) + ".");
    for (const auto& w : r.warnings) out += note(h(w, 400), "warn");
    if (!r.skipped.empty())
        out += note(std::to_string(r.skipped.size()) + " validation files could not be read and were not scored.", "warn");
    out += metricsTables(r.classes, r.heldOut.counts(), r.perClass(), "Confusion matrix (validation)");

    std::vector<train::Misclassified> wrong = r.misclassified;
    std::stable_sort(wrong.begin(), wrong.end(), [](const train::Misclassified& a, const train::Misclassified& b) {
        return a.confidence != b.confidence ? a.confidence > b.confidence : a.path < b.path;
    });
    if (wrong.empty()) return out + mistakes + note("No mistakes on the validation split.", "good");
    const size_t limit = static_cast<size_t>(std::max(0, o.maxMistakes));
    if (limit == 0)
        return out + mistakes +
               note(std::to_string(wrong.size()) + " validation images are wrong (no thumbnails were asked for: --max-mistakes 0).");
    mistakes += note(std::to_string(wrong.size()) + " validation images are wrong; the " +
                     std::to_string(std::min(limit, wrong.size())) +
                     " the model was surest about are shown, each with its Grad-CAM for the predicted class "
                     "(red: what drove the prediction).");
    step(o, "Grad-CAM of the " + std::to_string(std::min(limit, wrong.size())) + " worst mistakes");
    mistakes += "<div class=\"mistakes\">\n";
    size_t failed = 0;
    std::string firstProblem;
    for (size_t i = 0; i < wrong.size() && i < limit; ++i) {
        checkCancel(o);
        std::string problem;
        const std::string fig = mistakeFigure(model, wrong[i], data.index.root, r.classes, o, problem);
        if (fig.empty()) {
            ++failed;
            if (firstProblem.empty()) firstProblem = problem;
        }
        mistakes += fig;
    }
    mistakes += "</div>\n";
    if (failed > 0)
        mistakes += note(std::to_string(failed) + " of them could not be shown: " + h(firstProblem, 300), "warn");
    return out + mistakes;
}

std::string exportsPart(const std::string& runDir, const ReportOptions& o) {
    std::string out = "<h3 id=\"" + id(o, "exports") + "\">Exports</h3>\n";
    std::vector<exporting::ExportRecord> records;
    try {
        records = exporting::readExportLog(runDir);
    } catch (const Error& e) {
        return out + note("The export records cannot be shown: " + h(e.what(), 600), "warn");
    }
    if (records.empty())
        return out + note("No export recorded for this run. <code>tstudio export --model RUN --format onnx --out "
                          "model.onnx --check DATA</code> records one here, with its round-trip check.");
    out += "<table class=\"data\">\n<tr><th>file</th><th>format</th><th>size</th><th>when</th><th>round trip</th>"
           "<th>top-1 agreement</th><th>max |&Delta;p|</th><th>max |&Delta;logit|</th><th>accuracy model / export</th></tr>\n";
    for (const auto& r : records) {
        out += "<tr><td><code>" + h(fs::path(r.path).filename().string(), 80) + "</code></td><td>" +
               h(exporting::formatName(r.format)) + "</td><td class=\"num\">" + bytesText(r.bytes) + "</td><td>" + h(shownTime(r.time), 40) +
               "</td>";
        if (r.roundTrip) {
            const auto& t = *r.roundTrip;
            const bool ok = t.images > 0 && t.top1Agreements == t.images;
            out += "<td>" + h(t.runtime, 80) + ", " + std::to_string(t.images) + " images</td><td class=\"num " +
                   (ok ? "goodcell" : "badcell") + "\">" + formatPercent(t.top1AgreementRate) + "</td><td class=\"num\">" +
                   h(formatNumber(t.maxProbabilityDiff, 3)) + "</td><td class=\"num\">" + h(formatNumber(t.maxLogitDiff, 3)) +
                   "</td><td class=\"num\">" + formatPercent(t.modelAccuracy) + " / " + formatPercent(t.exportAccuracy) + "</td>";
        } else {
            out += "<td colspan=\"5\">not checked (export with <code>--check DATA</code>)</td>";
        }
        out += "</tr>\n";
    }
    out += "</table>\n";
    return out;
}

} // namespace

// --- public ------------------------------------------------------------------

std::string renderRunSection(const std::string& runDir, const ReportOptions& o) {
    const RunSummary s = readRunSummary(runDir);
    checkCancel(o);
    const std::string name = fs::path(s.runDir).filename().string();
    std::string out = "<section class=\"run\" id=\"" + id(o, "section") + "\">\n<h2>Run " + h(name, 120) + "</h2>\n";
    out += "<nav class=\"toc\">";
    for (const auto& [anchor, label] : std::vector<std::pair<const char*, const char*>>{
             {"dataset", "Dataset"}, {"doctor", "Doctor"}, {"curves", "Curves"}, {"evaluation", "Evaluation"},
             {"mistakes", "Mistakes"}, {"exports", "Exports"}, {"config", "Configuration"}})
        out += "<a href=\"#" + id(o, anchor) + "\">" + label + "</a> ";
    out += "</nav>\n";
    out += summaryPart(s, o);
    DatasetState data;
    const std::string dataset = datasetPart(s, o, data);
    out += dataset;
    out += curvesPart(s, o);
    out += evaluationPart(s, data, o);
    out += exportsPart(s.runDir, o);
    out += configPart(s.config, o);
    out += "</section>\n";
    return out;
}

ReportKind writeReport(const std::string& dir, const std::string& outPath, const ReportOptions& options) {
    if (outPath.empty()) throw ConfigError("No output file given: pass --out report.html.");
    std::error_code ec;
    const fs::path out(outPath);
    const fs::path parent = out.parent_path().empty() ? fs::path(".") : out.parent_path();
    if (!fs::is_directory(parent, ec))
        throw IoError("Cannot write the report to '" + printable(outPath, 300) + "': the folder '" + printable(parent.string(), 300) +
                      "' does not exist. Create it first or choose another --out.");
    if (fs::is_directory(out, ec))
        throw IoError("Cannot write the report to '" + printable(outPath, 300) + "': it is a folder. Give a file name, e.g. " +
                      printable((out / "report.html").string(), 300) + ".");
    if (!fs::is_directory(dir, ec))
        throw IoError("'" + printable(dir, 300) + "' is not a folder. Give a run folder (runs/<time>-<model>) or an experiment folder.");
    const bool experiment = isExperimentFolder(dir);
    std::string body;
    std::string title;
    const std::string name = fs::absolute(dir, ec).lexically_normal().filename().string();
    if (experiment) {
        title = "Experiment " + name + " - Transfer Studio report";
        body = renderExperimentSection(dir, options);
    } else {
        const RunSummary s = readRunSummary(dir);  // the clear "not a run folder" error before anything runs
        title = "Run " + fs::path(s.runDir).filename().string() + " - Transfer Studio report";
        body = "<h1>" + h(title, 200) + "</h1>\n<p class=\"sub\">" + h(configText(s.config, "arch")) + " on " +
               h(s.config.contains("data_dir") ? valueText(s.config["data_dir"]) : std::string("?"), 300) +
               "; report written " + utcNowText() + ".</p>\n" + renderRunSection(dir, options);
    }
    writeFileAtomic(outPath, htmlPage(title, body));
    return experiment ? ReportKind::Experiment : ReportKind::Run;
}

} // namespace ts::report
