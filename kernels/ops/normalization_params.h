// The normalization family's semantics shared by the CPU and CUDA kernels
// (kernels/cpu/normalization.cc, kernels/cuda/normalization.cc): attributes with their defaults,
// the checks on X and the parameter tensors (with their error messages), and the row / group /
// window geometry. Plain C++ on kernels/api/kernel.h.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/api/kernel.h"

namespace kiln::ops {

// Input 0 (its name in the op's schema: `name`), present and of rank >= 2 ([N, C, ...]); its N,
// C and spatial size.
Status GetNCSInput(const KernelContext& ctx, const char* name, const Tensor** x, int64_t* n,
                   int64_t* c, int64_t* s);

// A parameter input with exactly `count` elements (one per channel or group): present and sized.
StatusOr<const Tensor*> CountedParam(const KernelContext& ctx, int index, const char* what,
                                     int64_t count);

// The dims of parameter t broadcast (unidirectionally) to `target`: t's dims without the leading
// 1-dims beyond target's rank. An error when t does not broadcast.
StatusOr<std::vector<int64_t>> FitParamDims(const KernelContext& ctx, const Tensor& t,
                                            const std::vector<int64_t>& target, const char* what);

// ---- BatchNormalization.

struct BatchNormAttrs {
  float epsilon = 1e-5f;
  float momentum = 0.9f;
  bool training = false;
  bool spatial = true;
};

// epsilon, momentum, and training mode / spatial as the node's opset defines them.
BatchNormAttrs ReadBatchNormAttrs(const KernelInfo& info);

// The names of inputs 1-4.
extern const char* const kBatchNormParamNames[4];

// Input i + 1 (scale, B, mean, var for i = 0..3): present, with `per` elements.
StatusOr<const Tensor*> BatchNormParam(const KernelContext& ctx, const Tensor& x, int i,
                                       int64_t per);

// ---- GroupNormalization.

struct GroupNormAttrs {
  float epsilon = 1e-5f;
  int64_t num_groups = 0;
};

GroupNormAttrs ReadGroupNormAttrs(const KernelInfo& info);

struct GroupNormPlan {
  int64_t groups = 0;
  int64_t per_group = 0;     // channels per group
  bool per_channel = false;  // scale / bias per channel (opset 21) or per group (opset 18)
  int64_t param_count = 0;   // elements scale and bias must have
};

// Checks num_groups against the channel count c and that scale and bias are given.
StatusOr<GroupNormPlan> PlanGroupNorm(const KernelContext& ctx, const GroupNormAttrs& attrs,
                                      int64_t c);

// ---- LayerNormalization and RMSNormalization: normalize over the trailing axes [axis, rank).

struct RowNormAttrs {
  int64_t axis = -1;
  float epsilon = 1e-5f;
  // Mean / InvStdDev's element types: the declared output type, else the stash type (float),
  // else kUndefined (X's).
  DataType stat_types[2] = {DataType::kFloat, DataType::kFloat};
};

RowNormAttrs ReadRowNormAttrs(const KernelInfo& info);

struct RowNormPlan {
  int axis = 0;
  int64_t rows = 0, cols = 0;
  std::vector<int64_t> tail;       // X's dims [axis, rank)
  bool full = false;               // a parameter spans more than the tail: broadcast to all of X
  std::vector<int64_t> stat_dims;  // Mean / InvStdDev's dims
};

// x's rank and axis; `full` from both parameters (bias may be null) so they share one layout.
StatusOr<RowNormPlan> PlanRowNorm(const KernelContext& ctx, const RowNormAttrs& attrs,
                                  const Tensor& x, const Tensor& scale, const Tensor* bias);

// ---- LRN.

struct LrnAttrs {
  float alpha = 1e-4f;
  float beta = 0.75f;
  float bias = 1.0f;
  int64_t size = 0;

  int64_t before() const { return (size - 1) / 2; }
  int64_t after() const { return size / 2; }  // ceil((size - 1) / 2)
  double scale() const { return static_cast<double>(alpha) / static_cast<double>(size); }
};

LrnAttrs ReadLrnAttrs(const KernelInfo& info);

// size must be positive.
Status CheckLrnAttrs(const KernelContext& ctx, const LrnAttrs& attrs);

}  // namespace kiln::ops
