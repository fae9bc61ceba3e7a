// CUDA data-movement kernels: ops that copy elements to new positions without arithmetic.
//   Transpose 1+, Concat 1+ (axis defaults to 1 before 4), Split 1+ (split input in 1, attribute
//   2-12, input from 13, num_outputs 18+), Slice 1+ (attributes before 10, inputs with steps from
//   10; negative steps), Gather 1+ (int32 / int64 indices on the device), Expand 8+, Tile 1+
//   (tiles/axis inputs before 6, repeats from 6), Pad 1+ (paddings/pads attributes before 11,
//   inputs from 11, axes 18+; constant, reflect, edge, wrap). Resize lives in resize.cc.
// Shape-like inputs (split, starts/ends/axes/steps, shape, repeats, pads/value/axes) are host
// inputs. Every element type of 1, 2, 4, 8 or 16 bytes is supported (not strings or packed
// sub-byte types): elements move as bytes.
// Gather cannot check device indices without a host sync: an index outside [-dim, dim) yields a
// zero slice instead of the CPU's error (memory outside the input is never read).
#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/cpu/element_copy.h"
#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/movement.cuh"
#include "kernels/cuda/register.h"

namespace kiln::cuda {
namespace {

using cpu::ContiguousStrides;
using cpu::NormalizeAxes;
using cpu::NormalizeAxis;
using cpu::ProductOfDims;
using cpu::ReadInts;

// Element types moved by size: every type of 1, 2, 4, 8 or 16 bytes.
std::vector<DataType> MovableTypes() {
  std::vector<DataType> v;
  for (DataType t : kAllTensorTypes) {
    const int bits = DataTypeBits(t);
    if (bits == 8 || bits == 16 || bits == 32 || bits == 64 || bits == 128) v.push_back(t);
  }
  return v;
}

// Bytes per element of a movable type; an error for the others.
StatusOr<int> ElemBytes(const KernelContext& ctx, const Tensor& t) {
  const int bits = DataTypeBits(t.dtype());
  if (bits == 8 || bits == 16 || bits == 32 || bits == 64 || bits == 128) return bits / 8;
  return ctx.Unsupported(std::string("element type ") + DataTypeName(t.dtype()) +
                         " is not supported on CUDA");
}

const char* At(const void* p, int64_t bytes) { return static_cast<const char*>(p) + bytes; }
char* At(void* p, int64_t bytes) { return static_cast<char*>(p) + bytes; }

// Allocates output `i` of x's type with `out_dims` and fills it on the device from x's element
// `offset`, reading element (i0, i1, ...) of `iter_dims` at offset + sum(ik * strides[k]).
Status EmitStrided(KernelContext& ctx, int i, const Tensor& x, int64_t offset,
                   const std::vector<int64_t>& out_dims, const std::vector<int64_t>& iter_dims,
                   const std::vector<int64_t>& strides) {
  KILN_ASSIGN_OR_RETURN(int esize, ElemBytes(ctx, x));
  KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(i, x.dtype(), out_dims));
  if (y->numel() == 0) return Status::Ok();
  // Coalesce: drop size-1 dims, merge a dim into the previous one when they are contiguous.
  StridedCopyShape shape;
  std::vector<int64_t> dims, st;
  for (size_t k = 0; k < iter_dims.size(); ++k) {
    if (iter_dims[k] == 1) continue;
    if (!dims.empty() && st.back() == strides[k] * iter_dims[k]) {
      dims.back() *= iter_dims[k];
      st.back() = strides[k];
    } else {
      dims.push_back(iter_dims[k]);
      st.push_back(strides[k]);
    }
  }
  if (static_cast<int>(dims.size()) > kMaxCopyDims) {
    return ctx.Unsupported("the copy needs " + std::to_string(dims.size()) +
                           " dims after merging, at most " + std::to_string(kMaxCopyDims) +
                           " are supported on CUDA");
  }
  shape.rank = static_cast<int>(dims.size());
  for (int k = 0; k < shape.rank; ++k) {
    shape.dims[k] = dims[k];
    shape.strides[k] = st[k];
  }
  return CudaStatus(LaunchStridedCopy(y->raw_data(), At(x.raw_data(), offset * esize), esize,
                                      shape, y->numel(), Stream(ctx).stream()),
                    ctx, "LaunchStridedCopy");
}

// ---------------------------------------------------------------------------------------------
// Transpose

class TransposeKernel : public Kernel {
 public:
  explicit TransposeKernel(const KernelInfo& info)
      : has_perm_(info.HasAttr("perm")), perm_(info.GetInts("perm")) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const int r = x.rank();
    std::vector<int64_t> perm = perm_;
    if (!has_perm_) {
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
        return ctx.InvalidArgument("perm " + DimsToString(perm_) + " is not a permutation of " +
                                   std::to_string(r) + " axes");
      }
      if (p < 0) p += r;
      seen[p] = true;
    }
    const std::vector<int64_t> xs = ContiguousStrides(x.dims());
    std::vector<int64_t> dims(r), strides(r);
    for (int i = 0; i < r; ++i) {
      dims[i] = x.dim(static_cast<int>(perm[i]));
      strides[i] = xs[perm[i]];
    }
    return EmitStrided(ctx, 0, x, 0, dims, dims, strides);
  }

 private:
  bool has_perm_;
  std::vector<int64_t> perm_;
};

