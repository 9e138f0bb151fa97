#pragma once
// Private to core/zoo: one line for "run this submodule and tap its output"
// in hand-written forward code.
#include "core/zoo/Tap.h"

#include <utility>

namespace ts::zoo {

/// Runs a module holder (Conv2d, Seq, a block...) on `x` and passes the
/// output through zoo::tapped().
template <typename Holder>
at::Tensor runTapped(Holder& module, at::Tensor x) {
    return tapped(*module, module->forward(std::move(x)));
}

} // namespace ts::zoo
