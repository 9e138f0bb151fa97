#include "ui/models/BundleCache.h"

#include "core/export/Bundle.h"

#include <QDir>
#include <QDateTime>
#include <QFileInfo>

#include <atomic>
#include <memory>

namespace ts::ui {
namespace {

std::mutex g_mutex;
QString g_key;                                    // guarded by g_mutex
std::unique_ptr<exporting::LoadedModel> g_model;  // guarded by g_mutex
std::atomic<int> g_loads{0};

} // namespace

QString BundleLease::keyOf(const QString& bundleOrRunDir) {
    const QFileInfo info(bundleOrRunDir);
    const QString file = info.isDir() ? QDir(info.absoluteFilePath()).filePath(QStringLiteral("model.tsb"))
                                      : info.absoluteFilePath();
    return QDir::cleanPath(file);
}

BundleLease::BundleLease(const QString& bundleOrRunDir) : m_lock(g_mutex) {
    // The file's time and size too: a resumed run rewrites its model.tsb.
    const QString file = keyOf(bundleOrRunDir);
    const QFileInfo info(file);
    const QString key = file + QLatin1Char('@') + QString::number(info.lastModified().toMSecsSinceEpoch()) +
                        QLatin1Char('/') + QString::number(info.size());
    if (!g_model || g_key != key) {
        g_model.reset();  // free the old model before the new one is read
        g_key.clear();
        g_model = std::make_unique<exporting::LoadedModel>(exporting::loadTrainedModel(bundleOrRunDir.toStdString()));
        g_key = key;
        g_loads.fetch_add(1);
    }
    m_model = g_model.get();
}

void BundleLease::clear() {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_model.reset();
    g_key.clear();
}

int BundleLease::loads() { return g_loads.load(); }

} // namespace ts::ui
