#include "core/zoo/Seq.h"

#include "core/common/Error.h"

namespace ts::zoo {

torch::Tensor SeqImpl::forwardRange(torch::Tensor x, size_t begin, size_t end) {
    end = std::min(end, m_items.size());
    for (size_t i = begin; i < end; ++i) x = tapped(*m_items[i].module, m_items[i].any.forward(x));
    return x;
}

size_t SeqImpl::indexOf(const std::string& name) const {
    for (size_t i = 0; i < m_items.size(); ++i)
        if (m_items[i].name == name) return i;
    throw ModelError("No child '" + name + "' in this container.");
}

} // namespace ts::zoo
