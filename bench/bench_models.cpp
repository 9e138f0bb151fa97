// Transfer Studio's side of `make bench`. Prints one JSON line per call;
// scripts/run-bench.sh runs it beside bench/bench_torchvision.py and writes
// bench/RESULTS.md.
//   ts_bench model ARCH [BATCH=32] [ITERATIONS=5] [float32|bfloat16]
//       images/s of feature extraction (frozen backbone, inference) and of
//       full fine-tuning (forward + backward + Adam step) on the CPU
//   ts_bench loader DIR [WORKERS=2] [BATCH=32] [standard|none]
//       images/s of one training epoch of the loader (decode + augment +
//       batch) over DIR's training split, nothing else
#include "core/common/Version.h"
#include "core/data/Dataset.h"
#include "core/data/Loader.h"
#include "core/data/Preprocess.h"
#include "core/train/MixedPrecision.h"
#include "core/train/TrainTransforms.h"
#include "core/zoo/Registry.h"

#include <ATen/Functions.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/optim/adam.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

int benchModel(const std::string& arch, int batch, int iterations, const std::string& precision) {
    torch::manual_seed(0);
    auto model = ts::zoo::createModel(arch, {2});
    const int size = ts::zoo::modelInfo(arch).inputSize;
    const at::Tensor x = at::randn({batch, 3, size, size});
    const at::Tensor y = at::randint(0, 2, {batch}, at::kLong);
    ts::train::MixedPrecisionPlan plan;
    if (precision == "bfloat16") {
        plan.enabled = true;
        plan.dtype = at::kBFloat16;
    }
    auto forward = [&](bool featuresOnly) {
        ts::train::AutocastScope autocast(plan, "cpu");
        return featuresOnly ? model->features(x) : model->forward(x).to(at::kFloat);
    };

    model->eval();
    double extractSeconds = 0;
    {
        torch::NoGradGuard noGrad;
        forward(true);  // warm-up
        const auto t0 = Clock::now();
        for (int i = 0; i < iterations; ++i) forward(true);
        extractSeconds = secondsSince(t0);
    }
    model->train();
    torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-4));
    auto step = [&] {
        opt.zero_grad();
        at::cross_entropy_loss(forward(false), y).backward();
        opt.step();
    };
    step();  // warm-up
    const auto t0 = Clock::now();
    for (int i = 0; i < iterations; ++i) step();
    const double trainSeconds = secondsSince(t0);
    std::printf("{\"runtime\": \"transfer-studio\", \"arch\": \"%s\", \"precision\": \"%s\", \"batch\": %d, "
                "\"threads\": %d, \"extract_images_per_sec\": %.2f, \"finetune_images_per_sec\": %.2f}\n",
                arch.c_str(), precision.c_str(), batch, ts::runtimeInfo().cpuThreads,
                batch * iterations / extractSeconds, batch * iterations / trainSeconds);
    return 0;
}

int benchLoader(const std::string& dir, int workers, int batch, const std::string& preset) {
    const auto index = ts::data::indexDataset(dir, {0.2, 0});
    ts::train::AugmentConfig augment;
    augment.preset = ts::train::augmentPresetFromString(preset);
    const auto eval = ts::data::EvalTransform::forModel(ts::zoo::modelInfo("resnet18"));
    ts::data::LoaderOptions lo;
    lo.batchSize = batch;
    lo.workers = workers;
    lo.shuffle = true;
    if (preset == "standard") lo.decodeAtLeast = 915;  // as the trainer sets it for 224 px crops
    ts::data::Loader loader(index.train, ts::train::makeTrainSampleTransform(augment, eval), lo);
    loader.startEpoch(1);
    const auto t0 = Clock::now();
    size_t images = 0;
    while (auto b = loader.next()) images += static_cast<size_t>(b->labels.size(0));
    const double seconds = secondsSince(t0);
    std::printf("{\"runtime\": \"transfer-studio\", \"workers\": %d, \"batch\": %d, \"augment\": \"%s\", "
                "\"images\": %zu, \"images_per_sec\": %.2f}\n",
                workers, batch, preset.c_str(), images, images / seconds);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    ts::configureThreads();
    if (mode == "model" && argc > 2)
        return benchModel(argv[2], argc > 3 ? std::stoi(argv[3]) : 32, argc > 4 ? std::stoi(argv[4]) : 5,
                          argc > 5 ? argv[5] : "float32");
    if (mode == "loader" && argc > 2)
        return benchLoader(argv[2], argc > 3 ? std::stoi(argv[3]) : 2, argc > 4 ? std::stoi(argv[4]) : 32,
                           argc > 5 ? argv[5] : "standard");
    std::fprintf(stderr,
                 "usage: ts_bench model ARCH [BATCH] [ITERATIONS] [float32|bfloat16]\n"
                 "       ts_bench loader DIR [WORKERS] [BATCH] [standard|none]\n");
    return 2;
}
