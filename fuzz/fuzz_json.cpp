// libFuzzer target: the JSON readers. The bytes go through ts::parseJson
// (depth and size limits), then through every reader of a parsed document
// (training config, a desktop project's "config", a dataset manifest), and,
// as a file, through loadTrainConfig (what `tstudio train --config` reads).
#include "core/common/Json.h"
#include "core/data/Dataset.h"
#include "core/train/TrainConfig.h"
#include "fuzz/FuzzSupport.h"

#include <cstdint>
#include <vector>

namespace {

const char* kSource = "fuzz-input.json";
const char* kFileName = "fuzz-input.tsproj";

int depthOf(const nlohmann::json& root) {
    int deepest = 0;
    std::vector<std::pair<const nlohmann::json*, int>> todo{{&root, 1}};
    while (!todo.empty()) {
        auto [j, depth] = todo.back();
        todo.pop_back();
        if (!j->is_structured()) continue;
        deepest = std::max(deepest, depth);
        for (const auto& child : *j) todo.push_back({&child, depth + 1});
    }
    return deepest;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    nlohmann::json j;
    const bool parsed = ts::fuzz::readsOrRefuses(kSource, [&] { j = ts::parseJson(text, kSource); });
    if (parsed) {
        const int depth = depthOf(j);
        if (depth > ts::JsonLimits{}.maxDepth)
            ts::fuzz::die("parseJson accepted a document " + std::to_string(depth) + " deep");
        (void)j.dump();
        // Readers of a parsed document do not know the file; the caller adds it.
        ts::fuzz::readsOrRefuses("", [&] { ts::train::trainConfigFromJson(j).validate(); });
        if (j.is_object() && j.contains("config"))
            ts::fuzz::readsOrRefuses("", [&] { ts::train::trainConfigFromJson(j.at("config")).validate(); });
        ts::fuzz::readsOrRefuses("", [&] { (void)ts::data::fromManifest(j); });
    }
    const std::string path = ts::fuzz::scratchFile(kFileName, text);
    ts::train::TrainConfig config;
    if (ts::fuzz::readsOrRefuses(kFileName, [&] { config = ts::train::loadTrainConfig(path); }))
        ts::fuzz::readsOrRefuses("", [&] { config.validate(); });  // knows no file: the caller names it
    return 0;
}
