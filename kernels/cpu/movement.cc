// Data-movement CPU kernels: ops that copy elements to new positions without arithmetic.
//   Transpose 1+, Concat 1+ (axis defaults to 1 before 4), Split 1+ (split input in 1, attribute
//   2-12, input from 13, num_outputs 18+), Slice 1+ (attributes before 10, inputs with steps from
//   10), Tile 1+ (tiles/axis inputs before 6, repeats from 6), Pad 1+ (paddings/pads attributes
//   before 11, inputs from 11, axes 18+; constant, reflect, edge, wrap), DepthToSpace 1+ (DCR/CRD),
//   SpaceToDepth 1+ (DCR/CRD), ReverseSequence 10+, CenterCropPad 18+.
// Every element type is supported (strings, complex, packed sub-byte types).
#include <limits>

#include "kernels/cpu/element_copy.h"
#include "kernels/cpu/register.h"

namespace kiln::cpu {
namespace {

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
// Concat

class ConcatKernel : public Kernel {
 public:
  explicit ConcatKernel(const KernelInfo& info)
      : has_axis_(info.HasAttr("axis")), axis_(info.GetInt("axis", 1)) {}
  Status Run(KernelContext& ctx) const override {
    if (!has_axis_ && ctx.opset() >= 4) return ctx.InvalidArgument("attribute 'axis' is required");
    std::vector<Tensor> ins;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const Tensor* t = ctx.Input(i);
      if (t == nullptr) return ctx.InvalidArgument("input " + std::to_string(i) + " is missing");
      ins.push_back(*t);
    }
    if (ins.empty()) return ctx.InvalidArgument("needs at least one input");
    const Tensor& first = ins[0];
    const int r = first.rank();
    if (r == 0) return ctx.InvalidArgument("inputs must have rank >= 1");
    KILN_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_, r, ctx.node()));
    std::vector<int64_t> dims = first.dims();
    dims[axis] = 0;
    for (size_t k = 0; k < ins.size(); ++k) {
      const Tensor& t = ins[k];
      bool match = t.rank() == r && t.dtype() == first.dtype();
      for (int d = 0; match && d < r; ++d) match = d == axis || t.dim(d) == first.dim(d);
      if (!match) {
        return ctx.InvalidArgument("input " + std::to_string(k) + " " + t.TypeString() +
                                   " does not match input 0 " + first.TypeString() +
                                   " outside axis " + std::to_string(axis));
      }
      dims[axis] += t.dim(axis);
    }
    const int64_t outer = ProductOfDims(dims, 0, axis);
    const int64_t inner = ProductOfDims(dims, axis + 1, r);
    for (Tensor& t : ins) t = UnpackedView(t);
    KILN_ASSIGN_OR_RETURN(StagedOutput y, StageOutput(ctx, 0, first.dtype(), dims));
    bool ok = DispatchCopy(ins[0].dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* dst = y.buf.data<T>();
      for (int64_t o = 0; o < outer; ++o) {
        for (const Tensor& t : ins) {
          const int64_t chunk = t.dim(axis) * inner;
          CopyN(dst, t.data<T>() + o * chunk, chunk);
          dst += chunk;
        }
      }
    });
    if (!ok) return UnsupportedType(ctx, first);
    y.Finish();
    return Status::Ok();
  }

 private:
  bool has_axis_;
  int64_t axis_;
};

