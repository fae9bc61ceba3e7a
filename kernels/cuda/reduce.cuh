// Launchers of the CUDA reduction family (reduce.cu). Element types: float, float16, bfloat16
// (accumulated in float), int32 and int64 (accumulated in 64-bit integers that wrap around). A
// launcher queues work on `stream` and returns cudaGetLastError(); it never synchronizes. An
// element type or op the launcher cannot handle gives cudaErrorInvalidValue.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "ir/dtype.h"

namespace kiln::cuda {

enum class ReduceKind {
  kSum,
  kMean,
  kMax,
  kMin,
  kProd,
  kL1,
  kL2,
  kLogSum,
  kLogSumExp,
  kSumSquare,
};

constexpr int kReduceMaxDims = 8;

// A contiguous input viewed as kept dims (in output order) and reduced dims, each with its input
// strides in elements (size-1 dims dropped, neighbours of the same kind merged). Output element o
// (row-major over kept_dims) reduces the red_count input elements at
// offset(o over kept dims) + offset(r over red dims), r in [0, red_count).
struct ReduceShape {
  int kept_rank = 0;
  int64_t kept_dims[kReduceMaxDims] = {};
  int64_t kept_strides[kReduceMaxDims] = {};
  int red_rank = 0;
  int64_t red_dims[kReduceMaxDims] = {};
  int64_t red_strides[kReduceMaxDims] = {};
  int64_t out_count = 0;  // product of kept_dims
  int64_t red_count = 1;  // product of red_dims (0: reducing an empty set gives the identity)
};

// y[o] = reduction of x over the reduced dims. Empty reductions give the op's identity: 0 (Sum,
// SumSquare, L1, L2), 1 (Prod), -inf / the type's lowest (Max), +inf / the type's highest (Min),
// -inf (LogSum, LogSumExp), NaN (Mean of floats), 0 (Mean of integers).
// Integer types take Sum, Mean, Max, Min, Prod, L1 and SumSquare only.
cudaError_t LaunchReduce(ReduceKind kind, DataType dtype, const void* x, void* y,
                         const ReduceShape& shape, cudaStream_t stream);

// ArgMax / ArgMin of x [outer, n, inner] over n (n >= 1) into y [outer, inner] (int64). NaN counts
// as the extreme value; ties go to the first index, or the last with select_last.
cudaError_t LaunchArgReduce(bool is_max, bool select_last, DataType dtype, const void* x,
                            int64_t* y, int64_t outer, int64_t n, int64_t inner,
                            cudaStream_t stream);

}  // namespace kiln::cuda
