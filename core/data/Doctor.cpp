#include "core/data/Doctor.h"
#include "core/data/DoctorFiles.h"

#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/data/ContentHash.h"
#include "core/data/ImageHeader.h"
#include "core/data/PathText.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

namespace fs = std::filesystem;

namespace ts::data {
namespace {

using detail::FileResult;
using detail::checkFileSafely;
using detail::sameBytes;

struct Entry {
    const ImageItem* item;
    const char* split;
};

bool isFileError(ProblemKind k) {
    switch (k) {
    case ProblemKind::Unreadable:
    case ProblemKind::EmptyFile:
    case ProblemKind::NotAnImage:
    case ProblemKind::UnsupportedFormat:
    case ProblemKind::Corrupt:
    case ProblemKind::Truncated:
    case ProblemKind::TooLarge: return true;
    default: return false;
    }
}

SizeSummary summarise(std::vector<int> v) {
    SizeSummary s;
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    s.min = v.front();
    s.max = v.back();
    s.median = v[(v.size() - 1) / 2];
    return s;
}

std::string classFolder(const DatasetIndex& index, const std::string& split, const std::string& cls) {
    if (index.splitSource == SplitSource::Folders && !split.empty()) {
        // The folder actually used for that split (train/ val/ valid/ ...).
        static const std::map<std::string, std::vector<std::string>> kAliases{
            {"train", {"train", "training"}}, {"val", {"val", "valid", "validation"}}, {"test", {"test", "testing"}}};
        for (const auto& alias : kAliases.at(split)) {
            std::error_code ec;
            if (fs::is_directory(fs::path(index.root) / alias, ec)) return index.root + "/" + alias + "/" + cls;
        }
    }
    return index.root + "/" + cls;
}

// Known image formats the loader cannot read, by extension.
bool isOtherImageExtension(const std::string& path) {
    static const std::set<std::string> kOther{".heic", ".heif", ".avif", ".svg", ".ico", ".jp2", ".jxl",
                                              ".raw", ".cr2", ".nef", ".dng", ".psd", ".jfif", ".apng"};
    return kOther.count(lowerExtension(path)) > 0;
}

std::string formatCount(double v) {
    std::ostringstream s;
    s.precision(3);
    s << v;
    return s.str();
}

} // namespace

const char* toString(Severity severity) {
    switch (severity) {
    case Severity::Info: return "info";
    case Severity::Warning: return "warning";
    case Severity::Error: return "error";
    }
    return "?";
}

const char* toString(ProblemKind kind) {
    switch (kind) {
    case ProblemKind::Unreadable: return "unreadable";
    case ProblemKind::EmptyFile: return "empty_file";
    case ProblemKind::NotAnImage: return "not_an_image";
    case ProblemKind::UnsupportedFormat: return "unsupported_format";
    case ProblemKind::Corrupt: return "corrupt";
    case ProblemKind::Truncated: return "truncated";
    case ProblemKind::TinyImage: return "tiny_image";
    case ProblemKind::Duplicate: return "duplicate";
    case ProblemKind::Leakage: return "leakage";
    case ProblemKind::EmptyClass: return "empty_class";
    case ProblemKind::SingleClass: return "single_class";
    case ProblemKind::Imbalance: return "imbalance";
    case ProblemKind::Converted: return "converted";
    case ProblemKind::Rotated: return "rotated";
    case ProblemKind::WrongExtension: return "wrong_extension";
    case ProblemKind::TooLarge: return "too_large";
    case ProblemKind::SkippedEntry: return "skipped_entry";
    }
    return "?";
}

std::vector<std::string> DoctorReport::badFiles() const {
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const auto& p : problems)
        if (p.severity == Severity::Error && isFileError(p.kind) && seen.insert(p.path).second) out.push_back(p.path);
    return out;
}

std::vector<Problem> DoctorReport::problemsOf(ProblemKind kind) const {
    std::vector<Problem> out;
    for (const auto& p : problems)
        if (p.kind == kind) out.push_back(p);
    return out;
}

