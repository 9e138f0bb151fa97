#pragma once
// Exports of a trained model and the round-trip check that proves an export
// computes what the model computes.
//
// Formats:
//  - Bundle (.tsb): the app's own file (see Bundle.h); opens in tstudio and
//    the GUI.
//  - ONNX (.onnx): the model's LibTorch forward traced once and converted to
//    ONNX nodes (one source of truth for the forward pass), opset 13, input
//    "input" (N,3,H,W float32, dynamic N), output "logits" (and
//    "probabilities" on request); class names and preprocessing in
//    metadata_props. Validated with onnx::checker before it is written.
//  - torchvision .pth (zip format): the state_dict, loadable with
//    torchvision.models.<arch>(num_classes=N).load_state_dict(torch.load(f)).
//    Heads with a hidden layer need the module described in docs/export.md.
//
// Every export writes atomically: a target that cannot be written, or a model
// the format cannot express, throws ts::Error (IoError / ModelError) and
// leaves nothing behind at the target path.
//
// Thread safety: one call at a time per model (models are torch::nn modules);
// calls on different models may run on different threads.
#include "core/export/Bundle.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ts {
class Feedback;
}

namespace ts::exporting {

/// The file formats a trained model exports to.
enum class ExportFormat { Bundle, Onnx, Pth };

/// "bundle", "onnx", "pth".
std::string formatName(ExportFormat format);
/// Parses "bundle" | "onnx" | "pth" (case-insensitive); ts::ConfigError otherwise.
ExportFormat parseFormat(const std::string& name);
/// The usual file extension with the dot: ".tsb", ".onnx", ".pth".
std::string defaultExtension(ExportFormat format);

/// Options of an export.
struct ExportOptions {
    /// ONNX only: put the normalisation ((x/255 - mean) / std) into the graph,
    /// so the input is RGB in [0,255] after resize and crop. Default false:
    /// the input is the normalised tensor the model itself takes.
    bool withPreprocessing = false;
    /// ONNX only: add a second output "probabilities" (softmax of the logits).
    /// Default false.
    bool withProbabilities = false;
    /// ONNX only: opset version of the default domain; must be >= 13.
    /// Default 13.
    int64_t opset = 13;
};

/// What an export wrote.
struct ExportResult {
    /// Path written.
    std::string path;
    /// Format of the file.
    ExportFormat format = ExportFormat::Bundle;
    /// Size of the file in bytes.
    int64_t bytes = 0;
    /// Notes for the user (e.g. how to build a head with a hidden layer in
    /// torchvision); may be empty.
    std::vector<std::string> notes;
};

/// Writes `model` to `path` in `format`. Requires a model from
/// loadTrainedModel()/loadBundle() (eval mode, CPU). Throws ts::ModelError
/// when the format cannot express the model, ts::IoError when the target
/// cannot be written; nothing is left at `path` (nor a temp file) then.
ExportResult exportModel(const LoadedModel& model, ExportFormat format, const std::string& path,
                         const ExportOptions& options = {});

/// ONNX export (see the file comment). Validated with onnx::checker before
/// the file is written; a checker failure is a ts::ModelError.
ExportResult exportOnnx(const LoadedModel& model, const std::string& path, const ExportOptions& options = {});

/// torchvision state_dict .pth (zip format, torch.save layout).
ExportResult exportPth(const LoadedModel& model, const std::string& path);

/// Python code that loads a .pth export of `model` into torchvision, in a
/// variable named `model` (eval mode): imports, torchvision.models.<arch>(
/// num_classes=N[, ...]), for a head with a hidden layer the nn.Sequential
/// that replaces the head, then load_state_dict(torch.load(<path>)).
/// `pathExpression` is a Python expression for the file, e.g. "'model.pth'"
/// or "path". MNASNet gets its state_dict version; xception/zfnet: timm's/pytorchcv's builder.
std::string torchvisionLoadCode(const LoadedModel& model, const std::string& pathExpression);

/// The serialised ONNX ModelProto of `model` (what exportOnnx writes), for
/// callers that keep it in memory.
std::string onnxBytes(const LoadedModel& model, const ExportOptions& options = {});

/// The runtime an ONNX export is checked in.
enum class OnnxChecker {
    OpenCvDnn,    ///< cv::dnn::readNetFromONNX (in process)
    OnnxRuntime,  ///< ONNX Runtime through its Node runner (OnnxRuntime.h)
};
/// "OpenCV DNN" or "ONNX Runtime".
std::string onnxCheckerName(OnnxChecker checker);

/// Options of a round-trip check.
struct RoundTripOptions {
    /// At most this many validation images (0 = all). Default 0.
    int64_t maxImages = 0;
    /// Python interpreter with torch and torchvision, for .pth checks.
    /// Default "/usr/bin/python3".
    std::string python = "/usr/bin/python3";
    /// Images per forward batch. Default 16.
    int64_t batchSize = 16;
    /// ONNX only: the runtime roundTripCheck() runs the export in (
    /// roundTripChecks() runs every one). Default OpenCV DNN.
    OnnxChecker onnxChecker = OnnxChecker::OpenCvDnn;
    /// A second runtime running in another process (Python, Node) is stopped
    /// after this many seconds. Default 600.
    int64_t timeoutSeconds = 600;
};

/// Whether a runtime ran the export.
enum class RoundTripStatus {
    Checked,  ///< it ran; the numbers compare it with the model
    Absent,   ///< the runtime is not installed here (problem says which part and how to install it)
    Failed,   ///< it is there but refused or failed to run the file (problem says why)
};
/// "checked", "absent", "failed".
std::string toString(RoundTripStatus status);

/// The outcome of running an export in a second runtime next to the model.
struct RoundTripReport {
    /// Format of the checked file.
    ExportFormat format = ExportFormat::Bundle;
    /// The checked file.
    std::string path;
    /// The second runtime, e.g. "OpenCV DNN 4.6.0", "Python torchvision 0.14.1".
    std::string runtime;
    /// Images compared.
    int64_t images = 0;
    /// Images on which both agree on the top-1 class.
    int64_t top1Agreements = 0;
    /// top1Agreements / images (1.0 = 100%); 0 when no image was compared.
    double top1AgreementRate = 0.0;
    /// Largest |p_model - p_export| over every image and class (softmax).
    double maxProbabilityDiff = 0.0;
    /// Largest |logit_model - logit_export| over every image and class.
    double maxLogitDiff = 0.0;
    /// Largest |logit| of the model on the compared images (the scale the
    /// differences are measured against).
    double maxAbsLogit = 0.0;
    /// Accuracy of the model and of the export on the compared images
    /// (labels from the dataset folder).
    double modelAccuracy = 0.0;
    double exportAccuracy = 0.0;
    /// Largest |p_model - p_export| where p_export is the export's own
    /// "probabilities" output (ONNX --with-probabilities, run in ONNX Runtime)
    /// and p_model the model's calibrated probabilities, softmax(logits / T);
    /// -1 when no probabilities output was compared.
    double maxProbabilityOutputDiff = -1.0;
    /// Only roundTripChecks() reports Absent or Failed (numbers then 0).
    RoundTripStatus status = RoundTripStatus::Checked;
    /// Why the runtime did not run the export (status Absent or Failed).
    std::string problem;

