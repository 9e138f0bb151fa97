// Export dispatch, the torchvision .pth and bundle exports, and the report type.
#include "core/export/Export.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/weights/StateDict.h"
#include "core/zoo/Registry.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <sstream>

namespace ts::exporting {
namespace {

namespace fs = std::filesystem;

/// Fails early, before any work, when `path` cannot be a file we write.
void checkTarget(const std::string& path) {
    if (path.empty()) throw IoError("No output file was given for the export. Pass a file path.");
    const fs::path p(path);
    if (fs::is_directory(p))
        throw IoError("The export target '" + path + "' is a folder. Give a file name inside it instead.");
    const fs::path parent = p.has_parent_path() ? p.parent_path() : fs::path(".");
    if (!fs::is_directory(parent))
        throw IoError("Cannot write the export '" + path + "': the folder '" + parent.string() +
                      "' does not exist. Create it first or choose another location.");
}

int64_t fileSize(const std::string& path) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    return ec ? 0 : static_cast<int64_t>(size);
}

} // namespace

std::string formatName(ExportFormat format) {
    switch (format) {
    case ExportFormat::Bundle: return "bundle";
    case ExportFormat::Onnx: return "onnx";
    case ExportFormat::Pth: return "pth";
    }
    return "bundle";
}

ExportFormat parseFormat(const std::string& name) {
    std::string n = name;
    std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (n == "bundle" || n == "tsb") return ExportFormat::Bundle;
    if (n == "onnx") return ExportFormat::Onnx;
    if (n == "pth" || n == "torchvision") return ExportFormat::Pth;
    throw ConfigError("Unknown export format '" + name + "'. Use bundle, onnx or pth.");
}

std::string defaultExtension(ExportFormat format) {
    switch (format) {
    case ExportFormat::Bundle: return ".tsb";
    case ExportFormat::Onnx: return ".onnx";
    case ExportFormat::Pth: return ".pth";
    }
    return ".tsb";
}

ExportResult exportOnnx(const LoadedModel& model, const std::string& path, const ExportOptions& options) {
    checkTarget(path);
    const std::string bytes = onnxBytes(model, options);
    writeFileAtomic(path, bytes);
    ExportResult r;
    r.path = path;
    r.format = ExportFormat::Onnx;
    r.bytes = fileSize(path);
    r.notes.push_back(options.withPreprocessing
                          ? "Input 'input': RGB float32 in [0,255] after resize and center crop, NCHW; normalisation is in the graph."
                          : "Input 'input': RGB scaled to [0,1] and normalised with the mean/std in metadata_props, NCHW.");
    return r;
}

std::string torchvisionLoadCode(const LoadedModel& model, const std::string& pathExpression) {
    const std::string& arch = model.meta.arch;
    const int64_t n = static_cast<int64_t>(model.meta.classes.size());
    std::ostringstream os;
    if (arch == "xception") {
        // timm's layout (its legacy_xception; "xception" in timm before 0.9).
        os << "import collections, torch, timm\n";
        os << "model = timm.create_model('legacy_xception', pretrained=False, num_classes=" << n << ")";
    } else if (arch == "zfnet") {
        os << "import collections, torch\nfrom pytorchcv.model_provider import get_model\n";
        os << "model = get_model('zfnet', pretrained=False, num_classes=" << n << ")";
    } else {
        os << "import collections, torch, torchvision\n";
        os << "model = torchvision.models." << arch << "(num_classes=" << n;
        if (arch == "googlenet" || arch == "inception_v3")
            os << ", aux_logits=False, transform_input=True, init_weights=False";
        os << ")";
    }
    if (model.meta.headHiddenUnits > 0) {
        const std::string& path = model.model->headPath();
        const auto dot = path.rfind('.');
        const std::string parent = dot == std::string::npos ? "model" : "model." + path.substr(0, dot);
        const std::string last = dot == std::string::npos ? path : path.substr(dot + 1);
        const int64_t in = model.model->headInFeatures(), h = model.meta.headHiddenUnits;
        std::ostringstream drop;
        drop << model.meta.headDropout;
        os << "\n";
        if (model.model->headIsConv())
            os << "setattr(" << parent << ", '" << last << "', torch.nn.Sequential(torch.nn.Conv2d(" << in << ", " << h
               << ", 1), torch.nn.ReLU(inplace=True), torch.nn.Dropout(" << drop.str() << "), torch.nn.Conv2d(" << h << ", "
               << n << ", 1)))";
        else
            os << "setattr(" << parent << ", '" << last << "', torch.nn.Sequential(torch.nn.Linear(" << in << ", " << h
               << "), torch.nn.ReLU(inplace=True), torch.nn.Dropout(" << drop.str() << "), torch.nn.Linear(" << h << ", "
               << n << ")))";
    }
    os << "\nstate = torch.load(" << pathExpression << ")\n";
    if (arch.rfind("mnasnet", 0) == 0)
        os << "# MNASNet checks the state_dict format version that Python's torch.save records.\n"
              "state = collections.OrderedDict(state)\nstate._metadata = {'': {'version': 2}}\n";
    os << "model.load_state_dict(state)\nmodel.eval()\n";
    return os.str();
}

