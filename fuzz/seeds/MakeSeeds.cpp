// ts_fuzz_seeds OUT_DIR: writes the small seed corpus of every fuzz target,
// OUT_DIR/<target>/<seed>, with the project's own writers, so the seeds
// follow the formats as they change (nothing binary is kept in git).
//   fuzz_bundle        a tiny_cnn bundle (2 classes)
//   fuzz_pth, fuzz_zip state dicts in the zip format torch.load reads
//   fuzz_safetensors   a two-tensor safetensors file (with metadata)
//   fuzz_pickle        the data.pkl pickles inside them
//   fuzz_image_header  an 8x6 image in every format OpenCV writes, and a GIF
//   fuzz_json          a config, a desktop project, a manifest, bundle metadata
//   fuzz_experiment    experiment.json NUL trials.json of a grid, a random
//                      search with halving and the seed-strategies preset
// tests/python/fuzz_seeds.py adds what only Python writes (legacy .pth,
// pickles of every protocol, safetensors of every dtype).
#include "core/common/Error.h"
#include "core/data/Dataset.h"
#include "core/experiment/Experiment.h"
#include "core/export/Bundle.h"
#include "core/train/TrainConfig.h"
#include "core/weights/StateDict.h"
#include "core/weights/ZipArchive.h"
#include "core/zoo/Registry.h"

#include <ATen/ops/arange.h>
#include <ATen/ops/randn.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

namespace fs = std::filesystem;
using namespace ts;

