#include "ui/models/BridgeCommon.h"

#include "core/common/ErrorMessage.h"

#include <opencv2/core/mat.hpp>

namespace ts::ui {

QImage toQImage(const cv::Mat& rgb) {
    if (rgb.empty()) return {};
    cv::Mat c = rgb.isContinuous() ? rgb : rgb.clone();
    return QImage(c.data, c.cols, c.rows, int(c.step), QImage::Format_RGB888).copy();
}

QString whatOf(const std::exception& e) { return QString::fromStdString(ts::exceptionText(e)); }

} // namespace ts::ui
