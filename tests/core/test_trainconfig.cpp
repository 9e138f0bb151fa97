// Hostile and mistyped configuration: TrainConfig's reader and validate(),
// the freeze preset parser, bundle metadata and dataset manifests. Every
// hostile document is written by the test itself.
#include "core/common/Error.h"
#include "core/common/Json.h"
#include "core/data/Dataset.h"
#include "core/export/Bundle.h"
#include "core/train/FreezePlan.h"
#include "core/train/FreezePolicy.h"
#include "core/train/TrainConfig.h"
#include "core/zoo/Registry.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>

using namespace ts;
using nlohmann::json;

namespace {

/// The message of the ConfigError `f` throws ("" and a test failure when none).
template <typename E = ConfigError>
std::string errorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "wrong exception type: " << e.what();
        return {};
    }
    ADD_FAILURE() << "no exception";
    return {};
}

#define EXPECT_HAS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << "'" << (part) << "' not in: " << (text)
#define EXPECT_LACKS(text, part) EXPECT_EQ(std::string(text).find(part), std::string::npos) << "'" << (part) << "' in: " << (text)

bool isPrintable(const std::string& s) {
    for (unsigned char c : s)
        if (c < 0x20 || c >= 0x7f) return false;
    return true;
}

train::TrainConfig validConfig() {
    train::TrainConfig c;
    c.dataDir = "/data/flowers";
    return c;
}

std::string readConfigError(const json& j) {
    return errorOf([&] { train::trainConfigFromJson(j); });
}

void writeText(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

} // namespace

TEST(FreezePreset, LastNIsParsedByHandAndBounded) {
    EXPECT_EQ(train::parseFreezeLast("last:0"), 0);
    EXPECT_EQ(train::parseFreezeLast("last:2"), 2);
    EXPECT_EQ(train::parseFreezeLast("last:1000"), 1000);
    for (const char* bad : {"last:", "last", "last:1001", "last:9999", "last:-1", "last:+1", "last:1x", "last: 1",
                            "last:00002", "Last:1", "xlast:1", "last:1\n", ""})
        EXPECT_EQ(train::parseFreezeLast(bad), -1) << bad;

    // `freeze: "last:" + 2 million digits` overflowed std::regex's recursion.
    const std::string longPreset = "last:" + std::string(2000000, '7');
    const auto start = std::chrono::steady_clock::now();
    const std::string message = errorOf([&] { train::freezePresetFromString(longPreset, "--freeze"); });
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
    EXPECT_HAS(message, "--freeze");
    EXPECT_HAS(message, "last:N");
    EXPECT_LT(message.size(), 400u) << "the value must be cut in the message";

    zoo::Backbone model = zoo::createModel("tiny_cnn", {2});
    const std::string planMessage =
        errorOf([&] { train::FreezePlan(*model, {train::FreezePreset::last(train::kMaxFreezeLastStages + 1)}); });
    EXPECT_HAS(planMessage, "freeze preset");
    EXPECT_HAS(planMessage, "last:1001");
    EXPECT_EQ(train::FreezePlan(*model, {train::FreezePreset::last(999)}).apply(*model).frozenParams, 0);
    EXPECT_TRUE(train::FreezePlan(*model, {train::FreezePreset::last(0)}).apply(*model).backboneFrozen);

    // From a file: refused while reading, bounded.
    auto j = train::toJson(validConfig());
    j["freeze"] = longPreset;
    const std::string fromFile = readConfigError(j);
    EXPECT_HAS(fromFile, "freeze");
    EXPECT_LT(fromFile.size(), 400u);
}

