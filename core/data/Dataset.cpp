#include "core/data/Dataset.h"

#include "core/common/Error.h"
#include "core/common/Json.h"
#include "core/common/Sha256.h"
#include "core/data/Random.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

namespace fs = std::filesystem;

namespace ts::data {
namespace {

std::string lowerExtension(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

bool isHidden(const fs::path& p) {
    const std::string name = p.filename().string();
    return !name.empty() && name[0] == '.';
}

// Files every desktop leaves behind; not worth a report line.
bool isSystemClutter(const fs::path& p) {
    const std::string name = p.filename().string();
    return name == "Thumbs.db" || name == "desktop.ini";
}

std::vector<std::string> sortedSubfolders(const fs::path& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (isHidden(it->path())) continue;
        std::error_code ec2;
        if (it->is_directory(ec2)) names.push_back(it->path().filename().string());
    }
    if (ec) throw DataError("Cannot list the folder '" + dir.string() + "': " + ec.message() + ". Check its permissions.");
    // Byte order of UTF-8 equals code-point order: the same as Python's sorted(),
    // so label indices agree with torchvision's ImageFolder.
    std::sort(names.begin(), names.end());
    return names;
}

// The files of one class folder, recursively (as ImageFolder's os.walk),
// ordered by (folder, file name).
void listClassFolder(const fs::path& dir, int64_t label, std::vector<ImageItem>& items,
                     std::vector<std::string>& ignored) {
    std::vector<std::pair<std::string, std::string>> found;  // (parent, name)
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec), end;
    if (ec) throw DataError("Cannot list the class folder '" + dir.string() + "': " + ec.message() + ".");
    for (; it != end; it.increment(ec)) {
        if (ec) throw DataError("Cannot list the class folder '" + dir.string() + "': " + ec.message() + ".");
        const fs::path& p = it->path();
        if (isHidden(p)) {
            std::error_code ec2;
            if (it->is_directory(ec2)) it.disable_recursion_pending();
            continue;
        }
        std::error_code ec2;
        if (it->is_directory(ec2)) continue;
        if (isSystemClutter(p)) continue;
        found.emplace_back(p.parent_path().generic_string(), p.filename().string());
    }
    std::sort(found.begin(), found.end());
    for (const auto& [parent, name] : found) {
        const std::string path = parent + "/" + name;
        if (isListedExtension(path)) items.push_back({path, label});
        else ignored.push_back(path);
    }
}

struct SplitFolders {
    fs::path train, val, test;
};

// Finds ROOT/train and ROOT/val (or valid/validation), ROOT/test.
SplitFolders findSplitFolders(const fs::path& root) {
    SplitFolders s;
    auto pick = [&](std::initializer_list<const char*> names) {
        for (const char* n : names) {
            std::error_code ec;
            if (fs::is_directory(root / n, ec)) return root / n;
        }
        return fs::path();
    };
    s.train = pick({"train", "training"});
    s.val = pick({"val", "valid", "validation"});
    s.test = pick({"test", "testing"});
    return s;
}

std::string joinNames(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "'" : ", '") + n + "'";
    return out;
}

void stratifiedSplit(DatasetIndex& index, std::vector<ImageItem> pool) {
    const double f = index.split.valFraction;
    if (!(f >= 0.0 && f < 1.0))
        throw ConfigError("The validation fraction must be in [0, 1), got " + std::to_string(f) +
                          ". Use e.g. 0.2 for 80/20.");
    std::vector<std::vector<ImageItem>> perClass(index.classes.size());
    for (auto& item : pool) perClass[static_cast<size_t>(item.label)].push_back(std::move(item));
    std::mt19937_64 rng(index.split.seed);
    for (auto& items : perClass) {
        shuffleInPlace(items, rng);
        const auto n = static_cast<int64_t>(items.size());
        auto nVal = static_cast<int64_t>(std::llround(static_cast<double>(n) * f));
        if (f > 0.0 && n >= 2) nVal = std::clamp<int64_t>(nVal, 1, n - 1);  // both sides get the class
        nVal = std::min(nVal, n);
        for (int64_t i = 0; i < n; ++i) (i < nVal ? index.val : index.train).push_back(items[static_cast<size_t>(i)]);
    }
    // Listing order (label, path) rather than shuffled order: easier to read, same content.
    auto byLabelPath = [](const ImageItem& a, const ImageItem& b) {
        return a.label != b.label ? a.label < b.label : a.path < b.path;
    };
    std::sort(index.train.begin(), index.train.end(), byLabelPath);
    std::sort(index.val.begin(), index.val.end(), byLabelPath);
}

