// `tstudio export`: all three formats from a bundle and from a run folder,
// each with a round-trip report (--check), clear errors that leave nothing
// behind, and the hymenoptera "done when" run (real weights, slow).
#include "core/data/Dataset.h"
#include "core/export/Export.h"
#include "core/export/OnnxRuntime.h"
#include "core/zoo/Registry.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <torch/torch.h>

#include <filesystem>

using namespace ts;
using test::shellQuote;
namespace fs = std::filesystem;

namespace {

std::string tstudio() { return shellQuote(test::binaryPath("tstudio")); }

/// The last line of `out` parsed as JSON (the export prints one object).
nlohmann::json lastJson(const std::string& out) {
    const auto start = out.find('{');
    return nlohmann::json::parse(out.substr(start));
}

} // namespace

TEST(ExportCli, AllFormatsWithRoundTripReports) {
    const std::string py = test::referencePython();
    test::TempDir tmp;
    test::makeSyntheticDataset(tmp.file("data"), 3, 4, 64, 21, /*trainValFolders=*/true, /*valPerClass=*/4);
    const auto index = data::indexDataset(tmp.file("data"));

    // A bundle of a real zoo model with a hidden-layer head and this dataset's classes.
    torch::manual_seed(3);
    zoo::CreateOptions options;
    options.numClasses = static_cast<int64_t>(index.classes.size());
    zoo::Backbone model = zoo::createModel("mobilenet_v3_small", options);
    model->replaceHead({options.numClasses, 32, 0.2});
    model->eval();
    exporting::BundleMeta meta;
    meta.arch = "mobilenet_v3_small";
    meta.classes = index.classes;
    meta.headHiddenUnits = 32;
    meta.transform = data::EvalTransform::forModel(zoo::modelInfo(meta.arch));
    meta.manifestHash = data::manifestHash(index);
    exporting::saveBundle(*model, meta, tmp.file("model.tsb"));

    struct Case {
        std::string format, file, extra;
    };
    std::vector<Case> cases = {{"bundle", "out.tsb", ""},
                               {"onnx", "out.onnx", ""},
                               {"onnx", "pre.onnx", " --with-preprocessing --with-probabilities"}};
    if (!py.empty()) cases.push_back({"pth", "out.pth", " --python " + shellQuote(py)});
    for (const auto& c : cases) {
        SCOPED_TRACE(c.format + c.extra);
        std::string out;
        ASSERT_EQ(test::runCommand(tstudio() + " export --json --model " + tmp.file("model.tsb") + " --format " + c.format +
                                       c.extra + " --check " + tmp.file("data") + " --out " + tmp.file(c.file) +
                                       " 2>&1",
                                   &out),
                  0)
            << out;
        const auto j = lastJson(out);
        EXPECT_TRUE(fs::exists(tmp.file(c.file)));
        EXPECT_EQ(j["format"], c.format);
        const auto& rt = j["round_trip"];
        EXPECT_EQ(rt["images"].get<int64_t>(), 12);
        EXPECT_EQ(rt["top1_agreement_rate"].get<double>(), 1.0) << rt.dump();
        EXPECT_LE(rt["max_logit_diff"].get<double>(), 1e-4) << rt.dump();
        EXPECT_DOUBLE_EQ(rt["model_accuracy"].get<double>(), rt["export_accuracy"].get<double>());
        // Every runtime of the format: ONNX in OpenCV DNN and in ONNX Runtime.
        const auto& all = j["round_trips"];
        ASSERT_EQ(all.size(), c.format == "onnx" ? 2u : 1u) << all.dump();
        if (c.format == "onnx") {
            EXPECT_NE(all[1]["runtime"].get<std::string>().find("ONNX Runtime"), std::string::npos) << all.dump();
            if (exporting::findOnnxRuntime()) {
                EXPECT_EQ(all[1]["status"], "checked") << all.dump();
                EXPECT_EQ(all[1]["top1_agreement_rate"].get<double>(), 1.0) << all.dump();
                EXPECT_LE(all[1]["max_logit_diff"].get<double>(), 1e-4) << all.dump();
                if (c.extra.find("probabilities") != std::string::npos)
                    EXPECT_LE(all[1]["max_probability_output_diff"].get<double>(), 1e-5) << all.dump();
            } else {
                EXPECT_EQ(all[1]["status"], "absent") << all.dump();
            }
        }
    }
    // The exported bundle is a model tstudio opens.
    std::string out;
    ASSERT_EQ(test::runCommand(tstudio() + " eval --json --model " + tmp.file("out.tsb") + " --data " + tmp.file("data") +
                                   " 2>&1",
                               &out),
              0)
        << out;
    // Human-readable report.
    ASSERT_EQ(test::runCommand(tstudio() + " export --model " + tmp.file("model.tsb") + " --format onnx --check " +
                                   tmp.file("data") + " --out " + tmp.file("h.onnx") + " 2>&1",
                               &out),
              0)
        << out;
    EXPECT_NE(out.find("100.00% top-1 agreement"), std::string::npos) << out;
}

