// Experiments in core (core/experiment): axes parsed through the config's own
// reader, grid / random / preset expansion, the experiment folder and its
// checks, a 2x2 grid end to end with compare equal to each run's
// metrics.jsonl, the shared feature cache (computed once, equal to a run's
// own cache, a damaged file recomputed), successive halving, a failing trial.
// tiny_cnn from its seeded random initialisation on a generated dataset.
#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/experiment/Experiment.h"
#include "core/train/Trainer.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

using namespace ts;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// The message of the ConfigError `f` throws ("" when it throws none).
template <typename F>
std::string configErrorOf(F&& f) {
    try {
        f();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

class Experiments : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_data = new test::TempDir("ts-exp-data");
        test::makeSyntheticDataset(s_data->path(), 2, 12, 32, 5);
    }
    static void TearDownTestSuite() {
        delete s_data;
        s_data = nullptr;
    }
    static train::TrainConfig base() {
        train::TrainConfig c;
        c.dataDir = s_data->path();
        c.arch = "tiny_cnn";
        c.pretrained = false;
        c.freeze = train::FreezePreset::none();
        c.epochs = 2;
        c.batchSize = 8;
        c.lr = 0.01;
        c.seed = 3;
        c.workers = 0;
        c.threads = 1;
        return c;
    }
    static experiment::ExperimentSpec grid(const std::vector<std::string>& axes) {
        experiment::ExperimentSpec spec;
        spec.base = base();
        for (const auto& a : axes) spec.axes.push_back(experiment::parseAxis(a, "--grid \"" + a + "\""));
        return spec;
    }
    static experiment::ExperimentResult runIn(const experiment::ExperimentSpec& spec, const std::string& dir) {
        experiment::createExperiment(spec, experiment::expandTrials(spec), dir);
        Feedback fb;
        return experiment::runExperiment(dir, {}, fb);
    }
    static test::TempDir* s_data;
};
test::TempDir* Experiments::s_data = nullptr;

TEST_F(Experiments, AxesGoThroughTheConfigReaderAndBadOnesSayWhy) {
    const auto lr = experiment::parseAxis("lr=0.01,1e-3", "--grid \"lr=0.01,1e-3\"");
    ASSERT_EQ(lr.values.size(), 2u);
    EXPECT_DOUBLE_EQ(lr.values[1].get<double>(), 1e-3);
    const auto freeze = experiment::parseAxis("freeze=last:2,none", "g");
    EXPECT_EQ(freeze.values[0], json("last:2"));  // a text key keeps its ':'
    EXPECT_TRUE(experiment::parseAxis("epochs=3", "g").values[0].is_number_integer());
    EXPECT_EQ(experiment::parseAxis("class_weights=true,false", "g").values[0], json(true));
    EXPECT_EQ(experiment::parseAxis("augment.preset=none,standard", "g").values[1], json("standard"));
    const auto range = experiment::parseAxis("lr=1e-4:1e-2:log", "g");
    EXPECT_TRUE(range.isRange && range.logScale);

    std::string m =
        configErrorOf([] { experiment::parseAxis("learning_rate=0.1,0.2", "--grid \"learning_rate=0.1,0.2\""); });
    EXPECT_TRUE(contains(m, "Unknown axis key \"learning_rate\"") && contains(m, "did you mean \"lr\"")) << m;
    m = configErrorOf([] { experiment::parseAxis("epochs=2,x", "--grid \"epochs=2,x\""); });
    EXPECT_TRUE(contains(m, "--grid \"epochs=2,x\"") && contains(m, "\"x\" is not a value epochs can take")) << m;
    m = configErrorOf([] { experiment::parseAxis("epochs=2.5", "g"); });
    EXPECT_TRUE(contains(m, "epochs must be a whole number")) << m;
    m = configErrorOf([] { experiment::parseAxis("lr=0,0.1", "g"); });
    EXPECT_TRUE(contains(m, "\"0\" is not a value lr can take") && contains(m, "(0, 10]")) << m;
    m = configErrorOf([] { experiment::parseAxis("freeze=last:x", "g"); });
    EXPECT_TRUE(contains(m, "Invalid freeze \"last:x\"")) << m;
    m = configErrorOf([] { experiment::parseAxis("arch=resnet18,no_such_net", "g"); });
    EXPECT_TRUE(contains(m, "\"no_such_net\" is not a value arch can take") && contains(m, "Unknown architecture"))
        << m;
    m = configErrorOf([] { experiment::parseAxis("lr=", "--grid \"lr=\""); });
    EXPECT_TRUE(contains(m, "no values") && contains(m, "empty grid")) << m;
    m = configErrorOf([] { experiment::parseAxis("lr=0.1,,0.2", "g"); });
    EXPECT_TRUE(contains(m, "empty value")) << m;
    m = configErrorOf([] { experiment::parseAxis("lr=0.1,0.1", "g"); });
    EXPECT_TRUE(contains(m, "twice")) << m;
    m = configErrorOf([] { experiment::parseAxis("exclude_files=a", "g"); });
    EXPECT_TRUE(contains(m, "cannot be an axis")) << m;
    m = configErrorOf([] { experiment::parseAxis("lr", "g"); });
    EXPECT_TRUE(contains(m, "expects KEY=V1,V2")) << m;
    m = configErrorOf([] { experiment::parseAxis("lr=0.1:0.01", "g"); });
    EXPECT_TRUE(contains(m, "LO below HI")) << m;
    // Control characters from the command line are escaped, long text cut.
    m = configErrorOf([] { experiment::parseAxis("ar\x1b[2Jch=1", "g"); });
    EXPECT_FALSE(contains(m, "\x1b")) << m;

    m = configErrorOf([] { experiment::expandTrials(grid({})); });
    EXPECT_TRUE(contains(m, "no axis") && contains(m, "empty grid")) << m;
    m = configErrorOf([] { experiment::expandTrials(grid({"lr=1e-4:1e-2"})); });
    EXPECT_TRUE(contains(m, "a grid needs a list of values")) << m;
    m = configErrorOf([] { experiment::expandTrials(grid({"lr=0.1", "lr=0.2"})); });
    EXPECT_TRUE(contains(m, "given twice")) << m;
    auto halving = grid({"lr=0.1,0.2"});
    halving.halvingEta = 1;
    m = configErrorOf([&] { experiment::expandTrials(halving); });
    EXPECT_TRUE(contains(m, "--halving must be from 2 to 100")) << m;
}