TEST(TrainConfigValidate, EveryNumericFieldHasARange) {
    EXPECT_NO_THROW(validConfig().validate());
    struct Case {
        const char* key;
        std::function<void(train::TrainConfig&)> set;
        const char* shown;  // how the value appears in the message
    };
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    const std::vector<Case> cases = {
        {"threads", [](auto& c) { c.threads = 1000000; }, "1000000"},
        {"threads", [](auto& c) { c.threads = -1; }, "-1"},
        {"workers", [](auto& c) { c.workers = 65; }, "65"},
        {"head_hidden_units", [](auto& c) { c.headHiddenUnits = 10000000000; }, "10000000000"},
        {"head_hidden_units", [](auto& c) { c.headHiddenUnits = -5; }, "-5"},
        {"head_dropout", [](auto& c) { c.headDropout = 1.0; }, "(got 1)"},
        {"momentum", [](auto& c) { c.momentum = 1e300; }, "1e+300"},
        {"momentum", [=](auto& c) { c.momentum = nan; }, "nan"},
        {"epochs", [](auto& c) { c.epochs = 0; }, "(got 0)"},
        {"epochs", [](auto& c) { c.epochs = -3; }, "-3"},
        {"batch_size", [](auto& c) { c.batchSize = 0; }, "(got 0)"},
        {"batch_size", [](auto& c) { c.batchSize = 100000; }, "100000"},
        {"lr", [](auto& c) { c.lr = -1; }, "-1"},
        {"lr", [](auto& c) { c.lr = 0; }, "(got 0)"},
        {"lr", [=](auto& c) { c.lr = inf; }, "inf"},
        {"weight_decay", [](auto& c) { c.weightDecay = -0.1; }, "-0.1"},
        {"weight_decay", [](auto& c) { c.weightDecay = 5; }, "(got 5)"},
        {"val_fraction", [](auto& c) { c.valFraction = 0; }, "(got 0)"},
        {"val_fraction", [](auto& c) { c.valFraction = 1; }, "(got 1)"},
        {"step_epochs", [](auto& c) { c.stepEpochs = 0; }, "(got 0)"},
        {"step_gamma", [](auto& c) { c.stepGamma = 0; }, "(got 0)"},
        {"step_gamma", [](auto& c) { c.stepGamma = 2; }, "(got 2)"},
        {"warmup_epochs", [](auto& c) { c.warmupEpochs = -1; }, "-1"},
        {"label_smoothing", [](auto& c) { c.labelSmoothing = 1; }, "(got 1)"},
        {"grad_clip_norm", [](auto& c) { c.gradClipNorm = -1; }, "-1"},
        {"grad_clip_norm", [=](auto& c) { c.gradClipNorm = nan; }, "nan"},
        {"early_stopping_patience", [](auto& c) { c.earlyStoppingPatience = -2; }, "-2"},
        {"backbone_lr_multiplier", [](auto& c) { c.backboneLrMultiplier = -1; }, "-1"},
        {"backbone_lr_multiplier", [](auto& c) { c.backboneLrMultiplier = 1e9; }, "1000000000"},
        {"stage_lr_multipliers", [](auto& c) { c.stageLrMultipliers["layer3"] = -1; }, "layer3"},
        {"augment.rotation_degrees", [](auto& c) { c.augment.rotationDegrees = 720; }, "720"},
        {"augment.brightness", [](auto& c) { c.augment.brightness = -1; }, "-1"},
        {"augment.contrast", [](auto& c) { c.augment.contrast = 1e6; }, "1000000"},
        {"augment.saturation", [=](auto& c) { c.augment.saturation = inf; }, "inf"},
        {"augment.hue", [](auto& c) { c.augment.hue = 0.6; }, "0.6"},
        {"augment.random_erasing", [](auto& c) { c.augment.randomErasing = 1.5; }, "1.5"},
        {"max_image_megapixels", [](auto& c) { c.maxImageMegapixels = 0; }, "(got 0)"},
        {"max_image_megapixels", [=](auto& c) { c.maxImageMegapixels = nan; }, "nan"},
        {"max_image_file_mib", [](auto& c) { c.maxImageFileMib = 4096; }, "4096"},
    };
    for (const auto& k : cases) {
        auto c = validConfig();
        k.set(c);
        const std::string message = errorOf([&] { c.validate(); });
        EXPECT_HAS(message, k.key);
        EXPECT_HAS(message, k.shown);
        EXPECT_HAS(message, "must be");
    }
    // Closed choices outside their name tables, and bounded names.
    for (const auto& set : std::vector<std::function<void(train::TrainConfig&)>>{
             [](auto& c) { c.batchNormPolicy = static_cast<train::BatchNormPolicy>(9); },
             [](auto& c) { c.augment.preset = static_cast<data::AugmentPreset>(9); },
             [](auto& c) { c.earlyStoppingMetric = static_cast<train::EarlyStoppingMetric>(9); },
             [](auto& c) { c.freeze = train::FreezePreset::last(-1); }, [](auto& c) { c.arch = std::string(300, 'a'); },
             [](auto& c) { c.dataDir = std::string(5000, 'd'); }, [](auto& c) { c.trainStages = {std::string(300, 's')}; },
             [](auto& c) { c.dataDir.clear(); }, [](auto& c) { c.arch.clear(); },
             [](auto& c) { c.optimizer = train::OptimizerKind::SGD, c.nesterov = true, c.momentum = 0; }}) {
        auto c = validConfig();
        set(c);
        const std::string message = errorOf([&] { c.validate(); });
        EXPECT_LT(message.size(), 500u) << message;
    }
}