std::string relativeTo(const std::string& path, const std::string& root) {
    const std::string prefix = root + "/";
    if (path.rfind(prefix, 0) == 0) return path.substr(prefix.size());
    return path;
}

nlohmann::json itemsToJson(const std::vector<ImageItem>& items, const std::string& root) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : items) out.push_back({relativeTo(item.path, root), item.label});
    return out;
}

// One split of a manifest: a list of [path relative to the root, label].
// `fail` throws (naming the manifest).
std::vector<ImageItem> itemsFromJson(const nlohmann::json& j, const std::string& root, size_t numClasses,
                                     const char* split, const std::function<void(const std::string&)>& fail) {
    constexpr size_t kMaxPathBytes = 4096;
    std::vector<ImageItem> items;
    if (j.is_null()) return items;
    if (!j.is_array()) fail(std::string("\"") + split + "\" must be a list of [path, label]");
    items.reserve(j.size());
    for (const auto& e : j) {
        if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number_integer())
            fail(std::string("an entry of \"") + split + "\" is not [path, label]: " + printable(e.dump(), 60));
        const auto& rel = e[0].get_ref<const std::string&>();
        if (rel.empty() || rel.size() > kMaxPathBytes)
            fail(std::string("an entry of \"") + split + "\" has a path of " + std::to_string(rel.size()) +
                 " bytes (1 to " + std::to_string(kMaxPathBytes) + " allowed)");
        // Unsigned labels above 2^63 would turn negative in get<int64_t>.
        const bool tooLarge = e[1].is_number_unsigned() && e[1].get<uint64_t>() >= numClasses;
        const int64_t label = tooLarge ? -1 : e[1].get<int64_t>();
        if (label < 0 || static_cast<size_t>(label) >= numClasses)
            fail("\"" + printable(rel, 60) + "\" in \"" + split + "\" has label " + printable(e[1].dump(), 24) +
                 " but there are " + std::to_string(numClasses) + " classes");
        const bool absolute = rel[0] == '/';
        items.push_back({absolute || root.empty() ? rel : root + "/" + rel, label});
    }
    return items;
}

// The manifest without its root: the identity of the data, wherever it lives.
nlohmann::json canonicalManifest(const DatasetIndex& index) {
    nlohmann::json j = toManifest(index);
    j.erase("root");
    return j;
}

} // namespace

bool hasImageExtension(const std::string& path) {
    static const std::set<std::string> kLoadable{".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif",
                                                 ".tiff", ".ppm", ".pgm", ".pbm"};
    return kLoadable.count(lowerExtension(path)) > 0;
}

bool isListedExtension(const std::string& path) {
    return hasImageExtension(path) || lowerExtension(path) == ".gif";
}

std::vector<int64_t> DatasetIndex::classCounts(const std::vector<ImageItem>& items) const {
    std::vector<int64_t> counts(classes.size(), 0);
    for (const auto& item : items)
        if (item.label >= 0 && static_cast<size_t>(item.label) < counts.size()) ++counts[static_cast<size_t>(item.label)];
    return counts;
}

std::vector<ImageItem> DatasetIndex::all() const {
    std::vector<ImageItem> out;
    out.reserve(train.size() + val.size() + test.size());
    out.insert(out.end(), train.begin(), train.end());
    out.insert(out.end(), val.begin(), val.end());
    out.insert(out.end(), test.begin(), test.end());
    return out;
}

