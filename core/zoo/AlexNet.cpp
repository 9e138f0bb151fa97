// AlexNet (torchvision.models.alexnet, the "one weird trick" variant).
#include "core/zoo/Families.h"
#include "core/zoo/Layers.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/pooling.h>

namespace ts::zoo {
namespace {

class AlexNetImpl : public BackboneImpl {
public:
    explicit AlexNetImpl(const CreateOptions& options) : BackboneImpl("alexnet") {
        auto pool = [] { return torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2)); };
        m_features = register_module("features", Seq());
        m_features->add(conv2d(3, 64, 11, 4, 2, 1, /*bias=*/true));      // 0
        m_features->add(torch::nn::ReLU());                              // 1
        m_features->add(pool());                                         // 2
        m_features->add(conv2d(64, 192, 5, 1, 2, 1, /*bias=*/true));    // 3
        m_features->add(torch::nn::ReLU());                              // 4
        m_features->add(pool());                                         // 5
        m_features->add(conv2d(192, 384, 3, 1, 1, 1, /*bias=*/true));   // 6
        m_features->add(torch::nn::ReLU());                              // 7
        m_features->add(conv2d(384, 256, 3, 1, 1, 1, /*bias=*/true));   // 8
        m_features->add(torch::nn::ReLU());                              // 9
        m_features->add(conv2d(256, 256, 3, 1, 1, 1, /*bias=*/true));   // 10
        m_features->add(torch::nn::ReLU());                              // 11
        m_features->add(pool());                                         // 12
        m_classifier = register_module("classifier", Seq());
        m_classifier->add(torch::nn::Dropout(0.5));
        m_classifier->add(torch::nn::Linear(256 * 6 * 6, 4096));
        m_classifier->add(torch::nn::ReLU());
        m_classifier->add(torch::nn::Dropout(0.5));
        m_classifier->add(torch::nn::Linear(4096, 4096));
        m_classifier->add(torch::nn::ReLU());
        m_classifier->add(torch::nn::Linear(4096, options.numClasses));
        // torchvision keeps PyTorch's default layer initialisation here, which
        // LibTorch's Conv2d and Linear reproduce.

        std::vector<Stage> stages = {
            {"conv1", {"features.0", "features.1", "features.2"}},
            {"conv2", {"features.3", "features.4", "features.5"}},
            {"conv3-5",
             {"features.6", "features.7", "features.8", "features.9", "features.10", "features.11", "features.12"}},
            {"classifier",
             {"classifier.0", "classifier.1", "classifier.2", "classifier.3", "classifier.4", "classifier.5"}},
            {"head", {"classifier.6"}},
        };
        finishSetup(std::move(stages), "classifier.6", 4096, options.numClasses, "features.11");
    }

    torch::Tensor features(torch::Tensor x) override {
        x = at::adaptive_avg_pool2d(m_features->forward(x), {6, 6}).flatten(1);
        return m_classifier->forwardRange(x, 0, 6);
    }

private:
    Seq m_features{nullptr};
    Seq m_classifier{nullptr};
};

} // namespace

namespace families {

void addAlexNet(std::vector<RegistryEntry>& out) {
    ModelInfo info = torchvisionInfo("alexnet", "AlexNet", 61100840, 0.714,
                                     56.522, 79.066, "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
                                     "Krizhevsky, One weird trick for parallelizing convolutional neural networks, arXiv 2014");
    out.push_back({info, [](const CreateOptions& o) -> Backbone { return std::make_shared<AlexNetImpl>(o); }});
}

} // namespace families
} // namespace ts::zoo
