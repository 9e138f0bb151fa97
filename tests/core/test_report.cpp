// tstudio report (core/report): the HTML escaping, the SVG plots, and the
// report of a tiny run trained here (tiny_cnn, a generated dataset with a
// hostile class name and a class that copies another, so there are mistakes
// and doctor findings): self-contained, sections present, numbers equal to
// metrics.jsonl, the exports recorded by `tstudio export`, clear errors, the
// experiment report, and a render in headless Chromium.
#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/experiment/Experiment.h"
#include "core/export/ExportLog.h"
#include "core/report/Html.h"
#include "core/report/Report.h"
#include "core/report/Svg.h"
#include "core/train/Trainer.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <cctype>
#include <cstring>
#include <regex>
#include <set>
#include <sstream>

using namespace ts;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kHostileClass = "<b>x<i>&\"q'";
const std::string kHostileEscaped = "&lt;b&gt;x&lt;i&gt;&amp;&quot;q&#39;";

void spit(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

size_t countOf(const std::string& text, const std::string& needle) {
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

// The checks every report must pass: one document, its main elements
// balanced, nothing loaded from anywhere (only data: URIs and #anchors), no
// script.
void expectSelfContained(const std::string& html) {
    EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
    for (const char* tag : {"html", "head", "body", "main", "section", "table", "svg", "figure", "style", "details"}) {
        const size_t open = countOf(html, std::string("<") + tag + ">") + countOf(html, std::string("<") + tag + " ");
        const size_t close = countOf(html, std::string("</") + tag + ">");
        EXPECT_EQ(open, close) << "<" << tag << "> opened " << open << " times, closed " << close;
    }
    EXPECT_EQ(countOf(html, "<html"), 1u);
    EXPECT_EQ(countOf(html, "<body"), 1u);
    std::string lower = html;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(lower.find("<script"), std::string::npos);
    EXPECT_EQ(lower.find("http://"), std::string::npos);
    EXPECT_EQ(lower.find("https://"), std::string::npos);
    EXPECT_EQ(lower.find("file:"), std::string::npos);
    EXPECT_EQ(lower.find("url("), std::string::npos) << "no CSS url()";
    EXPECT_EQ(lower.find("@import"), std::string::npos);
    EXPECT_EQ(lower.find("<link"), std::string::npos);
    EXPECT_EQ(lower.find("<iframe"), std::string::npos);
    // Every attribute that can load something (scanned by hand: std::regex
    // recurses per character and the data: URIs are long).
    size_t refs = 0;
    for (const char* name : {"src", "href", "srcset", "action", "poster", "data", "background", "formaction"}) {
        const std::string key = std::string(name) + "=";
        for (size_t at = lower.find(key); at != std::string::npos; at = lower.find(key, at + 1)) {
            const char before = at > 0 ? lower[at - 1] : ' ';
            if (!std::isspace(static_cast<unsigned char>(before)) && before != ':') continue;  // e.g. data-value=
            size_t v = at + key.size();
            if (v < html.size() && (html[v] == '"' || html[v] == '\'')) ++v;
            const std::string value = html.substr(v, 40);
            ++refs;
            EXPECT_TRUE(value.rfind("data:image/png;base64,", 0) == 0 || (value.size() > 1 && value[0] == '#'))
                << name << "=" << value;
        }
    }
    EXPECT_GT(refs, 0u);
    // No event handler attribute (onload=, onerror=, ...) in any tag.
    for (size_t lt = lower.find('<'); lt != std::string::npos; lt = lower.find('<', lt + 1)) {
        const size_t gt = lower.find('>', lt);
        if (gt == std::string::npos) break;
        for (size_t i = lt + 1; i + 3 < gt; ++i) {
            if (!std::isspace(static_cast<unsigned char>(lower[i])) || lower.compare(i + 1, 2, "on") != 0) continue;
            size_t j = i + 3;
            while (j < gt && std::isalpha(static_cast<unsigned char>(lower[j]))) ++j;
            EXPECT_FALSE(j > i + 3 && j < gt && lower[j] == '=') << lower.substr(lt, std::min<size_t>(80, gt - lt));
        }
        lt = gt;
    }
}

class ReportTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_tmp = new test::TempDir("ts-report");
        const std::string data = s_tmp->file("data");
        test::makeSyntheticDataset(data, 2, 16, 32, 11);
        // A class that copies class_a: the model cannot tell them apart, so
        // the validation split has mistakes and the doctor has duplicates.
        fs::create_directories(fs::path(data) / kHostileClass);
        for (const auto& e : fs::directory_iterator(fs::path(data) / "class_a"))
            fs::copy_file(e.path(), fs::path(data) / kHostileClass / ("copy_" + e.path().filename().string()));
        train::TrainConfig c;
        c.dataDir = data;
        c.arch = "tiny_cnn";
        c.pretrained = false;
        c.epochs = 2;
        c.batchSize = 8;
        c.lr = 1e-2;
        c.valFraction = 0.4;
        s_config = new train::TrainConfig(c);
        Feedback feedback;
        s_result = new train::TrainResult(train::trainRun(c, s_tmp->file("run"), {}, feedback));
    }
    static void TearDownTestSuite() {
        delete s_result;
        delete s_config;
        delete s_tmp;
    }
    // A copy of the run folder (checkpoints left out) to damage.
    static std::string copyRun(const std::string& name) {
        const std::string dst = s_tmp->file(name);
        fs::create_directories(dst);
        for (const char* f : {"config.json", "manifest.json", "metrics.jsonl", "model.tsb"})
            fs::copy_file(s_tmp->file("run") + "/" + f, dst + "/" + f);
        return dst;
    }
    static test::TempDir* s_tmp;
    static train::TrainResult* s_result;
    static train::TrainConfig* s_config;
};
test::TempDir* ReportTest::s_tmp = nullptr;
train::TrainConfig* ReportTest::s_config = nullptr;
train::TrainResult* ReportTest::s_result = nullptr;

