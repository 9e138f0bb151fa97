#include "ui/models/TaskError.h"

#include "core/common/Error.h"
#include "core/common/ErrorMessage.h"

#include <c10/util/Exception.h>

#include <QObject>

#include <new>
#include <typeinfo>

namespace ts::ui {

QString exceptionTypeName(const std::exception& e) {
    if (dynamic_cast<const DownloadError*>(&e)) return QStringLiteral("DownloadError");
    if (dynamic_cast<const WeightsError*>(&e)) return QStringLiteral("WeightsError");
    if (dynamic_cast<const ConfigError*>(&e)) return QStringLiteral("ConfigError");
    if (dynamic_cast<const IoError*>(&e)) return QStringLiteral("IoError");
    if (dynamic_cast<const ModelError*>(&e)) return QStringLiteral("ModelError");
    if (dynamic_cast<const c10::Error*>(&e)) return QStringLiteral("c10::Error");
    return QString::fromLatin1(typeid(e).name());
}

namespace {

QString withContext(const QString& context, const QString& message) {
    return context.isEmpty() ? message : context + QLatin1Char(' ') + message;
}

} // namespace

QString messageOf(const std::exception& e) { return QString::fromStdString(ts::exceptionText(e)); }

QString userMessageOf(const QString& what) { return QString::fromStdString(ts::userMessage(what.toStdString())); }

TaskError describeException(std::exception_ptr error, const QString& context) {
    TaskError out;
    try {
        if (error) std::rethrow_exception(error);
        out.userMessage = withContext(context, QObject::tr("An unknown error stopped the job."));
        out.details = QStringLiteral("no exception");
    } catch (const JobFailure& e) {
        out = e.error();
    } catch (const std::bad_alloc&) {
        out.userMessage = withContext(context, QObject::tr("The job ran out of memory."));
        out.details = QStringLiteral("std::bad_alloc");
    } catch (const std::exception& e) {
        out.userMessage = withContext(context, userMessageOf(messageOf(e)));
        out.details = exceptionTypeName(e) + QStringLiteral(": ") + QString::fromStdString(e.what());
    } catch (...) {
        out.userMessage = withContext(context, QObject::tr("An unknown error stopped the job."));
        out.details = QStringLiteral("unknown exception");
    }
    return out;
}

} // namespace ts::ui