size_t DoctorReport::count(Severity severity) const {
    return static_cast<size_t>(
        std::count_if(problems.begin(), problems.end(), [&](const Problem& p) { return p.severity == severity; }));
}

DoctorReport diagnose(const DatasetIndex& index, const DoctorOptions& options, Feedback* feedback) {
    DoctorReport report;
    report.root = index.root;
    report.classes = index.classes;

    std::vector<Entry> entries;
    const std::pair<const char*, const std::vector<ImageItem>*> splits[] = {
        {"train", &index.train}, {"val", &index.val}, {"test", &index.test}};
    for (const auto& [name, items] : splits)
        for (const auto& item : *items) entries.push_back({&item, name});

    // Decode in parallel; results land by position, so the report does not
    // depend on thread timing.
    std::vector<FileResult> results(entries.size());
    std::atomic<size_t> nextEntry{0};
    std::atomic<size_t> done{0};
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::condition_variable progressed;
    std::exception_ptr workerError;  // not about a file (e.g. from the feedback): rethrown here
    std::mutex errorMutex;
    auto work = [&]() noexcept {
        try {
            for (;;) {
                if (feedback && (!feedback->waitIfPaused() || feedback->isCancelled())) {
                    stop = true;
                }
                if (stop) break;
                const size_t i = nextEntry.fetch_add(1);
                if (i >= entries.size()) break;
                results[i] = checkFileSafely(entries[i].item->path, entries[i].split, options);
                done.fetch_add(1);
                progressed.notify_one();
            }
        } catch (...) {
            std::lock_guard<std::mutex> lock(errorMutex);
            if (!workerError) workerError = std::current_exception();
            stop = true;
        }
        progressed.notify_one();
    };
    const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int threads = std::clamp(options.threads > 0 ? options.threads : hw, 1, std::max<int>(1, static_cast<int>(entries.size())));
    std::vector<std::thread> pool;
    pool.reserve(static_cast<size_t>(threads));
    auto joinAll = [&] {
        for (auto& t : pool)
            if (t.joinable()) t.join();
    };
    try {
        for (int t = 0; t < threads; ++t) pool.emplace_back(work);
    } catch (const std::system_error&) {
        // No more threads to be had: those started do the work (or this one).
    }
    if (pool.empty()) work();
    try {
        std::unique_lock<std::mutex> lock(mutex);
        while (done.load() < entries.size() && !stop.load()) {
            progressed.wait_for(lock, std::chrono::milliseconds(50));
            if (feedback && !entries.empty())
                feedback->reportProgress(0.95 * static_cast<double>(done.load()) / static_cast<double>(entries.size()),
                                         "Checking images");
        }
    } catch (...) {  // a progress callback threw: stop the workers before leaving
        stop = true;
        joinAll();
        throw;
    }
    joinAll();
    if (workerError) std::rethrow_exception(workerError);
    if (stop.load() || (feedback && feedback->isCancelled())) throw Cancelled();

    // Duplicates: same size and hash, confirmed byte for byte.
    if (options.findDuplicates) {
        std::map<std::pair<uint64_t, uint64_t>, size_t> firstOf;
        for (size_t i = 0; i < entries.size(); ++i) {
            if (!results[i].usable) continue;
            const auto key = std::make_pair(results[i].hash, results[i].size);
            const auto [it, inserted] = firstOf.emplace(key, i);
            if (inserted) continue;
            const size_t first = it->second;
            const std::string& path = entries[i].item->path;
            const std::string& firstPath = entries[first].item->path;
            if (!sameBytes(path, firstPath)) continue;
            const bool sameSplit = std::strcmp(entries[i].split, entries[first].split) == 0;
            const auto& cls = index.classes;
            const int64_t la = entries[first].item->label, lb = entries[i].item->label;
            Problem p;
            p.path = path;
            p.split = entries[i].split;
            p.otherPath = firstPath;
            p.severity = Severity::Warning;
            if (sameSplit) {
                p.kind = ProblemKind::Duplicate;
                p.message = quotedPath(path) + " has the same content as " + quotedPath(firstPath) +
                            (la == lb ? "" : " but a different class (" + quotedPath(cls[static_cast<size_t>(lb)], 80) + " vs " +
                                                 quotedPath(cls[static_cast<size_t>(la)], 80) + ")") +
                            ". Remove one of them.";
            } else {
                p.kind = ProblemKind::Leakage;
                p.message = quotedPath(path) + " (" + entries[i].split + ") is the same image as " + quotedPath(firstPath) + " (" +
                            entries[first].split + "): the " + entries[i].split +
                            " score will look better than it is. Remove it from one split.";
            }
            results[i].problems.push_back(std::move(p));
        }
    }

    // Per-class counts, sizes, channels.
    std::vector<int> widths, heights;
    std::map<std::string, SplitSummary> summaries;
    for (const auto& [name, items] : splits) {
        if (items->empty() && std::strcmp(name, "test") == 0) continue;
        SplitSummary s;
        s.name = name;
        s.listed.assign(index.classes.size(), 0);
        s.usable.assign(index.classes.size(), 0);
        summaries[name] = s;
    }
    for (size_t i = 0; i < entries.size(); ++i) {
        const auto& r = results[i];
        const auto label = static_cast<size_t>(entries[i].item->label);
        auto& s = summaries[entries[i].split];
        if (label < s.listed.size()) {
            ++s.listed[label];
            if (r.usable) ++s.usable[label];
        }
        if (!r.usable) continue;
        widths.push_back(r.width);
        heights.push_back(r.height);
        auto& c = report.channels;
        if (r.grey) ++c.grey;
        if (r.alpha) ++c.alpha;
        if (r.cmyk) ++c.cmyk;
        if (r.sixteenBit) ++c.sixteenBit;
        if (r.palette) ++c.palette;
        if (!r.grey && !r.alpha && !r.cmyk && !r.sixteenBit && !r.palette) ++c.colour;
    }
    for (const char* name : {"train", "val", "test"})
        if (summaries.count(name)) report.splits.push_back(summaries[name]);
    report.width = summarise(widths);
    report.height = summarise(heights);
    report.filesChecked = static_cast<int64_t>(entries.size());

    for (auto& r : results)
        for (auto& p : r.problems) report.problems.push_back(std::move(p));

    // Files in class folders that the scan did not list.
    for (const auto& path : index.ignoredFiles) {
        if (isOtherImageExtension(path))
            report.problems.push_back({ProblemKind::UnsupportedFormat, Severity::Warning, path, "",
                                       quotedPath(path) + " is in an image format the loader does not read; it is ignored. "
                                                      "Convert it to JPEG or PNG to use it.",
                                       {}});
        else
            report.problems.push_back({ProblemKind::NotAnImage, Severity::Warning, path, "",
                                       quotedPath(path) + " is not an image file; it is ignored. Move it out of the class "
                                                      "folder to silence this.",
                                       {}});
    }

    // Entries the scan passed over (special files, links not followed).
    report.skipped = index.skipped;
    for (const auto& e : index.skipped)
        report.problems.push_back({ProblemKind::SkippedEntry, Severity::Warning, e.path, "", e.message, {}});

    // Dataset-wide checks.
    const size_t numClasses = index.classes.size();
    const SplitSummary* train = nullptr;
    for (const auto& s : report.splits)
        if (s.name == "train") train = &s;
    const bool layoutSplit = index.splitSource != SplitSource::Folders;
    for (size_t c = 0; c < numClasses; ++c) {
        const std::string& cls = index.classes[c];
        if (layoutSplit) {
            int64_t total = 0;
            for (const auto& s : report.splits)
                if (s.name != "test") total += s.usable[c];
            if (total == 0) {
                report.problems.push_back({ProblemKind::EmptyClass, Severity::Error, classFolder(index, "", cls), "",
                                           "The class " + quotedPath(cls, 80) + " has no usable images (" +
                                               quotedPath(classFolder(index, "", cls)) +
                                               "). Add images to it or remove the folder.",
                                           {}});
                continue;
            }
        }
        for (const auto& s : report.splits) {
            if (s.usable[c] > 0) continue;
            const bool isTrain = s.name == "train";
            const std::string folder = classFolder(index, s.name, cls);
            report.problems.push_back(
                {ProblemKind::EmptyClass, isTrain ? Severity::Error : Severity::Warning, folder, s.name,
                 "The class " + quotedPath(cls, 80) + " has no usable " + s.name + " images (" + quotedPath(folder) + "). " +
                     (isTrain ? "The model cannot learn it: add training images or remove the class."
                              : "It cannot be evaluated: add " + s.name + " images."),
                 {}});
        }
    }
    report.classWeights.assign(numClasses, 0.0);
    if (train) {
        int64_t n = 0, nonEmpty = 0, maxCount = 0, minCount = 0;
        for (size_t c = 0; c < numClasses; ++c) {
            const int64_t k = train->usable[c];
            n += k;
            if (k > 0) {
                ++nonEmpty;
                maxCount = std::max(maxCount, k);
                minCount = minCount == 0 ? k : std::min(minCount, k);
            }
        }
        for (size_t c = 0; c < numClasses; ++c)
            if (train->usable[c] > 0)
                report.classWeights[c] = static_cast<double>(n) /
                                         (static_cast<double>(numClasses) * static_cast<double>(train->usable[c]));
        if (nonEmpty < 2)
            report.problems.push_back({ProblemKind::SingleClass, Severity::Error, index.root, "",
                                       "Only " + std::to_string(nonEmpty) + " class of '" + index.root +
                                           "' has usable training images; a classifier needs at least two. "
                                           "Add images to the other class folders.",
                                       {}});
        else if (static_cast<double>(maxCount) > options.imbalanceRatio * static_cast<double>(minCount)) {
            std::string weights;
            for (size_t c = 0; c < numClasses; ++c)
                weights += (weights.empty() ? "" : ", ") + index.classes[c] + " " + formatCount(report.classWeights[c]);
            report.problems.push_back(
                {ProblemKind::Imbalance, Severity::Warning, index.root, "train",
                 "The classes are imbalanced: the largest has " + std::to_string(maxCount) + " training images, the smallest " +
                     std::to_string(minCount) + " (more than " + formatCount(options.imbalanceRatio) +
                     "x). Add images to the small classes or use class weights (" + weights + ").",
                 {}});
        }
    }
    if (feedback) feedback->reportProgress(1.0, "Checked " + std::to_string(entries.size()) + " files");
    return report;
}