DatasetIndex indexDataset(const std::string& rootArg, const SplitOptions& split) {
    std::error_code ec;
    if (rootArg.empty()) throw DataError("No dataset folder given. Pass the folder that holds one sub-folder per class.");
    if (!fs::exists(rootArg, ec)) throw DataError("The dataset folder '" + rootArg + "' does not exist. Check the path.");
    if (!fs::is_directory(rootArg, ec))
        throw DataError("'" + rootArg + "' is a file, not a dataset folder. Pass the folder that holds one sub-folder per class.");

    DatasetIndex index;
    std::string root = fs::path(rootArg).lexically_normal().generic_string();
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    index.root = root;
    index.split = split;

    const SplitFolders folders = findSplitFolders(root);
    const bool useFolders = !folders.train.empty() && !folders.val.empty();
    const auto classFoldersOf = [](const fs::path& dir) { return sortedSubfolders(dir); };

    if (useFolders) {
        index.splitSource = "folders";
        std::set<std::string> names;
        for (const fs::path& dir : {folders.train, folders.val, folders.test})
            if (!dir.empty())
                for (auto& n : classFoldersOf(dir)) names.insert(n);
        index.classes.assign(names.begin(), names.end());
    } else {
        index.splitSource = "split";
        index.classes = classFoldersOf(folders.train.empty() ? fs::path(root) : folders.train);
    }
    if (index.classes.empty())
        throw DataError("The dataset folder '" + root +
                        "' holds no class folders. Put the images of each class in their own sub-folder "
                        "(e.g. " + root + "/cats/*.jpg, " + root + "/dogs/*.jpg).");
    if (index.classes.size() == 1)
        throw DataError("The dataset folder '" + root + "' holds only one class ('" + index.classes.front() +
                        "'). A classifier needs at least two class folders.");

    auto listSplit = [&](const fs::path& dir, std::vector<ImageItem>& out) {
        for (size_t c = 0; c < index.classes.size(); ++c) {
            const fs::path classDir = dir / index.classes[c];
            if (fs::is_directory(classDir, ec))
                listClassFolder(classDir, static_cast<int64_t>(c), out, index.ignoredFiles);
        }
    };
    if (useFolders) {
        listSplit(folders.train, index.train);
        listSplit(folders.val, index.val);
        if (!folders.test.empty()) listSplit(folders.test, index.test);
    } else {
        std::vector<ImageItem> pool;
        listSplit(folders.train.empty() ? fs::path(root) : folders.train, pool);
        if (!folders.test.empty()) listSplit(folders.test, index.test);
        stratifiedSplit(index, std::move(pool));
    }
    if (index.train.empty() && index.val.empty())
        throw DataError("The class folders of '" + root + "' (" + joinNames(index.classes) +
                        ") hold no image files (.jpg, .jpeg, .png, .bmp, .webp, .tif, .ppm). Add images to them.");
    return index;
}

nlohmann::json toManifest(const DatasetIndex& index) {
    nlohmann::json j;
    j["format"] = "transfer-studio-manifest";
    j["version"] = 1;
    j["root"] = index.root;
    j["classes"] = index.classes;
    j["split_source"] = index.splitSource;
    j["split"] = {{"val_fraction", index.split.valFraction}, {"seed", index.split.seed}};
    j["train"] = itemsToJson(index.train, index.root);
    j["val"] = itemsToJson(index.val, index.root);
    j["test"] = itemsToJson(index.test, index.root);
    return j;
}