// The best epoch's row of metrics.jsonl, read here without the report's code.
json bestRow(const std::string& metricsPath) {
    std::ifstream in(metricsPath);
    std::string line;
    json best;
    while (std::getline(in, line))
        if (!line.empty()) {
            const json row = json::parse(line);
            if (row.value("best", false)) best = row;
        }
    return best;
}

} // namespace

// --- escaping, encoding, plots ----------------------------------------------

TEST(ReportHtml, EscapesEveryMarkupCharacterAndShowsControlBytes) {
    EXPECT_EQ(report::escapeHtml("<script>alert('x')</script>&\""),
              "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;");
    EXPECT_EQ(report::escapeHtml("caf\xC3\xA9"), "caf\xC3\xA9") << "valid UTF-8 is kept";
    EXPECT_EQ(report::escapeHtml("a\x1b[31mb\nc"), "a\\x1B[31mb\\x0Ac");
    EXPECT_EQ(report::escapeHtml("bad\xC3(\xFF"), "bad\\xC3(\\xFF") << "invalid UTF-8 bytes are shown, not passed on";
    EXPECT_EQ(report::escapeHtml("\xC2\x85"), "\\xC2\\x85") << "C1 controls too";
    const std::string cut = report::escapeHtml(std::string(1000, 'a'), 10);
    EXPECT_EQ(cut, std::string(10, 'a') + "&hellip;");
}