TEST_F(Experiments, GridRandomAndPresetExpandDeterministically) {
    const auto trials = experiment::expandTrials(grid({"lr=0.01,0.001", "freeze=none,feature-extraction"}));
    ASSERT_EQ(trials.size(), 4u);
    const std::vector<std::pair<double, std::string>> expected = {
        {0.01, "none"}, {0.01, "feature-extraction"}, {0.001, "none"}, {0.001, "feature-extraction"}};
    for (size_t i = 0; i < trials.size(); ++i) {
        EXPECT_EQ(trials[i].id, experiment::trialId(i));
        EXPECT_DOUBLE_EQ(trials[i].config.lr, expected[i].first);
        EXPECT_EQ(train::toString(trials[i].config.freeze), expected[i].second);
        EXPECT_EQ(trials[i].params, json({{"lr", expected[i].first}, {"freeze", expected[i].second}}));
        EXPECT_EQ(trials[i].config.epochs, 2);  // the rest is the base
    }
    EXPECT_EQ(trials[0].id, "t000");

    auto random = grid({"lr=1e-4:1e-2:log", "batch_size=4,8", "epochs=1:3"});
    random.mode = experiment::SearchMode::Random;
    random.randomTrials = 6;
    random.seed = 7;
    const auto a = experiment::expandTrials(random), b = experiment::expandTrials(random);
    ASSERT_EQ(a.size(), 6u);
    std::set<double> lrs;
    for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].params, b[i].params) << "the same seed draws the same trials";
        EXPECT_GE(a[i].config.lr, 1e-4);
        EXPECT_LE(a[i].config.lr, 1e-2);
        EXPECT_TRUE(a[i].config.batchSize == 4 || a[i].config.batchSize == 8);
        EXPECT_GE(a[i].config.epochs, 1);
        EXPECT_LE(a[i].config.epochs, 3);
        lrs.insert(a[i].config.lr);
    }
    EXPECT_GT(lrs.size(), 3u);
    random.seed = 8;
    const auto c = experiment::expandTrials(random);
    bool differs = false;
    for (size_t i = 0; i < c.size(); ++i) differs = differs || c[i].params != a[i].params;
    EXPECT_TRUE(differs) << "another seed draws other trials";
    // Over a grid: distinct points, at most the grid.
    auto overGrid = grid({"lr=0.1,0.01,0.001", "batch_size=4,8"});
    overGrid.mode = experiment::SearchMode::Random;
    overGrid.randomTrials = 4;
    const auto d = experiment::expandTrials(overGrid);
    ASSERT_EQ(d.size(), 4u);
    std::set<std::string> points;
    for (const auto& t : d) points.insert(t.params.dump());
    EXPECT_EQ(points.size(), 4u);
    overGrid.randomTrials = 50;
    EXPECT_EQ(experiment::expandTrials(overGrid).size(), 6u);

    experiment::ExperimentSpec preset;
    preset.base = base();
    preset.base.lr = 0.004;
    preset.mode = experiment::SearchMode::Preset;
    preset.preset = "seed-strategies";
    const auto p = experiment::expandTrials(preset);
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(train::toString(p[0].config.freeze), "feature-extraction");
    EXPECT_EQ(p[0].config.augment.preset, data::AugmentPreset::None);
    EXPECT_EQ(train::toString(p[1].config.freeze), "feature-extraction");
    EXPECT_EQ(p[1].config.augment.preset, data::AugmentPreset::Standard);
    EXPECT_EQ(train::toString(p[2].config.freeze), "last:2");
    EXPECT_DOUBLE_EQ(p[2].config.lr, 0.0004);
    EXPECT_DOUBLE_EQ(p[0].config.lr, 0.004);
}

