#include "core/train/MixedPrecision.h"

#include <ATen/autocast_mode.h>
#include <ATen/ops/isfinite.h>
#include <torch/version.h>

#include <fstream>
#include <sstream>

// LibTorch 2.4 replaced the per-device autocast setters by ones taking a
// device type; the old ones are deprecated there.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define TS_AUTOCAST_BY_DEVICE_TYPE 1
#endif

namespace ts::train {

namespace {

bool autocastEnabled(bool cuda) {
#ifdef TS_AUTOCAST_BY_DEVICE_TYPE
    return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU);
#else
    return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

void setAutocastEnabled(bool cuda, bool enabled) {
#ifdef TS_AUTOCAST_BY_DEVICE_TYPE
    at::autocast::set_autocast_enabled(cuda ? at::kCUDA : at::kCPU, enabled);
#else
    if (cuda)
        at::autocast::set_enabled(enabled);
    else
        at::autocast::set_cpu_enabled(enabled);
#endif
}

at::ScalarType autocastDtype(bool cuda) {
#ifdef TS_AUTOCAST_BY_DEVICE_TYPE
    return at::autocast::get_autocast_dtype(cuda ? at::kCUDA : at::kCPU);
#else
    return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

void setAutocastDtype(bool cuda, at::ScalarType dtype) {
#ifdef TS_AUTOCAST_BY_DEVICE_TYPE
    at::autocast::set_autocast_dtype(cuda ? at::kCUDA : at::kCPU, dtype);
#else
    if (cuda)
        at::autocast::set_autocast_gpu_dtype(dtype);
    else
        at::autocast::set_autocast_cpu_dtype(dtype);
#endif
}

} // namespace

bool cpuHasNativeBFloat16() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("flags", 0) != 0) continue;
        std::istringstream words(line);
        std::string w;
        while (words >> w)
            if (w == "avx512_bf16" || w == "amx_bf16") return true;
        return false;
    }
    return false;
}

MixedPrecisionPlan planMixedPrecision(const std::string& device) {
    MixedPrecisionPlan plan;
    if (device == "cuda") {
        plan.enabled = true;
        plan.dtype = at::kHalf;
        plan.scaleLoss = true;
        plan.note = "mixed precision: float16 autocast on CUDA with dynamic loss scaling";
    } else if (cpuHasNativeBFloat16()) {
        plan.enabled = true;
        plan.dtype = at::kBFloat16;
        plan.note = "mixed precision: bfloat16 autocast on the CPU (native bfloat16 instructions found)";
    } else {
        plan.note = "mixed precision asked for, but this CPU has no native bfloat16 instructions (AVX512-BF16 or "
                    "AMX), where bfloat16 would be slower than float32: training in float32";
    }
    return plan;
}

AutocastScope::AutocastScope(const MixedPrecisionPlan& plan, const std::string& device) {
    if (!plan.enabled) return;
    m_active = true;
    m_cuda = device == "cuda";
    m_wasEnabled = autocastEnabled(m_cuda);
    m_previousDtype = autocastDtype(m_cuda);
    setAutocastDtype(m_cuda, plan.dtype);
    setAutocastEnabled(m_cuda, true);
    at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
    if (!m_active) return;
    // The cache of casted weights lives until the outermost scope closes (as
    // in torch.autocast's __exit__); weights change after every step.
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    setAutocastEnabled(m_cuda, m_wasEnabled);
    setAutocastDtype(m_cuda, m_previousDtype);
}

GradScaler::GradScaler(bool enabled, double initialScale, double growthFactor, double backoffFactor,
                       int growthInterval)
    : m_enabled(enabled), m_scale(initialScale), m_growthFactor(growthFactor), m_backoffFactor(backoffFactor),
      m_growthInterval(growthInterval) {}

at::Tensor GradScaler::scaleLoss(const at::Tensor& loss) const { return m_enabled ? loss * m_scale : loss; }

bool GradScaler::unscaleAndCheck(const std::vector<at::Tensor>& params) const {
    if (!m_enabled) return true;
    bool finite = true;
    const double inverse = 1.0 / m_scale;
    for (const auto& p : params) {
        at::Tensor g = p.grad();
        if (!g.defined()) continue;
        g.mul_(inverse);
        if (finite && !at::isfinite(g).all().item<bool>()) finite = false;
    }
    return finite;
}

void GradScaler::update(bool foundInf) {
    if (!m_enabled) return;
    if (foundInf) {
        m_scale *= m_backoffFactor;
        m_cleanSteps = 0;
    } else if (++m_cleanSteps >= m_growthInterval) {
        m_scale *= m_growthFactor;
        m_cleanSteps = 0;
    }
}

} // namespace ts::train