TEST(TrainConfigValidate, NamesFlagsAndTheSourceFile) {
    auto c = validConfig();
    c.epochs = 0;
    train::ValidationNames names;
    names.fields["epochs"] = "--epochs";
    names.source = "/tmp/my-config.json";
    std::string message = errorOf([&] { c.validate(names); });
    EXPECT_HAS(message, "--epochs must be a whole number from 1 to 100000 (got 0)");
    EXPECT_LACKS(message, "my-config.json");  // the flag, not the file, set it

    c = validConfig();
    c.threads = 999;
    message = errorOf([&] { c.validate(names); });
    EXPECT_HAS(message, "In '/tmp/my-config.json'");
    EXPECT_HAS(message, "threads must be");
    EXPECT_HAS(message, "999");
}

TEST(TrainConfigReader, RefusesWrongTypesAndOutOfRangeNumbersBeforeCasting) {
    const json valid = train::toJson(validConfig());
    EXPECT_EQ(train::toJson(train::trainConfigFromJson(valid)), valid);

    struct Case {
        const char* key;
        json value;
        std::vector<std::string> expected;
    };
    const std::vector<Case> cases = {
        {"epochs", 1e300, {"epochs", "1e+300", "whole number"}},
        {"epochs", "10", {"epochs", "not the text \"10\""}},
        {"epochs", 2.5, {"epochs", "2.5"}},
        {"epochs", 3000000000LL, {"epochs", "3000000000"}},
        {"epochs", -3, {"epochs", "-3"}},
        {"epochs", true, {"epochs", "true"}},
        {"epochs", json::array({1}), {"epochs", "a list"}},
        {"threads", 1e6, {"threads", "1000000"}},
        {"head_hidden_units", 1e10, {"head_hidden_units", "10000000000"}},
        {"head_hidden_units", 18446744073709551615ULL, {"head_hidden_units", "18446744073709551615"}},
        {"momentum", 1e300, {"momentum", "1e+300"}},
        {"lr", -1, {"lr", "-1"}},
        {"lr", nullptr, {"lr", "null"}},
        {"batch_size", 0, {"batch_size", "(got 0)"}},
        {"workers", 1e9, {"workers", "1000000000"}},
        {"val_fraction", "0.2", {"val_fraction", "text"}},
        {"seed", -1, {"seed", "-1"}},
        {"seed", 1.5, {"seed", "1.5"}},
        {"seed", 1e300, {"seed", "1e+300"}},
        {"seed", "42", {"seed", "text"}},
        {"pretrained", 1, {"pretrained", "true or false"}},
        {"data_dir", 5, {"data_dir", "text"}},
        {"data_dir", std::string(5000, 'x'), {"data_dir", "5000 bytes", "4096"}},
        {"arch", json::object(), {"arch", "an object"}},
        {"exclude_files", "a.jpg", {"exclude_files", "list"}},
        {"exclude_files", json::array({"a.jpg", 7}), {"exclude_files", "text"}},
        {"train_stages", json::array({std::string(1000, 's')}), {"train_stages", "1000 bytes"}},
        {"stage_lr_multipliers", json::array(), {"stage_lr_multipliers", "object"}},
        {"stage_lr_multipliers", {{"layer3", "0.3"}}, {"stage_lr_multipliers", "layer3", "text"}},
        {"stage_lr_multipliers", {{"layer3", 1e300}}, {"stage_lr_multipliers", "layer3", "1e+300"}},
        {"optimizer", "rmsprop", {"optimizer", "rmsprop", "sgd, adam, adamw"}},
        {"optimizer", 3, {"optimizer", "text"}},
        {"schedule", std::string(10000, 'z'), {"schedule", "10000 bytes"}},
        {"precision", "half", {"precision", "float32, mixed"}},
        {"feature_cache", false, {"feature_cache", "text"}},
        {"device", "tpu", {"device", "auto, cpu, cuda"}},
        {"batchnorm_policy", "eval", {"batchnorm_policy", "frozen-eval, all-eval"}},
        {"early_stopping_metric", "accuracy", {"early_stopping_metric", "val_accuracy"}},
        {"augment", "standard", {"augment", "object"}},
        {"augment", {{"hue", 0.9}}, {"augment.hue", "0.9"}},
        {"augment", {{"preset", "heavy"}}, {"augment.preset", "heavy"}},
        {"augment", {{"vertical_flip", "yes"}}, {"augment.vertical_flip", "true or false"}},
        {"augment", {{"rotation_degrees", 1e300}}, {"augment.rotation_degrees", "1e+300"}},
    };
    for (const auto& k : cases) {
        json j = valid;
        j[k.key] = k.value;
        const std::string message = readConfigError(j);
        for (const auto& part : k.expected) EXPECT_HAS(message, part) << " (key " << k.key << ")";
        EXPECT_LACKS(message, "2147483648");
        EXPECT_LACKS(message, "json.exception");
        EXPECT_LT(message.size(), 500u) << message;
        EXPECT_TRUE(isPrintable(message)) << message;
    }
    // Integral floats and the full seed range are fine.
    json j = valid;
    j["epochs"] = 12.0;
    j["seed"] = 18446744073709551615ULL;
    const auto c = train::trainConfigFromJson(j);
    EXPECT_EQ(c.epochs, 12);
    EXPECT_EQ(c.seed, 18446744073709551615ULL);
    EXPECT_THROW(train::trainConfigFromJson(json::array()), ConfigError);
}

