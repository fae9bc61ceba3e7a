// Launchers of the CUDA normalization family (normalization.cu). X / Y are float, float16 or
// bfloat16; parameters and statistics may each have their own float type (float, float16,
// bfloat16, and double for the statistics outputs); all math runs in float. A launcher queues work
// on `stream` and returns cudaGetLastError(); it never synchronizes. Unsupported element types give
// cudaErrorInvalidValue.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "ir/dtype.h"

namespace kiln::cuda {

constexpr int kNormMaxDims = 8;

// Where a parameter (scale or bias) value of element (row r, column j) of a [rows, cols] problem
// lives.
struct NormParam {
  enum Mode : int {
    kPerColumn = 0,     // index j
    kPerRow = 1,        // index r % modulus (InstanceNormalization's channel, a group)
    kGroupChannel = 2,  // index (r % modulus) * per_group + j / spatial (GroupNormalization 21)
    kBroadcast = 3,     // numpy broadcast: e = full ? r * cols + j : j over dims with strides
  };
  const void* data = nullptr;  // device pointer; nullptr: absent (scale 1, bias 0)
  DataType dtype = DataType::kFloat;
  int mode = kPerColumn;
  int64_t modulus = 1;
  int64_t per_group = 1;
  int64_t spatial = 1;
  bool full = false;
  int rank = 0;
  int64_t dims[kNormMaxDims] = {};
  int64_t strides[kNormMaxDims] = {};
};

// Normalizes each row of a [rows, cols] tensor: y = (x - mean) * inv_std * scale + bias with
// inv_std = 1 / sqrt(var + epsilon); with rms, mean is taken as 0 (var is the mean square).
// mean_out / inv_out (nullptr when not wanted) receive one value per row in their dtype.
struct RowNormArgs {
  DataType dtype = DataType::kFloat;  // of x and y
  const void* x = nullptr;
  void* y = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  float epsilon = 1e-5f;
  bool rms = false;
  NormParam scale;
  NormParam bias;
  void* mean_out = nullptr;
  DataType mean_dtype = DataType::kFloat;
  void* inv_out = nullptr;
  DataType inv_dtype = DataType::kFloat;
};
cudaError_t LaunchRowNorm(const RowNormArgs& args, cudaStream_t stream);

// BatchNormalization on X [n, c, s] (s: the product of the spatial dims).
//  1. training only: batch mean / variance per channel (population variance; 0 and 0 for an empty
//     batch) into stats[0, c) and stats[c, 2c) (floats, device).
//  2. coefficients per parameter index q (per = c, or c * s when not spatial): coef[q] = mean,
//     coef[per + q] = scale / sqrt(var + epsilon), coef[2 per + q] = bias (floats, device), from
//     the batch statistics when given, else the mean / var inputs.
//  3. y = (x - coef_mean) * coef_a + coef_b.
struct BatchNormArgs {
  DataType dtype = DataType::kFloat;  // of x and y
  const void* x = nullptr;
  void* y = nullptr;
  int64_t n = 0, c = 0, s = 0;
  bool spatial = true;
  float epsilon = 1e-5f;
  const void* scale = nullptr;
  DataType scale_dtype = DataType::kFloat;
  const void* bias = nullptr;
  DataType bias_dtype = DataType::kFloat;
  const void* mean = nullptr;
  DataType mean_dtype = DataType::kFloat;
  const void* var = nullptr;
  DataType var_dtype = DataType::kFloat;
};
cudaError_t LaunchBatchNormStats(const BatchNormArgs& args, float* stats, cudaStream_t stream);
cudaError_t LaunchBatchNormCoefficients(const BatchNormArgs& args, const float* batch_stats,
                                        float* coef, cudaStream_t stream);
cudaError_t LaunchBatchNormApply(const BatchNormArgs& args, const float* coef,
                                 cudaStream_t stream);
// Training outputs per channel: outs[0] = running mean = mean * momentum + batch_mean *
// (1 - momentum), outs[1] = running var (the same with var), outs[2] = batch mean, outs[3] =
// batch var; a null outs[k] is skipped. out_dtypes[k] is its element type.
cudaError_t LaunchBatchNormTrainingOutputs(const BatchNormArgs& args, const float* batch_stats,
                                           float momentum, void* const outs[4],
                                           const DataType out_dtypes[4], cudaStream_t stream);

// LRN over channels of X [n, c, s]: y = x / (bias + alpha / size * sum of x^2 over the channels
// [ci - before, ci + after] clipped to [0, c))^beta.
struct LrnArgs {
  DataType dtype = DataType::kFloat;  // of x and y
  const void* x = nullptr;
  void* y = nullptr;
  int64_t n = 0, c = 0, s = 0;
  int64_t before = 0, after = 0;
  float scale = 0;  // alpha / size
  float bias = 1, beta = 0.75f;
};
cudaError_t LaunchLrn(const LrnArgs& args, cudaStream_t stream);

}  // namespace kiln::cuda
