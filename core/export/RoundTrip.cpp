// Round-trip checks: the export runs in a second runtime (OpenCV DNN or
// ONNX Runtime for ONNX, Python torchvision for .pth, a fresh bundle load for bundles) on the
// same preprocessed images as the model, and the two outputs are compared.
#include "core/export/Export.h"
#include "core/export/OnnxRuntime.h"
#include "core/export/ScratchDir.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/data/Dataset.h"
#include "core/data/Preprocess.h"
#include "core/weights/PthReader.h"

#include <c10/util/Exception.h>
#include <torch/serialize.h>
#include <torch/types.h>
#include <torch/utils.h>

#ifdef TS_HAVE_OPENCV_DNN
#include <opencv2/core/version.hpp>
#include <opencv2/dnn.hpp>
#endif

#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <utility>

namespace ts::exporting {
namespace {

namespace fs = std::filesystem;

std::string shellQuote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

at::Tensor runModel(zoo::BackboneImpl& model, const at::Tensor& images, int64_t batch, Feedback* feedback, double from,
                    double to) {
    torch::NoGradGuard noGrad;
    model.eval();
    std::vector<at::Tensor> outs;
    const int64_t n = images.size(0);
    for (int64_t i = 0; i < n; i += batch) {
        if (feedback && (feedback->isCancelled() || !feedback->waitIfPaused())) throw Cancelled();
        outs.push_back(model.forward(images.slice(0, i, std::min(n, i + batch))).to(at::kFloat));
        if (feedback) feedback->reportProgress(from + (to - from) * double(std::min(n, i + batch)) / double(n), "model");
    }
    return at::cat(outs, 0);
}

/// (x * std + mean) * 255: the crop as RGB floats in [0,255].
at::Tensor denormalize(const at::Tensor& images, const data::EvalTransform& t) {
    const at::Tensor mean = torch::tensor(std::vector<float>(t.mean.begin(), t.mean.end())).view({1, 3, 1, 1});
    const at::Tensor sd = torch::tensor(std::vector<float>(t.std.begin(), t.std.end())).view({1, 3, 1, 1});
    return (images * sd + mean) * 255.0;
}

#ifdef TS_HAVE_OPENCV_DNN
at::Tensor forwardOpenCv(cv::dnn::Net& net, const at::Tensor& chunk, const std::string& path) {
    const int sizes[4] = {static_cast<int>(chunk.size(0)), static_cast<int>(chunk.size(1)), static_cast<int>(chunk.size(2)),
                          static_cast<int>(chunk.size(3))};
    cv::Mat blob(4, sizes, CV_32F, const_cast<float*>(chunk.data_ptr<float>()));
    cv::Mat out;
    try {
        net.setInput(blob, "input");
        out = net.forward("logits");
    } catch (const cv::Exception& e) {
        throw ModelError("OpenCV DNN " + std::string(CV_VERSION) + " cannot run the ONNX file '" + path + "': " + e.msg);
    }
    if (out.total() % static_cast<size_t>(chunk.size(0)) != 0)
        throw ModelError("OpenCV DNN returned " + std::to_string(out.total()) + " values for " +
                         std::to_string(chunk.size(0)) + " images from '" + path + "'.");
    const int64_t classes = static_cast<int64_t>(out.total()) / chunk.size(0);
    cv::Mat dense = out.isContinuous() ? out : out.clone();
    return torch::from_blob(dense.ptr<float>(), {chunk.size(0), classes}, at::kFloat).clone();
}
#endif

at::Tensor runOnnxOpenCv(const std::string& path, const at::Tensor& input, int64_t batch, std::string* runtime,
                         Feedback* feedback) {
#ifdef TS_HAVE_OPENCV_DNN
    *runtime = std::string("OpenCV DNN ") + CV_VERSION;
    cv::dnn::Net net;
    try {
        net = cv::dnn::readNetFromONNX(path);
    } catch (const cv::Exception& e) {
        throw ModelError("OpenCV DNN " + std::string(CV_VERSION) + " cannot load the ONNX file '" + path + "': " + e.msg);
    }
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    std::vector<at::Tensor> outs;
    const int64_t n = input.size(0);
    for (int64_t i = 0; i < n; i += batch) {
        if (feedback && (feedback->isCancelled() || !feedback->waitIfPaused())) throw Cancelled();
        const at::Tensor chunk = input.slice(0, i, std::min(n, i + batch)).contiguous();
        try {
            outs.push_back(forwardOpenCv(net, chunk, path));
        } catch (const ModelError&) {
            // OpenCV 4.6 broadcasts (N,C,1,1) x (N,C,H,W) products (squeeze-and-
            // excitation blocks) only for N = 1: retry such a batch image by image.
            if (chunk.size(0) == 1) throw;
            for (int64_t j = 0; j < chunk.size(0); ++j) outs.push_back(forwardOpenCv(net, chunk.slice(0, j, j + 1), path));
            if (runtime->find("batch 1") == std::string::npos) *runtime += ", batch 1";
        }
        if (feedback) feedback->reportProgress(0.5 + 0.5 * double(std::min(n, i + batch)) / double(n), "export");
    }
    return at::cat(outs, 0);
#else
    (void)path, (void)input, (void)batch, (void)feedback;
    *runtime = "OpenCV DNN";
    throw ModelError("This build has no OpenCV DNN module, so ONNX exports cannot be checked here.");
#endif
}

const char* kPythonRunner = R"PY(
import sys
import torch, torchvision
path, images, out = sys.argv[1], sys.argv[2], sys.argv[3]
exec(open(sys.argv[4]).read())
x = torch.load(images)
with torch.no_grad():
    y = torch.cat([model(x[i:i + 16]) for i in range(0, x.shape[0], 16)])
torch.save(y.contiguous(), out)
print("torchvision " + torchvision.__version__)
)PY";

at::Tensor runPthPython(const LoadedModel& model, const std::string& path, const at::Tensor& images,
                        const RoundTripOptions& options, std::string* runtime) {
    *runtime = "Python torchvision (" + options.python + ")";
    if (options.python.empty() || !fs::exists(options.python))
        throw ModelError("Checking a .pth export needs Python with torch and torchvision; '" + options.python +
                         "' does not exist. Install python3-torchvision or set the interpreter.");
    detail::ScratchDir tmp("ts-roundtrip");
    const std::vector<char> bytes = torch::pickle_save(c10::IValue(images.contiguous()));
    writeFileAtomic(tmp.file("images.pt"), std::string(bytes.begin(), bytes.end()));
    writeFileAtomic(tmp.file("runner.py"), kPythonRunner);
    writeFileAtomic(tmp.file("build.py"), torchvisionLoadCode(model, "path"));
    const std::string cmd = shellQuote(options.python) + " " + shellQuote(tmp.file("runner.py")) + " " +
                            shellQuote(fs::absolute(path).string()) + " " + shellQuote(tmp.file("images.pt")) + " " +
                            shellQuote(tmp.file("out.pt")) + " " + shellQuote(tmp.file("build.py")) + " >" +
                            shellQuote(tmp.file("stdout.txt")) + " 2>" + shellQuote(tmp.file("stderr.txt"));
    const int rc = std::system(cmd.c_str());
    if (rc != 0 || !fs::exists(tmp.file("out.pt"))) {
        std::string err;
        try {
            err = readFile(tmp.file("stderr.txt"));
        } catch (const Error&) {
        }
        if (err.size() > 1500) err = "..." + err.substr(err.size() - 1500);
        throw ModelError("Python torchvision could not load or run the .pth export '" + path + "' (exit " +
                         std::to_string(rc) + "):\n" + err);
    }
    try {
        std::string v = readFile(tmp.file("stdout.txt"));
        while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
        if (!v.empty()) *runtime = "Python " + v;
    } catch (const Error&) {
    }
    // Read back with the project's safe reader, like any other .pth file.
    const weights::pickle::ValuePtr value = weights::loadPthFile(tmp.file("out.pt"));
    if (value->kind != weights::pickle::Kind::Tensor)
        throw ModelError("Python returned no tensor for the .pth export '" + path + "'.");
    return value->tensor.to(at::kFloat);
}

/// A runtime that is not installed here (roundTripChecks reports it as Absent).
class RuntimeAbsent : public ModelError {
public:
    using ModelError::ModelError;
};

at::Tensor runOnnxRuntimeCheck(const std::string& path, const at::Tensor& input, const RoundTripOptions& options,
                               std::string* runtime, at::Tensor* probabilities) {
    *runtime = "ONNX Runtime";
    std::string why;
    const std::optional<OnnxRuntimeSetup> setup = findOnnxRuntime(&why);
    if (!setup) throw RuntimeAbsent(why);
    OnnxRuntimeOptions ort;
    ort.batchSize = std::max<int64_t>(1, options.batchSize);
    ort.timeoutSeconds = options.timeoutSeconds;
    const OnnxRuntimeOutputs out = runOnnxRuntime(*setup, path, input, ort);
    *runtime = out.runtime;
    const at::Tensor logits = out.output("logits");
    if (!logits.defined())
        throw ModelError(out.runtime + " ran '" + path + "' but it has no output named 'logits'.");
    *probabilities = out.output("probabilities");
    return logits;
}

/// The images, the model's logits on them and their labels (-1 unknown).
struct Reference {
    at::Tensor images;
    at::Tensor logits;
    std::vector<int64_t> labels;
};

Reference reference(const LoadedModel& model, const std::string& exportPath, const at::Tensor& images,
                    std::vector<int64_t> labels, const RoundTripOptions& options, Feedback* feedback) {
    if (!model.model) throw ModelError("Round-trip check: no model was given.");
    if (!fs::exists(exportPath)) throw IoError("Round-trip check: the export '" + exportPath + "' does not exist.");
    if (images.dim() != 4 || images.size(0) == 0)
        throw DataError("Round-trip check: no images to compare (expected a non-empty (N,3,H,W) batch).");
    Reference ref;
    ref.images = images.to(at::kFloat).contiguous();
    ref.logits = runModel(*model.model, ref.images, std::max<int64_t>(1, options.batchSize), feedback, 0.0, 0.5);
    ref.labels = std::move(labels);
    return ref;
}

/// Runs the export in one runtime and compares it with the reference.
RoundTripReport compareIn(const LoadedModel& model, ExportFormat format, OnnxChecker checker,
                          const std::string& exportPath, const ExportOptions& exportOptions, const Reference& ref,
                          const RoundTripOptions& options, Feedback* feedback) {
    const int64_t batch = std::max<int64_t>(1, options.batchSize);
    RoundTripReport r;
    r.format = format;
    r.path = exportPath;
    const at::Tensor& x = ref.images;
    const at::Tensor& expected = ref.logits;
    at::Tensor actual, probabilities;
    switch (format) {
    case ExportFormat::Onnx: {
        const at::Tensor input = exportOptions.withPreprocessing ? denormalize(x, model.meta.transform) : x;
        if (checker == OnnxChecker::OnnxRuntime)
            actual = runOnnxRuntimeCheck(exportPath, input, options, &r.runtime, &probabilities);
        else
            actual = runOnnxOpenCv(exportPath, input, batch, &r.runtime, feedback);
        break;
    }
    case ExportFormat::Pth:
        actual = runPthPython(model, exportPath, x, options, &r.runtime);
        break;
    case ExportFormat::Bundle: {
        r.runtime = "LibTorch (bundle reloaded)";
        LoadedModel reloaded = loadBundle(exportPath);
        actual = runModel(*reloaded.model, x, batch, feedback, 0.5, 1.0);
        break;
    }
    }
    if (actual.sizes() != expected.sizes())
        throw ModelError("Round-trip check of '" + exportPath + "': the export produced shape " +
                         c10::str(actual.sizes()) + " where the model produced " + c10::str(expected.sizes()) + ".");
    r.images = x.size(0);
    const at::Tensor top1Model = expected.argmax(1), top1Export = actual.argmax(1);
    r.top1Agreements = top1Model.eq(top1Export).sum().item<int64_t>();
    r.top1AgreementRate = double(r.top1Agreements) / double(r.images);
    r.maxLogitDiff = (expected - actual).abs().max().item<double>();
    r.maxAbsLogit = expected.abs().max().item<double>();
    r.maxProbabilityDiff = (expected.softmax(1) - actual.softmax(1)).abs().max().item<double>();
    if (probabilities.defined()) {
        if (probabilities.sizes() != expected.sizes())
            throw ModelError("Round-trip check of '" + exportPath + "': its probabilities output has shape " +
                             c10::str(probabilities.sizes()) + " where the model has " + c10::str(expected.sizes()) + ".");
        const at::Tensor calibrated = (expected / model.meta.temperature).softmax(1);
        r.maxProbabilityOutputDiff = (calibrated - probabilities).abs().max().item<double>();
    }
    const std::vector<int64_t>& labels = ref.labels;
    if (!labels.empty()) {
        int64_t known = 0, rightModel = 0, rightExport = 0;
        for (size_t i = 0; i < labels.size(); ++i) {
            if (labels[i] < 0) continue;
            ++known;
            rightModel += top1Model[static_cast<int64_t>(i)].item<int64_t>() == labels[i];
            rightExport += top1Export[static_cast<int64_t>(i)].item<int64_t>() == labels[i];
        }
        if (known > 0) {
            r.modelAccuracy = double(rightModel) / double(known);
            r.exportAccuracy = double(rightExport) / double(known);
        }
    }
    if (feedback) feedback->reportProgress(1.0, "done");
    return r;
}

RoundTripReport compare(const LoadedModel& model, ExportFormat format, const std::string& exportPath,
                        const ExportOptions& exportOptions, const at::Tensor& images, const std::vector<int64_t>& labels,
                        const RoundTripOptions& options, Feedback* feedback) {
    const Reference ref = reference(model, exportPath, images, labels, options, feedback);
    return compareIn(model, format, options.onnxChecker, exportPath, exportOptions, ref, options, feedback);
}

std::vector<RoundTripReport> compareAll(const LoadedModel& model, ExportFormat format, const std::string& exportPath,
                                        const ExportOptions& exportOptions, const at::Tensor& images,
                                        const std::vector<int64_t>& labels, const RoundTripOptions& options,
                                        Feedback* feedback) {
    const Reference ref = reference(model, exportPath, images, labels, options, feedback);
    std::vector<OnnxChecker> checkers = {options.onnxChecker};
    if (format == ExportFormat::Onnx) checkers = {OnnxChecker::OpenCvDnn, OnnxChecker::OnnxRuntime};
    std::vector<RoundTripReport> reports;
    for (const OnnxChecker checker : checkers) {
        try {
            reports.push_back(compareIn(model, format, checker, exportPath, exportOptions, ref, options, feedback));
        } catch (const ModelError& e) {
            RoundTripReport r;
            r.format = format;
            r.path = exportPath;
            r.runtime = format == ExportFormat::Onnx ? onnxCheckerName(checker) : formatName(format);
            r.status = dynamic_cast<const RuntimeAbsent*>(&e) ? RoundTripStatus::Absent : RoundTripStatus::Failed;
            r.problem = e.what();
            reports.push_back(std::move(r));
        }
    }
    return reports;
}

/// The validation images of `dataDir` for a check, and their labels in the
/// model's class order (-1: a class the model does not have).
std::pair<at::Tensor, std::vector<int64_t>> checkImages(const LoadedModel& model, const std::string& dataDir,
                                                        const RoundTripOptions& options, Feedback* feedback) {
    const data::DatasetIndex index = data::indexDataset(dataDir);
    std::vector<data::ImageItem> items = !index.val.empty() ? index.val : (!index.test.empty() ? index.test : index.all());
    if (options.maxImages > 0 && static_cast<int64_t>(items.size()) > options.maxImages) items.resize(options.maxImages);
    std::map<std::string, int64_t> modelClass;
    for (size_t i = 0; i < model.meta.classes.size(); ++i) modelClass[model.meta.classes[i]] = static_cast<int64_t>(i);
    std::vector<at::Tensor> tensors;
    std::vector<int64_t> labels;
    for (const auto& item : items) {
        if (feedback && feedback->isCancelled()) throw Cancelled();
        tensors.push_back(data::evalTensorFromFile(item.path, model.meta.transform));
        const auto it = modelClass.find(index.classes.at(item.label));
        labels.push_back(it == modelClass.end() ? -1 : it->second);
    }
    if (tensors.empty()) throw DataError("Round-trip check: '" + dataDir + "' has no validation images.");
    return {at::stack(tensors), labels};
}

} // namespace

