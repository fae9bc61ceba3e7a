// Launchers of the CUDA softmax family (softmax.cu): Softmax, LogSoftmax, Hardmax over the middle
// axis of a [outer, n, inner] row-major tensor. Element types float, float16, bfloat16 (computed in
// float). A launcher queues work on `stream` and returns cudaGetLastError(); it never synchronizes.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "ir/dtype.h"

namespace kiln::cuda {

enum class SoftmaxMode { kSoftmax, kLogSoftmax, kHardmax };

// y[o, k, i] = softmax over k of x[o, :, i] (or log-softmax, or the one-hot of the first maximum).
// x and y are device pointers of `dtype` (kFloat, kFloat16 or kBFloat16; else
// cudaErrorInvalidValue). outer * n * inner == 0 queues nothing.
cudaError_t LaunchSoftmax(SoftmaxMode mode, DataType dtype, const void* x, void* y, int64_t outer,
                          int64_t n, int64_t inner, cudaStream_t stream);

}  // namespace kiln::cuda
