#pragma once
// The tstudio command line. run() parses, dispatches to a command, and turns
// every ts::Error into a one-line message on stderr with exit code 1.
#include <CLI/CLI.hpp>

#include <iosfwd>
#include <string>

namespace ts::cli {

/// Entry point of `tstudio`; returns the process exit code.
int run(int argc, char** argv);

/// Exit status of a command that was cancelled (Ctrl-C / SIGTERM): 128 + SIGINT.
constexpr int kExitCancelled = 130;

/// Thrown by a command that has said everything it had to and ends with a
/// non-zero exit status: run() returns `code` without printing more.
struct ExitRequest {
    int code;
    explicit ExitRequest(int c) : code(c) {}
};

// Each command group registers its subcommands on the app.
void addModelCommands(CLI::App& app);    // models (+ the two below)
void addPredictCommand(CLI::App& app);   // predict
void addWeightsCommands(CLI::App& app);  // weights download|import
void addDataCommands(CLI::App& app);     // scan
void addTrainCommands(CLI::App& app);    // train, resume, eval, lr-find
void addVizCommands(CLI::App& app);      // viz ...
void addExportCommands(CLI::App& app);   // export
void addExperimentCommands(CLI::App& app);  // experiment run|resume|compare
void addReportCommand(CLI::App& app);    // report

} // namespace ts::cli
