// Exports: ONNX (checked by libonnx, run by OpenCV DNN), torchvision .pth
// (loaded by Python torchvision), bundles; atomic writes and clear errors;
// the `tstudio export` command with round-trip reports.
#include "core/common/Error.h"
#include "core/export/Export.h"
#include "core/export/OnnxRuntime.h"
#include "core/zoo/Registry.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>

#include <torch/torch.h>

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

using namespace ts;
namespace fs = std::filesystem;

namespace {

/// A model with random weights and a replaced head, as a trained run would hold it.
exporting::LoadedModel makeModel(const std::string& arch, int64_t classes, int64_t hidden = 0, int crop = 0) {
    torch::manual_seed(7);
    exporting::LoadedModel m;
    zoo::CreateOptions options;
    options.numClasses = classes;
    m.model = zoo::createModel(arch, options);
    if (hidden > 0) m.model->replaceHead({classes, hidden, 0.3});
    m.model->eval();
    m.meta.arch = arch;
    for (int64_t i = 0; i < classes; ++i) m.meta.classes.push_back("class_" + std::to_string(i));
    m.meta.headHiddenUnits = hidden;
    m.meta.headDropout = 0.3;
    m.meta.transform = data::EvalTransform::forModel(zoo::modelInfo(arch));
    if (crop > 0) m.meta.transform.cropSize = crop;
    m.meta.manifestHash = "0123abcd";
    return m;
}

at::Tensor randomImages(int64_t n, int crop) {
    torch::manual_seed(11);
    return torch::randn({n, 3, crop, crop});
}

onnx::ModelProto readOnnx(const std::string& path) {
    onnx::ModelProto proto;
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(proto.ParseFromIstream(&in)) << path;
    return proto;
}

std::string metaProp(const onnx::ModelProto& proto, const std::string& key) {
    for (const auto& p : proto.metadata_props())
        if (p.key() == key) return p.value();
    return {};
}

size_t filesIn(const std::string& dir) {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
    return n;
}

} // namespace

TEST(ExportFormat, NamesParseAndExtensions) {
    using exporting::ExportFormat;
    for (auto f : {ExportFormat::Bundle, ExportFormat::Onnx, ExportFormat::Pth})
        EXPECT_EQ(exporting::parseFormat(exporting::formatName(f)), f);
    EXPECT_EQ(exporting::parseFormat("ONNX"), ExportFormat::Onnx);
    EXPECT_EQ(exporting::defaultExtension(ExportFormat::Pth), ".pth");
    EXPECT_THROW(exporting::parseFormat("tflite"), ConfigError);
}

TEST(ExportOnnx, GraphContractAndMetadata) {
    test::TempDir tmp;
    const auto m = makeModel("tiny_cnn", 3, 0, 64);
    exporting::ExportOptions options;
    options.withProbabilities = true;
    const auto result = exporting::exportOnnx(m, tmp.file("m.onnx"), options);
    EXPECT_GT(result.bytes, 0);
    const onnx::ModelProto proto = readOnnx(tmp.file("m.onnx"));
    ASSERT_GE(proto.opset_import_size(), 1);
    EXPECT_GE(proto.opset_import(0).version(), 13);
    ASSERT_EQ(proto.graph().input_size(), 1);
    EXPECT_EQ(proto.graph().input(0).name(), "input");
    const auto& inShape = proto.graph().input(0).type().tensor_type().shape();
    ASSERT_EQ(inShape.dim_size(), 4);
    EXPECT_FALSE(inShape.dim(0).dim_param().empty()) << "the batch dimension must be dynamic";
    EXPECT_EQ(inShape.dim(1).dim_value(), 3);
    EXPECT_EQ(inShape.dim(2).dim_value(), 64);
    ASSERT_EQ(proto.graph().output_size(), 2);
    EXPECT_EQ(proto.graph().output(0).name(), "logits");
    EXPECT_EQ(proto.graph().output(1).name(), "probabilities");
    EXPECT_EQ(nlohmann::json::parse(metaProp(proto, "classes")), nlohmann::json(m.meta.classes));
    const auto pre = nlohmann::json::parse(metaProp(proto, "preprocessing"));
    EXPECT_EQ(pre["crop_size"], 64);
    EXPECT_FLOAT_EQ(pre["mean"][0].get<float>(), 0.485f);
    EXPECT_FALSE(pre["in_graph"].get<bool>());
    EXPECT_EQ(metaProp(proto, "arch"), "tiny_cnn");
    EXPECT_EQ(metaProp(proto, "manifest_hash"), "0123abcd");
}