// ---------------------------------------------------------------------------------------------
// Split

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
    const Tensor* split_in = ctx.Input(1);
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
      for (int i = 0; i < n; ++i)
        split.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
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
      if (s < 0)
        return ctx.InvalidArgument("split " + DimsToString(split) + " has a negative entry");
      total += s;
    }
    if (total != dim) {
      return ctx.InvalidArgument("split " + DimsToString(split) + " does not sum to " +
                                 std::to_string(dim) + " (axis " + std::to_string(axis) + " of " +
                                 x.TypeString() + ")");
    }
    const int64_t outer = ProductOfDims(x.dims(), 0, axis);
    const int64_t inner = ProductOfDims(x.dims(), axis + 1, x.rank());
    const Tensor in = UnpackedView(x);
    int64_t start = 0;
    for (int i = 0; i < n; ++i) {
      std::vector<int64_t> dims = x.dims();
      dims[axis] = split[i];
      if (!ctx.output_requested(i)) {
        start += split[i];
        continue;
      }
      KILN_ASSIGN_OR_RETURN(StagedOutput y, StageOutput(ctx, i, x.dtype(), dims));
      bool ok = DispatchCopy(in.dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const int64_t chunk = split[i] * inner;
        for (int64_t o = 0; o < outer; ++o) {
          CopyN(y.buf.data<T>() + o * chunk, in.data<T>() + (o * dim + start) * inner, chunk);
        }
      });
      if (!ok) return UnsupportedType(ctx, x);
      y.Finish();
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
// Tile: the output viewed as [r0, d0, r1, d1, ...] reads the input with strides [0, s0, 0, s1..].

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

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

class PadKernel : public Kernel {
 public:
  explicit PadKernel(const KernelInfo& info)
      : mode_name_(info.GetString("mode", "constant")),
        pads_attr_(info.GetInts(info.opset() < 2 ? "paddings" : "pads")),
        value_attr_(info.GetFloat("value", 0.0f)) {}
  Status Run(KernelContext& ctx) const override {
    PadMode mode;
    if (mode_name_ == "constant") {
      mode = PadMode::kConstant;
    } else if (mode_name_ == "reflect") {
      mode = PadMode::kReflect;
    } else if (mode_name_ == "edge") {
      mode = PadMode::kEdge;
    } else if (mode_name_ == "wrap") {
      mode = PadMode::kWrap;
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
    std::vector<int64_t> begin(r, 0), end(r, 0);
    for (size_t i = 0; i < na; ++i) {
      begin[axes[i]] = pads[i];
      end[axes[i]] = pads[i + na];
    }
    // Per-dim maps from output index to input index (-1: the constant value). Negative pads crop
    // first; padding then applies to the cropped range [lo, lo + n).
    std::vector<int64_t> out_dims(r);
    std::vector<std::vector<int64_t>> maps(r);
    int64_t inner_lo = 0, inner_n = 0, inner_pb = 0;  // the innermost dim's copied span
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
      if (d == r - 1) {
        inner_lo = lo;
        inner_n = n;
        inner_pb = pb;
      }
      if (mode != PadMode::kConstant && n == 0 && out_dims[d] > 0) {
        return ctx.InvalidArgument("cannot pad an empty axis " + std::to_string(d) + " in mode " +
                                   mode_name_);
      }
      maps[d].resize(out_dims[d]);
      for (int64_t o = 0; o < out_dims[d]; ++o) {
        int64_t i = o - pb;
        if (i < 0 || i >= n) {
          switch (mode) {
            case PadMode::kConstant:
              i = -1;
              break;
            case PadMode::kEdge:
              i = i < 0 ? 0 : n - 1;
              break;
            case PadMode::kWrap:
              i = ((i % n) + n) % n;
              break;
            case PadMode::kReflect:
              if (n == 1) {
                i = 0;
              } else {
                const int64_t period = 2 * (n - 1);
                i = ((i % period) + period) % period;
                if (i >= n) i = period - i;
              }
              break;
          }
        }
        maps[d][o] = i < 0 ? -1 : lo + i;
      }
    }
    // The fill value, as a one-element tensor of x's type.
    Tensor value;
    if (ctx.opset() >= 11 && ctx.Input(2) != nullptr && ctx.Input(2)->numel() > 0) {
      value = *ctx.Input(2);
      if (value.dtype() != x.dtype()) {
        return ctx.InvalidArgument("constant_value " + value.TypeString() +
                                   " does not match the input type " + x.TypeString());
      }
    } else {
      value = Tensor(x.dtype(), {});
      if (ctx.opset() < 11) {
        Dispatch<KILN_NUMERIC_TYPES>(x.dtype(), [&](auto tag) {
          using T = typename decltype(tag)::type;
          value.data<T>()[0] = FromDouble<T>(value_attr_);
        });
      }
    }
    const Tensor in = UnpackedView(x);
    const Tensor fill = UnpackedView(value);
    KILN_ASSIGN_OR_RETURN(StagedOutput y, StageOutput(ctx, 0, x.dtype(), out_dims));
    const int64_t total = y.buf.numel();
    bool ok = DispatchCopy(in.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T v = fill.data<T>()[0];
      T* dst = y.buf.data<T>();
      if (r == 0) {
        dst[0] = in.data<T>()[0];
        return;
      }
      if (total == 0) return;
      const T* src = in.data<T>();
      const std::vector<int64_t> xs = ContiguousStrides(x.dims());
      const int64_t n = out_dims[r - 1];
      const std::vector<int64_t>& inner = maps[r - 1];
      std::vector<int64_t> idx(r, 0);
      for (int64_t o = 0; o < total; o += n) {
        int64_t base = 0;
        bool valid = true;
        for (int d = 0; d < r - 1; ++d) {
          const int64_t m = maps[d][idx[d]];
          if (m < 0) {
            valid = false;
            break;
          }
          base += m * xs[d];
        }
        if (!valid) {
          std::fill_n(dst + o, n, v);
        } else {
          // The padded edges go through the map; the middle span is a contiguous copy.
          for (int64_t j = 0; j < inner_pb; ++j) {
            const int64_t m = inner[j];
            dst[o + j] = m < 0 ? v : src[base + m];
          }
          CopyN(dst + o + inner_pb, src + base + inner_lo, inner_n);
          for (int64_t j = inner_pb + inner_n; j < n; ++j) {
            const int64_t m = inner[j];
            dst[o + j] = m < 0 ? v : src[base + m];
          }
        }
        for (int d = r - 2; d >= 0; --d) {
          if (++idx[d] < out_dims[d]) break;
          idx[d] = 0;
        }
      }
    });
    if (!ok) return UnsupportedType(ctx, x);
    y.Finish();
    return Status::Ok();
  }

 private:
  std::string mode_name_;
  std::vector<int64_t> pads_attr_;
  float value_attr_;
};