ExportResult exportPth(const LoadedModel& model, const std::string& path) {
    checkTarget(path);
    if (!model.model) throw ModelError("torchvision export: no model was given.");
    const std::string& arch = model.meta.arch;
    if (arch == "tiny_cnn")
        throw ModelError("'tiny_cnn' is Transfer Studio's own test network and has no torchvision builder, so a "
                         "torchvision .pth cannot express it. Export it as a bundle or ONNX instead. Nothing was written.");
    weights::StateDict dict = weights::stateDictOf(*model.model);
    for (auto& [key, tensor] : dict) tensor = tensor.detach().to(at::kCPU).contiguous();
    weights::writeStateDict(dict, path);
    ExportResult r;
    r.path = path;
    r.format = ExportFormat::Pth;
    r.bytes = fileSize(path);
    r.notes.push_back("Load in Python with:\n" + torchvisionLoadCode(model, "'" + fs::path(path).filename().string() + "'"));
    return r;
}

ExportResult exportModel(const LoadedModel& model, ExportFormat format, const std::string& path, const ExportOptions& options) {
    switch (format) {
    case ExportFormat::Onnx: return exportOnnx(model, path, options);
    case ExportFormat::Pth: return exportPth(model, path);
    case ExportFormat::Bundle: break;
    }
    checkTarget(path);
    if (!model.model) throw ModelError("Bundle export: no model was given.");
    saveBundle(*model.model, model.meta, path);
    ExportResult r;
    r.path = path;
    r.format = ExportFormat::Bundle;
    r.bytes = fileSize(path);
    r.notes.push_back("Open with `tstudio predict --model " + path + "`, `tstudio eval --model " + path + "` or the app.");
    return r;
}

std::string onnxCheckerName(OnnxChecker checker) {
    return checker == OnnxChecker::OnnxRuntime ? "ONNX Runtime" : "OpenCV DNN";
}

std::string toString(RoundTripStatus status) {
    switch (status) {
    case RoundTripStatus::Absent: return "absent";
    case RoundTripStatus::Failed: return "failed";
    case RoundTripStatus::Checked: break;
    }
    return "checked";
}

std::string RoundTripReport::summary() const {
    std::ostringstream os;
    if (status == RoundTripStatus::Absent)
        return formatName(format) + ": not checked in " + runtime + " (not installed here): " + problem;
    if (status == RoundTripStatus::Failed) return formatName(format) + ": " + runtime + " failed: " + problem;
    os << formatName(format) << ": " << std::fixed << std::setprecision(2) << top1AgreementRate * 100.0
       << "% top-1 agreement (" << top1Agreements << "/" << images << " images, " << runtime << "), max |dp| "
       << std::scientific << std::setprecision(2) << maxProbabilityDiff << ", max |dlogit| " << maxLogitDiff << " (max |logit| " << maxAbsLogit << ")";
    if (maxProbabilityOutputDiff >= 0.0) os << ", probabilities output max |dp| " << maxProbabilityOutputDiff;
    return os.str();
}

nlohmann::json RoundTripReport::toJson() const {
    nlohmann::json j = {{"format", formatName(format)},
            {"path", path},
            {"runtime", runtime},
            {"images", images},
            {"top1_agreements", top1Agreements},
            {"top1_agreement_rate", top1AgreementRate},
            {"max_probability_diff", maxProbabilityDiff},
            {"max_logit_diff", maxLogitDiff},
            {"max_abs_logit", maxAbsLogit},
            {"model_accuracy", modelAccuracy},
            {"export_accuracy", exportAccuracy},
            {"status", toString(status)}};
    if (status != RoundTripStatus::Checked) j["problem"] = problem;
    if (maxProbabilityOutputDiff >= 0.0) j["max_probability_output_diff"] = maxProbabilityOutputDiff;
    return j;
}

} // namespace ts::exporting
