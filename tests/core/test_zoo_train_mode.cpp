// Training mode of the zoo's MobileNetV3 / ShuffleNetV2 / MNASNet /
// EfficientNet / ConvNeXt models: a forward + backward pass gives a finite
// gradient for every parameter, and stochastic depth behaves as torchvision's
// stochastic_depth(x, p, "row", training): each sample's residual branch is
// either dropped (all zeros) or kept and scaled by 1 / (1 - p). Training-mode
// logits equal torchvision's for the same seed: Debian's python3-torch and
// LibTorch are the same library, so dropout and stochastic-depth masks are
// drawn identically when the random calls come in the same order.
#include "core/weights/StateDict.h"
#include "core/zoo/Registry.h"
#include "core/zoo/Tap.h"
#include "tests/support/TestSupport.h"

#include <ATen/Functions.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <fstream>
#include <map>

using namespace ts;

namespace {

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class ZooTrainMode : public ::testing::TestWithParam<std::string> {};

} // namespace

TEST_P(ZooTrainMode, ForwardBackwardGivesFiniteGradients) {
    const std::string arch = GetParam();
    at::manual_seed(0);
    zoo::Backbone model = zoo::createModel(arch, {5});
    model->train();
    const at::Tensor x = at::randn({4, 3, 64, 64});
    const at::Tensor target = at::tensor({0, 1, 2, 4}, at::kLong);
    const at::Tensor logits = model->forward(x);
    ASSERT_EQ(logits.sizes(), (at::IntArrayRef{4, 5}));
    const at::Tensor loss = -at::log_softmax(logits, 1).gather(1, target.unsqueeze(1)).mean();
    ASSERT_TRUE(at::isfinite(loss).item<bool>()) << arch;
    loss.backward();
    for (const auto& p : model->named_parameters()) {
        ASSERT_TRUE(p.value().grad().defined()) << arch << ": no gradient for " << p.key();
        EXPECT_TRUE(at::isfinite(p.value().grad()).all().item<bool>()) << arch << ": non-finite gradient in " << p.key();
    }
    EXPECT_GT(model->named_parameters()[model->headPath() + ".weight"].grad().abs().sum().item<double>(), 0.0);

    // Back in eval mode, dropout and stochastic depth are off: outputs repeat.
    model->eval();
    torch::NoGradGuard noGrad;
    EXPECT_TRUE(model->forward(x).equal(model->forward(x))) << arch;
}

INSTANTIATE_TEST_SUITE_P(Zoo, ZooTrainMode,
                         ::testing::Values("mobilenet_v3_small", "mobilenet_v3_large", "shufflenet_v2_x1_0",
                                           "mnasnet1_0", "efficientnet_b0", "efficientnet_b1", "efficientnet_b2",
                                           "efficientnet_b3", "convnext_tiny"),
                         [](const auto& info) { return info.param; });

namespace {

struct StochasticDepthCase {
    std::string arch;
    /// Last child of a residual branch before layer scale and stochastic depth.
    std::string branchSuffix;
    /// Probability of block i is maxProb * i / denominator (torchvision).
    double maxProb;
    double denominator;
};

// Names the case in test listings (gtest would print its bytes otherwise).
void PrintTo(const StochasticDepthCase& c, std::ostream* os) { *os << c.arch; }

class StochasticDepthRows : public ::testing::TestWithParam<StochasticDepthCase> {};

} // namespace

TEST_P(StochasticDepthRows, DropsWholeSamplesAndRescalesTheRest) {
    const auto& c = GetParam();
    at::manual_seed(1);
    zoo::Backbone model = zoo::createModel(c.arch, {3});
    std::map<std::string, at::Tensor> params;
    for (const auto& p : model->named_parameters()) params.emplace(p.key(), p.value());

    // Index every block with a stochastic_depth child, in forward order.
    std::map<std::string, int> blockIndex;
    for (const auto& m : model->named_modules("", /*include_self=*/false))
        if (endsWith(m.key(), ".stochastic_depth")) {
            const int i = static_cast<int>(blockIndex.size());
            blockIndex.emplace(m.key().substr(0, m.key().size() - std::string(".stochastic_depth").size()), i);
        }
    ASSERT_FALSE(blockIndex.empty());

    for (const bool training : {true, false}) {
        model->train(training);
        std::map<std::string, at::Tensor> outputs;
        torch::NoGradGuard noGrad;
        {
            zoo::TapScope scope(*model, [&](const std::string& name, at::Tensor& out) { outputs[name] = out.clone(); });
            model->forward(at::randn({8, 3, 64, 64}));
        }
        int dropped = 0, kept = 0, checked = 0;
        for (const auto& [block, index] : blockIndex) {
            const auto post = outputs.find(block + ".stochastic_depth");
            if (post == outputs.end()) continue; // no residual connection: torchvision skips it too
            const auto pre = outputs.find(block + c.branchSuffix);
            ASSERT_NE(pre, outputs.end()) << block + c.branchSuffix << " was not tapped";
            at::Tensor branch = pre->second;
            const auto scale = params.find(block + ".layer_scale");
            if (scale != params.end()) branch = branch * scale->second;
            const double p = c.maxProb * index / c.denominator;
            ++checked;
            for (int64_t row = 0; row < branch.size(0); ++row) {
                const at::Tensor got = post->second[row];
                if (training && got.abs().max().item<double>() == 0.0) {
                    ++dropped;
                } else {
                    ++kept;
                    const at::Tensor want = training ? branch[row] / (1.0 - p) : branch[row];
                    EXPECT_TRUE(at::allclose(got, want, 1e-5, 1e-10))
                        << c.arch << " " << block << " row " << row << " (p " << p << ", training " << training << ")";
                }
            }
        }
        EXPECT_GT(checked, 3) << c.arch;
        EXPECT_GT(kept, 0) << c.arch;
        if (training)
            EXPECT_GT(dropped, 0) << c.arch << ": no sample was dropped in training mode";
        else
            EXPECT_EQ(dropped, 0) << c.arch;
    }
}