TEST(ReportHtml, Base64AndPngDataUrisRoundTrip) {
    EXPECT_EQ(report::base64(""), "");
    EXPECT_EQ(report::base64("f"), "Zg==");
    EXPECT_EQ(report::base64("fo"), "Zm8=");
    EXPECT_EQ(report::base64("foo"), "Zm9v");
    EXPECT_EQ(report::base64("foobar"), "Zm9vYmFy");
    cv::Mat rgb(5, 7, CV_8UC3);
    for (int y = 0; y < rgb.rows; ++y)
        for (int x = 0; x < rgb.cols; ++x) rgb.at<cv::Vec3b>(y, x) = cv::Vec3b(uchar(10 * x), uchar(40 * y), 200);
    const std::string uri = report::pngDataUri(rgb);
    ASSERT_EQ(uri.rfind("data:image/png;base64,", 0), 0u);
    // Decode the base64 by hand and the PNG with OpenCV: the same pixels, in RGB order.
    const std::string b64 = uri.substr(std::strlen("data:image/png;base64,"));
    std::vector<uchar> bytes;
    int val = 0, bits = -8;
    for (const char ch : b64) {
        const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char* p = std::strchr(table, ch);
        if (ch == '=' || !p) break;
        val = (val << 6) + int(p - table);
        bits += 6;
        if (bits >= 0) {
            bytes.push_back(uchar((val >> bits) & 0xFF));
            bits -= 8;
        }
    }
    cv::Mat bgr = cv::imdecode(bytes, cv::IMREAD_COLOR);
    ASSERT_EQ(bgr.size(), rgb.size());
    EXPECT_EQ(bgr.at<cv::Vec3b>(4, 6), cv::Vec3b(200, 160, 60)) << "BGR of RGB (60, 160, 200)";
    EXPECT_THROW(report::pngDataUri(cv::Mat()), Error);
}

TEST(ReportSvg, NiceTicksCoverTheRangeWithRoundSteps) {
    const auto unit = report::niceTicks(0.0, 1.0, 6);
    ASSERT_EQ(unit.size(), 6u);
    for (size_t i = 0; i < unit.size(); ++i) EXPECT_NEAR(unit[i], 0.2 * double(i), 1e-12);
    const auto t = report::niceTicks(0.831, 0.968, 6);
    ASSERT_GE(t.size(), 3u);
    EXPECT_LE(t.front(), 0.831);
    EXPECT_GE(t.back(), 0.968);
    EXPECT_NEAR(t[1] - t[0], 0.05, 1e-12);
    EXPECT_EQ(report::niceTicks(1, 2, 8, true), (std::vector<double>{1, 2}));
    for (double v : report::niceTicks(1, 37, 8, true)) EXPECT_EQ(v, std::round(v));
    const auto flat = report::niceTicks(5, 5, 5);
    EXPECT_LT(flat.front(), 5.0) << "a flat series gets a range around its value";
    EXPECT_GT(flat.back(), 5.0);
    EXPECT_EQ(report::niceTicks(NAN, 1), (std::vector<double>{0, 1}));
    EXPECT_EQ(report::tickLabel(0.25, 0.05), "0.25");
    EXPECT_EQ(report::tickLabel(3, 1), "3");
    EXPECT_EQ(report::tickLabel(0.0004, 0.0002), "0.0004");
}

TEST(ReportSvg, LinePlotHasALegendTicksAndEscapedNames) {
    report::PlotSeries a{"<evil>&", {1, 2, 3}, {0.5, NAN, 0.9}};
    report::PlotSeries b{"val", {1, 2, 3}, {0.4, 0.6, 0.7}, -1, true};
    report::LinePlotOptions o;
    o.title = "Accuracy";
    o.xLabel = "epoch";
    o.yLabel = "accuracy";
    const std::string svg = report::svgLinePlot({a, b}, o);
    EXPECT_NE(svg.find("&lt;evil&gt;&amp;"), std::string::npos);
    EXPECT_EQ(svg.find("<evil>"), std::string::npos);
    EXPECT_NE(svg.find(report::palette()[0]), std::string::npos);
    EXPECT_NE(svg.find(report::palette()[1]), std::string::npos);
    EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);
    EXPECT_NE(svg.find(">epoch<"), std::string::npos);
    EXPECT_NE(svg.find(">accuracy<"), std::string::npos);
    // The NaN breaks the first series: two moves in its path.
    const size_t path = svg.find("<path d=\"");
    ASSERT_NE(path, std::string::npos);
    const std::string d = svg.substr(path, svg.find('"', path + 9) - path);
    EXPECT_EQ(countOf(d, "M"), 2u) << d;
    // Font sizes: nothing under 11 px.
    const std::regex size(R"re(font-size="(\d+))re");
    for (auto it = std::sregex_iterator(svg.begin(), svg.end(), size); it != std::sregex_iterator(); ++it)
        EXPECT_GE(std::stoi((*it)[1]), 11);
    EXPECT_NE(report::svgLinePlot({}, o).find("no data"), std::string::npos);
}

