#pragma once
// Seeing inside the network: filters, feature maps, Grad-CAM / Grad-CAM++,
// saliency (vanilla gradient, SmoothGrad) and activation maximisation for any
// zoo model (official or imported weights, or a trained run).
//
// Every view returns a value type holding ready-to-show 8-bit RGB images
// (cv::Mat CV_8UC3, RGB channel order, continuous) plus the raw tensors and
// the labels / statistics behind them.
//
// Layer names: the dotted module paths of named_modules() ("features.0.0",
// "layer4.1.conv2") and the stage names of BackboneImpl::stages() ("layer4",
// "features.7"; a stage name such as "stem (features.0)" is also accepted as
// its module path). listLayers() tells which names can be chosen.
//
// Contracts shared by every function below:
//  - Requires: `model` is a zoo model built by the registry, loaded from a
//    bundle, or any BackboneImpl whose forward taps its modules (Seq children
//    are tapped automatically). Inputs may live anywhere: they are moved to the
//    device of the model's first parameter (CPU or CUDA).
//  - Ensures: the model is left as it was found: train/eval mode of every
//    module, every parameter's requires_grad flag, and no .grad left behind
//    (parameters that had a gradient before keep it untouched). The views run
//    the model in eval mode (BatchNorm statistics are never updated).
//  - Gradients are taken with respect to the input or to a tapped activation,
//    never to parameters, so they work with fully frozen models.
//  - Errors: ts::ModelError for an unknown or unsuitable layer (the message
//    lists valid names or says how to list them: `tstudio viz layers`),
//    ts::ConfigError for invalid options, ts::Cancelled when the feedback
//    object is cancelled.
//  - Thread safety: no global state. A model may be used by one thread at a
//    time (like any torch::nn::Module); different models may be visualised
//    concurrently. Long views take an optional ts::Feedback for cancel and
//    progress; the GUI calls them from a worker thread.
#include "core/data/Preprocess.h"
#include "core/zoo/Backbone.h"

#include <ATen/Tensor.h>
#include <opencv2/core/mat.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ts {
class Feedback;
}

