#include "ui/models/BridgeCommon.h"

#include <c10/util/Exception.h>
#include <opencv2/core/mat.hpp>

namespace ts::ui {

QImage toQImage(const cv::Mat& rgb) {
    if (rgb.empty()) return {};
    cv::Mat c = rgb.isContinuous() ? rgb : rgb.clone();
    return QImage(c.data, c.cols, c.rows, int(c.step), QImage::Format_RGB888).copy();
}

QString whatOf(const std::exception& e) {
    if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) return QString::fromStdString(c10->what_without_backtrace());
    return QString::fromStdString(e.what());
}

} // namespace ts::ui
