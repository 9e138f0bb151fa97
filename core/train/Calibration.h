#pragma once
// Calibrated confidence: temperature scaling, the expected calibration error,
// and the threshold below which a prediction is "unknown".
//
// Temperature scaling (Guo et al., 2017): one scalar T > 0 such that
// softmax(logits / T) minimises the mean negative log-likelihood of the
// validation labels. Dividing by T keeps every prediction's class (argmax) and
// only makes the probabilities honest: an over-confident model gets T > 1.
// The fit is a deterministic 1-D search on log T (the NLL is convex in 1/T):
// a grid over [1/20, 50], then golden-section refinement around the best cell.
//
// Unknown rejection scores an image by its calibrated max probability
// (maximum softmax probability); the threshold is the largest score that
// still accepts the target share of the in-distribution validation images
// (see docs/calibration.md for why this score rather than the energy score).
//
// Thread safety: pure functions on CPU tensors.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace ts::train {

/// Default number of equal-width confidence bins of the ECE.
inline constexpr int kEceBins = 15;
/// Default in-distribution recall the unknown threshold keeps on validation.
inline constexpr double kDefaultUnknownTargetRecall = 0.95;

/// Mean negative log-likelihood of `labels` (N, int64) under
/// softmax(logits / temperature) (logits (N, C)); 0 for N = 0.
double meanNll(const at::Tensor& logits, const at::Tensor& labels, double temperature);

/// The temperature minimising meanNll on (logits, labels), in [1/20, 50].
/// 1 when there are no images. Deterministic.
double fitTemperature(const at::Tensor& logits, const at::Tensor& labels);

/// One confidence bin of a reliability diagram.
struct ReliabilityBin {
    double lower = 0.0, upper = 0.0;  ///< confidence range (lower, upper]; the first bin includes 0
    int64_t count = 0;                ///< images whose max probability falls in it
    double confidence = 0.0;          ///< their mean max probability (0 when empty)
    double accuracy = 0.0;            ///< the share of them predicted right (0 when empty)
};

/// The reliability diagram of `probabilities` (N, C; rows sum to 1) against
/// `labels`, in `bins` equal-width bins of the max probability.
std::vector<ReliabilityBin> reliabilityBins(const at::Tensor& probabilities, const at::Tensor& labels,
                                            int bins = kEceBins);

/// Expected calibration error: sum over bins of (count / N) |accuracy -
/// confidence|, with `bins` equal-width bins (0 for N = 0).
double expectedCalibrationError(const at::Tensor& probabilities, const at::Tensor& labels, int bins = kEceBins);

/// The largest threshold t such that at least ceil(targetRecall * N) of
/// `scores` (N) are >= t: the score of that image, highest first. 0 for
/// N = 0 or targetRecall <= 0 (accept all).
double chooseUnknownThreshold(const at::Tensor& scores, double targetRecall);

/// Share of `scores` at or above `threshold` (0 for N = 0).
double acceptedShare(const at::Tensor& scores, double threshold);

/// The calibrated max probability of each row: max softmax(logits / T).
at::Tensor maxProbability(const at::Tensor& logits, double temperature);

/// The energy score T * logsumexp(logits / T) of each row (higher: more
/// in-distribution), the alternative to the max probability.
at::Tensor energyScore(const at::Tensor& logits, double temperature);

/// Area under the ROC curve of telling `inScores` (positives) from
/// `outScores` by score (ties count half); 0.5 when either is empty.
double separationAuroc(const at::Tensor& inScores, const at::Tensor& outScores);

/// What calibrate() fitted and measured on the validation logits.
struct Calibration {
    double temperature = 1.0;
    double unknownThreshold = 0.0;   ///< on the calibrated max probability
    double targetRecall = 0.0;       ///< the recall asked for
    double recall = 0.0;             ///< the in-distribution share the threshold accepts on validation
    int64_t images = 0;
    double nllBefore = 0.0, nllAfter = 0.0;
    double eceBefore = 0.0, eceAfter = 0.0;
};

/// Fits the temperature on (logits, labels) and chooses the unknown
/// threshold for `targetRecall` (0 = no threshold) on the calibrated max
/// probabilities. Requires CPU tensors, logits (N, C), labels (N).
Calibration calibrate(const at::Tensor& logits, const at::Tensor& labels, double targetRecall);

} // namespace ts::train
