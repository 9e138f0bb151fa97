// VGG 11/13/16/19, with and without BatchNorm (torchvision.models.vgg*).
#include "core/zoo/Families.h"
#include "core/zoo/Layers.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/pooling.h>

namespace ts::zoo {
namespace {

constexpr int kPool = 0;  // "M" in torchvision's cfgs

struct VggVariant {
    const char* name;
    std::vector<int> cfg;
    bool batchNorm;
    int64_t numParams;
    double gflops;
    double top1, top5;
    const char* url;
};

class VggImpl : public BackboneImpl {
public:
    VggImpl(const std::string& arch, const std::vector<int>& cfg, bool batchNorm, const CreateOptions& options)
        : BackboneImpl(arch) {
        // torchvision make_layers: [Conv2d(3x3, bias), (BatchNorm2d), ReLU]... MaxPool2d(2).
        m_features = register_module("features", Seq());
        std::vector<Stage> stages;
        std::vector<std::string> block;
        int64_t in = 3;
        std::string gradCam;
        auto addPath = [&]() { block.push_back("features." + std::to_string(m_features->size() - 1)); };
        for (const int v : cfg) {
            if (v == kPool) {
                m_features->add(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2).stride(2)));
                addPath();
                stages.push_back({"block" + std::to_string(stages.size() + 1), block});
                block.clear();
                continue;
            }
            m_features->add(conv2d(in, v, 3, 1, 1, 1, /*bias=*/true));
            addPath();
            if (batchNorm) {
                m_features->add(batchNorm2d(v));
                addPath();
            }
            m_features->add(torch::nn::ReLU());
            addPath();
            gradCam = block.back();
            in = v;
        }
        m_classifier = register_module("classifier", Seq());
        m_classifier->add(torch::nn::Linear(512 * 7 * 7, 4096));
        m_classifier->add(torch::nn::ReLU());
        m_classifier->add(torch::nn::Dropout(0.5));
        m_classifier->add(torch::nn::Linear(4096, 4096));
        m_classifier->add(torch::nn::ReLU());
        m_classifier->add(torch::nn::Dropout(0.5));
        m_classifier->add(torch::nn::Linear(4096, options.numClasses));

        // torchvision's init_weights: convs kaiming_normal(fan_out, relu) with
        // zero bias, BN 1/0, Linear normal(0, 0.01) with zero bias.
        initMobileStyle(*this, 0.01);

        stages.push_back({"classifier", {"classifier.0", "classifier.1", "classifier.2", "classifier.3",
                                         "classifier.4", "classifier.5"}});
        stages.push_back({"head", {"classifier.6"}});
        finishSetup(std::move(stages), "classifier.6", 4096, options.numClasses, gradCam);
    }

    torch::Tensor features(torch::Tensor x) override {
        x = at::adaptive_avg_pool2d(m_features->forward(x), {7, 7}).flatten(1);
        return m_classifier->forwardRange(x, 0, 6);
    }

private:
    Seq m_features{nullptr};
    Seq m_classifier{nullptr};
};

} // namespace

namespace families {

void addVgg(std::vector<RegistryEntry>& out) {
    const std::vector<int> a = {64, kPool, 128, kPool, 256, 256, kPool, 512, 512, kPool, 512, 512, kPool};
    const std::vector<int> b = {64, 64, kPool, 128, 128, kPool, 256, 256, kPool, 512, 512, kPool, 512, 512, kPool};
    const std::vector<int> d = {64,  64,  kPool, 128, 128, kPool, 256, 256, 256,
                                kPool, 512, 512, 512, kPool, 512, 512, 512, kPool};
    const std::vector<int> e = {64,  64,  kPool, 128, 128, kPool, 256, 256, 256, 256, kPool,
                                512, 512, 512, 512, kPool, 512, 512, 512, 512, kPool};
    const VggVariant variants[] = {
        {"vgg11", a, false, 132863336, 7.609, 69.020, 88.628, "https://download.pytorch.org/models/vgg11-8a719046.pth"},
        {"vgg13", b, false, 133047848, 11.308, 69.928, 89.246, "https://download.pytorch.org/models/vgg13-19584684.pth"},
        {"vgg16", d, false, 138357544, 15.470, 71.592, 90.382, "https://download.pytorch.org/models/vgg16-397923af.pth"},
        {"vgg19", e, false, 143667240, 19.632, 72.376, 90.876, "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"},
        {"vgg11_bn", a, true, 132868840, 7.609, 70.370, 89.810,
         "https://download.pytorch.org/models/vgg11_bn-6002323d.pth"},
        {"vgg13_bn", b, true, 133053736, 11.308, 71.586, 90.374,
         "https://download.pytorch.org/models/vgg13_bn-abd245e5.pth"},
        {"vgg16_bn", d, true, 138365992, 15.470, 73.360, 91.516,
         "https://download.pytorch.org/models/vgg16_bn-6c64b313.pth"},
        {"vgg19_bn", e, true, 143678248, 19.632, 74.218, 91.842,
         "https://download.pytorch.org/models/vgg19_bn-c79401a0.pth"},
    };
    for (const auto& v : variants) {
        ModelInfo info = torchvisionInfo(v.name, "VGG", v.numParams, v.gflops,
                                         v.top1, v.top5, v.url,
                                         "Simonyan and Zisserman, Very Deep Convolutional Networks for Large-Scale "
                                         "Image Recognition, ICLR 2015");
        const std::string name = v.name;
        const std::vector<int> cfg = v.cfg;
        const bool bn = v.batchNorm;
        out.push_back({info, [name, cfg, bn](const CreateOptions& o) -> Backbone {
                           return std::make_shared<VggImpl>(name, cfg, bn, o);
                       }});
    }
}

} // namespace families
} // namespace ts::zoo
