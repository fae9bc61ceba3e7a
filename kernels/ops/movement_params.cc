#include "kernels/ops/movement_params.h"

#include <algorithm>
#include <limits>

#include "kernels/ops/common.h"
#include "kernels/ops/element_copy.h"

namespace kiln::ops {

// ---------------------------------------------------------------------------------------------
// Transpose

TransposeAttrs ReadTransposeAttrs(const KernelInfo& info) {
  TransposeAttrs a;
  a.has_perm = info.HasAttr("perm");
  a.perm = info.GetInts("perm");
  return a;
}

StatusOr<StridedPlan> PlanTranspose(const KernelContext& ctx, const TransposeAttrs& attrs,
                                    const Tensor& x) {
  const int r = x.rank();
  std::vector<int64_t> perm = attrs.perm;
  if (!attrs.has_perm) {
    perm.resize(r);
    for (int i = 0; i < r; ++i) perm[i] = r - 1 - i;
  }
  if (static_cast<int>(perm.size()) != r) {
    return ctx.InvalidArgument("perm " + DimsToString(perm) + " does not match input " +
                               x.TypeString());
  }
  std::vector<bool> seen(r, false);
  for (int64_t& p : perm) {
    if (p < -r || p >= r || seen[p < 0 ? p + r : p]) {
      return ctx.InvalidArgument("perm " + DimsToString(attrs.perm) + " is not a permutation of " +
                                 std::to_string(r) + " axes");
    }
    if (p < 0) p += r;
    seen[p] = true;
  }
  const std::vector<int64_t> xs = ContiguousStrides(x.dims());
  StridedPlan plan;
  plan.out_dims.resize(r);
  plan.strides.resize(r);
  for (int i = 0; i < r; ++i) {
    plan.out_dims[i] = x.dim(static_cast<int>(perm[i]));
    plan.strides[i] = xs[perm[i]];
  }
  plan.iter_dims = plan.out_dims;
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Concat

ConcatAttrs ReadConcatAttrs(const KernelInfo& info) {
  ConcatAttrs a;
  a.has_axis = info.HasAttr("axis");
  a.axis = info.GetInt("axis", 1);
  return a;
}

StatusOr<ConcatPlan> PlanConcat(const KernelContext& ctx, const ConcatAttrs& attrs) {
  if (!attrs.has_axis && ctx.opset() >= 4) {
    return ctx.InvalidArgument("attribute 'axis' is required");
  }
  ConcatPlan plan;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor* t = ctx.Input(i);
    if (t == nullptr) return ctx.InvalidArgument("input " + std::to_string(i) + " is missing");
    plan.inputs.push_back(t);
  }
  if (plan.inputs.empty()) return ctx.InvalidArgument("needs at least one input");
  const Tensor& first = *plan.inputs[0];
  const int r = first.rank();
  if (r == 0) return ctx.InvalidArgument("inputs must have rank >= 1");
  KILN_ASSIGN_OR_RETURN(int axis, NormalizeAxis(attrs.axis, r, ctx.node()));
  std::vector<int64_t> dims = first.dims();
  dims[axis] = 0;
  for (size_t k = 0; k < plan.inputs.size(); ++k) {
    const Tensor& t = *plan.inputs[k];
    bool match = t.rank() == r && t.dtype() == first.dtype();
    for (int d = 0; match && d < r; ++d) match = d == axis || t.dim(d) == first.dim(d);
    if (!match) {
      return ctx.InvalidArgument("input " + std::to_string(k) + " " + t.TypeString() +
                                 " does not match input 0 " + first.TypeString() +
                                 " outside axis " + std::to_string(axis));
    }
    dims[axis] += t.dim(axis);
  }
  plan.axis = axis;
  plan.outer = ProductOfDims(dims, 0, axis);
  plan.inner = ProductOfDims(dims, axis + 1, r);
  plan.dims = std::move(dims);
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Split

SplitAttrs ReadSplitAttrs(const KernelInfo& info) {
  SplitAttrs a;
  a.axis = info.GetInt("axis", 0);
  a.has_split_attr = info.HasAttr("split");
  a.split_attr = info.GetInts("split");
  a.num_outputs = info.GetInt("num_outputs", 0);
  return a;
}

StatusOr<SplitPlan> PlanSplit(const KernelContext& ctx, const SplitAttrs& attrs, const Tensor& x) {
  const int n = ctx.num_outputs();
  if (x.rank() == 0) return ctx.InvalidArgument("input must have rank >= 1");
  KILN_ASSIGN_OR_RETURN(int axis, NormalizeAxis(attrs.axis, x.rank(), ctx.node()));
  const int64_t dim = x.dim(axis);
  std::vector<int64_t> split;
  const Tensor* split_in = ctx.Input(1);  // a host input
  if (split_in != nullptr && (ctx.opset() == 1 || ctx.opset() >= 13)) {
    KILN_ASSIGN_OR_RETURN(split, ReadInts(ctx, *split_in, "split"));
  } else if (attrs.has_split_attr && ctx.opset() < 13) {
    split = attrs.split_attr;
  } else if (attrs.num_outputs > 0 && ctx.opset() >= 18) {
    if (attrs.num_outputs != n) {
      return ctx.InvalidArgument("num_outputs is " + std::to_string(attrs.num_outputs) +
                                 " but the node has " + std::to_string(n) + " outputs");
    }
    const int64_t chunk = (dim + n - 1) / n;
    for (int i = 0; i < n; ++i) {
      split.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
    }
  } else {
    if (dim % n != 0) {
      return ctx.InvalidArgument("axis " + std::to_string(axis) + " of " + x.TypeString() +
                                 " cannot be split evenly into " + std::to_string(n) +
                                 " outputs");
    }
    split.assign(n, dim / n);
  }
  if (static_cast<int>(split.size()) != n) {
    return ctx.InvalidArgument("split has " + std::to_string(split.size()) +
                               " entries but the node has " + std::to_string(n) + " outputs");
  }
  int64_t total = 0;
  for (int64_t s : split) {
    if (s < 0) {
      return ctx.InvalidArgument("split " + DimsToString(split) + " has a negative entry");
    }
    total += s;
  }
  if (total != dim) {
    return ctx.InvalidArgument("split " + DimsToString(split) + " does not sum to " +
                               std::to_string(dim) + " (axis " + std::to_string(axis) + " of " +
                               x.TypeString() + ")");
  }
  SplitPlan plan;
  plan.axis = axis;
  plan.split = std::move(split);
  plan.outer = ProductOfDims(x.dims(), 0, axis);
  plan.inner = ProductOfDims(x.dims(), axis + 1, x.rank());
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Slice

SliceAttrs ReadSliceAttrs(const KernelInfo& info) {
  SliceAttrs a;
  a.starts = info.GetInts("starts");
  a.ends = info.GetInts("ends");
  a.has_axes = info.HasAttr("axes");
  a.axes = info.GetInts("axes");
  return a;
}

StatusOr<StridedPlan> PlanSlice(const KernelContext& ctx, const SliceAttrs& attrs,
                                const Tensor& x) {
  const int r = x.rank();
  std::vector<int64_t> starts, ends, axes, steps;
  bool has_axes = attrs.has_axes;
  if (ctx.opset() < 10) {
    starts = attrs.starts;
    ends = attrs.ends;
    axes = attrs.axes;
  } else {
    // Host inputs.
    if (ctx.Input(1) == nullptr || ctx.Input(2) == nullptr) {
      return ctx.InvalidArgument("inputs 'starts' and 'ends' are required");
    }
    KILN_ASSIGN_OR_RETURN(starts, ReadInts(ctx, *ctx.Input(1), "starts"));
    KILN_ASSIGN_OR_RETURN(ends, ReadInts(ctx, *ctx.Input(2), "ends"));
    has_axes = ctx.Input(3) != nullptr;
    if (has_axes) {
      KILN_ASSIGN_OR_RETURN(axes, ReadInts(ctx, *ctx.Input(3), "axes"));
    }
    if (ctx.Input(4) != nullptr) {
      KILN_ASSIGN_OR_RETURN(steps, ReadInts(ctx, *ctx.Input(4), "steps"));
    }
  }
  if (!has_axes) {
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    return ctx.InvalidArgument("starts, ends, axes and steps must have the same length");
  }
  KILN_ASSIGN_OR_RETURN(std::vector<int> norm, NormalizeAxes(ctx, axes, r));
  const std::vector<int64_t> xs = ContiguousStrides(x.dims());
  StridedPlan plan;
  plan.out_dims = x.dims();
  plan.strides = xs;
  for (size_t i = 0; i < norm.size(); ++i) {
    const int a = norm[i];
    const int64_t d = x.dim(a), step = steps[i];
    if (step == 0) return ctx.InvalidArgument("step for axis " + std::to_string(a) + " is 0");
    int64_t s = starts[i], e = ends[i];
    if (s < 0) s += d;
    if (e < 0) e += d;
    int64_t len = 0;
    // Clamping follows numpy slicing (the ONNX reference).
    if (step > 0) {
      s = std::min(std::max<int64_t>(s, 0), d);
      e = std::min(std::max<int64_t>(e, 0), d);
      if (e > s) len = 1 + (e - s - 1) / step;
    } else {
      s = std::min(std::max<int64_t>(s, -1), d - 1);
      e = std::min(std::max<int64_t>(e, -1), d - 1);
      const int64_t neg = step == std::numeric_limits<int64_t>::min()
                              ? std::numeric_limits<int64_t>::max()
                              : -step;
      if (s > e) len = 1 + (s - e - 1) / neg;
    }
    plan.out_dims[a] = len;
    plan.strides[a] = len > 1 ? xs[a] * step : xs[a];
    if (len > 0) plan.offset += s * xs[a];
  }
  plan.iter_dims = plan.out_dims;
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Gather

StatusOr<GatherPlan> PlanGather(const KernelContext& ctx, int64_t axis_attr, const Tensor& x,
                                const Tensor& indices) {
  if (x.rank() == 0) return ctx.InvalidArgument("data must have rank >= 1");
  GatherPlan plan;
  KILN_ASSIGN_OR_RETURN(plan.axis, NormalizeAxis(axis_attr, x.rank(), ctx.node()));
  const int axis = plan.axis;
  plan.dims.assign(x.dims().begin(), x.dims().begin() + axis);
  plan.dims.insert(plan.dims.end(), indices.dims().begin(), indices.dims().end());
  plan.dims.insert(plan.dims.end(), x.dims().begin() + axis + 1, x.dims().end());
  plan.outer = ProductOfDims(x.dims(), 0, axis);
  plan.inner = ProductOfDims(x.dims(), axis + 1, x.rank());
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Expand, Tile

StatusOr<StridedPlan> PlanExpand(const KernelContext& ctx, const Tensor& x) {
  const Tensor& s = *ctx.Input(1);  // a host input
  if (s.rank() != 1) return ctx.InvalidArgument("shape must be 1-D, got " + s.TypeString());
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> shape, ReadInts(ctx, s, "shape"));
  for (int64_t d : shape) {
    if (d < 0) return ctx.InvalidArgument("shape " + DimsToString(shape) + " has a negative dim");
  }
  auto out = BroadcastShapes({x.dims(), shape});
  if (!out.ok()) return ctx.InvalidArgument(out.status().message());
  StridedPlan plan;
  plan.out_dims = *out;
  plan.iter_dims = plan.out_dims;
  plan.strides = BroadcastStrides(x.dims(), plan.out_dims);
  return plan;
}

StatusOr<StridedPlan> PlanTile(const KernelContext& ctx, const Tensor& x) {
  const int r = x.rank();
  std::vector<int64_t> repeats(r, 1);
  if (ctx.opset() < 6) {
    const Tensor* tiles = ctx.Input(1);
    const Tensor* axis_t = ctx.Input(2);
    if (tiles == nullptr || axis_t == nullptr || tiles->numel() != 1 || axis_t->numel() != 1) {
      return ctx.InvalidArgument("tiles and axis must be scalars");
    }
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> t, ReadInts(ctx, *tiles, "tiles"));
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> a, ReadInts(ctx, *axis_t, "axis"));
    KILN_ASSIGN_OR_RETURN(int axis, NormalizeAxis(a[0], r, ctx.node()));
    repeats[axis] = t[0];
  } else {
    const Tensor* rep = ctx.Input(1);
    if (rep == nullptr || rep->rank() != 1 || rep->numel() != r) {
      return ctx.InvalidArgument("repeats must be 1-D with " + std::to_string(r) +
                                 " entries for input " + x.TypeString());
    }
    KILN_ASSIGN_OR_RETURN(repeats, ReadInts(ctx, *rep, "repeats"));
  }
  const std::vector<int64_t> xs = ContiguousStrides(x.dims());
  StridedPlan plan;
  plan.out_dims.resize(r);
  for (int i = 0; i < r; ++i) {
    if (repeats[i] < 0) {
      return ctx.InvalidArgument("repeats " + DimsToString(repeats) + " has a negative entry");
    }
    plan.out_dims[i] = x.dim(i) * repeats[i];
    plan.iter_dims.push_back(repeats[i]);
    plan.strides.push_back(0);
    plan.iter_dims.push_back(x.dim(i));
    plan.strides.push_back(xs[i]);
  }
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Pad

PadAttrs ReadPadAttrs(const KernelInfo& info) {
  PadAttrs a;
  a.mode_name = info.GetString("mode", "constant");
  a.pads = info.GetInts(info.opset() < 2 ? "paddings" : "pads");
  a.value = info.GetFloat("value", 0.0f);
  return a;
}

StatusOr<PadSpec> ReadPads(const KernelContext& ctx, const PadAttrs& attrs, const Tensor& x) {
  PadSpec spec;
  if (attrs.mode_name == "constant") {
    spec.mode = PadMode::kConstant;
  } else if (attrs.mode_name == "reflect") {
    spec.mode = PadMode::kReflect;
  } else if (attrs.mode_name == "edge") {
    spec.mode = PadMode::kEdge;
  } else if (attrs.mode_name == "wrap") {
    spec.mode = PadMode::kWrap;
  } else {
    return ctx.InvalidArgument("unknown mode '" + attrs.mode_name + "'");
  }
  const int r = x.rank();
  std::vector<int> axes;
  if (ctx.opset() < 11) {
    spec.pads = attrs.pads;
  } else {
    // Host inputs.
    if (ctx.Input(1) == nullptr) return ctx.InvalidArgument("input 'pads' is missing");
    KILN_ASSIGN_OR_RETURN(spec.pads, ReadInts(ctx, *ctx.Input(1), "pads"));
    if (const Tensor* a = ctx.Input(3)) {
      KILN_ASSIGN_OR_RETURN(std::vector<int64_t> av, ReadInts(ctx, *a, "axes"));
      KILN_ASSIGN_OR_RETURN(axes, NormalizeAxes(ctx, av, r));
    }
  }
  if (axes.empty() && (ctx.opset() < 11 || ctx.Input(3) == nullptr)) {
    for (int i = 0; i < r; ++i) axes.push_back(i);
  }
  const size_t na = axes.size();
  if (spec.pads.size() != 2 * na) {
    return ctx.InvalidArgument("pads has " + std::to_string(spec.pads.size()) +
                               " entries, expected " + std::to_string(2 * na) + " for input " +
                               x.TypeString());
  }
  spec.begin.assign(r, 0);
  spec.end.assign(r, 0);
  for (size_t i = 0; i < na; ++i) {
    spec.begin[axes[i]] = spec.pads[i];
    spec.end[axes[i]] = spec.pads[i + na];
  }
  return spec;
}

StatusOr<std::vector<PadAxis>> PlanPadAxes(const KernelContext& ctx, const PadAttrs& attrs,
                                           const PadSpec& spec, const Tensor& x) {
  const int r = x.rank();
  std::vector<PadAxis> axes(r);
  for (int d = 0; d < r; ++d) {
    PadAxis& ax = axes[d];
    ax.lo = std::max<int64_t>(0, -spec.begin[d]);
    ax.len = x.dim(d) - ax.lo - std::max<int64_t>(0, -spec.end[d]);
    ax.before = std::max<int64_t>(0, spec.begin[d]);
    if (ax.len < 0) {
      return ctx.InvalidArgument("pads " + DimsToString(spec.pads) + " crop axis " +
                                 std::to_string(d) + " of " + x.TypeString() + " below zero");
    }
    ax.out = ax.len + ax.before + std::max<int64_t>(0, spec.end[d]);
    if (spec.mode != PadMode::kConstant && ax.len == 0 && ax.out > 0) {
      return ctx.InvalidArgument("cannot pad an empty axis " + std::to_string(d) + " in mode " +
                                 attrs.mode_name);
    }
  }
  return axes;
}

StatusOr<Tensor> PadFillValue(const KernelContext& ctx, const PadAttrs& attrs, const Tensor& x) {
  if (ctx.opset() >= 11 && ctx.Input(2) != nullptr && ctx.Input(2)->numel() > 0) {
    const Tensor& value = *ctx.Input(2);  // a host input
    if (value.dtype() != x.dtype()) {
      return ctx.InvalidArgument("constant_value " + value.TypeString() +
                                 " does not match the input type " + x.TypeString());
    }
    return value;
  }
  Tensor value(x.dtype(), {});  // zero
  if (ctx.opset() < 11) {
    Dispatch<KILN_NUMERIC_TYPES>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      value.data<T>()[0] = FromDouble<T>(attrs.value);
    });
  }
  return value;
}

}  // namespace kiln::ops
