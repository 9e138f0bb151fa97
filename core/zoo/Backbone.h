#pragma once
// Backbone: the common face of every architecture in the zoo.
//
// Represents: a native torch::nn module whose named_parameters() and
// named_buffers() equal torchvision 0.14's state_dict() keys and shapes for
// the same architecture and number of classes.
//
// Contract for implementations (see core/zoo/*.cpp):
//  - features(x) runs everything up to the final classifier Linear (the
//    "head"), including pooling, flattening and pre-head dropout, and returns
//    (N, headInFeatures()).
//  - Convolutional heads (SqueezeNet): when the module at headPath() is a 1x1
//    Conv2d, features(x) returns the map (N, headInFeatures(), H, W) and
//    head(f) runs that conv, then ReLU, global average pooling and flatten,
//    exactly as torchvision's classifier does. head() also accepts (N, C)
//    input there (seen as a 1x1 map). headIsConv() tells which kind it is.
//  - forward(x) = head(features(x)); the head is registered at headPath()
//    inside the module tree, so keys stay torchvision's ("fc.weight",
//    "classifier.1.weight", ...).
//  - stages() lists the ordered stages from input to head, each naming the
//    module paths it groups; the last stage is always the head. Stage outputs
//    and convolution outputs are observable through zoo::tapped().
//  - gradCamLayer() is the module path whose output Grad-CAM uses by default.
//
// Thread safety: like any torch::nn::Module: one thread at a time.
#include "core/zoo/Seq.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>

#include <memory>
#include <string>
#include <vector>

namespace ts::zoo {

/// A new classifier to put on top of a backbone.
struct HeadSpec {
    /// Number of output classes. Required (> 0).
    int64_t numClasses = 0;
    /// Width of an optional hidden layer (Linear-ReLU-Dropout before the
    /// output Linear). 0 (default) = a single Linear, as torchvision builds it.
    int64_t hiddenUnits = 0;
    /// Dropout probability after the hidden layer; used only with hiddenUnits.
    /// Default 0.2.
    double hiddenDropout = 0.2;
};

/// One step of the network, from input to head, for freezing and taps.
struct Stage {
    /// Display name ("stem", "layer3", "features.7", "head").
    std::string name;
    /// Module paths grouped by this stage, in forward order. The output of the
    /// last one is the stage's output.
    std::vector<std::string> modules;
};

class BackboneImpl : public torch::nn::Module {
public:
    explicit BackboneImpl(std::string arch) : m_arch(std::move(arch)) {}
    ~BackboneImpl() override = default;

    /// Normalised images (N,3,H,W) -> logits (N, numClasses()).
    virtual torch::Tensor forward(torch::Tensor x) { return head(features(x)); }
    /// Normalised images -> the head's input (N, headInFeatures()).
    virtual torch::Tensor features(torch::Tensor x) = 0;
    /// Runs the head on features from features().
    torch::Tensor head(torch::Tensor f);

    const std::string& arch() const { return m_arch; }
    const std::vector<Stage>& stages() const { return m_stages; }
    const std::string& headPath() const { return m_headPath; }
    int64_t headInFeatures() const { return m_headInFeatures; }
    int64_t numClasses() const { return m_numClasses; }
    const HeadSpec& headSpec() const { return m_headSpec; }
    const std::string& gradCamLayer() const { return m_gradCamLayer; }
    /// True when the head is a 1x1 Conv2d (SqueezeNet) rather than a Linear.
    bool headIsConv() const { return m_headIsConv; }

    /// Replaces the head with a new, randomly initialised classifier. With
    /// hiddenUnits == 0 the keys stay torchvision's (<headPath>.weight/bias);
    /// otherwise the head is <headPath>.0 (Linear in->hidden), .1 ReLU,
    /// .2 Dropout, .3 (Linear hidden->numClasses). A convolutional head gets
    /// 1x1 Conv2d layers in place of the Linears (weights normal(0, 0.01),
    /// zero bias, as torchvision initialises SqueezeNet's final conv).
    void replaceHead(const HeadSpec& spec);

    /// The module at a dotted path ("" = this); throws ts::ModelError naming
    /// the path and the nearest existing parent when absent.
    std::shared_ptr<torch::nn::Module> moduleAt(const std::string& path) const;

protected:
    /// Implementations call this once, after registering every module.
    /// `headParent` must be a Seq (the head is one of its children) or a
    /// plain module that registered the head as `headName`.
    void finishSetup(std::vector<Stage> stages, const std::string& headPath, int64_t headInFeatures,
                     int64_t numClasses, std::string gradCamLayer);

private:
    std::string m_arch;
    std::vector<Stage> m_stages;
    std::string m_headPath;
    int64_t m_headInFeatures = 0;
    int64_t m_numClasses = 0;
    HeadSpec m_headSpec;
    std::string m_gradCamLayer;
    torch::nn::AnyModule m_head;
    std::shared_ptr<torch::nn::Module> m_headModule;
    bool m_headIsConv = false;
};

using Backbone = std::shared_ptr<BackboneImpl>;

} // namespace ts::zoo
