// Shared pieces of the views: the model state guard, tapped forward passes,
// layer names, input preparation and heatmap finishing.
#include "core/common/Error.h"
#include "core/data/ImageIO.h"
#include "core/data/Resize.h"
#include "core/viz/VizInternal.h"
#include "core/zoo/Tap.h"

#include <ATen/Functions.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

namespace ts::viz {
namespace detail {

ModelStateGuard::ModelStateGuard(torch::nn::Module& model) : m_model(model), m_modelTraining(model.is_training()) {
    // Children only: a model living on the stack has no shared_ptr to itself.
    for (const auto& m : model.modules(/*include_self=*/false)) m_training.emplace_back(m, m->is_training());
    for (auto& p : model.parameters(/*recurse=*/true)) m_requiresGrad.emplace_back(p, p.requires_grad());
    model.eval();
    for (auto& p : m_requiresGrad) p.first.set_requires_grad(false);
}

ModelStateGuard::~ModelStateGuard() {
    m_model.train(m_modelTraining);
    for (auto& [m, training] : m_training) m->train(training);
    for (auto& [p, requires] : m_requiresGrad) p.set_requires_grad(requires);
}

at::TensorOptions modelOptions(const torch::nn::Module& model) {
    const auto params = model.parameters();
    if (params.empty()) return at::TensorOptions().dtype(at::kFloat).device(at::kCPU);
    return at::TensorOptions().dtype(params.front().scalar_type()).device(params.front().device());
}

at::Tensor forwardCapture(zoo::BackboneImpl& model, const at::Tensor& x, const std::string& modulePath, TapMode mode,
                          at::Tensor& captured) {
    captured = at::Tensor();
    at::Tensor logits;
    {
        zoo::TapScope scope(model, [&](const std::string& name, at::Tensor& out) {
            // A module may be tapped twice (a Seq child that also taps itself):
            // keep the first output, and leave our own leaf alone.
            if (name != modulePath || captured.defined()) return;
            if (mode == TapMode::Leaf) out = out.detach().requires_grad_(true);
            captured = out;
        });
        logits = model.forward(x);
    }
    if (!captured.defined())
        throw ModelError("The output of layer '" + modulePath + "' of " + model.arch() +
                         " is not observable during a forward pass; choose a stage or convolution listed by "
                         "`tstudio viz layers`.");
    return logits;
}

std::string layerOrDefault(const zoo::BackboneImpl& model, const std::string& layer, const std::string& fallback) {
    return resolveLayer(model, layer.empty() ? fallback : layer);
}

cv::Mat toMat32(const at::Tensor& t2d) {
    const at::Tensor t = t2d.detach().to(at::kCPU, at::kFloat).contiguous();
    cv::Mat m(static_cast<int>(t.size(0)), static_cast<int>(t.size(1)), CV_32F);
    std::memcpy(m.data, t.data_ptr<float>(), sizeof(float) * static_cast<size_t>(t.numel()));
    return m;
}

cv::Mat inputToRgb(const at::Tensor& input, const data::EvalTransform& tf) {
    at::Tensor x = input.detach().to(at::kCPU, at::kFloat);
    if (x.dim() == 4) x = x[0];
    const at::Tensor mean = at::tensor(std::vector<float>(tf.mean.begin(), tf.mean.end())).view({3, 1, 1});
    const at::Tensor stdev = at::tensor(std::vector<float>(tf.std.begin(), tf.std.end())).view({3, 1, 1});
    const at::Tensor hwc =
        (x * stdev + mean).clamp(0.0, 1.0).mul(255.0).round().to(at::kByte).permute({1, 2, 0}).contiguous();
    cv::Mat out(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_8UC3);
    std::memcpy(out.data, hwc.data_ptr<uint8_t>(), static_cast<size_t>(hwc.numel()));
    return out;
}

void finishHeatmap(Heatmap& h, const at::Tensor& importance2d, const PreparedImage& image, Colormap map,
                   double alpha) {
    const int side = static_cast<int>(image.tensor.size(3));
    const int sideH = static_cast<int>(image.tensor.size(2));
    cv::Mat small = toMat32(importance2d);
    cv::Mat up;
    if (small.rows == sideH && small.cols == side)
        up = small.clone();
    else
        cv::resize(small, up, cv::Size(side, sideH), 0, 0, cv::INTER_LINEAR);
    cv::max(up, 0.0, up);
    double maxVal = 0.0;
    cv::minMaxLoc(up, nullptr, &maxVal);
    if (maxVal > 0.0) up /= maxVal;
    h.map = up;
    h.heatmap = applyColormap(h.map, map, 0.0, 1.0);

    // Back onto the original photo through the center-crop rectangle.
    const cv::Mat& orig = image.original;
    h.mapOriginal = cv::Mat::zeros(orig.rows, orig.cols, CV_32F);
    const cv::Rect2d r = image.cropInOriginal;
    const int w = std::max(1, static_cast<int>(std::lround(r.width)));
    const int hh = std::max(1, static_cast<int>(std::lround(r.height)));
    cv::Mat scaled;
    cv::resize(h.map, scaled, cv::Size(w, hh), 0, 0, cv::INTER_LINEAR);
    const cv::Rect target(static_cast<int>(std::lround(r.x)), static_cast<int>(std::lround(r.y)), w, hh);
    const cv::Rect inside = target & cv::Rect(0, 0, orig.cols, orig.rows);
    if (inside.area() > 0) scaled(inside - target.tl()).copyTo(h.mapOriginal(inside));

    const cv::Mat heatOrig = applyColormap(h.mapOriginal, map, 0.0, 1.0);
    alpha = std::clamp(alpha, 0.0, 1.0);
    cv::Mat dimmed;
    orig.convertTo(dimmed, CV_8UC3, 0.45);
    h.overlay = dimmed;
    // Per-pixel weight alpha * sqrt(map): cold regions keep the photo, hot
    // ones take the colour map.
    for (int y = inside.y; y < inside.y + inside.height; ++y) {
        const auto* src = orig.ptr<cv::Vec3b>(y);
        const auto* heat = heatOrig.ptr<cv::Vec3b>(y);
        const auto* m = h.mapOriginal.ptr<float>(y);
        auto* dst = h.overlay.ptr<cv::Vec3b>(y);
        for (int x = inside.x; x < inside.x + inside.width; ++x) {
            const double a = alpha * std::sqrt(static_cast<double>(m[x]));
            for (int c = 0; c < 3; ++c)
                dst[x][c] = cv::saturate_cast<uint8_t>((1.0 - a) * src[x][c] + a * heat[x][c]);
        }
    }
}

} // namespace detail

namespace {

std::string stripDisplay(const std::string& stageName) {
    const auto p = stageName.find(" (");
    return p == std::string::npos ? stageName : stageName.substr(0, p);
}

// "torch::nn::ReLUImpl" -> "ReLU"
std::string moduleTypeName(const torch::nn::Module& m) {
    std::string n = m.name();
    const auto colon = n.rfind("::");
    if (colon != std::string::npos) n = n.substr(colon + 2);
    if (n.size() > 4 && n.compare(n.size() - 4, 4, "Impl") == 0) n.resize(n.size() - 4);
    return n;
}

bool isConv2d(const torch::nn::Module& m) { return dynamic_cast<const torch::nn::Conv2dImpl*>(&m) != nullptr; }

} // namespace

std::string resolveLayer(const zoo::BackboneImpl& model, const std::string& name) {
    for (const auto& s : model.stages()) {
        if (s.modules.empty()) continue;
        if (name == s.name || name == stripDisplay(s.name)) return s.modules.back();
    }
    for (const auto& item : model.named_modules("", /*include_self=*/false))
        if (item.key() == name) return name;
    std::string stages;
    for (const auto& s : model.stages()) stages += (stages.empty() ? "" : ", ") + stripDisplay(s.name);
    throw ModelError("No layer '" + name + "' in " + model.arch() + ". Stages: " + stages +
                     ". Run `tstudio viz layers --arch " + model.arch() + "` for every convolution.");
}

std::vector<LayerInfo> listLayers(zoo::BackboneImpl& model, int inputSize) {
    if (inputSize <= 0) throw ConfigError("listLayers needs a positive input size, got " + std::to_string(inputSize) + ".");
    detail::ModelStateGuard guard(model);
    torch::NoGradGuard noGrad;
    std::vector<std::pair<std::string, std::vector<int64_t>>> seen;
    std::unordered_set<std::string> seenNames;
    {
        zoo::TapScope scope(model, [&](const std::string& name, at::Tensor& out) {
            if (seenNames.insert(name).second) seen.emplace_back(name, out.sizes().vec());
        });
        model.forward(at::zeros({1, 3, inputSize, inputSize}, detail::modelOptions(model)));
    }
    std::unordered_map<std::string, std::string> stageOf;  // module path -> stage name
    for (const auto& s : model.stages())
        if (!s.modules.empty()) stageOf.emplace(s.modules.back(), stripDisplay(s.name));
    std::unordered_map<std::string, std::shared_ptr<torch::nn::Module>> modules;
    for (const auto& item : model.named_modules("", false)) modules.emplace(item.key(), item.value());
    const std::string camPath = model.gradCamLayer();

    std::vector<LayerInfo> out;
    for (const auto& [path, shape] : seen) {
        if (shape.size() != 4) continue;
        const auto mod = modules.find(path);
        const bool conv = mod != modules.end() && isConv2d(*mod->second);
        const auto stage = stageOf.find(path);
        const bool camLayer = path == camPath;
        if (!conv && stage == stageOf.end() && !camLayer) continue;
        LayerInfo info;
        info.modulePath = path;
        info.outputShape = shape;
        info.isGradCamDefault = path == camPath;
        if (stage != stageOf.end()) {
            info.name = stage->second;
            info.kind = LayerKind::Stage;
            info.type = "stage";
        } else if (conv) {
            info.name = path;
            info.kind = LayerKind::Conv;
            info.type = "Conv2d";
        } else {
            // The registered Grad-CAM layer may be neither (AlexNet's last
            // ReLU): listed as a stage-like layer with its module type.
            info.name = path;
            info.kind = LayerKind::Stage;
            info.type = mod != modules.end() ? moduleTypeName(*mod->second) : "module";
        }
        if (conv) {
            const auto& o = dynamic_cast<const torch::nn::Conv2dImpl&>(*mod->second).options;
            info.inChannels = o.in_channels();
            info.outChannels = o.out_channels();
            info.kernelH = (*o.kernel_size())[0];
            info.kernelW = (*o.kernel_size())[1];
            info.groups = o.groups();
            if (info.kind == LayerKind::Stage) info.type = "stage (Conv2d)";
        }
        out.push_back(std::move(info));
    }
    return out;
}

PreparedImage prepareImage(const cv::Mat& rgb, const data::EvalTransform& transform) {
    if (rgb.empty() || rgb.type() != CV_8UC3)
        throw ConfigError("prepareImage needs an 8-bit RGB image (CV_8UC3); load it with data::loadImageRgb.");
    PreparedImage p;
    p.original = rgb.clone();
    p.transform = transform;
    p.networkView = data::resizeAndCrop(rgb, transform);
    p.tensor = data::toNormalizedTensor(p.networkView, transform.mean, transform.std).unsqueeze(0);
    // Where the crop lies in the original: the same arithmetic as
    // resizeShorterSide + centerCrop, scaled back by the resize factors.
    const int w = rgb.cols, h = rgb.rows;
    const bool wide = w >= h;
    const int shortSide = wide ? h : w, longSide = wide ? w : h;
    const int newLong = shortSide == transform.resizeSize
                            ? longSide
                            : static_cast<int>(static_cast<double>(transform.resizeSize) * longSide / shortSide);
    const int rw = wide ? newLong : transform.resizeSize;
    const int rh = wide ? transform.resizeSize : newLong;
    const double top = std::round((rh - transform.cropSize) / 2.0);
    const double left = std::round((rw - transform.cropSize) / 2.0);
    const double sx = static_cast<double>(w) / rw, sy = static_cast<double>(h) / rh;
    p.cropInOriginal = cv::Rect2d(left * sx, top * sy, transform.cropSize * sx, transform.cropSize * sy);
    return p;
}

PreparedImage prepareImageFile(const std::string& path, const data::EvalTransform& transform) {
    return prepareImage(data::loadImageRgb(path), transform);
}

} // namespace ts::viz
