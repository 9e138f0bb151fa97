#include "ui/widgets/CurvePlot.h"

#include "ui/widgets/QCustomPlotWrapper.h"

#include <QVBoxLayout>

#include <cmath>

namespace ts::ui {

int CurveModel::addSeries(const QString& name, const QColor& color, int style) {
    Series s;
    s.name = name;
    s.color = color;
    s.style = style;
    m_series.push_back(s);
    return int(m_series.size()) - 1;
}

void CurveModel::append(int series, double x, double y) {
    if (series < 0 || series >= m_series.size() || !std::isfinite(x) || !std::isfinite(y)) return;
    m_series[series].points.push_back(QPointF(x, y));
}

void CurveModel::setPoints(int series, const QVector<QPointF>& points) {
    if (series < 0 || series >= m_series.size()) return;
    m_series[series].points = points;
    m_series[series].drawn = -1;  // redraw from scratch
}

void CurveModel::clear() {
    for (Series& s : m_series) {
        s.points.clear();
        s.drawn = -1;
    }
}

int CurveModel::pointCount(const QString& name) const {
    for (const Series& s : m_series)
        if (s.name == name) return int(s.points.size());
    return 0;
}

bool CurveModel::hasPending() const {
    for (const Series& s : m_series)
        if (s.drawn != s.points.size()) return true;
    return false;
}

CurvePlot::CurvePlot(const QString& xLabel, const QString& yLabel, QWidget* parent)
    : QWidget(parent), m_model(new CurveModel(this)) {
    m_plot = new QCustomPlot(this);
    m_plot->setMinimumSize(160, 140);
    m_plot->xAxis->setLabel(xLabel);
    m_plot->yAxis->setLabel(yLabel);
    m_plot->legend->setVisible(true);
    QFont legendFont = font();
    legendFont.setPointSizeF(legendFont.pointSizeF() * 0.85);
    m_plot->legend->setFont(legendFont);
    m_plot->legend->setBrush(QColor(255, 255, 255, 210));
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    m_timer.setInterval(150);
    connect(&m_timer, &QTimer::timeout, this, &CurvePlot::flush);
    m_timer.start();
}

int CurvePlot::addSeries(const QString& name, const QColor& color, Style style) {
    const int index = m_model->addSeries(name, color, style);
    QCPGraph* graph = m_plot->addGraph();
    graph->setName(name);
    if (style == Line) {
        graph->setPen(QPen(color, 2));
    } else if (style == Dots) {
        graph->setLineStyle(QCPGraph::lsNone);
        graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, QColor(color.red(), color.green(), color.blue(), 110),
                                               3));
    } else {
        graph->setPen(QPen(color, 2));
        graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, color, 5));
    }
    return index;
}

void CurvePlot::setPoints(int series, const QVector<QPointF>& points) {
    m_model->setPoints(series, points);
    flush();
}

void CurvePlot::clear() {
    m_model->clear();
    setMarker(std::nan(""), {});
    flush();
}

void CurvePlot::removeAllSeries() {
    m_model->removeAll();
    m_plot->clearGraphs();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void CurvePlot::setLogX(bool log) {
    m_plot->xAxis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (log) m_plot->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
}

void CurvePlot::setLogY(bool log) {
    m_logY = log;
    m_plot->yAxis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (log) m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
}

void CurvePlot::setLegendAlignment(Qt::Alignment alignment) {
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, alignment);
}

void CurvePlot::setYRange(double lo, double hi) {
    m_fixedY = true;
    m_plot->yAxis->setRange(lo, hi);
}

void CurvePlot::setMarker(double x, const QString& label) {
    for (int i = m_plot->itemCount() - 1; i >= 0; --i) m_plot->removeItem(i);
    if (std::isfinite(x)) {
        auto* line = new QCPItemStraightLine(m_plot);
        line->point1->setCoords(x, 0);
        line->point2->setCoords(x, 1);
        line->setPen(QPen(QColor(200, 40, 40), 1.5, Qt::DashLine));
        auto* text = new QCPItemText(m_plot);
        text->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
        text->position->setCoords(x, 0.97);
        text->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
        text->setText(QStringLiteral(" ") + label);
        text->setColor(QColor(200, 40, 40));
    }
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void CurvePlot::flush() {
    if (!m_model->hasPending()) return;
    bool any = false;
    for (int i = 0; i < m_model->seriesCount() && i < m_plot->graphCount(); ++i) {
        CurveModel::Series& s = m_model->series(i);
        QCPGraph* graph = m_plot->graph(i);
        if (s.drawn < 0) {
            graph->data()->clear();
            s.drawn = 0;
        }
        if (s.drawn == s.points.size()) continue;
        QVector<double> xs, ys;
        xs.reserve(s.points.size() - s.drawn);
        ys.reserve(s.points.size() - s.drawn);
        for (int k = s.drawn; k < s.points.size(); ++k) {
            xs << s.points[k].x();
            ys << s.points[k].y();
        }
        graph->addData(xs, ys, true);
        s.drawn = int(s.points.size());
        any = true;
    }
    if (!any) return;
    bool found = false;
    QCPRange xr, yr;
    bool haveX = false, haveY = false;
    for (int i = 0; i < m_plot->graphCount(); ++i) {
        if (m_plot->graph(i)->data()->isEmpty()) continue;
        const QCPRange gx = m_plot->graph(i)->getKeyRange(found);
        if (found) { xr = haveX ? QCPRange(qMin(xr.lower, gx.lower), qMax(xr.upper, gx.upper)) : gx; haveX = true; }
        const QCPRange gy = m_plot->graph(i)->getValueRange(found);
        if (found) { yr = haveY ? QCPRange(qMin(yr.lower, gy.lower), qMax(yr.upper, gy.upper)) : gy; haveY = true; }
    }
    if (haveX) {
        if (xr.size() <= 0) xr = QCPRange(xr.lower - 0.5, xr.upper + 0.5);
        m_plot->xAxis->setRange(xr);
    }
    if (haveY && m_yZero) yr = QCPRange(qMin(0.0, yr.lower), qMax(0.0, yr.upper));
    if (haveY && !m_fixedY) {
        double pad = yr.size() > 0 ? yr.size() * 0.08 : qMax(1e-9, qAbs(yr.lower) * 0.1);
        if (m_logY) m_plot->yAxis->setRange(yr.lower * 0.9, yr.upper * 1.1);
        else m_plot->yAxis->setRange(yr.lower - pad, yr.upper + pad);
    }
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace ts::ui
