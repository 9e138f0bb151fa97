#pragma once
// `tstudio report`: one self-contained HTML file about a run or an
// experiment, that someone can mail to a colleague. Everything is inside the
// file: CSS inline, plots as inline SVG drawn by the project (Svg.h), images
// as data: URIs (PNG through OpenCV). No script, no font or file from the
// network, no link to a local file: the only src/href values are data: URIs
// and in-page #anchors. Every string taken from a file (class names, paths,
// config values) is escaped (Html.h).
//
// A run report: what and when; the config (every key, the ones that differ
// from the defaults marked); the dataset (classes and counts from
// manifest.json) and the doctor's findings on the run's own split (when the
// data folder still exists); loss, accuracy and learning-rate curves from
// metrics.jsonl; the confusion matrix and per-class precision / recall / F1
// of the best model (model.tsb) on its validation split (train::evaluate;
// without the data, the best epoch's numbers as recorded in metrics.jsonl);
// the worst mistakes (highest-confidence wrong predictions) with their
// Grad-CAM; the exports recorded in exports.json (ExportLog.h) with their
// round-trip numbers.
//
// An experiment report (EXP_DIR/experiment.json, format
// "transfer-studio-experiment"): the comparison table (one row per trial),
// every trial's validation accuracy overlaid, and the best run's section.
//
// Errors: ts::IoError / ts::DataError naming the folder or file for a folder
// that is neither a run nor an experiment, a config.json or metrics.jsonl
// that cannot be read (metrics: the line and what is wrong in it), an
// output path in a folder that does not exist; ts::Cancelled through the
// options' feedback. A part that cannot be shown (the data folder is gone,
// an export record is damaged, an image of a mistake cannot be read) is
// said in the report and skipped, it does not fail the report.
//
// Thread safety: free functions; they run models on the calling thread.
#include "core/train/EpochRecord.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace ts {
class Feedback;
}

namespace ts::report {

/// Options of a report.
struct ReportOptions {
    /// Worst mistakes shown with their Grad-CAM (0: none). Default 12.
    int maxMistakes = 12;
    /// Doctor problems listed one by one (all are counted). Default 20.
    int maxDoctorProblems = 20;
    /// Longer side of a mistake's thumbnails, in pixels. Default 170.
    int thumbnailPx = 170;
    /// Run the doctor on the run's split when its data folder exists. Default true.
    bool runDoctor = true;
    /// Evaluate the best model on its validation split (confusion matrix,
    /// per-class metrics, mistakes) when the data folder exists. Default true.
    bool evaluate = true;
    /// Prefix of the element ids (#anchors) of a section, so that several
    /// sections fit in one page. Default "run-".
    std::string idPrefix = "run-";
    /// Cancel (optional); checked between the parts and inside the doctor and the evaluation.
    Feedback* feedback = nullptr;
    /// Told, on the calling thread, before each long part starts ("Running
    /// the doctor on 398 files"), so a command line can say what it waits for
    /// (optional).
    std::function<void(const std::string& what)> onStep;
};

/// A run's epochs as metrics.jsonl holds them (EpochRecord.h), in file
/// order; blank lines are skipped. Throws ts::IoError naming the file and
/// the line (1-based) when it cannot be read, a line is not JSON, or a row
/// is not an epoch record; a file over 64 MiB or over 100,000 lines is refused.
std::vector<train::EpochRecord> readMetricsFile(const std::string& path);

/// What a run folder says about itself, without running anything.
struct RunSummary {
    std::string runDir;
    nlohmann::json config;                   ///< config.json as stored
    std::vector<train::EpochRecord> epochs;  ///< metrics.jsonl (empty before the first epoch)
    int bestEpoch = 0;                       ///< the best model's epoch (0: none yet)
    double bestValAccuracy = 0.0;            ///< that epoch's val_accuracy (NaN: none)
    double seconds = 0.0;                    ///< the epochs' wall time, added up
};

/// True when `dir` holds config.json and metrics.jsonl or model.tsb.
bool isRunFolder(const std::string& dir);
/// True when `dir` holds experiment.json.
bool isExperimentFolder(const std::string& dir);

/// Reads config.json and metrics.jsonl. The best epoch is the last row marked
/// "best" (the epoch whose model is model.tsb); rows without marks (older
/// runs): the highest val_accuracy. Throws ts::IoError naming the folder
/// when it is not a run folder, or the file that cannot be read.
RunSummary readRunSummary(const std::string& runDir);

/// The body of a run report: one <section> with its own headings, anchors
/// prefixed by options.idPrefix. The experiment report puts the best run's
/// section in its page with this function.
std::string renderRunSection(const std::string& runDir, const ReportOptions& options = {});

/// The body of an experiment report (comparison table, overlaid validation
/// curves, the best run's section).
std::string renderExperimentSection(const std::string& expDir, const ReportOptions& options = {});

/// A whole HTML document around `body` (inline CSS, no script).
std::string htmlPage(const std::string& title, const std::string& body);

enum class ReportKind { Run, Experiment };

/// Writes the report of `dir` (a run or an experiment folder) to `outPath`
/// atomically and returns which it was. Checks the output folder first, so
/// a wrong --out costs nothing.
ReportKind writeReport(const std::string& dir, const std::string& outPath, const ReportOptions& options = {});

} // namespace ts::report
