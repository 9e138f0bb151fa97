// Reading a run folder for the report (Report.h): metrics.jsonl as hostile
// input, bounded, and the run's summary.
#include "core/report/Report.h"

#include "core/common/Error.h"
#include "core/common/Json.h"
#include "core/train/EpochRecord.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace ts::report {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr size_t kMaxMetricsBytes = size_t(64) << 20;
constexpr size_t kMaxMetricsLines = 100000;

} // namespace

std::vector<train::EpochRecord> readMetricsFile(const std::string& path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        throw IoError("'" + path + "' is missing or not a regular file: the run has no epoch metrics. Is this a complete run folder?");
    const auto size = fs::file_size(path, ec);
    if (ec || size > kMaxMetricsBytes)
        throw IoError("'" + path + "' is " + (ec ? std::string("unreadable") : std::to_string(size) + " bytes") +
                      ", more than the " + std::to_string(kMaxMetricsBytes >> 20) +
                      " MiB a metrics file may have here. Check that it is the run's own metrics.jsonl.");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError("Cannot open '" + path + "' for reading. Check its permissions.");
    std::vector<train::EpochRecord> rows;
    std::string line;
    size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (number > kMaxMetricsLines)
            throw IoError("'" + path + "' has more than " + std::to_string(kMaxMetricsLines) +
                          " lines. Check that it is the run's own metrics.jsonl.");
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const std::string where = "line " + std::to_string(number) + " of '" + path + "'";
        json row;
        try {
            row = parseJson(line, where);
        } catch (const IoError& e) {
            throw IoError("'" + path + "' is damaged at line " + std::to_string(number) + ": it is not JSON (" +
                          printable(line, 60) + "). The run's checkpoints still hold every epoch: `tstudio resume` rewrites "
                          "metrics.jsonl, or remove the damaged line.");
        }
        if (!row.is_object())
            throw IoError("'" + path + "' is damaged at line " + std::to_string(number) +
                          ": it is not an epoch object. Remove the line or rewrite the file with `tstudio resume`.");
        rows.push_back(train::EpochRecord::fromJson(row, where));
    }
    if (in.bad()) throw IoError("Reading '" + path + "' failed. Check the disk and try again.");
    return rows;
}

bool isRunFolder(const std::string& dir) {
    std::error_code ec;
    const fs::path d(dir);
    return fs::is_regular_file(d / "config.json", ec) &&
           (fs::exists(d / "metrics.jsonl", ec) || fs::exists(d / "model.tsb", ec) || fs::exists(d / "manifest.json", ec));
}

bool isExperimentFolder(const std::string& dir) {
    std::error_code ec;
    return fs::is_regular_file(fs::path(dir) / "experiment.json", ec);
}

RunSummary readRunSummary(const std::string& runDir) {
    std::error_code ec;
    if (!fs::is_directory(runDir, ec))
        throw IoError("'" + printable(runDir, 300) + "' is not a folder. Give a run folder (runs/<time>-<model>) or an experiment folder.");
    if (!isRunFolder(runDir))
        throw IoError("'" + printable(runDir, 300) +
                      "' is not a run folder: it has no config.json with metrics.jsonl, model.tsb or manifest.json beside "
                      "it. Give the folder `tstudio train --out` wrote (or an experiment folder).");
    RunSummary s;
    s.runDir = fs::absolute(runDir, ec).lexically_normal().string();
    if (ec) s.runDir = runDir;
    if (!s.runDir.empty() && s.runDir.size() > 1 && s.runDir.back() == '/') s.runDir.pop_back();
    s.config = readJsonFile((fs::path(runDir) / "config.json").string());
    if (!s.config.is_object())
        throw IoError("'" + (fs::path(runDir) / "config.json").string() + "' is not a JSON object: it is not a run's config.");
    const fs::path metrics = fs::path(runDir) / "metrics.jsonl";
    if (fs::exists(metrics, ec)) s.epochs = readMetricsFile(metrics.string());
    s.bestValAccuracy = NAN;
    for (const auto& e : s.epochs) {
        if (std::isfinite(e.seconds)) s.seconds += e.seconds;
        if (e.isBest) {
            s.bestEpoch = e.epoch;
            s.bestValAccuracy = e.valAccuracy;
        }
    }
    if (s.bestEpoch == 0)
        for (const auto& e : s.epochs)
            if (std::isfinite(e.valAccuracy) && (s.bestEpoch == 0 || e.valAccuracy > s.bestValAccuracy)) {
                s.bestEpoch = e.epoch;
                s.bestValAccuracy = e.valAccuracy;
            }
    return s;
}

} // namespace ts::report
