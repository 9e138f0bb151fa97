#include "ui/models/BridgeCommon.h"

#include <opencv2/core/mat.hpp>

namespace ts::ui {

QImage toQImage(const cv::Mat& rgb) {
    if (rgb.empty()) return {};
    cv::Mat c = rgb.isContinuous() ? rgb : rgb.clone();
    return QImage(c.data, c.cols, c.rows, int(c.step), QImage::Format_RGB888).copy();
}

QString classLabel(const std::vector<std::string>& classes, int64_t index) {
    return index >= 0 && size_t(index) < classes.size() ? QString::fromStdString(classes[size_t(index)])
                                                        : QStringLiteral("class %1").arg(index);
}

QString classLabel(const QStringList& classes, int64_t index) {
    return index >= 0 && index < classes.size() ? classes.at(qsizetype(index)) : QStringLiteral("class %1").arg(index);
}

} // namespace ts::ui