namespace {

std::string g_out;

void put(const std::string& target, const std::string& name, const std::string& bytes) {
    fs::create_directories(g_out + "/" + target);
    std::ofstream out(g_out + "/" + target + "/" + name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw IoError("cannot write seed " + target + "/" + name);
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A zip-format .pth written by the project, copied to the zip, pth and pickle seeds.
void addPth(const std::string& name, const weights::StateDict& dict) {
    const std::string path = g_out + "/" + name + ".pth";
    weights::writeStateDict(dict, path);
    const std::string bytes = slurp(path);
    fs::remove(path);
    put("fuzz_pth", name + ".pth", bytes);
    put("fuzz_zip", name + ".zip", bytes);
    const weights::ZipArchive zip(bytes, name);
    for (const auto& e : zip.entries())
        if (e.name.size() >= 8 && e.name.compare(e.name.size() - 8, 8, "data.pkl") == 0)
            put("fuzz_pickle", name + ".pkl", std::string(zip.read(e)));
}

void images() {
    cv::Mat img(6, 8, CV_8UC3);
    for (int y = 0; y < img.rows; ++y)
        for (int x = 0; x < img.cols; ++x) img.at<cv::Vec3b>(y, x) = cv::Vec3b(uchar(30 * x), uchar(40 * y), uchar(200));
    cv::Mat grey;
    cv::cvtColor(img, grey, cv::COLOR_BGR2GRAY);
    const std::pair<const char*, const cv::Mat*> kinds[] = {
        {".png", &img}, {".jpg", &img}, {".bmp", &img}, {".tiff", &img}, {".webp", &img},
        {".ppm", &img}, {".pgm", &grey}, {".pbm", &grey}};
    for (const auto& [ext, mat] : kinds) {
        std::vector<uchar> buf;
        try {
            if (!cv::imencode(ext, *mat, buf)) continue;
        } catch (const cv::Exception&) {
            continue;  // a codec this OpenCV build lacks
        }
        put("fuzz_image_header", std::string("image") + ext, std::string(buf.begin(), buf.end()));
    }
    // OpenCV 4.6 writes no GIF: a 1x1 GIF89a by hand.
    static const unsigned char gif[] = {
        'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x2c, 0, 0, 0, 0,
        1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3b};
    put("fuzz_image_header", "image.gif", std::string(reinterpret_cast<const char*>(gif), sizeof gif));
}

} // namespace

/// A safetensors file as the format's specification lays it out: u64
/// little-endian header length, the JSON header, the tensors' bytes.
void addSafetensors() {
    const float a[6] = {1, 2, 3, 4, 5, 6};
    const int64_t b[2] = {-7, 1 << 20};
    const nlohmann::json header = {
        {"__metadata__", {{"format", "pt"}}},
        {"a", {{"dtype", "F32"}, {"shape", {2, 3}}, {"data_offsets", {0, 24}}}},
        {"b", {{"dtype", "I64"}, {"shape", {2}}, {"data_offsets", {24, 40}}}},
    };
    const std::string text = header.dump();
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
    bytes += text;
    bytes.append(reinterpret_cast<const char*>(a), sizeof a);
    bytes.append(reinterpret_cast<const char*>(b), sizeof b);
    put("fuzz_safetensors", "small.safetensors", bytes);
}

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: ts_fuzz_seeds OUT_DIR\n";
        return 2;
    }
    g_out = argv[1];
    try {
        fs::create_directories(g_out);
        at::manual_seed(0);
        addSafetensors();

        // Weights: a plain dict, and a real model's state dict.
        addPth("small", {{"conv.weight", at::randn({2, 1, 3, 3})},
                         {"fc.bias", at::arange(3, at::kFloat)},
                         {"steps", at::arange(1, at::kLong)}});
        zoo::CreateOptions options;
        options.numClasses = 2;
        auto model = zoo::createModel("tiny_cnn", options);
        addPth("tiny_cnn", weights::stateDictOf(*model));

        // A bundle, as training writes it.
        exporting::BundleMeta meta;
        meta.arch = "tiny_cnn";
        meta.classes = {"ants", "bees"};
        meta.transform.resizeSize = 36;
        meta.transform.cropSize = 32;
        meta.trainConfig = train::toJson(train::TrainConfig{});
        meta.metrics = {{"best_val_accuracy", 0.5}, {"best_epoch", 1}};
        meta.manifestHash = std::string(64, 'a');
        const std::string bundle = g_out + "/model.tsb";
        exporting::saveBundle(*model, meta, bundle);
        put("fuzz_bundle", "model.tsb", slurp(bundle));
        put("fuzz_zip", "model.zip", slurp(bundle));
        fs::remove(bundle);

        images();

        // JSON: a config, a project holding it, a manifest, a bundle's metadata.
        train::TrainConfig cfg;
        cfg.dataDir = "data";
        cfg.arch = "tiny_cnn";
        cfg.freeze = train::FreezePreset::last(2);
        const nlohmann::json config = train::toJson(cfg);
        put("fuzz_json", "config.json", config.dump(2));
        put("fuzz_json", "project.tsproj", nlohmann::json{{"format", 1}, {"dataset", "data"}, {"config", config}}.dump(1));
        data::DatasetIndex index;
        index.root = "/data";
        index.classes = {"ants", "bees"};
        index.train = {{"ants/a.jpg", 0}, {"bees/b.png", 1}};
        index.val = {{"bees/c.png", 1}};
        index.splitSource = ts::data::SplitSource::Split;
        put("fuzz_json", "manifest.json", data::toManifest(index).dump(1));
        put("fuzz_json", "bundle-meta.json", meta.toJson().dump());
        put("fuzz_json", "metrics.json", R"({"epoch":1,"train_loss":0.7,"val_loss":null,"lr":1e-3,"x":[1,2.5e10,-0,true]})");

        // Experiments as `tstudio experiment run` creates them (its data folder must exist).
        cfg.dataDir = g_out + "/experiment-data";
        fs::create_directories(cfg.dataDir);
        auto addExperiment = [&](const std::string& name, experiment::ExperimentSpec spec) {
            spec.base = cfg;
            const std::string dir = g_out + "/experiment-" + name;
            experiment::Experiment ex = experiment::createExperiment(spec, experiment::expandTrials(spec), dir);
            if (ex.trials.size() > 1) {
                ex.trials[0].status = experiment::TrialStatus::Finished;
                ex.trials[0].seconds = 12.5;
                ex.trials[1].status = experiment::TrialStatus::Stopped;
                ex.trials[1].stoppedAtEpoch = 1;
                ex.trials[1].reason = "rung 1: rank 2 of 2";
                experiment::saveTrials(ex);
            }
            put("fuzz_experiment", name, slurp(dir + "/experiment.json") + std::string(1, '\0') + slurp(dir + "/trials.json"));
            fs::remove_all(dir);
        };
        experiment::ExperimentSpec grid;
        grid.axes = {experiment::parseAxis("lr=0.01,0.001", "seed"), experiment::parseAxis("freeze=last:1,none", "seed")};
        addExperiment("grid", grid);
        experiment::ExperimentSpec random;
        random.mode = experiment::SearchMode::Random;
        random.randomTrials = 3;
        random.seed = 7;
        random.halvingEta = 2;
        random.axes = {experiment::parseAxis("lr=1e-4:1e-2:log", "seed")};
        addExperiment("random", random);
        experiment::ExperimentSpec preset;
        preset.mode = experiment::SearchMode::Preset;
        preset.preset = "seed-strategies";
        addExperiment("preset", preset);
        fs::remove_all(cfg.dataDir);
    } catch (const std::exception& e) {
        std::cerr << "ts_fuzz_seeds: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