TEST_F(Experiments, FolderChecksComeBeforeAnythingIsCreated) {
    test::TempDir tmp("ts-exp-folder");
    const auto spec = grid({"lr=0.01,0.001"});
    const auto trials = experiment::expandTrials(spec);
    // A folder with other files.
    fs::create_directories(tmp.file("foreign"));
    std::ofstream(tmp.file("foreign/notes.txt")) << "mine";
    std::string m = configErrorOf([&] { experiment::createExperiment(spec, trials, tmp.file("foreign")); });
    EXPECT_TRUE(contains(m, "foreign") && contains(m, "not empty and holds no experiment")) << m;
    EXPECT_FALSE(fs::exists(tmp.file("foreign/runs")));
    // A file.
    std::ofstream(tmp.file("file")) << "x";
    m = configErrorOf([&] { experiment::createExperiment(spec, trials, tmp.file("file")); });
    EXPECT_TRUE(contains(m, "is a file")) << m;
    // A data folder that does not exist.
    auto missing = spec;
    missing.base.dataDir = tmp.file("no-data");
    m = configErrorOf(
        [&] { experiment::createExperiment(missing, experiment::expandTrials(missing), tmp.file("e0")); });
    EXPECT_TRUE(contains(m, "no-data") && contains(m, "does not exist")) << m;
    EXPECT_FALSE(fs::exists(tmp.file("e0")));

    // The folder format, and the same experiment found again.
    const std::string dir = tmp.file("e1");
    experiment::createExperiment(spec, trials, dir);
    const json j = json::parse(test::readText(dir + "/experiment.json"));
    EXPECT_EQ(j["format"], "transfer-studio-experiment");
    EXPECT_EQ(j["version"], 1);
    EXPECT_EQ(j["mode"], "grid");
    EXPECT_EQ(j["axes"][0]["key"], "lr");
    EXPECT_TRUE(j["created"].is_string());
    EXPECT_TRUE(fs::path(j["base_config"]["data_dir"].get<std::string>()).is_absolute());
    const json index = json::parse(test::readText(dir + "/trials.json"));
    ASSERT_EQ(index["trials"].size(), 2u);
    EXPECT_EQ(index["trials"][1]["id"], "t001");
    EXPECT_EQ(index["trials"][1]["run_dir"], "runs/t001");
    EXPECT_EQ(index["trials"][1]["status"], "pending");
    EXPECT_EQ(experiment::createExperiment(spec, trials, dir).trials.size(), 2u);
    const auto other = grid({"lr=0.02,0.001"});
    m = configErrorOf([&] { experiment::createExperiment(other, experiment::expandTrials(other), dir); });
    EXPECT_TRUE(contains(m, "already holds another experiment") && contains(m, "experiment resume")) << m;

    // trials.json is read as hostile: a run_dir outside runs/ is refused.
    std::string hostile = test::readText(dir + "/trials.json");
    hostile.replace(hostile.find("runs/t001"), 9, "../../etc");
    std::ofstream(dir + "/trials.json", std::ios::trunc) << hostile;
    try {
        experiment::loadExperiment(dir);
        ADD_FAILURE() << "a run_dir outside runs/ was accepted";
    } catch (const IoError& e) {
        EXPECT_TRUE(contains(e.what(), "trials.json") && contains(e.what(), "it must be runs/t001")) << e.what();
    }
    std::ofstream(dir + "/experiment.json", std::ios::trunc)
        << "{\"format\": \"transfer-studio-experiment\", \"version\": 9}";
    try {
        experiment::loadExperiment(dir);
        ADD_FAILURE() << "a newer version was accepted";
    } catch (const IoError& e) {
        EXPECT_TRUE(contains(e.what(), "experiment.json") && contains(e.what(), "version 9")) << e.what();
    }
    try {
        experiment::loadExperiment(tmp.path());
        ADD_FAILURE() << "a folder without experiment.json was accepted";
    } catch (const IoError& e) {
        EXPECT_TRUE(contains(e.what(), "is not an experiment folder")) << e.what();
    }
}

