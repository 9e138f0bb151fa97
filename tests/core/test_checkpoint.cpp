// Checkpoints (core/train/Checkpoint.h): plain tensors in PyTorch's zip
// pickle format, read with the project's safe reader. The optimizer state
// round-trips so that training continues bit for bit; non-finite metrics
// survive as NaN; crafted, damaged and old-format files give an error that
// names the file.
#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/train/Checkpoint.h"
#include "tests/core/HostileFiles.h"
#include "tests/support/TestSupport.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Functions.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <torch/serialize.h>

#include <cmath>
#include <limits>

using namespace ts;

namespace {

train::CheckpointData sampleData() {
    train::CheckpointData d;
    d.model = {{"fc.weight", at::arange(6, at::kFloat).reshape({2, 3})}, {"fc.bias", at::ones({2})}};
    d.optimizerKind = "adam";
    d.optimizer = {{{{"step", at::scalar_tensor(4, at::kLong)}, {"exp_avg", at::full({2, 3}, 0.5f)},
                     {"exp_avg_sq", at::full({2, 3}, 0.25f)}},
                    {}}};
    auto gen = at::detail::getDefaultCPUGenerator();
    d.rng = gen.get_state();
    d.epochsDone = 2;
    d.step = 40;
    d.bestMetric = 0.75;
    d.hasBest = true;
    d.bestEpoch = 1;
    d.sinceImprovement = 1;
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    for (int e = 1; e <= 2; ++e)
        d.history.push_back({{"epoch", e},
                             {"train_loss", e == 2 ? inf : 0.5},
                             {"train_accuracy", 0.6},
                             {"val_loss", e == 2 ? nan : 0.4},
                             {"val_accuracy", 0.75},
                             {"lr", 0.01},
                             {"seconds", 1.5},
                             {"best", e == 1},
                             {"per_class", {{{"class", "a"}, {"precision", e == 2 ? nan : 1.0}}}}});
    return d;
}

void expectCheckpointError(const std::string& path, const std::vector<std::string>& fragments) {
    SCOPED_TRACE(path);
    try {
        train::readCheckpoint(path);
        ADD_FAILURE() << path << " was read";
    } catch (const Error& e) {
        // WeightsError for a malformed zip or pickle, IoError for the rest.
        EXPECT_TRUE(dynamic_cast<const WeightsError*>(&e) || dynamic_cast<const IoError*>(&e)) << e.what();
        const std::string msg = e.what();
        EXPECT_NE(msg.find(path), std::string::npos) << "the message does not name the file: " << msg;
        for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << "'" << f << "' not in: " << msg;
    }
}

// Runs `steps` optimizer steps of a small regression on `model`.
void fit(torch::nn::Linear& model, torch::optim::Optimizer& opt, int steps, int seed) {
    for (int i = 0; i < steps; ++i) {
        at::manual_seed(seed + i);
        const at::Tensor x = at::randn({8, 4}), y = at::randn({8, 3});
        opt.zero_grad();
        (model(x) - y).pow(2).mean().backward();
        opt.step();
    }
}

} // namespace

TEST(Checkpoint, EverythingRoundTripsAndNonFiniteMetricsComeBackAsNaN) {
    test::TempDir tmp;
    const auto d = sampleData();
    train::writeCheckpoint(d, tmp.file("last.ckpt"));
    const auto back = train::readCheckpoint(tmp.file("last.ckpt"));
    ASSERT_EQ(back.model.size(), 2u);
    EXPECT_TRUE(back.model[0].second.equal(d.model[0].second));
    EXPECT_EQ(back.optimizerKind, "adam");
    ASSERT_EQ(back.optimizer.size(), 1u);
    ASSERT_EQ(back.optimizer[0].size(), 2u);
    EXPECT_EQ(back.optimizer[0][0].at("step").item<int64_t>(), 4);
    EXPECT_TRUE(back.optimizer[0][0].at("exp_avg_sq").equal(at::full({2, 3}, 0.25f)));
    EXPECT_TRUE(back.optimizer[0][1].empty());
    EXPECT_TRUE(back.rng.equal(d.rng));
    EXPECT_EQ(back.epochsDone, 2);
    EXPECT_EQ(back.step, 40);
    EXPECT_EQ(back.bestMetric, 0.75);
    EXPECT_TRUE(back.hasBest);
    EXPECT_EQ(back.bestEpoch, 1);
    EXPECT_EQ(back.sinceImprovement, 1);
    ASSERT_EQ(back.history.size(), 2u);
    EXPECT_EQ(back.history[0]["val_loss"].get<double>(), 0.4);
    EXPECT_TRUE(std::isnan(back.history[1]["val_loss"].get<double>()));
    EXPECT_TRUE(std::isnan(back.history[1]["train_loss"].get<double>())) << "inf is stored as null too";
    EXPECT_TRUE(std::isnan(back.history[1]["per_class"][0]["precision"].get<double>()));
    EXPECT_EQ(back.history[1]["best"].get<bool>(), false);
}

