// Every zoo architecture with a replaced head exports to ONNX (accepted by the
// ONNX checker) and to a torchvision .pth; OpenCV DNN 4.6, ONNX Runtime 1.30
// and Python torchvision 0.14 compute the same logits (max |diff| <= 1e-4, or twice
// LibTorch's own float32 error where that is larger) on several inputs. Architectures OpenCV 4.6 cannot run are listed with the reason; for
// them the export itself must still succeed.
#include "core/common/Error.h"
#include "core/export/Export.h"
#include "core/export/OnnxRuntime.h"
#include "core/weights/StateDict.h"
#include "core/zoo/Provenance.h"
#include "core/zoo/Registry.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>

#include <torch/nn/modules/batchnorm.h>
#include <torch/torch.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

using namespace ts;

namespace {

/// Architectures OpenCV 4.6's ONNX importer cannot run, and why.
const std::map<std::string, std::string>& openCvCannot() {
    static const std::map<std::string, std::string> m = {
        {"convnext_tiny",
         "LayerNorm over channels-last (N,H,W,C) maps: OpenCV 4.6 has no LayerNormalization import, and the "
         "decomposed form's Div of (N,H,W,C) by (N,H,W,1) fails in its importer (parseMul: axis != outShape.size())"},
    };
    return m;
}

/// BatchNorm running statistics from the compared images (momentum 1), so
/// activations stay O(1) through deep random networks as in trained ones
/// (statistics from other images leave channels with near-zero variance that
/// blow logits up to thousands, where float32 rounding alone exceeds 1e-4).
void calibrateBatchNorm(zoo::BackboneImpl& model, const at::Tensor& x) {
    std::vector<std::pair<torch::nn::BatchNorm2dImpl*, c10::optional<double>>> bns;
    for (const auto& m : model.modules(/*include_self=*/false))
        if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(m.get())) {
            bns.emplace_back(bn, bn->options.momentum());
            bn->options.momentum(1.0);
        }
    torch::NoGradGuard g;
    model.train();
    model.forward(x);
    model.eval();
    for (auto& [bn, momentum] : bns) bn->options.momentum(momentum);
}

exporting::LoadedModel makeModel(const std::string& arch, int64_t classes, int64_t hidden, const at::Tensor& images) {
    torch::manual_seed(5);
    exporting::LoadedModel m;
    zoo::CreateOptions options;
    options.numClasses = 1000;
    m.model = zoo::createModel(arch, options);
    m.model->replaceHead({classes, hidden, 0.2});
    m.meta.arch = arch;
    for (int64_t i = 0; i < classes; ++i) m.meta.classes.push_back("c" + std::to_string(i));
    m.meta.headHiddenUnits = hidden;
    m.meta.headDropout = 0.2;
    m.meta.transform = data::EvalTransform::forModel(zoo::modelInfo(arch));
    calibrateBatchNorm(*m.model, images);
    return m;
}

/// The tolerance of a second runtime: 1e-4, or twice LibTorch's own float32
/// error (against float64, same weights and inputs) where a deep network's
/// float32 rounding alone exceeds that (resnet101: ~1e-4 on logits of ~1),
/// as the zoo's parity tests do against torchvision.
double logitTolerance(const std::string& arch, int64_t hidden, const at::Tensor& images) {
    torch::NoGradGuard g;
    const auto m = makeModel(arch, 5, hidden, images);
    const at::Tensor f32 = m.model->forward(images);
    m.model->to(at::kDouble);
    const at::Tensor f64 = m.model->forward(images.to(at::kDouble));
    const double float32Error = (f32.to(at::kDouble) - f64).abs().max().item<double>();
    return std::max(1e-4, 2.0 * float32Error);
}

/// The head with a hidden layer is the same module on every backbone; it is
/// checked on one architecture of each head kind (Linear fc, Sequential
/// classifier, 1x1 conv, pre-head MLP) rather than on all of them.
bool checksHiddenHead(const std::string& arch) {
    static const std::set<std::string> archs = {"resnet18", "mobilenet_v2", "mobilenet_v3_small", "squeezenet1_1",
                                                "efficientnet_b0", "googlenet", "shufflenet_v2_x1_0", "densenet121",
                                                "alexnet", "vgg11_bn", "inception_v3", "convnext_tiny", "mnasnet1_0"};
    return archs.count(arch) > 0;
}

