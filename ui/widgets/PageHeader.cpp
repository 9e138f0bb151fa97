#include "ui/widgets/PageHeader.h"

#include <QLabel>
#include <QVBoxLayout>

namespace ts::ui {

PageHeader::PageHeader(const QString& title, const QString& explanation, QWidget* parent)
    : QWidget(parent), m_title(new QLabel(title, this)), m_explanation(new QLabel(explanation, this)) {
    QFont font = m_title->font();
    font.setPointSizeF(font.pointSizeF() * 1.6);
    font.setBold(true);
    m_title->setFont(font);
    m_title->setObjectName(QStringLiteral("pageTitle"));
    m_explanation->setWordWrap(true);
    m_explanation->setObjectName(QStringLiteral("pageExplanation"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 6);
    layout->addWidget(m_title);
    layout->addWidget(m_explanation);
}

QString PageHeader::title() const { return m_title->text(); }

} // namespace ts::ui
