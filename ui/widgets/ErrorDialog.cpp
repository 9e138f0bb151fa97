#include "ui/widgets/ErrorDialog.h"

#include <QMessageBox>

namespace ts::ui {

void showErrorDialog(QWidget* parent, const QString& title, const TaskError& error) {
    auto* box = new QMessageBox(QMessageBox::Warning, title, error.userMessage, QMessageBox::Ok, parent);
    box->setObjectName(QStringLiteral("errorDialog"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    if (!error.details.isEmpty() && error.details != error.userMessage) box->setDetailedText(error.details);
    box->setWindowModality(Qt::WindowModal);
    box->open();
}

} // namespace ts::ui
