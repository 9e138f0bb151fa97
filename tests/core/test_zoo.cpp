// The zoo's contract, checked on every registered architecture with random
// weights: parameter counts, stages, head replacement, taps, errors.
#include "core/common/Error.h"
#include "core/weights/StateDict.h"
#include "core/zoo/Provenance.h"
#include "core/zoo/Registry.h"
#include "core/zoo/Tap.h"
#include "tests/support/TestSupport.h"

#include <ATen/Functions.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <memory>
#include <set>
#include <tuple>

using namespace ts;

namespace {

class ZooContract : public ::testing::TestWithParam<std::string> {};

int64_t countParams(const torch::nn::Module& m) {
    int64_t n = 0;
    for (const auto& p : m.parameters()) n += p.numel();
    return n;
}

} // namespace

TEST_P(ZooContract, StagesHeadAndTaps) {
    const std::string arch = GetParam();
    const auto& info = zoo::modelInfo(arch);
    zoo::Backbone model = zoo::createModel(arch);
    EXPECT_EQ(countParams(*model), info.numParams) << arch << ": registry parameter count is wrong";

    ASSERT_GE(model->stages().size(), 3u);
    EXPECT_EQ(model->stages().back().name, "head");
    for (const auto& stage : model->stages())
        for (const auto& path : stage.modules) EXPECT_NO_THROW(model->moduleAt(path)) << path;
    EXPECT_NO_THROW(model->moduleAt(model->gradCamLayer()));

    // Replace the head: keys stay torchvision's, output has the new width.
    model->replaceHead({7});
    EXPECT_EQ(model->numClasses(), 7);
    const auto sd = weights::stateDictOf(*model);
    bool sawHeadWeight = false;
    for (const auto& [k, v] : sd)
        if (k == model->headPath() + ".weight") {
            sawHeadWeight = true;
            EXPECT_EQ(v.size(0), 7);
            EXPECT_EQ(v.size(1), model->headInFeatures());
        }
    EXPECT_TRUE(sawHeadWeight);

    // Taps see every stage's output, in forward order; features() has the head's width.
    const int size = std::min(info.inputSize, 160);
    model->eval();
    std::vector<std::string> seen;
    at::Tensor feats, logits;
    {
        torch::NoGradGuard noGrad;
        zoo::TapScope scope(*model, [&](const std::string& name, at::Tensor&) { seen.push_back(name); });
        const at::Tensor x = at::randn({1, 3, arch == "inception_v3" ? 299 : size, arch == "inception_v3" ? 299 : size});
        feats = model->features(x);
        logits = model->head(feats);
    }
    EXPECT_EQ(feats.size(1), model->headInFeatures());
    EXPECT_EQ(logits.size(1), 7);
    size_t pos = 0;
    for (const auto& stage : model->stages()) {
        const std::string& out = stage.modules.back();
        const auto it = std::find(seen.begin() + pos, seen.end(), out);
        EXPECT_NE(it, seen.end()) << arch << ": stage output '" << out << "' was not tapped (in order)";
        if (it != seen.end()) pos = static_cast<size_t>(it - seen.begin());
    }
    EXPECT_NE(std::find(seen.begin(), seen.end(), model->gradCamLayer()), seen.end())
        << arch << ": Grad-CAM layer '" << model->gradCamLayer() << "' is not tapped";
}

TEST_P(ZooContract, HiddenLayerHead) {
    zoo::Backbone model = zoo::createModel(GetParam(), {3});
    model->replaceHead({4, 32, 0.1});
    std::set<std::string> keys;
    for (const auto& [k, v] : weights::stateDictOf(*model)) keys.insert(k);
    EXPECT_TRUE(keys.count(model->headPath() + ".0.weight"));
    EXPECT_TRUE(keys.count(model->headPath() + ".3.weight"));
    torch::NoGradGuard noGrad;
    EXPECT_EQ(model->head(at::randn({2, model->headInFeatures()})).size(1), 4);
}

INSTANTIATE_TEST_SUITE_P(All, ZooContract, ::testing::ValuesIn(zoo::modelNames()),
                         [](const auto& info) { return info.param; });

// Activations overwrite their input when nothing can observe it (Layers.h).
// A tap scope turns that off, so the same model run with and without one must
// give the same logits and the same gradients, with autograd on and off.
class InPlaceActivations : public ::testing::TestWithParam<std::string> {};

