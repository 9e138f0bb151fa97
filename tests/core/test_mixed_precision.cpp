// Mixed precision: the autocast scope and the loss scaler behave as
// torch.autocast / torch.cuda.amp.GradScaler, and bfloat16 training on the
// CPU reaches float32's accuracy.
#include "core/common/Feedback.h"
#include "core/train/MixedPrecision.h"
#include "core/train/TrainConfig.h"
#include "core/train/Trainer.h"
#include "core/zoo/Registry.h"
#include "tests/support/TestSupport.h"

#include <ATen/Functions.h>
#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/cuda.h>

#include <cmath>
#include <limits>

using namespace ts;

namespace {

train::MixedPrecisionPlan cpuBFloat16() {
    train::MixedPrecisionPlan plan;
    plan.enabled = true;
    plan.dtype = at::kBFloat16;
    return plan;
}

/// Fine-tuning everything of tiny_cnn from random weights on a generated dataset.
train::TrainConfig tinyFineTuning(const std::string& data) {
    train::TrainConfig c;
    c.dataDir = data;
    c.arch = "tiny_cnn";
    c.pretrained = false;
    c.freeze = train::FreezePreset::none();
    c.augment.preset = data::AugmentPreset::None;
    c.epochs = 6;
    c.batchSize = 16;
    c.lr = 1e-2;
    c.seed = 7;
    return c;
}

} // namespace

TEST(GradScaler, UnscalesGradientsAndSkipsOverflowedSteps) {
    train::GradScaler scaler(true, 1024.0, 2.0, 0.5, /*growthInterval=*/3);
    at::Tensor p = at::zeros({3}).set_requires_grad(true);
    scaler.scaleLoss((p * at::tensor({1.0f, 2.0f, 3.0f})).sum()).backward();
    EXPECT_TRUE(at::allclose(p.grad(), at::tensor({1024.0f, 2048.0f, 3072.0f})));
    EXPECT_TRUE(scaler.unscaleAndCheck({p}));
    EXPECT_TRUE(at::allclose(p.grad(), at::tensor({1.0f, 2.0f, 3.0f})));

    p.mutable_grad().fill_(std::numeric_limits<float>::infinity());
    EXPECT_FALSE(scaler.unscaleAndCheck({p}));
    scaler.update(true);
    EXPECT_DOUBLE_EQ(scaler.scale(), 512.0);
    for (int i = 0; i < 3; ++i) scaler.update(false);
    EXPECT_DOUBLE_EQ(scaler.scale(), 1024.0) << "grows after growthInterval clean steps";

    train::GradScaler off(false);
    EXPECT_TRUE(off.unscaleAndCheck({p}));
    EXPECT_TRUE(at::isinf(p.grad()).all().item<bool>()) << "a disabled scaler leaves gradients alone";
}

TEST(AutocastScope, RunsMatmulsInBFloat16AndRestoresTheState) {
    const at::Tensor a = at::randn({4, 8}), w = at::randn({5, 8});
    ASSERT_FALSE(at::autocast::is_cpu_enabled());
    {
        train::AutocastScope scope(cpuBFloat16(), "cpu");
        EXPECT_TRUE(at::autocast::is_cpu_enabled());
        EXPECT_EQ(at::linear(a, w).scalar_type(), at::kBFloat16);
        {
            train::AutocastScope nested(cpuBFloat16(), "cpu");
            EXPECT_EQ(at::linear(a, w).scalar_type(), at::kBFloat16);
        }
        EXPECT_TRUE(at::autocast::is_cpu_enabled()) << "the inner scope restores the outer state";
    }
    EXPECT_FALSE(at::autocast::is_cpu_enabled());
    EXPECT_EQ(at::linear(a, w).scalar_type(), at::kFloat);
    {
        train::AutocastScope disabled(train::MixedPrecisionPlan{}, "cpu");
        EXPECT_FALSE(at::autocast::is_cpu_enabled());
    }
}

TEST(MixedPrecisionPlan, CudaUsesFloat16WithLossScaling) {
    const auto cuda = train::planMixedPrecision("cuda");
    EXPECT_TRUE(cuda.enabled);
    EXPECT_EQ(cuda.dtype, at::kHalf);
    EXPECT_TRUE(cuda.scaleLoss);
    const auto cpu = train::planMixedPrecision("cpu");
    EXPECT_FALSE(cpu.scaleLoss) << "bfloat16 has float32's range: no loss scaling";
    EXPECT_EQ(cpu.enabled, train::cpuHasNativeBFloat16());
    EXPECT_FALSE(cpu.note.empty());
}

