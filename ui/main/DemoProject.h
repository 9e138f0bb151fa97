#pragma once
// The built-in demo project: a small labelled image set that the app draws
// itself, so that every page has something to show without a download.
// Three classes of shapes, each in its own colour family (red circles, blue
// squares, green triangles) with random shades, sizes, positions and
// rotations on pale backgrounds; one image in five has the colour of another
// class, so the shape has to be learned. Seeded: every machine generates the
// same images.
#include <QString>
#include <QStringList>

namespace ts::ui {

struct DemoOptions {
    /// Images per class. Default 60.
    int imagesPerClass = 60;
    /// Side of the square images in pixels. Default 96.
    int sizePx = 96;
    /// Seed of the generator. Default 7.
    quint32 seed = 7;
};

/// The class names of the demo dataset, in label order.
QStringList demoClasses();

/// $XDG_DATA_HOME/transfer-studio/demo (see core/common/Paths.h).
QString defaultDemoFolder();

/// Writes the demo dataset into `folder` (ROOT/<class>/<nnn>.png), replacing
/// the class folders if present. Returns false and sets `error` on failure.
bool generateDemoDataset(const QString& folder, const DemoOptions& options, QString* error);

/// The demo dataset in `folder` (default: defaultDemoFolder()), generated
/// first when it is missing or incomplete. Returns the folder, or an empty
/// string with `error` set.
QString ensureDemoDataset(QString* error, const QString& folder = {});

} // namespace ts::ui