// ---------------------------------------------------------------------------------------------
// DepthToSpace / SpaceToDepth: a 6-D transpose.

class DepthSpaceKernel : public Kernel {
 public:
  DepthSpaceKernel(const KernelInfo& info, bool to_space)
      : to_space_(to_space),
        blocksize_(info.GetInt("blocksize", 0)),
        crd_(info.GetString("mode", "DCR") == "CRD"),
        mode_(info.GetString("mode", "DCR")) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    if (mode_ != "DCR" && mode_ != "CRD") {
      return ctx.InvalidArgument("unknown mode '" + mode_ + "'");
    }
    if (x.rank() != 4) return ctx.InvalidArgument("input must be 4-D, got " + x.TypeString());
    const int64_t bs = blocksize_;
    if (bs <= 0) return ctx.InvalidArgument("blocksize must be positive");
    const int64_t b = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
    if (to_space_) {
      if (c % (bs * bs) != 0) {
        return ctx.InvalidArgument("channels of " + x.TypeString() +
                                   " are not divisible by blocksize^2");
      }
      const int64_t cc = c / (bs * bs);
      // Input viewed as [b, bs, bs, cc, h, w] (DCR) or [b, cc, bs, bs, h, w] (CRD); the output is
      // [b, cc, h, bs, w, bs].
      std::vector<int64_t> in6 = crd_ ? std::vector<int64_t>{b, cc, bs, bs, h, w}
                                      : std::vector<int64_t>{b, bs, bs, cc, h, w};
      const std::vector<int64_t> s = ContiguousStrides(in6);
      const std::vector<int64_t> iter = {b, cc, h, bs, w, bs};
      const std::vector<int64_t> strides =
          crd_ ? std::vector<int64_t>{s[0], s[1], s[4], s[2], s[5], s[3]}
               : std::vector<int64_t>{s[0], s[3], s[4], s[1], s[5], s[2]};
      return EmitStrided(ctx, 0, x, 0, {b, cc, h * bs, w * bs}, iter, strides);
    }
    if (h % bs != 0 || w % bs != 0) {
      return ctx.InvalidArgument("spatial dims of " + x.TypeString() +
                                 " are not divisible by blocksize");
    }
    const int64_t hh = h / bs, ww = w / bs;
    // Input viewed as [b, c, hh, bs, ww, bs]; the output is [b, bs, bs, c, hh, ww] (DCR) or
    // [b, c, bs, bs, hh, ww] (CRD).
    const std::vector<int64_t> s = ContiguousStrides({b, c, hh, bs, ww, bs});
    const std::vector<int64_t> iter = crd_ ? std::vector<int64_t>{b, c, bs, bs, hh, ww}
                                           : std::vector<int64_t>{b, bs, bs, c, hh, ww};
    const std::vector<int64_t> strides =
        crd_ ? std::vector<int64_t>{s[0], s[1], s[3], s[5], s[2], s[4]}
             : std::vector<int64_t>{s[0], s[3], s[5], s[1], s[2], s[4]};
    return EmitStrided(ctx, 0, x, 0, {b, c * bs * bs, hh, ww}, iter, strides);
  }

 private:
  bool to_space_;
  int64_t blocksize_;
  bool crd_;
  std::string mode_;
};

