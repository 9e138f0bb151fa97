// tstudio scan: index a dataset folder and run the dataset doctor on it.
#include "app/cli/Cli.h"

#include "app/cli/Interrupt.h"
#include "core/common/Feedback.h"
#include "core/data/Dataset.h"
#include "core/data/Doctor.h"
#include "core/data/PathText.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace ts::cli {
namespace {

struct ScanArgs {
    std::string folder;
    bool json = false;
    double valFraction = 0.2;
    uint64_t seed = 42;
    int minSide = 32;
    double imbalanceRatio = 3.0;
    bool noDuplicates = false;
    bool allNotes = false;
    int threads = 2;
    double maxMegapixels = 100.0;
    double maxFileMiB = 512.0;
};

void printTable(const data::DatasetIndex& index, const data::DoctorReport& r, bool allNotes) {
    const std::string root = data::quotedPath(r.root);
    std::printf("Dataset %s\n", root.substr(1, root.size() - 2).c_str());
    std::printf("Layout: %s\n\n",
                index.splitSource == data::SplitSource::Folders
                    ? "train/val folders (used as given)"
                    : ("class folders, split " + std::to_string(static_cast<int>(100 * (1 - index.split.valFraction) + 0.5)) +
                       "/" + std::to_string(static_cast<int>(100 * index.split.valFraction + 0.5)) + " with seed " +
                       std::to_string(index.split.seed))
                          .c_str());
    // Class names are folder names from strangers: control characters escaped
    // (quotedPath without its quotes), very long names shortened.
    std::vector<std::string> names;
    for (const auto& c : r.classes) {
        const std::string q = data::quotedPath(c, 60);
        names.push_back(q.substr(1, q.size() - 2));
    }
    size_t width = 5;
    for (const auto& c : names) width = std::max(width, c.size());
    std::printf("%-*s", static_cast<int>(width), "class");
    for (const auto& s : r.splits) std::printf(" %8s", s.name.c_str());
    std::printf(" %8s\n", "weight");
    for (size_t c = 0; c < r.classes.size(); ++c) {
        std::printf("%-*s", static_cast<int>(width), names[c].c_str());
        for (const auto& s : r.splits) {
            if (s.usable[c] == s.listed[c]) std::printf(" %8lld", static_cast<long long>(s.usable[c]));
            else std::printf(" %4lld/%-3lld", static_cast<long long>(s.usable[c]), static_cast<long long>(s.listed[c]));
        }
        std::printf(" %8.3f\n", r.classWeights[c]);
    }
    std::printf("(usable/listed where files are bad; weight = N / (classes x train images), for a weighted loss)\n\n");
    std::printf("Image size  width %d / %d / %d, height %d / %d / %d (min / median / max)\n", r.width.min,
                r.width.median, r.width.max, r.height.min, r.height.median, r.height.max);
    const auto& ch = r.channels;
    std::printf("Channels    %lld colour, %lld grey, %lld alpha, %lld CMYK, %lld 16-bit, %lld palette\n\n",
                static_cast<long long>(ch.colour), static_cast<long long>(ch.grey), static_cast<long long>(ch.alpha),
                static_cast<long long>(ch.cmyk), static_cast<long long>(ch.sixteenBit), static_cast<long long>(ch.palette));
    // Problems one per line; notes (nothing to do) counted by kind unless asked for one by one.
    for (auto severity : {data::Severity::Error, data::Severity::Warning, data::Severity::Info}) {
        if (severity == data::Severity::Info && !allNotes) continue;
        for (const auto& p : r.problems)
            if (p.severity == severity) std::printf("%-7s %-18s %s\n", data::toString(p.severity), data::toString(p.kind), p.message.c_str());
    }
    if (!allNotes) {
        const auto notes = data::summariseNotes(r);
        for (const auto& n : notes)
            std::printf("%-7s %-18s %s (e.g. %s)\n", "note", data::toString(n.kind), n.message.c_str(),
                        data::quotedPath(n.example).c_str());
        if (!notes.empty()) std::printf("(notes need nothing done; --all-notes lists them file by file)\n");
    }
    auto counted = [](size_t n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); };
    std::printf("\n%s checked: %s, %s, %s.", counted(static_cast<size_t>(r.filesChecked), "file").c_str(),
                counted(r.count(data::Severity::Error), "error").c_str(),
                counted(r.count(data::Severity::Warning), "warning").c_str(),
                counted(r.count(data::Severity::Info), "note").c_str());
    const size_t bad = r.badFiles().size();
    if (bad > 0) std::printf(" Training skips the %zu unusable file%s.", bad, bad == 1 ? "" : "s");
    std::printf("\n");
    if (!r.skipped.empty()) {
        // Why, in a few words per reason (each entry is listed above).
        std::map<std::string, size_t> reasons;
        for (const auto& e : r.skipped) ++reasons[data::toString(e.reason)];
        std::string list;
        for (const auto& [reason, n] : reasons) list += (list.empty() ? "" : ", ") + std::to_string(n) + " " + reason;
        std::printf("The scan skipped %s (%s): not regular files, or links it does not follow.\n",
                    (std::to_string(r.skipped.size()) + (r.skipped.size() == 1 ? " entry" : " entries")).c_str(), list.c_str());
    }
}