// ---------------------------------------------------------------------------------------------
// Concat: one pitched row copy per input into its column band of the output.

class ConcatKernel : public Kernel {
 public:
  explicit ConcatKernel(const KernelInfo& info)
      : has_axis_(info.HasAttr("axis")), axis_(info.GetInt("axis", 1)) {}
  Status Run(KernelContext& ctx) const override {
    if (!has_axis_ && ctx.opset() >= 4) return ctx.InvalidArgument("attribute 'axis' is required");
    std::vector<const Tensor*> ins;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const Tensor* t = ctx.Input(i);
      if (t == nullptr) return ctx.InvalidArgument("input " + std::to_string(i) + " is missing");
      ins.push_back(t);
    }
    if (ins.empty()) return ctx.InvalidArgument("needs at least one input");
    const Tensor& first = *ins[0];
    const int r = first.rank();
    if (r == 0) return ctx.InvalidArgument("inputs must have rank >= 1");
    KILN_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_, r, ctx.node()));
    std::vector<int64_t> dims = first.dims();
    dims[axis] = 0;
    for (size_t k = 0; k < ins.size(); ++k) {
      const Tensor& t = *ins[k];
      bool match = t.rank() == r && t.dtype() == first.dtype();
      for (int d = 0; match && d < r; ++d) match = d == axis || t.dim(d) == first.dim(d);
      if (!match) {
        return ctx.InvalidArgument("input " + std::to_string(k) + " " + t.TypeString() +
                                   " does not match input 0 " + first.TypeString() +
                                   " outside axis " + std::to_string(axis));
      }
      dims[axis] += t.dim(axis);
    }
    KILN_ASSIGN_OR_RETURN(int esize, ElemBytes(ctx, first));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, first.dtype(), dims));
    if (y->numel() == 0) return Status::Ok();
    const int64_t outer = ProductOfDims(dims, 0, axis);
    const int64_t inner_bytes = ProductOfDims(dims, axis + 1, r) * esize;
    const int64_t out_pitch = dims[axis] * inner_bytes;
    int64_t col = 0;  // bytes into an output row
    for (const Tensor* t : ins) {
      const int64_t chunk = t->dim(axis) * inner_bytes;
      if (chunk > 0) {
        KILN_CUDA_RETURN_IF_ERROR(CudaStatus(
            LaunchCopyRows(At(y->raw_data(), col), out_pitch, t->raw_data(), chunk, outer, chunk,
                           Stream(ctx).stream()),
            ctx, "LaunchCopyRows"));
      }
      col += chunk;
    }
    return Status::Ok();
  }

 private:
  bool has_axis_;
  int64_t axis_;
};

// ---------------------------------------------------------------------------------------------
// Split: one pitched row copy per output.

