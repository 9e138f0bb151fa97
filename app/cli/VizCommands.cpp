// `tstudio viz layers|filters|features|gradcam|saliency|maximize`: the views
// of core/viz written as image files (the --out extension picks the format).
#include "app/cli/Cli.h"
#include "app/cli/Interrupt.h"
#include "app/cli/ModelSource.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/data/ImageIO.h"
#include "core/viz/Viz.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <filesystem>
#include <cstdio>
#include <map>
#include <memory>

namespace ts::cli {
namespace {

struct VizArgs {
    std::string arch, weights, model, layer, image, out, classSpec;
    // filters
    std::string view = "auto";
    bool global = false, sortByNorm = false;
    int maxFilters = 64, maxChannels = 16;
    // features
    int topk = 8;
    bool onlyTopK = false;
    // gradcam / saliency
    std::string method;
    int samples = 25;
    // maximize
    int64_t channel = 0;
    int octaves = 3, steps = 40, sizePx = 0;
    uint64_t seed = 0;
};

void addModelOptions(CLI::App* cmd, VizArgs& a) {
    cmd->add_option("--arch", a.arch, "Architecture with ImageNet weights, see `tstudio models`");
    cmd->add_option("--weights", a.weights, "Weights file (.pth or .safetensors); default: the cached official weights");
    cmd->add_option("--model", a.model, "A run directory or bundle (your own classes)");
}

void addLayerOption(CLI::App* cmd, VizArgs& a, const std::string& what) {
    cmd->add_option("--layer", a.layer, what + " (see `tstudio viz layers`)");
}

void addImageOptions(CLI::App* cmd, VizArgs& a) {
    cmd->add_option("--image", a.image, "Image file")->required();
}

void addClassOption(CLI::App* cmd, VizArgs& a, const std::string& what) {
    cmd->add_option("--class", a.classSpec, what + ": an index or a class name (default: the predicted class)");
}

void addOutOption(CLI::App* cmd, VizArgs& a, const std::string& def) {
    cmd->add_option("--out", a.out, "Image file to write; the extension picks the format (.png, .jpg, .bmp, .tif, .webp)")
        ->default_val(def);
}

ModelSource load(const std::string& command, const VizArgs& a) {
    return loadModelSource("viz " + command, a.arch, a.weights, a.model);
}

// An index, or a class name (exact, then case-insensitive substring if unique).
int64_t parseClass(const std::string& spec, const std::vector<std::string>& labels) {
    if (spec.empty()) return -1;
    if (std::all_of(spec.begin(), spec.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::stoll(spec);
    for (size_t i = 0; i < labels.size(); ++i)
        if (labels[i] == spec) return static_cast<int64_t>(i);
    auto lower = [](std::string s) {
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return s;
    };
    std::vector<int64_t> hits;
    for (size_t i = 0; i < labels.size(); ++i)
        if (lower(labels[i]).find(lower(spec)) != std::string::npos) hits.push_back(static_cast<int64_t>(i));
    if (hits.size() == 1) return hits.front();
    std::string names;
    for (size_t i = 0; i < hits.size() && i < 8; ++i) names += (i ? ", " : "") + labels[hits[i]];
    throw ConfigError("--class '" + spec + "' " +
                      (hits.empty() ? std::string("matches no class name") : "matches several classes (" + names + ")") +
                      "; give a class index or an exact name.");
}

std::string label(const std::vector<std::string>& labels, int64_t i) {
    return i >= 0 && i < static_cast<int64_t>(labels.size()) ? labels[i] : "class " + std::to_string(i);
}

// `name.png` -> `name_suffix.png`
std::string withSuffix(const std::string& path, const std::string& suffix) {
    const auto slash = path.find_last_of('/');
    const auto dot = path.find_last_of('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path + suffix;
    return path.substr(0, dot) + suffix + path.substr(dot);
}

std::string lowerExtension(const std::string& path) {
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

// The formats --out may name, by extension (OpenCV encodes each of them).
const std::vector<std::string>& outExtensions() {
    static const std::vector<std::string> kExtensions{".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"};
    return kExtensions;
}

// Fails before any work when `path` cannot be the image we write: an
// extension we do not encode, a folder, or a folder that does not exist
// (as `tstudio export`: nothing is created behind the user's back).
void checkOut(const std::string& path) {
    namespace fs = std::filesystem;
    if (path.empty()) throw ConfigError("--out is empty: give the image file to write (e.g. --out view.png).");
    std::error_code ec;
    if (fs::is_directory(path, ec))
        throw IoError("--out '" + path + "' is a folder. Give a file name inside it instead (e.g. " + path + "/view.png).");
    const std::string ext = lowerExtension(path);
    const auto& known = outExtensions();
    if (std::find(known.begin(), known.end(), ext) == known.end()) {
        std::string list;
        for (const auto& e : known) list += (list.empty() ? "" : ", ") + e;
        throw ConfigError("--out '" + path + "': " +
                          (ext.empty() ? std::string("the file name has no extension") : "'" + ext + "' is not an image format viz writes") +
                          ". Use one of " + list + ".");
    }
    const fs::path p(path);
    const fs::path parent = p.has_parent_path() ? p.parent_path() : fs::path(".");
    if (!fs::is_directory(parent, ec))
        throw IoError("Cannot write '" + path + "': the folder '" + parent.string() +
                      "' does not exist. Create it first or choose another location.");
}

// Encodes by the extension of `path` (checked by checkOut) and writes atomically.
void write(const cv::Mat& rgb, const std::string& path) {
    cv::Mat bgr;
    if (rgb.channels() == 3) cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    else if (rgb.channels() == 4) cv::cvtColor(rgb, bgr, cv::COLOR_RGBA2BGRA);
    else bgr = rgb;
    const std::string ext = lowerExtension(path);
    std::vector<int> params;
    if (ext == ".jpg" || ext == ".jpeg") params = {cv::IMWRITE_JPEG_QUALITY, 95};
    if (ext == ".webp") params = {cv::IMWRITE_WEBP_QUALITY, 95};
    std::vector<uchar> encoded;
    bool ok = false;
    try {
        ok = cv::imencode(ext, bgr, encoded, params);
    } catch (const cv::Exception& e) {
        throw IoError("Cannot encode '" + path + "' as " + ext + ": " + e.msg + ". Try --out with .png.");
    }
    if (!ok) throw IoError("Cannot encode '" + path + "' as " + ext + ". Try --out with .png.");
    writeFileAtomic(path, std::string(encoded.begin(), encoded.end()));
    std::printf("wrote %s (%dx%d)\n", path.c_str(), rgb.cols, rgb.rows);
}

// Progress on stderr, one line rewritten in place.
void attachProgress(Feedback& fb) {
    fb.setProgressCallback(
        [](double f, const std::string& what) {
            std::fprintf(stderr, "\r%5.1f%%  %-40s", f * 100.0, what.c_str());
            if (f >= 1.0) std::fprintf(stderr, "\n");
        },
        200);
}

std::string shapeText(const std::vector<int64_t>& s) {
    std::string t;
    for (size_t i = 1; i < s.size(); ++i) t += (i > 1 ? "x" : "") + std::to_string(s[i]);
    return t;
}

void runLayers(const VizArgs& a) {
    const ModelSource src = load("layers", a);
    const auto layers = viz::listLayers(*src.model, src.transform.cropSize);
    std::printf("%-28s %-15s %-14s %s\n", "layer", "type", "output CxHxW", "kernel");
    for (const auto& l : layers) {
        std::string kernel;
        if (l.kernelH > 0) {
            kernel = std::to_string(l.inChannels) + "->" + std::to_string(l.outChannels) + " " + std::to_string(l.kernelH) +
                     "x" + std::to_string(l.kernelW);
            if (l.groups > 1) kernel += " groups " + std::to_string(l.groups);
        }
        if (l.name != l.modulePath) kernel += (kernel.empty() ? "" : "  ") + std::string("= ") + l.modulePath;
        if (l.isGradCamDefault) kernel += "  (default Grad-CAM layer)";
        std::printf("%-28s %-15s %-14s %s\n", l.name.c_str(), l.type.c_str(), shapeText(l.outputShape).c_str(),
                    kernel.c_str());
    }
}

void runFilters(const VizArgs& a) {
    checkOut(a.out);
    const ModelSource src = load("filters", a);
    static const std::map<std::string, viz::FilterView> views{{"auto", viz::FilterView::Auto},
                                                              {"rgb", viz::FilterView::Rgb},
                                                              {"channels", viz::FilterView::Channels},
                                                              {"mean", viz::FilterView::Mean},
                                                              {"norm", viz::FilterView::Norm}};
    viz::FilterOptions o;
    o.layer = a.layer;
    o.view = views.at(a.view);
    o.normalization = a.global ? viz::Normalization::Global : viz::Normalization::PerFilter;
    o.sortByNorm = a.sortByNorm;
    o.maxFilters = a.maxFilters;
    o.maxChannels = a.maxChannels;
    const viz::FilterGrid g = viz::filterGrid(*src.model, o);
    std::printf("%s: %lld filters of %lldx%lldx%lld, %zu shown\n", g.layer.c_str(),
                static_cast<long long>(g.weights.size(0)), static_cast<long long>(g.weights.size(1)),
                static_cast<long long>(g.weights.size(2)), static_cast<long long>(g.weights.size(3)),
                g.filterIndices.size());
    write(g.image, a.out);
}

void runFeatures(const VizArgs& a) {
    checkOut(a.out);
    const ModelSource src = load("features", a);
    const viz::PreparedImage img = viz::prepareImageFile(a.image, src.transform);
    viz::FeatureOptions o;
    o.layer = a.layer;
    o.topK = a.topk;
    o.onlyTopK = a.onlyTopK;
    o.maxChannels = a.maxChannels;
    const viz::FeatureMaps fm = viz::featureMaps(*src.model, img, o);
    std::printf("%s: %lldx%lldx%lld\n", fm.layer.c_str(), static_cast<long long>(fm.activations.size(0)),
                static_cast<long long>(fm.activations.size(1)), static_cast<long long>(fm.activations.size(2)));
    std::printf("top %zu channels by mean activation:\n  %7s %10s %10s %8s\n", fm.topChannels.size(), "channel", "mean",
                "max", "zeros");
    for (int64_t c : fm.topChannels) {
        const auto& s = fm.stats[c];
        std::printf("  %7lld %10.4f %10.4f %7.1f%%\n", static_cast<long long>(c), s.mean, s.max, s.zeroFraction * 100.0);
    }
    write(fm.image, a.out);
}

void runGradCam(const VizArgs& a) {
    checkOut(a.out);
    const ModelSource src = load("gradcam", a);
    const viz::PreparedImage img = viz::prepareImageFile(a.image, src.transform);
    viz::GradCamOptions o;
    o.layer = a.layer;
    o.classIndex = parseClass(a.classSpec, src.labels);
    if (a.method == "gradcam++" || a.method == "plusplus")
        o.method = viz::CamMethod::GradCamPlusPlus;
    else if (!a.method.empty() && a.method != "gradcam")
        throw ConfigError("--method must be gradcam or gradcam++, got '" + a.method + "'.");
    const viz::Heatmap h = viz::gradCam(*src.model, img, o);
    std::printf("%s at %s: class %lld %s (p=%.3f); predicted %lld %s\n",
                o.method == viz::CamMethod::GradCam ? "Grad-CAM" : "Grad-CAM++", h.layer.c_str(),
                static_cast<long long>(h.classIndex), label(src.labels, h.classIndex).c_str(), h.probability,
                static_cast<long long>(h.predictedIndex), label(src.labels, h.predictedIndex).c_str());
    write(h.overlay, a.out);
    write(h.heatmap, withSuffix(a.out, "_heatmap"));
}

void runSaliency(const VizArgs& a) {
    checkOut(a.out);
    const ModelSource src = load("saliency", a);
    const viz::PreparedImage img = viz::prepareImageFile(a.image, src.transform);
    viz::SaliencyOptions o;
    o.classIndex = parseClass(a.classSpec, src.labels);
    if (a.method == "smoothgrad")
        o.method = viz::SaliencyMethod::SmoothGrad;
    else if (!a.method.empty() && a.method != "vanilla")
        throw ConfigError("--method must be vanilla or smoothgrad, got '" + a.method + "'.");
    o.samples = a.samples;
    o.seed = a.seed;
    Feedback fb;
    InterruptScope interrupts(fb);
    attachProgress(fb);
    const viz::Heatmap h = viz::saliency(*src.model, img, o, &fb);
    std::printf("%s saliency: class %lld %s (p=%.3f)\n", o.method == viz::SaliencyMethod::Vanilla ? "vanilla" : "SmoothGrad",
                static_cast<long long>(h.classIndex), label(src.labels, h.classIndex).c_str(), h.probability);
    write(h.overlay, a.out);
    write(h.heatmap, withSuffix(a.out, "_heatmap"));
}

void runMaximize(const VizArgs& a) {
    checkOut(a.out);
    const ModelSource src = load("maximize", a);
    viz::MaximizeOptions o;
    o.layer = a.layer;
    o.channel = a.channel;
    if (!a.classSpec.empty()) {
        o.target = viz::MaximizeTarget::Class;
        o.classIndex = parseClass(a.classSpec, src.labels);
    }
    o.octaves = a.octaves;
    o.stepsPerOctave = a.steps;
    o.sizePx = a.sizePx;
    o.seed = a.seed;
    Feedback fb;
    InterruptScope interrupts(fb);
    attachProgress(fb);
    const viz::MaximizeResult r = viz::maximizeActivation(*src.model, src.transform, o, &fb);
    const std::string what = o.target == viz::MaximizeTarget::Class
                                 ? "class " + std::to_string(o.classIndex) + " " + label(src.labels, o.classIndex)
                                 : r.layer + " channel " + std::to_string(o.channel);
    std::printf("%s: objective %.4f -> %.4f\n", what.c_str(), r.initialObjective, r.finalObjective);
    write(r.image, a.out);
}

} // namespace

void addVizCommands(CLI::App& app) {
    // One argument set per subcommand: CLI11 writes defaults into the bound
    // variables when options are declared.
    std::shared_ptr<VizArgs> args;
    auto* viz = app.add_subcommand("viz", "See inside a network: filters, feature maps, Grad-CAM, saliency, "
                                          "activation maximisation");
    viz->require_subcommand(1);

    args = std::make_shared<VizArgs>();
    auto* layers = viz->add_subcommand("layers", "List the layers the views can look at, with output shapes");
    addModelOptions(layers, *args);
    layers->callback([args] { runLayers(*args); });

    args = std::make_shared<VizArgs>();
    auto* filters = viz->add_subcommand("filters", "Draw the filters of a convolution");
    addModelOptions(filters, *args);
    addLayerOption(filters, *args, "Conv2d module path (default: the first convolution)");
    filters->add_option("--view", args->view, "auto, rgb, channels, mean or norm")
        ->default_val("auto")
        ->check(CLI::IsMember({"auto", "rgb", "channels", "mean", "norm"}));
    filters->add_flag("--global", args->global, "One min/max for all filters (default: per filter)");
    filters->add_flag("--sort", args->sortByNorm, "Strongest filters (L2 norm) first");
    filters->add_option("--max-filters", args->maxFilters, "Most filters shown (0 = all)")->default_val(64);
    filters->add_option("--max-channels", args->maxChannels, "Channels view: input channels per filter")->default_val(16);
    addOutOption(filters, *args, "filters.png");
    filters->callback([args] { runFilters(*args); });

    args = std::make_shared<VizArgs>();
    auto* features = viz->add_subcommand("features", "Draw the activations of a layer for an image");
    addModelOptions(features, *args);
    addLayerOption(features, *args, "Stage or conv (default: the Grad-CAM layer)");
    addImageOptions(features, *args);
    features->add_option("--topk", args->topk, "Most active channels to list")->default_val(8);
    features->add_flag("--only-topk", args->onlyTopK, "Draw only the most active channels");
    features->add_option("--max-channels", args->maxChannels, "Most channels drawn (0 = all)")->default_val(64);
    addOutOption(features, *args, "features.png");
    features->callback([args] { runFeatures(*args); });

    args = std::make_shared<VizArgs>();
    auto* gradcam = viz->add_subcommand("gradcam", "Grad-CAM heatmap of a class (overlay and _heatmap PNG)");
    addModelOptions(gradcam, *args);
    addLayerOption(gradcam, *args, "Stage or conv (default: the model's Grad-CAM layer)");
    addImageOptions(gradcam, *args);
    addClassOption(gradcam, *args, "Class to explain");
    gradcam->add_option("--method", args->method, "gradcam (default) or gradcam++");
    addOutOption(gradcam, *args, "gradcam.png");
    gradcam->callback([args] { runGradCam(*args); });

    args = std::make_shared<VizArgs>();
    auto* saliency = viz->add_subcommand("saliency", "Input-gradient saliency of a class (overlay and _heatmap PNG)");
    addModelOptions(saliency, *args);
    addImageOptions(saliency, *args);
    addClassOption(saliency, *args, "Class to explain");
    saliency->add_option("--method", args->method, "vanilla (default) or smoothgrad");
    saliency->add_option("--samples", args->samples, "SmoothGrad: noisy samples")->default_val(25);
    saliency->add_option("--seed", args->seed, "SmoothGrad: noise seed")->default_val(0);
    addOutOption(saliency, *args, "saliency.png");
    saliency->callback([args] { runSaliency(*args); });

    args = std::make_shared<VizArgs>();
    auto* maximize = viz->add_subcommand("maximize", "Activation maximisation: what a filter or class looks for");
    addModelOptions(maximize, *args);
    addLayerOption(maximize, *args, "Stage or conv whose channel to maximise (default: the Grad-CAM layer)");
    maximize->add_option("--channel", args->channel, "Channel of --layer")->default_val(0);
    addClassOption(maximize, *args, "Maximise this class logit instead of a channel");
    maximize->add_option("--octaves", args->octaves, "Octaves")->default_val(3);
    maximize->add_option("--steps", args->steps, "Steps per octave")->default_val(40);
    maximize->add_option("--size", args->sizePx, "Image side in pixels (default: the model's input size)");
    maximize->add_option("--seed", args->seed, "Seed of the start image and jitter")->default_val(0);
    addOutOption(maximize, *args, "maximize.png");
    maximize->callback([args] { runMaximize(*args); });
}

} // namespace ts::cli