#ifdef TS_HAVE_OPENCV_DNN
TEST(ExportOnnx, OpenCvRunsItWithAnyBatchAndWithPreprocessingInTheGraph) {
    test::TempDir tmp;
    const auto m = makeModel("tiny_cnn", 4, 16, 64);
    for (bool pre : {false, true}) {
        exporting::ExportOptions options;
        options.withPreprocessing = pre;
        const std::string path = tmp.file(pre ? "pre.onnx" : "plain.onnx");
        exporting::exportOnnx(m, path, options);
        const auto proto = readOnnx(path);
        EXPECT_EQ(nlohmann::json::parse(metaProp(proto, "preprocessing"))["in_graph"].get<bool>(), pre);
        for (int64_t batch : {1, 5}) {
            exporting::RoundTripOptions rt;
            rt.batchSize = batch;
            const auto r = exporting::roundTripCheckTensors(m, exporting::ExportFormat::Onnx, path, options,
                                                            randomImages(5, 64), rt);
            EXPECT_EQ(r.images, 5);
            EXPECT_EQ(r.top1AgreementRate, 1.0) << r.summary();
            EXPECT_LE(r.maxLogitDiff, 1e-4) << r.summary();
            EXPECT_NE(r.runtime.find("OpenCV"), std::string::npos);
        }
    }
}

TEST(ExportOnnx, AWrongExportIsDetected) {
    // The check must see a difference: an export of another model (other weights) disagrees.
    test::TempDir tmp;
    const auto m = makeModel("tiny_cnn", 3, 0, 64);
    exporting::exportOnnx(m, tmp.file("m.onnx"));
    auto other = makeModel("tiny_cnn", 3, 0, 64);
    torch::NoGradGuard g;
    for (auto& p : other.model->parameters()) p.add_(torch::randn_like(p) * 0.5);
    const auto r = exporting::roundTripCheckTensors(other, exporting::ExportFormat::Onnx, tmp.file("m.onnx"), {},
                                                    randomImages(6, 64));
    EXPECT_GT(r.maxLogitDiff, 1e-3);
}
#endif

TEST(ExportErrors, UnwritableTargetAndInexpressibleModelLeaveNothing) {
    test::TempDir tmp;
    const auto m = makeModel("tiny_cnn", 2, 0, 64);
    EXPECT_THROW(exporting::exportOnnx(m, tmp.file("missing/dir/m.onnx")), IoError);
    EXPECT_THROW(exporting::exportModel(m, exporting::ExportFormat::Bundle, tmp.path()), IoError);
    try {
        exporting::exportPth(m, tmp.file("m.pth"));
        FAIL() << "tiny_cnn has no torchvision builder";
    } catch (const ModelError& e) {
        EXPECT_NE(std::string(e.what()).find("tiny_cnn"), std::string::npos) << e.what();
    }
    exporting::ExportOptions bad;
    bad.opset = 11;
    EXPECT_THROW(exporting::exportOnnx(m, tmp.file("m.onnx"), bad), ConfigError);
    EXPECT_EQ(filesIn(tmp.path()), 0u) << "nothing half-written, no temp files";
    // A read-only folder: the atomic write fails and leaves nothing behind.
    fs::create_directories(tmp.file("ro"));
    fs::permissions(tmp.file("ro"), fs::perms::owner_read | fs::perms::owner_exec);
    if (::access(tmp.file("ro").c_str(), W_OK) != 0) {
        EXPECT_THROW(exporting::exportOnnx(m, tmp.file("ro/m.onnx")), IoError);
        EXPECT_EQ(filesIn(tmp.file("ro")), 0u);
    }
    fs::permissions(tmp.file("ro"), fs::perms::owner_all);
}