// ---------------------------------------------------------------------------------------------
// ReverseSequence

class ReverseSequenceKernel : public Kernel {
 public:
  explicit ReverseSequenceKernel(const KernelInfo& info)
      : batch_axis_(info.GetInt("batch_axis", 1)), time_axis_(info.GetInt("time_axis", 0)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const Tensor& lens_t = *ctx.Input(1);
    if (x.rank() < 2)
      return ctx.InvalidArgument("input must have rank >= 2, got " + x.TypeString());
    if (!((batch_axis_ == 0 && time_axis_ == 1) || (batch_axis_ == 1 && time_axis_ == 0))) {
      return ctx.InvalidArgument("batch_axis and time_axis must be 0 and 1 in some order");
    }
    const int64_t batch = x.dim(static_cast<int>(batch_axis_));
    const int64_t time = x.dim(static_cast<int>(time_axis_));
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> lens, ReadInts(ctx, lens_t, "sequence_lens"));
    if (lens_t.rank() != 1 || static_cast<int64_t>(lens.size()) != batch) {
      return ctx.InvalidArgument("sequence_lens " + lens_t.TypeString() +
                                 " must be 1-D with the batch size of " + x.TypeString());
    }
    for (int64_t l : lens) {
      if (l < 0 || l > time) {
        return ctx.InvalidArgument("sequence length " + std::to_string(l) +
                                   " is out of range [0, " + std::to_string(time) + "]");
      }
    }
    const int64_t inner = ProductOfDims(x.dims(), 2, x.rank());
    const int64_t sb = (batch_axis_ == 0 ? time : 1) * inner;
    const int64_t st = (time_axis_ == 0 ? batch : 1) * inner;
    const Tensor in = UnpackedView(x);
    KILN_ASSIGN_OR_RETURN(StagedOutput y, StageOutput(ctx, 0, x.dtype(), x.dims()));
    bool ok = DispatchCopy(in.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = in.data<T>();
      T* dst = y.buf.data<T>();
      for (int64_t bi = 0; bi < batch; ++bi) {
        for (int64_t t = 0; t < time; ++t) {
          const int64_t from = t < lens[bi] ? lens[bi] - 1 - t : t;
          CopyN(dst + bi * sb + t * st, src + bi * sb + from * st, inner);
        }
      }
    });
    if (!ok) return UnsupportedType(ctx, x);
    y.Finish();
    return Status::Ok();
  }

 private:
  int64_t batch_axis_;
  int64_t time_axis_;
};

// ---------------------------------------------------------------------------------------------
// CenterCropPad