TEST_P(InPlaceActivations, ChangeNeitherOutputsNorGradients) {
    const std::string arch = GetParam();
    torch::manual_seed(3);
    zoo::Backbone model = zoo::createModel(arch, {5});
    model->eval();
    const int size = arch == "inception_v3" ? 299 : std::min(zoo::modelInfo(arch).inputSize, 128);
    const at::Tensor x = at::randn({2, 3, size, size});
    const at::Tensor weight = at::randn({2, 5});
    auto run = [&](bool tapped) {
        model->zero_grad();
        std::unique_ptr<zoo::TapScope> scope;
        if (tapped) scope = std::make_unique<zoo::TapScope>(*model, [](const std::string&, at::Tensor&) {});
        const at::Tensor logits = model->forward(x);
        (logits * weight).sum().backward();
        std::vector<at::Tensor> grads;
        for (const auto& p : model->parameters()) grads.push_back(p.grad().defined() ? p.grad().clone() : at::Tensor());
        at::Tensor inference;
        {
            torch::NoGradGuard noGrad;
            inference = model->forward(x);
        }
        return std::make_tuple(logits.detach(), grads, inference);
    };
    const auto [plainLogits, plainGrads, plainInference] = run(false);
    const auto [tapLogits, tapGrads, tapInference] = run(true);
    EXPECT_TRUE(plainLogits.equal(tapLogits)) << arch;
    EXPECT_TRUE(plainInference.equal(tapInference)) << arch;
    EXPECT_TRUE(plainInference.equal(plainLogits)) << arch;
    ASSERT_EQ(plainGrads.size(), tapGrads.size());
    int compared = 0;
    for (size_t i = 0; i < plainGrads.size(); ++i) {
        ASSERT_EQ(plainGrads[i].defined(), tapGrads[i].defined()) << arch << " parameter " << i;
        if (!plainGrads[i].defined()) continue;
        EXPECT_TRUE(at::allclose(plainGrads[i], tapGrads[i], 1e-5, 1e-7)) << arch << " parameter " << i;
        ++compared;
    }
    EXPECT_GT(compared, 4) << arch;
}

// One model per kind of activation and per hand-written forward that uses them.
INSTANTIATE_TEST_SUITE_P(Zoo, InPlaceActivations,
                         ::testing::Values("tiny_cnn", "resnet18", "resnet50", "densenet121", "googlenet",
                                           "squeezenet1_1", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0",
                                           "shufflenet_v2_x1_0", "mnasnet1_0"));

TEST(Registry, UnknownArchitectureSuggestsAName) {
    try {
        zoo::createModel("mobilenet_v22");
        FAIL();
    } catch (const ModelError& e) {
        EXPECT_NE(std::string(e.what()).find("Did you mean 'mobilenet_v2'"), std::string::npos) << e.what();
    }
}

TEST(Registry, ImageNetCategoriesAreTorchvisions) {
    const auto& c = zoo::imagenetCategories();
    ASSERT_EQ(c.size(), 1000u);
    EXPECT_EQ(c[0], "tench");
    EXPECT_EQ(c[88], "macaw");
    EXPECT_EQ(c[999], "toilet tissue");
}

TEST(Registry, FactsArePresentForTorchvisionModels) {
    std::set<std::string> names;
    for (const auto& e : zoo::registry()) {
        EXPECT_TRUE(names.insert(e.info.name).second) << "duplicate " << e.info.name;
        if (e.info.family.find("not torchvision") != std::string::npos) continue;
        EXPECT_GT(e.info.top1, 40.0) << e.info.name;
        EXPECT_GT(e.info.top5, e.info.top1) << e.info.name;
        EXPECT_GT(e.info.gflops, 0.0) << e.info.name;
        EXPECT_FALSE(e.info.license.empty());
        const auto origin = zoo::provenance(e.info.name);
        if (!origin.thirdParty) {
            EXPECT_EQ(origin.source, "torchvision") << e.info.name;
            EXPECT_EQ(e.info.weightsUrl.rfind("https://download.pytorch.org/models/", 0), 0u) << e.info.name;
        } else {
            // Other projects' weights: their release (or none the cache can take), and the licence says so.
            EXPECT_TRUE(e.info.weightsUrl.empty() || e.info.weightsUrl.rfind("https://github.com/", 0) == 0)
                << e.info.name;
            EXPECT_NE(e.info.license.find("third-party"), std::string::npos) << e.info.name;
        }
    }
}

