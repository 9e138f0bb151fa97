#include "ui/workers/DoctorWorker.h"

#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/data/Dataset.h"
#include "core/data/Doctor.h"

#include <QDir>
#include <QObject>

#include <exception>
#include <set>

namespace ts::ui {
namespace {

QString kindTitle(data::ProblemKind kind) {
    using K = data::ProblemKind;
    switch (kind) {
    case K::Unreadable: return QObject::tr("Unreadable");
    case K::EmptyFile: return QObject::tr("Empty file");
    case K::NotAnImage: return QObject::tr("Not an image");
    case K::UnsupportedFormat: return QObject::tr("Unsupported format");
    case K::Corrupt: return QObject::tr("Corrupt");
    case K::Truncated: return QObject::tr("Truncated");
    case K::TinyImage: return QObject::tr("Tiny image");
    case K::Duplicate: return QObject::tr("Duplicate");
    case K::Leakage: return QObject::tr("Train/val leakage");
    case K::EmptyClass: return QObject::tr("Empty class");
    case K::SingleClass: return QObject::tr("Single class");
    case K::Imbalance: return QObject::tr("Class imbalance");
    case K::Converted: return QObject::tr("Converted");
    case K::Rotated: return QObject::tr("Rotated (EXIF)");
    case K::WrongExtension: return QObject::tr("Wrong extension");
    }
    return QString::fromLatin1(data::toString(kind));
}

PixelRange toRange(const data::SizeSummary& s) { return {s.min, s.median, s.max}; }

} // namespace

DoctorResult DoctorWorker::diagnoseFolder(const QString& root, Feedback* feedback, double valFraction, quint64 seed) {
    DoctorResult result;
    result.root = QDir(root).absolutePath();
    try {
        const data::DatasetIndex index = data::indexDataset(result.root.toStdString(), {valFraction, seed});
        const data::DoctorReport report = data::diagnose(index, {}, feedback);
        // Files the training reads: only those can be left out meaningfully.
        std::set<std::string> listed;
        for (const auto* items : {&index.train, &index.val, &index.test})
            for (const auto& item : *items) listed.insert(item.path);
        result.filesChecked = report.filesChecked;
        result.width = toRange(report.width);
        result.height = toRange(report.height);
        result.problems.reserve(int(report.problems.size()));
        for (const data::Problem& p : report.problems) {
            DataProblem q;
            q.severity = DataProblem::Severity(int(p.severity));
            q.kind = QString::fromLatin1(data::toString(p.kind));
            q.kindTitle = kindTitle(p.kind);
            q.path = QString::fromStdString(p.path);
            q.split = QString::fromStdString(p.split);
            q.message = QString::fromStdString(p.message);
            q.otherPath = QString::fromStdString(p.otherPath);
            q.excludable = listed.count(p.path) > 0;
            result.problems << q;
        }
        for (const auto& path : report.badFiles()) result.badFiles << QString::fromStdString(path);
    } catch (const Cancelled&) {
        result = DoctorResult{};
        result.root = QDir(root).absolutePath();
        result.cancelled = true;
    } catch (const ts::Error& e) {
        result.error = QString::fromStdString(e.what());
    } catch (const std::exception& e) {
        result.error = QObject::tr("Checking %1 failed: %2").arg(result.root, QString::fromStdString(e.what()));
    }
    return result;
}

} // namespace ts::ui
