// Images per second of feature extraction (frozen backbone, inference) and of
// full fine-tuning (forward + backward + Adam step) for a model at a batch
// size, on the CPU. Prints one JSON line; scripts/run-bench.sh runs it beside
// bench/bench_torchvision.py and writes bench/RESULTS.md.
//   ts_bench ARCH [BATCH=32] [ITERATIONS=5]
#include "core/common/Version.h"
#include "core/zoo/Registry.h"

#include <ATen/Functions.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/optim/adam.h>

#include <chrono>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: ts_bench ARCH [BATCH] [ITERATIONS]\n");
        return 2;
    }
    const std::string arch = argv[1];
    const int batch = argc > 2 ? std::stoi(argv[2]) : 32;
    const int iterations = argc > 3 ? std::stoi(argv[3]) : 5;
    ts::configureThreads();
    torch::manual_seed(0);
    auto model = ts::zoo::createModel(arch, {2});
    const int size = ts::zoo::modelInfo(arch).inputSize;
    const at::Tensor x = at::randn({batch, 3, size, size});
    const at::Tensor y = at::randint(0, 2, {batch}, at::kLong);
    using Clock = std::chrono::steady_clock;

    model->eval();
    double extractSeconds = 0;
    {
        torch::NoGradGuard noGrad;
        model->features(x);  // warm-up
        const auto t0 = Clock::now();
        for (int i = 0; i < iterations; ++i) model->features(x);
        extractSeconds = std::chrono::duration<double>(Clock::now() - t0).count();
    }
    model->train();
    torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-4));
    auto step = [&] {
        opt.zero_grad();
        at::cross_entropy_loss(model->forward(x), y).backward();
        opt.step();
    };
    step();  // warm-up
    const auto t0 = Clock::now();
    for (int i = 0; i < iterations; ++i) step();
    const double trainSeconds = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("{\"runtime\": \"transfer-studio\", \"arch\": \"%s\", \"batch\": %d, \"threads\": %d, "
                "\"extract_images_per_sec\": %.2f, \"finetune_images_per_sec\": %.2f}\n",
                arch.c_str(), batch, ts::runtimeInfo().cpuThreads, batch * iterations / extractSeconds,
                batch * iterations / trainSeconds);
    return 0;
}
