#pragma once
// CurvePlot: line curves that grow while a job runs (training curves, the
// learning-rate finder, the schedule preview).
//
// The series live in a CurveModel (plain data: names, colours, points); new
// points are queued there and moved into the QCustomPlot graphs in batches on
// a timer tick (every 150 ms), redrawn with replot(rpQueuedReplot), so a fast
// stream of events never makes the UI thread redraw per point.
#include <QColor>
#include <QObject>
#include <QPointF>
#include <QString>
#include <QTimer>
#include <QVector>
#include <QWidget>

class QCustomPlot;

namespace ts::ui {

/// The data behind a CurvePlot: named series of (x, y) points, each with the
/// points already drawn and those waiting for the next tick.
class CurveModel : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    struct Series {
        QString name;
        QColor color;
        int style = 0;          ///< CurvePlot::Style
        QVector<QPointF> points;
        int drawn = 0;          ///< points[0, drawn) are in the plot
    };

    int addSeries(const QString& name, const QColor& color, int style = 0);
    void append(int series, double x, double y);
    void setPoints(int series, const QVector<QPointF>& points);
    void clear();
    /// Removes every series.
    void removeAll() { m_series.clear(); }
    int seriesCount() const { return int(m_series.size()); }
    const Series& series(int i) const { return m_series[i]; }
    Series& series(int i) { return m_series[i]; }
    /// Points of the series named `name` (0 when there is none).
    int pointCount(const QString& name) const;
    bool hasPending() const;

private:
    QVector<Series> m_series;
};

class CurvePlot : public QWidget {
    Q_OBJECT
public:
    /// How a series is drawn: a line with a dot per point (epochs), a plain
    /// line (dense curves), or dots only (per-batch values).
    enum Style { LineAndDots, Line, Dots };

    explicit CurvePlot(const QString& xLabel, const QString& yLabel, QWidget* parent = nullptr);

    CurveModel* model() const { return m_model; }
    QCustomPlot* plot() const { return m_plot; }
    /// Adds a series (a graph and its legend entry).
    int addSeries(const QString& name, const QColor& color, Style style = LineAndDots);
    void append(int series, double x, double y) { m_model->append(series, x, y); }
    void setPoints(int series, const QVector<QPointF>& points);
    void clear();
    /// Removes every series (graphs and legend entries): a plot whose curves
    /// are chosen anew (the Experiments page's overlay).
    void removeAllSeries();
    void setLogX(bool log);
    void setLogY(bool log);
    /// Fixes the y range (e.g. 0..1 for accuracies); otherwise it follows the data.
    void setYRange(double lo, double hi);
    /// The automatic y range always includes 0 (rates, counts).
    void setYIncludesZero(bool on) { m_yZero = on; }
    /// Where the legend sits (default: top right).
    void setLegendAlignment(Qt::Alignment alignment);
    /// A vertical marker at `x` with a label (the LR finder's suggestion); NaN hides it.
    void setMarker(double x, const QString& label);
    /// Moves the pending points into the graphs now and queues a redraw.
    void flush();

private:
    QCustomPlot* m_plot = nullptr;
    CurveModel* m_model = nullptr;
    QTimer m_timer;
    bool m_fixedY = false;
    bool m_logY = false;
    bool m_yZero = false;
};

} // namespace ts::ui
