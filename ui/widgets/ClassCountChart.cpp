#include "ui/widgets/ClassCountChart.h"

#include "ui/widgets/QCustomPlotWrapper.h"

#include <QVBoxLayout>

#include <algorithm>

namespace ts::ui {
namespace {

QCPBars* makeBars(QCustomPlot* plot, const QString& name, const QColor& color) {
    auto* bars = new QCPBars(plot->xAxis, plot->yAxis);
    bars->setName(name);
    bars->setWidth(0.6);
    bars->setPen(QPen(color.darker(130)));
    bars->setBrush(color);
    bars->setAntialiased(false);
    return bars;
}

} // namespace

ClassCountChart::ClassCountChart(QWidget* parent) : QWidget(parent), m_plot(new QCustomPlot(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    m_plot->setMinimumHeight(220);

    // Stacked from the bottom: train, then validation, then test on top.
    m_train = makeBars(m_plot, tr("Train"), QColor(47, 128, 196));
    m_val = makeBars(m_plot, tr("Validation"), QColor(255, 179, 71));
    m_test = makeBars(m_plot, tr("Test"), QColor(120, 170, 110));
    m_val->moveAbove(m_train);
    m_test->moveAbove(m_val);

    m_plot->yAxis->setLabel(tr("Images"));
    m_plot->xAxis->setTickLabelRotation(0);
    m_plot->xAxis->grid()->setVisible(false);
    m_plot->legend->setVisible(true);
    // One row above the plot, outside the axes: it never covers a bar.
    m_plot->legend->setFillOrder(QCPLegend::foColumnsFirst);
    m_plot->plotLayout()->insertRow(0);
    m_plot->plotLayout()->addElement(0, 0, m_plot->legend);  // taken out of the axis rect's inset layout
    m_plot->plotLayout()->setRowStretchFactor(0, 0.001);
    m_plot->legend->setBorderPen(Qt::NoPen);
    m_plot->legend->setMargins(QMargins(4, 2, 4, 2));
    setSummary({});
}

void ClassCountChart::setSummary(const DatasetSummary& summary) {
    const int n = int(summary.classes.size());
    QVector<double> keys, train, val, test;
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    double maxTotal = 0;
    for (int i = 0; i < n; ++i) {
        keys << i + 1;
        train << double(summary.trainCounts.value(i));
        val << double(summary.valCounts.value(i));
        test << double(summary.testCounts.value(i));
        ticker->addTick(i + 1, summary.classes.at(i));
        maxTotal = std::max(maxTotal, double(summary.total(i)));
    }
    m_train->setData(keys, train, true);
    m_val->setData(keys, val, true);
    m_test->setData(keys, test, true);
    bool anyTest = false;
    for (double t : test) anyTest = anyTest || t > 0;
    m_test->setVisible(anyTest);
    m_test->removeFromLegend();
    if (anyTest) m_test->addToLegend();

    m_plot->xAxis->setTicker(ticker);
    m_plot->xAxis->setTickLabelRotation(n > 8 ? 60 : 0);
    m_plot->xAxis->setRange(0.3, std::max(n, 1) + 0.7);
    m_plot->yAxis->setRange(0, maxTotal > 0 ? maxTotal * 1.08 : 10);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

QVector<double> ClassCountChart::barValues(const QString& split) const {
    const QCPBars* bars = split == QLatin1String("train") ? m_train : split == QLatin1String("val") ? m_val : m_test;
    QVector<double> values;
    for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it) values << it->value;
    return values;
}

} // namespace ts::ui