TEST(ReportSvg, ConfusionMatrixWritesEveryCount) {
    const std::string svg = report::svgConfusionMatrix({"ants", "<bees>"}, {{56, 14}, {6, 77}}, "Confusion");
    for (const char* n : {">56<", ">14<", ">6<", ">77<"}) EXPECT_NE(svg.find(n), std::string::npos) << n;
    EXPECT_NE(svg.find("&lt;bees&gt;"), std::string::npos);
    EXPECT_EQ(svg.find("<bees>"), std::string::npos);
    EXPECT_NE(report::svgConfusionMatrix({"a"}, {{1, 2}}).find("malformed"), std::string::npos);
}

TEST(ReportExportLog, OneEntryPerPathBoundedAndRebuiltWhenDamaged) {
    test::TempDir tmp("ts-export-log");
    EXPECT_TRUE(exporting::readExportLog(tmp.path()).empty()) << "no exports.json: no exports";
    exporting::ExportRecord r;
    r.path = "/x/model.onnx";
    r.format = exporting::ExportFormat::Onnx;
    r.bytes = 1234;
    r.time = exporting::utcTimestamp();
    exporting::recordExport(tmp.path(), r);
    exporting::RoundTripReport t;
    t.format = exporting::ExportFormat::Onnx;
    t.runtime = "OpenCV DNN";
    t.images = 10;
    t.top1Agreements = 9;
    t.top1AgreementRate = 0.9;
    t.maxLogitDiff = 1e-6;
    r.roundTrip = t;
    r.bytes = 999;
    exporting::recordExport(tmp.path(), r);  // the same path: replaced
    auto records = exporting::readExportLog(tmp.path());
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].bytes, 999);
    ASSERT_TRUE(records[0].roundTrip.has_value());
    EXPECT_EQ(records[0].roundTrip->top1Agreements, 9);
    EXPECT_DOUBLE_EQ(records[0].roundTrip->maxLogitDiff, 1e-6);
    for (size_t i = 0; i < exporting::kMaxExportRecords + 5; ++i) {
        r.path = "/x/m" + std::to_string(i) + ".pth";
        r.format = exporting::ExportFormat::Pth;
        r.roundTrip.reset();
        exporting::recordExport(tmp.path(), r);
    }
    records = exporting::readExportLog(tmp.path());
    ASSERT_EQ(records.size(), exporting::kMaxExportRecords);
    EXPECT_EQ(records.back().path, "/x/m" + std::to_string(exporting::kMaxExportRecords + 4) + ".pth") << "newest last";
    // Damaged: reading names the file; recording starts it again.
    spit(tmp.file("exports.json"), "{\"format\": \"transfer-studio-exports\", \"exports\": [{\"path\": \"a\", \"format\": \"gif\"}]}");
    try {
        exporting::readExportLog(tmp.path());
        FAIL() << "no error for an unknown format";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("exports.json"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("export 1"), std::string::npos) << e.what();
    }
    exporting::recordExport(tmp.path(), r);
    EXPECT_EQ(exporting::readExportLog(tmp.path()).size(), 1u);
}

// --- the run report -------------------------------------------------------