class SplitKernel : public Kernel {
 public:
  explicit SplitKernel(const KernelInfo& info)
      : axis_(info.GetInt("axis", 0)),
        has_split_attr_(info.HasAttr("split")),
        split_attr_(info.GetInts("split")),
        num_outputs_(info.GetInt("num_outputs", 0)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const int n = ctx.num_outputs();
    if (x.rank() == 0) return ctx.InvalidArgument("input must have rank >= 1");
    KILN_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_, x.rank(), ctx.node()));
    const int64_t dim = x.dim(axis);
    std::vector<int64_t> split;
    const Tensor* split_in = ctx.Input(1);  // a host input
    if (split_in != nullptr && (ctx.opset() == 1 || ctx.opset() >= 13)) {
      KILN_ASSIGN_OR_RETURN(split, ReadInts(ctx, *split_in, "split"));
    } else if (has_split_attr_ && ctx.opset() < 13) {
      split = split_attr_;
    } else if (num_outputs_ > 0 && ctx.opset() >= 18) {
      if (num_outputs_ != n) {
        return ctx.InvalidArgument("num_outputs is " + std::to_string(num_outputs_) +
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
    KILN_ASSIGN_OR_RETURN(int esize, ElemBytes(ctx, x));
    const int64_t outer = ProductOfDims(x.dims(), 0, axis);
    const int64_t inner_bytes = ProductOfDims(x.dims(), axis + 1, x.rank()) * esize;
    int64_t start = 0;
    for (int i = 0; i < n; ++i) {
      std::vector<int64_t> dims = x.dims();
      dims[axis] = split[i];
      if (ctx.output_requested(i)) {
        KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(i, x.dtype(), dims));
        const int64_t chunk = split[i] * inner_bytes;
        if (y->numel() > 0) {
          KILN_CUDA_RETURN_IF_ERROR(
              CudaStatus(LaunchCopyRows(y->raw_data(), chunk, At(x.raw_data(), start * inner_bytes),
                                        dim * inner_bytes, outer, chunk, Stream(ctx).stream()),
                         ctx, "LaunchCopyRows"));
        }
      }
      start += split[i];
    }
    return Status::Ok();
  }

 private:
  int64_t axis_;
  bool has_split_attr_;
  std::vector<int64_t> split_attr_;
  int64_t num_outputs_;
};

// ---------------------------------------------------------------------------------------------
// Slice

class SliceKernel : public Kernel {
 public:
  explicit SliceKernel(const KernelInfo& info)
      : starts_(info.GetInts("starts")),
        ends_(info.GetInts("ends")),
        has_axes_(info.HasAttr("axes")),
        axes_(info.GetInts("axes")) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const int r = x.rank();
    std::vector<int64_t> starts, ends, axes, steps;
    bool has_axes = has_axes_;
    if (ctx.opset() < 10) {
      starts = starts_;
      ends = ends_;
      axes = axes_;
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
    std::vector<int64_t> dims = x.dims(), strides = xs;
    int64_t offset = 0;
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
      dims[a] = len;
      strides[a] = len > 1 ? xs[a] * step : xs[a];
      if (len > 0) offset += s * xs[a];
    }
    return EmitStrided(ctx, 0, x, offset, dims, dims, strides);
  }

 private:
  std::vector<int64_t> starts_, ends_;
  bool has_axes_;
  std::vector<int64_t> axes_;
};

// ---------------------------------------------------------------------------------------------
// Gather

class GatherKernel : public Kernel {
 public:
  explicit GatherKernel(const KernelInfo& info) : axis_(info.GetInt("axis", 0)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const Tensor& ind = *ctx.Input(1);  // on the device
    if (x.rank() == 0) return ctx.InvalidArgument("data must have rank >= 1");
    if (ind.dtype() != DataType::kInt32 && ind.dtype() != DataType::kInt64) {
      return ctx.InvalidArgument("indices must be int32 or int64, got " + ind.TypeString());
    }
    KILN_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_, x.rank(), ctx.node()));
    KILN_ASSIGN_OR_RETURN(int esize, ElemBytes(ctx, x));
    std::vector<int64_t> dims(x.dims().begin(), x.dims().begin() + axis);
    dims.insert(dims.end(), ind.dims().begin(), ind.dims().end());
    dims.insert(dims.end(), x.dims().begin() + axis + 1, x.dims().end());
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x.dtype(), dims));
    if (y->numel() == 0) return Status::Ok();
    const int64_t outer = ProductOfDims(x.dims(), 0, axis);
    const int64_t inner = ProductOfDims(x.dims(), axis + 1, x.rank());
    return CudaStatus(LaunchGather(y->raw_data(), x.raw_data(), ind.raw_data(),
                                   ind.dtype() == DataType::kInt64, esize, outer, x.dim(axis),
                                   ind.numel(), inner, Stream(ctx).stream()),
                      ctx, "LaunchGather");
  }

 private:
  int64_t axis_;
};

// ---------------------------------------------------------------------------------------------
// Expand, Tile

