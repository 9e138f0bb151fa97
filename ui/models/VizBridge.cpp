#include "ui/models/VizBridge.h"
#include "ui/models/BridgeCommon.h"
#include "ui/models/BundleCache.h"

#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/export/Bundle.h"
#include "core/viz/Viz.h"

#include <c10/util/Exception.h>
#include <opencv2/core.hpp>

#include <QObject>


namespace ts::ui {
namespace {

QRect toRect(const cv::Rect& r) { return QRect(r.x, r.y, r.width, r.height); }

QString classLabel(const exporting::LoadedModel& m, int64_t i) { return ui::classLabel(m.meta.classes, i); }

template <typename F>
VizImage guarded(const QString& bundle, F&& f) {
    try {
        const BundleLease lease(bundle);
        return f(lease.model());
    } catch (const Cancelled&) {
        VizImage v;
        v.error = QObject::tr("Cancelled.");
        return v;
    } catch (const std::exception& e) {
        VizImage v;
        v.error = messageOf(e);
        return v;
    }
}

} // namespace

QVector<VizLayer> vizLayers(const QString& bundle, QString* error) {
    QVector<VizLayer> out;
    try {
        const BundleLease lease(bundle);
        auto& m = lease.model();
        for (const viz::LayerInfo& l : viz::listLayers(*m.model, m.meta.transform.cropSize)) {
            VizLayer v;
            v.name = QString::fromStdString(l.name);
            v.isConv = l.kind == viz::LayerKind::Conv;
            v.channels = l.outputShape.size() >= 2 ? int(l.outputShape[1]) : 0;
            QString shape;
            for (size_t i = 1; i < l.outputShape.size(); ++i)
                shape += (i > 1 ? QStringLiteral("×") : QString()) + QString::number(l.outputShape[i]);
            v.description = v.isConv ? QObject::tr("Conv2d %1→%2, %3×%4 — output %5")
                                           .arg(l.inChannels).arg(l.outChannels).arg(l.kernelH).arg(l.kernelW).arg(shape)
                                     : QObject::tr("stage — output %1").arg(shape);
            v.isGradCamDefault = l.isGradCamDefault;
            out.push_back(v);
        }
    } catch (const std::exception& e) {
        if (error) *error = messageOf(e);
    }
    return out;
}

VizImage vizFilters(const QString& bundle, const QString& layer) {
    return guarded(bundle, [&](exporting::LoadedModel& m) {
        viz::FilterOptions options;
        options.layer = layer.toStdString();
        const viz::FilterGrid g = viz::filterGrid(*m.model, options);
        VizImage v;
        v.image = toQImage(g.image);
        for (size_t i = 0; i < g.cells.size() && i < g.filterIndices.size(); ++i) {
            v.cells << toRect(g.cells[i]);
            v.cellTips << QObject::tr("filter %1 — L2 norm %2")
                              .arg(g.filterIndices[i])
                              .arg(i < g.filterNorms.size() ? g.filterNorms[i] : 0.0, 0, 'g', 3);
        }
        v.caption = QObject::tr("Filters of %1 (%2 shown; hover for each filter's index and norm)")
                        .arg(QString::fromStdString(g.layer))
                        .arg(g.filterIndices.size());
        return v;
    });
}

VizImage vizFeatureMaps(const QString& bundle, const QString& image, const QString& layer) {
    return guarded(bundle, [&](exporting::LoadedModel& m) {
        const viz::PreparedImage prepared = viz::prepareImageFile(image.toStdString(), m.meta.transform);
        viz::FeatureOptions options;
        options.layer = layer.toStdString();
        const viz::FeatureMaps f = viz::featureMaps(*m.model, prepared, options);
        VizImage v;
        v.image = toQImage(f.image);
        for (size_t i = 0; i < f.cells.size() && i < f.shownChannels.size(); ++i) {
            const int64_t c = f.shownChannels[i];
            v.cells << toRect(f.cells[i]);
            const auto& s = c < int64_t(f.stats.size()) ? f.stats[size_t(c)] : viz::ChannelStats{};
            v.cellTips << QObject::tr("channel %1 — mean %2, max %3, %4% zeros")
                              .arg(c)
                              .arg(s.mean, 0, 'g', 3)
                              .arg(s.max, 0, 'g', 3)
                              .arg(s.zeroFraction * 100.0, 0, 'f', 0);
        }
        QStringList top;
        for (int64_t c : f.topChannels) top << QString::number(c);
        v.caption = QObject::tr("Feature maps of %1 for this image; most active channels: %2")
                        .arg(QString::fromStdString(f.layer), top.join(QStringLiteral(", ")));
        return v;
    });
}

VizImage vizGradCam(const QString& bundle, const QString& image, const QString& layer, int classIndex) {
    return guarded(bundle, [&](exporting::LoadedModel& m) {
        const viz::PreparedImage prepared = viz::prepareImageFile(image.toStdString(), m.meta.transform);
        viz::GradCamOptions options;
        options.layer = layer.toStdString();
        options.classIndex = classIndex;
        const viz::Heatmap h = viz::gradCam(*m.model, prepared, options);
        VizImage v;
        v.image = toQImage(h.overlay);
        v.caption = QObject::tr("Grad-CAM at %1 for %2 (%3%); predicted %4")
                        .arg(QString::fromStdString(h.layer), classLabel(m, h.classIndex))
                        .arg(h.probability * 100.0, 0, 'f', 1)
                        .arg(classLabel(m, h.predictedIndex));
        return v;
    });
}

VizImage vizSaliency(const QString& bundle, const QString& image, Feedback* feedback, int classIndex) {
    return guarded(bundle, [&](exporting::LoadedModel& m) {
        const viz::PreparedImage prepared = viz::prepareImageFile(image.toStdString(), m.meta.transform);
        viz::SaliencyOptions options;
        options.method = viz::SaliencyMethod::SmoothGrad;
        options.samples = 16;
        options.classIndex = classIndex;
        // Gradients are sparse: a weak overlay leaves them nearly invisible on the photo.
        options.overlayAlpha = 0.85;
        const viz::Heatmap h = viz::saliency(*m.model, prepared, options, feedback);
        VizImage v;
        v.image = toQImage(h.overlay);
        v.caption = QObject::tr("Saliency (SmoothGrad, 16 samples) for %1 (%2%)")
                        .arg(classLabel(m, h.classIndex))
                        .arg(h.probability * 100.0, 0, 'f', 1);
        return v;
    });
}

VizImage vizMaximize(const QString& bundle, const QString& layer, int channel, Feedback* feedback) {
    return guarded(bundle, [&](exporting::LoadedModel& m) {
        viz::MaximizeOptions options;
        options.layer = layer.toStdString();
        options.channel = channel;
        options.sizePx = 160;
        options.stepsPerOctave = 30;
        const viz::MaximizeResult r = viz::maximizeActivation(*m.model, m.meta.transform, options, feedback);
        VizImage v;
        v.image = toQImage(r.image);
        v.caption = QObject::tr("What channel %1 of %2 looks for (objective %3 → %4)")
                        .arg(channel)
                        .arg(QString::fromStdString(r.layer))
                        .arg(r.initialObjective, 0, 'g', 3)
                        .arg(r.finalObjective, 0, 'g', 3);
        return v;
    });
}

} // namespace ts::ui
