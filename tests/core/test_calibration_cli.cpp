// Calibrated confidence through tstudio: a deliberately over-confident model
// (tiny_cnn trained hard on a generated dataset whose validation split has
// mislabelled images) gets a temperature above 1 that lowers its ECE (eval
// --json); predict's probabilities are the calibrated ones, and the ONNX
// export's probabilities output computes exactly them (OpenCV DNN, ONNX
// Runtime); the unknown threshold keeps the target validation recall, and
// generated out-of-distribution images (background without any shape) are
// answered "unknown" more often.
#include "core/data/Preprocess.h"
#include "core/export/Bundle.h"
#include "core/export/OnnxRuntime.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <torch/torch.h>

#ifdef TS_HAVE_OPENCV_DNN
#include <opencv2/dnn.hpp>
#endif

#include "core/data/ImageIO.h"

#include <cmath>
#include <filesystem>

using namespace ts;
using test::shellQuote;
namespace fs = std::filesystem;

namespace {

std::string tstudio() { return shellQuote(test::binaryPath("tstudio")); }

nlohmann::json jsonOf(const std::string& out, char open) { return nlohmann::json::parse(out.substr(out.find(open))); }

/// predict --json over a folder: image path -> its JSON entry.
std::map<std::string, nlohmann::json> predictFolder(const std::string& model, const std::string& folder) {
    std::string out;
    EXPECT_EQ(test::runCommand(tstudio() + " predict --json --topk 3 --model " + shellQuote(model) + " " +
                                   shellQuote(folder) + " 2>/dev/null",
                               &out),
              0)
        << out;
    std::map<std::string, nlohmann::json> byImage;
    for (const auto& e : jsonOf(out, '[')) byImage[e["image"].get<std::string>()] = e;
    return byImage;
}

double unknownShare(const std::map<std::string, nlohmann::json>& predictions) {
    double unknown = 0;
    for (const auto& [path, e] : predictions) unknown += e["unknown"].get<bool>() ? 1 : 0;
    return predictions.empty() ? 0.0 : unknown / double(predictions.size());
}

/// "Photos of nothing": the dataset's noisy background without any shape,
/// and flat grey frames.
void writeOutOfDistribution(const std::string& dir, int count) {
    fs::create_directories(dir);
    cv::RNG rng(99);
    for (int i = 0; i < count; ++i) {
        cv::Mat img(48, 48, CV_8UC3);
        if (i % 2 == 0) rng.fill(img, cv::RNG::UNIFORM, cv::Scalar::all(90), cv::Scalar::all(170));
        else img.setTo(cv::Scalar::all(rng.uniform(100, 160)));
        data::savePng(img, dir + "/ood_" + std::to_string(i) + ".png");
    }
}

} // namespace