TEST(Checkpoint, OptimizerStateResumesBitForBit) {
    // Two parameter groups (weight and bias, other learning rates), each
    // optimizer the trainer uses: 3 steps, checkpoint, 3 more steps must
    // equal 6 straight steps exactly.
    for (const auto kind : {train::OptimizerKind::SGD, train::OptimizerKind::Adam, train::OptimizerKind::AdamW}) {
        SCOPED_TRACE(train::optimizerKindName(kind));
        auto make = [&](torch::nn::Linear& m) -> std::unique_ptr<torch::optim::Optimizer> {
            std::vector<torch::optim::OptimizerParamGroup> groups;
            auto options = [&](double lr) -> std::unique_ptr<torch::optim::OptimizerOptions> {
                if (kind == train::OptimizerKind::SGD)
                    return std::make_unique<torch::optim::SGDOptions>(torch::optim::SGDOptions(lr).momentum(0.9).nesterov(true));
                if (kind == train::OptimizerKind::Adam)
                    return std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(lr).weight_decay(1e-3));
                return std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(lr));
            };
            groups.emplace_back(std::vector<at::Tensor>{m->weight}, options(0.05));
            groups.emplace_back(std::vector<at::Tensor>{m->bias}, options(0.01));
            if (kind == train::OptimizerKind::SGD)
                return std::make_unique<torch::optim::SGD>(groups, torch::optim::SGDOptions(0.05));
            if (kind == train::OptimizerKind::Adam)
                return std::make_unique<torch::optim::Adam>(groups, torch::optim::AdamOptions(0.05));
            return std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(0.05));
        };
        at::manual_seed(1);
        torch::nn::Linear straight(4, 3);
        torch::nn::Linear resumed(4, 3);
        {
            torch::NoGradGuard noGrad;
            resumed->weight.copy_(straight->weight);
            resumed->bias.copy_(straight->bias);
        }
        auto optStraight = make(straight);
        fit(straight, *optStraight, 6, 100);

        auto optFirst = make(resumed);
        fit(resumed, *optFirst, 3, 100);
        test::TempDir tmp;
        train::CheckpointData d = sampleData();
        d.model = {{"weight", resumed->weight}, {"bias", resumed->bias}};
        d.optimizerKind = train::optimizerKindName(kind);
        d.optimizer = train::optimizerStateOf(*optFirst, kind);
        train::writeCheckpoint(d, tmp.file("c.ckpt"));

        // A fresh model and optimizer, as a resumed process builds them.
        const auto back = train::readCheckpoint(tmp.file("c.ckpt"));
        torch::nn::Linear fresh(4, 3);
        {
            torch::NoGradGuard noGrad;
            fresh->weight.copy_(back.model[0].second);
            fresh->bias.copy_(back.model[1].second);
        }
        auto optFresh = make(fresh);
        train::restoreOptimizerState(*optFresh, kind, back.optimizerKind, back.optimizer, tmp.file("c.ckpt"));
        fit(fresh, *optFresh, 3, 103);
        EXPECT_TRUE(fresh->weight.equal(straight->weight));
        EXPECT_TRUE(fresh->bias.equal(straight->bias));

        // The state does not fit another optimizer, nor other parameters.
        const auto other = kind == train::OptimizerKind::SGD ? train::OptimizerKind::Adam : train::OptimizerKind::SGD;
        try {
            auto o = make(fresh);
            train::restoreOptimizerState(*o, other, back.optimizerKind, back.optimizer, "c.ckpt");
            ADD_FAILURE() << "another optimizer's state was taken";
        } catch (const IoError& e) {
            EXPECT_NE(std::string(e.what()).find("config.json asks for"), std::string::npos) << e.what();
        }
        auto wrongShape = back.optimizer;
        for (auto& [name, t] : wrongShape[0][0])
            if (t.dim() > 0) t = at::zeros({7});
        auto o = make(fresh);
        try {
            train::restoreOptimizerState(*o, kind, back.optimizerKind, wrongShape, "c.ckpt");
            ADD_FAILURE() << "a state of another shape was taken";
        } catch (const IoError& e) {
            EXPECT_NE(std::string(e.what()).find("c.ckpt"), std::string::npos);
            EXPECT_NE(std::string(e.what()).find("shape"), std::string::npos) << e.what();
        }
    }
}

