// `tstudio experiment` end to end on tiny_cnn and generated data: bad input is
// refused before anything trains (and creates nothing); an experiment killed
// with kill -9 at many points (the fault hook of ts::writeFileAtomic) and
// resumed ends with the same compare numbers and metrics as an
// uninterrupted one (successive halving and a shared feature cache
// included); Ctrl-C stops cleanly and resume finishes; compare --json reads
// each run's own metrics.jsonl; the seed-strategies preset runs.
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <future>
#include <map>
#include <sstream>
#include <thread>

using namespace ts;
using nlohmann::json;
using test::shellQuote;
namespace fs = std::filesystem;

namespace {

std::string tstudio() { return shellQuote(test::binaryPath("tstudio")); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// `experiment compare --json` of `dir`, without what differs between runs
/// of the same experiment (wall times, throughput, the folder's own path).
json compareOf(const std::string& dir) {
    std::string out;
    const int rc = test::runCommand(tstudio() + " experiment compare --json " + shellQuote(dir) + " 2>/dev/null", &out);
    EXPECT_EQ(rc, 0) << out;
    json runs = json::parse(out).at("runs");
    for (auto& r : runs)
        for (const char* key : {"seconds", "epoch_seconds", "images_per_second", "run_path"}) r.erase(key);
    return runs;
}

void writeConfig(const std::string& path, const json& config) { std::ofstream(path) << config.dump(1); }

json tinyConfig(const std::string& data, int epochs) {
    return {{"data_dir", data},
            {"arch", "tiny_cnn"},
            {"pretrained", false},
            {"freeze", "none"},
            {"augment", {{"preset", "none"}}},
            {"epochs", epochs},
            {"batch_size", 8},
            {"lr", 0.01},
            {"seed", 3},
            {"workers", 0},
            {"threads", 1}};
}

}  // namespace

TEST(ExperimentCli, BadInputIsRefusedBeforeAnythingTrainsOrIsCreated) {
    test::TempDir tmp("ts-expcli-bad");
    test::makeSyntheticDataset(tmp.file("data"), 2, 6, 32, 3);
    writeConfig(tmp.file("base.json"), tinyConfig(tmp.file("data"), 1));
    const std::string run = tstudio() + " experiment run --config " + shellQuote(tmp.file("base.json"));
    const std::string out = tmp.file("exp");
    struct Case {
        std::string args, message;
    };
    const std::vector<Case> cases = {
        {" --grid learning_rate=0.1,0.01", "Unknown axis key \"learning_rate\""},
        {" --grid learning_rate=0.1,0.01", "did you mean \"lr\""},
        {" --grid epochs=1,two", "\"two\" is not a value epochs can take"},
        {" --grid lr=0.1,-1", "\"-1\" is not a value lr can take"},
        {" --grid augment.preset=none,heavy", "Invalid augment.preset \"heavy\""},
        {" --grid lr=", "empty grid"},
        {"", "empty grid"},
        {" --grid lr=0.1,0.01 --halving 1", "--halving must be from 2 to 100"},
        {" --grid lr=1e-3:1e-1", "a grid needs a list of values"},
        {" --preset three-things", "Unknown experiment preset \"three-things\""},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.args);
        std::string output;
        EXPECT_EQ(test::runCommand(run + c.args + " --out " + shellQuote(out), &output), 1) << output;
        EXPECT_TRUE(contains(output, c.message)) << output;
        EXPECT_FALSE(contains(output, "epoch 1/")) << "it trained:\n" << output;
        EXPECT_FALSE(fs::exists(out)) << "the folder was created";
    }
    // A folder that holds other files.
    fs::create_directories(tmp.file("foreign"));
    std::ofstream(tmp.file("foreign/notes.txt")) << "mine";
    std::string output;
    EXPECT_EQ(test::runCommand(run + " --grid lr=0.1,0.01 --out " + shellQuote(tmp.file("foreign")), &output), 1);
    EXPECT_TRUE(contains(output, "not empty and holds no experiment")) << output;
    EXPECT_EQ(std::distance(fs::directory_iterator(tmp.file("foreign")), fs::directory_iterator()), 1);
    // A folder that holds another experiment: refused, and that one is untouched.
    ASSERT_EQ(test::runCommand(run + " --grid lr=0.01 --out " + shellQuote(out), &output), 0) << output;
    const std::string index = test::readText(out + "/trials.json");
    EXPECT_EQ(test::runCommand(run + " --grid lr=0.02 --out " + shellQuote(out), &output), 1);
    EXPECT_TRUE(contains(output, "already holds another experiment") && contains(output, "experiment resume"))
        << output;
    EXPECT_EQ(test::readText(out + "/trials.json"), index);
    EXPECT_FALSE(fs::exists(out + "/runs/t001"));
    // The same experiment again: continued (nothing left to train), not refused.
    EXPECT_EQ(test::runCommand(run + " --grid lr=0.01 --out " + shellQuote(out), &output), 0) << output;
    EXPECT_FALSE(contains(output, "epoch 1/")) << output;
    // resume needs an experiment folder.
    EXPECT_EQ(test::runCommand(tstudio() + " experiment resume " + shellQuote(tmp.file("data")), &output), 1);
    EXPECT_TRUE(contains(output, "is not an experiment folder")) << output;
    EXPECT_EQ(test::runCommand(tstudio() + " experiment compare " + shellQuote(tmp.file("foreign")), &output), 1);
    EXPECT_TRUE(contains(output, "is not an experiment folder")) << output;
    // The help names the subcommands and the flags.
    EXPECT_EQ(test::runCommand(tstudio() + " experiment run --help", &output), 0);
    for (const char* flag : {"--grid", "--random", "--halving", "--preset", "--out", "--json", "seed-strategies"})
        EXPECT_TRUE(contains(output, flag)) << flag << "\n" << output;
    EXPECT_EQ(test::runCommand(tstudio() + " experiment --help", &output), 0);
    for (const char* sub : {"run", "resume", "compare", "docs/experiments.md"})
        EXPECT_TRUE(contains(output, sub)) << output;
}

