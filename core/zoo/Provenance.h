#pragma once
// Where each architecture of the zoo comes from: whose layout (parameter
// names) it follows and who publishes its ImageNet weights. Most follow
// torchvision; the others are third-party and say so in `tstudio models`.
#include <string>

namespace ts::zoo {

/// The origin of an architecture's layout and weights.
struct Provenance {
    /// Who defines the layout and publishes the weights: "torchvision",
    /// "timm", "pytorchcv" or "Transfer Studio" (its own small models).
    std::string source;
    /// True when the weights come from outside torchvision (another project's
    /// release, another licence, another download route).
    bool thirdParty = false;
};

/// The provenance of a registered architecture; throws ts::ModelError for an
/// unknown name (as registryEntry()).
Provenance provenance(const std::string& arch);

} // namespace ts::zoo
