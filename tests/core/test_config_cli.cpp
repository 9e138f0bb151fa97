// `tstudio train` / `lr-find` flags and config files go through the same
// validation: invalid values stop the command with the flag (or the file and
// key) named and a non-zero exit, before a run folder exists; the common keys
// have flags, `train --help` shows defaults and points to docs/config.md.
#include "core/train/TrainConfig.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

using namespace ts;
using test::shellQuote;
namespace fs = std::filesystem;

namespace {

std::string tstudio() { return shellQuote(test::binaryPath("tstudio")); }

#define EXPECT_HAS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << "'" << (part) << "' not in: " << (text)

class ConfigCli : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_dir = new test::TempDir("ts-config-cli");
        test::makeSyntheticDataset(s_dir->file("data"), 2, 8, 32, 4, true, 4);
    }
    static void TearDownTestSuite() {
        delete s_dir;
        s_dir = nullptr;
    }
    static std::string data() { return s_dir->file("data"); }
    static test::TempDir* s_dir;
};

test::TempDir* ConfigCli::s_dir = nullptr;

} // namespace

TEST_F(ConfigCli, InvalidFlagsAreRefusedWithTheFlagNamed) {
    test::TempDir tmp;
    const std::string base = tstudio() + " train --data " + shellQuote(data()) + " --arch tiny_cnn --out ";
    struct Case {
        std::string flags, expected;
    };
    const std::vector<Case> cases = {
        {"--epochs 0", "--epochs must be a whole number from 1 to 100000 (got 0)"},
        {"--epochs -3", "--epochs must be a whole number from 1 to 100000 (got -3)"},
        {"--lr -1", "--lr must be a number in (0, 10] (got -1)"},
        {"--batch-size 0", "--batch-size must be a whole number from 1 to 4096 (got 0)"},
        {"--threads 1000000", "--threads must be"},
        {"--head-hidden 10000000000", "--head-hidden must be"},
        {"--momentum 1e300", "--momentum must be a number in [0, 1) (got 1e+300)"},
        {"--weight-decay -0.5", "--weight-decay must be"},
        {"--val-fraction 1", "--val-fraction must be"},
        {"--warmup-epochs -1", "--warmup-epochs must be"},
        {"--early-stopping-patience -1", "--early-stopping-patience must be"},
        {"--early-stopping-metric accuracy", "--early-stopping-metric"},
        {"--freeze last:99999", "--freeze"},
        {"--optimizer rmsprop", "--optimizer"},
        {"--seed -1", "--seed must be a whole number from 0"},
        {"--stage-lr layer3=-1", "--stage-lr"},
    };
    int n = 0;
    for (const auto& k : cases) {
        const std::string run = tmp.file("run" + std::to_string(n++));
        std::string out;
        const int rc = test::runCommand(base + shellQuote(run) + " " + k.flags, &out);
        EXPECT_NE(rc, 0) << k.flags << ": " << out;
        EXPECT_HAS(out, k.expected) << " (flags " << k.flags << ")";
        EXPECT_FALSE(fs::exists(run)) << k.flags << ": a run folder was created";
    }
    // lr-find takes the same flags and checks.
    std::string out;
    EXPECT_NE(test::runCommand(tstudio() + " lr-find --data " + shellQuote(data()) + " --arch tiny_cnn --batch-size 0", &out),
              0);
    EXPECT_HAS(out, "--batch-size must be");
}

TEST_F(ConfigCli, ConfigFileValuesAreCheckedWithTheFileAndKeyNamed) {
    test::TempDir tmp;
    auto write = [&](const std::string& name, const nlohmann::json& j) {
        std::ofstream(tmp.file(name)) << j.dump();
        return tmp.file(name);
    };
    train::TrainConfig c;
    c.dataDir = data();
    c.arch = "tiny_cnn";
    c.pretrained = false;
    nlohmann::json j = train::toJson(c);
    j["epochs"] = 1e300;
    const std::string huge = write("huge.json", j);
    std::string out;
    EXPECT_NE(test::runCommand(tstudio() + " train --config " + shellQuote(huge) + " --out " + shellQuote(tmp.file("r1")), &out),
              0);
    EXPECT_HAS(out, huge);
    EXPECT_HAS(out, "epochs must be a whole number from 1 to 100000 (got 1e+300)");
    EXPECT_FALSE(fs::exists(tmp.file("r1")));

    j = train::toJson(c);
    j["epochz"] = 3;
    const std::string typo = write("typo.json", j);
    EXPECT_NE(test::runCommand(tstudio() + " train --config " + shellQuote(typo) + " --out " + shellQuote(tmp.file("r2")), &out),
              0);
    EXPECT_HAS(out, typo);
    EXPECT_HAS(out, "did you mean \"epochs\"");

    // A flag overrides a bad-looking file value only when it is valid itself.
    j = train::toJson(c);
    j["epochs"] = "ten";
    const std::string text = write("text.json", j);
    EXPECT_NE(test::runCommand(tstudio() + " train --config " + shellQuote(text) + " --out " + shellQuote(tmp.file("r3")), &out),
              0);
    EXPECT_HAS(out, "epochs must be a whole number from 1 to 100000, not the text \"ten\"");

    // A config without a dataset names the file it came from.
    j = train::toJson(c);
    j.erase("data_dir");
    const std::string noData = write("nodata.json", j);
    EXPECT_NE(test::runCommand(tstudio() + " train --config " + shellQuote(noData) + " --out " + shellQuote(tmp.file("r4")), &out),
              0);
    EXPECT_HAS(out, noData);
    EXPECT_HAS(out, "data_dir");

    // A data_dir that is missing, a file or a device: the message names the
    // config file, the key and what the path is, and nothing is created.
    const std::string aFile = write("afile.json", train::toJson(c));
    struct Bad {
        std::string dataDir, what;
    };
    for (const Bad& bad : {Bad{tmp.file("no-such-folder"), "does not exist"}, Bad{aFile, "is a file"},
                           Bad{"/dev/zero", "is a character device"}}) {
        j = train::toJson(c);
        j["data_dir"] = bad.dataDir;
        const std::string cfg = write("baddata.json", j);
        const std::string runDir = tmp.file("r5");
        EXPECT_NE(test::runCommand(tstudio() + " train --config " + shellQuote(cfg) + " --out " + shellQuote(runDir), &out),
                  0);
        EXPECT_HAS(out, "data_dir in '" + cfg + "'");
        EXPECT_HAS(out, bad.dataDir);
        EXPECT_HAS(out, bad.what);
        EXPECT_HAS(out, "pass --data FOLDER");
        EXPECT_FALSE(fs::exists(runDir));
    }
}

