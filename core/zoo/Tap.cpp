#include "core/zoo/Tap.h"

namespace ts::zoo {

namespace detail {
thread_local const TapScope* g_activeTapScope = nullptr;
}

TapScope::TapScope(const torch::nn::Module& model, TapFn fn) : m_fn(std::move(fn)), m_previous(detail::g_activeTapScope) {
    for (const auto& item : model.named_modules("", /*include_self=*/false)) m_names.emplace(item.value().get(), item.key());
    detail::g_activeTapScope = this;
}

TapScope::~TapScope() { detail::g_activeTapScope = m_previous; }

void TapScope::deliver(const torch::nn::Module* module, at::Tensor& out) const {
    const auto it = m_names.find(module);
    if (it != m_names.end() && m_fn) m_fn(it->second, out);
}

} // namespace ts::zoo
