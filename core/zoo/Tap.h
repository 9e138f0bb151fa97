#pragma once
// Taps: a way to observe (and, for Grad-CAM, replace) intermediate outputs of
// a zoo model without hooks, which LibTorch's C++ API lacks.
//
// Models pass the outputs they want observable through tapped(module, out):
// every child of a Seq automatically, and in hand-written forward code every
// stage, block and convolution. While a TapScope is alive on the calling
// thread, tapped() looks the module up by address and calls the scope's
// function with its qualified name ("layer4", "features.3.conv.0.0") and the
// output, which the function may replace (e.g. with a detached copy that
// requires grad). Without a scope, tapped() is one thread-local load.
//
// Thread safety: scopes are per thread; a model may be tapped on one thread
// while another thread runs it untapped.
#include <ATen/Tensor.h>
#include <torch/nn/module.h>

#include <functional>
#include <string>
#include <unordered_map>

namespace ts::zoo {

using TapFn = std::function<void(const std::string& name, at::Tensor& output)>;

/// RAII scope that routes tapped outputs of `model`'s submodules to `fn`.
class TapScope {
public:
    TapScope(const torch::nn::Module& model, TapFn fn);
    ~TapScope();
    TapScope(const TapScope&) = delete;
    TapScope& operator=(const TapScope&) = delete;

    // Internal: called by tapped().
    void deliver(const torch::nn::Module* module, at::Tensor& out) const;

private:
    std::unordered_map<const torch::nn::Module*, std::string> m_names;
    TapFn m_fn;
    const TapScope* m_previous;
};

namespace detail {
extern thread_local const TapScope* g_activeTapScope;
}

/// True while a tap scope is active on this thread: intermediate outputs may
/// then be held by the scope's function and must not be overwritten.
inline bool tapScopeActive() { return detail::g_activeTapScope != nullptr; }

/// Passes `out` (the output of `module`) to the active tap scope, if any, and
/// returns it (possibly replaced by the scope's function).
inline at::Tensor tapped(const torch::nn::Module& module, at::Tensor out) {
    if (detail::g_activeTapScope) detail::g_activeTapScope->deliver(&module, out);
    return out;
}

} // namespace ts::zoo