/// Loads an exported .pth of a third-party architecture into
/// tests/python/reference.py's model (strict keys) and compares its logits on
/// `images` with the model's own.
void checkThirdPartyPth(const std::string& py, const std::string& arch, const std::string& pthPath,
                        const exporting::LoadedModel& m, const at::Tensor& images, double tolerance,
                        const test::TempDir& tmp) {
    const std::string in = tmp.file(arch + "-images.pth"), out = tmp.file(arch + "-logits.pth");
    weights::writeStateDict({{"images", images}}, in);
    const std::string script = tmp.file(arch + "-check.py");
    std::ofstream(script) << "import sys, torch\nsys.path.insert(0, " << nlohmann::json(test::pythonScript("")).dump()
                          << ")\nimport reference\nmodel = reference.build(" << nlohmann::json(arch).dump() << ", "
                          << m.meta.classes.size() << ")\nmodel.load_state_dict(torch.load(sys.argv[1]))\n"
                          << "model.eval()\nwith torch.no_grad():\n"
                          << "    logits = model(torch.load(sys.argv[2])['images'])\n"
                          << "torch.save({'logits': logits}, sys.argv[3])\n";
    std::string log;
    ASSERT_EQ(test::runCommand(test::shellQuote(py) + " " + test::shellQuote(script) + " " + test::shellQuote(pthPath) +
                                   " " + test::shellQuote(in) + " " + test::shellQuote(out),
                               &log),
              0)
        << log;
    const at::Tensor theirs = test::tensorNamed(test::readTensorFile(out), "logits");
    at::Tensor ours;
    {
        torch::NoGradGuard g;
        ours = m.model->forward(images);
    }
    ASSERT_EQ(theirs.sizes(), ours.sizes());
    EXPECT_TRUE(theirs.argmax(1).equal(ours.argmax(1)));
    EXPECT_LE((theirs - ours).abs().max().item<double>(), tolerance);
}

class ExportArch : public ::testing::TestWithParam<std::string> {};

} // namespace

TEST_P(ExportArch, OnnxAndPthComputeTheSameLogits) {
    const std::string arch = GetParam();
    test::TempDir tmp;
    for (int64_t hidden : {int64_t(0), int64_t(64)}) {
        if (hidden > 0 && !checksHiddenHead(arch)) continue;
        SCOPED_TRACE(hidden ? "head with a hidden layer" : "replaced head");
        const int crop = data::EvalTransform::forModel(zoo::modelInfo(arch)).cropSize;
        torch::manual_seed(17);
        const at::Tensor images = torch::randn({3, 3, crop, crop});
        const auto m = makeModel(arch, 5, hidden, images);
        const double tolerance = logitTolerance(arch, hidden, images);
        const std::string onnxPath = tmp.file(arch + std::to_string(hidden) + ".onnx");
        exporting::ExportOptions options;
        options.withPreprocessing = hidden > 0;  // both graph inputs are covered
        ASSERT_NO_THROW(exporting::exportOnnx(m, onnxPath, options)) << "the export and the ONNX checker must pass";
#ifdef TS_HAVE_OPENCV_DNN
        const auto cannot = openCvCannot().find(arch);
        if (cannot == openCvCannot().end()) {
            const auto r = exporting::roundTripCheckTensors(m, exporting::ExportFormat::Onnx, onnxPath, options, images);
            EXPECT_EQ(r.images, 3);
            EXPECT_EQ(r.top1AgreementRate, 1.0) << r.summary();
            EXPECT_LE(r.maxLogitDiff, tolerance) << r.summary() << " (tolerance " << tolerance << ")";
        } else {
            EXPECT_THROW(exporting::roundTripCheckTensors(m, exporting::ExportFormat::Onnx, onnxPath, options, images),
                         ModelError)
                << "OpenCV now runs " << arch << "; remove it from the list (" << cannot->second << ")";
        }
#endif
        const std::string py = test::referencePython();
        if (py.empty()) continue;
        const std::string pthPath = tmp.file(arch + std::to_string(hidden) + ".pth");
        ASSERT_NO_THROW(exporting::exportPth(m, pthPath));
        if (zoo::provenance(arch).thirdParty) {
            // timm / pytorchcv are not installed here: the .pth must load
            // strictly into reference.py's independent definition with those
            // projects' key names and compute the same logits.
            checkThirdPartyPth(py, arch, pthPath, m, images, tolerance, tmp);
            continue;
        }
        exporting::RoundTripOptions rt;
        rt.python = py;
        const auto r = exporting::roundTripCheckTensors(m, exporting::ExportFormat::Pth, pthPath, {}, images, rt);
        EXPECT_EQ(r.top1AgreementRate, 1.0) << r.summary();
        EXPECT_LE(r.maxLogitDiff, tolerance) << r.summary() << " (tolerance " << tolerance << ")";
    }
}

