#include "ui/main/DemoProject.h"

#include "core/common/Paths.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QObject>
#include <QPainter>
#include <QPainterPath>
#include <QRandomGenerator>

#include <cmath>

namespace ts::ui {
namespace {

// Bumped when the drawing changes, so old demo folders are regenerated.
constexpr int kDemoVersion = 3;
const char* const kMarker = ".transfer-studio-demo";

// Each class has its own colour family (hue centre, +-18 degrees) besides its
// shape, so a small network trained from scratch separates most of them in a
// few epochs; but one image in five takes the colour of another class, so
// colour alone is not enough and the Inspect page has real mistakes to show.
// The backgrounds are pale and plain so the object stands out.
int classHue(const QString& shape) {
    if (shape == QLatin1String("circle")) return 0;     // reds
    if (shape == QLatin1String("square")) return 215;   // blues
    return 120;                                         // greens (triangle)
}

QImage drawShape(const QString& shape, int size, QRandomGenerator& rng) {
    QImage image(size, size, QImage::Format_RGB32);
    // Background: a pale, low-saturation gradient with light speckle.
    QLinearGradient gradient(0, 0, size, size);
    gradient.setColorAt(0, QColor::fromHsv(rng.bounded(360), 10 + rng.bounded(30), 225 + rng.bounded(31)));
    gradient.setColorAt(1, QColor::fromHsv(rng.bounded(360), 10 + rng.bounded(30), 200 + rng.bounded(41)));
    QPainter p(&image);
    p.fillRect(image.rect(), gradient);
    for (int i = 0; i < size * size / 40; ++i) {
        const int v = rng.bounded(256);
        p.setPen(QColor(v, v, v, 25));
        p.drawPoint(rng.bounded(size), rng.bounded(size));
    }
    // The shape: 45-70 % of the image, anywhere it fits, any rotation.
    p.setRenderHint(QPainter::Antialiasing);
    const double extent = size * (0.45 + 0.25 * rng.generateDouble());
    const double margin = extent / 2 + 2;
    const double cx = margin + rng.generateDouble() * (size - 2 * margin);
    const double cy = margin + rng.generateDouble() * (size - 2 * margin);
    p.translate(cx, cy);
    p.rotate(rng.bounded(360));
    QString colourOf = shape;
    if (rng.bounded(5) == 0) {
        const QStringList others{QStringLiteral("circle"), QStringLiteral("square"), QStringLiteral("triangle")};
        colourOf = others.at(int((others.indexOf(shape) + 1 + rng.bounded(2)) % 3));
    }
    const int hue = (classHue(colourOf) + 342 + rng.bounded(37)) % 360;
    const QColor fill = QColor::fromHsv(hue, 150 + rng.bounded(106), 120 + rng.bounded(121));
    p.setBrush(fill);
    p.setPen(QPen(fill.darker(160), 1.5 + rng.generateDouble() * 2));
    const double r = extent / 2;
    if (shape == QLatin1String("circle")) {
        p.drawEllipse(QPointF(0, 0), r, r);
    } else if (shape == QLatin1String("square")) {
        const double side = r * std::sqrt(2.0);  // corners on the circle of radius r
        p.drawRect(QRectF(-side / 2, -side / 2, side, side));
    } else {
        QPainterPath path;
        for (int k = 0; k < 3; ++k) {
            const double angle = -M_PI / 2 + k * 2 * M_PI / 3;
            const QPointF pt(r * std::cos(angle), r * std::sin(angle));
            k == 0 ? path.moveTo(pt) : path.lineTo(pt);
        }
        path.closeSubpath();
        p.drawPath(path);
    }
    return image;
}

} // namespace

QStringList demoClasses() { return {QStringLiteral("circle"), QStringLiteral("square"), QStringLiteral("triangle")}; }

QString defaultDemoFolder() { return QString::fromStdString(paths::dataDir()) + QStringLiteral("/demo"); }

bool generateDemoDataset(const QString& folder, const DemoOptions& options, QString* error) {
    QDir root(folder);
    QFile::remove(root.filePath(QString::fromLatin1(kMarker)));
    QRandomGenerator rng(options.seed);
    for (const QString& cls : demoClasses()) {
        QDir dir(root.filePath(cls));
        if (dir.exists() && !dir.removeRecursively()) {
            if (error) *error = QObject::tr("Cannot replace the demo folder %1.").arg(dir.path());
            return false;
        }
        if (!root.mkpath(cls)) {
            if (error) *error = QObject::tr("Cannot create the demo folder %1: check the permissions.").arg(dir.path());
            return false;
        }
        for (int i = 0; i < options.imagesPerClass; ++i) {
            const QString file = dir.filePath(QStringLiteral("%1-%2.png").arg(cls).arg(i, 3, 10, QLatin1Char('0')));
            if (!drawShape(cls, options.sizePx, rng).save(file, "PNG")) {
                if (error) *error = QObject::tr("Cannot write the demo image %1 (disk full?).").arg(file);
                return false;
            }
        }
    }
    QFile marker(root.filePath(QString::fromLatin1(kMarker)));
    if (!marker.open(QIODevice::WriteOnly) ||
        marker.write(QStringLiteral("version=%1\nimages_per_class=%2\n").arg(kDemoVersion).arg(options.imagesPerClass).toUtf8()) < 0) {
        if (error) *error = QObject::tr("Cannot write %1.").arg(marker.fileName());
        return false;
    }
    return true;
}

QString ensureDemoDataset(QString* error, const QString& folderArg) {
    const QString folder = folderArg.isEmpty() ? defaultDemoFolder() : folderArg;
    QFile marker(QDir(folder).filePath(QString::fromLatin1(kMarker)));
    const DemoOptions options;
    const QByteArray expected =
        QStringLiteral("version=%1\nimages_per_class=%2\n").arg(kDemoVersion).arg(options.imagesPerClass).toUtf8();
    // A regular file only (a FIFO there would block the open), and no more than the marker can hold.
    if (QFileInfo(marker.fileName()).isFile() && marker.open(QIODevice::ReadOnly) &&
        marker.read(expected.size() + 1) == expected)
        return folder;
    marker.close();
    if (!QDir().mkpath(folder)) {
        if (error) *error = QObject::tr("Cannot create the demo folder %1: check the permissions.").arg(folder);
        return {};
    }
    return generateDemoDataset(folder, options, error) ? folder : QString();
}

} // namespace ts::ui
