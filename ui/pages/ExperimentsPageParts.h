#pragma once
// What ExperimentsPage.cpp (the grid, the run) and ExperimentsRuns.cpp (the
// runs table and the comparison of runs) share: the runs table's columns and
// roles, and the page's small text and colour helpers. Internal to the page.
#include "ui/workers/ExperimentWorker.h"

#include <QColor>
#include <QLabel>
#include <QObject>
#include <QString>

namespace ts::ui::experiments_page {

enum Column {
    ColRun,
    ColParams,
    ColArch,
    ColFreeze,
    ColAugment,
    ColEpochs,
    ColBest,
    ColTime,
    ColSpeed,
    ColDate,
    ColState,
    ColCount
};
constexpr int kSortRole = Qt::UserRole + 1;
constexpr int kRowRole = Qt::UserRole + 2;
constexpr int kMaxDiffRuns = 6;  ///< columns of runs the config diff shows

inline QString durationText(double seconds) {
    if (!(seconds >= 0)) return QStringLiteral("–");
    const qint64 s = qint64(seconds + 0.5);
    if (s >= 3600) return QStringLiteral("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
    if (s >= 60) return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60);
    return QStringLiteral("%1 s").arg(s);
}

inline QString lrText(double lr) { return QString::number(lr, 'g', 3); }

// A one-line label inside the page's scroll area: it never widens the window
// (its width is the layout's, the text is cut), and unlike a wrapping label it
// does not make the scrolled content as tall as its preferred size; the full
// text is the tooltip (setLineText).
inline void makeLineLabel(QLabel* label) {
    label->setWordWrap(false);
    label->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    label->setMinimumWidth(1);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
}

inline void setLineText(QLabel* label, const QString& text) {
    label->setText(text);
    label->setToolTip(text.startsWith(QLatin1Char('<')) ? QString() : text);
}

// Distinct colours for overlaid runs (matplotlib's tab10).
inline QColor runColour(int i) {
    static const QColor colours[] = {{31, 119, 180}, {255, 127, 14},  {44, 160, 44},   {214, 39, 40},  {148, 103, 189},
                                     {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
    return colours[i % 10];
}

inline QString stateText(const TrialState& t) {
    if (t.status == QLatin1String("failed")) return QObject::tr("failed: %1").arg(t.error.left(200));
    if (t.status == QLatin1String("stopped")) return QObject::tr("stopped (successive halving)");
    return t.status;
}

}  // namespace ts::ui::experiments_page
