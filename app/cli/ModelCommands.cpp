// tstudio models | weights | predict
#include "app/cli/Cli.h"

#include "core/common/Paths.h"
#include "core/zoo/Provenance.h"
#include "core/zoo/Registry.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace ts::cli {
namespace {

bool weightsCached(const zoo::ModelInfo& info) {
    if (info.weightsUrl.empty()) return false;
    return std::filesystem::exists(paths::weightsCacheDir() + "/" + zoo::weightsFileName(info));
}

// "cached" / "not downloaded" for weights the cache takes; third-party
// weights it cannot take (zfnet's come zipped) are passed with --weights.
std::string weightsState(const zoo::ModelInfo& info) {
    if (!info.weightsUrl.empty()) return weightsCached(info) ? "cached" : "not downloaded";
    return zoo::provenance(info.name).thirdParty ? "--weights FILE (see --json licence)" : "none";
}

void listModels(bool json) {
    if (json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& e : zoo::registry()) {
            const auto& i = e.info;
            out.push_back({{"name", i.name},
                           {"family", i.family},
                           {"params", i.numParams},
                           {"gflops", i.gflops},
                           {"input_size", i.inputSize},
                           {"resize_size", i.resizeSize},
                           {"top1", i.top1 > 0 ? nlohmann::json(i.top1) : nlohmann::json()},  // null: unknown
                           {"top5", i.top5 > 0 ? nlohmann::json(i.top5) : nlohmann::json()},
                           {"weights_url", i.weightsUrl},
                           {"source", zoo::provenance(i.name).source},
                           {"third_party", zoo::provenance(i.name).thirdParty},
                           {"license", i.license},
                           {"weights_cached", weightsCached(i)}});
        }
        std::cout << out.dump(1) << '\n';
        return;
    }
    // Columns as wide as their longest entry; "—" where the official
    // weights' ImageNet accuracy is unknown (models without such weights).
    // The source says whose layout and weights a model follows; third-party
    // ones (not torchvision's) are marked, their licence is in --json.
    auto source = [](const std::string& arch) {
        const auto p = zoo::provenance(arch);
        return p.thirdParty ? p.source + " (third-party)" : p.source;
    };
    size_t nameWidth = 4, familyWidth = 6, sourceWidth = 6;
    for (const auto& e : zoo::registry()) {
        nameWidth = std::max(nameWidth, e.info.name.size());
        familyWidth = std::max(familyWidth, e.info.family.size());
        sourceWidth = std::max(sourceWidth, source(e.info.name).size());
    }
    const int nw = static_cast<int>(nameWidth), fw = static_cast<int>(familyWidth), sw = static_cast<int>(sourceWidth);
    auto accuracy = [](double v) {
        char buf[16];
        if (!(v > 0.0)) return std::string(6, ' ') + "\u2014";  // right-aligned in the 7-wide column
        std::snprintf(buf, sizeof buf, "%7.2f", v);
        return std::string(buf);
    };
    std::printf("%-*s %-*s %-*s %10s %7s %7s  %s\n", nw, "name", fw, "family", sw, "source", "params(M)", "GFLOPs",
                "top-1", "weights");
    for (const auto& e : zoo::registry()) {
        const auto& i = e.info;
        std::printf("%-*s %-*s %-*s %10.2f %7.2f %s  %s\n", nw, i.name.c_str(), fw, i.family.c_str(), sw,
                    source(i.name).c_str(), i.numParams / 1e6,
                    i.gflops, accuracy(i.top1).c_str(),
                    weightsState(i).c_str());
    }
    std::printf("\nWeights cache: %s\n", paths::weightsCacheDir().c_str());
}

} // namespace

void addModelCommands(CLI::App& app) {
    auto* models = app.add_subcommand("models", "List the backbones: parameters, GFLOPs, ImageNet top-1, weights cached");
    auto json = std::make_shared<bool>(false);
    models->add_flag("--json", *json, "Print JSON");
    models->callback([json] { listModels(*json); });
    addPredictCommand(app);
    addWeightsCommands(app);
}

} // namespace ts::cli