// experiment.json, trials.json and a trial's metrics.jsonl are read as
// hostile files: each damage is refused with a message that names the file
// and never echoes control characters.
TEST_F(Experiments, DamagedExperimentFilesAreRefusedNamingTheFile) {
    test::TempDir tmp("ts-exp-hostile");
    const std::string dir = tmp.file("exp");
    const auto spec = grid({"lr=0.01,0.001"});
    experiment::createExperiment(spec, experiment::expandTrials(spec), dir);
    const std::string goodTrials = test::readText(dir + "/trials.json");
    const std::string goodSpec = test::readText(dir + "/experiment.json");
    auto expectRefused = [&](const std::string& file, const std::string& text, const std::string& message) {
        SCOPED_TRACE(file + ": " + text.substr(0, 80));
        std::ofstream(dir + "/" + file, std::ios::binary | std::ios::trunc) << text;
        try {
            experiment::loadExperiment(dir);
            ADD_FAILURE() << "accepted";
        } catch (const Error& e) {
            const std::string m = e.what();
            EXPECT_TRUE(contains(m, file)) << m;
            EXPECT_TRUE(contains(m, message)) << m;
            EXPECT_FALSE(contains(m, "\x1b")) << m;
            EXPECT_LT(m.size(), 1200u) << m;
        }
        std::ofstream(dir + "/trials.json", std::ios::binary | std::ios::trunc) << goodTrials;
        std::ofstream(dir + "/experiment.json", std::ios::binary | std::ios::trunc) << goodSpec;
    };
    auto trialsWith = [&](const std::string& from, const std::string& to) {
        std::string t = goodTrials;
        const auto at = t.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        return at == std::string::npos ? t : t.replace(at, from.size(), to);
    };
    expectRefused("trials.json", "{\"trials\": [", "");
    expectRefused("trials.json", std::string(100000, '[') + std::string(100000, ']'), "");
    expectRefused("trials.json", "{\"trials\": \"all\"}", "no \"trials\" list");
    expectRefused("trials.json", "{\"trials\": []}", "lists 0 trials");
    expectRefused("trials.json", trialsWith("\"pending\"", "\"exploded\""), "unknown trial status \"exploded\"");
    expectRefused("trials.json", trialsWith("\"lr\": 0.01", "\"lr\": [0.01]"), "bad value for lr");
    expectRefused("trials.json", trialsWith("\"lr\": 0.01", "\"nope\": 0.01"), "not a config key");
    // A value its key cannot take: the config reader's reason, as when the grid was given.
    expectRefused("trials.json", trialsWith("\"lr\": 0.01", "\"lr\": \"fast\""),
                  "lr must be a number in (0, 10], not the text \"fast\"");
    expectRefused("trials.json", trialsWith("\"lr\": 0.01", "\"lr\": -1"), "Trial t000");
    expectRefused("trials.json", trialsWith("\"id\": \"t000\"", "\"id\": \"t\\u001b[2J\""),
                  "is not t followed by digits");
    expectRefused("trials.json", trialsWith("\"id\": \"t001\"", "\"id\": \"t000\""), "");
    expectRefused("trials.json", trialsWith("\"seconds\": 0.0", "\"seconds\": -5"), "bad seconds");
    expectRefused("trials.json", trialsWith("\"feature_cache\": \"\"", "\"feature_cache\": \"cache/../../x\""),
                  "outside the experiment's cache/ folder");
    std::string spec2 = goodSpec;
    expectRefused("experiment.json", "[]", "not a Transfer Studio experiment");
    {
        json noAxes = json::parse(goodSpec);
        noAxes["axes"] = json::array();
        expectRefused("experiment.json", noAxes.dump(), "\"axes\" is empty; a grid search needs at least one axis");
    }
    expectRefused("experiment.json", spec2.replace(spec2.find("\"mode\": \"grid\""), 14, "\"mode\": \"wild\""),
                  "\"mode\" must be grid, random or preset");
    spec2 = goodSpec;
    expectRefused("experiment.json",
                  spec2.replace(spec2.find("\"arch\": \"tiny_cnn\""), 18, "\"arch\": \"tiny_cnn\", \"lrr\": 1"),
                  "Unknown config key \"lrr\"");
    spec2 = goodSpec;
    expectRefused("experiment.json", spec2.replace(spec2.find("\"key\": \"lr\""), 11, "\"key\": \"l\\u001br\""),
                  "Unknown axis key");
    // A trial's damaged metrics.jsonl: compare names it.
    fs::create_directories(dir + "/runs/t000");
    std::ofstream(dir + "/runs/t000/metrics.jsonl") << "{\"epoch\": 1, \"val_accuracy\": \"high\"}\n";
    try {
        experiment::compareExperiment(dir);
        ADD_FAILURE() << "a damaged metrics.jsonl was accepted";
    } catch (const IoError& e) {
        EXPECT_TRUE(contains(e.what(), "runs/t000/metrics.jsonl")) << e.what();
    }
}

