#include "UiTestSupport.h"

#include "ui/models/DatasetSummary.h"
#include "ui/models/ProjectSession.h"
#include "ui/models/ZooFacts.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>

namespace ts::uitest {

bool writeDataset(const QString& root, const QMap<QString, int>& counts, int side, Pattern pattern) {
    int c = 0;
    for (auto it = counts.begin(); it != counts.end(); ++it, ++c) {
        if (!QDir().mkpath(root + "/" + it.key())) return false;
        for (int i = 0; i < it.value(); ++i) {
            QImage image(side, side, QImage::Format_RGB32);
            if (pattern == Pattern::Noise) {
                for (int y = 0; y < side; ++y)
                    for (int x = 0; x < side; ++x)
                        image.setPixel(x, y, qRgb((x * 7 + i + c * 11) % 256, (y * 3 + i * 5) % 256, (x ^ y ^ i) % 256));
            } else {
                image.fill(QColor((40 + 60 * c) % 256, (i * 30) % 256, 90));
            }
            // One marked pixel per image: no two images are equal.
            image.setPixel(i % side, (i / side) % side, qRgb(i % 256, c % 256, (i / 256) % 256));
            if (!image.save(QStringLiteral("%1/%2/%3.png").arg(root, it.key()).arg(i))) return false;
        }
    }
    return true;
}

bool writeDataset(const QString& root, const QStringList& classes, int perClass, int side, Pattern pattern) {
    QMap<QString, int> counts;
    for (const QString& name : classes) counts.insert(name, perClass);
    return writeDataset(root, counts, side, pattern);
}

namespace {

QString writeFile(const QString& root, const QString& relative, const QByteArray& bytes) {
    const QString path = QDir(root).absoluteFilePath(relative);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly)) return {};
    file.write(bytes);
    return path;
}

} // namespace

QString writeEmptyFile(const QString& root, const QString& relative) { return writeFile(root, relative, {}); }

QString writeTextFile(const QString& root, const QString& relative) {
    return writeFile(root, relative, "not an image\n");
}

void useModel(ts::ui::ProjectSession& session, const QString& arch, int numClasses) {
    bool official = false;
    for (const ts::ui::ZooRow& row : ts::ui::zooRows())
        if (row.name == arch) official = row.hasOfficialWeights;
    session.chooseBackbone(arch, official);
    ts::ui::DatasetSummary summary;
    summary.root = QStringLiteral("/nonexistent-test-dataset");
    for (int i = 0; i < numClasses; ++i) {
        summary.classes << QStringLiteral("class%1").arg(i);
        summary.trainCounts << 10;
        summary.valCounts << 2;
        summary.testCounts << 0;
    }
    session.setDataset(summary);
}

} // namespace ts::uitest