TEST(TrainConfigReader, UnknownKeysSuggestTheNearestKnownOne) {
    const json valid = train::toJson(validConfig());
    auto withKey = [&](const std::string& key) {
        json j = valid;
        j[key] = 1;
        return readConfigError(j);
    };
    EXPECT_HAS(withKey("epochz"), "Unknown config key \"epochz\" (did you mean \"epochs\"?)");
    EXPECT_HAS(withKey("batch-size"), "did you mean \"batch_size\"");
    EXPECT_HAS(withKey("learning_rate"), "did you mean \"lr\"");
    EXPECT_HAS(withKey("wieght_decay"), "did you mean \"weight_decay\"");
    EXPECT_HAS(withKey("head_hidden"), "did you mean \"head_hidden_units\"");
    EXPECT_HAS(withKey("early_stopping"), "did you mean \"early_stopping_");
    const std::string none = withKey("zzzzzzzzzz");
    EXPECT_HAS(none, "zzzzzzzzzz");
    EXPECT_LACKS(none, "did you mean");
    EXPECT_HAS(none, "docs/config.md");
    // Control characters and long keys are escaped and cut.
    const std::string hostile = withKey("ep\x01\x1b[2Jochs" + std::string(5000, 'k'));
    EXPECT_TRUE(isPrintable(hostile)) << hostile;
    EXPECT_HAS(hostile, "\\x1b");
    EXPECT_LT(hostile.size(), 400u);

    json j = valid;
    j["augment"] = {{"hue_", 0.1}};
    EXPECT_HAS(readConfigError(j), "Unknown augment key \"hue_\" (did you mean \"hue\"?)");
}

