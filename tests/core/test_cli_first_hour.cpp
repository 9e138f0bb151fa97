// A newcomer's first hour with `tstudio`, end to end on tiny_cnn and
// generated data: Ctrl-C and resume before the first complete epoch, failed
// starts that leave nothing behind, eval that knows the training images,
// export --check's class check, viz output formats, predict on folders and
// broken files, and the models table.
#include "core/export/Bundle.h"
#include "core/train/Trainer.h"
#include "core/weights/StateDict.h"
#include "core/zoo/Registry.h"
#include "tests/support/TestSupport.h"

#include <ATen/Functions.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/utils.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <sstream>
#include <thread>

using namespace ts;
using test::shellQuote;
namespace fs = std::filesystem;

namespace {

std::string tstudio() { return shellQuote(test::binaryPath("tstudio")); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void writeText(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

int countLines(const std::string& path) {
    std::ifstream in(path);
    std::string l;
    int n = 0;
    while (std::getline(in, l)) n += !l.empty();
    return n;
}

/// metrics.csv without the seconds column (all else is deterministic on the CPU).
std::vector<std::string> metricsWithoutSeconds(const std::string& runDir) {
    std::ifstream in(runDir + "/metrics.csv");
    std::vector<std::string> rows;
    std::string l;
    while (std::getline(in, l)) rows.push_back(l.substr(0, l.rfind(',')));
    return rows;
}

/// A tstudio command started in the background: its pid (the shell execs
/// it) and, when it ends, its exit status and output.
struct Background {
    int pid = 0;
    std::future<std::pair<int, std::string>> done;
};

Background startBackground(const std::string& args, const std::string& pidFile) {
    Background b;
    fs::remove(pidFile);
    const std::string command = "echo $$ > " + shellQuote(pidFile) + "; exec " + tstudio() + args;
    b.done = std::async(std::launch::async, [command] {
        std::string out;
        const int rc = test::runCommand(command, &out);
        return std::make_pair(rc, out);
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        std::ifstream in(pidFile);
        if (in >> b.pid && b.pid > 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return b;
}

/// Waits for `b` to end; kills it (SIGKILL) when it has not after `limit`.
bool endsWithin(Background& b, std::chrono::seconds limit) {
    if (b.done.wait_for(limit) == std::future_status::ready) return true;
    ::kill(b.pid, SIGKILL);
    b.done.wait();
    return false;
}

bool waitFor(const std::function<bool()>& condition, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

/// A tiny_cnn "pretrained" weights file (1000 classes) with seeded values.
void writeTinyWeights(const std::string& path, uint64_t seed) {
    torch::manual_seed(seed);
    const zoo::Backbone model = zoo::createModel("tiny_cnn", {1000});
    weights::writeStateDict(weights::stateDictOf(*model), path);
}

bool folderIsEmpty(const std::string& dir) { return fs::is_directory(dir) && fs::is_empty(dir); }

} // namespace

// Issue items 1 and 16: Ctrl-C while the first epoch's features are cached,
// then resume: the run starts again from the weights file (not a random
// backbone) and equals an uninterrupted run; without the file, resume refuses.
TEST(FirstHour, CtrlCInTheFirstEpochThenResumeStartsFromTheWeights) {
    test::TempDir tmp;
    test::makeSyntheticDataset(tmp.file("data"), 2, 60, 64, 21);
    const std::string weightsFile = tmp.file("tiny.pth");
    writeTinyWeights(weightsFile, 1234);
    const std::string args = " train --data " + tmp.file("data") + " --arch tiny_cnn --weights " + weightsFile +
                             " --freeze feature-extraction --augment none --epochs 2 --lr 0.01 --seed 4 --out ";
    std::string out;
    ASSERT_EQ(test::runCommand(tstudio() + args + tmp.file("straight"), &out), 0) << out;

    // Ctrl-C as soon as the run folder exists: during the first epoch.
    const std::string run = tmp.file("run");
    Background bg = startBackground(args + run, tmp.file("pid"));
    ASSERT_GT(bg.pid, 0);
    if (!waitFor([&] { return fs::exists(run + "/config.json"); }, std::chrono::seconds(60))) {
        endsWithin(bg, std::chrono::seconds(0));
        FAIL() << "the run folder never appeared";
    }
    ::kill(bg.pid, SIGINT);
    ASSERT_TRUE(endsWithin(bg, std::chrono::seconds(60))) << "Ctrl-C did not stop the run";
    const auto [rc, output] = bg.done.get();
    EXPECT_EQ(rc, 130) << "a cancelled run exits 130\n" << output;
    EXPECT_TRUE(contains(output, "tstudio resume " + run)) << output;
    ASSERT_FALSE(fs::exists(run + "/checkpoints/last.ckpt")) << "the run finished an epoch before Ctrl-C:\n" << output;
    EXPECT_FALSE(contains(test::readText(run + "/config.json"), "\"weights_file\": \"\"")) << test::readText(run + "/config.json");

    // A copy in the same state, to resume later without its weights file.
    fs::copy(run, tmp.file("orphan"), fs::copy_options::recursive);

    ASSERT_EQ(test::runCommand(tstudio() + " resume " + run, &out), 0) << out;
    EXPECT_FALSE(contains(out, "random initialisation")) << out;
    EXPECT_EQ(countLines(run + "/metrics.jsonl"), 2);
    EXPECT_EQ(metricsWithoutSeconds(run), metricsWithoutSeconds(tmp.file("straight")))
        << "the resumed run must equal the uninterrupted one";
    // The frozen backbone is the weights file's, bit for bit.
    const auto fileWeights = weights::readStateDict(weightsFile);
    const auto trained = weights::stateDictOf(*exporting::loadTrainedModel(run).model);
    int compared = 0;
    for (const auto& [key, value] : fileWeights)
        for (const auto& [k2, v2] : trained)
            if (k2 == key && v2.sizes() == value.sizes()) {
                EXPECT_TRUE(at::equal(value, v2)) << key;
                ++compared;
            }
    EXPECT_GE(compared, 8) << "too few backbone tensors compared";

    // The weights file is gone: resume says so instead of training from random weights.
    fs::rename(weightsFile, tmp.file("moved.pth"));
    EXPECT_EQ(test::runCommand(tstudio() + " resume " + tmp.file("orphan"), &out), 1) << out;
    EXPECT_TRUE(contains(out, weightsFile) && contains(out, "no longer exists")) << out;
    EXPECT_FALSE(fs::exists(tmp.file("orphan") + "/model.tsb"));
}

// Issue item 16: Ctrl-C after complete epochs also exits 130 and says how to resume.
TEST(FirstHour, CtrlCAfterAnEpochExits130) {
    test::TempDir tmp;
    test::makeSyntheticDataset(tmp.file("data"), 2, 10, 32, 22);
    const std::string run = tmp.file("run");
    Background bg = startBackground(" train --data " + tmp.file("data") +
                                        " --arch tiny_cnn --freeze feature-extraction --augment none --epochs 100000 "
                                        "--out " + run,
                                    tmp.file("pid"));
    ASSERT_GT(bg.pid, 0);
    if (!waitFor([&] { return countLines(run + "/metrics.jsonl") >= 1; }, std::chrono::seconds(120))) {
        endsWithin(bg, std::chrono::seconds(0));
        FAIL() << "no epoch completed";
    }
    ::kill(bg.pid, SIGINT);
    ASSERT_TRUE(endsWithin(bg, std::chrono::seconds(60))) << "Ctrl-C did not stop the run";
    const auto [rc, output] = bg.done.get();
    EXPECT_EQ(rc, 130) << output;
    EXPECT_TRUE(contains(output, "Cancelled after")) << output;
    EXPECT_TRUE(contains(output, "tstudio resume " + run)) << output;
}

// Issue item 3: a start that fails leaves nothing that blocks the retry.
TEST(FirstHour, FailedStartsLeaveNothingBehind) {
    test::TempDir tmp;
    test::makeSyntheticDataset(tmp.file("data"), 2, 6, 32, 23);
    const std::string data = " --data " + tmp.file("data");
    const std::string run = tmp.file("run");
    std::string out;

    EXPECT_EQ(test::runCommand(tstudio() + " train" + data + " --arch tiny_cnnn --epochs 1 --out " + run, &out), 1) << out;
    EXPECT_FALSE(fs::exists(run)) << "typo in --arch\n" << out;
    EXPECT_EQ(test::runCommand(tstudio() + " train --data " + tmp.file("nodata") + " --arch tiny_cnn --epochs 1 --out " + run, &out), 1)
        << out;
    EXPECT_FALSE(fs::exists(run)) << "missing data folder\n" << out;
    writeText(tmp.file("garbage.pth"), "these are not weights");
    EXPECT_EQ(test::runCommand(tstudio() + " train" + data + " --arch tiny_cnn --weights " + tmp.file("garbage.pth") +
                                   " --epochs 1 --out " + run,
                               &out),
              1)
        << out;
    EXPECT_FALSE(fs::exists(run)) << "unusable weights\n" << out;
    EXPECT_EQ(test::runCommand(tstudio() + " train" + data + " --arch tiny_cnn --weights " + tmp.file("none.pth") +
                                   " --epochs 1 --out " + run,
                               &out),
              1)
        << out;
    EXPECT_FALSE(fs::exists(run)) << "missing weights\n" << out;
    // --device cuda fails on a machine without CUDA (and trains where there is one).
    if (test::runCommand(tstudio() + " train" + data + " --arch tiny_cnn --device cuda --epochs 1 --out " + run, &out) != 0)
        EXPECT_FALSE(fs::exists(run)) << "--device cuda without CUDA\n" << out;
    else
        fs::remove_all(run);
    // Parent folders the start created go too.
    EXPECT_EQ(test::runCommand(tstudio() + " train" + data + " --arch nope --epochs 1 --out " + tmp.file("new/parent/run"), &out), 1);
    EXPECT_FALSE(fs::exists(tmp.file("new"))) << out;
    // A failure in the first epoch, after the folder was made: no image can be read.
    for (const char* cls : {"a", "b"})
        for (int i = 0; i < 3; ++i) writeText(tmp.file("broken/") + cls + "/" + std::to_string(i) + ".png", "not a png");
    EXPECT_EQ(test::runCommand(tstudio() + " train --data " + tmp.file("broken") +
                                   " --arch tiny_cnn --freeze feature-extraction --augment none --epochs 1 --out " + run,
                               &out),
              1)
        << out;
    EXPECT_FALSE(fs::exists(run)) << "failure while caching features\n" << out;
    // An empty folder given as --out stays, empty; a folder with files is refused and untouched.
    fs::create_directories(tmp.file("empty"));
    EXPECT_EQ(test::runCommand(tstudio() + " train" + data + " --arch nope --epochs 1 --out " + tmp.file("empty"), &out), 1);
    EXPECT_TRUE(folderIsEmpty(tmp.file("empty"))) << out;
    writeText(tmp.file("mine/notes.txt"), "keep me");
    EXPECT_EQ(test::runCommand(tstudio() + " train" + data + " --arch tiny_cnn --epochs 1 --out " + tmp.file("mine"), &out), 1);
    EXPECT_TRUE(contains(out, "not empty")) << out;
    EXPECT_EQ(test::readText(tmp.file("mine/notes.txt")), "keep me");
    EXPECT_EQ(fs::directory_iterator(tmp.file("mine"))->path().filename().string(), "notes.txt");

    // The fixed command then works, into the same folders.
    ASSERT_EQ(test::runCommand(tstudio() + " train" + data + " --arch tiny_cnn --epochs 1 --out " + run, &out), 0) << out;
    EXPECT_TRUE(fs::exists(run + "/model.tsb"));
    ASSERT_EQ(test::runCommand(tstudio() + " train" + data + " --arch tiny_cnn --epochs 1 --out " + tmp.file("empty"), &out), 0)
        << out;
}

// The same through the core API the app's TrainingWorker calls: a failed
// Start leaves no runs/<time>-<arch>/checkpoints, and a Stop while features
// are cached returns a cancelled result (not an exception) with a resumable folder.
TEST(FirstHour, TrainRunCleansUpFailuresAndReturnsCancelWhileCaching) {
    test::TempDir tmp;
    test::makeSyntheticDataset(tmp.file("data"), 2, 6, 32, 26);
    train::TrainConfig config;
    config.dataDir = tmp.file("data");
    config.arch = "tiny_cnn";
    config.freeze = train::FreezePreset::featureExtraction();
    config.augment.preset = data::AugmentPreset::None;
    config.pretrained = false;  // TrainConfig{} asks for the official weights, which tiny_cnn has none of
    config.epochs = 1;
    train::TrainerCallbacks callbacks;
    {
        Feedback feedback;
        train::TrainConfig wrong = config;
        wrong.weightsFile = tmp.file("missing.pth");
        EXPECT_THROW(train::trainRun(wrong, tmp.file("runs/1-tiny_cnn"), callbacks, feedback), Error);
        EXPECT_FALSE(fs::exists(tmp.file("runs"))) << "a failed start left a folder behind";
    }
    Feedback feedback;
    feedback.cancel();  // seen at the first check: while the training features are cached
    const train::TrainResult r = train::trainRun(config, tmp.file("runs/2-tiny_cnn"), callbacks, feedback);
    EXPECT_TRUE(r.cancelled);
    EXPECT_EQ(r.epochsRun, 0);
    EXPECT_TRUE(fs::exists(tmp.file("runs/2-tiny_cnn/config.json")));
    EXPECT_TRUE(contains(test::readText(tmp.file("runs/2-tiny_cnn/train.log")), "tstudio resume"));
    Feedback again;
    const train::TrainResult resumed = train::resumeRun(tmp.file("runs/2-tiny_cnn"), callbacks, again);
    EXPECT_FALSE(resumed.cancelled);
    EXPECT_EQ(resumed.epochsRun, 1);
}

// One trained run shared by the eval, export, viz and predict tests.
class FirstHourRun : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_tmp = new test::TempDir("ts-first-hour");
        test::makeSyntheticDataset(s_tmp->file("data"), 2, 20, 48, 24);  // flat: 16 train / 4 val per class
        std::string out;
        s_trainStatus = test::runCommand(tstudio() + " train --json --data " + s_tmp->file("data") +
                                             " --arch tiny_cnn --epochs 2 --lr 0.01 --out " + s_tmp->file("run") +
                                             " 2>/dev/null | tail -n 1",
                                         &out);
        s_finished = nlohmann::json::parse(out, nullptr, false);
    }
    static void TearDownTestSuite() {
        delete s_tmp;
        s_tmp = nullptr;
    }
    void SetUp() override {
        ASSERT_EQ(s_trainStatus, 0);
        ASSERT_TRUE(s_finished.is_object() && s_finished["event"] == "finished") << s_finished.dump();
    }
    static std::string file(const std::string& name) { return s_tmp->file(name); }

    static test::TempDir* s_tmp;
    static int s_trainStatus;
    static nlohmann::json s_finished;
};
test::TempDir* FirstHourRun::s_tmp = nullptr;
int FirstHourRun::s_trainStatus = -1;
nlohmann::json FirstHourRun::s_finished;

// Issue item 4: eval scores the run's own validation split by default, and
// on a folder tells training images (by content) apart from held-out ones.
TEST_F(FirstHourRun, EvalKnowsTheTrainingImages) {
    std::string out;
    ASSERT_EQ(test::runCommand(tstudio() + " eval --json --model " + file("run") + " 2>/dev/null", &out), 0) << out;
    const auto own = nlohmann::json::parse(out);
    EXPECT_EQ(own["source"], "manifest");
    EXPECT_EQ(own["images"], 8);
    EXPECT_NEAR(own["accuracy"].get<double>(), s_finished["best_val_accuracy"].get<double>(), 1e-9);

    // The whole flat folder: 32 of its 40 images are training images.
    ASSERT_EQ(test::runCommand(tstudio() + " eval --json --model " + file("run") + " --data " + file("data") + " 2>/dev/null", &out), 0)
        << out;
    const auto all = nlohmann::json::parse(out);
    EXPECT_EQ(all["images"], 8);
    EXPECT_EQ(all["training_images"]["images"], 32);
    EXPECT_NEAR(all["accuracy"].get<double>(), own["accuracy"].get<double>(), 1e-9);
    ASSERT_FALSE(all["warnings"].empty());
    EXPECT_TRUE(contains(all["warnings"][0].get<std::string>(), "32 of the 40 images")) << all.dump();

    // Copies under other names are still recognised; new images are not.
    const auto manifest = nlohmann::json::parse(test::readText(file("run/manifest.json")));
    const std::string root = manifest["root"];
    for (const char* cls : {"class_a", "class_b"}) fs::create_directories(file("mixed/") + cls);
    for (int i = 0; i < 3; ++i)
        fs::copy_file(root + "/" + manifest["train"][i][0].get<std::string>(),
                      file("mixed/" + manifest["classes"][manifest["train"][i][1].get<int>()].get<std::string>() +
                           "/copy" + std::to_string(i) + ".png"),
                      fs::copy_options::none);
    test::makeSyntheticDataset(file("fresh"), 2, 2, 48, 99);
    for (const auto& e : fs::recursive_directory_iterator(file("fresh")))
        if (e.is_regular_file())
            fs::copy_file(e.path(), file("mixed/" + e.path().parent_path().filename().string() + "/new_" +
                                         e.path().filename().string()));
    ASSERT_EQ(test::runCommand(tstudio() + " eval --model " + file("run") + " --data " + file("mixed"), &out), 0) << out;
    EXPECT_TRUE(contains(out, "3 of the 7 images")) << out;
    EXPECT_TRUE(contains(out, "on 4 held-out images")) << out;
    EXPECT_TRUE(contains(out, "Training images")) << out;

    // A bundle away from its run: with --data it warns that it cannot tell;
    // without, it says to pass --data.
    fs::create_directories(file("elsewhere"));
    fs::copy_file(file("run/model.tsb"), file("elsewhere/model.tsb"));
    ASSERT_EQ(test::runCommand(tstudio() + " eval --json --model " + file("elsewhere/model.tsb") + " --data " + file("data") +
                                   " 2>/dev/null",
                               &out),
              0)
        << out;
    const auto lone = nlohmann::json::parse(out);
    EXPECT_FALSE(lone["training_images_known"].get<bool>());
    EXPECT_EQ(lone["images"], 40);
    EXPECT_TRUE(contains(lone["warnings"][0].get<std::string>(), "cannot tell")) << lone.dump();
    EXPECT_EQ(test::runCommand(tstudio() + " eval --model " + file("elsewhere/model.tsb"), &out), 1) << out;
    EXPECT_TRUE(contains(out, "--data")) << out;
}

// Issue item 5: export --check refuses a folder whose classes are not the model's.
TEST_F(FirstHourRun, ExportCheckRefusesOtherClasses) {
    test::makeSyntheticDataset(file("other"), 2, 3, 32, 25);
    fs::rename(file("other/class_a"), file("other/cats"));
    std::string out;
    EXPECT_EQ(test::runCommand(tstudio() + " export --model " + file("run") + " --format bundle --out " + file("x.tsb") +
                                   " --check " + file("other"),
                               &out),
              1)
        << out;
    EXPECT_TRUE(contains(out, "'cats'") && contains(out, "not among the model's classes") && contains(out, file("other")))
        << out;
    EXPECT_FALSE(fs::exists(file("x.tsb")));
}

// Issue item 17: viz writes the format its --out names, refuses unknown
// extensions and missing folders (and creates none).
TEST_F(FirstHourRun, VizOutputFollowsTheExtension) {
    std::string out;
    const std::string viz = tstudio() + " viz filters --model " + file("run") + " --out ";
    ASSERT_EQ(test::runCommand(viz + file("f.jpg"), &out), 0) << out;
    EXPECT_EQ(test::readText(file("f.jpg")).substr(0, 3), "\xFF\xD8\xFF");
    ASSERT_EQ(test::runCommand(viz + file("f.BMP"), &out), 0) << out;
    EXPECT_EQ(test::readText(file("f.BMP")).substr(0, 2), "BM");
    ASSERT_EQ(test::runCommand(viz + file("f.png"), &out), 0) << out;
    EXPECT_EQ(test::readText(file("f.png")).substr(1, 3), "PNG");
    EXPECT_EQ(test::runCommand(viz + file("f.gif"), &out), 1) << out;
    EXPECT_TRUE(contains(out, "'.gif' is not an image format") && contains(out, ".png")) << out;
    EXPECT_FALSE(fs::exists(file("f.gif")));
    EXPECT_EQ(test::runCommand(viz + file("nowhere/f.png"), &out), 1) << out;
    EXPECT_TRUE(contains(out, "does not exist")) << out;
    EXPECT_FALSE(fs::exists(file("nowhere")));
}

// Issue item 18: predict takes folders, skips and lists what is no image,
// and exits 1 when something could not be classified.
TEST_F(FirstHourRun, PredictSkipsBadFilesAndTakesFolders) {
    const std::string dir = file("inbox");
    fs::create_directories(dir + "/sub");
    fs::copy_file(file("data/class_b/img_0.png"), dir + "/sub/b.png");
    fs::copy_file(file("data/class_a/img_0.png"), dir + "/a.png");
    writeText(dir + "/broken.jpg", "<html>not an image</html>");
    writeText(dir + "/notes.txt", "ignored");
    std::string out;
    EXPECT_EQ(test::runCommand(tstudio() + " predict --json --topk 1 --model " + file("run") + " " + dir + " 2>/dev/null", &out), 1)
        << out;
    const auto j = nlohmann::json::parse(out);
    ASSERT_EQ(j.size(), 3u) << j.dump();
    EXPECT_EQ(j[0]["image"], dir + "/a.png");
    EXPECT_EQ(j[1]["image"], dir + "/broken.jpg");
    EXPECT_EQ(j[2]["image"], dir + "/sub/b.png");
    EXPECT_TRUE(j[0].contains("top") && j[2].contains("top")) << j.dump();
    ASSERT_TRUE(j[1].contains("error")) << j.dump();
    EXPECT_TRUE(contains(j[1]["error"], "not an image")) << j.dump();
    EXPECT_FALSE(contains(j[1]["error"], "dataset folder")) << j.dump();

    EXPECT_EQ(test::runCommand(tstudio() + " predict --model " + file("run") + " " + dir + "/broken.jpg " + dir +
                                   "/a.png " + dir + "/missing.png",
                               &out),
              1)
        << out;
    EXPECT_TRUE(contains(out, dir + "/a.png\n")) << "the good image is still classified\n" << out;
    EXPECT_TRUE(contains(out, "2 of 3 input(s) could not be classified")) << out;
    EXPECT_TRUE(contains(out, "missing.png: the file does not exist")) << out;
    ASSERT_EQ(test::runCommand(tstudio() + " predict --model " + file("run") + " " + dir + "/a.png", &out), 0) << out;
}

// Issue item 21: the models table shows whole family names and "—" for an
// unknown ImageNet accuracy (null in JSON).
TEST(FirstHour, ModelsTableIsReadable) {
    std::string out;
    ASSERT_EQ(test::runCommand(tstudio() + " models", &out), 0) << out;
    std::istringstream lines(out);
    std::string line, tiny;
    while (std::getline(lines, line))
        if (line.rfind("tiny_cnn ", 0) == 0) tiny = line;
    const auto& info = zoo::modelInfo("tiny_cnn");
    EXPECT_TRUE(contains(tiny, info.family)) << tiny;
    EXPECT_TRUE(contains(tiny, "\u2014")) << tiny;
    EXPECT_FALSE(contains(tiny, "0.00  none")) << tiny;
    ASSERT_EQ(test::runCommand(tstudio() + " models --json 2>/dev/null", &out), 0) << out;
    for (const auto& m : nlohmann::json::parse(out))
        if (m["name"] == "tiny_cnn") EXPECT_TRUE(m["top1"].is_null()) << m.dump();
        else if (m["name"] == "resnet18") EXPECT_GT(m["top1"].get<double>(), 60.0);
}

// Issue 15: 34 ImageNet architectures (and tiny_cnn); the third-party ones
// (timm's Xception, pytorchcv's ZFNet) say where they come from, in the
// table and in JSON.
TEST(FirstHour, ModelsTableLabelsThirdPartySources) {
    std::string out;
    ASSERT_EQ(test::runCommand(tstudio() + " models", &out), 0) << out;
    std::istringstream lines(out);
    std::string line, xception, zfnet, resnet;
    while (std::getline(lines, line)) {
        if (line.rfind("xception ", 0) == 0) xception = line;
        if (line.rfind("zfnet ", 0) == 0) zfnet = line;
        if (line.rfind("resnet18 ", 0) == 0) resnet = line;
    }
    EXPECT_TRUE(contains(xception, "timm (third-party)")) << out;
    EXPECT_TRUE(contains(zfnet, "pytorchcv (third-party)")) << out;
    EXPECT_TRUE(contains(resnet, "torchvision")) << out;
    EXPECT_FALSE(contains(resnet, "third-party")) << resnet;
    ASSERT_EQ(test::runCommand(tstudio() + " models --json 2>/dev/null", &out), 0) << out;
    const auto all = nlohmann::json::parse(out);
    EXPECT_EQ(all.size(), 35u);  // 34 ImageNet architectures + tiny_cnn
    int thirdParty = 0;
    for (const auto& m : all) {
        if (m["third_party"].get<bool>()) ++thirdParty;
        if (m["name"] == "xception") {
            EXPECT_EQ(m["source"], "timm");
            EXPECT_EQ(m["input_size"], 299);
            EXPECT_EQ(m["resize_size"], 333);
            EXPECT_NE(m["license"].get<std::string>().find("Apache-2.0"), std::string::npos);
        }
        if (m["name"] == "zfnet") EXPECT_EQ(m["source"], "pytorchcv");
    }
    EXPECT_EQ(thirdParty, 2);
}