    /// One line for humans: "onnx: 100.00% top-1 agreement on 153 images
    /// (OpenCV DNN 4.6.0), max |dp| 1.2e-07, max |dlogit| 3.1e-06".
    std::string summary() const;
    /// The report as JSON (keys: format, path, runtime, images,
    /// top1_agreements, top1_agreement_rate, max_probability_diff,
    /// max_logit_diff, max_abs_logit, model_accuracy, export_accuracy,
    /// status; problem when not checked; max_probability_output_diff when
    /// compared).
    nlohmann::json toJson() const;
};

/// Runs the export at `exportPath` in a second runtime (ONNX: OpenCV DNN, or
/// ONNX Runtime with options.onnxChecker;
/// .pth: Python torchvision, building the documented module; bundle:
/// loadBundle + LibTorch) over the validation images of `dataDir` (its val
/// split, or the seeded split of a flat folder; class folders must match
/// the model's classes by name) and compares with `model`. Both sides see
/// the same preprocessed tensors (ONNX with preprocessing gets the unnormalised
/// crop). Throws ts::DataError for an unusable folder, ts::ModelError when
/// the runtime refuses the file or is missing; ts::Cancelled through
/// `feedback` (optional; progress is reported on it).
RoundTripReport roundTripCheck(const LoadedModel& model, ExportFormat format, const std::string& exportPath,
                               const ExportOptions& exportOptions, const std::string& dataDir,
                               const RoundTripOptions& options = {}, Feedback* feedback = nullptr);

/// The same check in every runtime of the format, on one preprocessing of
/// the images and one model pass: ONNX in OpenCV DNN, then ONNX Runtime;
/// .pth and bundles as roundTripCheck(). A runtime that is absent or refuses
/// the file gives a report with status Absent or Failed and its problem
/// instead of an exception, so the others are still checked. Throws what
/// roundTripCheck() throws for the folder and the model.
std::vector<RoundTripReport> roundTripChecks(const LoadedModel& model, ExportFormat format, const std::string& exportPath,
                                             const ExportOptions& exportOptions, const std::string& dataDir,
                                             const RoundTripOptions& options = {}, Feedback* feedback = nullptr);

/// roundTripChecks() on given preprocessed images (as roundTripCheckTensors()).
std::vector<RoundTripReport> roundTripChecksTensors(const LoadedModel& model, ExportFormat format,
                                                    const std::string& exportPath, const ExportOptions& exportOptions,
                                                    const at::Tensor& images, const RoundTripOptions& options = {});

/// Same comparison on given preprocessed images (N,3,H,W normalised float32,
/// CPU) instead of a folder; labels unknown (accuracies stay 0). For tests
/// and for checks without a dataset.
RoundTripReport roundTripCheckTensors(const LoadedModel& model, ExportFormat format, const std::string& exportPath,
                                      const ExportOptions& exportOptions, const at::Tensor& images,
                                      const RoundTripOptions& options = {});

} // namespace ts::exporting
