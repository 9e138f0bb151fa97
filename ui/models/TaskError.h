#pragma once
// TaskError: an error of a background job as the UI shows it, and the one
// function that turns an exception into it (every job, bridge and worker
// uses describeException, so a c10::Error, a ts::Error and std::bad_alloc
// read the same everywhere).
#include <QMetaType>
#include <QString>

#include <exception>
#include <stdexcept>

namespace ts::ui {

/// One readable sentence, and the full text (exception type, backtrace)
/// behind "Show details".
struct TaskError {
    QString userMessage;
    QString details;
};

/// Thrown by a job that has already worded its error: describeException
/// passes `error` through unchanged.
class JobFailure : public std::runtime_error {
public:
    explicit JobFailure(TaskError error)
        : std::runtime_error(error.details.toStdString()), m_error(std::move(error)) {}
    const TaskError& error() const { return m_error; }

private:
    TaskError m_error;
};

/// The user-facing part of an exception text (LibTorch appends a backtrace
/// after "Exception raised from"): ts::userMessage (core/common/ErrorMessage.h).
QString userMessageOf(const QString& what);

/// The readable text of an exception: ts::exceptionText (a c10::Error without
/// its C++ backtrace, any other as what() says it; no context added).
QString messageOf(const std::exception& e);

/// The exception's type in words ("WeightsError", "c10::Error", ...), for details.
QString exceptionTypeName(const std::exception& e);

/// `error` as the UI shows it: `context` (may be empty) then the readable
/// part of the message; details hold the exception's type and full text.
/// c10::Error shows what_without_backtrace(); std::bad_alloc says that memory
/// ran out; JobFailure is passed through. Never throws.
TaskError describeException(std::exception_ptr error, const QString& context = {});

} // namespace ts::ui

Q_DECLARE_METATYPE(ts::ui::TaskError)
