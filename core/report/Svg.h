#pragma once
// Plots drawn by the project as inline SVG (no script, no font or file from
// elsewhere): line plots with several series, a confusion-matrix heat map
// and horizontal grouped bar charts. Every text that comes from a file
// (series names, class names) is escaped with escapeHtml, so the SVG can be
// put straight into an HTML page.
//
// Legibility: tick labels 12 px, axis labels 13 px, titles 14 px; series
// take their colour from a fixed colour-blind-safe palette (Okabe & Ito) in
// order, and may be dashed so that two series of one colour stay apart.
//
// Thread safety: pure functions.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace ts::report {

/// The palette: Okabe & Ito's colour-blind-safe colours, most distinct first
/// (blue, orange, bluish green, vermillion, reddish purple, sky blue, black,
/// yellow). Series past the eighth reuse them, dashed.
const std::vector<std::string>& palette();

/// "Nice" tick positions (1, 2, 2.5 or 5 times a power of ten) covering
/// [lo, hi] with about `target` ticks; the first tick is <= lo and the last
/// >= hi. With `integers`, the step is at least 1. lo == hi gives a range
/// around the value; non-finite input gives {0, 1}.
std::vector<double> niceTicks(double lo, double hi, int target = 5, bool integers = false);

/// A tick label: as few decimals as the tick step needs ("0.25", "1e-04").
std::string tickLabel(double value, double step);

/// One series of a line plot. Points with a non-finite x or y are gaps.
struct PlotSeries {
    std::string name;
    std::vector<double> x;
    std::vector<double> y;
    /// Index into palette(); -1 (default): the series' position.
    int colour = -1;
    /// Draw the line dashed. Default false.
    bool dashed = false;
};

/// Options of svgLinePlot().
struct LinePlotOptions {
    std::string title;
    std::string xLabel;
    std::string yLabel;
    int widthPx = 560;   ///< Default 560.
    int heightPx = 320;  ///< The plot area and its axes; the legend adds rows above. Default 320.
    /// The x axis takes whole numbers only (epochs). Default true.
    bool integerX = true;
    /// Fix the y range (e.g. 0..1 for accuracies); NaN (default): from the data.
    double yMin = std::numeric_limits<double>::quiet_NaN();
    double yMax = std::numeric_limits<double>::quiet_NaN();
    /// Draw a dot at each point when a series has at most this many. Default 40.
    size_t markersUpTo = 40;
};

/// An <svg> element: axes with nice ticks and grid lines, axis labels, the
/// series, and a legend naming each series in its colour (always shown,
/// also for one series, so the page says what the line is). A plot without
/// any finite point says "no data" instead.
std::string svgLinePlot(const std::vector<PlotSeries>& series, const LinePlotOptions& options);

/// A confusion matrix ([true][predicted] counts) as a heat map: each cell
/// coloured by its share of the true class (the row), with its count
/// written in it when the matrix has at most 30 classes; class names on both
/// axes (cut to 24 characters). Requires counts to be square with one row per
/// class (else the SVG says the matrix is malformed).
std::string svgConfusionMatrix(const std::vector<std::string>& classes,
                               const std::vector<std::vector<int64_t>>& counts, const std::string& title = {});

/// One group of bars: one value per category.
struct BarSeries {
    std::string name;
    std::vector<double> values;
};

/// Horizontal grouped bars: one row per category (label at the left), one bar
/// per series in palette order, its value written after it (`percent`:
/// values are fractions, written as "86.7 %"); a legend above.
std::string svgBarChart(const std::vector<std::string>& categories, const std::vector<BarSeries>& series,
                        const std::string& title, bool percent = false, int widthPx = 560);

} // namespace ts::report