TEST(ExperimentCli, KilledAtAnyWriteThenResumedEndsLikeAnUninterruptedExperiment) {
    test::TempDir tmp("ts-expcli-kill");
    test::makeSyntheticDataset(tmp.file("data"), 2, 10, 32, 5);
    writeConfig(tmp.file("base.json"), tinyConfig(tmp.file("data"), 4));
    // 4 trials with halving 2: rungs end after epochs 1 and 2, the survivor
    // trains to 4; the two feature-extraction trials share one cache.
    const std::string run = tstudio() + " experiment run --config " + shellQuote(tmp.file("base.json")) +
                            " --grid lr=0.01,1e-9 --grid freeze=none,feature-extraction --halving 2 --out ";
    std::string out;
    const std::string straight = tmp.file("straight");
    ASSERT_EQ(test::shellStatus(run + shellQuote(straight) + " --json", &out), 0) << out;
    // The two feature-extraction trials see the same images the same way: one cache, computed once.
    EXPECT_TRUE(contains(out, "feature cache: computed and saved to " + straight + "/cache/")) << out.substr(0, 3000);
    EXPECT_TRUE(contains(out, "feature cache: reused " + straight + "/cache/")) << out.substr(0, 3000);
    const json reference = compareOf(straight);
    ASSERT_EQ(reference.size(), 4u);
    int stopped = 0;
    for (const auto& r : reference) stopped += r["status"] == "stopped";
    EXPECT_EQ(stopped, 3) << reference.dump(1);
    EXPECT_EQ(reference[0]["status"], "finished");
    EXPECT_EQ(reference[0]["epochs_done"], 4);

    int kills = 0;
    for (int k : {1, 2, 3, 5, 8, 12, 17, 23, 30, 38, 47, 57, 68, 80, 93, 107, 122}) {
        SCOPED_TRACE("killed after atomic write " + std::to_string(k));
        const std::string dir = tmp.file("exp" + std::to_string(k));
        const int status = test::shellStatus("TS_FAULT_ABORT_AFTER_WRITES=" + std::to_string(k) + " " + run +
                                           shellQuote(dir) + " >/dev/null 2>&1",
                                       &out);
        if (status == 0) break;  // past the experiment's last write
        ASSERT_EQ(status, 137) << "not killed by the fault hook: " << out;
        ++kills;
        // Killed while the folder was being created: the same command starts it; else resume continues it.
        const std::string again = fs::exists(dir + "/experiment.json")
                                      ? tstudio() + " experiment resume " + shellQuote(dir)
                                      : run + shellQuote(dir);
        ASSERT_EQ(test::shellStatus(again, &out), 0) << out;
        EXPECT_EQ(compareOf(dir), reference);
        for (const auto& r : reference) {
            const std::string id = r["id"];
            EXPECT_EQ(test::csvWithoutSeconds(dir + "/runs/" + id), test::csvWithoutSeconds(straight + "/runs/" + id)) << id;
        }
        for (const auto& e : fs::recursive_directory_iterator(dir))
            EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << "left behind: " << e.path();
        fs::remove_all(dir);
    }
    EXPECT_GE(kills, 12);
    RecordProperty("kills", kills);
}