TEST(TrainConfigReader, FilesAreNamedAndReadWithinBounds) {
    test::TempDir dir;
    const std::string path = dir.file("cfg.json");
    json j = train::toJson(validConfig());
    j["epochs"] = 1e300;
    writeText(path, j.dump());
    std::string message = errorOf([&] { train::loadTrainConfig(path); });
    EXPECT_HAS(message, path);
    EXPECT_HAS(message, "epochs must be a whole number from 1 to 100000 (got 1e+300)");

    writeText(path, R"({"epochs": 1e400})");
    message = errorOf<IoError>([&] { train::loadTrainConfig(path); });
    EXPECT_HAS(message, path);

    writeText(path, std::string(200000, '[') + std::string(200000, ']'));
    message = errorOf<IoError>([&] { train::loadTrainConfig(path); });
    EXPECT_HAS(message, path);
    EXPECT_HAS(message, "deep");

    // A project whose config has a wrong type: the project file is named.
    const std::string project = dir.file("p.tsproj");
    json config = train::toJson(validConfig());
    config["batch_size"] = "many";
    writeText(project, json({{"format", "transfer-studio-project"}, {"version", 2}, {"config", config}}).dump());
    message = errorOf([&] { train::loadTrainConfig(project); });
    EXPECT_HAS(message, project);
    EXPECT_HAS(message, "batch_size");
    writeText(project, R"({"format": 1, "dataset": "/d", "backbone": "resnet18"})");
    message = errorOf([&] { train::loadTrainConfig(project); });
    EXPECT_HAS(message, project);
    EXPECT_HAS(message, "no \"config\" object");
}

TEST(BundleMetaReader, ValidatesEveryField) {
    exporting::BundleMeta meta;
    meta.arch = "resnet18";
    meta.classes = {"ants", "bees"};
    meta.trainConfig = train::toJson(validConfig());
    meta.metrics = {{"val_accuracy", 0.9}};
    meta.manifestHash = std::string(64, 'a');
    const json valid = meta.toJson();
    const auto back = exporting::BundleMeta::fromJson(valid, "x.tsb");
    EXPECT_EQ(back.toJson(), valid);

    struct Case {
        std::function<void(json&)> edit;
        std::vector<std::string> expected;
    };
    const std::vector<Case> cases = {
        {[](json& j) { j["preprocessing"]["crop_size"] = 200000; }, {"crop_size", "200000"}},
        {[](json& j) { j["preprocessing"]["crop_size"] = 0; }, {"crop_size"}},
        {[](json& j) { j["preprocessing"]["crop_size"] = "224"; }, {"crop_size", "\"224\""}},
        {[](json& j) { j["preprocessing"]["resize_size"] = 1e300; }, {"resize_size", "1e+300"}},
        {[](json& j) { j["preprocessing"]["resize_size"] = -1; }, {"resize_size", "-1"}},
        {[](json& j) { j["preprocessing"]["std"] = {0.2, 0.0, 0.2}; }, {"std"}},
        {[](json& j) { j["preprocessing"]["std"] = {0.2, -1.0, 0.2}; }, {"std", "-1"}},
        {[](json& j) { j["preprocessing"]["mean"] = {0.5, 0.5}; }, {"mean", "3 numbers"}},
        {[](json& j) { j["preprocessing"]["mean"] = {0.5, "x", 0.5}; }, {"mean"}},
        {[](json& j) { j["preprocessing"]["mean"] = {0.5, 1e300, 0.5}; }, {"mean", "1e+300"}},
        {[](json& j) { j["preprocessing"]["interpolation"] = "nearest"; }, {"interpolation", "nearest"}},
        {[](json& j) { j["preprocessing"] = 5; }, {"preprocessing"}},
        {[](json& j) { j.erase("preprocessing"); }, {"preprocessing", "missing"}},
        {[](json& j) { j["classes"] = "ants"; }, {"classes"}},
        {[](json& j) { j["classes"] = json::array(); }, {"classes"}},
        {[](json& j) { j["classes"] = json::array({"ants", 5}); }, {"classes", "text"}},
        {[](json& j) { j["classes"] = json::array({"ants", std::string(5000, 'b')}); }, {"classes", "5000 bytes"}},
        {[](json& j) { j["classes"] = json::array({"ants", "ants"}); }, {"ants", "twice"}},
        {[](json& j) { j["num_classes"] = 3; }, {"num_classes"}},
        {[](json& j) { j["head_hidden_units"] = 1e10; }, {"head_hidden_units", "10000000000"}},
        {[](json& j) { j["head_hidden_units"] = "8"; }, {"head_hidden_units"}},
        {[](json& j) { j["head_dropout"] = 1.5; }, {"head_dropout", "1.5"}},
        {[](json& j) { j["arch"] = 5; }, {"arch", "text"}},
        {[](json& j) { j["arch"] = std::string(100000, 'r'); }, {"arch", "100000 bytes"}},
        {[](json& j) { j["train_config"] = "x"; }, {"train_config", "object"}},
        {[](json& j) { j["manifest_hash"] = 7; }, {"manifest_hash"}},
    };
    for (const auto& k : cases) {
        json j = valid;
        k.edit(j);
        const std::string message = errorOf<WeightsError>([&] { exporting::BundleMeta::fromJson(j, "sent/x.tsb"); });
        EXPECT_HAS(message, "sent/x.tsb");
        for (const auto& part : k.expected) EXPECT_HAS(message, part);
        EXPECT_LT(message.size(), 500u) << message;
        EXPECT_TRUE(isPrintable(message)) << message;
    }
    EXPECT_THROW(exporting::BundleMeta::fromJson(json::array()), WeightsError);
}