Status ExpandRun(KernelContext& ctx) {
  const Tensor& x = *ctx.Input(0);
  const Tensor& s = *ctx.Input(1);  // a host input
  if (s.rank() != 1) return ctx.InvalidArgument("shape must be 1-D, got " + s.TypeString());
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> shape, ReadInts(ctx, s, "shape"));
  for (int64_t d : shape) {
    if (d < 0) return ctx.InvalidArgument("shape " + DimsToString(shape) + " has a negative dim");
  }
  auto out = cpu::BroadcastShapes({x.dims(), shape});
  if (!out.ok()) return ctx.InvalidArgument(out.status().message());
  const std::vector<int64_t> dims = *out;
  return EmitStrided(ctx, 0, x, 0, dims, dims, cpu::BroadcastStrides(x.dims(), dims));
}

// The output viewed as [r0, d0, r1, d1, ...] reads the input with strides [0, s0, 0, s1, ...].
Status TileRun(KernelContext& ctx) {
  const Tensor& x = *ctx.Input(0);
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
  std::vector<int64_t> out(r), iter, strides;
  for (int i = 0; i < r; ++i) {
    if (repeats[i] < 0) {
      return ctx.InvalidArgument("repeats " + DimsToString(repeats) + " has a negative entry");
    }
    out[i] = x.dim(i) * repeats[i];
    iter.push_back(repeats[i]);
    strides.push_back(0);
    iter.push_back(x.dim(i));
    strides.push_back(xs[i]);
  }
  return EmitStrided(ctx, 0, x, 0, out, iter, strides);
}

// ---------------------------------------------------------------------------------------------
// Pad

class PadKernel : public Kernel {
 public:
  explicit PadKernel(const KernelInfo& info)
      : mode_name_(info.GetString("mode", "constant")),
        pads_attr_(info.GetInts(info.opset() < 2 ? "paddings" : "pads")),
        value_attr_(info.GetFloat("value", 0.0f)) {}
  Status Run(KernelContext& ctx) const override {
    PadKind mode;
    if (mode_name_ == "constant") {
      mode = PadKind::kConstant;
    } else if (mode_name_ == "reflect") {
      mode = PadKind::kReflect;
    } else if (mode_name_ == "edge") {
      mode = PadKind::kEdge;
    } else if (mode_name_ == "wrap") {
      mode = PadKind::kWrap;
    } else {
      return ctx.InvalidArgument("unknown mode '" + mode_name_ + "'");
    }
    const Tensor& x = *ctx.Input(0);
    const int r = x.rank();
    std::vector<int64_t> pads;
    std::vector<int> axes;
    if (ctx.opset() < 11) {
      pads = pads_attr_;
    } else {
      // Host inputs.
      if (ctx.Input(1) == nullptr) return ctx.InvalidArgument("input 'pads' is missing");
      KILN_ASSIGN_OR_RETURN(pads, ReadInts(ctx, *ctx.Input(1), "pads"));
      if (const Tensor* a = ctx.Input(3)) {
        KILN_ASSIGN_OR_RETURN(std::vector<int64_t> av, ReadInts(ctx, *a, "axes"));
        KILN_ASSIGN_OR_RETURN(axes, NormalizeAxes(ctx, av, r));
      }
    }
    if (axes.empty() && (ctx.opset() < 11 || ctx.Input(3) == nullptr)) {
      for (int i = 0; i < r; ++i) axes.push_back(i);
    }
    const size_t na = axes.size();
    if (pads.size() != 2 * na) {
      return ctx.InvalidArgument("pads has " + std::to_string(pads.size()) + " entries, expected " +
                                 std::to_string(2 * na) + " for input " + x.TypeString());
    }
    if (r > kMaxPadDims) {
      return ctx.Unsupported("input " + x.TypeString() + " has rank above " +
                             std::to_string(kMaxPadDims) + ", the most Pad supports on CUDA");
    }
    std::vector<int64_t> begin(r, 0), end(r, 0);
    for (size_t i = 0; i < na; ++i) {
      begin[axes[i]] = pads[i];
      end[axes[i]] = pads[i + na];
    }
    // Negative pads crop first; padding then applies to the kept range [lo, lo + len).
    PadShape shape;
    shape.rank = r;
    std::vector<int64_t> out_dims(r);
    const std::vector<int64_t> xs = ContiguousStrides(x.dims());
    for (int d = 0; d < r; ++d) {
      const int64_t dim = x.dim(d);
      const int64_t lo = std::max<int64_t>(0, -begin[d]);
      const int64_t n = dim - lo - std::max<int64_t>(0, -end[d]);
      const int64_t pb = std::max<int64_t>(0, begin[d]), pe = std::max<int64_t>(0, end[d]);
      if (n < 0) {
        return ctx.InvalidArgument("pads " + DimsToString(pads) + " crop axis " +
                                   std::to_string(d) + " of " + x.TypeString() + " below zero");
      }
      out_dims[d] = n + pb + pe;
      if (mode != PadKind::kConstant && n == 0 && out_dims[d] > 0) {
        return ctx.InvalidArgument("cannot pad an empty axis " + std::to_string(d) + " in mode " +
                                   mode_name_);
      }
      shape.out_dims[d] = out_dims[d];
      shape.in_strides[d] = xs[d];
      shape.pad_begin[d] = pb;
      shape.lo[d] = lo;
      shape.len[d] = n;
    }
    KILN_ASSIGN_OR_RETURN(int esize, ElemBytes(ctx, x));
    // The fill value's bytes, in x's type.
    unsigned char fill[16] = {};
    if (ctx.opset() >= 11 && ctx.Input(2) != nullptr && ctx.Input(2)->numel() > 0) {
      const Tensor& value = *ctx.Input(2);  // a host input
      if (value.dtype() != x.dtype()) {
        return ctx.InvalidArgument("constant_value " + value.TypeString() +
                                   " does not match the input type " + x.TypeString());
      }
      std::memcpy(fill, value.raw_data(), static_cast<size_t>(esize));
    } else if (ctx.opset() < 11) {
      cpu::Dispatch<KILN_NUMERIC_TYPES>(x.dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T v = cpu::FromDouble<T>(value_attr_);
        std::memcpy(fill, &v, sizeof(T));
      });
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x.dtype(), out_dims));
    if (y->numel() == 0) return Status::Ok();
    return CudaStatus(LaunchPad(y->raw_data(), x.raw_data(), esize, shape, mode, fill,
                                y->numel(), Stream(ctx).stream()),
                      ctx, "LaunchPad");
  }

 private:
  std::string mode_name_;
  std::vector<int64_t> pads_attr_;
  float value_attr_;
};

}  // namespace