TEST(MixedPrecision, BFloat16LogitsStayCloseToFloat32OnAZooModel) {
    // resnet18 with its default initialisation, in eval mode after one
    // training-mode pass so BatchNorm statistics are realistic.
    torch::manual_seed(3);
    auto model = zoo::createModel("resnet18", {10});
    const at::Tensor x = at::randn({8, 3, 96, 96});
    {
        torch::NoGradGuard g;
        model->train();
        model->forward(x);
        model->eval();
    }
    torch::NoGradGuard g;
    const at::Tensor ref = model->forward(x);
    at::Tensor low;
    {
        train::AutocastScope scope(cpuBFloat16(), "cpu");
        low = model->forward(x);
    }
    EXPECT_EQ(low.scalar_type(), at::kBFloat16);
    const double scale = ref.abs().max().item<double>();
    const double err = (low.to(at::kFloat) - ref).abs().max().item<double>();
    EXPECT_LT(err, 0.05 * scale) << "bfloat16 keeps ~3 significant digits";
    EXPECT_GT(err, 0.0) << "the autocast path really ran in lower precision";
}

TEST(MixedPrecision, BFloat16BackwardRunsThroughEveryActivationKind) {
    // mobilenet_v2 (ReLU6), mobilenet_v3_small (Hardswish, Hardsigmoid),
    // efficientnet_b0 (SiLU, Sigmoid): a training step under bfloat16 autocast.
    for (const char* arch : {"mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0"}) {
        SCOPED_TRACE(arch);
        torch::manual_seed(1);
        auto model = zoo::createModel(arch, {4});
        model->train();
        const at::Tensor x = at::randn({2, 3, 64, 64});
        at::Tensor logits;
        {
            train::AutocastScope scope(cpuBFloat16(), "cpu");
            logits = model->forward(x).to(at::kFloat);
        }
        ASSERT_NO_THROW(at::cross_entropy_loss(logits, at::tensor({0L, 3L})).backward());
        const at::Tensor g = model->parameters().front().grad();
        ASSERT_TRUE(g.defined());
        EXPECT_EQ(g.scalar_type(), at::kFloat) << "parameters and their gradients stay float32";
        EXPECT_TRUE(at::isfinite(g).all().item<bool>());
    }
}

TEST(MixedPrecision, BFloat16TrainingMatchesFloat32Accuracy) {
    if (!train::cpuHasNativeBFloat16())
        GTEST_SKIP() << "this CPU has no native bfloat16; mixed precision falls back to float32 here";
    test::TempDir data("ts-amp-data"), runs;
    test::makeSyntheticDataset(data.path(), 3, 30, 72, 11);
    train::TrainConfig c = tinyFineTuning(data.path());
    Feedback fb1, fb2;
    const auto fp32 = train::trainRun(c, runs.file("fp32"), {}, fb1);
    c.precision = train::Precision::Mixed;
    std::string log;
    train::TrainerCallbacks cb;
    cb.onLog = [&](const std::string& line) { log += line + "\n"; };
    const auto mixed = train::trainRun(c, runs.file("mixed"), cb, fb2);
    EXPECT_NE(log.find("bfloat16 autocast"), std::string::npos) << log;
    EXPECT_GT(mixed.bestValAccuracy, 0.8) << "3 classes: chance is 0.33";
    EXPECT_NEAR(mixed.bestValAccuracy, fp32.bestValAccuracy, 0.1);
}

// CUDA tests carry the _CUDA suffix and skip where no CUDA device is seen.
TEST(MixedPrecision, Float16TrainingOnCudaMatchesFloat32_CUDA) {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
    test::TempDir data("ts-amp-cuda-data"), runs;
    test::makeSyntheticDataset(data.path(), 3, 30, 72, 11);
    train::TrainConfig c = tinyFineTuning(data.path());
    c.device = train::DeviceChoice::CUDA;
    Feedback fb1, fb2;
    const auto fp32 = train::trainRun(c, runs.file("fp32"), {}, fb1);
    EXPECT_EQ(fp32.device, "cuda");
    c.precision = train::Precision::Mixed;
    std::string log;
    train::TrainerCallbacks cb;
    cb.onLog = [&](const std::string& line) { log += line + "\n"; };
    const auto mixed = train::trainRun(c, runs.file("mixed"), cb, fb2);
    EXPECT_NE(log.find("float16 autocast on CUDA"), std::string::npos) << log;
    EXPECT_GT(mixed.bestValAccuracy, 0.8);
    EXPECT_NEAR(mixed.bestValAccuracy, fp32.bestValAccuracy, 0.1);
}