TEST_F(ConfigCli, ResumeRefusesADamagedManifestNamingIt) {
    test::TempDir tmp;
    const std::string run = tmp.file("run");
    fs::create_directories(run);
    train::TrainConfig c;
    c.dataDir = data();
    c.arch = "tiny_cnn";
    c.pretrained = false;
    train::saveTrainConfig(c, run + "/config.json");
    std::ofstream(run + "/manifest.json") << R"({"format": "transfer-studio-manifest", "version": 1, "classes": 5})";
    std::string out;
    EXPECT_EQ(test::runCommand(tstudio() + " resume " + shellQuote(run), &out), 1) << out;
    EXPECT_HAS(out, run + "/manifest.json");
    EXPECT_HAS(out, "\"classes\" must be a list");
}

TEST_F(ConfigCli, HelpShowsTheCommonFlagsWithDefaults) {
    std::string help;
    ASSERT_EQ(test::runCommand(tstudio() + " train --help", &help), 0) << help;
    for (const char* flag : {"--head-hidden", "--weight-decay", "--val-fraction", "--early-stopping-patience",
                             "--early-stopping-metric", "--warmup-epochs", "--class-weights", "--momentum",
                             "--threads", "--workers", "--step-epochs", "--step-gamma", "--head-dropout"})
        EXPECT_HAS(help, flag);
    EXPECT_HAS(help, "docs/config.md");
    // Defaults come from TrainConfig{}.
    EXPECT_HAS(help, "INT=10 ");     // --epochs
    EXPECT_HAS(help, "=0.001");      // --lr
    EXPECT_HAS(help, "=adam");       // --optimizer
    EXPECT_HAS(help, "=feature-extraction");
    std::string lrHelp;
    ASSERT_EQ(test::runCommand(tstudio() + " lr-find --help", &lrHelp), 0) << lrHelp;
    EXPECT_HAS(lrHelp, "--head-hidden");
    EXPECT_HAS(lrHelp, "=32");  // --batch-size
}

TEST_F(ConfigCli, NewFlagsReachTheRunsConfig) {
    test::TempDir tmp;
    const std::string run = tmp.file("run");
    std::string out;
    ASSERT_EQ(test::runCommand(tstudio() + " train --data " + shellQuote(data()) +
                                   " --arch tiny_cnn --epochs 1 --batch-size 4 --weight-decay 0.01 --head-hidden 8 "
                                   "--head-dropout 0.1 --val-fraction 0.25 --warmup-epochs 1 --class-weights "
                                   "--early-stopping-patience 3 --early-stopping-metric val_loss --momentum 0.8 "
                                   "--threads 1 --workers 0 --seed 18446744073709551615 --out " +
                                   shellQuote(run),
                               &out),
              0)
        << out;
    const auto c = train::loadTrainConfig(run + "/config.json");
    EXPECT_EQ(c.epochs, 1);
    EXPECT_EQ(c.batchSize, 4);
    EXPECT_DOUBLE_EQ(c.weightDecay, 0.01);
    EXPECT_EQ(c.headHiddenUnits, 8);
    EXPECT_DOUBLE_EQ(c.headDropout, 0.1);
    EXPECT_DOUBLE_EQ(c.valFraction, 0.25);
    EXPECT_EQ(c.warmupEpochs, 1);
    EXPECT_TRUE(c.classWeights);
    EXPECT_EQ(c.earlyStoppingPatience, 3);
    EXPECT_EQ(c.earlyStoppingMetric, train::EarlyStoppingMetric::ValLoss);
    EXPECT_DOUBLE_EQ(c.momentum, 0.8);
    EXPECT_EQ(c.threads, 1);
    EXPECT_EQ(c.workers, 0);
    EXPECT_EQ(c.seed, 18446744073709551615ULL);
}
