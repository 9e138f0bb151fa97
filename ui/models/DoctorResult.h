#pragma once
// DoctorResult: what the dataset doctor (core/data/Doctor.h) found, as plain
// Qt values (no core/ or LibTorch types) so it can cross from the doctor's
// job (a TaskManager lane) to the UI thread as a value.
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVector>

namespace ts::ui {

/// One problem of the report (core's data::Problem).
struct DataProblem {
    /// Same order as core's data::Severity: a larger value is worse.
    enum Severity { Info, Warning, Error };

    Severity severity = Error;
    /// core's key of the kind ("empty_file", "duplicate", "imbalance", ...).
    QString kind;
    /// The kind for people ("Empty file").
    QString kindTitle;
    /// The file, the class folder, or the dataset root (dataset-wide problems).
    QString path;
    /// "train", "val", "test", or empty (dataset-wide, or a file the scan ignores).
    QString split;
    /// What is wrong and what to do.
    QString message;
    /// Duplicates and leakage: the first file with the same content.
    QString otherPath;
    /// True when `path` is an image file the training would read, so that
    /// leaving it out (TrainConfig::excludeFiles) means something.
    bool excludable = false;
};

/// min / median / max of a pixel size.
struct PixelRange {
    int min = 0;
    int median = 0;
    int max = 0;
};

struct DoctorResult {
    /// The dataset folder (absolute, as the scan has it).
    QString root;
    /// True when the diagnosis was cancelled (then nothing else is set).
    bool cancelled = false;
    /// Empty on success; otherwise why the doctor could not run.
    QString error;
    qint64 filesChecked = 0;
    PixelRange width;
    PixelRange height;
    /// Every problem, in the doctor's order (dataset-wide problems last).
    QVector<DataProblem> problems;
    /// Files that cannot be used at all (core's DoctorReport::badFiles()).
    QStringList badFiles;

    bool isValid() const { return !cancelled && error.isEmpty() && !root.isEmpty(); }
    int count(DataProblem::Severity severity) const {
        int n = 0;
        for (const auto& p : problems) n += p.severity == severity ? 1 : 0;
        return n;
    }
};

} // namespace ts::ui

Q_DECLARE_METATYPE(ts::ui::DataProblem)
Q_DECLARE_METATYPE(ts::ui::DoctorResult)
