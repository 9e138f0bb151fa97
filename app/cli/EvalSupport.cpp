#include "app/cli/EvalSupport.h"

#include "core/common/Error.h"
#include "core/common/Json.h"
#include "core/data/ContentHash.h"
#include "core/data/ImageLimits.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

namespace fs = std::filesystem;

namespace ts::cli {
namespace {

std::string nameList(const std::vector<std::string>& names, size_t most = 12) {
    std::string out;
    for (size_t i = 0; i < names.size() && i < most; ++i) out += (i ? ", " : "") + printable(names[i], 40);
    if (names.size() > most) out += ", ... (" + std::to_string(names.size()) + " in all)";
    return out;
}

/// The whole file, or nothing when it cannot be read.
std::optional<std::string> contentOf(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return std::nullopt;
    return bytes;
}

} // namespace

std::vector<int64_t> folderClassesToModel(const std::vector<std::string>& folderClasses,
                                          const std::vector<std::string>& modelClasses, const std::string& folder,
                                          const std::string& command) {
    std::vector<int64_t> toModel(folderClasses.size(), -1);
    std::vector<std::string> unknown;
    for (size_t i = 0; i < folderClasses.size(); ++i) {
        for (size_t j = 0; j < modelClasses.size(); ++j)
            if (folderClasses[i] == modelClasses[j]) toModel[i] = static_cast<int64_t>(j);
        if (toModel[i] < 0) unknown.push_back(folderClasses[i]);
    }
    if (!unknown.empty())
        throw DataError(std::string(unknown.size() == 1 ? "The class folder '" + printable(unknown.front(), 60) + "' is"
                                                        : "The class folders " + nameList(unknown) + " are") +
                        " in '" + folder + "' but not among the model's classes (" + nameList(modelClasses) + "). " +
                        command + " needs a folder whose class folders are named like the model's classes; remove " +
                        "or rename the others, or use the model trained on these classes.");
    return toModel;
}

std::string runFolderOf(const std::string& modelArg) {
    std::error_code ec;
    if (fs::is_directory(modelArg, ec)) return modelArg;
    const fs::path parent = fs::path(modelArg).parent_path();
    const std::string dir = parent.empty() ? std::string(".") : parent.string();
    return fs::exists(fs::path(dir) / "manifest.json", ec) ? dir : std::string();
}

std::optional<data::DatasetIndex> runManifest(const std::string& runDir, const std::string& expectedHash,
                                              std::string* why) {
    const std::string path = (fs::path(runDir) / "manifest.json").string();
    std::error_code ec;
    if (runDir.empty() || !fs::exists(path, ec)) {
        if (why) *why = runDir.empty() ? "the bundle is not inside its run folder" : "'" + path + "' does not exist";
        return std::nullopt;
    }
    data::DatasetIndex index;
    try {
        index = data::fromManifest(readJsonFile(path));
    } catch (const Error& e) {
        if (why) *why = e.what();
        return std::nullopt;
    }
    if (!expectedHash.empty() && data::manifestHash(index) != expectedHash) {
        if (why) *why = "'" + path + "' describes other data than the model was trained on (its hash differs from the bundle's)";
        return std::nullopt;
    }
    return index;
}

std::vector<bool> findTrainingImages(const std::vector<std::string>& files, const std::vector<data::ImageItem>& training,
                                     size_t* unreadableTraining) {
    std::vector<bool> flags(files.size(), false);
    size_t unreadable = 0;
    std::error_code ec;
    // Sizes first: a training file whose size no candidate has is never read.
    // Only regular files within the image file budget: anything larger was
    // never read by training either (and a 16 GiB file must not be loaded).
    const auto maxBytes = static_cast<uintmax_t>(data::ImageLimits{}.maxFileBytes);
    std::map<uintmax_t, std::vector<size_t>> candidatesOfSize;
    for (size_t i = 0; i < files.size(); ++i) {
        if (!fs::is_regular_file(files[i], ec) || ec) continue;
        const uintmax_t size = fs::file_size(files[i], ec);
        if (!ec && size <= maxBytes) candidatesOfSize[size].push_back(i);
    }
    std::map<std::pair<uintmax_t, uint64_t>, std::vector<std::string>> trainingByKey;
    for (const auto& item : training) {
        const bool regular = fs::is_regular_file(item.path, ec) && !ec;
        const uintmax_t size = regular ? fs::file_size(item.path, ec) : 0;
        if (!regular || ec) {
            ++unreadable;
            continue;
        }
        if (!candidatesOfSize.count(size)) continue;
        const auto bytes = contentOf(item.path);
        if (!bytes) {
            ++unreadable;
            continue;
        }
        trainingByKey[{size, data::fnv1a64(bytes->data(), bytes->size())}].push_back(item.path);
    }
    std::set<uintmax_t> trainingSizes;
    for (const auto& entry : trainingByKey) trainingSizes.insert(entry.first.first);
    for (const auto& [size, indices] : candidatesOfSize) {
        if (!trainingSizes.count(size)) continue;  // no training file has this size: never read
        for (const size_t i : indices) {
            const auto bytes = contentOf(files[i]);
            if (!bytes) continue;
            const auto it = trainingByKey.find({size, data::fnv1a64(bytes->data(), bytes->size())});
            if (it == trainingByKey.end()) continue;
            // The hash is not collision resistant: equal means equal bytes.
            for (const auto& path : it->second) {
                const auto other = contentOf(path);
                if (other && *other == *bytes) {
                    flags[i] = true;
                    break;
                }
            }
        }
    }
    if (unreadableTraining) *unreadableTraining = unreadable;
    return flags;
}

} // namespace ts::cli
