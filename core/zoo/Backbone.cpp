#include "core/zoo/Backbone.h"

#include "core/common/Error.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

namespace ts::zoo {
namespace {

std::pair<std::string, std::string> splitLast(const std::string& path) {
    const auto dot = path.rfind('.');
    if (dot == std::string::npos) return {"", path};
    return {path.substr(0, dot), path.substr(dot + 1)};
}

// A 1x1 convolution initialised as torchvision's SqueezeNet final_conv.
torch::nn::Conv2d conv1x1Head(int64_t in, int64_t out) {
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(in, out, 1));
    torch::NoGradGuard noGrad;
    torch::nn::init::normal_(conv->weight, 0.0, 0.01);
    torch::nn::init::zeros_(conv->bias);
    return conv;
}

} // namespace

torch::Tensor BackboneImpl::head(torch::Tensor f) {
    if (!m_headIsConv) return tapped(*m_headModule, m_head.forward(f));
    // torchvision's SqueezeNet classifier after its dropout: conv, ReLU,
    // AdaptiveAvgPool2d(1), flatten.
    if (f.dim() == 2) f = f.unsqueeze(-1).unsqueeze(-1);
    const torch::Tensor y = tapped(*m_headModule, m_head.forward(f));
    return at::adaptive_avg_pool2d(at::relu(y), {1, 1}).flatten(1);
}

std::shared_ptr<torch::nn::Module> BackboneImpl::moduleAt(const std::string& path) const {
    if (path.empty()) return std::const_pointer_cast<torch::nn::Module>(shared_from_this());
    // Walks from `this` by raw pointer: finishSetup() runs inside constructors,
    // where shared_from_this() is not yet available.
    const torch::nn::Module* current = this;
    std::shared_ptr<torch::nn::Module> found;
    std::string walked;
    size_t start = 0;
    while (true) {
        const auto dot = path.find('.', start);
        const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        found.reset();
        for (const auto& child : current->named_children())
            if (child.key() == part) found = child.value();
        if (!found)
            throw ModelError("The " + m_arch + " model has no layer '" + path + "' ('" +
                             (walked.empty() ? std::string("<model>") : walked) + "' has no child '" + part +
                             "'). List the layers with `tstudio viz layers --arch " + m_arch + "`.");
        current = found.get();
        walked += (walked.empty() ? "" : ".") + part;
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return found;
}

void BackboneImpl::finishSetup(std::vector<Stage> stages, const std::string& headPath, int64_t headInFeatures,
                               int64_t numClasses, std::string gradCamLayer) {
    m_stages = std::move(stages);
    m_headPath = headPath;
    m_headInFeatures = headInFeatures;
    m_numClasses = numClasses;
    m_headSpec.numClasses = numClasses;
    m_gradCamLayer = std::move(gradCamLayer);
    auto headModule = moduleAt(headPath);
    if (auto linear = std::dynamic_pointer_cast<torch::nn::LinearImpl>(headModule)) {
        m_head = torch::nn::AnyModule(torch::nn::Linear(linear));
        m_headModule = linear;
        m_headIsConv = false;
    } else if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(headModule);
               conv && conv->options.kernel_size()->at(0) == 1 && conv->options.kernel_size()->at(1) == 1) {
        m_head = torch::nn::AnyModule(torch::nn::Conv2d(conv));
        m_headModule = conv;
        m_headIsConv = true;
    } else {
        throw ModelError("Internal: the head of " + m_arch + " at '" + headPath +
                         "' is neither a Linear nor a 1x1 Conv2d layer.");
    }
}

void BackboneImpl::replaceHead(const HeadSpec& spec) {
    if (spec.numClasses <= 0)
        throw ModelError("A new head for " + m_arch + " needs at least one class (got " +
                         std::to_string(spec.numClasses) + ").");
    const auto [parentPath, name] = splitLast(m_headPath);
    auto parent = moduleAt(parentPath);
    torch::nn::AnyModule newHead;
    auto install = [&](auto holder) {
        if (auto seq = std::dynamic_pointer_cast<SeqImpl>(parent))
            seq->replace(name, holder);
        else
            parent->replace_module(name, holder);
        newHead = torch::nn::AnyModule(holder);
        m_headModule = holder.ptr();
    };
    if (spec.hiddenUnits <= 0 && m_headIsConv) {
        install(conv1x1Head(m_headInFeatures, spec.numClasses));
    } else if (spec.hiddenUnits <= 0) {
        install(torch::nn::Linear(m_headInFeatures, spec.numClasses));
    } else if (m_headIsConv) {
        Seq mlp;
        mlp->add(conv1x1Head(m_headInFeatures, spec.hiddenUnits));
        mlp->add(torch::nn::ReLU(torch::nn::ReLUOptions().inplace(false)));
        mlp->add(torch::nn::Dropout(spec.hiddenDropout));
        mlp->add(conv1x1Head(spec.hiddenUnits, spec.numClasses));
        install(mlp);
    } else {
        Seq mlp;
        mlp->add(torch::nn::Linear(m_headInFeatures, spec.hiddenUnits));
        mlp->add(torch::nn::ReLU(torch::nn::ReLUOptions().inplace(false)));
        mlp->add(torch::nn::Dropout(spec.hiddenDropout));
        mlp->add(torch::nn::Linear(spec.hiddenUnits, spec.numClasses));
        install(mlp);
    }
    m_head = std::move(newHead);
    m_numClasses = spec.numClasses;
    m_headSpec = spec;
    if (!m_stages.empty()) m_stages.back().modules = {m_headPath};
}

} // namespace ts::zoo
