// The registry's GFLOPs figures against the models themselves: one forward
// pass at the native input size under a TapScope counts the
// multiply-accumulates of every convolution and Linear layer (the convention
// of torchvision's published figures); each must be within 10% of the
// registry value. Also checks that every convolution and Linear layer is
// tapped, as the zoo's contract requires.
#include "core/zoo/Registry.h"
#include "core/zoo/Tap.h"

#include <ATen/Functions.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <set>
#include <unordered_map>

using namespace ts;

namespace {

std::vector<std::string> modelsWithFlops() {
    std::vector<std::string> out;
    for (const auto& e : zoo::registry())
        if (e.info.gflops > 0.0) out.push_back(e.info.name);
    return out;
}

class ZooFlops : public ::testing::TestWithParam<std::string> {};

} // namespace

TEST_P(ZooFlops, RegistryValueMatchesCountedMacs) {
    const std::string arch = GetParam();
    const auto& info = zoo::modelInfo(arch);
    zoo::Backbone model = zoo::createModel(arch);
    model->eval();

    std::unordered_map<std::string, const torch::nn::Module*> byName;
    std::set<std::string> layers;  // every Conv2d and Linear
    for (const auto& item : model->named_modules("", /*include_self=*/false)) {
        byName.emplace(item.key(), item.value().get());
        if (item.value()->as<torch::nn::Conv2d>() || item.value()->as<torch::nn::Linear>()) layers.insert(item.key());
    }

    double macs = 0.0;
    std::set<std::string> seen;
    {
        torch::NoGradGuard noGrad;
        zoo::TapScope scope(*model, [&](const std::string& name, at::Tensor& out) {
            const auto it = byName.find(name);
            if (it == byName.end()) return;
            if (const auto* conv = it->second->as<torch::nn::Conv2d>()) {
                const auto& o = conv->options;
                const double perOutput = static_cast<double>(o.in_channels() / o.groups()) *
                                         (*o.kernel_size())[0] * (*o.kernel_size())[1];
                macs += static_cast<double>(out.numel()) * perOutput;
                seen.insert(name);
            } else if (const auto* linear = it->second->as<torch::nn::Linear>()) {
                macs += static_cast<double>(out.numel()) * linear->options.in_features();
                seen.insert(name);
            }
        });
        model->forward(at::randn({1, 3, info.inputSize, info.inputSize}));
    }
    for (const auto& layer : layers)
        EXPECT_TRUE(seen.count(layer)) << arch << ": layer '" << layer << "' ran without passing through tapped()";
    const double gmacs = macs / 1e9;
    EXPECT_NEAR(gmacs, info.gflops, 0.1 * info.gflops)
        << arch << ": counted " << gmacs << " GMACs at " << info.inputSize << "x" << info.inputSize
        << ", the registry says " << info.gflops;
}

INSTANTIATE_TEST_SUITE_P(All, ZooFlops, ::testing::ValuesIn(modelsWithFlops()),
                         [](const auto& info) { return info.param; });
