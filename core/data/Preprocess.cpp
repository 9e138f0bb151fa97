#include "core/data/Preprocess.h"

#include "core/data/ImageIO.h"
#include "core/zoo/Registry.h"

#include <ATen/Functions.h>

namespace ts::data {

EvalTransform EvalTransform::forModel(const zoo::ModelInfo& info) {
    EvalTransform t;
    t.resizeSize = info.resizeSize;
    t.cropSize = info.inputSize;
    t.filter = info.interpolation == zoo::Interpolation::Bicubic ? ResampleFilter::Bicubic : ResampleFilter::Bilinear;
    t.mean = info.mean;
    t.std = info.std;
    return t;
}

cv::Mat resizeAndCrop(const cv::Mat& rgb, const EvalTransform& t) {
    return centerCrop(resizeShorterSide(rgb, t.resizeSize, t.filter), t.cropSize);
}

at::Tensor toNormalizedTensor(const cv::Mat& rgb, const std::array<float, 3>& mean, const std::array<float, 3>& std) {
    cv::Mat img = rgb.isContinuous() ? rgb : rgb.clone();
    at::Tensor hwc = at::from_blob(img.data, {img.rows, img.cols, 3}, at::kByte);
    at::Tensor chw = hwc.permute({2, 0, 1}).to(at::kFloat).div_(255.0f);
    const at::Tensor m = at::tensor(std::vector<float>(mean.begin(), mean.end())).view({3, 1, 1});
    const at::Tensor s = at::tensor(std::vector<float>(std.begin(), std.end())).view({3, 1, 1});
    return chw.sub_(m).div_(s).contiguous();
}

at::Tensor evalTensor(const cv::Mat& rgb, const EvalTransform& t) {
    return toNormalizedTensor(resizeAndCrop(rgb, t), t.mean, t.std);
}

at::Tensor evalTensorFromFile(const std::string& path, const EvalTransform& t) {
    return evalTensor(loadImageRgb(path), t);
}

} // namespace ts::data