TEST(Checkpoint, CraftedAndOldCheckpointsGiveErrorsNamingTheFile) {
    test::TempDir tmp;
    auto write = [&](const std::string& name, const std::string& bytes) {
        writeFileAtomic(tmp.file(name), bytes);
        return tmp.file(name);
    };
    auto pickleSave = [](const c10::impl::GenericDict& d) {
        const std::vector<char> b = torch::pickle_save(c10::IValue(d));
        return std::string(b.begin(), b.end());
    };
    // The format before this one: the optimizer as a TorchScript archive in
    // a byte tensor, no "version".
    c10::impl::GenericDict old(c10::StringType::get(), c10::AnyType::get());
    old.insert("format", std::string("transfer-studio-checkpoint"));
    old.insert("optimizer", at::zeros({64}, at::kByte));
    expectCheckpointError(write("old.ckpt", pickleSave(old)), {"earlier Transfer Studio", "TorchScript", "cannot be resumed"});

    // A model tensor whose storage record holds 4 bytes.
    test::PickleWriter p;
    p.proto().emptyDict().mark().str("format").str("transfer-studio-checkpoint").str("version").integer(2).str("model");
    p.emptyDict().mark().str("w").tensor("0", 27000, 0, {27000}, {1}).setItems().setItems().stop();
    expectCheckpointError(write("short.ckpt", test::torchZip(p.bytes(), {{"0", std::string(4, '\0')}})),
                          {"holds 4 bytes, less than the 108000"});
    expectCheckpointError(write("memo.ckpt", test::torchZip(test::lit("\x80\x02}r\xf0\xff\xff\xff."), {})), {"memo index"});
    expectCheckpointError(write("text.ckpt", "not a checkpoint"), {"not a PyTorch weights file"});

    // Well-formed files with wrong contents.
    const auto good = pickleSave([] {
        c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
        d.insert("format", std::string("transfer-studio-checkpoint"));
        d.insert("version", int64_t(2));
        return d;
    }());
    expectCheckpointError(write("partial.ckpt", good), {"damaged", "no \"model\" entry"});
    const auto base = sampleData();
    train::CheckpointData deep = base;
    deep.history.clear();
    nlohmann::json nested = nlohmann::json::array();
    for (int i = 0; i < 100; ++i) nested = nlohmann::json::array({nested});
    deep.history.push_back(nested);
    train::writeCheckpoint(deep, tmp.file("deep.ckpt"));
    expectCheckpointError(tmp.file("deep.ckpt"), {"history", "nests arrays or objects more than"});
    train::CheckpointData noEpoch = base;
    noEpoch.history[1].erase("epoch");
    train::writeCheckpoint(noEpoch, tmp.file("epoch.ckpt"));
    expectCheckpointError(tmp.file("epoch.ckpt"), {"history entry 2 has no valid epoch number"});
    train::CheckpointData noLoss = base;
    noLoss.history[0]["val_loss"] = "low";
    train::writeCheckpoint(noLoss, tmp.file("loss.ckpt"));
    expectCheckpointError(tmp.file("loss.ckpt"), {"history entry 1 has no number \"val_loss\""});
    train::CheckpointData badField = base;
    badField.optimizer[0][0]["exp_avg"] = at::zeros({2, 3}, at::kLong);
    train::writeCheckpoint(badField, tmp.file("field.ckpt"));
    const auto read = train::readCheckpoint(tmp.file("field.ckpt"));  // types are checked against the model
    torch::nn::Linear fc(3, 2);
    torch::optim::Adam adam(std::vector<torch::optim::OptimizerParamGroup>{
        torch::optim::OptimizerParamGroup({fc->weight, fc->bias}, std::make_unique<torch::optim::AdamOptions>(0.1))});
    try {
        train::restoreOptimizerState(adam, train::OptimizerKind::Adam, read.optimizerKind, read.optimizer, "field.ckpt");
        ADD_FAILURE() << "an integer moment was taken";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("not floating point"), std::string::npos) << e.what();
    }
}