TEST(CalibrationCli, OverConfidentModelIsCalibratedExportedAndRejectsUnknowns) {
    test::TempDir tmp;
    const std::string data = tmp.file("data");
    test::makeSyntheticDataset(data, 3, 12, 48, 7, /*trainValFolders=*/true, /*valPerClass=*/8);
    // Two validation images of each class filed under the next class: the
    // model is confidently wrong on them, so it is over-confident.
    const char* classes[] = {"class_a", "class_b", "class_c"};
    for (int k = 0; k < 3; ++k)
        for (int i = 0; i < 2; ++i)
            fs::rename(data + "/val/" + classes[k] + "/img_" + std::to_string(i) + ".png",
                       data + "/val/" + classes[(k + 1) % 3] + "/moved_" + std::to_string(k) + std::to_string(i) + ".png");
    std::string out;
    ASSERT_EQ(test::runCommand(tstudio() + " train --json --data " + shellQuote(data) +
                                   " --arch tiny_cnn --freeze none --epochs 12 --lr 0.01 --seed 3 --out " + tmp.file("run") + " 2>&1",
                               &out),
              0)
        << out;
    const auto bundle = exporting::loadTrainedModel(tmp.file("run"));
    const double t = bundle.meta.temperature;
    EXPECT_GT(t, 1.0) << "an over-confident model is cooled down";
    EXPECT_EQ(bundle.meta.unknownTargetRecall, 0.95) << "the default target";

    // eval --json: ECE before and after, and the temperature.
    ASSERT_EQ(test::runCommand(tstudio() + " eval --json --model " + tmp.file("run") + " 2>/dev/null", &out), 0) << out;
    const auto ev = jsonOf(out, '{');
    EXPECT_DOUBLE_EQ(ev["temperature"].get<double>(), t);
    EXPECT_LT(ev["ece"].get<double>(), ev["ece_uncalibrated"].get<double>()) << ev.dump();
    EXPECT_EQ(ev["images"].get<int64_t>(), 24);

    // predict's probabilities are softmax(logits / T) ...
    const auto val = predictFolder(tmp.file("run"), data + "/val");
    ASSERT_EQ(val.size(), 24u);
    for (const auto& [path, e] : val) {
        const auto& top = e["top"];
        double sum = 0.0;
        for (const auto& s : top) sum += std::exp(s["logit"].get<double>() / t);
        for (const auto& s : top)
            EXPECT_NEAR(s["prob"].get<double>(), std::exp(s["logit"].get<double>() / t) / sum, 1e-6) << path;
    }
    // ... and the ONNX export's probabilities output computes the same.
    ASSERT_EQ(test::runCommand(tstudio() + " export --model " + tmp.file("run") +
                                   " --format onnx --with-probabilities --out " + tmp.file("m.onnx") + " 2>&1",
                               &out),
              0)
        << out;
    std::vector<std::string> paths;
    std::vector<at::Tensor> tensors;
    for (const auto& [path, e] : val) {
        paths.push_back(path);
        tensors.push_back(data::evalTensorFromFile(path, bundle.meta.transform));
    }
    const at::Tensor x = at::stack(tensors).contiguous();
    auto expectSameAsPredict = [&](const at::Tensor& probabilities, const std::string& runtime) {
        ASSERT_EQ(probabilities.size(0), static_cast<int64_t>(paths.size())) << runtime;
        for (size_t i = 0; i < paths.size(); ++i)
            for (const auto& s : val.at(paths[i])["top"])
                EXPECT_NEAR(probabilities[static_cast<int64_t>(i)][s["index"].get<int64_t>()].item<double>(),
                            s["prob"].get<double>(), 1e-5)
                    << runtime << " " << paths[i];
    };
#ifdef TS_HAVE_OPENCV_DNN
    {
        cv::dnn::Net net = cv::dnn::readNetFromONNX(tmp.file("m.onnx"));
        const int sizes[4] = {static_cast<int>(x.size(0)), 3, static_cast<int>(x.size(2)), static_cast<int>(x.size(3))};
        net.setInput(cv::Mat(4, sizes, CV_32F, x.data_ptr<float>()), "input");
        cv::Mat p = net.forward("probabilities");
        expectSameAsPredict(torch::from_blob(p.ptr<float>(), {x.size(0), 3}, at::kFloat).clone(), "OpenCV DNN");
    }
#endif
    if (const auto ort = exporting::findOnnxRuntime()) {
        const auto outputs = exporting::runOnnxRuntime(*ort, tmp.file("m.onnx"), x);
        expectSameAsPredict(outputs.output("probabilities"), "ONNX Runtime");
    }

    // The threshold keeps 95% of the validation images (+-1 image) ...
    const double threshold = bundle.meta.unknownThreshold;
    EXPECT_GT(threshold, 1.0 / 3.0);
    int64_t accepted = 0;
    for (const auto& [path, e] : val) {
        accepted += e["unknown"].get<bool>() ? 0 : 1;
        EXPECT_EQ(e["unknown"].get<bool>(), e["confidence"].get<double>() < threshold) << path;
        EXPECT_EQ(e["prediction"].get<std::string>(),
                  e["unknown"].get<bool>() ? "unknown" : e["top"][0]["label"].get<std::string>());
        EXPECT_EQ(e["top"].size(), 3u) << "the closest classes are still listed";
    }
    EXPECT_NEAR(double(accepted), std::ceil(0.95 * 24), 1.0);
    // ... and out-of-distribution images are unknown more often.
    writeOutOfDistribution(tmp.file("ood"), 18);
    const auto ood = predictFolder(tmp.file("run"), tmp.file("ood"));
    ASSERT_EQ(ood.size(), 18u);
    EXPECT_GT(unknownShare(ood), unknownShare(val)) << "ood " << unknownShare(ood) << ", val " << unknownShare(val);
    // The text output says so, with the classes.
    std::string firstUnknown;
    for (const auto& [path, e] : ood)
        if (e["unknown"].get<bool>()) firstUnknown = path;
    ASSERT_FALSE(firstUnknown.empty());
    ASSERT_EQ(test::runCommand(tstudio() + " predict --model " + tmp.file("run") + " " + shellQuote(firstUnknown) + " 2>&1",
                               &out),
              0)
        << out;
    EXPECT_NE(out.find("unknown: max probability"), std::string::npos) << out;
    EXPECT_NE(out.find("class_"), std::string::npos) << out;
}
