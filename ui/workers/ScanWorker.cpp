#include "ui/workers/ScanWorker.h"

#include "core/common/Error.h"
#include "core/data/Dataset.h"

#include <QDir>
#include <QObject>

#include <algorithm>
#include <exception>

namespace ts::ui {
namespace {

QVector<qint64> toQVector(const std::vector<int64_t>& v) { return QVector<qint64>(v.begin(), v.end()); }

} // namespace

DatasetSummary ScanWorker::scanFolder(const QString& root, double valFraction, quint64 seed) {
    DatasetSummary summary;
    summary.root = QDir(root).absolutePath();
    try {
        const data::DatasetIndex index = data::indexDataset(summary.root.toStdString(), {valFraction, seed});
        for (const auto& name : index.classes) summary.classes << QString::fromStdString(name);
        summary.trainCounts = toQVector(index.classCounts(index.train));
        summary.valCounts = toQVector(index.classCounts(index.val));
        summary.testCounts = toQVector(index.classCounts(index.test));
        summary.splitSource = index.splitSource == data::SplitSource::Folders ? DatasetSummary::SplitSource::Folders
                                                                              : DatasetSummary::SplitSource::Split;
        summary.ignoredFiles = qint64(index.ignoredFiles.size());
        // The first files of each class by path (for the Data page's thumbnails).
        std::vector<std::vector<const std::string*>> perClass(index.classes.size());
        for (const auto* items : {&index.train, &index.val, &index.test})
            for (const auto& item : *items)
                if (item.label >= 0 && size_t(item.label) < perClass.size()) perClass[size_t(item.label)].push_back(&item.path);
        const auto byPath = [](const std::string* a, const std::string* b) { return *a < *b; };
        for (auto& files : perClass) {
            const size_t n = std::min(files.size(), size_t(DatasetSummary::kListedFilesPerClass));
            std::partial_sort(files.begin(), files.begin() + std::ptrdiff_t(n), files.end(), byPath);
            QStringList list;
            list.reserve(int(n));
            for (size_t i = 0; i < n; ++i) list << QString::fromStdString(*files[i]);
            summary.classFiles << list;
        }
    } catch (const ts::Error& e) {
        summary.error = QString::fromStdString(e.what());
    } catch (const std::exception& e) {
        summary.error = QObject::tr("Scanning %1 failed: %2").arg(summary.root, QString::fromStdString(e.what()));
    }
    return summary;
}

} // namespace ts::ui
