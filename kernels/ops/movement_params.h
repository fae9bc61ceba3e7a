// The data-movement family's semantics shared by the CPU and CUDA kernels (kernels/cpu/
// movement.cc, shape.cc, gather.cc and kernels/cuda/movement.cc): the attributes and host inputs
// of Transpose, Concat, Split, Slice, Gather, Expand, Tile and Pad, their checks and errors, the
// output shape and the per-axis copy parameters. Plain C++ on kernels/api/kernel.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/api/kernel.h"

namespace kiln::ops {

// A strided read of x: output element (i0, i1, ...) of `iter_dims` is x's element
// offset + sum(ik * strides[k]); the output has `out_dims` (same element count as iter_dims).
struct StridedPlan {
  int64_t offset = 0;
  std::vector<int64_t> out_dims;
  std::vector<int64_t> iter_dims;
  std::vector<int64_t> strides;
};

// ---------------------------------------------------------------------------------------------
// Transpose: perm defaults to the reversed axes.

struct TransposeAttrs {
  bool has_perm = false;
  std::vector<int64_t> perm;
};
TransposeAttrs ReadTransposeAttrs(const KernelInfo& info);
StatusOr<StridedPlan> PlanTranspose(const KernelContext& ctx, const TransposeAttrs& attrs,
                                    const Tensor& x);

// ---------------------------------------------------------------------------------------------
// Concat: axis is required from opset 4 (defaults to 1 before).

struct ConcatAttrs {
  bool has_axis = false;
  int64_t axis = 1;
};
ConcatAttrs ReadConcatAttrs(const KernelInfo& info);

// The inputs (all present, of one type, equal outside axis) and the output viewed as
// [outer, dims[axis], inner].
struct ConcatPlan {
  std::vector<const Tensor*> inputs;
  int axis = 0;
  std::vector<int64_t> dims;
  int64_t outer = 1, inner = 1;
};
StatusOr<ConcatPlan> PlanConcat(const KernelContext& ctx, const ConcatAttrs& attrs);

// ---------------------------------------------------------------------------------------------
// Split: the split input (opset 1, 13+), the split attribute (2-12), num_outputs (18+), or even
// parts.

struct SplitAttrs {
  int64_t axis = 0;
  bool has_split_attr = false;
  std::vector<int64_t> split_attr;
  int64_t num_outputs = 0;
};
SplitAttrs ReadSplitAttrs(const KernelInfo& info);

// The part sizes along axis, x viewed as [outer, x.dim(axis), inner].
struct SplitPlan {
  int axis = 0;
  std::vector<int64_t> split;
  int64_t outer = 1, inner = 1;
};
StatusOr<SplitPlan> PlanSplit(const KernelContext& ctx, const SplitAttrs& attrs, const Tensor& x);

// ---------------------------------------------------------------------------------------------
// Slice: attributes before opset 10, inputs 1-4 (starts, ends, axes, steps) from 10. Clamping
// follows numpy slicing; negative steps read backwards.

struct SliceAttrs {
  std::vector<int64_t> starts, ends;
  bool has_axes = false;
  std::vector<int64_t> axes;
};
SliceAttrs ReadSliceAttrs(const KernelInfo& info);
StatusOr<StridedPlan> PlanSlice(const KernelContext& ctx, const SliceAttrs& attrs,
                                const Tensor& x);

// ---------------------------------------------------------------------------------------------
// Gather: the output is x.dims[:axis] + indices.dims + x.dims[axis+1:]; x viewed as
// [outer, x.dim(axis), inner]. The index values are not read here.

struct GatherPlan {
  int axis = 0;
  std::vector<int64_t> dims;
  int64_t outer = 1, inner = 1;
};
StatusOr<GatherPlan> PlanGather(const KernelContext& ctx, int64_t axis_attr, const Tensor& x,
                                const Tensor& indices);

// ---------------------------------------------------------------------------------------------
// Expand (input 1: the shape, broadcast with x's) and Tile (tiles/axis inputs before opset 6,
// repeats from 6; the output viewed as [r0, d0, r1, d1, ...] reads x with strides
// [0, s0, 0, s1, ...]).

StatusOr<StridedPlan> PlanExpand(const KernelContext& ctx, const Tensor& x);
StatusOr<StridedPlan> PlanTile(const KernelContext& ctx, const Tensor& x);

// ---------------------------------------------------------------------------------------------
// Pad: paddings (opset 1) / pads attributes and the value attribute before opset 11; inputs
// pads, constant_value and axes (18+) from 11. Modes constant, reflect, edge, wrap.

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

struct PadAttrs {
  std::string mode_name = "constant";
  std::vector<int64_t> pads;
  float value = 0.0f;
};
PadAttrs ReadPadAttrs(const KernelInfo& info);

// The mode and the pads of every axis of x (negative: crop).
struct PadSpec {
  PadMode mode = PadMode::kConstant;
  std::vector<int64_t> pads;        // as given
  std::vector<int64_t> begin, end;  // per axis of x
};
StatusOr<PadSpec> ReadPads(const KernelContext& ctx, const PadAttrs& attrs, const Tensor& x);

// One axis: negative pads crop first to the kept range [lo, lo + len) of the input; padding then
// adds `before` elements in front of it and `out - before - len` after it.
struct PadAxis {
  int64_t out = 0, lo = 0, len = 0, before = 0;
};
StatusOr<std::vector<PadAxis>> PlanPadAxes(const KernelContext& ctx, const PadAttrs& attrs,
                                           const PadSpec& spec, const Tensor& x);

// The fill value as a one-element host tensor of x's type: constant_value (11+), the value
// attribute (before 11), or zero.
StatusOr<Tensor> PadFillValue(const KernelContext& ctx, const PadAttrs& attrs, const Tensor& x);

}  // namespace kiln::ops
