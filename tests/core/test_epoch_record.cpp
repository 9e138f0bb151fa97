// EpochRecord: the one per-epoch row. It round-trips through JSON (NaN as
// null and back), refuses damaged rows naming their source, and the CLI's
// --json epoch events are exactly the rows of metrics.jsonl.
#include "core/common/Error.h"
#include "core/train/EpochRecord.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

using namespace ts;
using nlohmann::json;

namespace {

train::EpochRecord sample() {
    train::EpochRecord r;
    r.epoch = 3;
    r.trainLoss = 0.41;
    r.trainAccuracy = 0.83;
    r.valLoss = 0.38;
    r.valAccuracy = 0.86;
    r.lr = 1e-3;
    r.seconds = 12.5;
    r.isBest = true;
    r.perClass = {{0.9, 0.8, 0.85, 70}, {0.75, 0.5, 0.6, 83}};
    r.classNames = {"ants", "bees"};
    r.confusion = {{56, 14}, {6, 77}};
    return r;
}

void expectIoError(const json& row, const std::string& specific) {
    try {
        train::EpochRecord::fromJson(row, "'runs/x/metrics.jsonl'");
        FAIL() << "no error for " << row.dump();
    } catch (const IoError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("'runs/x/metrics.jsonl'"), std::string::npos) << what;
        EXPECT_NE(what.find(specific), std::string::npos) << what;
    }
}

} // namespace

TEST(EpochRecord, RoundTripsThroughJson) {
    const train::EpochRecord r = sample();
    const json j = r.toJson();
    EXPECT_EQ(j.dump(),
              R"({"best":true,"confusion":[[56,14],[6,77]],"epoch":3,"lr":0.001,"per_class":[{"class":"ants","f1":0.85,)"
              R"("precision":0.9,"recall":0.8,"support":70},{"class":"bees","f1":0.6,"precision":0.75,"recall":0.5,)"
              R"("support":83}],"seconds":12.5,"train_accuracy":0.83,"train_loss":0.41,"val_accuracy":0.86,"val_loss":0.38})");
    const train::EpochRecord back = train::EpochRecord::fromJson(json::parse(j.dump()), "test");
    EXPECT_EQ(back.toJson(), j);
    EXPECT_EQ(back.classNames, r.classNames);
    EXPECT_EQ(back.confusion, r.confusion);
    ASSERT_EQ(back.perClass.size(), 2u);
    EXPECT_EQ(back.perClass[1].support, 83);
}

TEST(EpochRecord, NonFiniteNumbersAreNullAndComeBackAsNaN) {
    train::EpochRecord r = sample();
    r.valLoss = std::numeric_limits<double>::quiet_NaN();
    r.trainLoss = std::numeric_limits<double>::infinity();
    r.perClass[0].precision = std::numeric_limits<double>::quiet_NaN();
    const std::string text = r.toJson().dump();
    EXPECT_NE(text.find("\"val_loss\":null"), std::string::npos) << text;
    EXPECT_NE(text.find("\"train_loss\":null"), std::string::npos) << text;
    const auto back = train::EpochRecord::fromJson(json::parse(text), "test");
    EXPECT_TRUE(std::isnan(back.valLoss));
    EXPECT_TRUE(std::isnan(back.trainLoss));
    EXPECT_TRUE(std::isnan(back.perClass[0].precision));
    EXPECT_EQ(back.valAccuracy, 0.86);
}

TEST(EpochRecord, RowsOfOlderRunsWithoutClassNamesOrKeysStillRead) {
    // The CLI's epoch events had per_class without "class"; old rows may lack keys.
    const auto r = train::EpochRecord::fromJson(
        json::parse(R"({"epoch":2,"val_accuracy":0.5,"per_class":[{"precision":1,"recall":0.5,"f1":0.66,"support":4}]})"),
        "test");
    EXPECT_EQ(r.epoch, 2);
    EXPECT_EQ(r.valAccuracy, 0.5);
    EXPECT_EQ(r.trainLoss, 0.0);
    EXPECT_FALSE(r.isBest);
    ASSERT_EQ(r.perClass.size(), 1u);
    EXPECT_TRUE(r.classNames.empty());
    EXPECT_EQ(r.toJson()["per_class"][0].count("class"), 0u) << "no invented name";
}

TEST(EpochRecord, DamagedRowsAreRefusedNamingTheSourceAndTheKey) {
    expectIoError(json::array(), "not a JSON object");
    expectIoError(json::parse(R"({"epoch":"3"})"), "\"epoch\" is not an epoch number");
    expectIoError(json::parse(R"({"epoch":-1})"), "\"epoch\" is not an epoch number");
    expectIoError(json::parse(R"({"val_loss":"low"})"), "\"val_loss\" is not a number");
    expectIoError(json::parse(R"({"best":1})"), "\"best\" is not true or false");
    expectIoError(json::parse(R"({"per_class":{}})"), "\"per_class\" is not a list");
    expectIoError(json::parse(R"({"per_class":[{"class":7}]})"), "\"class\" of \"per_class\" is not a text");
    expectIoError(json::parse(R"({"per_class":[{"support":-2}]})"), "\"support\"");
    expectIoError(json::parse(R"({"confusion":[[1,2],3]})"), "a row of \"confusion\" is not a list");
    expectIoError(json::parse(R"({"confusion":[[1,2.5]]})"), "an entry of \"confusion\"");
}

TEST(EpochRecord, CliJsonEventsEqualTheRowsOfMetricsJsonl) {
    test::TempDir tmp;
    test::makeSyntheticDataset(tmp.file("data"), 2, 8, 32, 7, true, 4);
    std::string out;
    ASSERT_EQ(test::runCommand(test::shellQuote(test::binaryPath("tstudio")) + " train --json --data " + tmp.file("data") +
                                   " --arch tiny_cnn --epochs 2 --batch-size 8 --out " + tmp.file("run") + " 2>/dev/null",
                               &out),
              0)
        << out;
    std::vector<json> events;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        json j = json::parse(line);
        if (j["event"] != "epoch") continue;
        j.erase("event");
        events.push_back(j);
    }
    std::vector<json> rows;
    std::ifstream metrics(tmp.file("run") + "/metrics.jsonl");
    for (std::string line; std::getline(metrics, line);)
        if (!line.empty()) rows.push_back(json::parse(line));
    ASSERT_EQ(events.size(), 2u) << out;
    ASSERT_EQ(rows.size(), 2u);
    for (size_t e = 0; e < rows.size(); ++e) {
        EXPECT_EQ(events[e].dump(), rows[e].dump()) << "epoch " << e + 1;
        EXPECT_EQ(rows[e]["per_class"][0]["class"], "class_a");
        EXPECT_EQ(rows[e]["per_class"][1]["class"], "class_b");
    }
}
