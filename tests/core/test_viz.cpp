// core/viz on hand-built models whose answers are known: filter-grid pixels of
// known weights, feature maps of a hand-made conv on a synthetic image,
// Grad-CAM peaks inside the object, saliency against finite differences,
// activation maximisation raising its target, and the model left as found.
#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/viz/Viz.h"
#include "core/zoo/Registry.h"
#include "core/zoo/Seq.h"

#include <ATen/Context.h>
#include <ATen/Functions.h>
#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/nn/modules/activation.h>

#include <cmath>

using namespace ts;

namespace {

// features: Seq(conv, act); head: Linear on the globally averaged map.
class HandNetImpl : public zoo::BackboneImpl {
public:
    HandNetImpl(int64_t in, int64_t out, int64_t k, int64_t classes, bool tanh = false) : BackboneImpl("hand_net") {
        m_features = register_module("features", zoo::Seq());
        m_features->add(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k).padding(k / 2)));
        if (tanh)
            m_features->add(torch::nn::Tanh());
        else
            m_features->add(torch::nn::ReLU());
        m_classifier = register_module("classifier", zoo::Seq());
        m_classifier->add(torch::nn::Linear(out, classes));
        finishSetup({{"conv", {"features.0"}}, {"act", {"features.1"}}, {"head", {"classifier.0"}}}, "classifier.0", out,
                    classes, "features.1");
    }
    torch::Tensor features(torch::Tensor x) override { return m_features->forward(x).mean({2, 3}); }
    torch::nn::Conv2dImpl& conv() { return *m_features->ptrAt(0)->as<torch::nn::Conv2dImpl>(); }
    torch::nn::LinearImpl& linear() { return *m_classifier->ptrAt(0)->as<torch::nn::LinearImpl>(); }

private:
    zoo::Seq m_features{nullptr};
    zoo::Seq m_classifier{nullptr};
};

// An identity transform (no resize, no crop change, mean 0, std 1): the
// tensor is the image / 255.
data::EvalTransform plainTransform(int side) {
    data::EvalTransform t;
    t.resizeSize = side;
    t.cropSize = side;
    t.mean = {0.f, 0.f, 0.f};
    t.std = {1.f, 1.f, 1.f};
    return t;
}

cv::Vec3b pixelAt(const cv::Mat& img, int x, int y) { return img.at<cv::Vec3b>(y, x); }

uint8_t expectedByte(float v, float lo, float hi) {
    return static_cast<uint8_t>(std::lround((v - lo) / (hi - lo) * 255.0f));
}

} // namespace

TEST(VizColormap, ViridisAndInfernoMatchMatplotlibAnchors) {
    // matplotlib's viridis / inferno at 0, 0.5 and 1 (#440154 #21918c #fde725;
    // #000004 #bc3754 #fcffa4).
    const struct {
        viz::Colormap map;
        double t;
        int r, g, b;
    } anchors[] = {{viz::Colormap::Viridis, 0.0, 68, 1, 84},   {viz::Colormap::Viridis, 0.5, 33, 145, 140},
                   {viz::Colormap::Viridis, 1.0, 253, 231, 37}, {viz::Colormap::Inferno, 0.0, 0, 0, 4},
                   {viz::Colormap::Inferno, 0.5, 188, 55, 84},  {viz::Colormap::Inferno, 1.0, 252, 255, 164}};
    for (const auto& a : anchors) {
        const auto c = viz::colormapRgb(a.map, a.t);
        EXPECT_NEAR(c[0], a.r, 5) << a.t;
        EXPECT_NEAR(c[1], a.g, 5) << a.t;
        EXPECT_NEAR(c[2], a.b, 5) << a.t;
    }
    // Viridis brightness grows monotonically (perceptual ordering).
    double prev = -1.0;
    for (int i = 0; i <= 20; ++i) {
        const auto c = viz::colormapRgb(viz::Colormap::Viridis, i / 20.0);
        const double luma = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
        EXPECT_GT(luma, prev) << i;
        prev = luma;
    }
    cv::Mat v(1, 3, CV_32F);
    v.at<float>(0) = 0.f;
    v.at<float>(1) = 0.5f;
    v.at<float>(2) = 2.f;  // clamped to 1
    const cv::Mat rgb = viz::applyColormap(v, viz::Colormap::Jet);
    ASSERT_EQ(rgb.type(), CV_8UC3);
    EXPECT_EQ(rgb.at<cv::Vec3b>(0, 2), cv::Vec3b(128, 0, 0));  // dark red at the top
    EXPECT_EQ(rgb.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 128));  // dark blue at the bottom
}