TEST_F(Experiments, TwoByTwoGridTrainsFourRunsAndCompareReadsTheirMetrics) {
    test::TempDir tmp("ts-exp-grid");
    const std::string dir = tmp.file("exp");
    const auto r = runIn(grid({"lr=0.01,0.001", "batch_size=4,8"}), dir);
    EXPECT_FALSE(r.cancelled);
    EXPECT_EQ(r.finished, 4);
    const std::vector<std::pair<double, int>> expected = {{0.01, 4}, {0.01, 8}, {0.001, 4}, {0.001, 8}};
    for (size_t i = 0; i < 4; ++i) {
        const std::string run = dir + "/runs/" + experiment::trialId(i);
        const auto config = train::loadTrainConfig(run + "/config.json");
        EXPECT_DOUBLE_EQ(config.lr, expected[i].first);
        EXPECT_EQ(config.batchSize, expected[i].second);
        EXPECT_EQ(config.arch, "tiny_cnn");
        EXPECT_EQ(test::metricsRows(run).size(), 2u);
    }
    const auto rows = experiment::compareExperiment(dir);
    ASSERT_EQ(rows.size(), 4u);
    for (size_t i = 0; i < rows.size(); ++i) {
        const auto& row = rows[i];
        SCOPED_TRACE(row.id);
        EXPECT_EQ(row.status, experiment::TrialStatus::Finished);
        EXPECT_EQ(row.runDir, "runs/" + row.id);
        double best = -1;
        int bestEpoch = 0;
        for (const auto& m : test::metricsRows(dir + "/" + row.runDir))
            if (m["val_accuracy"].get<double>() > best)
                best = m["val_accuracy"].get<double>(), bestEpoch = m["epoch"].get<int>();
        EXPECT_EQ(row.bestValAccuracy, best);
        EXPECT_EQ(row.bestEpoch, bestEpoch);
        EXPECT_EQ(row.epochsDone, 2);
        EXPECT_GT(row.seconds, 0.0);
        EXPECT_GT(row.imagesPerSecond, 0.0);
        EXPECT_GT(row.trainableParameters, 0);
        if (i > 0) EXPECT_GE(rows[i - 1].bestValAccuracy, row.bestValAccuracy) << "best first";
        const json j = experiment::toJson(row);
        EXPECT_EQ(j["best_val_accuracy"].get<double>(), best);
        for (const char* key : {"id", "run_dir", "params", "status", "error", "best_epoch", "seconds",
                                "images_per_second", "trainable_parameters"})
            EXPECT_TRUE(j.contains(key)) << key;
    }
    // Running it again finds every trial done and trains nothing.
    const auto before = test::readText(dir + "/runs/t000/metrics.jsonl");
    Feedback fb;
    EXPECT_EQ(experiment::runExperiment(dir, {}, fb).finished, 4);
    EXPECT_EQ(test::readText(dir + "/runs/t000/metrics.jsonl"), before);
}

