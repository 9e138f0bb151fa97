// Resuming runs from their checkpoints: SGD and AdamW state continue bit
// for bit, a run whose metrics became NaN (diverged validation) resumes, and
// a checkpoint in the old TorchScript-optimizer format is refused clearly.
#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/export/Bundle.h"
#include "core/train/Checkpoint.h"
#include "core/train/Trainer.h"
#include "core/weights/StateDict.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/serialize.h>

#include <cmath>
#include <fstream>
#include <limits>

using namespace ts;

namespace {

class Resume : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_data = new test::TempDir("ts-resume-data");
        test::makeSyntheticDataset(s_data->path(), 2, 16, 48, 5);
    }
    static void TearDownTestSuite() {
        delete s_data;
        s_data = nullptr;
    }
    static train::TrainConfig config() {
        train::TrainConfig c;
        c.dataDir = s_data->path();
        c.arch = "tiny_cnn";
        c.pretrained = false;
        c.freeze = train::FreezePreset::none();
        c.epochs = 3;
        c.batchSize = 8;
        c.lr = 1e-2;
        c.seed = 9;
        c.workers = 1;
        return c;
    }
    // Trains `c` in `dir`, cancelled once `stopAfter` epochs are done (0: not).
    static train::TrainResult run(const train::TrainConfig& c, const std::string& dir, int stopAfter) {
        Feedback fb;
        train::TrainerCallbacks cb;
        cb.onEpoch = [&](const train::EpochMetrics& e) {
            if (e.epoch == stopAfter) fb.cancel();
        };
        return train::trainRun(c, dir, cb, fb);
    }
    static std::vector<std::string> lines(const std::string& path) {
        std::ifstream in(path);
        std::vector<std::string> out;
        for (std::string l; std::getline(in, l);) out.push_back(l);
        return out;
    }
    static test::TempDir* s_data;
};
test::TempDir* Resume::s_data = nullptr;

} // namespace

TEST_F(Resume, SgdAndAdamWStateContinueBitForBit) {
    for (const auto kind : {train::OptimizerKind::SGD, train::OptimizerKind::AdamW}) {
        SCOPED_TRACE(train::optimizerKindName(kind));
        test::TempDir runs;
        auto c = config();
        c.optimizer = kind;
        c.momentum = 0.9;
        run(c, runs.file("straight"), 0);
        const auto cut = run(c, runs.file("resumed"), 1);
        ASSERT_TRUE(cut.cancelled);
        ASSERT_EQ(cut.epochsRun, 1);
        Feedback fb;
        const auto done = train::resumeRun(runs.file("resumed"), {}, fb);
        EXPECT_EQ(done.epochsRun, 3);
        const auto a = train::readCheckpoint(runs.file("straight/checkpoints/last.ckpt"));
        const auto b = train::readCheckpoint(runs.file("resumed/checkpoints/last.ckpt"));
        ASSERT_EQ(a.model.size(), b.model.size());
        for (size_t i = 0; i < a.model.size(); ++i)
            EXPECT_TRUE(a.model[i].second.equal(b.model[i].second)) << a.model[i].first;
        ASSERT_EQ(a.history.size(), 3u);
        ASSERT_EQ(b.history.size(), 3u);
        for (size_t e = 0; e < 3; ++e)
            for (const char* key : {"train_loss", "val_loss", "val_accuracy"})
                EXPECT_EQ(a.history[e][key].get<double>(), b.history[e][key].get<double>()) << key << " epoch " << e + 1;
    }
}

TEST_F(Resume, RunWhoseMetricsBecameNaNResumes) {
    // A diverged validation (NaN loss, inf accuracy-like values) is stored as
    // JSON null; resuming used to fail on it.
    test::TempDir runs;
    const std::string dir = runs.file("run");
    auto c = config();
    const auto cut = run(c, dir, 1);
    ASSERT_EQ(cut.epochsRun, 1);
    const std::string ckpt = dir + "/checkpoints/last.ckpt";
    auto data = train::readCheckpoint(ckpt);
    ASSERT_EQ(data.history.size(), 1u);
    data.history[0]["val_loss"] = std::numeric_limits<double>::quiet_NaN();
    data.history[0]["train_loss"] = std::numeric_limits<double>::infinity();
    data.history[0]["per_class"][0]["precision"] = std::numeric_limits<double>::quiet_NaN();
    train::writeCheckpoint(data, ckpt);

    Feedback fb;
    const auto done = train::resumeRun(dir, {}, fb);
    EXPECT_EQ(done.epochsRun, 3);
    const auto jsonl = lines(dir + "/metrics.jsonl");
    ASSERT_EQ(jsonl.size(), 3u);
    const auto first = nlohmann::json::parse(jsonl[0]);
    EXPECT_TRUE(first["val_loss"].is_null()) << jsonl[0];
    EXPECT_TRUE(first["train_loss"].is_null()) << jsonl[0];
    EXPECT_TRUE(nlohmann::json::parse(jsonl[1])["val_loss"].is_number());
    const auto csv = lines(dir + "/metrics.csv");
    ASSERT_EQ(csv.size(), 4u);
    EXPECT_NE(csv[1].find("nan"), std::string::npos) << csv[1];
    const auto back = train::readCheckpoint(ckpt);
    EXPECT_TRUE(std::isnan(back.history[0]["val_loss"].get<double>()));
    EXPECT_FALSE(std::isnan(back.history[2]["val_loss"].get<double>()));
}

TEST_F(Resume, OldFormatCheckpointIsRefusedWithAMessage) {
    test::TempDir runs;
    const std::string dir = runs.file("run");
    run(config(), dir, 1);
    // What the previous format stored: the optimizer as a TorchScript
    // archive (here any bytes) in a uint8 tensor, and no version.
    c10::impl::GenericDict old(c10::StringType::get(), c10::AnyType::get());
    old.insert("format", std::string("transfer-studio-checkpoint"));
    old.insert("optimizer", at::zeros({128}, at::kByte));
    old.insert("epochs_done", int64_t(1));
    const std::vector<char> bytes = torch::pickle_save(c10::IValue(old));
    writeFileAtomic(dir + "/checkpoints/last.ckpt", std::string(bytes.begin(), bytes.end()));
    Feedback fb;
    try {
        train::resumeRun(dir, {}, fb);
        FAIL() << "an old checkpoint was resumed";
    } catch (const IoError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(dir + "/checkpoints/last.ckpt"), std::string::npos) << msg;
        EXPECT_NE(msg.find("earlier Transfer Studio"), std::string::npos) << msg;
    }
}