TEST(VizFilters, RgbTilesShowKnownWeights) {
    HandNetImpl net(3, 2, 3, 2);
    // filter 0: w[c][y][x] = c*9 + y*3 + x; filter 1: ten times that, negated.
    const at::Tensor base = at::arange(27, at::kFloat).view({3, 3, 3});
    {
        torch::NoGradGuard g;
        net.conv().weight.copy_(at::stack({base, -10 * base}));
    }
    for (const auto norm : {viz::Normalization::PerFilter, viz::Normalization::Global}) {
        viz::FilterOptions o;
        o.normalization = norm;
        o.tilePx = 24;  // each kernel tap is an 8x8 block
        const viz::FilterGrid g = viz::filterGrid(net, o);
        EXPECT_EQ(g.layer, "features.0");
        EXPECT_EQ(g.view, viz::FilterView::Rgb);
        ASSERT_EQ(g.filterIndices, (std::vector<int64_t>{0, 1}));
        ASSERT_EQ(g.cells.size(), 2u);
        ASSERT_EQ(g.image.type(), CV_8UC3);
        for (int f = 0; f < 2; ++f) {
            const at::Tensor w = f == 0 ? base : -10 * base;
            const float lo = norm == viz::Normalization::Global ? -260.f : w.min().item<float>();
            const float hi = norm == viz::Normalization::Global ? 26.f : w.max().item<float>();
            const cv::Rect cell = g.cells[f];
            EXPECT_EQ(cell.size(), cv::Size(24, 24));
            for (int y = 0; y < 3; ++y)
                for (int x = 0; x < 3; ++x)
                    for (int dy : {0, 7})
                        for (int dx : {0, 7}) {
                            const cv::Vec3b p = pixelAt(g.image, cell.x + x * 8 + dx, cell.y + y * 8 + dy);
                            for (int c = 0; c < 3; ++c)
                                EXPECT_EQ(p[c], expectedByte(w[c][y][x].item<float>(), lo, hi))
                                    << "filter " << f << " tap " << y << "," << x << " channel " << c;
                        }
        }
        EXPECT_NEAR(g.filterNorms[1], 10 * g.filterNorms[0], 1e-3 * g.filterNorms[1]);
    }
    viz::FilterOptions sorted;
    sorted.sortByNorm = true;
    EXPECT_EQ(viz::filterGrid(net, sorted).filterIndices, (std::vector<int64_t>{1, 0}));
    viz::FilterOptions one;
    one.maxFilters = 1;
    one.sortByNorm = true;
    EXPECT_EQ(viz::filterGrid(net, one).filterIndices, (std::vector<int64_t>{1}));
}

