#pragma once
// Mixed precision for training and inference: autocast scopes and a gradient
// scaler.
//
//   CUDA: float16 autocast with dynamic loss scaling (as torch.cuda.amp).
//   CPU:  bfloat16 autocast (as torch.autocast("cpu")), only where the CPU has
//         native bfloat16 instructions (AVX512-BF16 or AMX); elsewhere bfloat16
//         is emulated and slower than float32, so mixed precision falls back to
//         float32 and says so. bfloat16 has float32's exponent range, so no
//         loss scaling is needed there.
//
// Thread safety: autocast state is thread-local in LibTorch; an AutocastScope
// affects only the thread that created it.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace ts::train {

/// What "precision: mixed" means on a device, and why.
struct MixedPrecisionPlan {
    /// True when autocast is used; false = float32.
    bool enabled = false;
    /// The lower-precision type: at::kHalf on CUDA, at::kBFloat16 on CPU.
    at::ScalarType dtype = at::kFloat;
    /// True when losses are scaled (float16 on CUDA).
    bool scaleLoss = false;
    /// One line for the log: what is used and why.
    std::string note;
};

/// The plan for `device` ("cpu" or "cuda") when mixed precision is asked for.
MixedPrecisionPlan planMixedPrecision(const std::string& device);

/// True when this CPU executes bfloat16 natively (AVX512-BF16 or AMX-BF16).
bool cpuHasNativeBFloat16();

/// Enables autocast for the plan's device and dtype for its lifetime; restores
/// the previous state (and clears the autocast weight cache) on exit. Does
/// nothing for a disabled plan.
class AutocastScope {
public:
    AutocastScope(const MixedPrecisionPlan& plan, const std::string& device);
    ~AutocastScope();
    AutocastScope(const AutocastScope&) = delete;
    AutocastScope& operator=(const AutocastScope&) = delete;

private:
    bool m_active = false;
    bool m_cuda = false;
    bool m_wasEnabled = false;
    at::ScalarType m_previousDtype = at::kFloat;
};

/// Dynamic loss scaling (torch.cuda.amp.GradScaler's algorithm): multiply the
/// loss by `scale()` before backward; `unscaleAndCheck` divides the gradients
/// back and reports whether all are finite; `update` halves the scale after an
/// overflow (that step is skipped) and doubles it after `growthInterval`
/// clean steps.
class GradScaler {
public:
    /// Defaults as PyTorch: initial 2^16, growth 2, backoff 0.5, interval 2000.
    explicit GradScaler(bool enabled, double initialScale = 65536.0, double growthFactor = 2.0,
                        double backoffFactor = 0.5, int growthInterval = 2000);

    bool enabled() const { return m_enabled; }
    double scale() const { return m_scale; }
    void setScale(double scale) { m_scale = scale; }

    /// loss * scale (or loss itself when disabled).
    at::Tensor scaleLoss(const at::Tensor& loss) const;
    /// Divides every defined gradient by the scale; true when all are finite.
    /// When disabled: true, gradients untouched.
    bool unscaleAndCheck(const std::vector<at::Tensor>& params) const;
    /// After a step: `foundInf` = !unscaleAndCheck(...).
    void update(bool foundInf);

private:
    bool m_enabled;
    double m_scale;
    double m_growthFactor;
    double m_backoffFactor;
    int m_growthInterval;
    int m_cleanSteps = 0;
};

} // namespace ts::train
