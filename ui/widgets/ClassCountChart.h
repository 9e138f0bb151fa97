#pragma once
// ClassCountChart: images per class as stacked bars (train, validation, test),
// one bar per class, class names on the x axis. Shows an empty, labelled plot
// until setSummary() is given a valid summary.
#include "ui/models/DatasetSummary.h"

#include <QWidget>

class QCustomPlot;
class QCPBars;

namespace ts::ui {

class ClassCountChart : public QWidget {
    Q_OBJECT
public:
    explicit ClassCountChart(QWidget* parent = nullptr);

    void setSummary(const DatasetSummary& summary);
    /// The plot, for tests and export.
    QCustomPlot* plot() const { return m_plot; }
    /// Bar heights of one split ("train", "val", "test"), in class order.
    QVector<double> barValues(const QString& split) const;

private:
    QCustomPlot* m_plot = nullptr;
    QCPBars* m_train = nullptr;
    QCPBars* m_val = nullptr;
    QCPBars* m_test = nullptr;
};

} // namespace ts::ui
