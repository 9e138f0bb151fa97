#include "app/cli/EvalText.h"

#include <algorithm>
#include <cstdio>

namespace ts::cli {

std::string cellText(const std::string& name, size_t maxChars) {
    std::string out;
    for (const char ch : name) {
        const auto c = static_cast<unsigned char>(ch);
        out += c < 0x20 || c == 0x7f ? '?' : ch;  // UTF-8 bytes pass, control characters do not
    }
    if (out.size() > maxChars) {
        size_t cut = maxChars > 3 ? maxChars - 3 : 0;
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
        out = out.substr(0, cut) + "...";
    }
    return out;
}

std::string confusionMatrixText(const std::vector<std::vector<int64_t>>& counts, const std::vector<std::string>& classes) {
    const size_t n = counts.size();
    if (n == 0) return {};
    const bool legend = n > 30;
    int64_t largest = 0;
    for (const auto& row : counts)
        for (const int64_t v : row) largest = std::max(largest, v);
    const int cell = std::max<int>(static_cast<int>(std::to_string(largest).size()),
                                   static_cast<int>(std::to_string(n - 1).size())) + 1;
    std::vector<std::string> rowLabels(n);
    size_t labelWidth = 4;  // "true"
    for (size_t c = 0; c < n; ++c) {
        rowLabels[c] = std::to_string(c) + (legend || c >= classes.size() ? "" : " " + cellText(classes[c], 20));
        labelWidth = std::max(labelWidth, rowLabels[c].size());
    }
    std::string out;
    char buf[64];
    out += std::string(labelWidth, ' ') + "  predicted ->\n";
    out += "true" + std::string(labelWidth - 4, ' ') + " |";
    for (size_t c = 0; c < n; ++c) {
        std::snprintf(buf, sizeof buf, "%*zu", cell, c);
        out += buf;
    }
    out += "\n" + std::string(labelWidth + 1, '-') + "+" + std::string(static_cast<size_t>(cell) * n, '-') + "\n";
    for (size_t t = 0; t < n; ++t) {
        out += rowLabels[t] + std::string(labelWidth - rowLabels[t].size(), ' ') + " |";
        for (size_t p = 0; p < n; ++p) {
            const int64_t v = p < counts[t].size() ? counts[t][p] : 0;
            // Zeros off the diagonal as '.', so the errors stand out.
            if (v == 0 && p != t) std::snprintf(buf, sizeof buf, "%*s", cell, ".");
            else std::snprintf(buf, sizeof buf, "%*lld", cell, static_cast<long long>(v));
            out += buf;
        }
        out += "\n";
    }
    if (legend) {
        out += "\nClasses:\n";
        for (size_t c = 0; c < n && c < classes.size(); ++c)
            out += "  " + std::to_string(c) + " = " + cellText(classes[c], 60) + "\n";
    }
    return out;
}

std::string misclassifiedText(const std::vector<Misclassified>& wrong, const std::vector<std::string>& classes,
                              size_t limit) {
    auto name = [&](int64_t c) {
        return c >= 0 && static_cast<size_t>(c) < classes.size() ? cellText(classes[static_cast<size_t>(c)], 20)
                                                                 : std::to_string(c);
    };
    size_t trueWidth = 4, predWidth = 9;
    const size_t shown = std::min(limit, wrong.size());
    for (size_t i = 0; i < shown; ++i) {
        trueWidth = std::max(trueWidth, name(wrong[i].truth).size());
        predWidth = std::max(predWidth, name(wrong[i].predicted).size());
    }
    std::string out;
    char buf[512];
    std::snprintf(buf, sizeof buf, "%8s %10s  %-*s %-*s  %s\n", "loss", "confidence", static_cast<int>(trueWidth), "true",
                  static_cast<int>(predWidth), "predicted", "file");
    out += buf;
    for (size_t i = 0; i < shown; ++i) {
        const auto& w = wrong[i];
        std::snprintf(buf, sizeof buf, "%8.3f %9.1f%%  %-*s %-*s  ", w.loss, 100.0 * w.confidence,
                      static_cast<int>(trueWidth), name(w.truth).c_str(), static_cast<int>(predWidth),
                      name(w.predicted).c_str());
        out += buf + cellText(w.path, 400) + "\n";
    }
    if (wrong.size() > shown)
        out += "... and " + std::to_string(wrong.size() - shown) + " more (tstudio eval --json lists them all)\n";
    return out;
}

} // namespace ts::cli
