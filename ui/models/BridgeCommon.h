#pragma once
// Conversions shared by the ui/models/*Bridge.cpp files, and the one way a
// class index is named (classLabel, also used by the pages). No LibTorch
// here: the header stays light.
#include "ui/models/TaskError.h"

#include <QImage>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <exception>
#include <string>
#include <vector>

namespace cv {
class Mat;
}

namespace ts::ui {

/// A deep copy of an 8-bit RGB image as a QImage (null for an empty Mat).
QImage toQImage(const cv::Mat& rgb);

/// How a class index is shown: its name, or "class i" when `classes` has no
/// entry for it (a bundle whose names are missing, an index out of range).
QString classLabel(const std::vector<std::string>& classes, int64_t index);
QString classLabel(const QStringList& classes, int64_t index);

} // namespace ts::ui