// ONNX Runtime (onnxruntime-node 1.30, installed by scripts/install-deps.sh)
// runs every architecture's ONNX export, convnext_tiny included, with and
// without the preprocessing in the graph and the probabilities output; one
// Node process per exported file runs all the images.
TEST_P(ExportArch, OnnxRuntimeComputesTheSameLogits) {
    std::string why;
    if (!exporting::findOnnxRuntime(&why)) GTEST_SKIP() << "ONNX Runtime is not installed here: " << why;
    const std::string arch = GetParam();
    test::TempDir tmp;
    for (int64_t hidden : {int64_t(0), int64_t(64)}) {
        if (hidden > 0 && !checksHiddenHead(arch)) continue;
        SCOPED_TRACE(hidden ? "head with a hidden layer" : "replaced head");
        const int crop = data::EvalTransform::forModel(zoo::modelInfo(arch)).cropSize;
        torch::manual_seed(17);
        const at::Tensor images = torch::randn({3, 3, crop, crop});
        const auto m = makeModel(arch, 5, hidden, images);
        const double tolerance = logitTolerance(arch, hidden, images);
        for (const bool variant : {false, true}) {
            exporting::ExportOptions options;
            options.withPreprocessing = variant;
            options.withProbabilities = variant != (hidden > 0);  // all four combinations over the two heads
            SCOPED_TRACE(std::string(options.withPreprocessing ? "with" : "without") + " preprocessing, " +
                         (options.withProbabilities ? "with" : "without") + " probabilities");
            const std::string onnxPath = tmp.file(arch + std::to_string(hidden) + (variant ? "p" : "") + ".onnx");
            ASSERT_NO_THROW(exporting::exportOnnx(m, onnxPath, options));
            exporting::RoundTripOptions rt;
            rt.onnxChecker = exporting::OnnxChecker::OnnxRuntime;
            const auto r = exporting::roundTripCheckTensors(m, exporting::ExportFormat::Onnx, onnxPath, options, images, rt);
            EXPECT_NE(r.runtime.find("ONNX Runtime"), std::string::npos) << r.runtime;
            EXPECT_EQ(r.images, 3);
            EXPECT_EQ(r.top1AgreementRate, 1.0) << r.summary();
            EXPECT_LE(r.maxLogitDiff, tolerance) << r.summary() << " (tolerance " << tolerance << ")";
            if (options.withProbabilities) {
                EXPECT_GE(r.maxProbabilityOutputDiff, 0.0) << "the probabilities output was compared";
                EXPECT_LE(r.maxProbabilityOutputDiff, tolerance) << r.summary();
            } else {
                EXPECT_LT(r.maxProbabilityOutputDiff, 0.0) << "no probabilities output to compare";
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Zoo, ExportArch, ::testing::ValuesIn([] {
                             std::vector<std::string> names;
                             for (const auto& n : zoo::modelNames())
                                 if (n != "tiny_cnn") names.push_back(n);
                             return names;
                         }()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });
