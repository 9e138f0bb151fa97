// core/viz and `tstudio viz` with the genuine ImageNet MobileNetV2 of
// ../shared: Grad-CAM on the parrot photo lands on the bird, and the
// first-layer filters are structured (not noise).
#include "core/viz/Viz.h"
#include "core/weights/Pretrained.h"
#include "core/zoo/Registry.h"
#include "tests/support/TestSupport.h"

#include <ATen/Functions.h>
#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

using namespace ts;

namespace {

std::string weightsPath(const std::string& shared) { return shared + "/weights/mobilenet_v2_imagenet.pth"; }

// The macaw in parrot.jpg (512x929), drawn by looking at the photo: head,
// wings and body from the top of the head (y 100) to where the tail narrows
// below the perch (y 640), from the wing tip on the left (x 135) to the beak
// (x 470). The long thin tail below is left out, so the box is the bird's
// body, not most of the picture. In original-image pixels.
const cv::Rect kParrotBody(135, 100, 470 - 135, 640 - 100);

// Mean |correlation| between the colour channels of each filter, after
// removing each kernel's mean: high for achromatic edges (channels agree) and
// colour-opponent blobs (channels disagree), about 0.3 for random filters.
double channelCoupling(const at::Tensor& w) {
    at::Tensor f = w.reshape({w.size(0), 3, -1});
    f = f - f.mean(2, true);
    double sum = 0.0;
    const int pairs[3][2] = {{0, 1}, {1, 2}, {0, 2}};
    for (const auto& p : pairs) {
        const at::Tensor a = f.select(1, p[0]), b = f.select(1, p[1]);
        sum += ((a * b).sum(1) / (a.norm(2, 1) * b.norm(2, 1) + 1e-12)).abs().mean().item<double>();
    }
    return sum / 3.0;
}

} // namespace

TEST(VizReal, GradCamOnTheParrotLandsOnTheBird) {
    const std::string shared = ts::test::sharedDir();
    TS_REQUIRE_SHARED(shared);
    zoo::Backbone model = weights::loadPretrained("mobilenet_v2", weightsPath(shared));
    const auto transform = data::EvalTransform::forModel(zoo::modelInfo("mobilenet_v2"));
    const viz::PreparedImage img = viz::prepareImageFile(shared + "/images/parrot.jpg", transform);
    ASSERT_EQ(img.original.size(), cv::Size(512, 929));
    for (const auto method : {viz::CamMethod::GradCam, viz::CamMethod::GradCamPlusPlus}) {
        viz::GradCamOptions o;
        o.method = method;
        const viz::Heatmap h = viz::gradCam(*model, img, o);
        EXPECT_EQ(h.layer, "features.18");
        EXPECT_EQ(zoo::imagenetCategories()[h.predictedIndex], "macaw");
        EXPECT_EQ(h.classIndex, h.predictedIndex);
        ASSERT_EQ(h.overlay.size(), img.original.size());
        const double all = cv::sum(h.mapOriginal)[0];
        ASSERT_GT(all, 0.0);
        const double inside = cv::sum(h.mapOriginal(kParrotBody))[0];
        EXPECT_GT(inside / all, 0.5) << "method " << static_cast<int>(method);
        // Denser on the bird than on the rest of the crop.
        const cv::Rect crop = cv::Rect(img.cropInOriginal) & cv::Rect(0, 0, 512, 929);
        const cv::Rect bodyInCrop = kParrotBody & crop;
        const double densityIn = inside / bodyInCrop.area();
        const double densityOut = (all - inside) / (crop.area() - bodyInCrop.area());
        EXPECT_GT(densityIn, 2.0 * densityOut) << "method " << static_cast<int>(method);
    }
}

TEST(VizReal, FirstLayerFiltersAreEdgesAndColourBlobs) {
    const std::string shared = ts::test::sharedDir();
    TS_REQUIRE_SHARED(shared);
    zoo::Backbone model = weights::loadPretrained("mobilenet_v2", weightsPath(shared));
    const viz::FilterGrid g = viz::filterGrid(*model);
    EXPECT_EQ(g.layer, "features.0.0");
    EXPECT_EQ(g.view, viz::FilterView::Rgb);
    EXPECT_EQ(g.filterIndices.size(), 32u);
    EXPECT_GT(channelCoupling(g.weights), 0.5);
    // The same measure on torchvision-initialised weights stays low.
    at::manual_seed(0);
    zoo::Backbone fresh = zoo::createModel("mobilenet_v2");
    EXPECT_LT(channelCoupling(viz::filterGrid(*fresh).weights), 0.4);
}

TEST(VizReal, FeatureMapsOfTheParrot) {
    const std::string shared = ts::test::sharedDir();
    TS_REQUIRE_SHARED(shared);
    zoo::Backbone model = weights::loadPretrained("mobilenet_v2", weightsPath(shared));
    const auto transform = data::EvalTransform::forModel(zoo::modelInfo("mobilenet_v2"));
    const viz::PreparedImage img = viz::prepareImageFile(shared + "/images/parrot.jpg", transform);
    viz::FeatureOptions o;
    o.layer = "features.4";
    const viz::FeatureMaps fm = viz::featureMaps(*model, img, o);
    ASSERT_EQ(fm.activations.sizes(), (at::IntArrayRef{32, 28, 28}));
    ASSERT_EQ(fm.topChannels.size(), 8u);
    EXPECT_GE(fm.stats[fm.topChannels[0]].mean, fm.stats[fm.topChannels[7]].mean);
    // features.4 ends in BatchNorm (no ReLU): few exact zeros.
    EXPECT_LT(fm.stats[fm.topChannels[0]].zeroFraction, 0.5);
    // The default layer ends in ReLU6: zeros appear, all values in [0, 6].
    const viz::FeatureMaps last = viz::featureMaps(*model, img);
    EXPECT_EQ(last.layer, "features.18");
    EXPECT_GE(last.activations.min().item<float>(), 0.f);
    EXPECT_LE(last.activations.max().item<float>(), 6.f);
}
