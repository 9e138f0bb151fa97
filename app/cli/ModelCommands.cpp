// tstudio models | weights | predict
#include "app/cli/Cli.h"

#include "core/common/Paths.h"
#include "core/zoo/Registry.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>

namespace ts::cli {
namespace {

bool weightsCached(const zoo::ModelInfo& info) {
    if (info.weightsUrl.empty()) return false;
    return std::filesystem::exists(paths::weightsCacheDir() + "/" + zoo::weightsFileName(info));
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
                           {"top1", i.top1},
                           {"top5", i.top5},
                           {"weights_url", i.weightsUrl},
                           {"weights_cached", weightsCached(i)}});
        }
        std::cout << out.dump(1) << '\n';
        return;
    }
    std::printf("%-20s %-12s %10s %7s %7s  %s\n", "name", "family", "params(M)", "GFLOPs", "top-1", "weights");
    for (const auto& e : zoo::registry()) {
        const auto& i = e.info;
        std::printf("%-20s %-12s %10.2f %7.2f %7.2f  %s\n", i.name.c_str(), i.family.substr(0, 12).c_str(),
                    i.numParams / 1e6, i.gflops, i.top1,
                    i.weightsUrl.empty() ? "none" : (weightsCached(i) ? "cached" : "not downloaded"));
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