nlohmann::json toJson(const DoctorReport& r) {
    using nlohmann::json;
    json splits = json::array();
    for (const auto& s : r.splits) splits.push_back({{"name", s.name}, {"listed", s.listed}, {"usable", s.usable}});
    auto size = [](const SizeSummary& s) { return json{{"min", s.min}, {"median", s.median}, {"max", s.max}}; };
    json problems = json::array();
    for (const auto& p : r.problems) {
        json j{{"kind", toString(p.kind)}, {"severity", toString(p.severity)}, {"path", p.path}, {"split", p.split},
               {"message", p.message}};
        if (!p.otherPath.empty()) j["other_path"] = p.otherPath;
        problems.push_back(std::move(j));
    }
    json skipped = json::array();
    for (const auto& e : r.skipped)
        skipped.push_back({{"path", e.path}, {"reason", toString(e.reason)}, {"message", e.message}});
    json notes = json::array();
    for (const auto& n : summariseNotes(r))
        notes.push_back({{"kind", toString(n.kind)}, {"key", n.key}, {"count", n.count}, {"message", n.message},
                         {"example", n.example}});
    const auto& c = r.channels;
    return json{{"root", r.root},
                {"classes", r.classes},
                {"files_checked", r.filesChecked},
                {"splits", splits},
                {"image_size", {{"width", size(r.width)}, {"height", size(r.height)}}},
                {"channels",
                 {{"colour", c.colour},
                  {"grey", c.grey},
                  {"alpha", c.alpha},
                  {"cmyk", c.cmyk},
                  {"sixteen_bit", c.sixteenBit},
                  {"palette", c.palette}}},
                {"class_weights", r.classWeights},
                {"summary",
                 {{"errors", r.count(Severity::Error)},
                  {"warnings", r.count(Severity::Warning)},
                  {"infos", r.count(Severity::Info)},
                  {"skipped", r.skipped.size()}}},
                {"bad_files", r.badFiles()},
                {"skipped", skipped},
                {"notes_summary", notes},
                {"problems", problems}};
}

