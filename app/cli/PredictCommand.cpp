// tstudio predict: top-k classes of images (files, or folders of them).
#include "app/cli/Cli.h"
#include "app/cli/ModelSource.h"

#include "core/common/Error.h"
#include "core/data/Dataset.h"
#include "core/data/ImageIO.h"
#include "core/data/Preprocess.h"
#include "core/train/Calibration.h"
#include "core/zoo/Inference.h"

#include <torch/csrc/autograd/grad_mode.h>

#include <ATen/Functions.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace fs = std::filesystem;

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

/// One input to classify, or a reason why it cannot be.
struct Input {
    std::string path;
    std::string error;  ///< non-empty: not classified, and why
};

/// The command line's images in order, each folder replaced by the image
/// files under it (recursively, sorted by path; hidden entries and files
/// without an image extension are left out and counted in `ignored`).
std::vector<Input> expandInputs(const std::vector<std::string>& args, size_t& ignored) {
    std::vector<Input> inputs;
    for (const auto& arg : args) {
        std::error_code ec;
        if (!fs::is_directory(arg, ec)) {
            inputs.push_back({arg, {}});
            continue;
        }
        std::vector<std::string> found;
        fs::recursive_directory_iterator it(arg, fs::directory_options::skip_permission_denied, ec), end;
        for (; !ec && it != end; it.increment(ec)) {
            const std::string name = it->path().filename().string();
            if (!name.empty() && name[0] == '.') {
                if (it->is_directory(ec)) it.disable_recursion_pending();
                continue;
            }
            if (!it->is_regular_file(ec)) continue;
            if (data::isListedExtension(name))
                found.push_back(it->path().string());
            else
                ++ignored;
        }
        if (ec) {
            inputs.push_back({arg, "the folder cannot be read (" + ec.message() + ")"});
            continue;
        }
        std::sort(found.begin(), found.end());
        if (found.empty())
            inputs.push_back({arg, "the folder holds no image files (.jpg, .jpeg, .png, .bmp, .webp, .tif, .ppm)"});
        for (auto& f : found) inputs.push_back({std::move(f), {}});
    }
    return inputs;
}

/// Why `path` is no image we can classify, in words for `predict` (empty
/// when its first bytes look like a supported image).
std::string precheck(const std::string& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return "the file does not exist";
    if (!fs::is_regular_file(path, ec)) return "not a regular file";
    std::ifstream in(path, std::ios::binary);
    if (!in) return "the file cannot be opened";
    std::string head(16, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(in.gcount()));
    if (head.empty()) return "an empty (zero-byte) file";
    const std::string format = data::sniffImageFormat(head);
    if (format == "gif") return "a GIF, which is not supported: convert it to PNG or JPEG";
    if (format.empty()) return "not an image (its content is no JPEG, PNG, BMP, WebP, TIFF or PPM)";
    return {};
}

void runPredict(const PredictArgs& a) {
    size_t ignored = 0;
    std::vector<Input> inputs = expandInputs(a.images, ignored);
    const ModelSource src = loadModelSource("predict", a.arch, a.weights, a.model);
    const zoo::Backbone& model = src.model;
    const data::EvalTransform& transform = src.transform;
    const std::vector<std::string>& labels = src.labels;

    nlohmann::json out = nlohmann::json::array();
    size_t failed = 0;
    for (auto& input : inputs) {
        if (input.error.empty()) input.error = precheck(input.path);
        at::Tensor x;
        if (input.error.empty()) {
            try {
                x = data::evalTensorFromFile(input.path, transform).unsqueeze(0);
            } catch (const Error& e) {
                input.error = e.what();
            }
        }
        if (!input.error.empty()) {
            ++failed;
            if (a.json)
                out.push_back({{"image", input.path}, {"error", input.error}});
            else
                std::fprintf(stderr, "skipped %s: %s\n", input.path.c_str(), input.error.c_str());
            continue;
        }
        // Calibrated probabilities softmax(logits / T) (T = 1 for pretrained
        // backbones and older bundles); "logit" stays the model's own output.
        at::Tensor logits;
        {
            torch::NoGradGuard noGrad;
            model->eval();
            logits = model->forward(x).to(at::kDouble);
        }
        auto prediction = zoo::topkFromLogits(logits / src.temperature, a.topk, labels).front();
        for (auto& s : prediction) s.logit = logits[0][s.index].item<double>();
        const double confidence = train::maxProbability(logits, src.temperature)[0].item<double>();
        const bool unknown = src.unknownThreshold > 0.0 && confidence < src.unknownThreshold;
        if (a.json) {
            nlohmann::json top = nlohmann::json::array();
            for (const auto& s : prediction)
                top.push_back({{"index", s.index}, {"label", s.label}, {"prob", s.prob}, {"logit", s.logit}});
            nlohmann::json entry = {{"image", input.path},
                                    {"prediction", unknown ? std::string("unknown") : prediction.front().label},
                                    {"unknown", unknown},
                                    {"confidence", confidence},
                                    {"top", top}};
            if (src.unknownThreshold > 0.0) entry["unknown_threshold"] = src.unknownThreshold;
            out.push_back(entry);
        } else {
            std::printf("%s\n", input.path.c_str());
            if (unknown)
                std::printf("  unknown: max probability %.2f%% is below the threshold %.2f%%; closest classes:\n",
                            confidence * 100.0, src.unknownThreshold * 100.0);
            for (const auto& s : prediction)
                std::printf("  %6.2f%%  %4lld  %s\n", s.prob * 100.0, static_cast<long long>(s.index), s.label.c_str());
        }
        std::fflush(stdout);
    }
    if (a.json) std::cout << out.dump(1) << '\n';
    std::cout.flush();
    if (ignored > 0 && !a.json)
        std::fprintf(stderr, "%zu file(s) without an image extension in the given folder(s) were not looked at.\n", ignored);
    if (failed > 0) {
        if (!a.json) {
            std::fprintf(stderr, "%zu of %zu input(s) could not be classified:\n", failed, inputs.size());
            for (const auto& input : inputs)
                if (!input.error.empty()) std::fprintf(stderr, "  %s\n", input.path.c_str());
        }
        throw ExitRequest(1);
    }
}

} // namespace

void addPredictCommand(CLI::App& app) {
    auto args = std::make_shared<PredictArgs>();
    auto* cmd = app.add_subcommand("predict", "Classify images with a pretrained backbone or a trained model");
    cmd->add_option("--arch", args->arch, "Architecture (ImageNet classes), see `tstudio models`");
    cmd->add_option("--weights", args->weights, "Weights file (.pth or .safetensors); default: the cached official weights");
    cmd->add_option("--model", args->model, "A run directory or bundle (your own classes)");
    cmd->add_option("--topk", args->topk, "How many classes to show")->default_val(5)->check(CLI::PositiveNumber);
    cmd->add_flag("--json", args->json, "Print JSON (a file that cannot be classified: {\"image\", \"error\"})");
    cmd->add_option("images", args->images,
                    "Image files or folders (every image file under a folder, sorted); files that are not images are "
                    "skipped and listed, and the exit status is then 1")
        ->required();
    cmd->callback([args] { runPredict(*args); });
}

} // namespace ts::cli
