// Calibrated confidence (core/train/Calibration.h): the temperature fit, the
// expected calibration error, the unknown threshold, and the bundle's
// calibration entry (older bundles read as T = 1; hostile values refused).
#include "core/common/Error.h"
#include "core/export/Bundle.h"
#include "core/train/Calibration.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <torch/torch.h>

#include <cmath>

using namespace ts;

namespace {

/// Logits (n, classes) and labels drawn from softmax(logits / trueT): a model
/// whose probabilities are right once divided by trueT.
std::pair<at::Tensor, at::Tensor> sampledFrom(int64_t n, int64_t classes, double trueT, uint64_t seed) {
    torch::manual_seed(seed);
    const at::Tensor logits = torch::randn({n, classes}, at::kDouble) * 4.0;
    const at::Tensor labels = torch::multinomial((logits / trueT).softmax(1), 1).view({-1});
    return {logits.to(at::kFloat), labels};
}

exporting::BundleMeta baseMeta() {
    exporting::BundleMeta m;
    m.arch = "tiny_cnn";
    m.classes = {"a", "b"};
    m.transform.resizeSize = 40;
    m.transform.cropSize = 32;
    return m;
}

} // namespace

TEST(Temperature, RecoversTheTemperatureOfSampledLabelsAndLowersNllAndEce) {
    for (const double trueT : {0.5, 2.5}) {
        SCOPED_TRACE(trueT);
        const auto [logits, labels] = sampledFrom(6000, 4, trueT, 3);
        const double t = train::fitTemperature(logits, labels);
        EXPECT_NEAR(t, trueT, 0.1 * trueT);
        EXPECT_EQ(train::fitTemperature(logits, labels), t) << "deterministic";
        EXPECT_LT(train::meanNll(logits, labels, t), train::meanNll(logits, labels, 1.0));
        EXPECT_LE(train::meanNll(logits, labels, t), train::meanNll(logits, labels, t * 1.05));
        EXPECT_LE(train::meanNll(logits, labels, t), train::meanNll(logits, labels, t / 1.05));
        const auto c = train::calibrate(logits, labels, 0.0);
        EXPECT_EQ(c.temperature, t);
        EXPECT_LT(c.eceAfter, c.eceBefore);
        EXPECT_LT(c.eceAfter, 0.03);
        EXPECT_EQ(c.unknownThreshold, 0.0) << "no target, no threshold";
    }
    // No images: T = 1.
    EXPECT_EQ(train::fitTemperature(torch::zeros({0, 3}), torch::zeros({0}, at::kLong)), 1.0);
}

TEST(Ece, MatchesAHandComputedExample) {
    // Four images, 2 classes: confidences 0.9 (right), 0.9 (wrong), 0.6 (right), 0.55 (right).
    const at::Tensor p = torch::tensor({0.9, 0.1, 0.1, 0.9, 0.6, 0.4, 0.45, 0.55}, at::kDouble).view({4, 2});
    const at::Tensor y = torch::tensor({0, 0, 0, 1}, at::kLong);
    // 15 bins of width 1/15: 0.9 -> bin 13 (0.8667, 0.9333]; 0.6 -> bin 8 (0.5333, 0.6]; 0.55 -> bin 8.
    // ECE = 2/4 |0.5 - 0.9| + 2/4 |1 - 0.575| = 0.2 + 0.2125.
    EXPECT_NEAR(train::expectedCalibrationError(p, y), 0.4125, 1e-12);
    const auto bins = train::reliabilityBins(p, y);
    ASSERT_EQ(bins.size(), 15u);
    EXPECT_EQ(bins[13].count, 2);
    EXPECT_NEAR(bins[13].accuracy, 0.5, 1e-12);
    EXPECT_EQ(bins[8].count, 2);
    EXPECT_NEAR(bins[8].confidence, 0.575, 1e-12);
    EXPECT_EQ(train::expectedCalibrationError(torch::zeros({0, 2}), torch::zeros({0}, at::kLong)), 0.0);
}

