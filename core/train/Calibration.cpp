#include "core/train/Calibration.h"

#include <ATen/Functions.h>
#include <torch/types.h>

#include <algorithm>
#include <cmath>

namespace ts::train {
namespace {

at::Tensor asDouble(const at::Tensor& t) { return t.detach().to(at::kCPU, at::kDouble).contiguous(); }

} // namespace

double meanNll(const at::Tensor& logits, const at::Tensor& labels, double temperature) {
    if (logits.size(0) == 0) return 0.0;
    const at::Tensor logp = (asDouble(logits) / temperature).log_softmax(1);
    return -logp.gather(1, labels.to(at::kCPU, at::kLong).view({-1, 1})).mean().item<double>();
}

double fitTemperature(const at::Tensor& logits, const at::Tensor& labels) {
    if (logits.dim() != 2 || logits.size(0) == 0) return 1.0;
    const at::Tensor z = asDouble(logits);
    const at::Tensor y = labels.to(at::kCPU, at::kLong).view({-1, 1});
    auto nll = [&](double logT) { return -(z / std::exp(logT)).log_softmax(1).gather(1, y).mean().item<double>(); };
    // Grid on log T, then golden-section search in the cells around the best point.
    const double lo = std::log(1.0 / 20.0), hi = std::log(50.0);
    const int steps = 60;
    int best = 0;
    double bestValue = nll(lo);
    for (int i = 1; i <= steps; ++i) {
        const double v = nll(lo + (hi - lo) * i / steps);
        if (v < bestValue) bestValue = v, best = i;
    }
    double a = lo + (hi - lo) * std::max(0, best - 1) / steps, b = lo + (hi - lo) * std::min(steps, best + 1) / steps;
    const double g = (std::sqrt(5.0) - 1.0) / 2.0;
    double c = b - g * (b - a), d = a + g * (b - a), fc = nll(c), fd = nll(d);
    for (int it = 0; it < 60 && b - a > 1e-9; ++it) {
        if (fc < fd) {
            b = d, d = c, fd = fc;
            c = b - g * (b - a), fc = nll(c);
        } else {
            a = c, c = d, fc = fd;
            d = a + g * (b - a), fd = nll(d);
        }
    }
    const double logT = (a + b) / 2.0;
    // Never worse than T = 1 (a flat NLL near 1 keeps the model as it is).
    return nll(logT) <= nll(0.0) ? std::exp(logT) : 1.0;
}

std::vector<ReliabilityBin> reliabilityBins(const at::Tensor& probabilities, const at::Tensor& labels, int bins) {
    bins = std::max(1, bins);
    std::vector<ReliabilityBin> out(static_cast<size_t>(bins));
    for (int b = 0; b < bins; ++b) {
        out[static_cast<size_t>(b)].lower = double(b) / bins;
        out[static_cast<size_t>(b)].upper = double(b + 1) / bins;
    }
    if (probabilities.dim() != 2 || probabilities.size(0) == 0) return out;
    const at::Tensor p = asDouble(probabilities);
    const auto [conf, pred] = p.max(1);
    const at::Tensor right = pred.eq(labels.to(at::kCPU, at::kLong).view({-1}));
    const auto confA = conf.accessor<double, 1>();
    const auto rightA = right.accessor<bool, 1>();
    std::vector<double> confSum(out.size(), 0.0), rightSum(out.size(), 0.0);
    for (int64_t i = 0; i < conf.size(0); ++i) {
        // (lower, upper]: ceil(conf * bins) - 1, clamped; 0 goes to the first bin.
        int b = static_cast<int>(std::ceil(confA[i] * bins)) - 1;
        b = std::clamp(b, 0, bins - 1);
        ++out[static_cast<size_t>(b)].count;
        confSum[static_cast<size_t>(b)] += confA[i];
        rightSum[static_cast<size_t>(b)] += rightA[i] ? 1.0 : 0.0;
    }
    for (size_t b = 0; b < out.size(); ++b)
        if (out[b].count > 0) {
            out[b].confidence = confSum[b] / double(out[b].count);
            out[b].accuracy = rightSum[b] / double(out[b].count);
        }
    return out;
}

double expectedCalibrationError(const at::Tensor& probabilities, const at::Tensor& labels, int bins) {
    const int64_t n = probabilities.dim() == 2 ? probabilities.size(0) : 0;
    if (n == 0) return 0.0;
    double ece = 0.0;
    for (const auto& b : reliabilityBins(probabilities, labels, bins))
        ece += double(b.count) / double(n) * std::fabs(b.accuracy - b.confidence);
    return ece;
}

double chooseUnknownThreshold(const at::Tensor& scores, double targetRecall) {
    const int64_t n = scores.numel();
    if (n == 0 || targetRecall <= 0.0) return 0.0;
    const at::Tensor sorted = std::get<0>(asDouble(scores).view({-1}).sort(0, /*descending=*/true));
    // The smallest count that reaches the target, guarding against 0.95 * 20 = 19.000000000000004.
    int64_t k = static_cast<int64_t>(std::ceil(std::min(1.0, targetRecall) * double(n) - 1e-9));
    k = std::clamp<int64_t>(k, 1, n);
    return sorted[k - 1].item<double>();
}

double acceptedShare(const at::Tensor& scores, double threshold) {
    const int64_t n = scores.numel();
    if (n == 0) return 0.0;
    return asDouble(scores).ge(threshold).sum().item<double>() / double(n);
}

at::Tensor maxProbability(const at::Tensor& logits, double temperature) {
    return std::get<0>((asDouble(logits) / temperature).softmax(1).max(1));
}

at::Tensor energyScore(const at::Tensor& logits, double temperature) {
    return temperature * (asDouble(logits) / temperature).logsumexp(1);
}

double separationAuroc(const at::Tensor& inScores, const at::Tensor& outScores) {
    const int64_t n = inScores.numel(), m = outScores.numel();
    if (n == 0 || m == 0) return 0.5;
    const at::Tensor a = asDouble(inScores).view({-1, 1}), b = asDouble(outScores).view({1, -1});
    const double wins = a.gt(b).sum().item<double>() + 0.5 * a.eq(b).sum().item<double>();
    return wins / (double(n) * double(m));
}

Calibration calibrate(const at::Tensor& logits, const at::Tensor& labels, double targetRecall) {
    Calibration c;
    c.images = logits.dim() == 2 ? logits.size(0) : 0;
    if (c.images == 0) return c;
    const at::Tensor z = asDouble(logits);
    c.temperature = fitTemperature(z, labels);
    c.nllBefore = meanNll(z, labels, 1.0);
    c.nllAfter = meanNll(z, labels, c.temperature);
    c.eceBefore = expectedCalibrationError(z.softmax(1), labels);
    c.eceAfter = expectedCalibrationError((z / c.temperature).softmax(1), labels);
    if (targetRecall > 0.0) {
        const at::Tensor scores = maxProbability(z, c.temperature);
        c.targetRecall = targetRecall;
        c.unknownThreshold = chooseUnknownThreshold(scores, targetRecall);
        c.recall = acceptedShare(scores, c.unknownThreshold);
    }
    return c;
}

} // namespace ts::train
