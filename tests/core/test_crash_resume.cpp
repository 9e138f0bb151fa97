// kill -9 at every point of a run's end-of-epoch writes, then `tstudio
// resume`: the run completes, and its best model (model.tsb, best.ckpt) is
// intact and is the best epoch of metrics.jsonl.
//
// The kill comes from the fault-injection hook of ts::writeFileAtomic
// (TS_FAULT_ABORT_AFTER_WRITES=k: SIGKILL right after the k-th atomic write
// of the process), so every boundary between two writes is hit exactly,
// from the run's first write to its last, epochs 1 and 2 included.
// The run uses no pretrained weights (tiny_cnn from its seeded random
// initialisation), so a resume that restarts before the first complete epoch
// rebuilds the same model whatever resume does with pretrained weights.
#include "core/export/Bundle.h"
#include "core/weights/StateDict.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace ts;
using test::shellQuote;
namespace fs = std::filesystem;

namespace {

std::string tstudio() { return shellQuote(test::binaryPath("tstudio")); }

// The epoch metrics.jsonl marks best last (the best so far when it was run).
int bestEpochOf(const std::vector<nlohmann::json>& rows) {
    int best = 0;
    for (const auto& r : rows)
        if (r.value("best", false)) best = r["epoch"].get<int>();
    return best;
}

std::string bytesOf(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// metrics.csv without the last column (seconds), which differs between runs.
std::vector<std::string> csvWithoutSeconds(const std::string& run) {
    std::vector<std::string> out;
    std::ifstream in(run + "/metrics.csv");
    std::string line;
    while (std::getline(in, line))
        if (!line.empty()) out.push_back(line.substr(0, line.rfind(',')));
    return out;
}

} // namespace

TEST(CrashResume, KillNineAfterEveryWriteOfTheFirstTwoEpochsThenResume) {
    const auto started = std::chrono::steady_clock::now();
    test::TempDir tmp;
    test::makeSyntheticDataset(tmp.file("data"), 2, 8, 32, 5, true, 4);
    // One image that cannot be decoded: skipped by the loader, listed in skipped.json.
    std::ofstream(tmp.file("data/val/class_b/broken.png"), std::ios::binary) << "\x89PNG\r\n\x1a\nnot really";
    // val_loss keeps falling on this data, so both epochs are best and the
    // writes of a new best (best.ckpt, model.tsb) happen in epoch 1 and 2.
    const nlohmann::json config = {{"data_dir", tmp.file("data")},
                                   {"arch", "tiny_cnn"},
                                   {"pretrained", false},
                                   {"freeze", "none"},
                                   {"augment", {{"preset", "none"}}},
                                   {"epochs", 2},
                                   {"batch_size", 8},
                                   {"lr", 0.01},
                                   {"seed", 3},
                                   {"workers", 0},
                                   {"threads", 1},
                                   {"early_stopping_metric", "val_loss"}};
    {
        std::ofstream(tmp.file("config.json")) << config.dump(1);
    }
    const std::string train = tstudio() + " train --config " + shellQuote(tmp.file("config.json")) + " --out ";
    std::string out;

    // The same run, uninterrupted: the reference.
    const std::string straight = tmp.file("straight");
    ASSERT_EQ(test::shellStatus(train + shellQuote(straight), &out), 0) << out;
    const auto reference = test::metricsRows(straight);
    ASSERT_EQ(reference.size(), 2u);
    ASSERT_TRUE(reference[0].value("best", false) && reference[1].value("best", false))
        << "the setup needs a new best in both epochs to cover their best-model writes";
    const auto referenceModel = exporting::loadTrainedModel(straight);
    const auto referenceState = weights::stateDictOf(*referenceModel.model);
    const auto referenceCsv = csvWithoutSeconds(straight);
    const std::string skippedBefore = bytesOf(straight + "/skipped.json");
    ASSERT_NE(skippedBefore.find("broken.png"), std::string::npos) << skippedBefore;
    // Resuming a finished run changes nothing it recorded.
    ASSERT_EQ(test::shellStatus(tstudio() + " resume " + shellQuote(straight), &out), 0) << out;
    EXPECT_NE(out.find("already completed"), std::string::npos) << out;
    EXPECT_EQ(bytesOf(straight + "/skipped.json"), skippedBefore);

    int kills = 0;
    for (int k = 1; k <= 40; ++k) {
        SCOPED_TRACE("killed after atomic write " + std::to_string(k));
        const std::string run = tmp.file("run" + std::to_string(k));
        const int status = test::shellStatus("TS_FAULT_ABORT_AFTER_WRITES=" + std::to_string(k) + " " + train +
                                           shellQuote(run) + " >/dev/null 2>&1",
                                       &out);
        if (status == 0) break;  // k is past the run's last write: every point was covered
        ASSERT_EQ(status, 137) << "the run was not killed by the fault hook: " << out;
        ++kills;

        // Whatever is on disk now must never claim a best model it lacks.
        const auto before = test::metricsRows(run);
        if (bestEpochOf(before) > 0) {
            ASSERT_TRUE(fs::exists(run + "/model.tsb")) << "metrics name a best epoch but model.tsb is missing";
            ASSERT_TRUE(fs::exists(run + "/checkpoints/best.ckpt"));
            EXPECT_GE(exporting::loadTrainedModel(run).meta.metrics["epoch"].get<int>(), bestEpochOf(before));
        }

        if (!fs::exists(run + "/manifest.json")) {
            // Killed before the run had its split on disk: nothing to resume,
            // and resume says so instead of failing obscurely.
            EXPECT_EQ(test::shellStatus(tstudio() + " resume " + shellQuote(run), &out), 1) << out;
            EXPECT_NE(out.find("not a run folder"), std::string::npos) << out;
            continue;
        }
        ASSERT_EQ(test::shellStatus(tstudio() + " resume " + shellQuote(run), &out), 0) << out;

        const auto rows = test::metricsRows(run);
        ASSERT_EQ(rows.size(), 2u);
        EXPECT_EQ(csvWithoutSeconds(run), referenceCsv) << "the resumed run differs from the uninterrupted one";
        const int best = bestEpochOf(rows);
        EXPECT_EQ(best, 2);
        // model.tsb: loads, is the best epoch, and holds that epoch's weights.
        ASSERT_TRUE(fs::exists(run + "/model.tsb"));
        const auto loaded = exporting::loadTrainedModel(run);
        EXPECT_EQ(loaded.meta.metrics["epoch"].get<int>(), best);
        EXPECT_NEAR(loaded.meta.metrics["val_loss"].get<double>(), rows[best - 1]["val_loss"].get<double>(), 1e-12);
        const auto state = weights::stateDictOf(*loaded.model);
        ASSERT_EQ(state.size(), referenceState.size());
        for (size_t i = 0; i < state.size(); ++i)
            EXPECT_TRUE(at::allclose(state[i].second.to(at::kDouble), referenceState[i].second.to(at::kDouble), 1e-5, 1e-6))
                << state[i].first;
        // best.ckpt: the best epoch is the last one, so best.ckpt and
        // last.ckpt were both written from the same state at its end and
        // are the same bytes; resume has just read last.ckpt, so best.ckpt
        // is a complete checkpoint of the best epoch.
        ASSERT_TRUE(fs::exists(run + "/checkpoints/best.ckpt"));
        EXPECT_TRUE(bytesOf(run + "/checkpoints/best.ckpt") == bytesOf(run + "/checkpoints/last.ckpt"))
            << "best.ckpt is not the checkpoint of the best epoch";
        for (const auto& e : fs::recursive_directory_iterator(run))
            EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << "left behind: " << e.path();
        fs::remove_all(run);  // keep the temp folder small
    }
    // config.json, manifest.json, then per epoch best.ckpt, model.tsb,
    // last.ckpt, metrics.jsonl, metrics.csv, and skipped.json at the end.
    EXPECT_GE(kills, 12) << "fewer writes than a two-epoch run makes";
    RecordProperty("kills", kills);
    RecordProperty("seconds", static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(
                                                   std::chrono::steady_clock::now() - started)
                                                   .count()));
}