TEST_F(ReportTest, RunReportIsSelfContainedHasEverySectionAndTheRunsNumbers) {
    const std::string out = s_tmp->file("report.html");
    EXPECT_EQ(report::writeReport(s_tmp->file("run"), out), report::ReportKind::Run);
    const std::string html = test::readText(out);
    expectSelfContained(html);
    for (const char* section : {"run-dataset", "run-doctor", "run-curves", "run-evaluation", "run-mistakes",
                                "run-exports", "run-config"})
        EXPECT_NE(html.find(std::string("id=\"") + section + "\""), std::string::npos) << section;
    for (const char* title : {"Loss", "Accuracy", "Learning rate", "Confusion matrix (validation)", "Images per class"})
        EXPECT_NE(html.find(title), std::string::npos) << title;
    // The hostile class name, escaped everywhere it appears, never raw.
    EXPECT_EQ(html.find(kHostileClass), std::string::npos);
    EXPECT_EQ(html.find("<b>x"), std::string::npos);
    EXPECT_GE(countOf(html, kHostileEscaped), 3u) << "dataset table, confusion matrix, per-class table";
    // The best validation accuracy shown is the best row of metrics.jsonl.
    const json best = bestRow(s_tmp->file("run") + "/metrics.jsonl");
    ASSERT_TRUE(best.is_object());
    const std::string marker = "id=\"run-best-val-accuracy\" data-value=\"";
    const size_t at = html.find(marker);
    ASSERT_NE(at, std::string::npos);
    const size_t valueStart = at + marker.size();
    const std::string value = html.substr(valueStart, html.find('"', valueStart) - valueStart);
    EXPECT_NEAR(std::stod(value), best["val_accuracy"].get<double>(), 1e-8);
    EXPECT_NEAR(std::stod(value), s_result->bestValAccuracy, 1e-8);
    const size_t shown = html.find("<strong>", valueStart) + 8;
    EXPECT_EQ(html.substr(shown, html.find('<', shown) - shown), report::formatPercent(best["val_accuracy"].get<double>()));
    EXPECT_NE(html.find("id=\"run-best-epoch\">" + std::to_string(best["epoch"].get<int>())), std::string::npos);
    // The class that copies class_a: mistakes with Grad-CAM thumbnails (two
    // images each, at most the default 12), and the doctor's duplicates.
    const size_t figures = countOf(html, "<figure class=\"mistake\">");
    EXPECT_GE(figures, 1u);
    EXPECT_LE(figures, 12u);
    EXPECT_EQ(countOf(html, "alt=\"Grad-CAM\" src=\"data:image/png;base64,"), figures);
    EXPECT_NE(html.find("<td>duplicate</td>"), std::string::npos) << "the copied class, found by the doctor";
    // The changed config keys are marked.
    EXPECT_NE(html.find("<tr class=\"changed\"><td><code>arch</code></td><td>tiny_cnn</td>"), std::string::npos);
    EXPECT_NE(html.find("No export recorded"), std::string::npos);
}

TEST_F(ReportTest, MaxMistakesBoundsTheThumbnails) {
    report::ReportOptions o;
    o.maxMistakes = 1;
    o.runDoctor = false;
    const std::string html = report::renderRunSection(s_tmp->file("run"), o);
    EXPECT_EQ(countOf(html, "<figure class=\"mistake\">"), 1u);
    o.maxMistakes = 0;
    EXPECT_EQ(countOf(report::renderRunSection(s_tmp->file("run"), o), "<figure"), 0u);
}

TEST_F(ReportTest, ShowsTheExportsThatTstudioExportRecorded) {
    const std::string run = copyRun("run-exported");
    const std::string exported = s_tmp->file("exported.tsb");
    std::string output;
    ASSERT_EQ(test::runCommand(test::shellQuote(test::binaryPath("tstudio")) + " export --model " + test::shellQuote(run) +
                                   " --format bundle --out " + test::shellQuote(exported) + " --check " +
                                   test::shellQuote(s_tmp->file("data")),
                               &output),
              0)
        << output;
    const auto records = exporting::readExportLog(run);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].path, fs::absolute(exported).lexically_normal().string());
    EXPECT_EQ(records[0].format, exporting::ExportFormat::Bundle);
    ASSERT_TRUE(records[0].roundTrip.has_value());
    EXPECT_GT(records[0].roundTrip->images, 0);
    EXPECT_EQ(records[0].roundTrip->top1Agreements, records[0].roundTrip->images);
    report::ReportOptions o;
    o.runDoctor = false;
    o.maxMistakes = 0;
    const std::string html = report::renderRunSection(run, o);
    EXPECT_NE(html.find("<code>exported.tsb</code>"), std::string::npos);
    EXPECT_NE(html.find("100.00 %"), std::string::npos);
    EXPECT_EQ(html.find("No export recorded"), std::string::npos);
    // A damaged record is said in the report, it does not fail it.
    spit(run + "/exports.json", "{\"format\": \"transfer-studio-exports\", \"exports\": [{\"path\": 3}]}");
    const std::string damaged = report::renderRunSection(run, o);
    EXPECT_NE(damaged.find("export records cannot be shown"), std::string::npos);
    EXPECT_NE(damaged.find("exports.json"), std::string::npos);
}

