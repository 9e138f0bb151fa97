#pragma once
// Conversions shared by the ui/models/*Bridge.cpp files (the only ui/ files
// that call LibTorch and OpenCV). No LibTorch here: the header stays light.
#include <QImage>
#include <QString>

#include <exception>

namespace cv {
class Mat;
}

namespace ts::ui {

/// A deep copy of an 8-bit RGB image as a QImage (null for an empty Mat).
QImage toQImage(const cv::Mat& rgb);

/// The message to show for an exception: LibTorch errors without their C++
/// backtrace, others as they are.
QString whatOf(const std::exception& e);

} // namespace ts::ui