DatasetIndex fromManifest(const nlohmann::json& j, const std::string& sourceName) {
    constexpr size_t kMaxClasses = 100000, kMaxClassNameBytes = 1024, kMaxRootBytes = 4096;
    const std::string where = sourceName.empty() ? "The dataset manifest" : "The dataset manifest '" + sourceName + "'";
    const std::function<void(const std::string&)> fail = [&](const std::string& what) {
        throw DataError(where + " is damaged: " + what + ". Use the manifest.json a run folder holds, or start a new run.");
    };
    if (!j.is_object() || !j.contains("format") || j["format"] != "transfer-studio-manifest")
        throw DataError(where + " is not a Transfer Studio dataset manifest (missing \"format\": "
                                "\"transfer-studio-manifest\"). Use the manifest.json written in a run folder.");
    const auto version = j.find("version");
    if (version == j.end() || !version->is_number_integer() || version->get<int64_t>() != 1)
        throw DataError(where + " has version " + (version == j.end() ? std::string("(none)") : printable(version->dump(), 24)) +
                        ", which this build does not read (it reads version 1). Update Transfer Studio.");
    auto text = [&](const nlohmann::json& v, const std::string& name, size_t maxBytes) -> std::string {
        if (!v.is_string()) fail("\"" + name + "\" must be a text, not " + printable(v.dump(), 40));
        const auto& s = v.get_ref<const std::string&>();
        if (s.size() > maxBytes)
            fail("\"" + name + "\" is " + std::to_string(s.size()) + " bytes long (at most " + std::to_string(maxBytes) + ")");
        return s;
    };
    DatasetIndex index;
    if (j.contains("root")) index.root = text(j["root"], "root", kMaxRootBytes);
    if (!j.contains("classes") || !j["classes"].is_array() || j["classes"].size() < 2 ||
        j["classes"].size() > kMaxClasses)
        fail("\"classes\" must be a list of 2 to " + std::to_string(kMaxClasses) + " class names");
    std::set<std::string> seen;
    for (const auto& c : j["classes"]) {
        std::string name = text(c, "classes", kMaxClassNameBytes);
        if (name.empty()) fail("\"classes\" holds an empty class name");
        if (!seen.insert(name).second) fail("the class \"" + printable(name, 40) + "\" is listed twice");
        index.classes.push_back(std::move(name));
    }
    index.splitSource = "split";
    if (j.contains("split_source")) {
        index.splitSource = text(j["split_source"], "split_source", 16);
        if (index.splitSource != "split" && index.splitSource != "folders")
            fail("\"split_source\" must be \"split\" or \"folders\" (got \"" + printable(index.splitSource, 16) + "\")");
    }
    if (j.contains("split") && !j["split"].is_null()) {
        const auto& split = j["split"];
        if (!split.is_object()) fail("\"split\" must be an object, not " + printable(split.dump(), 40));
        if (split.contains("val_fraction")) {
            const auto& f = split["val_fraction"];
            if (!f.is_number() || !(f.get<double>() >= 0.0 && f.get<double>() < 1.0))
                fail("\"split.val_fraction\" must be a number in [0, 1) (got " + printable(f.dump(), 40) + ")");
            index.split.valFraction = f.get<double>();
        }
        if (split.contains("seed")) {
            const auto& seed = split["seed"];
            // Parsed non-negative integers are unsigned; built ones may be signed.
            if (!seed.is_number_unsigned() && !(seed.is_number_integer() && seed.get<int64_t>() >= 0))
                fail("\"split.seed\" must be a whole number from 0 to 18446744073709551615 (got " +
                     printable(seed.dump(), 40) + ")");
            index.split.seed = seed.is_number_unsigned() ? seed.get<uint64_t>() : static_cast<uint64_t>(seed.get<int64_t>());
        }
    }
    static const nlohmann::json kNone;
    auto list = [&](const char* split) -> const nlohmann::json& { return j.contains(split) ? j[split] : kNone; };
    index.train = itemsFromJson(list("train"), index.root, index.classes.size(), "train", fail);
    index.val = itemsFromJson(list("val"), index.root, index.classes.size(), "val", fail);
    index.test = itemsFromJson(list("test"), index.root, index.classes.size(), "test", fail);
    return index;
}

std::string manifestHash(const DatasetIndex& index) {
    return sha256Hex(canonicalManifest(index).dump());
}

} // namespace ts::data