TEST_F(ReportTest, ClearErrorsForAFolderThatIsNoRunAndADamagedMetricsFile) {
    const std::string empty = s_tmp->file("not-a-run");
    fs::create_directories(empty);
    try {
        report::writeReport(empty, s_tmp->file("x.html"));
        FAIL() << "no error for a folder without a run";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("not-a-run"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("not a run folder"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(s_tmp->file("x.html")));

    const std::string run = copyRun("run-damaged");
    std::string metrics = test::readText(run + "/metrics.jsonl");
    const size_t firstLine = metrics.find('\n');
    spit(run + "/metrics.jsonl", metrics.substr(0, firstLine + 1) + "{\"epoch\": 2, \"train_loss\": tru\x1b[2J\n");
    try {
        report::writeReport(run, s_tmp->file("y.html"));
        FAIL() << "no error for a damaged metrics.jsonl";
    } catch (const IoError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("run-damaged/metrics.jsonl"), std::string::npos) << what;
        EXPECT_NE(what.find("line 2"), std::string::npos) << what;
        EXPECT_EQ(what.find('\x1b'), std::string::npos) << "control characters are not echoed";
    }
    spit(run + "/metrics.jsonl", metrics.substr(0, firstLine + 1) + "{\"epoch\": \"two\"}\n");
    try {
        report::readMetricsFile(run + "/metrics.jsonl");
        FAIL() << "no error for a row of the wrong type";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(s_tmp->file("y.html")));

    try {
        report::writeReport(s_tmp->file("run"), s_tmp->file("missing-folder/r.html"));
        FAIL() << "no error for an output folder that does not exist";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("missing-folder"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
    }
}

TEST_F(ReportTest, WithoutItsDataFolderTheReportShowsTheRecordedNumbersAndEscapesHostileFiles) {
    const std::string run = copyRun("run-gone");
    json manifest = json::parse(test::readText(run + "/manifest.json"));
    manifest["root"] = s_tmp->file("data-moved-away");
    spit(run + "/manifest.json", manifest.dump());
    json config = json::parse(test::readText(run + "/config.json"));
    config["head_dropout_note"] = "<script>alert(\"x\")</script>\x1b[31m";
    spit(run + "/config.json", config.dump());
    const std::string out = s_tmp->file("gone.html");
    report::writeReport(run, out);
    const std::string html = test::readText(out);
    expectSelfContained(html);
    EXPECT_NE(html.find("no longer exists"), std::string::npos);
    EXPECT_NE(html.find("data-moved-away"), std::string::npos);
    EXPECT_NE(html.find("As recorded in metrics.jsonl"), std::string::npos);
    EXPECT_NE(html.find("Confusion matrix (epoch"), std::string::npos);
    EXPECT_EQ(countOf(html, "<figure"), 0u);
    EXPECT_NE(html.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\\x1B[31m"), std::string::npos);
    EXPECT_EQ(html.find('\x1b'), std::string::npos);
}

TEST_F(ReportTest, ARunBeforeItsFirstEpochStillGetsAReport) {
    const std::string run = s_tmp->file("run-young");
    fs::create_directories(run);
    for (const char* f : {"config.json", "manifest.json"}) fs::copy_file(s_tmp->file("run") + "/" + f, run + "/" + f);
    report::ReportOptions o;
    o.runDoctor = false;
    const std::string html = report::renderRunSection(run, o);
    EXPECT_NE(html.find("No complete epoch yet"), std::string::npos);
    EXPECT_NE(html.find("the run has no model.tsb yet"), std::string::npos);
    EXPECT_NE(html.find("no complete epoch yet"), std::string::npos) << "instead of a best accuracy";
}

TEST_F(ReportTest, TheCommandLineSaysWhatIsWrong) {
    const std::string tstudio = test::shellQuote(test::binaryPath("tstudio"));
    const std::string empty = s_tmp->file("cli-not-a-run");
    fs::create_directories(empty);
    std::string output;
    EXPECT_EQ(test::runCommand(tstudio + " report " + test::shellQuote(empty) + " --out " + test::shellQuote(s_tmp->file("c.html")),
                               &output),
              1);
    EXPECT_NE(output.find("tstudio: error: "), std::string::npos) << output;
    EXPECT_NE(output.find("cli-not-a-run' is not a run folder"), std::string::npos) << output;
    EXPECT_EQ(test::runCommand(tstudio + " report " + test::shellQuote(s_tmp->file("run")) + " --max-mistakes -1 --out " +
                                   test::shellQuote(s_tmp->file("c.html")),
                               &output),
              1);
    EXPECT_NE(output.find("--max-mistakes -1"), std::string::npos) << output;
    EXPECT_FALSE(fs::exists(s_tmp->file("c.html")));
}

// --- the experiment report --------------------------------------------------

TEST_F(ReportTest, ExperimentReportComparesTrialsOverlaysCurvesAndShowsTheBestRun) {
    // An experiment of three lr trials as `tstudio experiment run` creates it;
    // its runs are copies of the fixture's run, the second made worse by hand
    // (its rows lose a quarter of their accuracy), the third failed.
    const std::string exp = s_tmp->file("exp");
    experiment::ExperimentSpec spec;
    spec.base = *s_config;
    spec.axes.push_back(experiment::parseAxis("lr=0.01,0.001,0.1", "--grid"));
    experiment::createExperiment(spec, experiment::expandTrials(spec), exp);
    copyRun("exp/runs/t000");
    const std::string b = copyRun("exp/runs/t001");
    std::string rows;
    for (const auto& row : test::metricsRows(b)) {
        json worse = row;
        worse["val_accuracy"] = row["val_accuracy"].get<double>() * 0.75;
        rows += worse.dump() + "\n";
    }
    spit(b + "/metrics.jsonl", rows);
    experiment::Experiment ex = experiment::loadExperiment(exp);
    ASSERT_EQ(ex.trials.size(), 3u);
    ex.trials[0].status = ex.trials[1].status = experiment::TrialStatus::Finished;
    ex.trials[0].seconds = 4.0;
    ex.trials[1].seconds = 3.5;
    ex.trials[2].status = experiment::TrialStatus::Failed;
    ex.trials[2].error = "out of <memory>";
    experiment::saveTrials(ex);

    const std::string out = s_tmp->file("exp.html");
    EXPECT_EQ(report::writeReport(exp, out), report::ReportKind::Experiment);
    const std::string html = test::readText(out);
    expectSelfContained(html);
    EXPECT_NE(html.find("id=\"exp-table\""), std::string::npos);
    EXPECT_NE(html.find("id=\"exp-curves\""), std::string::npos);
    EXPECT_NE(html.find("id=\"best-section\""), std::string::npos);
    // Best first, in the order and with the numbers of `experiment compare`.
    const auto compared = experiment::compareExperiment(exp);
    ASSERT_EQ(compared.size(), 3u);
    EXPECT_EQ(compared[0].id, "t000");
    size_t at = 0;
    for (const auto& row : compared) {
        const size_t next = html.find("<td>" + row.id + "</td>", at);
        ASSERT_NE(next, std::string::npos) << row.id << " is missing or out of compare's order";
        if (row.hasMetrics) {
            const size_t pct = html.find(report::formatPercent(row.bestValAccuracy), next);
            EXPECT_LT(pct, html.find("</tr>", next)) << row.id << ": not compare's best val accuracy";
        }
        at = next;
    }
    EXPECT_NE(html.find(report::formatPercent(s_result->bestValAccuracy)), std::string::npos);
    EXPECT_NE(html.find("id=\"best-best-val-accuracy\""), std::string::npos);
    // The legend names what differs (lr).
    EXPECT_NE(html.find(">lr=0.01<"), std::string::npos);
    EXPECT_NE(html.find(">lr=0.001<"), std::string::npos);
    // The failed trial: no run folder, its error escaped.
    EXPECT_NE(html.find("its run folder does not exist (yet)"), std::string::npos);
    EXPECT_NE(html.find("out of &lt;memory&gt;"), std::string::npos);
    EXPECT_EQ(html.find("<memory>"), std::string::npos);

    // A damaged index is the error compare gives, naming the file; no report is written.
    const std::string goodTrials = test::readText(exp + "/trials.json");
    for (const std::string& damaged : {std::string("{\"trials\": 7}"),
                                       [&] {
                                           json t = json::parse(goodTrials);
                                           t["trials"][1]["run_dir"] = "../../etc";
                                           return t.dump();
                                       }()}) {
        spit(exp + "/trials.json", damaged);
        try {
            report::writeReport(exp, s_tmp->file("exp2.html"));
            ADD_FAILURE() << "no error for " << damaged.substr(0, 80);
        } catch (const IoError& e) {
            EXPECT_NE(std::string(e.what()).find("trials.json"), std::string::npos) << e.what();
        }
    }
    spit(exp + "/experiment.json", "{\"format\": \"something-else\"}");
    EXPECT_THROW(report::writeReport(exp, s_tmp->file("exp2.html")), IoError);
    EXPECT_FALSE(fs::exists(s_tmp->file("exp2.html")));
}

// --- a real browser -------------------------------------------------------

TEST_F(ReportTest, RendersNonBlankInHeadlessChromium) {
    std::string chromium;
    for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
        std::string where;
        if (test::runCommand(std::string("command -v ") + name, &where) == 0 && !where.empty()) {
            chromium = name;
            break;
        }
    }
    if (chromium.empty())
        GTEST_SKIP() << "chromium is not installed: skipped the browser render (apt-get install chromium, or make deps)";
    // Through the CLI, as a user writes it.
    const std::string out = s_tmp->file("browser.html");
    std::string output;
    ASSERT_EQ(test::runCommand(test::shellQuote(test::binaryPath("tstudio")) + " report " +
                                   test::shellQuote(s_tmp->file("run")) + " --out " + test::shellQuote(out),
                               &output),
              0)
        << output;
    EXPECT_NE(output.find("Wrote"), std::string::npos) << output;
    const std::string png = s_tmp->file("browser.png");
    const int rc = test::runCommand("cd " + test::shellQuote(s_tmp->path()) + " && HOME=" + test::shellQuote(s_tmp->path()) +
                                        " timeout 180 " + chromium +
                                        " --headless --disable-gpu --no-sandbox --hide-scrollbars --user-data-dir=" +
                                        test::shellQuote(s_tmp->file("chromium-profile")) +
                                        " --window-size=1200,2000 --screenshot=" + test::shellQuote(png) + " " +
                                        test::shellQuote("file://" + out),
                                    &output);
    ASSERT_EQ(rc, 0) << output;
    const cv::Mat img = cv::imread(png, cv::IMREAD_COLOR);
    ASSERT_FALSE(img.empty()) << "no screenshot: " << output;
    EXPECT_EQ(img.cols, 1200);
    size_t nonWhite = 0;
    std::set<int> colours;
    for (int y = 0; y < img.rows; ++y)
        for (int x = 0; x < img.cols; ++x) {
            const cv::Vec3b p = img.at<cv::Vec3b>(y, x);
            if (p[0] < 235 || p[1] < 235 || p[2] < 235) ++nonWhite;
            colours.insert((p[0] >> 4) << 8 | (p[1] >> 4) << 4 | (p[2] >> 4));
        }
    const double share = double(nonWhite) / (double(img.rows) * img.cols);
    EXPECT_GT(share, 0.03) << "the page looks blank";
    EXPECT_GT(colours.size(), 30u) << "plots and thumbnails bring colours";
    if (const char* keep = std::getenv("TS_REPORT_SCREENSHOT")) fs::copy_file(png, keep, fs::copy_options::overwrite_existing);
}