TEST_F(Experiments, SharedFeatureCacheIsComputedOnceAndEqualsARunsOwnCache) {
    test::TempDir tmp("ts-exp-cache");
    const std::string dir = tmp.file("exp");
    auto spec = grid({"lr=0.01,0.003,0.001"});
    spec.base.freeze = train::FreezePreset::featureExtraction();
    spec.base.epochs = 3;
    runIn(spec, dir);
    const auto log0 = test::readText(dir + "/runs/t000/train.log");
    EXPECT_TRUE(contains(log0, "feature cache: computed and saved to " + dir + "/cache/")) << log0;
    std::vector<fs::path> caches;
    for (const auto& e : fs::directory_iterator(dir + "/cache")) caches.push_back(e.path());
    ASSERT_EQ(caches.size(), 1u) << "one cache for trials that see the same images the same way";
    const std::string key = caches[0].filename().string();
    for (const char* t : {"t001", "t002"}) {
        const auto log = test::readText(dir + "/runs/" + t + "/train.log");
        EXPECT_TRUE(contains(log, "feature cache: reused " + dir + "/cache/" + key)) << log;
        EXPECT_FALSE(contains(log, "caching")) << log;
    }
    const auto index = experiment::loadExperiment(dir);
    for (const auto& t : index.trials) EXPECT_EQ(t.featureCache, "cache/" + key);

    // Each trial equals a run that caches its own features.
    for (int i = 0; i < 3; ++i) {
        const std::string id = experiment::trialId(static_cast<size_t>(i));
        const auto config = train::loadTrainConfig(dir + "/runs/" + id + "/config.json");
        const std::string alone = tmp.file("alone-" + id);
        Feedback fb;
        const auto r = train::trainRun(config, alone, {}, fb);
        EXPECT_TRUE(r.usedFeatureCache);
        EXPECT_TRUE(r.sharedFeatureCache.empty());
        EXPECT_EQ(test::csvWithoutSeconds(alone), test::csvWithoutSeconds(dir + "/runs/" + id)) << id;
    }

    // A damaged cache file is not trusted: it is recomputed, with a log line.
    const std::string trainFeatures = caches[0].string() + "/train.features";
    std::string bytes = test::readText(trainFeatures);
    bytes[bytes.size() - 3] ^= 0x40;
    std::ofstream(trainFeatures, std::ios::binary | std::ios::trunc) << bytes;
    const auto config = train::loadTrainConfig(dir + "/runs/t000/config.json");
    train::TrainerCallbacks cb;
    std::vector<std::string> lines;
    cb.onLog = [&](const std::string& l) { lines.push_back(l); };
    train::RunOptions options;
    options.featureCacheDir = dir + "/cache";
    Feedback fb;
    const auto r = train::trainRun(config, tmp.file("damaged"), cb, fb, options);
    EXPECT_FALSE(r.reusedFeatureCache);
    std::string all;
    for (const auto& l : lines) all += l + "\n";
    EXPECT_TRUE(contains(all, trainFeatures + " cannot be used (its data is damaged")) << all;
    EXPECT_EQ(test::csvWithoutSeconds(tmp.file("damaged")), test::csvWithoutSeconds(dir + "/runs/t000"));
    EXPECT_NE(test::readText(trainFeatures), bytes) << "the recomputed features replace the damaged file";
}