TEST(VizFilters, DeeperLayersShowChannelsMeanAndNorm) {
    HandNetImpl net(5, 3, 3, 2);
    at::manual_seed(1);
    const at::Tensor w = at::randn({3, 5, 3, 3});
    {
        torch::NoGradGuard g;
        net.conv().weight.copy_(w);
    }
    viz::FilterOptions o;
    o.tilePx = 9;
    o.maxChannels = 4;
    const viz::FilterGrid ch = viz::filterGrid(net, o);
    EXPECT_EQ(ch.view, viz::FilterView::Channels);
    EXPECT_EQ(ch.channelIndices, (std::vector<int64_t>{0, 1, 2, 3}));
    ASSERT_EQ(ch.cells.size(), 3u);
    for (int f = 0; f < 3; ++f) {
        const at::Tensor shown = w[f].narrow(0, 0, 4);
        const float lo = shown.min().item<float>(), hi = shown.max().item<float>();
        EXPECT_EQ(ch.cells[f].width, 4 * 10 - 1);
        for (int c = 0; c < 4; ++c)
            for (int y = 0; y < 3; ++y)
                for (int x = 0; x < 3; ++x) {
                    const cv::Vec3b p = pixelAt(ch.image, ch.cells[f].x + c * 10 + x * 3 + 1, ch.cells[f].y + y * 3 + 1);
                    EXPECT_EQ(p[0], expectedByte(shown[c][y][x].item<float>(), lo, hi)) << f << " " << c;
                    EXPECT_EQ(p[0], p[2]);  // grey
                }
    }
    o.view = viz::FilterView::Mean;
    const viz::FilterGrid mean = viz::filterGrid(net, o);
    const at::Tensor m = w.mean(1);
    for (int f = 0; f < 3; ++f) {
        const float lo = m[f].min().item<float>(), hi = m[f].max().item<float>();
        EXPECT_EQ(pixelAt(mean.image, mean.cells[f].x + 4, mean.cells[f].y + 7)[1],
                  expectedByte(m[f][2][1].item<float>(), lo, hi));
    }
    o.view = viz::FilterView::Norm;
    const viz::FilterGrid nrm = viz::filterGrid(net, o);
    const at::Tensor n = w.pow(2).sum(1).sqrt();
    const float lo = n[2].min().item<float>(), hi = n[2].max().item<float>();
    const auto c = viz::colormapRgb(viz::Colormap::Viridis, (n[2][0][2].item<float>() - lo) / (hi - lo));
    EXPECT_EQ(pixelAt(nrm.image, nrm.cells[2].x + 7, nrm.cells[2].y + 1), cv::Vec3b(c[0], c[1], c[2]));
    o.view = viz::FilterView::Rgb;
    EXPECT_THROW(viz::filterGrid(net, o), ConfigError);
    viz::FilterOptions bad;
    bad.layer = "features.1";  // a ReLU
    EXPECT_THROW(viz::filterGrid(net, bad), ModelError);
}

TEST(VizFeatures, HandBuiltConvOnSyntheticImage) {
    // Channel 0 = R (1x1 conv), channel 1 = 0.5 - R; both through ReLU. The
    // image is black with a white 4x4 square.
    HandNetImpl net(3, 2, 1, 2);
    {
        torch::NoGradGuard g;
        net.conv().weight.zero_();
        net.conv().weight[0][0][0][0] = 1.f;
        net.conv().weight[1][0][0][0] = -1.f;
        net.conv().bias.copy_(at::tensor({0.f, 0.5f}));
    }
    cv::Mat img(16, 16, CV_8UC3, cv::Scalar(0, 0, 0));
    img(cv::Rect(4, 8, 4, 4)).setTo(cv::Scalar(255, 255, 255));
    const viz::PreparedImage p = viz::prepareImage(img, plainTransform(16));
    viz::FeatureOptions o;
    o.tilePx = 48;  // 3x3 px per activation
    const viz::FeatureMaps fm = viz::featureMaps(net, p, o);
    EXPECT_EQ(fm.layer, "features.1");
    ASSERT_EQ(fm.activations.sizes(), (at::IntArrayRef{2, 16, 16}));
    EXPECT_FLOAT_EQ(fm.activations[0][9][5].item<float>(), 1.f);
    EXPECT_FLOAT_EQ(fm.activations[0][0][0].item<float>(), 0.f);
    EXPECT_FLOAT_EQ(fm.activations[1][0][0].item<float>(), 0.5f);
    EXPECT_FLOAT_EQ(fm.activations[1][9][5].item<float>(), 0.f);
    ASSERT_EQ(fm.stats.size(), 2u);
    EXPECT_NEAR(fm.stats[0].mean, 16.0 / 256.0, 1e-6);
    EXPECT_NEAR(fm.stats[0].max, 1.0, 1e-6);
    EXPECT_NEAR(fm.stats[0].zeroFraction, 240.0 / 256.0, 1e-6);
    EXPECT_NEAR(fm.stats[1].mean, 0.5 * 240.0 / 256.0, 1e-6);
    EXPECT_NEAR(fm.stats[1].zeroFraction, 16.0 / 256.0, 1e-6);
    EXPECT_EQ(fm.topChannels, (std::vector<int64_t>{1, 0}));
    ASSERT_EQ(fm.cells.size(), 2u);
    // Inside the square: channel 0 at its max (viridis 1), channel 1 at its min.
    const auto top = viz::colormapRgb(viz::Colormap::Viridis, 1.0);
    const auto bottom = viz::colormapRgb(viz::Colormap::Viridis, 0.0);
    const cv::Point inSquare(5 * 3 + 1, 9 * 3 + 1), outside(1, 1);
    EXPECT_EQ(pixelAt(fm.image, fm.cells[0].x + inSquare.x, fm.cells[0].y + inSquare.y), cv::Vec3b(top[0], top[1], top[2]));
    EXPECT_EQ(pixelAt(fm.image, fm.cells[0].x + outside.x, fm.cells[0].y + outside.y),
              cv::Vec3b(bottom[0], bottom[1], bottom[2]));
    EXPECT_EQ(pixelAt(fm.image, fm.cells[1].x + inSquare.x, fm.cells[1].y + inSquare.y),
              cv::Vec3b(bottom[0], bottom[1], bottom[2]));

    // The conv output (pre-ReLU) through its module path; top-k only.
    o.layer = "conv";
    o.onlyTopK = true;
    o.topK = 1;
    const viz::FeatureMaps conv = viz::featureMaps(net, p, o);
    EXPECT_EQ(conv.layer, "features.0");
    EXPECT_FLOAT_EQ(conv.activations[1][9][5].item<float>(), -0.5f);
    EXPECT_EQ(conv.shownChannels, (std::vector<int64_t>{1}));
}

