#include "ui/widgets/ConfigBinding.h"

#include <QSignalBlocker>

#include <cmath>

namespace ts::ui {

void showValue(QSpinBox* box, int value) {
    if (box->value() == value) return;
    const QSignalBlocker block(box);
    box->setValue(value);
}

void showValue(QDoubleSpinBox* box, double value) {
    // Equal as the box shows them (it rounds to its decimals).
    if (std::abs(box->value() - value) <= 0.5 * std::pow(10.0, -box->decimals())) return;
    const QSignalBlocker block(box);
    box->setValue(value);
}

void showChecked(QCheckBox* box, bool checked) {
    if (box->isChecked() == checked) return;
    const QSignalBlocker block(box);
    box->setChecked(checked);
}

void showIndex(QComboBox* box, int index) {
    if (box->currentIndex() == index) return;
    const QSignalBlocker block(box);
    box->setCurrentIndex(index);
}

int indexOfName(const QComboBox* box, const std::string& name) {
    return qMax(0, box->findData(QString::fromStdString(name), Qt::UserRole, Qt::MatchFixedString));
}

void ConfigBinder::showAll(const Config& config) const {
    for (const auto& show : m_shows) show(config);
}

void ConfigBinder::copyAll(const Config& from, Config& to) const {
    for (const auto& copy : m_copies) copy(from, to);
}

} // namespace ts::ui