class CenterCropPadKernel : public Kernel {
 public:
  explicit CenterCropPadKernel(const KernelInfo& info)
      : has_axes_(info.HasAttr("axes")), axes_(info.GetInts("axes")) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const int r = x.rank();
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> shape, ReadInts(ctx, *ctx.Input(1), "shape"));
    std::vector<int64_t> axes_raw = axes_;
    if (!has_axes_) {
      axes_raw.clear();
      for (int i = 0; i < r; ++i) axes_raw.push_back(i);
    }
    KILN_ASSIGN_OR_RETURN(std::vector<int> axes, NormalizeAxes(ctx, axes_raw, r));
    if (shape.size() != axes.size()) {
      return ctx.InvalidArgument("shape has " + std::to_string(shape.size()) + " entries for " +
                                 std::to_string(axes.size()) + " axes");
    }
    std::vector<int64_t> out_dims = x.dims(), copy = x.dims();
    std::vector<int64_t> src_off(r, 0), dst_off(r, 0);
    for (size_t i = 0; i < axes.size(); ++i) {
      const int a = axes[i];
      const int64_t d = x.dim(a), s = shape[i];
      if (s < 0) return ctx.InvalidArgument("shape " + DimsToString(shape) + " is negative");
      out_dims[a] = s;
      copy[a] = std::min(d, s);
      if (s < d) src_off[a] = (d - s) / 2;
      if (s > d) dst_off[a] = (s - d) / 2;
    }
    const std::vector<int64_t> xs = ContiguousStrides(x.dims());
    const std::vector<int64_t> ys = ContiguousStrides(out_dims);
    int64_t src0 = 0, dst0 = 0;
    for (int d = 0; d < r; ++d) {
      src0 += src_off[d] * xs[d];
      dst0 += dst_off[d] * ys[d];
    }
    const Tensor in = UnpackedView(x);
    KILN_ASSIGN_OR_RETURN(StagedOutput y, StageOutput(ctx, 0, x.dtype(), out_dims, /*zeroed=*/true));
    bool ok = DispatchCopy(in.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      CopyRegion(y.buf.data<T>() + dst0, ys, in.data<T>() + src0, xs, copy);
    });
    if (!ok) return UnsupportedType(ctx, x);
    y.Finish();
    return Status::Ok();
  }

 private:
  bool has_axes_;
  std::vector<int64_t> axes_;
};

}  // namespace

void RegisterMovementKernels(KernelRegistry& r) {
  const std::vector<DataType>& all = kAllTensorTypes;
  const std::vector<DataType> index_types = {DataType::kInt32, DataType::kInt64};
  r.Register(KernelDef("Transpose").Opsets(1).Types("T", {0}, all), MakeKernel<TransposeKernel>());
  r.Register(KernelDef("Concat").Opsets(1).Types("T", {-1}, all), MakeKernel<ConcatKernel>());
  r.Register(KernelDef("Split").Opsets(1).Types("T", {0}, all).HostInputs({1}),
             MakeKernel<SplitKernel>());
  r.Register(KernelDef("Slice")
                 .Opsets(1)
                 .Types("T", {0}, all)
                 .Types("Tind", {1, 2, 3, 4}, index_types)
                 .HostInputs({1, 2, 3, 4}),
             MakeKernel<SliceKernel>());
  r.Register(KernelDef("Tile").Opsets(1).Types("T", {0}, all).HostInputs({1, 2}),
             Stateless(TileRun));
  r.Register(KernelDef("Pad").Opsets(1).Types("T", {0}, all).HostInputs({1, 2, 3}),
             MakeKernel<PadKernel>());
  r.Register(KernelDef("DepthToSpace").Opsets(1).Types("T", {0}, all),
             [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
               return std::unique_ptr<Kernel>(new DepthSpaceKernel(info, true));
             });
  r.Register(KernelDef("SpaceToDepth").Opsets(1).Types("T", {0}, all),
             [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
               return std::unique_ptr<Kernel>(new DepthSpaceKernel(info, false));
             });
  r.Register(KernelDef("ReverseSequence")
                 .Opsets(10)
                 .Types("T", {0}, all)
                 .Types("sequence_lens", {1}, {DataType::kInt64}),
             MakeKernel<ReverseSequenceKernel>());
  r.Register(KernelDef("CenterCropPad")
                 .Opsets(18)
                 .Types("T", {0}, all)
                 .Types("Tind", {1}, index_types)
                 .HostInputs({1}),
             MakeKernel<CenterCropPadKernel>());
}

}  // namespace kiln::cpu