namespace {

// Red detector (channel 0) and green detector (channel 1); class 0 = "red
// object", class 1 = "green object".
std::shared_ptr<HandNetImpl> colourNet() {
    auto net = std::make_shared<HandNetImpl>(3, 2, 1, 2);
    torch::NoGradGuard g;
    net->conv().weight.copy_(at::tensor({1.f, -1.f, -1.f, -1.f, 1.f, -1.f}).view({2, 3, 1, 1}));
    net->conv().bias.zero_();
    net->linear().weight.copy_(at::tensor({4.f, -4.f, -4.f, 4.f}).view({2, 2}));
    net->linear().bias.zero_();
    return net;
}

} // namespace

TEST(VizGradCam, PeakInsideTheObjectOnTheOriginalImage) {
    auto net = colourNet();
    // Original 64x48; the transform keeps the height (48) and crops the middle
    // 48 columns (x 8..55). Red box x 30..41, y 10..21; green box x 12..21, y 30..39.
    cv::Mat img(48, 64, CV_8UC3, cv::Scalar(60, 60, 60));
    const cv::Rect red(30, 10, 12, 12), green(12, 30, 10, 10);
    img(red).setTo(cv::Scalar(230, 20, 20));
    img(green).setTo(cv::Scalar(20, 230, 20));
    const viz::PreparedImage p = viz::prepareImage(img, plainTransform(48));
    EXPECT_NEAR(p.cropInOriginal.x, 8.0, 1e-9);
    EXPECT_NEAR(p.cropInOriginal.width, 48.0, 1e-9);

    for (const auto method : {viz::CamMethod::GradCam, viz::CamMethod::GradCamPlusPlus}) {
        for (const int64_t cls : {int64_t{-1}, int64_t{1}}) {
            viz::GradCamOptions o;
            o.method = method;
            o.classIndex = cls;
            const viz::Heatmap h = viz::gradCam(*net, p, o);
            EXPECT_EQ(h.layer, "features.1");
            EXPECT_EQ(h.predictedIndex, 0);  // the red box is larger
            const cv::Rect box = cls == 1 ? green : red;
            EXPECT_EQ(h.classIndex, cls == 1 ? 1 : 0);
            ASSERT_EQ(h.overlay.size(), img.size());
            ASSERT_EQ(h.mapOriginal.size(), img.size());
            ASSERT_EQ(h.heatmap.size(), cv::Size(48, 48));
            cv::Point peak;
            cv::minMaxLoc(h.mapOriginal, nullptr, nullptr, nullptr, &peak);
            EXPECT_TRUE(box.contains(peak)) << "peak " << peak << " method " << static_cast<int>(method) << " class " << cls;
            const double inside = cv::sum(h.mapOriginal(box))[0], all = cv::sum(h.mapOriginal)[0];
            EXPECT_GT(inside / all, 0.8) << static_cast<int>(method) << " class " << cls;
        }
    }
    // The conv output, a non-default layer, reached through its tap.
    viz::GradCamOptions atConv;
    atConv.layer = "features.0";
    const viz::Heatmap h = viz::gradCam(*net, p, atConv);
    EXPECT_EQ(h.layer, "features.0");
    cv::Point peak;
    cv::minMaxLoc(h.mapOriginal, nullptr, nullptr, nullptr, &peak);
    EXPECT_TRUE(red.contains(peak)) << peak;

    viz::GradCamOptions badClass;
    badClass.classIndex = 2;
    EXPECT_THROW(viz::gradCam(*net, p, badClass), ConfigError);
    viz::GradCamOptions badLayer;
    badLayer.layer = "nope";
    EXPECT_THROW(viz::gradCam(*net, p, badLayer), ModelError);
}

