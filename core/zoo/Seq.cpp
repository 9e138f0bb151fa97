#include "core/zoo/Seq.h"

#include "core/common/Error.h"
#include "core/zoo/Layers.h"

#include <torch/nn/modules/activation.h>

namespace ts::zoo {

torch::Tensor SeqImpl::forwardRange(torch::Tensor x, size_t begin, size_t end) {
    end = std::min(end, m_items.size());
    const at::Tensor input = x;
    for (size_t i = begin; i < end; ++i) {
        Item& item = m_items[i];
        // Never in place on the caller's tensor (or a view of it, after a
        // Dropout in eval mode or a Flatten).
        const bool mayOverwrite = item.relu && !x.is_alias_of(input);
        x = tapped(*item.module, mayOverwrite ? applyActivation(ActKind::ReLU, x) : item.any.forward(x));
    }
    return x;
}

bool SeqImpl::isRelu(const torch::nn::Module& module) {
    return dynamic_cast<const torch::nn::ReLUImpl*>(&module) != nullptr;
}

size_t SeqImpl::indexOf(const std::string& name) const {
    for (size_t i = 0; i < m_items.size(); ++i)
        if (m_items[i].name == name) return i;
    throw ModelError("No child '" + name + "' in this container.");
}

} // namespace ts::zoo
