// ConvNeXt (torchvision.models.convnext_tiny).
#include "core/zoo/Families.h"
#include "core/zoo/Layers.h"
#include "core/zoo/TruncNormal.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

namespace ts::zoo {
namespace {

constexpr double kNormEps = 1e-6;

// torchvision convnext.LayerNorm2d: LayerNorm over the channels of an NCHW
// tensor (permute to NHWC, layer_norm, permute back). Keys weight, bias.
class LayerNorm2dImpl : public torch::nn::Module {
public:
    explicit LayerNorm2dImpl(int64_t channels, double eps = kNormEps) : m_channels(channels), m_eps(eps) {
        weight = register_parameter("weight", at::ones({channels}));
        bias = register_parameter("bias", at::zeros({channels}));
    }
    torch::Tensor forward(torch::Tensor x) {
        x = x.permute({0, 2, 3, 1});
        x = at::layer_norm(x, {m_channels}, weight, bias, m_eps);
        return x.permute({0, 3, 1, 2});
    }
    double eps() const { return m_eps; }

    torch::Tensor weight;
    torch::Tensor bias;

private:
    int64_t m_channels;
    double m_eps;
};
TORCH_MODULE(LayerNorm2d);

// torchvision.ops.misc.Permute: x.permute(dims).
class PermuteImpl : public torch::nn::Module {
public:
    explicit PermuteImpl(std::vector<int64_t> dims) : m_dims(std::move(dims)) {}
    torch::Tensor forward(torch::Tensor x) { return x.permute(m_dims); }
    const std::vector<int64_t>& dims() const { return m_dims; }

private:
    std::vector<int64_t> m_dims;
};
TORCH_MODULE(Permute);

// torchvision CNBlock: keys <b>.layer_scale (dim,1,1), <b>.block.0 (depthwise
// 7x7 conv), .2 (LayerNorm), .3 and .5 (Linear); .1/.4/.6 hold no tensors.
class CNBlockImpl : public torch::nn::Module {
public:
    CNBlockImpl(int64_t dim, double layerScale, double sdProb) {
        Seq block;
        block->add(conv2d(dim, dim, 7, 1, 3, /*groups=*/dim, /*bias=*/true));
        block->add(Permute(std::vector<int64_t>{0, 2, 3, 1}));
        block->add(torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(kNormEps)));
        block->add(torch::nn::Linear(dim, 4 * dim));
        block->add(Activation(ActKind::GELU));
        block->add(torch::nn::Linear(4 * dim, dim));
        block->add(Permute(std::vector<int64_t>{0, 3, 1, 2}));
        m_block = register_module("block", block);
        m_layerScale = register_parameter("layer_scale", at::ones({dim, 1, 1}) * layerScale);
        m_stochasticDepth = register_module("stochastic_depth", StochasticDepth(sdProb));
    }
    torch::Tensor forward(torch::Tensor x) {
        auto y = m_layerScale * m_block->forward(x);
        return tapped(*m_stochasticDepth, m_stochasticDepth->forward(y)) + x;
    }

private:
    Seq m_block{nullptr};
    torch::Tensor m_layerScale;
    StochasticDepth m_stochasticDepth{nullptr};
};
TORCH_MODULE(CNBlock);

// CNBlockConfig: blocks of width `in`, then a downsampling layer to `out`
// (none when out == 0).
struct StageConfig {
    int64_t in;
    int64_t out;
    int64_t layers;
};

class ConvNeXtImpl : public BackboneImpl {
public:
    ConvNeXtImpl(const std::string& arch, const std::vector<StageConfig>& settings, double stochasticDepthProb,
                 const CreateOptions& options)
        : BackboneImpl(arch) {
        const double layerScale = 1e-6;
        m_features = register_module("features", Seq());
        Seq stem;
        stem->add(conv2d(3, settings.front().in, 4, 4, 0, 1, /*bias=*/true));
        stem->add(LayerNorm2d(settings.front().in));
        m_features->add(stem);
        int64_t total = 0;
        for (const auto& c : settings) total += c.layers;
        int64_t blockId = 0;
        for (const auto& c : settings) {
            Seq stage;
            for (int64_t i = 0; i < c.layers; ++i) {
                const double sdProb = stochasticDepthProb * static_cast<double>(blockId) / (static_cast<double>(total) - 1.0);
                stage->add(CNBlock(c.in, layerScale, sdProb));
                ++blockId;
            }
            m_features->add(stage);
            if (c.out > 0) {
                Seq down;
                down->add(LayerNorm2d(c.in));
                down->add(conv2d(c.in, c.out, 2, 2, 0, 1, /*bias=*/true));
                m_features->add(down);
            }
        }
        const int64_t last = settings.back().out > 0 ? settings.back().out : settings.back().in;
        m_classifier = register_module("classifier", Seq());
        m_classifier->add(LayerNorm2d(last));
        m_classifier->add(torch::nn::Flatten(torch::nn::FlattenOptions().start_dim(1)));
        m_classifier->add(torch::nn::Linear(last, options.numClasses));

        // Conv2d and Linear: trunc_normal(std 0.02), zero bias; norms keep 1/0.
        {
            torch::NoGradGuard noGrad;
            for (auto& m : modules(/*include_self=*/false)) {
                torch::Tensor w, b;
                if (auto* conv = m->as<torch::nn::Conv2d>()) {
                    w = conv->weight;
                    b = conv->bias;
                } else if (auto* lin = m->as<torch::nn::Linear>()) {
                    w = lin->weight;
                    b = lin->bias;
                } else {
                    continue;
                }
                truncNormal_(w, 0.0, 0.02, -2.0, 2.0);
                if (b.defined()) torch::nn::init::zeros_(b);
            }
        }

        std::vector<Stage> stages;
        for (size_t i = 0; i < m_features->size(); ++i) {
            const std::string path = "features." + std::to_string(i);
            const bool down = i > 0 && i % 2 == 0;
            stages.push_back({i == 0 ? "stem (" + path + ")" : (down ? path + " (downsample)" : path), {path}});
        }
        stages.push_back({"pre-head (classifier.0-1)", {"classifier.0", "classifier.1"}});
        stages.push_back({"head", {"classifier.2"}});
        finishSetup(std::move(stages), "classifier.2", last, options.numClasses,
                    "features." + std::to_string(m_features->size() - 1));
    }

    torch::Tensor features(torch::Tensor x) override {
        x = m_features->forward(x);
        return m_classifier->forwardRange(at::adaptive_avg_pool2d(x, {1, 1}), 0, 2);
    }

private:
    Seq m_features{nullptr};
    Seq m_classifier{nullptr};
};

} // namespace

namespace families {

void addConvNeXt(std::vector<RegistryEntry>& out) {
    ModelInfo info = torchvisionInfo("convnext_tiny", "ConvNeXt", 28589128, 4.46,
                                     82.520, 96.146, "https://download.pytorch.org/models/convnext_tiny-983f1562.pth",
                                     "Liu et al., A ConvNet for the 2020s, CVPR 2022");
    info.resizeSize = 236;
    out.push_back({info, [](const CreateOptions& o) -> Backbone {
                       return std::make_shared<ConvNeXtImpl>(
                           "convnext_tiny", std::vector<StageConfig>{{96, 192, 3}, {192, 384, 3}, {384, 768, 9}, {768, 0, 3}},
                           0.1, o);
                   }});
}

} // namespace families
} // namespace ts::zoo