TEST(VizSaliency, VanillaGradientMatchesFiniteDifferences) {
    at::manual_seed(3);
    HandNetImpl net(3, 4, 3, 3, /*tanh=*/true);
    net.to(at::kDouble);
    cv::Mat img(12, 12, CV_8UC3);
    cv::randu(img, 0, 255);
    const viz::PreparedImage p = viz::prepareImage(img, plainTransform(12));
    viz::SaliencyOptions o;
    o.classIndex = 2;
    const viz::Heatmap h = viz::saliency(net, p, o);
    ASSERT_EQ(h.raw.sizes(), (at::IntArrayRef{3, 12, 12}));
    torch::NoGradGuard noGrad;
    const at::Tensor x = p.tensor.to(at::kDouble);
    const double eps = 1e-5;
    const int probes[][3] = {{0, 0, 0}, {1, 5, 7}, {2, 11, 3}, {0, 6, 6}, {1, 0, 11}, {2, 9, 1}};
    for (const auto& q : probes) {
        at::Tensor plus = x.clone(), minus = x.clone();
        plus[0][q[0]][q[1]][q[2]] += eps;
        minus[0][q[0]][q[1]][q[2]] -= eps;
        const double fd = (net.forward(plus)[0][2].item<double>() - net.forward(minus)[0][2].item<double>()) / (2 * eps);
        const double g = h.raw[q[0]][q[1]][q[2]].item<double>();
        EXPECT_NEAR(g, fd, 1e-5 + 1e-4 * std::abs(fd)) << q[0] << "," << q[1] << "," << q[2];
    }
    // The map is max_c |gradient|, scaled to a max of 1.
    const at::Tensor m = h.raw.abs().amax(0);
    const float mx = m.max().item<float>();
    EXPECT_NEAR(h.map.at<float>(7, 5), m[7][5].item<float>() / mx, 1e-5);
}

TEST(VizSaliency, SmoothGradIsSeededCancellableAndReportsProgress) {
    auto net = colourNet();
    cv::Mat img(24, 24, CV_8UC3, cv::Scalar(60, 60, 60));
    img(cv::Rect(6, 6, 8, 8)).setTo(cv::Scalar(230, 20, 20));
    const viz::PreparedImage p = viz::prepareImage(img, plainTransform(24));
    viz::SaliencyOptions o;
    o.method = viz::SaliencyMethod::SmoothGrad;
    o.samples = 6;
    o.seed = 7;
    Feedback fb;
    double last = 0.0;
    int calls = 0;
    fb.setProgressCallback([&](double f, const std::string&) { last = f, ++calls; }, 0);
    const viz::Heatmap a = viz::saliency(*net, p, o, &fb);
    EXPECT_GE(calls, 2);
    EXPECT_DOUBLE_EQ(last, 1.0);
    const viz::Heatmap b = viz::saliency(*net, p, o);
    EXPECT_TRUE(a.raw.equal(b.raw));
    o.seed = 8;
    EXPECT_FALSE(viz::saliency(*net, p, o).raw.equal(a.raw));
    Feedback cancelled;
    cancelled.cancel();
    EXPECT_THROW(viz::saliency(*net, p, o, &cancelled), Cancelled);
}

