#pragma once
// The text parts of `tstudio eval`: the confusion matrix and the
// misclassified files, for people (the --json output carries both as data).
#include "core/train/Evaluate.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ts::cli {

/// One wrongly predicted image (train::evaluate reports them).
using Misclassified = train::Misclassified;

/// A name fit for a table cell: control characters as '?', at most
/// `maxChars` bytes ("..." marks a cut, never inside a UTF-8 sequence).
std::string cellText(const std::string& name, size_t maxChars);

/// The matrix [true][predicted] as text. Columns are headed by class numbers
/// and rows by number and name (truncated), so it stays readable up to about
/// 30 classes; beyond 30 classes rows carry only the number and a legend of
/// number = name follows the table.
std::string confusionMatrixText(const std::vector<std::vector<int64_t>>& counts, const std::vector<std::string>& classes);

using train::sortByLoss;

/// The first `limit` of `wrong` (sorted by sortByLoss) as a table: loss,
/// confidence, true class, predicted class, file; and how many were left out.
std::string misclassifiedText(const std::vector<Misclassified>& wrong, const std::vector<std::string>& classes,
                              size_t limit = 20);

} // namespace ts::cli
