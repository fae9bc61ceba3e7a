// Launchers of pool.cu: direct pooling kernels (max with optional indices, average, Lp) over 1-3
// spatial dims promoted to 3 (leading dims of size 1), and global pooling per plane. Plain
// pointers to device memory, NCHW-style row-major layout; each returns cudaGetLastError() after
// the launch and never synchronizes.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace kiln::cuda {

enum class PoolElem : int { kFloat = 0, kHalf, kBFloat16, kInt8, kUint8 };
enum class PoolOp : int { kMax = 0, kAvg, kLp };

// One pooling window over `planes` (N * C) planes. Per dim: output o covers input coordinates
// o * s - pb + t * d for taps t in [0, k); coordinates in [-pb, in + pe) are the padded extent.
struct PoolParams {
  PoolOp op = PoolOp::kMax;
  int64_t planes = 0;
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1};
  int64_t s[3] = {1, 1, 1}, d[3] = {1, 1, 1}, pb[3] = {0, 0, 0}, pe[3] = {0, 0, 0};
  bool count_include_pad = false;  // average: divide by the taps inside the padded extent
  int storage_order = 0;           // max indices: 0 row-major, 1 column-major
  float p = 2.0f;                  // Lp
};

// y [planes, out...] from x [planes, in...]; indices (int64, y's shape, may be null) for max.
// kAvg / kLp accept float types only (cudaErrorInvalidValue otherwise).
cudaError_t LaunchPool(PoolElem elem, const void* x, void* y, int64_t* indices, const PoolParams& p,
                       cudaStream_t stream);

// y[i] = reduce over the `plane` elements of plane i of x, for i < planes. Float types only.
cudaError_t LaunchGlobalPool(PoolElem elem, PoolOp op, const void* x, void* y, int64_t planes,
                             int64_t plane, float p, cudaStream_t stream);

}  // namespace kiln::cuda
