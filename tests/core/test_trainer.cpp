// The training engine on generated datasets: it learns, freezing holds,
// the feature cache equals the full path, schedules and configs behave.
#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/export/Bundle.h"
#include "core/train/FreezePlan.h"
#include "core/train/Metrics.h"
#include "core/train/Schedule.h"
#include "core/train/TrainConfig.h"
#include "core/train/Trainer.h"
#include "core/weights/StateDict.h"
#include "core/zoo/Registry.h"
#include "tests/support/TestSupport.h"

#include <ATen/Functions.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <torch/csrc/autograd/grad_mode.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace ts;
namespace fs = std::filesystem;

namespace {

train::TrainConfig tinyConfig(const std::string& data) {
    train::TrainConfig c;
    c.dataDir = data;
    c.arch = "tiny_cnn";
    c.pretrained = false;
    c.epochs = 6;
    c.batchSize = 16;
    c.lr = 1e-2;
    c.seed = 7;
    c.workers = 2;
    return c;
}

class TrainerTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_data = new test::TempDir("ts-train-data");
        test::makeSyntheticDataset(s_data->path(), 3, 30, 72, 11);
    }
    static void TearDownTestSuite() {
        delete s_data;
        s_data = nullptr;
    }
    static test::TempDir* s_data;
};
test::TempDir* TrainerTest::s_data = nullptr;

std::map<std::string, at::Tensor> stateOf(const zoo::BackboneImpl& m) {
    std::map<std::string, at::Tensor> out;
    for (const auto& [k, v] : weights::stateDictOf(m)) out[k] = v.detach().clone();
    return out;
}

} // namespace

