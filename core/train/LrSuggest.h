#pragma once
// The learning rate a range test (lrFind) suggests.
#include <vector>

namespace ts::train {

/// fastai's "valley" rule (lr_find's default): the rate about halfway along
/// the longest stretch over which the smoothed loss keeps falling (the
/// longest decreasing subsequence of `losses`), leaving out the first tenth
/// of the steps and the last few, where a diverging loss turns.
/// Unlike "a tenth of the rate at the minimum" it does not follow the
/// minimum to the end of the range when the loss never diverges (with a
/// frozen backbone it often does not). Requires: lrs.size() == losses.size().
/// Returns 0 for fewer than two finite points.
double suggestLearningRate(const std::vector<double>& lrs, const std::vector<double>& losses);

} // namespace ts::train
