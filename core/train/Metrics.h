#pragma once
// Classification metrics: accuracy, per-class precision/recall/F1, confusion.
#include <cstdint>
#include <string>
#include <vector>

namespace ts::train {

struct ClassMetrics {
    double precision = 0.0;
    double recall = 0.0;
    double f1 = 0.0;
    int64_t support = 0;  ///< true examples of this class
};

/// Accumulates predictions; confusion[true][predicted].
class ConfusionMatrix {
public:
    explicit ConfusionMatrix(int64_t numClasses = 0);
    void add(int64_t truth, int64_t predicted);
    int64_t numClasses() const { return m_n; }
    int64_t total() const;
    double accuracy() const;
    std::vector<ClassMetrics> perClass() const;
    const std::vector<std::vector<int64_t>>& counts() const { return m_counts; }

private:
    int64_t m_n = 0;
    std::vector<std::vector<int64_t>> m_counts;
};

} // namespace ts::train
