#include "core/train/LrSuggest.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace ts::train {

double suggestLearningRate(const std::vector<double>& lrs, const std::vector<double>& losses) {
    // Finite points, without the first tenth (the smoothing's warm-up) and
    // the last few (fastai's lr_find: [num_it//10 : -5] of 100).
    std::vector<size_t> at;
    for (size_t i = 0; i < lrs.size() && i < losses.size(); ++i)
        if (lrs[i] > 0 && std::isfinite(losses[i])) at.push_back(i);
    if (at.empty()) return 0.0;
    if (at.size() < 2) return lrs[at[0]];
    const size_t skipStart = at.size() / 10, skipEnd = std::min<size_t>(5, at.size() / 20);
    at = std::vector<size_t>(at.begin() + static_cast<std::ptrdiff_t>(skipStart),
                             at.end() - static_cast<std::ptrdiff_t>(skipEnd));
    const size_t n = at.size();
    // The longest decreasing subsequence ending at each point (O(n^2), n ~ 100);
    // the valley is that many points back from where the longest one ends.
    std::vector<size_t> length(n, 1);
    size_t end = 0;
    for (size_t i = 1; i < n; ++i) {
        for (size_t k = 0; k < i; ++k)
            if (losses[at[i]] < losses[at[k]] && length[k] + 1 > length[i]) length[i] = length[k] + 1;
        if (length[i] > length[end]) end = i;
    }
    const size_t start = end >= length[end] ? end - length[end] : 0;
    // fastai: start + int(len/3) + int(len/6), about halfway along.
    const double third = static_cast<double>(end - start) / 3.0;
    const size_t pick = std::min(end, start + static_cast<size_t>(third) + static_cast<size_t>(third / 2.0));
    return lrs[at[pick]];
}

} // namespace ts::train