// Issue 15: Xception (timm's legacy_xception) and ZFNet (pytorchcv) join the
// 32 ImageNet architectures, labelled with where they come from; tiny_cnn
// (the app's own test network) is listed too, so 35 entries in all.
TEST(Registry, ThirtyFourArchitecturesWithTheirSources) {
    EXPECT_EQ(zoo::modelNames().size(), 35u);
    size_t imagenet = 0;
    for (const auto& name : zoo::modelNames())
        if (zoo::provenance(name).source != "Transfer Studio") ++imagenet;
    EXPECT_EQ(imagenet, 34u);
    const auto x = zoo::provenance("xception");
    EXPECT_EQ(x.source, "timm");
    EXPECT_TRUE(x.thirdParty);
    const auto z = zoo::provenance("zfnet");
    EXPECT_EQ(z.source, "pytorchcv");
    EXPECT_TRUE(z.thirdParty);
    EXPECT_FALSE(zoo::provenance("resnet18").thirdParty);
    EXPECT_EQ(zoo::provenance("tiny_cnn").source, "Transfer Studio");
    EXPECT_THROW(zoo::provenance("xceptionn"), ModelError);

    // timm's default config of legacy_xception.
    const auto& xi = zoo::modelInfo("xception");
    EXPECT_EQ(xi.inputSize, 299);
    EXPECT_EQ(xi.resizeSize, 333);
    EXPECT_EQ(xi.interpolation, zoo::Interpolation::Bicubic);
    for (int c = 0; c < 3; ++c) {
        EXPECT_FLOAT_EQ(xi.mean[c], 0.5f);
        EXPECT_FLOAT_EQ(xi.std[c], 0.5f);
    }
    EXPECT_NEAR(xi.top1, 78.9, 0.01);
    EXPECT_EQ(zoo::weightsFileName(xi), "xception-43020ad28.pth");
    // pytorchcv's evaluation of zfnet: 224 crop of 256, ImageNet statistics.
    const auto& zi = zoo::modelInfo("zfnet");
    EXPECT_EQ(zi.inputSize, 224);
    EXPECT_EQ(zi.resizeSize, 256);
    EXPECT_FLOAT_EQ(zi.mean[0], 0.485f);
}

// The module tree carries timm's / pytorchcv's names (the parity tests load
// their state dicts strictly; these are spot checks of the layout).
TEST(Registry, ThirdPartyLayoutsUseTheirProjectsKeys) {
    std::set<std::string> xkeys, zkeys;
    for (const auto& [k, v] : weights::stateDictOf(*zoo::createModel("xception"))) xkeys.insert(k);
    for (const char* k : {"conv1.weight", "bn2.running_var", "block1.rep.0.conv1.weight", "block1.rep.0.pointwise.weight",
                          "block1.skip.weight", "block1.skipbn.bias", "block2.rep.1.conv1.weight",
                          "block4.rep.7.pointwise.weight", "block4.rep.8.running_mean", "block12.rep.4.pointwise.weight", "conv3.conv1.weight",
                          "conv4.pointwise.weight", "bn4.weight", "fc.weight", "fc.bias"})
        EXPECT_TRUE(xkeys.count(k)) << k;
    EXPECT_FALSE(xkeys.count("block4.skip.weight")) << "the middle flow's shortcut is the identity";
    for (const auto& [k, v] : weights::stateDictOf(*zoo::createModel("zfnet"))) zkeys.insert(k);
    EXPECT_EQ(zkeys, (std::set<std::string>{"features.stage1.unit1.conv.weight", "features.stage1.unit1.conv.bias",
                                            "features.stage2.unit1.conv.weight", "features.stage2.unit1.conv.bias",
                                            "features.stage3.unit1.conv.weight", "features.stage3.unit1.conv.bias",
                                            "features.stage3.unit2.conv.weight", "features.stage3.unit2.conv.bias",
                                            "features.stage3.unit3.conv.weight", "features.stage3.unit3.conv.bias",
                                            "output.fc1.fc.weight", "output.fc1.fc.bias", "output.fc2.fc.weight",
                                            "output.fc2.fc.bias", "output.fc3.weight", "output.fc3.bias"}));
    const auto x = zoo::createModel("xception");
    std::vector<std::string> stageNames;
    for (const auto& st : x->stages()) stageNames.push_back(st.name);
    EXPECT_EQ(stageNames, (std::vector<std::string>{"stem", "entry flow", "middle flow", "exit flow", "head"}));
    EXPECT_EQ(x->gradCamLayer(), "act4");
}

TEST(StateDict, WrongArchitectureListsKeys) {
    zoo::Backbone tiny = zoo::createModel("tiny_cnn");
    zoo::Backbone mobilenet = zoo::createModel("mobilenet_v2");
    try {
        weights::applyStateDict(*mobilenet, weights::stateDictOf(*tiny), "tiny.pth", "mobilenet_v2");
        FAIL();
    } catch (const WeightsError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("tiny.pth"), std::string::npos);
        EXPECT_NE(msg.find("missing key(s)"), std::string::npos);
        EXPECT_NE(msg.find("features.1.conv.0.0.weight"), std::string::npos) << msg;
        EXPECT_NE(msg.find("another shape"), std::string::npos) << msg;
    }
}

TEST(StateDict, RoundTripThroughZipFile) {
    test::TempDir dir;
    zoo::Backbone a = zoo::createModel("tiny_cnn", {5});
    weights::writeStateDict(weights::stateDictOf(*a), dir.file("w.pth"));
    zoo::Backbone b = zoo::createModel("tiny_cnn", {5});
    weights::applyStateDict(*b, weights::readStateDict(dir.file("w.pth")), "w.pth", "tiny_cnn");
    const auto sa = weights::stateDictOf(*a);
    const auto sb = weights::stateDictOf(*b);
    for (size_t i = 0; i < sa.size(); ++i) EXPECT_TRUE(sa[i].second.equal(sb[i].second)) << sa[i].first;
}