TEST(VizMaximize, RaisesTheTargetActivationAndLogit) {
    at::manual_seed(5);
    HandNetImpl net(3, 4, 3, 3);
    data::EvalTransform t = plainTransform(32);
    t.mean = {0.485f, 0.456f, 0.406f};
    t.std = {0.229f, 0.224f, 0.225f};
    viz::MaximizeOptions o;
    o.layer = "conv";
    o.channel = 2;
    o.octaves = 2;
    o.stepsPerOctave = 15;
    o.jitterPx = 2;
    Feedback fb;
    int calls = 0;
    fb.setProgressCallback([&](double, const std::string&) { ++calls; }, 0);
    const viz::MaximizeResult r = viz::maximizeActivation(net, t, o, &fb);
    EXPECT_EQ(r.layer, "features.0");
    EXPECT_EQ(calls, 30);
    EXPECT_EQ(r.history.size(), 30u);
    ASSERT_EQ(r.image.size(), cv::Size(32, 32));
    ASSERT_EQ(r.input.sizes(), (at::IntArrayRef{1, 3, 32, 32}));
    // Measure independently: the conv's channel 2 on the returned input.
    torch::NoGradGuard noGrad;
    const double measured = net.conv().forward(r.input)[0][2].mean().item<double>();
    EXPECT_NEAR(measured, r.finalObjective, 1e-4 + 1e-4 * std::abs(measured));
    EXPECT_GT(r.finalObjective, r.initialObjective + 0.5) << r.initialObjective << " -> " << r.finalObjective;

    viz::MaximizeOptions cls;
    cls.target = viz::MaximizeTarget::Class;
    cls.classIndex = 1;
    cls.octaves = 1;
    cls.stepsPerOctave = 20;
    const viz::MaximizeResult c = viz::maximizeActivation(net, t, cls);
    EXPECT_GT(c.finalObjective, c.initialObjective);
    EXPECT_NEAR(net.forward(c.input)[0][1].item<double>(), c.finalObjective, 1e-4);
    // Same seed, same picture.
    EXPECT_TRUE(viz::maximizeActivation(net, t, cls).input.equal(c.input));

    Feedback cancelled;
    cancelled.cancel();
    EXPECT_THROW(viz::maximizeActivation(net, t, o, &cancelled), Cancelled);
}

