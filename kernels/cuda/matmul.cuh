// Launchers of matmul.cu (CUDA kernels around the cuBLAS products of matmul.cc): Gemm's C
// broadcast into the output, and the bias + activation epilogue of kiln's FusedMatMul / FusedGemm.
// Plain pointers to device memory, sizes in elements; each returns cudaGetLastError() after the
// launch and never synchronizes.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/activation.cuh"

namespace kiln::cuda {

// y[i, j] = scale * c[(c_rows == 1 ? 0 : i) * c_cols + (c_cols == 1 ? 0 : j)] for the row-major
// [m, n] output y; c is [c_rows, c_cols] with c_rows in {1, m} and c_cols in {1, n} (a scalar C
// is [1, 1], a 1-D C of length n is [1, n]). Computed in float; scale 1 copies exactly.
cudaError_t LaunchGemmBroadcastC(FloatElem elem, void* y, const void* c, int64_t m, int64_t n,
                                 int64_t c_rows, int64_t c_cols, float scale, cudaStream_t stream);

// y[i] = act(y[i] + bias[i % bias_len]) for i in [0, total); bias may be null (activation only).
cudaError_t LaunchMatMulBiasActivation(FloatElem elem, void* y, const void* bias, int64_t total,
                                       int64_t bias_len, FusedActivation act, cudaStream_t stream);

}  // namespace kiln::cuda
