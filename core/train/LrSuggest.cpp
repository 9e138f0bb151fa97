#include "core/train/LrSuggest.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace ts::train {

double suggestLearningRate(const std::vector<double>& lrs, const std::vector<double>& losses) {
    // Finite points, without the last few (fastai skips 5 of 100).
    std::vector<size_t> at;
    for (size_t i = 0; i < lrs.size() && i < losses.size(); ++i)
        if (lrs[i] > 0 && std::isfinite(losses[i])) at.push_back(i);
    const size_t skipEnd = std::min<size_t>(5, at.size() / 20);
    at.resize(at.size() - skipEnd);
    const size_t n = at.size();
    if (n < 2) return n == 1 ? lrs[at[0]] : 0.0;
    // Longest strictly decreasing subsequence ending at each point (O(n^2), n ~ 100).
    std::vector<size_t> length(n, 1), first(n);
    for (size_t i = 0; i < n; ++i) first[i] = i;
    size_t best = 0;
    for (size_t i = 1; i < n; ++i) {
        for (size_t k = 0; k < i; ++k)
            if (losses[at[i]] < losses[at[k]] && length[k] + 1 > length[i]) {
                length[i] = length[k] + 1;
                first[i] = first[k];
            }
        if (length[i] > length[best]) best = i;
    }
    const size_t start = first[best], end = best;
    // Halfway along the valley (fastai: start + len/3 + len/6).
    const size_t third = (end - start) / 3;
    const size_t pick = std::min(end, start + third + third / 2);
    return lrs[at[pick]];
}

} // namespace ts::train
