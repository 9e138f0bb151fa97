// The dataset manifest (Dataset.h): the exact split as JSON, saved in a run
// as manifest.json, read back as hostile input, and its content hash.
#include "core/data/Dataset.h"

#include "core/common/Error.h"
#include "core/common/Json.h"
#include "core/common/Sha256.h"
#include "core/data/PathText.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <set>
#include <string>
#include <vector>

namespace ts::data {
namespace {

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

nlohmann::json toManifest(const DatasetIndex& index) {
    nlohmann::json j;
    j["format"] = "transfer-studio-manifest";
    j["version"] = 1;
    j["root"] = index.root;
    j["classes"] = index.classes;
    j["split_source"] = toString(index.splitSource);
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
    index.splitSource = SplitSource::Split;
    if (j.contains("split_source")) {
        const std::string source = text(j["split_source"], "split_source", 16);
        if (source == toString(SplitSource::Folders)) index.splitSource = SplitSource::Folders;
        else if (source != toString(SplitSource::Split))
            fail("\"split_source\" must be \"split\" or \"folders\" (got \"" + printable(source, 16) + "\")");
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
