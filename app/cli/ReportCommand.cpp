// tstudio report: one self-contained HTML file about a run or an experiment
// (core/report/Report.h).
#include "app/cli/Cli.h"
#include "app/cli/Interrupt.h"

#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/common/Json.h"
#include "core/report/Report.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

namespace ts::cli {
namespace {

struct ReportArgs {
    std::string dir;
    std::string out;
    int maxMistakes = 12;
    bool noDoctor = false;
    bool noEval = false;
    bool json = false;
};

void runReport(const ReportArgs& a) {
    if (a.maxMistakes < 0 || a.maxMistakes > 200)
        throw ConfigError("--max-mistakes " + std::to_string(a.maxMistakes) + " is out of range: give 0 to 200.");
    report::ReportOptions options;
    options.maxMistakes = a.maxMistakes;
    options.runDoctor = !a.noDoctor;
    options.evaluate = !a.noEval;
    Feedback feedback;
    InterruptScope interrupts(feedback);
    options.feedback = &feedback;
    // What it waits for, on stderr (stdout stays the result; --json keeps stderr quiet).
    if (!a.json)
        options.onStep = [](const std::string& what) {
            std::fprintf(stderr, "%s...\n", printable(what, 300).c_str());  // may name a folder from a file
            std::fflush(stderr);
        };
    const report::ReportKind kind = report::writeReport(a.dir, a.out, options);
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(a.out, ec);
    const char* what = kind == report::ReportKind::Experiment ? "experiment" : "run";
    if (a.json) {
        std::cout << nlohmann::json{{"path", a.out}, {"kind", what}, {"bytes", ec ? 0 : bytes}}.dump() << '\n';
        return;
    }
    std::printf("Wrote %s (report of the %s %s, %.1f KB, self-contained: open it in any browser or mail it)\n",
                a.out.c_str(), what, a.dir.c_str(), ec ? 0.0 : double(bytes) / 1024.0);
}

} // namespace

void addReportCommand(CLI::App& app) {
    auto args = std::make_shared<ReportArgs>();
    auto* cmd = app.add_subcommand("report", "Write one self-contained HTML report of a run or an experiment");
    cmd->add_option("dir", args->dir, "Run folder or experiment folder")->required();
    cmd->add_option("--out", args->out, "HTML file to write (written atomically)")->required();
    cmd->add_option("--max-mistakes", args->maxMistakes,
                    "Run: how many of the worst mistakes to show with their Grad-CAM (0 = none)")
        ->default_val(12);
    cmd->add_flag("--no-doctor", args->noDoctor, "Do not run the dataset doctor");
    cmd->add_flag("--no-eval", args->noEval,
                  "Do not evaluate the best model now (the numbers recorded during training are shown)");
    cmd->add_flag("--json", args->json, "Print what was written as JSON");
    cmd->callback([args] { runReport(*args); });
}

} // namespace ts::cli
