// The training CLI end to end: train --json, kill -9 then resume equals an
// uninterrupted run, eval and predict on the run.
#include "core/export/Bundle.h"
#include "core/weights/StateDict.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

using namespace ts;
using test::shellQuote;
namespace fs = std::filesystem;

namespace {

std::string tstudio() { return shellQuote(test::binaryPath("tstudio")); }

int countLines(const std::string& path) {
    std::ifstream in(path);
    std::string l;
    int n = 0;
    while (std::getline(in, l)) n += !l.empty();
    return n;
}

} // namespace

TEST(TrainCli, JsonEventsEvalAndPredict) {
    test::TempDir tmp;
    test::makeSyntheticDataset(tmp.file("data"), 2, 20, 64, 3, true, 8);
    std::string out;
    ASSERT_EQ(test::runCommand(tstudio() + " train --json --data " + tmp.file("data") +
                                   " --arch tiny_cnn --epochs 3 --lr 0.01 --out " + tmp.file("run") + " 2>/dev/null",
                               &out),
              0)
        << out;
    std::istringstream lines(out);
    std::string line, last;
    int epochs = 0;
    bool warned = false;
    while (std::getline(lines, line)) {
        const auto j = nlohmann::json::parse(line);
        if (j["event"] == "epoch") ++epochs;
        if (j["event"] == "log" && j["message"].get<std::string>().find("random initialisation") != std::string::npos)
            warned = true;
        last = line;
    }
    EXPECT_EQ(epochs, 3);
    EXPECT_TRUE(warned) << "no warning about random initialisation";
    const auto fin = nlohmann::json::parse(last);
    EXPECT_EQ(fin["event"], "finished");
    EXPECT_GT(fin["best_val_accuracy"].get<double>(), 0.75);

    ASSERT_EQ(test::runCommand(tstudio() + " eval --json --model " + tmp.file("run") + " --data " + tmp.file("data") +
                                   " 2>/dev/null",
                               &out),
              0)
        << out;
    const auto ev = nlohmann::json::parse(out);
    EXPECT_NEAR(ev["accuracy"].get<double>(), fin["best_val_accuracy"].get<double>(), 1e-9);
    EXPECT_EQ(ev["confusion"].size(), 2u);
    EXPECT_EQ(ev["per_class"].size(), 2u);

    const std::string image = tmp.file("data") + "/val/class_b/img_0.png";
    ASSERT_EQ(test::runCommand(tstudio() + " predict --json --topk 2 --model " + tmp.file("run") + " " + image + " 2>/dev/null", &out), 0) << out;
    const auto pred = nlohmann::json::parse(out);
    ASSERT_EQ(pred.size(), 1u);
    EXPECT_EQ(pred[0]["top"].size(), 2u);
    EXPECT_TRUE(pred[0]["top"][0]["label"] == "class_a" || pred[0]["top"][0]["label"] == "class_b");
}

