#pragma once
// VizBridge: the views inside a trained network (core/viz/Viz.h) as Qt value
// types: filters of a conv layer, feature maps of an image at a layer,
// Grad-CAM and saliency overlays, activation maximisation. VizBridge.cpp
// includes LibTorch; this header does not.
//
// Thread safety: every function may be called from any thread; calls are
// serialised on the app's one BundleCache (shared with Inspect and Export). They take from
// milliseconds (filters) to minutes (activation maximisation): call them in a
// background job (InsidePanel uses its TaskManager). The long ones take the
// job's ts::Feedback (may be null): its progress callback receives [0,1] on
// the calling thread, and a cancel stops them between steps (they return an
// image whose error is "Cancelled.").
#include <QImage>
#include <QRect>
#include <QString>
#include <QStringList>
#include <QVector>

namespace ts {
class Feedback;
}

namespace ts::ui {

/// A layer that the views can show.
struct VizLayer {
    QString name;        ///< module path or stage name, as the views take it
    bool isConv = false; ///< a Conv2d (filters can be shown); else a stage
    QString description; ///< "Conv2d 3→32, 3×3 — 32×112×112"
    int channels = 0;    ///< output channels
    bool isGradCamDefault = false;
};

/// One rendered view.
struct VizImage {
    QImage image;
    /// Cells of the grid (filters, channels) in image pixels, with a tooltip each.
    QVector<QRect> cells;
    QStringList cellTips;
    /// One line about what is shown ("layer4: predicted bees 97%").
    QString caption;
    /// Empty on success.
    QString error;
};

QVector<VizLayer> vizLayers(const QString& bundle, QString* error);
VizImage vizFilters(const QString& bundle, const QString& layer);
VizImage vizFeatureMaps(const QString& bundle, const QString& image, const QString& layer);
/// `classIndex`: the class to explain, -1 for the predicted one.
VizImage vizGradCam(const QString& bundle, const QString& image, const QString& layer, int classIndex = -1);
VizImage vizSaliency(const QString& bundle, const QString& image, Feedback* feedback, int classIndex = -1);
VizImage vizMaximize(const QString& bundle, const QString& layer, int channel, Feedback* feedback);

} // namespace ts::ui