TEST(ExperimentCli, CtrlCStopsCleanlyAndResumeFinishes) {
    test::TempDir tmp("ts-expcli-int");
    test::makeSyntheticDataset(tmp.file("data"), 2, 8, 32, 7);
    writeConfig(tmp.file("base.json"), tinyConfig(tmp.file("data"), 12));
    const std::string dir = tmp.file("exp");
    const std::string pidFile = tmp.file("pid");
    const std::string command = "echo $$ > " + shellQuote(pidFile) + "; exec " + tstudio() +
                                " experiment run --config " + shellQuote(tmp.file("base.json")) +
                                " --grid lr=0.01,0.001 --out " + shellQuote(dir);
    auto done = std::async(std::launch::async, [command] {
        std::string output;
        const int rc = test::runCommand(command, &output);
        return std::make_pair(rc, output);
    });
    int pid = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < deadline) {
        if (!pid) std::ifstream(pidFile) >> pid;
        if (pid && test::metricsRows(dir + "/runs/t000").size() >= 2) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_GT(pid, 0);
    ::kill(pid, SIGINT);
    ASSERT_EQ(done.wait_for(std::chrono::seconds(60)), std::future_status::ready) << "Ctrl-C did not stop it";
    const auto [rc, output] = done.get();
    ASSERT_EQ(rc, 130) << output;
    EXPECT_TRUE(contains(output, "tstudio experiment resume " + dir)) << output;
    const json index = json::parse(test::readText(dir + "/trials.json"));
    EXPECT_EQ(index["trials"][0]["status"], "running") << index.dump(1);
    EXPECT_EQ(index["trials"][1]["status"], "pending") << index.dump(1);
    EXPECT_LT(test::metricsRows(dir + "/runs/t000").size(), 12u) << "it was not interrupted";

    std::string out;
    ASSERT_EQ(test::runCommand(tstudio() + " experiment resume --json " + shellQuote(dir), &out), 0) << out;
    EXPECT_TRUE(contains(out, "\"event\":\"trial_started\"") && contains(out, "\"resumed\":true"))
        << out.substr(0, 2000);
    EXPECT_TRUE(contains(out, "\"event\":\"experiment_finished\""))
        << out.substr(out.size() > 2000 ? out.size() - 2000 : 0);
    EXPECT_EQ(test::metricsRows(dir + "/runs/t000").size(), 12u);
    EXPECT_EQ(test::metricsRows(dir + "/runs/t001").size(), 12u);
}