namespace ts::viz {

// ---------------------------------------------------------------------------
// Colour maps
// ---------------------------------------------------------------------------

enum class Colormap {
    Viridis,  ///< perceptually uniform, dark blue -> yellow (feature maps)
    Inferno,  ///< perceptually uniform, black -> yellow (saliency)
    Jet,      ///< blue -> red, the classic Grad-CAM look (heatmaps)
    Gray,     ///< black -> white
};

/// The colour of `t` in [0,1] (clamped) as 8-bit RGB.
std::array<uint8_t, 3> colormapRgb(Colormap map, double t);

/// Maps a single-channel float image (CV_32F or CV_64F) to CV_8UC3 RGB.
/// Values are clamped to [lo, hi] and scaled to [0,1] first; with lo == hi
/// the image's own min/max are used (a constant image maps to t = 0).
cv::Mat applyColormap(const cv::Mat& values, Colormap map, double lo = 0.0, double hi = 1.0);

// ---------------------------------------------------------------------------
// Input images
// ---------------------------------------------------------------------------

/// An image ready for the views: the original photo and exactly what the
/// model's eval preprocessing makes of it.
struct PreparedImage {
    /// The original RGB 8-bit image, at its own size.
    cv::Mat original;
    /// What the network sees: resized and center-cropped RGB 8-bit image.
    cv::Mat networkView;
    /// The normalised input (1, 3, crop, crop), float32, CPU.
    at::Tensor tensor;
    /// Region of `original` (in its pixels) that the crop covers; heatmaps
    /// are mapped back onto the original through it.
    cv::Rect2d cropInOriginal;
    /// The transform that produced `tensor` (mean/std are needed to show
    /// gradients and optimised inputs as images).
    data::EvalTransform transform;
};

/// Applies `transform` (EvalTransform::forModel(info) for official weights,
/// the bundle's meta.transform for a trained run) to an RGB 8-bit image.
PreparedImage prepareImage(const cv::Mat& rgb, const data::EvalTransform& transform);

/// Decodes `path` (EXIF orientation applied) and prepares it.
PreparedImage prepareImageFile(const std::string& path, const data::EvalTransform& transform);

// ---------------------------------------------------------------------------
// Layers
// ---------------------------------------------------------------------------

enum class LayerKind {
    Stage,  ///< the output of one of the model's stages (BackboneImpl::stages())
    Conv,   ///< the output of a Conv2d module
};

/// One layer that the views can look at.
struct LayerInfo {
    /// Name to pass as `layer` in the options: a module path, or a stage name.
    std::string name;
    /// The module path whose output this is (== name for convolutions).
    std::string modulePath;
    LayerKind kind = LayerKind::Conv;
    /// "Conv2d", "stage", "stage (Conv2d)" (a stage ending in a conv), or the
    /// module type of a Grad-CAM layer that is neither ("ReLU").
    std::string type;
    /// Output shape (1, C, H, W) for one input of the model's input size.
    std::vector<int64_t> outputShape;
    /// Conv2d only: in/out channels, kernel size and groups (0 otherwise).
    int64_t inChannels = 0;
    int64_t outChannels = 0;
    int64_t kernelH = 0;
    int64_t kernelW = 0;
    int64_t groups = 0;
    /// True for the model's registered Grad-CAM layer (gradCamLayer()).
    bool isGradCamDefault = false;
};

/// Every stage and Conv2d whose output is a 4-D map, and the registered
/// Grad-CAM layer (AlexNet's is a ReLU), in forward order (stages and
/// convolutions interleaved as they run), measured with one forward pass
/// of a (1, 3, inputSize, inputSize) zero image. Restores the model's state.
std::vector<LayerInfo> listLayers(zoo::BackboneImpl& model, int inputSize);

/// The module path a layer name refers to (a module path itself, a stage
/// name, or a stage's "name (path)" display form); throws ts::ModelError when
/// the name is unknown.
std::string resolveLayer(const zoo::BackboneImpl& model, const std::string& name);

// ---------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------

enum class FilterView {
    Auto,      ///< Rgb for a conv with 3 input channels per group, else Channels
    Rgb,       ///< one colour tile per output filter (needs 3 input channels)
    Channels,  ///< one row per output filter: its input-channel kernels (grey)
    Mean,      ///< one grey tile per output filter: the mean over input channels
    Norm,      ///< one viridis tile per output filter: the L2 norm over input channels
};

enum class Normalization {
    PerFilter,  ///< each filter (or channel map) scaled by its own min/max
    Global,     ///< one min/max over everything shown
};

/// Options of filterGrid().
struct FilterOptions {
    /// Conv2d module path. Empty (default): the first convolution the input
    /// meets.
    std::string layer;
    /// How to draw each filter. Default Auto.
    FilterView view = FilterView::Auto;
    /// Min/max scaling to [0,255]. Default PerFilter.
    Normalization normalization = Normalization::PerFilter;
    /// Show filters by decreasing L2 norm instead of index order. Default false.
    bool sortByNorm = false;
    /// Most filters shown (the first ones, or the strongest with sortByNorm).
    /// Default 64; <= 0 shows all.
    int maxFilters = 64;
    /// Channels view: most input channels shown per filter. Default 16.
    int maxChannels = 16;
    /// Side of one kernel tile in pixels (the kernel is scaled up with
    /// nearest-neighbour, so every kernel tap is a flat square). 0 (default):
    /// the smallest multiple of the kernel size that is >= 24 px.
    int tilePx = 0;
    /// Draw a title (layer name) and the filter index above each tile.
    /// Default true.
    bool labels = true;
};

/// A grid of convolution filters.
struct FilterGrid {
    /// The Conv2d module path shown.
    std::string layer;
    FilterView view = FilterView::Rgb;
    /// The grid, CV_8UC3 RGB, ready to show.
    cv::Mat image;
    /// The layer's weights (out, in/groups, kH, kW), float32, CPU (a copy).
    at::Tensor weights;
    /// The filters shown, in grid order (row-major).
    std::vector<int64_t> filterIndices;
    /// L2 norm of each shown filter (same order as filterIndices).
    std::vector<double> filterNorms;
    /// Channels view: the input channels shown for every filter.
    std::vector<int64_t> channelIndices;
    /// Where each shown filter lies in `image` (same order as filterIndices).
    /// In the Channels view the rectangle spans the filter's whole row of
    /// kernels; kernel c lies at x + c * (tilePx + 1).
    std::vector<cv::Rect> cells;
    /// The tile side used, in pixels.
    int tilePx = 0;
};

/// Draws the filters of a Conv2d layer. Does not run the model.
FilterGrid filterGrid(zoo::BackboneImpl& model, const FilterOptions& options = {});

// ---------------------------------------------------------------------------
// Feature maps
// ---------------------------------------------------------------------------

/// Statistics of one channel of an activation map.
struct ChannelStats {
    int64_t channel = 0;
    double mean = 0.0;
    double max = 0.0;
    /// Fraction of exact zeros (after ReLU: the "dead" part of the map).
    double zeroFraction = 0.0;
};

/// Options of featureMaps().
struct FeatureOptions {
    /// Stage name, or module path of a stage or conv. Empty (default): the
    /// model's Grad-CAM layer (the last spatial stage).
    std::string layer;
    /// Most channels drawn in the grid (channels 0..n-1, or the top-k when
    /// onlyTopK). Default 64; <= 0 draws all.
    int maxChannels = 64;
    /// How many most-active channels (by mean activation) to report. Default 8.
    int topK = 8;
    /// Draw only the top-k channels, most active first. Default false.
    bool onlyTopK = false;
    /// Scaling of each map to [0,1] before the colour map. Default PerFilter
    /// (each channel its own min/max); Global shares one min/max.
    Normalization normalization = Normalization::PerFilter;
    /// Colour map of the grid. Default Viridis.
    Colormap colormap = Colormap::Viridis;
    /// Side of one channel tile in pixels (nearest-neighbour scaling).
    /// 0 (default): the smallest multiple of the map size that is >= 48 px.
    int tilePx = 0;
    /// Draw a title and the channel index above each tile. Default true.
    bool labels = true;
};

/// The activations of one layer for one image.
struct FeatureMaps {
    /// The module path observed.
    std::string layer;
    /// The grid, CV_8UC3 RGB.
    cv::Mat image;
    /// The activations (C, H, W), float32, CPU.
    at::Tensor activations;
    /// One entry per channel, in channel order.
    std::vector<ChannelStats> stats;
    /// The topK channels with the largest mean activation, most active first.
    std::vector<int64_t> topChannels;
    /// The channels drawn, in grid order, and where each lies in `image`.
    std::vector<int64_t> shownChannels;
    std::vector<cv::Rect> cells;
    int tilePx = 0;
};

/// Runs the model on `image` (exactly its eval preprocessing, see
/// prepareImage) and draws the chosen layer's activations.
FeatureMaps featureMaps(zoo::BackboneImpl& model, const PreparedImage& image, const FeatureOptions& options = {});

// ---------------------------------------------------------------------------
// Class heatmaps: Grad-CAM, Grad-CAM++, saliency
// ---------------------------------------------------------------------------

/// A per-pixel importance map for one class.
struct Heatmap {
    /// The module path used (Grad-CAM), or "input" (saliency).
    std::string layer;
    /// The class explained and the model's logit / softmax probability for it.
    int64_t classIndex = 0;
    double logit = 0.0;
    double probability = 0.0;
    /// The class the model predicts (arg max of the logits).
    int64_t predictedIndex = 0;
    /// The raw map before upsampling: Grad-CAM (h, w) at the layer's
    /// resolution (ReLU applied, not normalised); saliency (3, H, W) input
    /// gradients (SmoothGrad: the mean of their absolute values). float32, CPU.
    at::Tensor raw;
    /// Importance at the network's input size (crop x crop), CV_32F in [0,1]
    /// (divided by its max; all zero when the map is zero).
    cv::Mat map;
    /// Importance on the original image, CV_32F in [0,1], original size; zero
    /// outside the center crop.
    cv::Mat mapOriginal;
    /// `map` through the colour map, CV_8UC3 RGB, crop x crop.
    cv::Mat heatmap;
    /// The heatmap blended over the original image at its own size, CV_8UC3
    /// RGB: each pixel takes alpha * sqrt(mapOriginal) of the colour map, so
    /// cold regions show the photo; outside the crop the photo is dimmed.
    cv::Mat overlay;
};

enum class CamMethod { GradCam, GradCamPlusPlus };

/// Options of gradCam().
struct GradCamOptions {
    /// Stage name, or module path of a stage or conv. Empty (default): the
    /// model's registered target layer (BackboneImpl::gradCamLayer()).
    std::string layer;
    /// Class to explain. -1 (default): the predicted class.
    int64_t classIndex = -1;
    /// Default GradCam.
    CamMethod method = CamMethod::GradCam;
    /// Colour map of the heatmap. Default Jet.
    Colormap colormap = Colormap::Jet;
    /// Weight of the heatmap in the overlay, in [0,1]. Default 0.5.
    double overlayAlpha = 0.5;
};

/// Grad-CAM (Selvaraju et al. 2017) or Grad-CAM++ (Chattopadhay et al. 2018)
/// of the class logit with respect to the chosen layer's output (obtained
/// through a tap, so frozen parameters are fine).
Heatmap gradCam(zoo::BackboneImpl& model, const PreparedImage& image, const GradCamOptions& options = {});

enum class SaliencyMethod { Vanilla, SmoothGrad };

/// Options of saliency().
struct SaliencyOptions {
    /// Class to explain. -1 (default): the predicted class.
    int64_t classIndex = -1;
    /// Default Vanilla (one gradient).
    SaliencyMethod method = SaliencyMethod::Vanilla;
    /// SmoothGrad: noisy copies averaged. Default 25.
    int samples = 25;
    /// SmoothGrad: noise std as a fraction of the input's (max - min). Default 0.15.
    double noiseFraction = 0.15;
    /// SmoothGrad: seed of the noise (same seed, same map). Default 0.
    uint64_t seed = 0;
    /// Colour map of the heatmap. Default Inferno.
    Colormap colormap = Colormap::Inferno;
    /// Weight of the heatmap in the overlay, in [0,1]. Default 0.6.
    double overlayAlpha = 0.6;
};

/// Gradient of the class logit with respect to the normalised input pixels
/// (Simonyan et al. 2014); the map is the max over colour channels of the
/// absolute gradient. SmoothGrad (Smilkov et al. 2017) averages it over noisy
/// copies of the input. `feedback` (optional) reports progress and cancels
/// between samples.
Heatmap saliency(zoo::BackboneImpl& model, const PreparedImage& image, const SaliencyOptions& options = {},
                 Feedback* feedback = nullptr);

// ---------------------------------------------------------------------------
// Activation maximisation
// ---------------------------------------------------------------------------

enum class MaximizeTarget {
    Filter,  ///< the mean activation of one channel of `layer`
    Class,   ///< one class logit
};

/// Options of maximizeActivation().
struct MaximizeOptions {
    /// What to maximise. Default Filter.
    MaximizeTarget target = MaximizeTarget::Filter;
    /// Filter target: stage name, or module path of a stage or conv. Empty
    /// (default): the model's Grad-CAM layer.
    std::string layer;
    /// Filter target: the channel of `layer`. Default 0.
    int64_t channel = 0;
    /// Class target: the class index. Default 0.
    int64_t classIndex = 0;
    /// Side of the final image in pixels. 0 (default): the transform's crop size.
    int sizePx = 0;
    /// Number of octaves; each starts from the previous result upscaled by
    /// octaveScale, the last one is at sizePx. Default 3.
    int octaves = 3;
    /// Image growth between octaves. Default 1.4.
    double octaveScale = 1.4;
    /// Gradient-ascent steps per octave. Default 40.
    int stepsPerOctave = 40;
    /// Step size, applied to the gradient normalised by its mean absolute
    /// value (normalised-input units). Default 0.05.
    double stepSize = 0.05;
    /// Random shift of the image before each step, in pixels (0 = none).
    /// Default 8.
    int jitterPx = 8;
    /// Gaussian blur of the image every blurEvery steps (0 = never). Default 4.
    int blurEvery = 4;
    /// Sigma of that blur in pixels. Default 0.5.
    double blurSigma = 0.5;
    /// Weight decay: the image is multiplied by (1 - decay) after each step.
    /// Default 0.01.
    double decay = 0.01;
    /// Seed of the initial noise and the jitter (same seed, same picture).
    /// Default 0.
    uint64_t seed = 0;
};

/// The result of activation maximisation.
struct MaximizeResult {
    /// The optimised image, CV_8UC3 RGB, sizePx x sizePx (un-normalised with
    /// the transform's mean/std, clipped to [0,255]).
    cv::Mat image;
    /// The optimised normalised input (1, 3, sizePx, sizePx), float32, CPU.
    at::Tensor input;
    /// The module path (Filter target) or "logits" (Class target).
    std::string layer;
    /// The objective on the initial noise image (at sizePx) and on the result.
    double initialObjective = 0.0;
    double finalObjective = 0.0;
    /// The objective after each step (all octaves).
    std::vector<double> history;
};

/// Gradient ascent on the input image, with jitter, blur and decay, over
/// several octaves: "what does this filter (or class) look for". `transform`
/// gives mean/std (and the default size). `feedback` (optional) reports
/// progress after each step and cancels between steps (ts::Cancelled).
MaximizeResult maximizeActivation(zoo::BackboneImpl& model, const data::EvalTransform& transform,
                                  const MaximizeOptions& options = {}, Feedback* feedback = nullptr);

// ---------------------------------------------------------------------------
// Grids and labels (used by the views, public for the GUI and the CLI)
// ---------------------------------------------------------------------------

/// Draws `text` with OpenCV's Hershey font on a white band above `image`
/// (CV_8UC3) and returns the taller image.
cv::Mat addTitle(const cv::Mat& image, const std::string& text);

} // namespace ts::viz
