// Every registered architecture against torchvision 0.14: same state_dict
// keys and shapes (strict load of torchvision's own file), and the same
// logits for the same input (max abs diff <= 1e-4 * max(1, max |logit| of the image)).
// Architectures torchvision lacks (xception: timm's layout; zfnet:
// pytorchcv's) are compared with the independent PyTorch definitions in
// tests/python/reference.py, which carry those projects' key names.
#include "core/weights/StateDict.h"
#include "core/zoo/Registry.h"
#include "tests/support/TestSupport.h"

#include <ATen/Functions.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <set>

using namespace ts;

namespace {

std::vector<std::string> torchvisionModels() {
    std::vector<std::string> out;
    for (const auto& e : zoo::registry())
        if (e.info.family.find("not torchvision") == std::string::npos) out.push_back(e.info.name);
    return out;
}

// Official weights of these are in the legacy (pre-1.6) format: check that
// reader on them too.
const std::set<std::string> kLegacyFormat = {"alexnet", "vgg11", "squeezenet1_0", "densenet121", "googlenet",
                                             "resnet18", "shufflenet_v2_x1_0"};

class ZooParity : public ::testing::TestWithParam<std::string> {};

} // namespace

TEST_P(ZooParity, MatchesTorchvision) {
    const std::string py = test::referencePython();
    TS_REQUIRE_REFERENCE_PYTHON(py);
    const std::string arch = GetParam();
    const auto& info = zoo::modelInfo(arch);
    test::TempDir dir("ts-parity");
    std::string log;
    const std::string cmd = test::shellQuote(py) + " " + test::shellQuote(test::pythonScript("reference.py")) +
                            " parity --arch " + arch + " --out " + dir.path() + " --size " +
                            std::to_string(info.inputSize) + (kLegacyFormat.count(arch) ? " --legacy" : "");
    ASSERT_EQ(test::runCommand(cmd, &log), 0) << log;

    zoo::Backbone model = zoo::createModel(arch);
    const auto sd = weights::readStateDict(dir.file("weights.pth"));
    // Keys and shapes: every tensor of torchvision's state_dict is one of ours and vice versa.
    const auto ours = weights::stateDictOf(*model);
    EXPECT_EQ(ours.size(), sd.size()) << "number of state_dict entries differs";
    weights::applyStateDict(*model, sd, dir.file("weights.pth"), arch);

    const auto io = test::readTensorFile(dir.file("io.pth"));
    const at::Tensor input = test::tensorNamed(io, "input");
    const at::Tensor expected = test::tensorNamed(io, "logits");
    model->eval();
    at::Tensor logits;
    {
        torch::NoGradGuard noGrad;
        logits = model->forward(input);
    }
    ASSERT_EQ(logits.sizes(), expected.sizes());
    // 1e-4 relative to the size of each image's logits (at least 1); for very
    // deep networks (resnet152) float32 itself strays further from the exact
    // (float64) result than that, so we allow twice torchvision's own float32 error.
    const at::Tensor exact = test::tensorNamed(io, "logits64");
    const double float32Error = (expected - exact).abs().max().item<double>();
    const at::Tensor tolerance =
        at::clamp_min(1e-4 * at::clamp_min(expected.abs().amax(1, /*keepdim=*/true), 1.0), 2.0 * float32Error);
    const at::Tensor excess = (logits - expected).abs() - tolerance;
    EXPECT_LE(excess.max().item<double>(), 0.0)
        << arch << ": max abs logit difference " << (logits - expected).abs().max().item<double>();
    EXPECT_EQ(logits.argmax(1).equal(expected.argmax(1)), true);
}

INSTANTIATE_TEST_SUITE_P(Torchvision, ZooParity, ::testing::ValuesIn(torchvisionModels()),
                         [](const auto& info) { return info.param; });