TEST_F(Experiments, SuccessiveHalvingStopsTheWorseTrialsAndTheSurvivorEqualsAnUnhalvedRun) {
    test::TempDir tmp("ts-exp-halving");
    const std::string dir = tmp.file("exp");
    // One useful learning rate and two that cannot move the weights: after
    // rung 1 (epoch 1 of 3) only the best third (one trial) continues.
    auto spec = grid({"lr=1e-9,0.01,1e-8"});
    spec.base.epochs = 3;
    spec.base.schedule = train::ScheduleKind::Cosine;
    spec.halvingEta = 3;
    const auto r = runIn(spec, dir);
    EXPECT_EQ(r.finished, 1);
    EXPECT_EQ(r.stopped, 2);
    const auto ex = experiment::loadExperiment(dir);
    ASSERT_EQ(ex.trials.size(), 3u);
    EXPECT_EQ(ex.trials[1].status, experiment::TrialStatus::Finished);
    EXPECT_EQ(test::metricsRows(dir + "/runs/t001").size(), 3u);
    for (size_t i : {size_t(0), size_t(2)}) {
        const auto& t = ex.trials[i];
        SCOPED_TRACE(t.id);
        EXPECT_EQ(t.status, experiment::TrialStatus::Stopped);
        EXPECT_EQ(t.stoppedAtEpoch, 1);
        EXPECT_TRUE(contains(t.reason, "successive halving") && contains(t.reason, "of 3")) << t.reason;
        EXPECT_EQ(test::metricsRows(dir + "/" + t.runDir).size(), 1u);
        EXPECT_TRUE(fs::exists(dir + "/" + t.runDir + "/checkpoints/last.ckpt")) << "a stopped trial stays resumable";
    }
    // Stopped at a rung and resumed, the survivor equals a run that was never stopped (same cosine schedule).
    Feedback fb;
    const std::string straight = tmp.file("straight");
    train::trainRun(ex.configOf(ex.trials[1]), straight, {}, fb);
    EXPECT_EQ(test::csvWithoutSeconds(straight), test::csvWithoutSeconds(dir + "/runs/t001"));
    const auto rows = experiment::compareExperiment(dir);
    EXPECT_EQ(rows.front().id, "t001");
    EXPECT_EQ(rows.back().status, experiment::TrialStatus::Stopped);
}

TEST_F(Experiments, AFailingTrialIsRecordedAndTheNextOneRuns) {
    test::TempDir tmp("ts-exp-fail");
    // A data folder with one class: that trial fails when it starts.
    test::makeSyntheticDataset(tmp.file("one-class"), 2, 4, 32, 1);
    fs::remove_all(tmp.file("one-class/class_b"));
    const std::string dir = tmp.file("exp");
    auto spec = grid({"data_dir=" + tmp.file("one-class") + "," + s_data->path()});
    spec.base.epochs = 1;
    const auto r = runIn(spec, dir);
    EXPECT_EQ(r.failed, 1);
    EXPECT_EQ(r.finished, 1);
    const auto ex = experiment::loadExperiment(dir);
    EXPECT_EQ(ex.trials[0].status, experiment::TrialStatus::Failed);
    EXPECT_TRUE(contains(ex.trials[0].error, "holds only one class")) << ex.trials[0].error;
    EXPECT_EQ(ex.trials[1].status, experiment::TrialStatus::Finished);
    const auto rows = experiment::compareExperiment(dir);
    EXPECT_EQ(rows.back().id, "t000");
    EXPECT_TRUE(experiment::toJson(rows.back())["best_val_accuracy"].is_null());
}

TEST_F(Experiments, StopAfterEpochLeavesARunThatResumesLikeAnUninterruptedOne) {
    test::TempDir tmp("ts-exp-stop");
    auto c = base();
    c.epochs = 3;
    c.schedule = train::ScheduleKind::Cosine;
    Feedback fb;
    train::RunOptions stop;
    stop.stopAfterEpoch = 1;
    const auto first = train::trainRun(c, tmp.file("run"), {}, fb, stop);
    EXPECT_TRUE(first.stoppedAtLimit);
    EXPECT_FALSE(first.cancelled);
    EXPECT_EQ(first.epochsRun, 1);
    // Asked again for the same limit: nothing to do.
    EXPECT_TRUE(train::resumeRun(tmp.file("run"), {}, fb, stop).stoppedAtLimit);
    EXPECT_EQ(test::metricsRows(tmp.file("run")).size(), 1u);
    const auto rest = train::resumeRun(tmp.file("run"), {}, fb);
    EXPECT_FALSE(rest.stoppedAtLimit);
    EXPECT_EQ(rest.epochsRun, 3);
    train::trainRun(c, tmp.file("straight"), {}, fb);
    EXPECT_EQ(test::csvWithoutSeconds(tmp.file("run")), test::csvWithoutSeconds(tmp.file("straight")));
}

}  // namespace
