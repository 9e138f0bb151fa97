#include "core/train/Metrics.h"

namespace ts::train {

ConfusionMatrix::ConfusionMatrix(int64_t numClasses)
    : m_n(numClasses), m_counts(static_cast<size_t>(numClasses), std::vector<int64_t>(static_cast<size_t>(numClasses), 0)) {}

void ConfusionMatrix::add(int64_t truth, int64_t predicted) {
    if (truth < 0 || truth >= m_n || predicted < 0 || predicted >= m_n) return;
    ++m_counts[static_cast<size_t>(truth)][static_cast<size_t>(predicted)];
}

int64_t ConfusionMatrix::total() const {
    int64_t t = 0;
    for (const auto& row : m_counts)
        for (auto v : row) t += v;
    return t;
}

double ConfusionMatrix::accuracy() const {
    const int64_t t = total();
    if (t == 0) return 0.0;
    int64_t correct = 0;
    for (int64_t i = 0; i < m_n; ++i) correct += m_counts[i][i];
    return static_cast<double>(correct) / t;
}

std::vector<ClassMetrics> ConfusionMatrix::perClass() const {
    std::vector<ClassMetrics> out(static_cast<size_t>(m_n));
    for (int64_t c = 0; c < m_n; ++c) {
        int64_t tp = m_counts[c][c], predicted = 0, actual = 0;
        for (int64_t k = 0; k < m_n; ++k) {
            predicted += m_counts[k][c];
            actual += m_counts[c][k];
        }
        auto& m = out[static_cast<size_t>(c)];
        m.support = actual;
        m.precision = predicted ? static_cast<double>(tp) / predicted : 0.0;
        m.recall = actual ? static_cast<double>(tp) / actual : 0.0;
        m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0.0;
    }
    return out;
}

} // namespace ts::train
