#pragma once
// DatasetSummary: what the Data page shows about a scanned dataset folder.
// A plain value type (no LibTorch, no core/ types) so it can cross from the
// scan worker's thread to the UI thread in a queued signal.
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVector>

namespace ts::ui {

struct DatasetSummary {
    /// The folder that was scanned (absolute).
    QString root;
    /// Class names in label order (sorted sub-folder names).
    QStringList classes;
    /// Images per class in each split; same length as `classes`.
    QVector<qint64> trainCounts;
    QVector<qint64> valCounts;
    QVector<qint64> testCounts;
    /// Where the train/val split came from (data::SplitSource, as a ui value).
    enum class SplitSource {
        Split,    ///< drawn (stratified, seeded) from flat class folders
        Folders,  ///< the folder layout: train/ val/ [test/]
    };
    SplitSource splitSource = SplitSource::Split;
    /// Files in class folders that are not images (not used).
    qint64 ignoredFiles = 0;
    /// Per class (same length as `classes`): the first kListedFilesPerClass
    /// image files of the class over all splits, sorted by path, as the scan
    /// found them (the same strings the trainer sees). total(i) is the full count.
    QVector<QStringList> classFiles;
    static constexpr int kListedFilesPerClass = 200;
    /// Empty on success; otherwise the error message of the scan.
    QString error;

    bool isValid() const { return error.isEmpty() && !classes.isEmpty(); }
    /// Images of class `i` over all splits.
    qint64 total(int i) const { return trainCounts.value(i) + valCounts.value(i) + testCounts.value(i); }
    /// Images over all classes and splits.
    qint64 totalImages() const {
        qint64 n = 0;
        for (int i = 0; i < classes.size(); ++i) n += total(i);
        return n;
    }
};

} // namespace ts::ui

Q_DECLARE_METATYPE(ts::ui::DatasetSummary)