TEST(VizState, EveryViewLeavesTheModelAsFound) {
    auto net = colourNet();
    // A mixed state: training mode, the conv frozen and in eval mode, the head
    // trainable with a gradient already accumulated.
    net->train();
    net->conv().eval();
    net->conv().weight.set_requires_grad(false);
    net->conv().bias.set_requires_grad(false);
    net->linear().weight.mutable_grad() = at::full({2, 2}, 3.f);
    const at::Tensor gradBefore = net->linear().weight.grad().clone();

    auto check = [&](const std::string& what) {
        EXPECT_TRUE(net->is_training()) << what;
        EXPECT_FALSE(net->conv().is_training()) << what;
        EXPECT_TRUE(net->linear().is_training()) << what;
        EXPECT_FALSE(net->conv().weight.requires_grad()) << what;
        EXPECT_FALSE(net->conv().bias.requires_grad()) << what;
        EXPECT_TRUE(net->linear().weight.requires_grad()) << what;
        EXPECT_TRUE(net->linear().bias.requires_grad()) << what;
        EXPECT_FALSE(net->conv().weight.grad().defined()) << what;
        EXPECT_FALSE(net->linear().bias.grad().defined()) << what;
        ASSERT_TRUE(net->linear().weight.grad().defined()) << what;
        EXPECT_TRUE(net->linear().weight.grad().equal(gradBefore)) << what;
    };
    cv::Mat img(24, 24, CV_8UC3, cv::Scalar(60, 60, 60));
    img(cv::Rect(6, 6, 8, 8)).setTo(cv::Scalar(230, 20, 20));
    const viz::PreparedImage p = viz::prepareImage(img, plainTransform(24));

    viz::filterGrid(*net);
    check("filters");
    viz::featureMaps(*net, p);
    check("features");
    viz::GradCamOptions pp;
    pp.method = viz::CamMethod::GradCamPlusPlus;
    viz::gradCam(*net, p);
    viz::gradCam(*net, p, pp);
    check("gradcam");
    viz::SaliencyOptions sg;
    sg.method = viz::SaliencyMethod::SmoothGrad;
    sg.samples = 3;
    viz::saliency(*net, p);
    viz::saliency(*net, p, sg);
    check("saliency");
    viz::MaximizeOptions mo;
    mo.octaves = 1;
    mo.stepsPerOctave = 3;
    viz::maximizeActivation(*net, plainTransform(24), mo);
    check("maximize");
    viz::listLayers(*net, 24);
    check("layers");
    viz::GradCamOptions bad;
    bad.layer = "classifier.0";  // not spatial: throws half-way through
    EXPECT_THROW(viz::gradCam(*net, p, bad), ModelError);
    check("failed gradcam");
    Feedback cancelled;
    cancelled.cancel();
    EXPECT_THROW(viz::maximizeActivation(*net, plainTransform(24), mo, &cancelled), Cancelled);
    check("cancelled maximize");
}

TEST(VizLayers, ListsStagesAndConvolutionsWithShapes) {
    auto net = colourNet();
    const auto layers = viz::listLayers(*net, 20);
    ASSERT_EQ(layers.size(), 2u);
    EXPECT_EQ(layers[0].name, "conv");
    EXPECT_EQ(layers[0].modulePath, "features.0");
    EXPECT_EQ(layers[0].inChannels, 3);
    EXPECT_EQ(layers[0].outChannels, 2);
    EXPECT_EQ(layers[0].outputShape, (std::vector<int64_t>{1, 2, 20, 20}));
    EXPECT_EQ(layers[1].name, "act");
    EXPECT_TRUE(layers[1].isGradCamDefault);

    at::manual_seed(0);
    zoo::Backbone mobile = zoo::createModel("mobilenet_v2");
    const auto all = viz::listLayers(*mobile, 224);
    auto find = [&](const std::string& name) -> const viz::LayerInfo* {
        for (const auto& l : all)
            if (l.name == name) return &l;
        return nullptr;
    };
    const auto* first = find("features.0.0");
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(first->kind, viz::LayerKind::Conv);
    EXPECT_EQ(first->outputShape, (std::vector<int64_t>{1, 32, 112, 112}));
    EXPECT_EQ(first->kernelH, 3);
    const auto* stem = find("stem");
    ASSERT_NE(stem, nullptr);
    EXPECT_EQ(stem->modulePath, "features.0");
    const auto* last = find("features.18");
    ASSERT_NE(last, nullptr);
    EXPECT_TRUE(last->isGradCamDefault);
    EXPECT_EQ(last->outputShape, (std::vector<int64_t>{1, 1280, 7, 7}));
    EXPECT_NE(find("features.17.conv.1.0"), nullptr);  // a depthwise conv deep inside a block
    EXPECT_EQ(find("head"), nullptr);                  // not spatial
    EXPECT_EQ(viz::resolveLayer(*mobile, "stem (features.0)"), "features.0");
    EXPECT_THROW(viz::resolveLayer(*mobile, "features.99"), ModelError);
    // Every listed layer works for Grad-CAM and feature maps.
    cv::Mat img(64, 64, CV_8UC3, cv::Scalar(90, 120, 30));
    const viz::PreparedImage p = viz::prepareImage(img, plainTransform(64));
    viz::GradCamOptions o;
    o.layer = "features.17.conv.1.0";
    EXPECT_EQ(viz::gradCam(*mobile, p, o).raw.sizes(), (at::IntArrayRef{2, 2}));
}

