// train::evaluate on a run trained here: the run's validation split, a folder
// that overlaps the training data (training images scored apart), a folder of
// other classes, a bundle away from its run.
#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/export/Bundle.h"
#include "core/train/Evaluate.h"
#include "core/train/Trainer.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace ts;
namespace fs = std::filesystem;

namespace {

class EvaluateTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_tmp = new test::TempDir("ts-evaluate");
        test::makeSyntheticDataset(s_tmp->file("data"), 2, 15, 32, 5);
        train::TrainConfig c;
        c.dataDir = s_tmp->file("data");
        c.arch = "tiny_cnn";
        c.pretrained = false;
        c.epochs = 2;
        c.batchSize = 8;
        c.lr = 1e-2;
        c.valFraction = 0.4;
        Feedback feedback;
        s_result = new train::TrainResult(train::trainRun(c, s_tmp->file("run"), {}, feedback));
    }
    static void TearDownTestSuite() {
        delete s_result;
        delete s_tmp;
    }
    static test::TempDir* s_tmp;
    static train::TrainResult* s_result;
};
test::TempDir* EvaluateTest::s_tmp = nullptr;
train::TrainResult* EvaluateTest::s_result = nullptr;

int64_t sum(const std::vector<std::vector<int64_t>>& m) {
    int64_t n = 0;
    for (const auto& row : m)
        for (auto v : row) n += v;
    return n;
}

} // namespace

TEST_F(EvaluateTest, TheRunsValidationSplitGivesTheBestEpochsAccuracy) {
    const std::string run = s_tmp->file("run");
    const auto model = exporting::loadTrainedModel(run);
    const train::EvalReport r = train::evaluate(model, train::runFolderOf(run), "");
    EXPECT_EQ(r.source, train::EvalSource::Manifest);
    EXPECT_EQ(train::toString(r.source), "manifest");
    EXPECT_TRUE(r.trainingImagesKnown);
    EXPECT_EQ(r.classes, (std::vector<std::string>{"class_a", "class_b"}));
    EXPECT_EQ(r.trainingImages, 0u);
    EXPECT_EQ(r.trained.total(), 0);
    EXPECT_EQ(static_cast<size_t>(r.heldOut.total()), r.images);
    EXPECT_EQ(sum(r.heldOut.counts()), r.heldOut.total());
    EXPECT_NEAR(r.accuracy(), s_result->bestValAccuracy, 1e-9) << "the trainer's validation of the best epoch";
    EXPECT_NEAR(r.heldOutLoss, s_result->bestValLoss, 1e-4) << "mean cross-entropy, as the trainer's val_loss";
    // Misclassified: exactly the off-diagonal counts, highest loss first.
    const auto& cm = r.heldOut.counts();
    EXPECT_EQ(static_cast<int64_t>(r.misclassified.size()), cm[0][1] + cm[1][0]);
    for (size_t i = 1; i < r.misclassified.size(); ++i) EXPECT_GE(r.misclassified[i - 1].loss, r.misclassified[i].loss);
    for (const auto& m : r.misclassified) {
        EXPECT_NE(m.truth, m.predicted);
        EXPECT_GT(m.loss, 0.0);
        EXPECT_GE(m.confidence, 0.5) << "the predicted class of two is the likelier one";
    }
    EXPECT_EQ(r.perClass().size(), 2u);
}

TEST_F(EvaluateTest, AFolderOverlappingTheTrainingDataScoresTrainingImagesApart) {
    const std::string run = s_tmp->file("run");
    const auto model = exporting::loadTrainedModel(run + "/model.tsb");
    const train::EvalReport manifest = train::evaluate(model, train::runFolderOf(run + "/model.tsb"), "");
    const train::EvalReport r = train::evaluate(model, train::runFolderOf(run + "/model.tsb"), s_tmp->file("data"));
    EXPECT_EQ(r.source, train::EvalSource::Folder);
    EXPECT_TRUE(r.trainingImagesKnown);
    EXPECT_EQ(r.images, 30u);
    EXPECT_EQ(r.trainingImages, 30u - manifest.images) << "every training image is recognised by content";
    EXPECT_EQ(r.trained.total() + r.heldOut.total(), 30);
    EXPECT_EQ(r.heldOut.counts(), manifest.heldOut.counts()) << "the held-out images are the validation split";
    ASSERT_FALSE(r.warnings.empty());
    EXPECT_NE(r.warnings.front().find("are training images of this model"), std::string::npos) << r.warnings.front();
}

TEST_F(EvaluateTest, RefusesAFolderOfOtherClassesAndABundleAwayFromItsRun) {
    const auto model = exporting::loadTrainedModel(s_tmp->file("run"));
    test::makeSyntheticDataset(s_tmp->file("other"), 3, 2, 32, 9);
    try {
        train::evaluate(model, "", s_tmp->file("other"));
        FAIL() << "a folder with a class the model lacks was scored";
    } catch (const DataError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("class_c"), std::string::npos) << what;
        EXPECT_NE(what.find(s_tmp->file("other")), std::string::npos) << what;
    }
    try {
        train::evaluate(model, "", "");
        FAIL() << "no manifest and no folder, yet something was scored";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("--data FOLDER"), std::string::npos) << e.what();
    }
    // Without a run, a folder is scored with a warning that training images cannot be told apart.
    const train::EvalReport r = train::evaluate(model, "", s_tmp->file("data"));
    EXPECT_FALSE(r.trainingImagesKnown);
    EXPECT_EQ(r.heldOut.total(), 30);
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_NE(r.warnings[0].find("cannot tell which images"), std::string::npos) << r.warnings[0];
}

TEST_F(EvaluateTest, ACancelStopsBetweenBatches) {
    const auto model = exporting::loadTrainedModel(s_tmp->file("run"));
    Feedback feedback;
    feedback.cancel();
    EXPECT_THROW(train::evaluate(model, "", s_tmp->file("data"), &feedback), Cancelled);
}
