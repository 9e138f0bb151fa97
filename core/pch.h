// Precompiled header for ts_core: the LibTorch headers every core file needs.
// Narrow headers only; <torch/torch.h> pulls in far more and costs ~30 s a file.
#pragma once
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/pooling.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/pooling.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>
