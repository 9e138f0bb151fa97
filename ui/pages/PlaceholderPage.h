#pragma once
// PlaceholderPage: a wizard step that does not exist yet. It says so plainly
// and describes what the step will do; it shows no fake controls.
#include <QWidget>

namespace ts::ui {

class PlaceholderPage : public QWidget {
    Q_OBJECT
public:
    /// `planned` is a short paragraph (rich text allowed) on what will be here.
    PlaceholderPage(const QString& title, const QString& purpose, const QString& planned, QWidget* parent = nullptr);
};

} // namespace ts::ui
