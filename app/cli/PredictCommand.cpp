// tstudio predict: top-k classes of images.
#include "app/cli/Cli.h"
#include "app/cli/ModelSource.h"

#include "core/common/Error.h"
#include "core/data/Preprocess.h"
#include "core/zoo/Inference.h"

#include <ATen/Functions.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace ts::cli {
namespace {

struct PredictArgs {
    std::string arch;
    std::string weights;
    std::string model;
    int topk = 5;
    bool json = false;
    std::vector<std::string> images;
};

void runPredict(const PredictArgs& a) {
    const ModelSource src = loadModelSource("predict", a.arch, a.weights, a.model);
    const zoo::Backbone& model = src.model;
    const data::EvalTransform& transform = src.transform;
    const std::vector<std::string>& labels = src.labels;

    nlohmann::json out = nlohmann::json::array();
    for (const auto& image : a.images) {
        const at::Tensor x = data::evalTensorFromFile(image, transform).unsqueeze(0);
        const auto prediction = zoo::classify(*model, x, a.topk, labels).front();
        if (a.json) {
            nlohmann::json top = nlohmann::json::array();
            for (const auto& s : prediction)
                top.push_back({{"index", s.index}, {"label", s.label}, {"prob", s.prob}, {"logit", s.logit}});
            out.push_back({{"image", image}, {"top", top}});
        } else {
            std::printf("%s\n", image.c_str());
            for (const auto& s : prediction)
                std::printf("  %6.2f%%  %4lld  %s\n", s.prob * 100.0, static_cast<long long>(s.index), s.label.c_str());
        }
    }
    if (a.json) std::cout << out.dump(1) << '\n';
}

} // namespace

void addPredictCommand(CLI::App& app) {
    auto args = std::make_shared<PredictArgs>();
    auto* cmd = app.add_subcommand("predict", "Classify images with a pretrained backbone or a trained model");
    cmd->add_option("--arch", args->arch, "Architecture (ImageNet classes), see `tstudio models`");
    cmd->add_option("--weights", args->weights, "Weights file (.pth); default: the cached official weights");
    cmd->add_option("--model", args->model, "A run directory or bundle (your own classes)");
    cmd->add_option("--topk", args->topk, "How many classes to show")->default_val(5)->check(CLI::PositiveNumber);
    cmd->add_flag("--json", args->json, "Print JSON");
    cmd->add_option("images", args->images, "Image files")->required();
    cmd->callback([args] { runPredict(*args); });
}

} // namespace ts::cli
