// tstudio export: a trained model (run folder or bundle) to a bundle, ONNX or
// torchvision .pth, with an optional round-trip check on a labelled folder.
#include "app/cli/Cli.h"

#include "core/common/Error.h"
#include "core/data/Dataset.h"
#include "core/export/Export.h"
#include "core/export/ExportLog.h"
#include "core/train/Evaluate.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

namespace ts::cli {
namespace {

struct ExportArgs {
    std::string model;
    std::string format;
    std::string out;
    std::string check;
    bool withPreprocessing = false;
    bool withProbabilities = false;
    int64_t opset = 13;
    int64_t maxImages = 0;
    std::string python = "/usr/bin/python3";
    bool json = false;
};

/// Records the export in its run's exports.json (when the model is a run, or
/// a bundle inside one), so `tstudio report` can show it. The export itself
/// has succeeded: a record that cannot be written is a warning, not an error.
void recordInRun(const ExportArgs& a, const exporting::ExportResult& result,
                 const std::optional<exporting::RoundTripReport>& roundTrip) {
    const std::string runDir = train::runFolderOf(a.model);
    if (runDir.empty()) return;
    std::error_code ec;
    exporting::ExportRecord record;
    const std::filesystem::path absolute = std::filesystem::absolute(result.path, ec);
    record.path = ec ? result.path : absolute.lexically_normal().string();
    record.format = result.format;
    record.bytes = result.bytes;
    record.time = exporting::utcTimestamp();
    if (!a.check.empty()) {
        const std::filesystem::path checked = std::filesystem::absolute(a.check, ec);
        record.checkedOn = ec ? a.check : checked.lexically_normal().string();
        if (roundTrip) record.roundTrip = *roundTrip;
    }
    try {
        exporting::recordExport(runDir, record);
    } catch (const Error& e) {
        std::fprintf(stderr, "tstudio: warning: the export is written, but it could not be recorded in the run: %s\n", e.what());
    }
}

void runExport(const ExportArgs& a) {
    const exporting::ExportFormat format = exporting::parseFormat(a.format);
    if ((a.withPreprocessing || a.withProbabilities) && format != exporting::ExportFormat::Onnx)
        throw ConfigError("--with-preprocessing and --with-probabilities apply to --format onnx only.");
    const exporting::LoadedModel model = exporting::loadTrainedModel(a.model);
    if (!a.check.empty()) {
        // The same check as eval, before anything is written: a folder of
        // other classes would score 0 % with "100 % agreement".
        const data::DatasetIndex checkIndex = data::indexDataset(a.check);
        train::folderClassesToModel(checkIndex.classes, model.meta.classes, a.check, "export --check");
    }
    exporting::ExportOptions options;
    options.withPreprocessing = a.withPreprocessing;
    options.withProbabilities = a.withProbabilities;
    options.opset = a.opset;
    const exporting::ExportResult result = exporting::exportModel(model, format, a.out, options);

    nlohmann::json report = {{"path", result.path},
                             {"format", exporting::formatName(result.format)},
                             {"bytes", result.bytes},
                             {"arch", model.meta.arch},
                             {"classes", model.meta.classes},
                             {"notes", result.notes}};
    if (!a.json) {
        std::printf("Wrote %s (%s, %s, %lld classes, %.1f MB)\n", result.path.c_str(),
                    exporting::formatName(result.format).c_str(), model.meta.arch.c_str(),
                    static_cast<long long>(model.meta.classes.size()), double(result.bytes) / 1e6);
        for (std::string note : result.notes) {
            for (size_t at = note.find('\n'); at != std::string::npos && at + 1 < note.size(); at = note.find('\n', at + 5))
                note.replace(at, 1, "\n    ");
            std::printf("  %s\n", note.c_str());
        }
        std::fflush(stdout);
    }
    std::optional<exporting::RoundTripReport> roundTrip;
    bool noneChecked = false;
    if (!a.check.empty()) {
        exporting::RoundTripOptions rt;
        rt.maxImages = a.maxImages;
        rt.python = a.python;
        // Every runtime of the format (ONNX: OpenCV DNN and ONNX Runtime); one
        // that is absent or refuses the file is reported, and the others still run.
        const std::vector<exporting::RoundTripReport> reports =
            exporting::roundTripChecks(model, format, result.path, options, a.check, rt);
        nlohmann::json all = nlohmann::json::array();
        for (const auto& r : reports) {
            all.push_back(r.toJson());
            if (!roundTrip && r.status == exporting::RoundTripStatus::Checked) roundTrip = r;
            if (a.json) continue;
            std::printf("Round trip: %s\n", r.summary().c_str());
            if (r.status == exporting::RoundTripStatus::Checked)
                std::printf("  accuracy on the labelled images: model %.2f%%, export %.2f%%\n", r.modelAccuracy * 100.0,
                            r.exportAccuracy * 100.0);
        }
        // "round_trip": the first runtime that checked the file (as before);
        // "round_trips": every runtime, with its status.
        report["round_trip"] = roundTrip ? roundTrip->toJson() : nlohmann::json(nullptr);
        report["round_trips"] = all;
        noneChecked = !roundTrip;
    }
    recordInRun(a, result, roundTrip);
    if (a.json) std::cout << report.dump(1) << '\n';
    if (noneChecked) {
        std::cout.flush();
        std::fprintf(stderr, "tstudio: the export is written, but no runtime could check it (see above).\n");
        throw ExitRequest(1);
    }
}

} // namespace

void addExportCommands(CLI::App& app) {
    auto args = std::make_shared<ExportArgs>();
    auto* cmd = app.add_subcommand("export", "Export a trained model to a bundle, ONNX or a torchvision .pth");
    cmd->add_option("--model", args->model, "Run folder or .tsb bundle")->required();
    cmd->add_option("--format", args->format, "bundle | onnx | pth")->required();
    cmd->add_option("--out", args->out, "File to write (written atomically)")->required();
    cmd->add_flag("--with-preprocessing", args->withPreprocessing,
                  "ONNX: normalisation inside the graph (input: RGB 0..255 after resize and crop)");
    cmd->add_flag("--with-probabilities", args->withProbabilities, "ONNX: add a softmax output 'probabilities'");
    cmd->add_option("--opset", args->opset, "ONNX opset (>= 13)")->default_val(13);
    cmd->add_option("--check", args->check,
                    "Labelled folder: run the export in a second runtime on its validation images and compare");
    cmd->add_option("--max-images", args->maxImages, "With --check: at most this many images (0 = all)")->default_val(0);
    cmd->add_option("--python", args->python, "With --check and pth: Python with torch and torchvision")
        ->default_val("/usr/bin/python3");
    cmd->add_flag("--json", args->json, "Print JSON");
    cmd->callback([args] { runExport(*args); });
}

} // namespace ts::cli