RoundTripReport roundTripCheckTensors(const LoadedModel& model, ExportFormat format, const std::string& exportPath,
                                      const ExportOptions& exportOptions, const at::Tensor& images,
                                      const RoundTripOptions& options) {
    return compare(model, format, exportPath, exportOptions, images, {}, options, nullptr);
}

RoundTripReport roundTripCheck(const LoadedModel& model, ExportFormat format, const std::string& exportPath,
                               const ExportOptions& exportOptions, const std::string& dataDir,
                               const RoundTripOptions& options, Feedback* feedback) {
    const auto [images, labels] = checkImages(model, dataDir, options, feedback);
    return compare(model, format, exportPath, exportOptions, images, labels, options, feedback);
}

std::vector<RoundTripReport> roundTripChecks(const LoadedModel& model, ExportFormat format, const std::string& exportPath,
                                             const ExportOptions& exportOptions, const std::string& dataDir,
                                             const RoundTripOptions& options, Feedback* feedback) {
    const auto [images, labels] = checkImages(model, dataDir, options, feedback);
    return compareAll(model, format, exportPath, exportOptions, images, labels, options, feedback);
}

std::vector<RoundTripReport> roundTripChecksTensors(const LoadedModel& model, ExportFormat format,
                                                    const std::string& exportPath, const ExportOptions& exportOptions,
                                                    const at::Tensor& images, const RoundTripOptions& options) {
    return compareAll(model, format, exportPath, exportOptions, images, {}, options, nullptr);
}

} // namespace ts::exporting
