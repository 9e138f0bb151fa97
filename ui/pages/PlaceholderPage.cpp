#include "ui/pages/PlaceholderPage.h"

#include "ui/widgets/PageHeader.h"

#include <QFrame>
#include <QLabel>
#include <QVBoxLayout>

namespace ts::ui {

PlaceholderPage::PlaceholderPage(const QString& title, const QString& purpose, const QString& planned,
                                 QWidget* parent)
    : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new PageHeader(title, purpose, this));

    auto* box = new QFrame(this);
    box->setFrameShape(QFrame::StyledPanel);
    auto* boxLayout = new QVBoxLayout(box);
    auto* status = new QLabel(tr("<b>Not implemented yet.</b>"), box);
    status->setObjectName(QStringLiteral("placeholderStatus"));
    auto* text = new QLabel(tr("What will be here: %1").arg(planned), box);
    text->setWordWrap(true);
    text->setTextFormat(Qt::RichText);
    boxLayout->addWidget(status);
    boxLayout->addWidget(text);
    layout->addWidget(box);
    layout->addStretch(1);
}

} // namespace ts::ui