namespace {
class VizZoo : public ::testing::TestWithParam<std::string> {};
} // namespace

// Every architecture of the zoo: the default layers of every view are
// observable through taps, Grad-CAM gives a finite non-negative map at the
// network's input size, and the model is left in training mode as it was.
TEST_P(VizZoo, EveryViewRunsOnTheDefaults) {
    const std::string arch = GetParam();
    at::manual_seed(0);
    zoo::Backbone model = zoo::createModel(arch, {5});
    model->train();
    const int side = arch == "inception_v3" ? 96 : 64;
    cv::Mat img(side + 10, side, CV_8UC3);
    cv::randu(img, 0, 255);
    data::EvalTransform t = plainTransform(side);
    t.mean = {0.485f, 0.456f, 0.406f};
    t.std = {0.229f, 0.224f, 0.225f};
    const viz::PreparedImage p = viz::prepareImage(img, t);
    const viz::FilterGrid f = viz::filterGrid(*model);
    EXPECT_FALSE(f.image.empty()) << arch;
    const auto layers = viz::listLayers(*model, side);
    ASSERT_FALSE(layers.empty()) << arch;
    bool camListed = false;
    for (const auto& l : layers) camListed = camListed || l.isGradCamDefault;
    EXPECT_TRUE(camListed) << arch << ": the Grad-CAM layer " << model->gradCamLayer() << " is not listed";
    const viz::FeatureMaps fm = viz::featureMaps(*model, p);
    EXPECT_EQ(fm.layer, model->gradCamLayer());
    const viz::Heatmap h = viz::gradCam(*model, p);
    ASSERT_EQ(h.map.size(), cv::Size(side, side)) << arch;
    EXPECT_TRUE(at::isfinite(h.raw).all().item<bool>()) << arch;
    EXPECT_GE(h.raw.min().item<float>(), 0.f) << arch;
    EXPECT_LT(h.classIndex, 5) << arch;
    EXPECT_TRUE(model->is_training()) << arch;
    for (const auto& prm : model->parameters()) {
        EXPECT_TRUE(prm.requires_grad()) << arch;
        EXPECT_FALSE(prm.grad().defined()) << arch;
    }
}

INSTANTIATE_TEST_SUITE_P(Zoo, VizZoo, ::testing::ValuesIn(zoo::modelNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// The same views on a CUDA copy of a model give the CPU's answers (skipped
// without a CUDA device).
TEST(VizDevice, GradCamAndSaliencyOnCudaMatchCpu_CUDA) {
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device: skipped";
    auto cpu = colourNet();
    auto gpu = colourNet();
    gpu->to(at::kCUDA);
    cv::Mat img(24, 24, CV_8UC3, cv::Scalar(60, 60, 60));
    img(cv::Rect(6, 6, 8, 8)).setTo(cv::Scalar(230, 20, 20));
    const viz::PreparedImage p = viz::prepareImage(img, plainTransform(24));
    EXPECT_TRUE(at::allclose(viz::gradCam(*cpu, p).raw, viz::gradCam(*gpu, p).raw, 1e-4, 1e-5));
    EXPECT_TRUE(at::allclose(viz::saliency(*cpu, p).raw, viz::saliency(*gpu, p).raw, 1e-4, 1e-5));
    EXPECT_TRUE(at::allclose(viz::featureMaps(*cpu, p).activations, viz::featureMaps(*gpu, p).activations, 1e-4, 1e-5));
    viz::MaximizeOptions o;
    o.octaves = 1;
    o.stepsPerOctave = 3;
    const auto r = viz::maximizeActivation(*gpu, plainTransform(24), o);
    EXPECT_EQ(r.input.device().type(), at::kCPU);
    EXPECT_GT(r.finalObjective, r.initialObjective);
}