TEST(ExperimentCli, SeedStrategiesPresetAndCompareJsonReadTheRunsOwnMetrics) {
    test::TempDir tmp("ts-expcli-preset");
    test::makeSyntheticDataset(tmp.file("data"), 2, 8, 40, 9);
    json config = tinyConfig(tmp.file("data"), 2);
    config["lr"] = 0.02;
    writeConfig(tmp.file("base.json"), config);
    const std::string dir = tmp.file("exp");
    std::string out;
    ASSERT_EQ(test::runCommand(tstudio() + " experiment run --config " + shellQuote(tmp.file("base.json")) +
                                   " --preset seed-strategies --json --out " + shellQuote(dir) + " 2>/dev/null",
                               &out),
              0)
        << out;
    int started = 0, finished = 0;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        const json e = json::parse(line);  // one JSON object per line
        started += e["event"] == "trial_started";
        finished += e["event"] == "trial_finished";
        if (e["event"] == "epoch") EXPECT_TRUE(e.contains("trial")) << line;
    }
    EXPECT_EQ(started, 3);
    EXPECT_EQ(finished, 3);
    EXPECT_TRUE(contains(out, "\"event\":\"experiment_finished\""));

    ASSERT_EQ(test::runCommand(tstudio() + " experiment compare --json " + shellQuote(dir), &out), 0) << out;
    const json runs = json::parse(out).at("runs");
    ASSERT_EQ(runs.size(), 3u);
    std::map<std::string, json> byId;
    for (const auto& r : runs) byId[r["id"]] = r;
    EXPECT_EQ(byId["t000"]["params"], json({{"freeze", "feature-extraction"}, {"augment.preset", "none"}}));
    EXPECT_EQ(byId["t001"]["params"]["augment.preset"], "standard");
    EXPECT_EQ(byId["t002"]["params"]["freeze"], "last:2");
    EXPECT_DOUBLE_EQ(byId["t002"]["params"]["lr"].get<double>(), 0.002);
    EXPECT_LT(byId["t000"]["trainable_parameters"].get<int64_t>(), byId["t002"]["trainable_parameters"].get<int64_t>());
    for (size_t i = 0; i < runs.size(); ++i) {
        const auto& r = runs[i];
        SCOPED_TRACE(r["id"].get<std::string>());
        EXPECT_EQ(r["status"], "finished");
        double best = -1;
        int bestEpoch = 0;
        for (const auto& m : test::metricsRows(dir + "/" + r["run_dir"].get<std::string>()))
            if (m["val_accuracy"].get<double>() > best)
                best = m["val_accuracy"].get<double>(), bestEpoch = m["epoch"].get<int>();
        EXPECT_EQ(r["best_val_accuracy"].get<double>(), best);
        EXPECT_EQ(r["best_epoch"].get<int>(), bestEpoch);
        EXPECT_GT(r["seconds"].get<double>(), 0.0);
        EXPECT_GT(r["images_per_second"].get<double>(), 0.0);
        if (i > 0) EXPECT_GE(runs[i - 1]["best_val_accuracy"].get<double>(), best) << "best first";
    }
    // The table for people: one row per trial.
    ASSERT_EQ(test::runCommand(tstudio() + " experiment compare " + shellQuote(dir), &out), 0) << out;
    for (const char* id : {"t000", "t001", "t002"}) EXPECT_TRUE(contains(out, id)) << out;
    EXPECT_TRUE(contains(out, "freeze=last:2")) << out;

    // The experiment's report ranks and scores the trials as compare does.
    const std::string html = tmp.file("report.html");
    ASSERT_EQ(test::runCommand(tstudio() + " report " + shellQuote(dir) + " --no-doctor --no-eval --out " +
                                   shellQuote(html) + " 2>&1",
                               &out),
              0)
        << out;
    std::ifstream in(html);
    const std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (size_t i = 0; i < runs.size(); ++i) {
        const std::string row = "<td class=\"num\">" + std::to_string(i + 1) + "</td><td>" + runs[i]["id"].get<std::string>() + "</td>";
        const size_t at = page.find(row);
        ASSERT_NE(at, std::string::npos) << row;
        char pct[32];
        std::snprintf(pct, sizeof pct, "%.2f %%", runs[i]["best_val_accuracy"].get<double>() * 100.0);
        const size_t end = page.find("</tr>", at);
        EXPECT_NE(page.substr(at, end - at).find(pct), std::string::npos) << page.substr(at, end - at);
    }
}