TEST(TrainCli, KillNineThenResumeEqualsUninterruptedRun) {
    test::TempDir tmp;
    test::makeSyntheticDataset(tmp.file("data"), 3, 24, 64, 5);
    const std::string args = " train --data " + tmp.file("data") +
                             " --arch tiny_cnn --freeze none --augment none --epochs 4 --lr 0.005 --seed 3 --out ";
    std::string out;
    ASSERT_EQ(test::runCommand(tstudio() + args + tmp.file("straight") + " 2>/dev/null", &out), 0) << out;

    // Start the same run, kill -9 it after its second epoch is on disk.
    const std::string killed = tmp.file("killed");
    const std::string pidFile = tmp.file("pid");
    ASSERT_EQ(test::runCommand("(" + tstudio() + args + killed + " >/dev/null 2>&1 & echo $! > " + pidFile + ")"), 0);
    std::ifstream pidIn(pidFile);
    int pid = 0;
    pidIn >> pid;
    ASSERT_GT(pid, 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    while (countLines(killed + "/metrics.jsonl") < 2 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const int done = countLines(killed + "/metrics.jsonl");
    ASSERT_GE(done, 2);
    ASSERT_LT(done, 4) << "the run finished before it could be killed";

    ASSERT_EQ(test::runCommand(tstudio() + " resume " + killed + " 2>/dev/null", &out), 0) << out;
    EXPECT_EQ(countLines(killed + "/metrics.jsonl"), 4);
    const auto a = exporting::loadTrainedModel(tmp.file("straight"));
    const auto b = exporting::loadTrainedModel(killed);
    const auto sa = weights::stateDictOf(*a.model), sb = weights::stateDictOf(*b.model);
    ASSERT_EQ(sa.size(), sb.size());
    for (size_t i = 0; i < sa.size(); ++i)
        EXPECT_TRUE(at::allclose(sa[i].second.to(at::kDouble), sb[i].second.to(at::kDouble), 1e-5, 1e-6)) << sa[i].first;
    std::ifstream m1(tmp.file("straight") + "/metrics.csv"), m2(killed + "/metrics.csv");
    std::string l1, l2;
    std::getline(m1, l1);
    std::getline(m2, l2);
    while (std::getline(m1, l1) && std::getline(m2, l2)) {
        // epoch,train_loss,train_accuracy,val_loss,val_accuracy — all but seconds equal
        EXPECT_EQ(l1.substr(0, l1.rfind(',')), l2.substr(0, l2.rfind(',')));
    }
}

TEST(TrainCli, HymenopteraFeatureExtractionReachesTorchvisionAccuracy) {
    const std::string shared = test::sharedDir();
    TS_REQUIRE_SHARED(shared);
    test::TempDir tmp;
    std::string out;
    ASSERT_EQ(test::runCommand(tstudio() + " train --json --data " + shellQuote(shared + "/data/hymenoptera_data") +
                                   " --arch mobilenet_v2 --weights " +
                                   shellQuote(shared + "/weights/mobilenet_v2_imagenet.pth") +
                                   " --freeze feature-extraction --augment none --epochs 10 --batch-size 32 --lr 0.001"
                                   " --optimizer adam --out " + tmp.file("run") + " 2>/dev/null | tail -n 1",
                               &out),
              0)
        << out;
    const auto fin = nlohmann::json::parse(out);
    EXPECT_GE(fin["best_val_accuracy"].get<double>(), 0.93) << "torchvision reaches 0.954 with this recipe";
    EXPECT_TRUE(fin["feature_cache"].get<bool>());
    bool gifSkipped = false;
    for (const auto& s : fin["skipped_files"]) gifSkipped |= s.get<std::string>().find("imageNotFound.gif") != std::string::npos;
    EXPECT_TRUE(gifSkipped) << "the GIF placeholder must be reported as skipped";
}

TEST(TrainCli, LrFindReturnsACurveAndASensibleSuggestion) {
    test::TempDir tmp;
    test::makeSyntheticDataset(tmp.file("data"), 2, 24, 64, 9);
    std::string out;
    ASSERT_EQ(test::runCommand(tstudio() + " lr-find --json --data " + tmp.file("data") +
                                   " --arch tiny_cnn --steps 60 --batch-size 8 2>/dev/null",
                               &out),
              0)
        << out;
    const auto j = nlohmann::json::parse(out);
    const auto lrs = j["lrs"].get<std::vector<double>>();
    const auto losses = j["losses"].get<std::vector<double>>();
    ASSERT_GE(lrs.size(), 20u);
    EXPECT_EQ(lrs.size(), losses.size());
    for (size_t i = 1; i < lrs.size(); ++i) EXPECT_GT(lrs[i], lrs[i - 1]);
    const double s = j["suggested_lr"].get<double>();
    EXPECT_GT(s, 1e-6);
    EXPECT_LT(s, 1.0);
    // The loss near the suggestion is below the loss at the start.
    size_t at = 0;
    while (at + 1 < lrs.size() && lrs[at] < s) ++at;
    EXPECT_LT(*std::min_element(losses.begin() + at, losses.end()), losses.front());
}

TEST(TrainCli, InitFromARunOrBundleStartsFromItsTrainedWeightsHeadIncluded) {
    test::TempDir tmp;
    test::makeSyntheticDataset(tmp.file("data"), 3, 12, 32, 7);
    std::string out;
    const std::string common = " --freeze none --augment none --batchnorm-policy all-eval --seed 5 --workers 0";
    ASSERT_EQ(test::runCommand(tstudio() + " train --data " + tmp.file("data") + " --arch tiny_cnn --epochs 2 --lr 0.01" +
                                   common + " --out " + tmp.file("a") + " 2>&1",
                               &out),
              0)
        << out;
    const auto a = exporting::loadTrainedModel(tmp.file("a"));
    // One epoch at a learning rate too small to move a weight: the model is
    // the trained one, head included (no --arch: it comes from the model).
    for (const std::string from : {tmp.file("a"), tmp.file("a") + "/model.tsb"}) {
        SCOPED_TRACE(from);
        const std::string run = tmp.file(from == tmp.file("a") ? "b-run" : "b-bundle");
        ASSERT_EQ(test::runCommand(tstudio() + " train --data " + tmp.file("data") + " --init-from " + shellQuote(from) +
                                       " --epochs 1 --lr 1e-12" + common + " --out " + run + " 2>&1",
                                   &out),
                  0)
            << out;
        EXPECT_NE(out.find("starts from the trained tiny_cnn of"), std::string::npos) << out;
        EXPECT_EQ(out.find("random initialisation"), std::string::npos) << out;
        const auto config = nlohmann::json::parse(test::readText(run + "/config.json"));
        EXPECT_EQ(config["arch"], "tiny_cnn");
        EXPECT_EQ(config["init_from"], fs::absolute(from).lexically_normal().string());
        const auto b = exporting::loadTrainedModel(run);
        const auto sa = weights::stateDictOf(*a.model), sb = weights::stateDictOf(*b.model);
        ASSERT_EQ(sa.size(), sb.size());
        for (size_t i = 0; i < sa.size(); ++i)
            EXPECT_TRUE(at::allclose(sa[i].second.to(at::kDouble), sb[i].second.to(at::kDouble), 1e-6, 1e-7))
                << sa[i].first;
        EXPECT_NEAR(test::metricsRows(run).at(0)["val_accuracy"].get<double>(),
                    test::metricsRows(tmp.file("a")).back()["val_accuracy"].get<double>(), 0.5)
            << "a trained start is not a random one";
    }
    // What cannot start from it, said before anything is created.
    test::makeSyntheticDataset(tmp.file("other"), 3, 6, 32, 7);
    fs::rename(tmp.file("other/class_b"), tmp.file("other/zebra"));
    struct Case {
        std::string args, message;
    };
    for (const Case& c : std::vector<Case>{
             {" --data " + tmp.file("other") + " --init-from " + tmp.file("a"),
              "it was trained on the classes [class_a, class_b, class_c]"},
             {" --data " + tmp.file("other") + " --init-from " + tmp.file("a"), "class 2 is \"class_b\" there and \"class_c\" here"},
             {" --data " + tmp.file("data") + " --init-from " + tmp.file("a") + " --arch squeezenet1_1",
              "it is a tiny_cnn model and this run's arch is squeezenet1_1"},
             {" --data " + tmp.file("data") + " --init-from " + tmp.file("a") + " --head-hidden 16",
              "its head has 0 hidden units and this run's has 16"},
             {" --data " + tmp.file("data") + " --init-from " + tmp.file("nowhere"), "nowhere"},
         }) {
        SCOPED_TRACE(c.args);
        EXPECT_EQ(test::runCommand(tstudio() + " train" + c.args + " --epochs 1 --out " + tmp.file("refused") + " 2>&1", &out),
                  1);
        EXPECT_NE(out.find("init-from"), std::string::npos) << out;
        EXPECT_NE(out.find(c.message), std::string::npos) << out;
        EXPECT_FALSE(fs::exists(tmp.file("refused")));
    }
}