TEST(ExportBundle, ReloadsToTheSameOutputs) {
    test::TempDir tmp;
    const auto m = makeModel("tiny_cnn", 3, 8, 64);
    const auto result = exporting::exportModel(m, exporting::ExportFormat::Bundle, tmp.file("m.tsb"));
    EXPECT_GT(result.bytes, 0);
    const auto r = exporting::roundTripCheckTensors(m, exporting::ExportFormat::Bundle, tmp.file("m.tsb"), {},
                                                    randomImages(4, 64));
    EXPECT_EQ(r.top1AgreementRate, 1.0);
    EXPECT_EQ(r.maxLogitDiff, 0.0);
    const auto back = exporting::loadBundle(tmp.file("m.tsb"));
    EXPECT_EQ(back.meta.classes, m.meta.classes);
    EXPECT_EQ(back.meta.headHiddenUnits, 8);
    EXPECT_EQ(back.meta.manifestHash, "0123abcd");
}

TEST(ExportPth, TorchvisionLoadCodeNamesTheHead) {
    const auto plain = makeModel("resnet18", 5);
    EXPECT_EQ(exporting::torchvisionLoadCode(plain, "'m.pth'"),
              "import collections, torch, torchvision\nmodel = torchvision.models.resnet18(num_classes=5)\n"
              "state = torch.load('m.pth')\nmodel.load_state_dict(state)\nmodel.eval()\n");
    const auto hidden = makeModel("mobilenet_v3_small", 5, 32);
    const std::string b = exporting::torchvisionLoadCode(hidden, "path");
    EXPECT_NE(b.find("setattr(model.classifier, '3', torch.nn.Sequential(torch.nn.Linear(1024, 32)"), std::string::npos) << b;
}

TEST(ExportPth, PythonLoadsItWithTheDocumentedLines) {
    const std::string py = test::referencePython();
    TS_REQUIRE_REFERENCE_PYTHON(py);
    test::TempDir tmp;
    const auto m = makeModel("resnet18", 3, 0, 96);
    exporting::exportPth(m, tmp.file("r.pth"));
    // Independent of the exporter's own runner: plain torchvision code.
    std::string out;
    const std::string script = "import torch, torchvision\n"
                               "model = torchvision.models.resnet18(num_classes=3)\n"
                               "model.load_state_dict(torch.load('" + tmp.file("r.pth") + "'))\n"
                               "print(sum(p.numel() for p in model.state_dict().values()))\n";
    std::ofstream(tmp.file("load.py")) << script;
    ASSERT_EQ(test::runCommand(test::shellQuote(py) + " " + tmp.file("load.py") + " 2>&1", &out), 0) << out;
    int64_t expected = 0;
    for (const auto& t : m.model->parameters()) expected += t.numel();
    for (const auto& t : m.model->buffers()) expected += t.numel();
    EXPECT_EQ(std::stoll(out), expected);
}

namespace {

/// Sets an environment variable for one scope, restoring the old value.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const std::string& value) : m_name(name) {
        if (const char* old = std::getenv(name)) m_old = old;
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (m_old) ::setenv(m_name, m_old->c_str(), 1);
        else ::unsetenv(m_name);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* m_name;
    std::optional<std::string> m_old;
};

void writeText(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

/// A package folder the lookup accepts (the runner never loads it when the
/// "node" is a fake).
std::string fakePackage(const test::TempDir& tmp) {
    const std::string dir = tmp.file("ort/node_modules/onnxruntime-node");
    fs::create_directories(dir);
    writeText(dir + "/package.json", R"({"name": "onnxruntime-node", "version": "9.9.9"})");
    return tmp.file("ort");
}

/// A shell script standing in for node: argv[1] is the runner, then the
/// package, model, input, shape, output folder, batch.
std::string fakeNode(const test::TempDir& tmp, const std::string& name, const std::string& body) {
    const std::string path = tmp.file(name);
    writeText(path, "#!/bin/sh\n" + body + "\n");
    ::chmod(path.c_str(), 0755);
    return path;
}

} // namespace

