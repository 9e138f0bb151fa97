#include "core/train/Schedule.h"

#include <algorithm>
#include <cmath>

namespace ts::train {

double learningRateAt(const TrainConfig& c, int64_t step, int64_t stepsPerEpoch) {
    stepsPerEpoch = std::max<int64_t>(stepsPerEpoch, 1);
    const int64_t total = std::max<int64_t>(int64_t(c.epochs) * stepsPerEpoch, 1);
    const double t = static_cast<double>(std::min(step, total - 1));
    const double pi = 3.14159265358979323846;
    if (c.schedule == ScheduleKind::OneCycle) {
        const double up = std::max(1.0, 0.3 * total - 1);
        const double initial = c.lr / 25.0, minimal = initial / 1e4;
        if (t <= up) return c.lr + (initial - c.lr) * (1 + std::cos(pi * t / up)) / 2;
        const double down = std::max(1.0, total - 1 - up);
        return minimal + (c.lr - minimal) * (1 + std::cos(pi * (t - up) / down)) / 2;
    }
    const int64_t warmup = int64_t(c.warmupEpochs) * stepsPerEpoch;
    if (warmup > 0 && step < warmup) return c.lr * (0.1 + 0.9 * static_cast<double>(step) / warmup);
    const double epoch = t / stepsPerEpoch;
    switch (c.schedule) {
    case ScheduleKind::Constant: return c.lr;
    case ScheduleKind::Step:
        return c.lr * std::pow(c.stepGamma, std::floor(epoch / std::max(1, c.stepEpochs)));
    case ScheduleKind::Cosine: {
        const double span = std::max<double>(1.0, static_cast<double>(total - warmup));
        return c.lr * 0.5 * (1 + std::cos(pi * (t - warmup) / span));
    }
    case ScheduleKind::OneCycle: break;
    }
    return c.lr;
}

std::vector<double> scheduleCurve(const TrainConfig& c, int64_t stepsPerEpoch) {
    std::vector<double> out;
    const int64_t total = int64_t(c.epochs) * std::max<int64_t>(stepsPerEpoch, 1);
    out.reserve(static_cast<size_t>(total));
    for (int64_t s = 0; s < total; ++s) out.push_back(learningRateAt(c, s, stepsPerEpoch));
    return out;
}

} // namespace ts::train