TEST_F(TrainerTest, FeatureExtractionLearnsAndWritesTheRunFolder) {
    test::TempDir runs;
    const std::string dir = runs.file("run");
    Feedback fb;
    std::vector<train::EpochMetrics> epochs;
    int batches = 0;
    train::TrainerCallbacks cb;
    cb.batchIntervalMs = 0;
    cb.onEpoch = [&](const train::EpochMetrics& e) { epochs.push_back(e); };
    cb.onBatch = [&](const train::BatchEvent& e) {
        ++batches;
        EXPECT_GT(e.imagesPerSec, 0.0);
    };
    // Random (untrained) conv features: colour separates the classes, a
    // linear head on them has to find it.
    auto c = tinyConfig(s_data->path());
    c.epochs = 20;
    c.lr = 0.03;
    const auto r = train::trainRun(c, dir, cb, fb);
    EXPECT_TRUE(r.usedFeatureCache);
    ASSERT_EQ(epochs.size(), 20u);
    EXPECT_GT(batches, 0);
    EXPECT_GT(r.bestValAccuracy, 0.8) << "3 classes: chance is 0.33";
    EXPECT_EQ(epochs.back().confusion.size(), 3u);
    for (const char* f : {"config.json", "manifest.json", "metrics.jsonl", "metrics.csv", "train.log",
                          "checkpoints/last.ckpt", "checkpoints/best.ckpt", "model.tsb"})
        EXPECT_TRUE(fs::exists(dir + "/" + f)) << f;
    std::ifstream in(dir + "/metrics.jsonl");
    std::string line;
    int lines = 0;
    while (std::getline(in, line)) {
        const auto j = nlohmann::json::parse(line);
        for (const char* k : {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds"})
            EXPECT_TRUE(j.contains(k)) << k;
        ++lines;
    }
    EXPECT_EQ(lines, 20);
    // The bundle reproduces the best epoch's validation accuracy.
    const auto loaded = exporting::loadTrainedModel(dir);
    EXPECT_EQ(loaded.meta.classes.size(), 3u);
    EXPECT_EQ(loaded.meta.arch, "tiny_cnn");
}

TEST_F(TrainerTest, FineTuningEverythingLearns) {
    test::TempDir runs;
    Feedback fb;
    auto c = tinyConfig(s_data->path());
    c.freeze = train::FreezePreset::none();
    c.augment.preset = data::AugmentPreset::None;
    const auto r = train::trainRun(c, runs.file("run"), {}, fb);
    EXPECT_FALSE(r.usedFeatureCache);
    EXPECT_GT(r.bestValAccuracy, 0.8);
}

TEST_F(TrainerTest, FrozenWeightsAndBatchNormStatisticsStayBitIdentical) {
    // last:1 trains features.3 and the head; everything before must not move.
    test::TempDir runs;
    Feedback fb;
    auto c = tinyConfig(s_data->path());
    c.freeze = train::FreezePreset::last(1);
    c.epochs = 2;
    torch::manual_seed(c.seed);
    zoo::Backbone reference = zoo::createModel("tiny_cnn", {3});
    const auto before = stateOf(*reference);
    train::trainRun(c, runs.file("run"), {}, fb);
    const auto trained = exporting::loadTrainedModel(runs.file("run"));
    const auto after = stateOf(*trained.model);
    int frozenChecked = 0, trainedMoved = 0;
    for (const auto& [k, v] : before) {
        if (k.rfind("features.3", 0) == 0 || k.rfind("classifier", 0) == 0) {
            if (!v.equal(after.at(k)) && k.find("num_batches") == std::string::npos) ++trainedMoved;
            continue;
        }
        EXPECT_TRUE(v.equal(after.at(k))) << k << " changed although frozen";
        ++frozenChecked;
    }
    EXPECT_GT(frozenChecked, 10);  // weights, BN weight/bias and running_mean/var of 3 stages
    EXPECT_GT(trainedMoved, 3);
}

TEST_F(TrainerTest, StageLearningRateMultipliersScaleEachStagesStep) {
    // One plain SGD step over the whole training set: a stage's update is
    // its multiplier times the update it gets at x1, and a stage at x0 does
    // not move; what lies after it gets the same gradient either way.
    auto c = tinyConfig(s_data->path());
    c.freeze = train::FreezePreset::none();
    c.epochs = 1;
    c.batchSize = 1000;
    c.optimizer = train::OptimizerKind::SGD;
    c.momentum = 0.0;
    c.lr = 0.05;
    torch::manual_seed(c.seed);
    const auto init = stateOf(*zoo::createModel("tiny_cnn", {3}));

    auto trainWith = [&](const std::map<std::string, double>& multipliers, const std::string& name) {
        test::TempDir runs;
        Feedback fb;
        auto cfg = c;
        cfg.stageLrMultipliers = multipliers;
        train::trainRun(cfg, runs.file(name), {}, fb);
        std::ifstream log(runs.file(name + "/train.log"));
        const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
        EXPECT_EQ(text.find("Learning-rate multipliers") != std::string::npos, !multipliers.empty()) << text;
        return stateOf(*exporting::loadTrainedModel(runs.file(name)).model);
    };
    const auto plain = trainWith({}, "plain");
    const auto graded = trainWith({{"features.1", 0.5}, {"features.2", 0.0}, {"head", 2.0}}, "graded");

    auto step = [&](const std::map<std::string, at::Tensor>& after, const std::string& key) { return after.at(key) - init.at(key); };
    for (const std::string key : {"features.1.0.weight", "features.1.1.weight", "features.1.1.bias"}) {
        ASSERT_GT(step(plain, key).abs().max().item<double>(), 0.0) << key;
        EXPECT_TRUE(at::allclose(step(graded, key), 0.5 * step(plain, key), 1e-4, 1e-7)) << key;
    }
    for (const std::string key : {"features.2.0.weight", "features.2.1.weight", "features.2.1.bias"})
        EXPECT_TRUE(graded.at(key).equal(init.at(key))) << key << " moved at x0";
    for (const std::string key : {"features.0.0.weight", "features.3.0.weight"})
        EXPECT_TRUE(at::allclose(graded.at(key), plain.at(key), 1e-5, 1e-7)) << key;
    EXPECT_TRUE(at::allclose(step(graded, "classifier.0.weight"), 2.0 * step(plain, "classifier.0.weight"), 1e-4, 1e-7));

    // An unknown stage names the valid ones.
    test::TempDir runs;
    Feedback fb;
    auto bad = c;
    bad.stageLrMultipliers = {{"layer4", 0.1}};
    try {
        train::trainRun(bad, runs.file("bad"), {}, fb);
        FAIL() << "an unknown stage was accepted";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("features.3"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("layer4"), std::string::npos) << e.what();
    }
    bad.stageLrMultipliers = {{"features.1", -1.0}};
    EXPECT_THROW(bad.validate(), ConfigError);
}

TEST_F(TrainerTest, LrFinderReportsEveryStepAsItGoes) {
    auto c = tinyConfig(s_data->path());
    Feedback fb;
    std::vector<std::pair<double, double>> seen;
    const auto r = train::lrFind(c, fb, 30, 1e-5, 1.0, [&](double lr, double loss) { seen.emplace_back(lr, loss); });
    ASSERT_EQ(seen.size(), r.lrs.size());
    ASSERT_GE(seen.size(), 10u);
    for (size_t i = 0; i < seen.size(); ++i) {
        EXPECT_EQ(seen[i].first, r.lrs[i]);
        EXPECT_EQ(seen[i].second, r.losses[i]);
        if (i > 0) EXPECT_GT(seen[i].first, seen[i - 1].first);
    }
    EXPECT_GT(r.suggestedLr, 0.0);
}

TEST_F(TrainerTest, AllEvalBatchNormPolicyKeepsStatisticsButTrainsTheRest) {
    test::TempDir runs;
    Feedback fb;
    auto c = tinyConfig(s_data->path());
    c.freeze = train::FreezePreset::none();
    c.epochs = 2;
    c.batchNormPolicy = train::BatchNormPolicy::AllEval;
    torch::manual_seed(c.seed);
    const auto before = stateOf(*zoo::createModel("tiny_cnn", {3}));
    train::trainRun(c, runs.file("run"), {}, fb);
    const auto after = stateOf(*exporting::loadTrainedModel(runs.file("run")).model);
    int statsKept = 0, affineMoved = 0;
    for (int i = 0; i < 4; ++i) {
        const std::string bn = "features." + std::to_string(i) + ".1.";
        for (const char* stat : {"running_mean", "running_var"}) {
            EXPECT_TRUE(before.at(bn + stat).equal(after.at(bn + stat))) << bn << stat << " was updated";
            ++statsKept;
        }
        if (!before.at(bn + "weight").equal(after.at(bn + "weight"))) ++affineMoved;
        EXPECT_FALSE(before.at("features." + std::to_string(i) + ".0.weight").equal(after.at("features." + std::to_string(i) + ".0.weight")));
    }
    EXPECT_EQ(statsKept, 8);
    EXPECT_EQ(affineMoved, 4);
    // The default policy updates the statistics of trainable BatchNorm layers.
    c.batchNormPolicy = train::BatchNormPolicy::FrozenEval;
    train::trainRun(c, runs.file("default"), {}, fb);
    const auto byDefault = stateOf(*exporting::loadTrainedModel(runs.file("default")).model);
    EXPECT_FALSE(before.at("features.0.1.running_mean").equal(byDefault.at("features.0.1.running_mean")));
    EXPECT_THROW(train::batchNormPolicyFromString("eval"), ConfigError);
    c.batchNormPolicy = static_cast<train::BatchNormPolicy>(7);  // not in the name table
    EXPECT_THROW(c.validate(), ConfigError);
}

TEST_F(TrainerTest, FeatureCacheGivesTheSameHeadAsTheFullPath) {
    test::TempDir runs;
    auto c = tinyConfig(s_data->path());
    c.epochs = 3;
    Feedback fb1, fb2;
    const auto cached = train::trainRun(c, runs.file("cached"), {}, fb1);
    c.featureCache = train::FeatureCache::Off;
    const auto full = train::trainRun(c, runs.file("full"), {}, fb2);
    ASSERT_TRUE(cached.usedFeatureCache);
    ASSERT_FALSE(full.usedFeatureCache);
    const auto a = exporting::loadTrainedModel(runs.file("cached"));
    const auto b = exporting::loadTrainedModel(runs.file("full"));
    const auto sa = stateOf(*a.model), sb = stateOf(*b.model);
    for (const auto& [k, v] : sa)
        EXPECT_TRUE(at::allclose(v.to(at::kDouble), sb.at(k).to(at::kDouble), 1e-4, 1e-5)) << k;
    EXPECT_NEAR(cached.bestValAccuracy, full.bestValAccuracy, 1e-9);
}

TEST_F(TrainerTest, CancelStopsBetweenBatchesAndResumeFinishes) {
    test::TempDir runs;
    const std::string dir = runs.file("run");
    auto c = tinyConfig(s_data->path());
    c.freeze = train::FreezePreset::none();
    c.epochs = 3;
    Feedback fb;
    train::TrainerCallbacks cb;
    cb.onEpoch = [&](const train::EpochMetrics& e) {
        if (e.epoch == 1) fb.cancel();
    };
    const auto r = train::trainRun(c, dir, cb, fb);
    EXPECT_TRUE(r.cancelled);
    EXPECT_EQ(r.epochsRun, 1);
    Feedback fb2;
    const auto resumed = train::resumeRun(dir, {}, fb2);
    EXPECT_FALSE(resumed.cancelled);
    EXPECT_EQ(resumed.epochsRun, 3);
}

TEST_F(TrainerTest, EachEpochLendsTheCurrentModelInEvalModeAndTrainingGoesOn) {
    // last:1 keeps features.0-2 frozen (BatchNorm in eval) while features.3
    // and the head train: after the probe the trainer must restore exactly that.
    test::TempDir runs;
    auto c = tinyConfig(s_data->path());
    c.freeze = train::FreezePreset::last(1);
    c.epochs = 3;
    Feedback fb;
    train::TrainerCallbacks cb;
    std::vector<int> epochs;
    std::vector<at::Tensor> probes;
    const at::Tensor probe = at::rand({2, 3, 64, 64});
    cb.onEpochModel = [&](zoo::BackboneImpl& model, const train::EpochMetrics& e) {
        epochs.push_back(e.epoch);
        for (const auto& m : model.modules()) EXPECT_FALSE(m->is_training()) << "the model is lent in eval mode";
        EXPECT_EQ(model.numClasses(), 3);
        torch::NoGradGuard noGrad;
        probes.push_back(model.forward(probe).clone());
    };
    int batchesAfterProbe = 0;
    cb.onBatch = [&](const train::BatchEvent& b) {
        if (b.epoch > 1) ++batchesAfterProbe;
    };
    cb.batchIntervalMs = 0;
    const auto r = train::trainRun(c, runs.file("run"), cb, fb);
    EXPECT_EQ(epochs, (std::vector<int>{1, 2, 3}));
    EXPECT_GT(batchesAfterProbe, 0);
    ASSERT_EQ(probes.size(), 3u);
    EXPECT_FALSE(at::equal(probes[0], probes[2])) << "the lent model is the current one, its weights move";
    EXPECT_EQ(r.epochsRun, 3);
}

TEST_F(TrainerTest, ImagesOverThePixelBudgetAreSkippedAndReported) {
    // The synthetic images are 72 x 72 (5184 pixels); one 200 x 200 image is
    // over a budget of 0.01 megapixels and must be skipped, never decoded.
    test::TempDir data("ts-train-limits");
    test::makeSyntheticDataset(data.path(), 2, 6, 72, 3);
    const std::string big = data.file("class_a/big.png");
    ASSERT_TRUE(fs::exists(data.file("class_a"))) << "the synthetic dataset's class folders are named class_a, class_b, ...";
    cv::imwrite(big, cv::Mat(200, 200, CV_8UC3, cv::Scalar(10, 200, 30)));
    auto c = tinyConfig(data.path());
    c.epochs = 1;
    c.maxImageMegapixels = 0.01;
    test::TempDir run("ts-train-limits-run");
    Feedback feedback;
    const auto result = train::trainRun(c, run.file("r"), {}, feedback);
    bool reported = false;
    for (const auto& s : result.skippedFiles) reported = reported || s.find("big.png") != std::string::npos;
    EXPECT_TRUE(reported) << "the image over the budget is not listed as skipped";
    EXPECT_NE(readFile(run.file("r/skipped.json")).find("big.png"), std::string::npos);
    EXPECT_EQ(result.skippedFiles.size(), 1u) << "only the large image is over the budget";
}

TEST_F(TrainerTest, NonFiniteLossStopsWithAdvice) {
    test::TempDir runs;
    auto c = tinyConfig(s_data->path());
    c.freeze = train::FreezePreset::none();
    // Pretrained weights holding a NaN (a damaged file) make the first loss NaN.
    zoo::Backbone damaged = zoo::createModel("tiny_cnn");
    {
        torch::NoGradGuard noGrad;
        damaged->moduleAt("features.2.0")->named_parameters()["weight"].view(-1)[5] = std::nan("");
    }
    weights::writeStateDict(weights::stateDictOf(*damaged), runs.file("damaged.pth"));
    c.weightsFile = runs.file("damaged.pth");
    c.epochs = 2;
    Feedback fb;
    try {
        train::trainRun(c, runs.file("run"), {}, fb);
        FAIL() << "expected TrainingDiverged";
    } catch (const train::TrainingDiverged& e) {
        EXPECT_NE(std::string(e.what()).find("Lower the learning rate"), std::string::npos) << e.what();
    }
}

TEST(TrainConfig, JsonRoundTripAndUnknownKeys) {
    train::TrainConfig c;
    c.dataDir = "/data";
    c.arch = "resnet50";
    c.freeze = train::FreezePreset::last(2);
    c.schedule = train::ScheduleKind::Cosine;
    c.augment.preset = data::AugmentPreset::Standard;
    c.augment.hue = 0.1;
    EXPECT_TRUE(train::toJson(c).at("stage_lr_multipliers").is_object());
    EXPECT_EQ(train::toJson(train::trainConfigFromJson(train::toJson(c))), train::toJson(c));
    c.stageLrMultipliers = {{"layer3", 0.3}, {"layer4", 1.0}};
    const auto back = train::trainConfigFromJson(train::toJson(c));
    EXPECT_EQ(back.stageLrMultipliers, c.stageLrMultipliers);
    EXPECT_EQ(train::toJson(back), train::toJson(c));
    auto j = train::toJson(c);
    j["learning_rate"] = 0.1;
    EXPECT_THROW(train::trainConfigFromJson(j), ConfigError);
    EXPECT_THROW(train::freezePresetFromString("last"), ConfigError);
    c.freeze = train::FreezePreset::last(train::kMaxFreezeLastStages + 1);
    EXPECT_THROW(c.validate(), ConfigError);
}

TEST(TrainConfig, LoadsFromAConfigFileOrADesktopProject) {
    test::TempDir dir;
    train::TrainConfig c;
    c.dataDir = "/data/flowers";
    c.arch = "efficientnet_b0";
    c.epochs = 17;
    c.precision = train::Precision::Mixed;
    train::saveTrainConfig(c, dir.file("config.json"));
    EXPECT_EQ(train::toJson(train::loadTrainConfig(dir.file("config.json"))), train::toJson(c));
    nlohmann::json project = {{"format", "transfer-studio-project"}, {"version", 2}, {"config", train::toJson(c)},
                              {"ui", {{"page", 3}}}};
    std::ofstream(dir.file("p.tsproj")) << project.dump(2);
    EXPECT_EQ(train::toJson(train::loadTrainConfig(dir.file("p.tsproj"))), train::toJson(c));
    project["config"]["epochz"] = 3;
    std::ofstream(dir.file("bad.tsproj")) << project.dump(2);
    try {
        train::loadTrainConfig(dir.file("bad.tsproj"));
        ADD_FAILURE() << "an unknown key must be an error";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("bad.tsproj"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("epochz"), std::string::npos) << e.what();
    }
}

TEST(Schedule, ShapesAreRight) {
    train::TrainConfig c;
    c.lr = 0.1;
    c.epochs = 10;
    c.schedule = train::ScheduleKind::Cosine;
    EXPECT_NEAR(train::learningRateAt(c, 0, 10), 0.1, 1e-12);
    EXPECT_LT(train::learningRateAt(c, 99, 10), 0.001);
    c.schedule = train::ScheduleKind::Step;
    c.stepEpochs = 3;
    EXPECT_NEAR(train::learningRateAt(c, 35, 10), 0.01, 1e-12);
    c.warmupEpochs = 1;
    EXPECT_NEAR(train::learningRateAt(c, 0, 10), 0.01, 1e-12);
    c.schedule = train::ScheduleKind::OneCycle;
    const auto curve = train::scheduleCurve(c, 10);
    const auto peak = std::max_element(curve.begin(), curve.end());
    EXPECT_NEAR(*peak, 0.1, 1e-6);
    EXPECT_NEAR(static_cast<double>(peak - curve.begin()) / curve.size(), 0.3, 0.03);
    EXPECT_LT(curve.back(), 1e-4);
}

TEST(Metrics, PerClassPrecisionRecall) {
    train::ConfusionMatrix cm(2);
    for (int i = 0; i < 8; ++i) cm.add(0, 0);
    for (int i = 0; i < 2; ++i) cm.add(0, 1);
    for (int i = 0; i < 5; ++i) cm.add(1, 1);
    EXPECT_NEAR(cm.accuracy(), 13.0 / 15, 1e-12);
    const auto pc = cm.perClass();
    EXPECT_NEAR(pc[0].recall, 0.8, 1e-12);
    EXPECT_NEAR(pc[0].precision, 1.0, 1e-12);
    EXPECT_NEAR(pc[1].precision, 5.0 / 7, 1e-12);
    EXPECT_EQ(pc[1].support, 5);
}

TEST(FreezePlan, PresetsAndUnknownStage) {
    zoo::Backbone m = zoo::createModel("mobilenet_v2", {4});
    const auto fe = train::FreezePlan(*m, {train::FreezePreset::featureExtraction()}).apply(*m);
    EXPECT_TRUE(fe.backboneFrozen);
    EXPECT_EQ(fe.trainableParams, 1280 * 4 + 4);
    const auto last2 = train::FreezePlan(*m, {train::FreezePreset::last(2)}).apply(*m);
    EXPECT_FALSE(last2.backboneFrozen);
    EXPECT_GT(last2.trainableParams, fe.trainableParams);
    const auto all = train::FreezePlan(*m, {train::FreezePreset::none()}).apply(*m);
    EXPECT_EQ(all.frozenParams, 0);
    train::FreezeSpec spec{train::FreezePreset::featureExtraction()};
    spec.trainStages = {"features.99"};
    EXPECT_THROW(train::FreezePlan(*m, spec), ConfigError);
    // Frozen BatchNorm stays in eval mode in train mode.
    train::FreezePlan(*m, {train::FreezePreset::last(1)}).apply(*m);
    train::FreezePlan::setTrainMode(*m);
    EXPECT_FALSE(m->moduleAt("features.0.1")->is_training());
    EXPECT_TRUE(m->moduleAt("features.18.1")->is_training());
    // all-eval: trainable BatchNorm layers too, and nothing else changes.
    train::FreezePlan(*m, {train::FreezePreset::none()}).apply(*m);
    train::FreezePlan::setTrainMode(*m, /*allBatchNormEval=*/true);
    EXPECT_FALSE(m->moduleAt("features.18.1")->is_training());
    EXPECT_TRUE(m->moduleAt("features.18.0")->is_training());
    EXPECT_TRUE(m->moduleAt("classifier")->is_training());
}