TEST(OnnxRuntimeLookup, AMissingPackageOrNodeIsReportedAsAbsentWithHowToInstall) {
    test::TempDir tmp;
    {
        ScopedEnv dir("TSTUDIO_ONNXRUNTIME_DIR", tmp.file("nothing-here"));
        std::string why;
        EXPECT_FALSE(exporting::findOnnxRuntime(&why));
        EXPECT_NE(why.find("TSTUDIO_ONNXRUNTIME_DIR"), std::string::npos) << why;
        EXPECT_NE(why.find("nothing-here"), std::string::npos) << why;
        EXPECT_NE(why.find("npm install --ignore-scripts"), std::string::npos) << why;

        // The checks of every runtime report it and still run OpenCV DNN.
        const auto m = makeModel("tiny_cnn", 2, 0, 32);
        const std::string onnx = tmp.file("m.onnx");
        exporting::exportOnnx(m, onnx);
        const auto reports =
            exporting::roundTripChecksTensors(m, exporting::ExportFormat::Onnx, onnx, {}, randomImages(2, 32));
        ASSERT_EQ(reports.size(), 2u);
#ifdef TS_HAVE_OPENCV_DNN
        EXPECT_EQ(reports[0].status, exporting::RoundTripStatus::Checked) << reports[0].summary();
        EXPECT_EQ(reports[0].top1AgreementRate, 1.0);
#endif
        EXPECT_EQ(reports[1].status, exporting::RoundTripStatus::Absent);
        EXPECT_EQ(reports[1].runtime, "ONNX Runtime");
        EXPECT_NE(reports[1].summary().find("not installed"), std::string::npos) << reports[1].summary();
        EXPECT_EQ(reports[1].toJson()["status"], "absent");
        // Asked for ONNX Runtime alone, the check throws with the same reason.
        exporting::RoundTripOptions rt;
        rt.onnxChecker = exporting::OnnxChecker::OnnxRuntime;
        try {
            exporting::roundTripCheckTensors(m, exporting::ExportFormat::Onnx, onnx, {}, randomImages(2, 32), rt);
            ADD_FAILURE() << "no exception";
        } catch (const ModelError& e) {
            EXPECT_NE(std::string(e.what()).find("TSTUDIO_ONNXRUNTIME_DIR"), std::string::npos) << e.what();
        }
    }
    {
        ScopedEnv node("TSTUDIO_NODE", tmp.file("no-node"));
        std::string why;
        EXPECT_FALSE(exporting::findOnnxRuntime(&why));
        EXPECT_NE(why.find("TSTUDIO_NODE"), std::string::npos) << why;
    }
    {
        ScopedEnv dir("TSTUDIO_ONNXRUNTIME_DIR", fakePackage(tmp));
        ScopedEnv node("TSTUDIO_NODE", fakeNode(tmp, "node", "exit 0"));
        std::string why;
        const auto setup = exporting::findOnnxRuntime(&why);
        ASSERT_TRUE(setup) << why;
        EXPECT_EQ(setup->version, "9.9.9");
        EXPECT_EQ(fs::path(setup->packageDir).filename(), "onnxruntime-node");
    }
}