INSTANTIATE_TEST_SUITE_P(Zoo, StochasticDepthRows,
                         ::testing::Values(StochasticDepthCase{"efficientnet_b0", ".block.3", 0.2, 16.0},
                                           StochasticDepthCase{"convnext_tiny", ".block.6", 0.1, 17.0}),
                         [](const auto& info) { return info.param.arch; });

namespace {

// Builds ARCH in torchvision with random weights and BN statistics, then runs
// it in training mode right after torch.manual_seed(SEED).
const char* kTrainReferenceScript = R"PY(
import sys, torch, torchvision
arch, out, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.set_num_threads(2)
torch.manual_seed(0)
gen = torch.Generator().manual_seed(1)
model = torchvision.models.__dict__[arch](weights=None, num_classes=10)
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) * 0.5 + 0.75)
            m.weight.copy_(1.0 + 0.1 * torch.randn(m.weight.shape, generator=gen))
            m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))
    for name, p in model.named_parameters():
        if name.endswith("layer_scale"):
            p.copy_(0.5 + torch.rand(p.shape, generator=gen))  # make ConvNeXt branches matter
torch.save(dict(model.state_dict()), out + "/weights.pth")
x = torch.randn(6, 3, 64, 64, generator=gen)
model.train()
torch.manual_seed(seed)
logits = model(x)
torch.save({"input": x, "logits": logits.detach()}, out + "/io.pth")
)PY";

class ZooTrainModeParity : public ::testing::TestWithParam<std::string> {};

} // namespace

TEST_P(ZooTrainModeParity, LogitsMatchTorchvisionForTheSameSeed) {
    const std::string py = test::referencePython();
    TS_REQUIRE_REFERENCE_PYTHON(py);
    const std::string arch = GetParam();
    const int64_t seed = 1234;
    test::TempDir dir("ts-train-mode");
    {
        std::ofstream script(dir.file("train_reference.py"));
        script << kTrainReferenceScript;
    }
    std::string log;
    ASSERT_EQ(test::runCommand(test::shellQuote(py) + " " + dir.file("train_reference.py") + " " + arch + " " +
                                   dir.path() + " " + std::to_string(seed),
                               &log),
              0)
        << log;
    zoo::Backbone model = zoo::createModel(arch, {10});
    weights::applyStateDict(*model, weights::readStateDict(dir.file("weights.pth")), dir.file("weights.pth"), arch);
    const auto io = test::readTensorFile(dir.file("io.pth"));
    const at::Tensor expected = test::tensorNamed(io, "logits");
    model->train();
    at::manual_seed(static_cast<uint64_t>(seed));
    at::Tensor logits;
    {
        torch::NoGradGuard noGrad;
        logits = model->forward(test::tensorNamed(io, "input"));
    }
    ASSERT_EQ(logits.sizes(), expected.sizes());
    // Batch statistics of a 6-sample batch (2x2 maps at the end) amplify
    // rounding differences more than eval mode does: 1e-3 relative here.
    const at::Tensor excess = (logits - expected).abs() - 1e-3 * at::clamp_min(expected.abs(), 1.0);
    EXPECT_LE(excess.max().item<double>(), 0.0)
        << arch << ": training-mode logits differ from torchvision's by up to "
        << (logits - expected).abs().max().item<double>();
    // Randomness really was used: a second draw gives other logits.
    torch::NoGradGuard noGrad;
    EXPECT_FALSE(at::allclose(model->forward(test::tensorNamed(io, "input")), expected));
}

INSTANTIATE_TEST_SUITE_P(Zoo, ZooTrainModeParity,
                         ::testing::Values("mobilenet_v3_small", "mnasnet1_0", "efficientnet_b0", "convnext_tiny"),
                         [](const auto& info) { return info.param; });
