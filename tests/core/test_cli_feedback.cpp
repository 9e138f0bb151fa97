// What `tstudio` tells a person while and after it works: progress inside
// epochs (caching, batches, validation) when its output goes to a pipe, scan
// notes counted by kind, eval's confusion matrix and misclassified files,
// and lr-find's plot and table. End to end on tiny_cnn and generated data.
#include "app/cli/EvalText.h"
#include "core/data/Dataset.h"
#include "core/data/Doctor.h"
#include "core/train/LrSuggest.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <fstream>
#include <regex>
#include <sstream>

using namespace ts;
using test::shellQuote;
namespace fs = std::filesystem;

namespace {

std::string tstudio() { return shellQuote(test::binaryPath("tstudio")); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

size_t occurrences(const std::string& text, const std::string& part) {
    size_t n = 0;
    for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
    return n;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

const std::string kTiny = " --arch tiny_cnn --augment none --seed 3 ";

} // namespace

// Issue #20 item 13: with output to a pipe, training shows progress lines
// for the feature cache, the batches and validation (here one per update);
// with the default interval a short run stays as quiet as before.
TEST(CliFeedback, TrainingShowsProgressInsideEpochsOnAPipe) {
    test::TempDir tmp("ts-cli-progress");
    test::makeSyntheticDataset(tmp.file("data"), 2, 20, 40, 5);
    std::string out;
    // Frozen backbone, no augmentation: features are cached.
    ASSERT_EQ(test::runCommand("TSTUDIO_PROGRESS_INTERVAL=0 " + tstudio() + " train --data " + tmp.file("data") + kTiny +
                                   "--freeze feature-extraction --batch-size 4 --epochs 2 --out " + tmp.file("cached") +
                                   " 2>&1 | cat",
                               &out),
              0)
        << out;
    EXPECT_TRUE(contains(out, "caching training features: ")) << out;
    EXPECT_TRUE(contains(out, "caching training features: 100%  32/32 images")) << out;
    EXPECT_TRUE(contains(out, "caching validation features: 100%  8/8 images")) << out;
    EXPECT_TRUE(contains(out, "epoch 1: ") && contains(out, "batch 8/8") && contains(out, "run ETA")) << out;
    EXPECT_TRUE(contains(out, "epoch 2: 100%  batch 8/8")) << out;
    EXPECT_TRUE(contains(out, "epoch 2 validation: 100%  8/8 images")) << out;
    EXPECT_FALSE(contains(out, "\r")) << "no bar without a terminal";

    // The full model (no cache): batches and validation through the loader.
    ASSERT_EQ(test::runCommand("TSTUDIO_PROGRESS_INTERVAL=0 " + tstudio() + " train --data " + tmp.file("data") + kTiny +
                                   "--freeze none --batch-size 4 --epochs 1 --out " + tmp.file("full") + " 2>&1 | cat",
                               &out),
              0)
        << out;
    EXPECT_FALSE(contains(out, "caching")) << out;
    EXPECT_TRUE(contains(out, "epoch 1: 100%  batch 8/8")) << out;
    EXPECT_TRUE(contains(out, "epoch 1 validation: 100%  8/8 images")) << out;

    // The default interval (10 s): no progress line for a run this short.
    ASSERT_EQ(test::runCommand("env -u TSTUDIO_PROGRESS_INTERVAL " + tstudio() + " train --data " + tmp.file("data") +
                                   kTiny + "--freeze feature-extraction --epochs 1 --out " + tmp.file("quiet") + " 2>&1 | cat",
                               &out),
              0)
        << out;
    EXPECT_FALSE(contains(out, "caching training features:")) << out;
    EXPECT_FALSE(contains(out, "run ETA")) << out;

    // --json: the existing events are unchanged; progress is a new event type.
    ASSERT_EQ(test::runCommand(tstudio() + " train --json --data " + tmp.file("data") + kTiny +
                                   "--freeze feature-extraction --batch-size 4 --epochs 1 --out " + tmp.file("json") +
                                   " 2>/dev/null",
                               &out),
              0)
        << out;
    std::set<std::string> phases;
    bool sawBatch = false;
    for (const auto& l : lines(out)) {
        const auto j = nlohmann::json::parse(l);
        if (j["event"] == "progress") {
            phases.insert(j["phase"].get<std::string>());
            EXPECT_LE(j["done"].get<int64_t>(), j["total"].get<int64_t>()) << l;
        }
        if (j["event"] == "batch") {
            sawBatch = true;
            for (const char* key : {"epoch", "batch", "batches", "loss", "lr", "images_per_sec", "eta_seconds"})
                EXPECT_TRUE(j.contains(key)) << key << " in " << l;
        }
    }
    EXPECT_TRUE(sawBatch) << out;
    EXPECT_EQ(phases, (std::set<std::string>{"caching training features", "caching validation features", "validation"}))
        << out;
}

// Issue #20 item 14: a fine greyscale dataset gets one note line, not one
// line per image; --all-notes still lists them; problems stay listed.
TEST(CliFeedback, ScanCountsNotesByKind) {
    test::TempDir tmp("ts-cli-notes");
    cv::RNG rng(7);
    for (const char* cls : {"a", "b"}) {
        fs::create_directories(tmp.file(std::string("data/") + cls));
        for (int i = 0; i < 9; ++i) {
            cv::Mat grey(40, 40, CV_8UC1);
            rng.fill(grey, cv::RNG::UNIFORM, 0, 255);
            cv::imwrite(tmp.file(std::string("data/") + cls + "/g" + std::to_string(i) + ".png"), grey);
        }
        cv::Mat rgba(40, 40, CV_8UC4);  // one colour image with an alpha channel per class
        rng.fill(rgba, cv::RNG::UNIFORM, 0, 255);
        cv::imwrite(tmp.file(std::string("data/") + cls + "/alpha.png"), rgba);
    }
    std::ofstream(tmp.file("data/a/broken.png")) << "not an image";
    std::string out;
    test::runCommand(tstudio() + " scan " + tmp.file("data"), &out);
    EXPECT_TRUE(contains(out, "18 greyscale images will be converted to RGB")) << out;
    EXPECT_TRUE(contains(out, "2 images have an alpha channel, which is dropped")) << out;
    EXPECT_EQ(occurrences(out, "replicated to RGB"), 0u) << out;
    EXPECT_EQ(occurrences(out, "broken.png"), 1u) << "the problem is still listed\n" << out;
    EXPECT_TRUE(contains(out, "20 notes")) << out;

    test::runCommand(tstudio() + " scan --all-notes " + tmp.file("data"), &out);
    EXPECT_EQ(occurrences(out, "replicated to RGB"), 18u) << out;

    test::runCommand(tstudio() + " scan --json " + tmp.file("data") + " 2>/dev/null", &out);
    const auto j = nlohmann::json::parse(out);
    std::map<std::string, int64_t> counts;
    for (const auto& n : j["notes_summary"]) counts[n["key"].get<std::string>()] = n["count"].get<int64_t>();
    EXPECT_EQ(counts, (std::map<std::string, int64_t>{{"grey", 18}, {"alpha", 2}})) << j["notes_summary"].dump();
}

// The same summary from the core, which the app uses: a file converted for
// two reasons counts under both; a path that reads like a reason does not.
TEST(CliFeedback, NoteSummaryCountsEachReason) {
    data::DoctorReport r;
    r.problems.push_back({data::ProblemKind::Converted, data::Severity::Info, "/d/x grey (replicated to RGB).png", "train",
                          "'/d/x grey (replicated to RGB).png' is alpha channel (dropped).", ""});
    r.problems.push_back({data::ProblemKind::Converted, data::Severity::Info, "/d/y.png", "train",
                          "'/d/y.png' is grey (replicated to RGB), alpha channel (dropped).", ""});
    r.problems.push_back({data::ProblemKind::Rotated, data::Severity::Info, "/d/z.jpg", "val", "'/d/z.jpg' carries", ""});
    r.problems.push_back({data::ProblemKind::Corrupt, data::Severity::Error, "/d/c.png", "val", "'/d/c.png' broken", ""});
    const auto notes = data::summariseNotes(r);
    ASSERT_EQ(notes.size(), 3u);
    EXPECT_EQ(notes[0].key, "grey");
    EXPECT_EQ(notes[0].count, 1);
    EXPECT_EQ(notes[0].example, "/d/y.png");
    EXPECT_EQ(notes[1].key, "alpha");
    EXPECT_EQ(notes[1].count, 2);
    EXPECT_EQ(notes[1].message, "2 images have an alpha channel, which is dropped.");
    EXPECT_EQ(notes[2].key, "rotated");
    EXPECT_EQ(notes[2].message, "1 image carries an EXIF orientation and is rotated upright when decoded.");
}

// Issue #20 item 15: text eval prints the confusion matrix and the
// misclassified files, highest loss first, with true/predicted/confidence.
TEST(CliFeedback, EvalPrintsConfusionMatrixAndMisclassified) {
    test::TempDir tmp("ts-cli-eval");
    test::makeSyntheticDataset(tmp.file("data"), 3, 30, 40, 11);  // 24 train / 6 val per class
    std::string out;
    // One epoch at a tiny rate: a model that still gets many images wrong.
    ASSERT_EQ(test::runCommand(tstudio() + " train --data " + tmp.file("data") + kTiny +
                                   "--freeze none --epochs 1 --lr 1e-5 --out " + tmp.file("run") + " >/dev/null 2>&1",
                               &out),
              0)
        << out;
    ASSERT_EQ(test::runCommand(tstudio() + " eval --json --model " + tmp.file("run") + " 2>/dev/null", &out), 0) << out;
    const auto j = nlohmann::json::parse(out);
    const auto& confusion = j["confusion"];
    int64_t offDiagonal = 0;
    for (size_t t = 0; t < 3; ++t)
        for (size_t p = 0; p < 3; ++p)
            if (t != p) offDiagonal += confusion[t][p].get<int64_t>();
    ASSERT_EQ(static_cast<int64_t>(j["misclassified"].size()), offDiagonal) << out;
    ASSERT_GT(offDiagonal, 0) << "the test needs a model that makes mistakes\n" << out;
    double previous = 1e300;
    for (const auto& m : j["misclassified"]) {
        EXPECT_NE(m["true"], m["predicted"]);
        EXPECT_LE(m["loss"].get<double>(), previous);
        previous = m["loss"].get<double>();
        EXPECT_GT(m["confidence"].get<double>(), 0.0);
        EXPECT_LE(m["confidence"].get<double>(), 1.0);
    }

    ASSERT_EQ(test::runCommand(tstudio() + " eval --model " + tmp.file("run") + " 2>&1", &out), 0) << out;
    EXPECT_TRUE(contains(out, "Confusion matrix (rows: true class, columns: predicted class)")) << out;
    const auto classes = j["classes"].get<std::vector<std::string>>();
    // Row t: "t name |" then the counts of j["confusion"][t] ('.' for an off-diagonal zero).
    int64_t largest = 0;
    for (size_t t = 0; t < 3; ++t)
        for (size_t p = 0; p < 3; ++p) largest = std::max(largest, confusion[t][p].get<int64_t>());
    const size_t cell = std::max<size_t>(std::to_string(largest).size(), 1) + 1;
    auto padLeft = [](std::string s, size_t w) { return std::string(w > s.size() ? w - s.size() : 0, ' ') + s; };
    for (size_t t = 0; t < 3; ++t) {
        std::string row = std::to_string(t) + " " + classes[t];  // "0 class_a": all labels the same width
        row += " |";
        for (size_t p = 0; p < 3; ++p) {
            const auto v = confusion[t][p].get<int64_t>();
            row += padLeft(v == 0 && p != t ? "." : std::to_string(v), cell);
        }
        EXPECT_TRUE(contains(out, row + "\n")) << "row " << row << "\n" << out;
    }
    EXPECT_TRUE(contains(out, "Misclassified: " + std::to_string(offDiagonal) + " image(s), highest loss first")) << out;
    const auto first = j["misclassified"][0];
    const auto firstFile = first["path"].get<std::string>();
    const auto at = out.find(firstFile);
    ASSERT_NE(at, std::string::npos) << out;
    const std::string firstLine = out.substr(out.rfind('\n', at) + 1, at - out.rfind('\n', at) - 1);
    EXPECT_TRUE(contains(firstLine, first["true"].get<std::string>()) && contains(firstLine, first["predicted"].get<std::string>()))
        << firstLine;
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.1f%%", 100.0 * first["confidence"].get<double>());
    EXPECT_TRUE(contains(firstLine, pct)) << firstLine;
    const size_t listed = std::min<size_t>(20, static_cast<size_t>(offDiagonal));
    size_t fileLines = 0;
    for (const auto& m : j["misclassified"]) fileLines += contains(out, m["path"].get<std::string>() + "\n");
    EXPECT_EQ(fileLines, listed) << out;
    if (offDiagonal > 20) EXPECT_TRUE(contains(out, "... and " + std::to_string(offDiagonal - 20) + " more")) << out;
}

// Beyond 30 classes the columns and rows carry numbers and a legend names them.
TEST(CliFeedback, ConfusionMatrixTextLegendBeyondThirtyClasses) {
    std::vector<std::string> classes;
    std::vector<std::vector<int64_t>> counts(40, std::vector<int64_t>(40, 0));
    for (int c = 0; c < 40; ++c) {
        classes.push_back("a_rather_long_class_name_number_" + std::to_string(c));
        counts[c][c] = 100 + c;
    }
    counts[3][7] = 5;
    const std::string text = cli::confusionMatrixText(counts, classes);
    EXPECT_TRUE(contains(text, "Classes:\n")) << text;
    EXPECT_TRUE(contains(text, "  39 = a_rather_long_class_name_number_39\n")) << text;
    const auto rows = lines(text);
    // Header lines, 40 rows, blank line, legend title, 40 legend lines.
    ASSERT_EQ(rows.size(), 3u + 40u + 2u + 40u) << text;
    EXPECT_EQ(rows[3 + 3].substr(0, 5), "3    ") << text;
    EXPECT_TRUE(contains(rows[3 + 3], "   5")) << rows[3 + 3];
    const size_t width = rows[3].size();
    for (size_t i = 3; i < 43; ++i) EXPECT_EQ(rows[i].size(), width) << rows[i];
    EXPECT_LE(width, 4u + 2u + 40u * 4u);
    // Up to 30 classes the names head the rows, cut at 20 characters, control characters escaped.
    const std::string small = cli::confusionMatrixText({{1, 0}, {2, 3}}, {"cat\x1b[31m", std::string(30, 'x')});
    EXPECT_TRUE(contains(small, "0 cat?[31m")) << small;
    EXPECT_TRUE(contains(small, "1 " + std::string(17, 'x') + "...")) << small;
    EXPECT_FALSE(contains(small, "Classes:")) << small;
}

// Issue #20 item 20: lr-find --out writes a PNG plot with the suggestion
// marked and a CSV beside it; bad --out paths fail before the test runs.
TEST(CliFeedback, LrFindWritesPlotAndCsv) {
    test::TempDir tmp("ts-cli-lrfind");
    test::makeSyntheticDataset(tmp.file("data"), 2, 20, 40, 9);
    std::string out;
    const std::string base = tstudio() + " lr-find --data " + tmp.file("data") + kTiny + "--freeze feature-extraction --steps 30";
    ASSERT_EQ(test::runCommand(base + " --json --out " + tmp.file("lr.png") + " 2>/dev/null", &out), 0) << out;
    const auto j = nlohmann::json::parse(out);
    const cv::Mat plot = cv::imread(tmp.file("lr.png"), cv::IMREAD_COLOR);
    ASSERT_FALSE(plot.empty()) << "no PNG at " << tmp.file("lr.png");
    EXPECT_EQ(plot.cols, 900);
    EXPECT_EQ(plot.rows, 560);
    // The suggestion's marker is red (BGR 30,30,210); the curve blue.
    cv::Mat red, blue;
    cv::inRange(plot, cv::Scalar(0, 0, 170), cv::Scalar(80, 80, 255), red);
    cv::inRange(plot, cv::Scalar(140, 60, 0), cv::Scalar(220, 120, 60), blue);
    EXPECT_GT(cv::countNonZero(red), 200);
    EXPECT_GT(cv::countNonZero(blue), 200);

    const std::string csv = test::readText(tmp.file("lr.csv"));
    const auto rows = lines(csv);
    ASSERT_EQ(rows.size(), j["lrs"].size() + 1) << csv;
    EXPECT_EQ(rows[0], "step,lr,loss,suggested");
    int marked = 0;
    for (size_t i = 1; i < rows.size(); ++i) {
        std::stringstream row(rows[i]);
        std::string step, lr, loss, suggested;
        std::getline(row, step, ',');
        std::getline(row, lr, ',');
        std::getline(row, loss, ',');
        std::getline(row, suggested, ',');
        EXPECT_NEAR(std::stod(lr), j["lrs"][i - 1].get<double>(), 1e-9 * j["lrs"][i - 1].get<double>());
        EXPECT_NEAR(std::stod(loss), j["losses"][i - 1].get<double>(), 1e-6);
        marked += suggested == "1";
    }
    EXPECT_EQ(marked, 1) << csv;
    EXPECT_EQ(j["csv"], tmp.file("lr.csv"));

    // --csv names the table; text output says where both went.
    ASSERT_EQ(test::runCommand(base + " --out " + tmp.file("p.png") + " --csv " + tmp.file("t.csv"), &out), 0) << out;
    EXPECT_TRUE(contains(out, "Plot: " + tmp.file("p.png")) && contains(out, "Table: " + tmp.file("t.csv"))) << out;
    EXPECT_TRUE(fs::exists(tmp.file("t.csv")) && !fs::exists(tmp.file("p.csv")));

    EXPECT_NE(test::runCommand(base + " --out " + tmp.file("lr.jpg"), &out), 0);
    EXPECT_TRUE(contains(out, "lr.jpg") && contains(out, ".png")) << out;
    EXPECT_NE(test::runCommand(base + " --out " + tmp.file("nowhere/lr.png"), &out), 0);
    EXPECT_TRUE(contains(out, "does not exist")) << out;
    EXPECT_FALSE(fs::exists(tmp.file("nowhere")));
}

// The suggestion rule (fastai's valley): inside the falling stretch of the
// curve, and not dragged to the end of the range when the loss never
// diverges (the old "minimum / 10" suggested 1.0 for Adam on real data).
TEST(CliFeedback, LrSuggestionIsInTheValley) {
    std::vector<double> lrs, uShape, neverDiverges;
    for (int i = 0; i < 100; ++i) {
        const double x = -7.0 + 8.0 * i / 99.0;  // log10(lr) from -7 to 1
        lrs.push_back(std::pow(10.0, x));
        // Flat, falls between 1e-4 and 1e-1, then shoots up.
        const double fall = 1.0 / (1.0 + std::exp(-(x + 2.5) * 3.0));
        uShape.push_back(0.7 - 0.5 * fall + (x > -0.8 ? 3.0 * (x + 0.8) * (x + 0.8) : 0.0) + 1e-4 * std::sin(7.0 * i));
        neverDiverges.push_back(0.7 - 0.5 * fall - 0.01 * std::max(0.0, x + 1.0) * 5);
    }
    const double a = train::suggestLearningRate(lrs, uShape);
    const double atMin = lrs[static_cast<size_t>(std::min_element(uShape.begin(), uShape.end()) - uShape.begin())];
    EXPECT_GT(a, 1e-5);
    EXPECT_LT(a, atMin / 3) << "on the way down, before the minimum at " << atMin;
    const double b = train::suggestLearningRate(lrs, neverDiverges);
    EXPECT_GT(b, 1e-5);
    EXPECT_LT(b, 1e-1) << "not at the end of the range";
    // Degenerate input.
    EXPECT_EQ(train::suggestLearningRate({}, {}), 0.0);
    EXPECT_EQ(train::suggestLearningRate({1e-3}, {0.5}), 1e-3);
    EXPECT_EQ(train::suggestLearningRate({1e-3, 1e-2}, {NAN, NAN}), 0.0);
}
