#pragma once
// The model registry: every architecture the zoo can build, with the facts a
// user needs to choose one (read from torchvision 0.14's model sources).
#include "core/zoo/Backbone.h"

#include <array>
#include <functional>
#include <string>
#include <vector>

namespace ts::zoo {

/// Interpolation used by the standard eval preprocessing of a model.
enum class Interpolation { Bilinear, Bicubic };

/// Options for building a model.
struct CreateOptions {
    /// Output classes of the head. Default 1000 (ImageNet).
    int64_t numClasses = 1000;
    /// googlenet / inception_v3 only: convert ImageNet-normalised input to
    /// the normalisation the original weights expect, as torchvision does
    /// with its official weights. Default true.
    bool transformInput = true;
};

/// Facts about one architecture and its official ImageNet weights.
struct ModelInfo {
    std::string name;            ///< torchvision builder name, e.g. "resnet50"
    std::string family;          ///< "ResNet", "VGG", ...
    int64_t numParams = 0;       ///< parameters with the 1000-class head
    double gflops = 0.0;         ///< at the native input size (0 = unknown)
    int inputSize = 224;         ///< center-crop size
    int resizeSize = 256;        ///< shorter side before the crop
    Interpolation interpolation = Interpolation::Bilinear;
    std::array<float, 3> mean{0.485f, 0.456f, 0.406f};
    std::array<float, 3> std{0.229f, 0.224f, 0.225f};
    double top1 = 0.0;           ///< ImageNet-1k acc@1 of the official weights
    double top5 = 0.0;           ///< ImageNet-1k acc@5
    std::string weightsUrl;      ///< official weights (torchvision IMAGENET1K_V1)
    std::string license;         ///< licence note for the weights
    std::string paper;           ///< one-line reference
    /// Key prefixes of the official weights file that the zoo model does not
    /// build and weights::applyStateDict skips (googlenet's "aux1."/"aux2.",
    /// inception_v3's "AuxLogits.": torchvision drops those auxiliary
    /// classifiers after loading its official weights). Empty for most models.
    std::vector<std::string> ignoredKeyPrefixes;
};

using Factory = std::function<Backbone(const CreateOptions&)>;

struct RegistryEntry {
    ModelInfo info;
    Factory factory;
};

/// Every registered model, in a stable order.
const std::vector<RegistryEntry>& registry();

/// Names of every registered model.
std::vector<std::string> modelNames();

/// The entry for `arch`; throws ts::ModelError listing close names when absent.
const RegistryEntry& registryEntry(const std::string& arch);
inline const ModelInfo& modelInfo(const std::string& arch) { return registryEntry(arch).info; }

/// Builds `arch` with randomly initialised weights (torchvision's init).
Backbone createModel(const std::string& arch, const CreateOptions& options = {});

/// The 1000 ImageNet-1k class names in output order.
const std::vector<std::string>& imagenetCategories();

/// The file name of the official weights in PyTorch's hub cache
/// (last path component of the URL).
std::string weightsFileName(const ModelInfo& info);

} // namespace ts::zoo