TEST(OnnxRuntimeRun, RunnerFailuresTimeoutsAndBadOutputsAreClearErrors) {
    test::TempDir tmp;
    const std::string onnx = tmp.file("model.onnx");
    writeText(onnx, "not really onnx");
    const at::Tensor x = torch::zeros({2, 3, 4, 4});
    exporting::OnnxRuntimeSetup setup;
    setup.packageDir = fakePackage(tmp) + "/node_modules/onnxruntime-node";
    setup.version = "9.9.9";
    auto messageOf = [&](const exporting::OnnxRuntimeOptions& options) -> std::string {
        try {
            exporting::runOnnxRuntime(setup, onnx, x, options);
        } catch (const ModelError& e) {
            return e.what();
        }
        return "(no exception)";
    };

    // A failing runner: its exit status and the tail of its stderr, bounded,
    // without control characters.
    setup.node = fakeNode(tmp, "fail.sh",
                          "i=0; while [ $i -lt 400 ]; do printf 'noise \\033[31m line %s\\n' $i >&2; i=$((i+1)); done; "
                          "echo 'ort_run: the last words' >&2; exit 3");
    std::string msg = messageOf({});
    EXPECT_NE(msg.find("model.onnx"), std::string::npos) << msg;
    EXPECT_NE(msg.find("runner exit 3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("the last words"), std::string::npos) << msg;
    EXPECT_LT(msg.size(), 2000u) << "bounded";
    EXPECT_EQ(msg.find('\033'), std::string::npos) << "no control characters";

    // A runner that hangs is stopped at the timeout.
    setup.node = fakeNode(tmp, "hang.sh", "exec sleep 30");
    exporting::OnnxRuntimeOptions quick;
    quick.timeoutSeconds = 1;
    const auto start = std::chrono::steady_clock::now();
    msg = messageOf(quick);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
    EXPECT_NE(msg.find("within 1 s"), std::string::npos) << msg;

    // Outputs whose size does not match their shape, or an unreadable header.
    setup.node = fakeNode(tmp, "short.sh",
                          "printf '{\"runtime\":\"x\",\"outputs\":[{\"name\":\"logits\",\"dims\":[2,5],"
                          "\"file\":\"output0.bin\"}]}' > \"$6/header.json\"; printf 'abcd' > \"$6/output0.bin\"");
    msg = messageOf({});
    EXPECT_NE(msg.find("4 bytes where its shape needs 40"), std::string::npos) << msg;
    setup.node = fakeNode(tmp, "huge.sh",
                          "printf '{\"outputs\":[{\"name\":\"logits\",\"dims\":[4000000000,4000000000]}]}' > "
                          "\"$6/header.json\"");
    msg = messageOf({});
    EXPECT_NE(msg.find("impossible shape"), std::string::npos) << msg;
    setup.node = fakeNode(tmp, "garbage.sh", "printf '{\"outputs\": 7' > \"$6/header.json\"");
    msg = messageOf({});
    EXPECT_NE(msg.find("unreadable result"), std::string::npos) << msg;

    // A well-formed result is read back with its names and shapes.
    setup.node = fakeNode(tmp, "ok.sh",
                          "printf '{\"runtime\":\"x\",\"outputs\":[{\"name\":\"logits\",\"dims\":[2,1],"
                          "\"file\":\"output0.bin\"}]}' > \"$6/header.json\"; "
                          "printf '\\000\\000\\200\\077\\000\\000\\000\\100' > \"$6/output0.bin\"");
    const auto out = exporting::runOnnxRuntime(setup, onnx, x);
    EXPECT_EQ(out.runtime, "ONNX Runtime 9.9.9");
    ASSERT_TRUE(out.output("logits").defined());
    EXPECT_EQ(out.output("logits").sizes(), (std::vector<int64_t>{2, 1}));
    EXPECT_FLOAT_EQ(out.output("logits")[0][0].item<float>(), 1.0f);
    EXPECT_FLOAT_EQ(out.output("logits")[1][0].item<float>(), 2.0f);
    EXPECT_FALSE(out.output("probabilities").defined());
}

TEST(OnnxRuntimeRun, TheRealRuntimeRefusesADamagedFileByName) {
    std::string why;
    const auto setup = exporting::findOnnxRuntime(&why);
    if (!setup) GTEST_SKIP() << "ONNX Runtime is not installed here: " << why;
    test::TempDir tmp;
    const auto m = makeModel("tiny_cnn", 3, 0, 32);
    const std::string good = tmp.file("good.onnx");
    exporting::ExportOptions options;
    options.withProbabilities = true;
    exporting::exportOnnx(m, good, options);
    // The model's own logits, ONNX Runtime's and its probabilities output.
    const at::Tensor images = randomImages(5, 32);
    exporting::OnnxRuntimeOptions batchOf2;
    batchOf2.batchSize = 2;  // several runs in one process, concatenated
    const auto out = exporting::runOnnxRuntime(*setup, good, images, batchOf2);
    torch::NoGradGuard g;
    const at::Tensor logits = m.model->forward(images);
    ASSERT_TRUE(out.output("logits").defined());
    EXPECT_LE((out.output("logits") - logits).abs().max().item<double>(), 1e-4);
    EXPECT_LE((out.output("probabilities") - logits.softmax(1)).abs().max().item<double>(), 1e-5);

    // A damaged file (the good one cut in half) and a file of random bytes.
    const std::string bytes = [&] {
        std::ifstream in(good, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }();
    writeText(tmp.file("cut.onnx"), bytes.substr(0, bytes.size() / 2));
    writeText(tmp.file("noise.onnx"), std::string(4096, '\x9c'));
    for (const char* name : {"cut.onnx", "noise.onnx"}) {
        try {
            exporting::runOnnxRuntime(*setup, tmp.file(name), images);
            ADD_FAILURE() << name << " ran";
        } catch (const ModelError& e) {
            EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("could not load or run"), std::string::npos) << e.what();
        }
    }
}