TEST(ManifestReader, ValidatesTypesAndNamesTheFile) {
    const json valid = {{"format", "transfer-studio-manifest"},
                        {"version", 1},
                        {"root", "/data/x"},
                        {"classes", json::array({"a", "b"})},
                        {"split_source", "split"},
                        {"split", {{"val_fraction", 0.2}, {"seed", 42}}},
                        {"train", json::array({json::array({"a/1.png", 0}), json::array({"b/1.png", 1})})},
                        {"val", json::array({json::array({"a/2.png", 0})})},
                        {"test", json::array()}};
    const auto index = data::fromManifest(valid, "run/manifest.json");
    ASSERT_EQ(index.train.size(), 2u);
    EXPECT_EQ(index.train[1].path, "/data/x/b/1.png");
    EXPECT_EQ(index.train[1].label, 1);

    const std::vector<std::pair<std::function<void(json&)>, std::string>> cases = {
        {[](json& j) { j["classes"] = 5; }, "classes"},
        {[](json& j) { j["classes"] = json::array({"a", 5}); }, "classes"},
        {[](json& j) { j["classes"] = json::array({"a", "a"}); }, "twice"},
        {[](json& j) { j["root"] = 5; }, "root"},
        {[](json& j) { j["root"] = std::string(10000, 'r'); }, "10000 bytes"},
        {[](json& j) { j["version"] = "1"; }, "version"},
        {[](json& j) { j["version"] = 2; }, "version 2"},
        {[](json& j) { j["format"] = 5; }, "format"},
        {[](json& j) { j["split"] = 5; }, "split"},
        {[](json& j) { j["split"]["seed"] = -1; }, "split.seed"},
        {[](json& j) { j["split"]["seed"] = "42"; }, "split.seed"},
        {[](json& j) { j["split"]["val_fraction"] = 7; }, "split.val_fraction"},
        {[](json& j) { j["split_source"] = 1; }, "split_source"},
        {[](json& j) { j["split_source"] = "other"; }, "split_source"},
        {[](json& j) { j["train"] = 5; }, "\"train\" must be a list"},
        {[](json& j) { j["train"] = json::array({json::array({"a.png", 7})}); }, "label 7"},
        {[](json& j) { j["train"] = json::array({json::array({"a.png", -1})}); }, "label -1"},
        {[](json& j) { j["train"] = json::array({json::array({"a.png", 18446744073709551615ULL})}); }, "18446744073709551615"},
        {[](json& j) { j["val"] = json::array({json::array({"a.png", 0.5})}); }, "[path, label]"},
        {[](json& j) { j["val"] = json::array({json::array({5, 0})}); }, "[path, label]"},
        {[](json& j) { j["val"] = json::array({json::array({std::string(100000, 'p'), 0})}); }, "100000 bytes"},
    };
    for (const auto& [edit, expected] : cases) {
        json j = valid;
        edit(j);
        const std::string message = errorOf<DataError>([&] { data::fromManifest(j, "run/manifest.json"); });
        EXPECT_HAS(message, "run/manifest.json");
        EXPECT_HAS(message, expected);
        EXPECT_LT(message.size(), 500u) << message;
        EXPECT_TRUE(isPrintable(message)) << message;
    }
}