TEST(ExportCli, ErrorsAreClearAndLeaveNothing) {
    test::TempDir tmp;
    test::makeSyntheticDataset(tmp.file("data"), 2, 6, 48, 5);
    std::string out;
    ASSERT_EQ(test::runCommand(tstudio() + " train --json --data " + tmp.file("data") +
                                   " --arch tiny_cnn --epochs 1 --lr 0.01 --out " + tmp.file("run") + " 2>&1",
                               &out),
              0)
        << out;
    fs::create_directories(tmp.file("exports"));
    // tiny_cnn has no torchvision builder: a clear error, no file.
    EXPECT_NE(test::runCommand(tstudio() + " export --model " + tmp.file("run") + " --format pth --out " +
                                   tmp.file("exports/m.pth") + " 2>&1",
                               &out),
              0);
    EXPECT_NE(out.find("tiny_cnn"), std::string::npos) << out;
    // A folder that does not exist.
    EXPECT_NE(test::runCommand(tstudio() + " export --model " + tmp.file("run") + " --format onnx --out " +
                                   tmp.file("exports/nope/m.onnx") + " 2>&1",
                               &out),
              0);
    EXPECT_NE(out.find("does not exist"), std::string::npos) << out;
    EXPECT_NE(test::runCommand(tstudio() + " export --model " + tmp.file("run") + " --format tflite --out " +
                                   tmp.file("exports/m.tfl") + " 2>&1",
                               &out),
              0);
    EXPECT_TRUE(fs::is_empty(tmp.file("exports"))) << "nothing half-written";
    // From the run folder, ONNX works and agrees.
    ASSERT_EQ(test::runCommand(tstudio() + " export --json --model " + tmp.file("run") + " --format onnx --check " +
                                   tmp.file("data") + " --out " + tmp.file("exports/m.onnx") + " 2>&1",
                               &out),
              0)
        << out;
    EXPECT_EQ(lastJson(out)["round_trip"]["top1_agreement_rate"].get<double>(), 1.0) << out;
    // Without ONNX Runtime the check says so, checks OpenCV DNN and succeeds.
    ASSERT_EQ(test::runCommand("TSTUDIO_ONNXRUNTIME_DIR=" + shellQuote(tmp.file("no-ort")) + " " + tstudio() +
                                   " export --model " + tmp.file("run") + " --format onnx --check " + tmp.file("data") +
                                   " --out " + tmp.file("exports/m.onnx") + " 2>&1",
                               &out),
              0)
        << out;
    EXPECT_NE(out.find("OpenCV DNN"), std::string::npos) << out;
    EXPECT_NE(out.find("not checked in ONNX Runtime (not installed here)"), std::string::npos) << out;
    EXPECT_NE(out.find("no-ort"), std::string::npos) << out;
}
