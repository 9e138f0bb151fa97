#pragma once
// PageHeader: the title and one-paragraph explanation at the top of each page.
#include <QWidget>

class QLabel;

namespace ts::ui {

class PageHeader : public QWidget {
    Q_OBJECT
public:
    PageHeader(const QString& title, const QString& explanation, QWidget* parent = nullptr);

    QString title() const;

private:
    QLabel* m_title = nullptr;
    QLabel* m_explanation = nullptr;
};

} // namespace ts::ui
