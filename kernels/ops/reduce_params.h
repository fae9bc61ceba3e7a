// The reduction family's semantics shared by the CPU and CUDA kernels (kernels/cpu/reduce.cc,
// kernels/cuda/reduce.cc): the Reduce* and ArgMax / ArgMin attributes, which axes a call reduces
// and the output shape, and one registration per schema version. Plain C++ on kernels/api/kernel.h.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kernels/api/kernel.h"

namespace kiln::ops {

// A Reduce* node's attributes.
struct ReduceAttrs {
  int axes_input_since = 18;  // opset from which axes is an input (13 for ReduceSum, 18 otherwise)
  bool keepdims = true;
  bool noop_with_empty_axes = false;
  bool has_axes_attr = false;
  std::vector<int64_t> axes_attr;
};

// Reads keepdims (default 1), noop_with_empty_axes (default 0) and axes.
ReduceAttrs ReadReduceAttrs(const KernelInfo& info, int axes_input_since);

// What one call reduces.
struct ReducePlan {
  std::vector<bool> reduced;      // per axis of the input
  std::vector<int64_t> kept;      // the input's dims with the reduced axes set to 1
  std::vector<int64_t> out_dims;  // the output's dims (reduced axes kept as 1 or dropped)
  int64_t count = 1;              // elements folded into each output element
};

// Takes the axes from the attribute or (from axes_input_since) input 1, a host tensor, and
// resolves them against x: an empty list reduces every axis unless noop_with_empty_axes is set.
// Errors for a malformed axes input, an axis out of range or repeated.
StatusOr<ReducePlan> PlanReduce(const KernelContext& ctx, const ReduceAttrs& attrs,
                                const Tensor& x);

// ArgMax's / ArgMin's attributes.
struct ArgReduceAttrs {
  int64_t axis = 0;
  bool keepdims = true;
  bool select_last_index = false;
};

// Reads axis (default 0), keepdims (default 1) and select_last_index (default 0).
ArgReduceAttrs ReadArgReduceAttrs(const KernelInfo& info);

// x viewed as [outer, n, inner] around the reduced axis, and the (int64) output's dims.
struct ArgReducePlan {
  int axis = 0;
  int64_t outer = 1, n = 1, inner = 1;
  std::vector<int64_t> out_dims;
};

// Checks x's rank and axis and that the axis is not empty (unless the output is).
StatusOr<ArgReducePlan> PlanArgReduce(const KernelContext& ctx, const ArgReduceAttrs& attrs,
                                      bool is_max, const Tensor& x);

// Registers one definition of `op` on `device` per schema version (consecutive, non-overlapping
// ranges from `versions`); decorate(def, since) adds the type constraints of version `since`.
void RegisterReduceVersions(KernelRegistry& r, const std::string& op,
                            const std::vector<int>& versions, Device device,
                            const std::function<KernelDef(KernelDef, int)>& decorate,
                            const KernelFactory& factory);

}  // namespace kiln::ops