void RegisterMovementKernels(KernelRegistry& r) {
  const std::vector<DataType> types = MovableTypes();
  const std::vector<DataType> index_types = {DataType::kInt32, DataType::kInt64};
  const Device cuda = Device::kCuda;
  r.Register(KernelDef("Transpose").Opsets(1).OnDevice(cuda).Types("T", {0}, types),
             MakeKernel<TransposeKernel>());
  r.Register(KernelDef("Concat").Opsets(1).OnDevice(cuda).Types("T", {-1}, types),
             MakeKernel<ConcatKernel>());
  r.Register(KernelDef("Split").Opsets(1).OnDevice(cuda).Types("T", {0}, types).HostInputs({1}),
             MakeKernel<SplitKernel>());
  r.Register(KernelDef("Slice")
                 .Opsets(1)
                 .OnDevice(cuda)
                 .Types("T", {0}, types)
                 .Types("Tind", {1, 2, 3, 4}, index_types)
                 .HostInputs({1, 2, 3, 4}),
             MakeKernel<SliceKernel>());
  r.Register(KernelDef("Gather")
                 .Opsets(1)
                 .OnDevice(cuda)
                 .Types("T", {0}, types)
                 .Types("Tind", {1}, index_types),
             MakeKernel<GatherKernel>());
  r.Register(KernelDef("Expand")
                 .Opsets(8)
                 .OnDevice(cuda)
                 .Types("T", {0}, types)
                 .Types("shape", {1}, {DataType::kInt64})
                 .HostInputs({1}),
             Stateless(ExpandRun));
  r.Register(KernelDef("Tile").Opsets(1).OnDevice(cuda).Types("T", {0}, types).HostInputs({1, 2}),
             Stateless(TileRun));
  r.Register(
      KernelDef("Pad").Opsets(1).OnDevice(cuda).Types("T", {0}, types).HostInputs({1, 2, 3}),
      MakeKernel<PadKernel>());
  RegisterResizeKernels(r);
}

}  // namespace kiln::cuda