// A config.json as the version before the closed choices had enums wrote it
// (every choice away from its default): it loads into the enums and is
// written back byte for byte.
TEST(TrainConfigChoices, AConfigWrittenBeforeTheEnumsLoadsAndIsWrittenBackUnchanged) {
    const std::string before =
    "{\n"
    "  \"arch\": \"resnet18\",\n"
    "  \"augment\": {\n"
    "    \"brightness\": 0.2,\n"
    "    \"contrast\": 0.0,\n"
    "    \"hue\": 0.0,\n"
    "    \"preset\": \"standard\",\n"
    "    \"random_erasing\": 0.0,\n"
    "    \"rotation_degrees\": 0.0,\n"
    "    \"saturation\": 0.0,\n"
    "    \"vertical_flip\": false\n"
    "  },\n"
    "  \"backbone_lr_multiplier\": 0.1,\n"
    "  \"batch_size\": 16,\n"
    "  \"batchnorm_policy\": \"all-eval\",\n"
    "  \"class_weights\": false,\n"
    "  \"data_dir\": \"/data/flowers\",\n"
    "  \"device\": \"cpu\",\n"
    "  \"early_stopping_metric\": \"val_loss\",\n"
    "  \"early_stopping_patience\": 3,\n"
    "  \"epochs\": 12,\n"
    "  \"exclude_files\": [\n"
    "    \"/data/flowers/a/bad.jpg\"\n"
    "  ],\n"
    "  \"feature_cache\": \"off\",\n"
    "  \"freeze\": \"last:2\",\n"
    "  \"freeze_params\": [],\n"
    "  \"freeze_stages\": [\n"
    "    \"layer1\"\n"
    "  ],\n"
    "  \"grad_clip_norm\": 0.0,\n"
    "  \"head_dropout\": 0.2,\n"
    "  \"head_hidden_units\": 0,\n"
    "  \"label_smoothing\": 0.1,\n"
    "  \"lr\": 0.001,\n"
    "  \"max_image_file_mib\": 512,\n"
    "  \"max_image_megapixels\": 100.0,\n"
    "  \"momentum\": 0.9,\n"
    "  \"nesterov\": true,\n"
    "  \"optimizer\": \"sgd\",\n"
    "  \"precision\": \"mixed\",\n"
    "  \"pretrained\": true,\n"
    "  \"schedule\": \"cosine\",\n"
    "  \"seed\": 7,\n"
    "  \"stage_lr_multipliers\": {\n"
    "    \"layer4\": 0.3\n"
    "  },\n"
    "  \"step_epochs\": 7,\n"
    "  \"step_gamma\": 0.1,\n"
    "  \"threads\": 0,\n"
    "  \"train_params\": [],\n"
    "  \"train_stages\": [],\n"
    "  \"unknown_target_recall\": 0.95,\n"
    "  \"val_fraction\": 0.25,\n"
    "  \"warmup_epochs\": 1,\n"
    "  \"weight_decay\": 0.0001,\n"
    "  \"weights_file\": \"\",\n"
    "  \"workers\": 2\n"
    "}\n";
    test::TempDir dir;
    writeText(dir.file("config.json"), before);
    const train::TrainConfig c = train::loadTrainConfig(dir.file("config.json"));
    EXPECT_EQ(c.freeze, train::FreezePreset::last(2));
    EXPECT_EQ(c.batchNormPolicy, train::BatchNormPolicy::AllEval);
    EXPECT_EQ(c.augment.preset, data::AugmentPreset::Standard);
    EXPECT_EQ(c.earlyStoppingMetric, train::EarlyStoppingMetric::ValLoss);
    EXPECT_EQ(c.precision, train::Precision::Mixed);
    EXPECT_EQ(c.featureCache, train::FeatureCache::Off);
    train::saveTrainConfig(c, dir.file("again.json"));
    std::ifstream in(dir.file("again.json"), std::ios::binary);
    const std::string after((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Unchanged, but for the keys added since, written with their defaults.
    nlohmann::json expected = nlohmann::json::parse(before);
    expected["init_from"] = "";
    EXPECT_EQ(after, expected.dump(2) + "\n");
    // A desktop project holding it opens the same way.
    writeText(dir.file("p.tsproj"), "{\"format\": \"transfer-studio-project\", \"version\": 2, \"config\": " + before + "}");
    EXPECT_EQ(train::toJson(train::loadTrainConfig(dir.file("p.tsproj"))), train::toJson(c));
}

TEST(TrainConfigChoices, EveryNameRoundTripsThroughItsTableAndOthersAreRefused) {
    for (const char* name : {"feature-extraction", "none", "last:0", "last:3", "last:1000"})
        EXPECT_EQ(train::toString(train::freezePresetFromString(name)), name);
    for (const char* name : {"frozen-eval", "all-eval"})
        EXPECT_EQ(train::toString(train::batchNormPolicyFromString(name)), name);
    for (const char* name : {"val_accuracy", "val_loss"})
        EXPECT_EQ(train::toString(train::earlyStoppingMetricFromString(name)), name);
    for (const char* name : {"none", "standard"}) EXPECT_EQ(train::toString(train::augmentPresetFromString(name)), name);
    for (const char* name : {"float32", "mixed"}) EXPECT_EQ(train::toString(train::precisionFromString(name)), name);
    for (const char* name : {"auto", "off"}) EXPECT_EQ(train::toString(train::featureCacheFromString(name)), name);
    // The messages name the field (a key, or a flag when one is given) and the allowed names.
    const std::string bn = errorOf([] { train::batchNormPolicyFromString("eval", "--batchnorm-policy"); });
    EXPECT_EQ(bn, "Invalid --batchnorm-policy \"eval\": use frozen-eval, all-eval.");
    EXPECT_EQ(errorOf([] { train::augmentPresetFromString("heavy"); }), "Invalid augment.preset \"heavy\": use none, standard.");
    EXPECT_EQ(errorOf([] { train::earlyStoppingMetricFromString("acc"); }),
              "Invalid early_stopping_metric \"acc\": use val_accuracy, val_loss.");
    EXPECT_EQ(errorOf([] { train::freezePresetFromString("last:x"); }),
              "Invalid freeze \"last:x\": use feature-extraction, last:N (N from 0 to 1000, e.g. last:2) or none.");
    // An enum value outside its table (a cast) fails validate(), naming the field.
    auto c = validConfig();
    c.featureCache = static_cast<train::FeatureCache>(5);
    EXPECT_HAS(errorOf([&] { c.validate(); }), "feature_cache");
    c = validConfig();
    c.optimizer = static_cast<train::OptimizerKind>(5);
    EXPECT_HAS(errorOf([&] { c.validate(); }), "optimizer");
}

TEST(FreezePolicy, StageMultipliersAndGradedRates) {
    const std::map<std::string, double> own = {{"layer3", 0.3}};
    EXPECT_EQ(train::stageLrMultiplier(own, 0.1, "layer3", false), 0.3);
    EXPECT_EQ(train::stageLrMultiplier(own, 0.1, "layer2", false), 0.1) << "the backbone multiplier";
    EXPECT_EQ(train::stageLrMultiplier(own, 0.1, "head", true), 1.0) << "the head trains at the configured rate";
    EXPECT_EQ(train::stageLrMultiplier({{"head", 2.0}}, 0.1, "head", true), 2.0);

    // Graded: from the last trainable backbone stage backwards, frozen ones skipped.
    const std::vector<train::StageTrainability> stages = {
        {"stem", false, false}, {"layer1", false, true}, {"layer2", false, false}, {"layer3", false, true}, {"head", true, true}};
    const auto graded = train::gradedStageLrMultipliers(stages, 0.5);
    EXPECT_EQ(graded, (std::map<std::string, double>{{"head", 1.0}, {"layer3", 0.5}, {"layer1", 0.25}}));

    // The trainer's optimizer groups follow the same policy per parameter.
    zoo::Backbone model = zoo::createModel("resnet18", {2});
    const auto& st = model->stages();
    EXPECT_EQ(train::paramLrMultiplier(st, {{"layer4", 0.3}}, 0.1, "layer4.1.conv2.weight", false), 0.3);
    EXPECT_EQ(train::paramLrMultiplier(st, {{"layer4", 0.3}}, 0.1, "layer3.0.conv1.weight", false), 0.1);
    EXPECT_EQ(train::paramLrMultiplier(st, {{"layer4", 0.3}}, 0.1, "fc.weight", true), 1.0);
}