std::vector<NoteSummary> summariseNotes(const DoctorReport& report) {
    struct Key {
        const char* key;
        ProblemKind kind;
        const char* marker;  ///< in the message after the quoted path (Converted), or nullptr: every note of `kind`
        const char* one;
        const char* many;
    };
    static const Key keys[] = {
        {"grey", ProblemKind::Converted, " grey (replicated to RGB)", "greyscale image will be converted to RGB",
         "greyscale images will be converted to RGB"},
        {"alpha", ProblemKind::Converted, " alpha channel (dropped)", "image has an alpha channel, which is dropped",
         "images have an alpha channel, which is dropped"},
        {"cmyk", ProblemKind::Converted, " CMYK (converted to RGB)", "CMYK image will be converted to RGB",
         "CMYK images will be converted to RGB"},
        {"16-bit", ProblemKind::Converted, "-bit (scaled to 8-bit)", "image with more than 8 bits per channel will be scaled to 8 bits",
         "images with more than 8 bits per channel will be scaled to 8 bits"},
        {"palette", ProblemKind::Converted, " palette (expanded to RGB)", "palette image will be expanded to RGB",
         "palette images will be expanded to RGB"},
        {"rotated", ProblemKind::Rotated, nullptr, "image carries an EXIF orientation and is rotated upright when decoded",
         "images carry an EXIF orientation and are rotated upright when decoded"},
        {"wrong_extension", ProblemKind::WrongExtension, nullptr,
         "file has an extension that does not match its content; it is read correctly",
         "files have an extension that does not match their content; they are read correctly"},
    };
    std::vector<NoteSummary> out;
    for (const Key& k : keys) {
        NoteSummary n;
        n.kind = k.kind;
        n.key = k.key;
        for (const Problem& p : report.problems) {
            if (p.severity != Severity::Info || p.kind != k.kind) continue;
            if (k.marker) {
                const size_t after = std::min(p.message.size(), quotedPath(p.path).size());
                if (p.message.find(k.marker, after) == std::string::npos) continue;
            }
            if (n.count++ == 0) n.example = p.path;
        }
        if (n.count == 0) continue;
        n.message = std::to_string(n.count) + " " + (n.count == 1 ? k.one : k.many) + ".";
        out.push_back(std::move(n));
    }
    // Notes of any other kind, counted by kind.
    std::vector<NoteSummary> others;
    for (const Problem& p : report.problems) {
        if (p.severity != Severity::Info || p.kind == ProblemKind::Converted || p.kind == ProblemKind::Rotated ||
            p.kind == ProblemKind::WrongExtension)
            continue;
        auto it = std::find_if(others.begin(), others.end(), [&](const NoteSummary& n) { return n.kind == p.kind; });
        if (it == others.end()) {
            others.push_back({p.kind, toString(p.kind), 0, {}, p.path});
            it = others.end() - 1;
        }
        ++it->count;
    }
    for (auto& n : others) {
        n.message = std::to_string(n.count) + " note(s) of kind " + n.key + ".";
        out.push_back(std::move(n));
    }
    return out;
}

std::vector<ImageItem> withoutBadFiles(const std::vector<ImageItem>& items, const DoctorReport& report) {
    const auto bad = report.badFiles();
    const std::set<std::string> badSet(bad.begin(), bad.end());
    std::vector<ImageItem> out;
    out.reserve(items.size());
    for (const auto& item : items)
        if (!badSet.count(item.path)) out.push_back(item);
    return out;
}

} // namespace ts::data