TEST(UnknownThreshold, AcceptsTheTargetShareOfTheImages) {
    torch::manual_seed(5);
    for (const int64_t n : {int64_t(1), int64_t(19), int64_t(20), int64_t(101), int64_t(1000)}) {
        for (const double target : {0.5, 0.9, 0.95, 1.0}) {
            const at::Tensor scores = torch::rand({n}, at::kDouble);
            const double t = train::chooseUnknownThreshold(scores, target);
            const auto accepted = scores.ge(t).sum().item<int64_t>();
            EXPECT_EQ(accepted, static_cast<int64_t>(std::ceil(target * double(n) - 1e-9))) << n << " " << target;
            EXPECT_NEAR(train::acceptedShare(scores, t), double(accepted) / double(n), 1e-12);
        }
    }
    EXPECT_EQ(train::chooseUnknownThreshold(torch::rand({10}), 0.0), 0.0) << "0 turns it off";
    EXPECT_EQ(train::chooseUnknownThreshold(torch::zeros({0}), 0.95), 0.0);
    // On calibrated probabilities, through calibrate().
    const auto [logits, labels] = sampledFrom(400, 3, 1.5, 9);
    const auto c = train::calibrate(logits, labels, 0.95);
    EXPECT_EQ(c.targetRecall, 0.95);
    EXPECT_NEAR(c.recall, 0.95, 1.0 / 400);
    EXPECT_GT(c.unknownThreshold, 1.0 / 3.0);
    EXPECT_LT(c.unknownThreshold, 1.0);
}

TEST(OutOfDistributionScores, MaxProbabilityAndEnergySeparateConfidentFromFlatLogits) {
    torch::manual_seed(2);
    const at::Tensor in = torch::randn({200, 5}) + torch::nn::functional::one_hot(torch::randint(5, {200}), 5) * 6.0;
    const at::Tensor out = torch::randn({200, 5});
    EXPECT_GT(train::separationAuroc(train::maxProbability(in, 1.0), train::maxProbability(out, 1.0)), 0.95);
    EXPECT_GT(train::separationAuroc(train::energyScore(in, 1.0), train::energyScore(out, 1.0)), 0.95);
    EXPECT_EQ(train::separationAuroc(torch::ones({3}), torch::ones({4})), 0.5) << "ties count half";
}

TEST(BundleCalibration, OldBundlesReadAsUncalibratedAndHostileValuesAreRefused) {
    nlohmann::json j = baseMeta().toJson();
    ASSERT_TRUE(j.contains("calibration"));
    j.erase("calibration");
    const auto old = exporting::BundleMeta::fromJson(j, "old.tsb");
    EXPECT_EQ(old.temperature, 1.0);
    EXPECT_EQ(old.unknownThreshold, 0.0);

    exporting::BundleMeta m = baseMeta();
    m.temperature = 1.75;
    m.unknownThreshold = 0.625;
    m.unknownTargetRecall = 0.95;
    const auto back = exporting::BundleMeta::fromJson(m.toJson(), "new.tsb");
    EXPECT_EQ(back.temperature, 1.75);
    EXPECT_EQ(back.unknownThreshold, 0.625);
    EXPECT_EQ(back.unknownTargetRecall, 0.95);

    const std::vector<std::pair<std::string, nlohmann::json>> hostile = {
        {"temperature", -1.0},         {"temperature", 0.0},     {"temperature", 1e300},
        {"temperature", "2"},          {"temperature", nullptr}, {"unknown_threshold", 1.5},
        {"unknown_threshold", -0.1},   {"unknown_target_recall", 7}};
    for (const auto& [key, value] : hostile) {
        nlohmann::json h = m.toJson();
        h["calibration"][key] = value;
        try {
            exporting::BundleMeta::fromJson(h, "hostile.tsb");
            ADD_FAILURE() << key << " = " << value.dump() << " was accepted";
        } catch (const WeightsError& e) {
            EXPECT_NE(std::string(e.what()).find("hostile.tsb"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("calibration." + key), std::string::npos) << e.what();
        }
    }
    nlohmann::json notObject = m.toJson();
    notObject["calibration"] = "hot";
    EXPECT_THROW(exporting::BundleMeta::fromJson(notObject, "x.tsb"), WeightsError);
}
