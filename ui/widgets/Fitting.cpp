#include "ui/widgets/Fitting.h"

#include <QAbstractSpinBox>
#include <QApplication>
#include <QComboBox>
#include <QEvent>
#include <QLabel>
#include <QPointer>

namespace ts::ui {

void makeFlowingLabel(QLabel* label) {
    if (!label) return;
    label->setWordWrap(true);
    QSizePolicy policy = label->sizePolicy();
    // Ignored: the layout takes neither the size hint nor the minimum size
    // hint (the longest word) into account; the label gets the width the
    // rest of the window leaves and wraps its text into it.
    policy.setHorizontalPolicy(QSizePolicy::Ignored);
    policy.setHeightForWidth(true);
    label->setSizePolicy(policy);
    label->setMinimumWidth(0);
    label->setTextInteractionFlags(label->textInteractionFlags() | Qt::TextSelectableByMouse);
}

namespace {

bool isWheelField(QObject* object) {
    return qobject_cast<QAbstractSpinBox*>(object) || qobject_cast<QComboBox*>(object);
}

class WheelGuard : public QObject {
public:
    using QObject::QObject;

protected:
    bool eventFilter(QObject* watched, QEvent* event) override {
        if (event->type() == QEvent::Polish && isWheelField(watched)) {
            auto* widget = static_cast<QWidget*>(watched);
            // The wheel does not focus them; Tab and a click do.
            if (widget->focusPolicy() == Qt::WheelFocus) widget->setFocusPolicy(Qt::StrongFocus);
        } else if (event->type() == QEvent::Wheel && isWheelField(watched) && !static_cast<QWidget*>(watched)->hasFocus()) {
            // Not for this field: ignored, the event goes on to its parents
            // (the scroll area around it scrolls).
            event->ignore();
            return true;
        }
        return QObject::eventFilter(watched, event);
    }
};

} // namespace

void installWheelGuard() {
    static QPointer<QObject> guard;
    if (guard || !qApp) return;
    guard = new WheelGuard(qApp);
    qApp->installEventFilter(guard);
}

} // namespace ts::ui