void runScan(const ScanArgs& a) {
    data::SplitOptions split;
    split.valFraction = a.valFraction;
    split.seed = a.seed;
    const data::DatasetIndex index = data::indexDataset(a.folder, split);
    data::DoctorOptions options;
    options.minSide = a.minSide;
    options.imbalanceRatio = a.imbalanceRatio;
    options.findDuplicates = !a.noDuplicates;
    options.threads = a.threads;
    options.limits.maxPixels = static_cast<int64_t>(a.maxMegapixels * 1e6);
    options.limits.maxFileBytes = static_cast<int64_t>(a.maxFileMiB * 1024 * 1024);
    Feedback feedback;
    InterruptScope interrupts(feedback);
    const bool tty = isatty(STDERR_FILENO) != 0;
    if (tty)
        feedback.setProgressCallback([](double f, const std::string& what) {
            std::fprintf(stderr, "\r%s %3d%%", what.c_str(), static_cast<int>(f * 100));
            if (f >= 1.0) std::fprintf(stderr, "\r\033[K");
        });
    const data::DoctorReport report = data::diagnose(index, options, &feedback);
    if (a.json) std::cout << data::toJson(report).dump(1) << '\n';
    else printTable(index, report, a.allNotes);
}

} // namespace

void addDataCommands(CLI::App& app) {
    auto args = std::make_shared<ScanArgs>();
    auto* cmd = app.add_subcommand("scan", "Check a dataset folder: classes, splits, bad files, duplicates, imbalance");
    cmd->add_option("folder", args->folder, "Dataset folder: one sub-folder per class, or train/ and val/")->required();
    cmd->add_flag("--json", args->json, "Print the report as JSON");
    cmd->add_option("--val-fraction", args->valFraction, "Validation share when the folder is not split")
        ->default_val(0.2)
        ->check(CLI::Range(0.0, 0.95));
    cmd->add_option("--seed", args->seed, "Seed of the split")->default_val(42);
    cmd->add_option("--min-side", args->minSide, "Report images whose shorter side is below this")->default_val(32);
    cmd->add_option("--imbalance-ratio", args->imbalanceRatio, "Warn when the largest class is this many times the smallest")
        ->default_val(3.0);
    cmd->add_flag("--all-notes", args->allNotes,
                  "List every note (a grey image converted to RGB, ...) file by file instead of counted by kind");
    cmd->add_flag("--no-duplicates", args->noDuplicates, "Skip the duplicate and leakage search");
    cmd->add_option("--threads", args->threads, "Decoding threads")->default_val(2)->check(CLI::PositiveNumber);
    cmd->add_option("--max-megapixels", args->maxMegapixels, "Report images larger than this as too large (not decoded)")
        ->default_val(100.0)
        ->check(CLI::Range(0.01, 10000.0));
    cmd->add_option("--max-file-mib", args->maxFileMiB, "Report files larger than this as too large (not read)")
        ->default_val(512.0)
        ->check(CLI::Range(0.01, 2047.0));
    cmd->callback([args] { runScan(*args); });
}

} // namespace ts::cli
