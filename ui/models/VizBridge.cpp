#include "ui/models/VizBridge.h"

#include <QObject>

// The views of core/viz are being implemented; until ts_viz links, every view
// answers with a readable message instead of a picture.

namespace ts::ui {
namespace {

VizImage unavailable() {
    VizImage v;
    v.error = QObject::tr("This view needs the visualisation library (core/viz), which is not built into this "
                          "version yet.");
    return v;
}

} // namespace

QVector<VizLayer> vizLayers(const QString&, QString* error) {
    if (error) *error = unavailable().error;
    return {};
}
VizImage vizFilters(const QString&, const QString&) { return unavailable(); }
VizImage vizFeatureMaps(const QString&, const QString&, const QString&) { return unavailable(); }
VizImage vizGradCam(const QString&, const QString&, const QString&) { return unavailable(); }
VizImage vizSaliency(const QString&, const QString&, const VizControl&) { return unavailable(); }
VizImage vizMaximize(const QString&, const QString&, int, const VizControl&) { return unavailable(); }

} // namespace ts::ui
