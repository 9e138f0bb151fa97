#pragma once
// Portable random helpers for the data pipeline. The standard distributions
// (std::uniform_int_distribution, std::shuffle) are implementation-defined, so
// a split or an augmentation would differ between standard libraries; these
// use only the engines' raw output, which the standard fixes exactly.
#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace ts::data {

/// 64 random bits from a 32- or 64-bit engine.
template <class Rng>
uint64_t draw64(Rng& rng) {
    if constexpr (Rng::max() - Rng::min() == 0xFFFFFFFFull) {
        const uint64_t hi = static_cast<uint64_t>(rng() - Rng::min());
        return (hi << 32) | static_cast<uint64_t>(rng() - Rng::min());
    } else {
        return static_cast<uint64_t>(rng() - Rng::min());
    }
}

/// Uniform integer in [0, n), unbiased (rejection). n must be > 0.
template <class Rng>
uint64_t uniformIndex(Rng& rng, uint64_t n) {
    const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    for (;;) {
        const uint64_t r = draw64(rng);
        if (r >= threshold) return r % n;
    }
}

/// Uniform integer in [lo, hi] (inclusive).
template <class Rng>
int64_t uniformInt(Rng& rng, int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(uniformIndex(rng, static_cast<uint64_t>(hi - lo) + 1));
}

/// Uniform real in [lo, hi).
template <class Rng>
double uniformReal(Rng& rng, double lo, double hi) {
    const double u = static_cast<double>(draw64(rng) >> 11) * 0x1.0p-53;
    return lo + (hi - lo) * u;
}

/// True with probability p.
template <class Rng>
bool bernoulli(Rng& rng, double p) {
    return p > 0.0 && uniformReal(rng, 0.0, 1.0) < p;
}

/// Fisher-Yates shuffle.
template <class T, class Rng>
void shuffleInPlace(std::vector<T>& v, Rng& rng) {
    for (size_t i = v.size(); i > 1; --i) {
        const size_t j = static_cast<size_t>(uniformIndex(rng, i));
        std::swap(v[i - 1], v[j]);
    }
}

/// Mixes values into one seed (splitmix64 finaliser), e.g. (seed, epoch, index).
inline uint64_t mixSeed(uint64_t a, uint64_t b) {
    uint64_t z = a ^ (b + 0x9E3779B97F4A7C15ull + (a << 6) + (a >> 2));
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/// A std::mt19937 seeded with all 64 bits of `seed` (std::seed_seq is fully
/// specified by the standard, so this is portable).
inline std::mt19937 seededMt19937(uint64_t seed) {
    std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
    return std::mt19937(seq);
}

} // namespace ts::data
