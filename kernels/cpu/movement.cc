// Data-movement CPU kernels: ops that copy elements to new positions without arithmetic.
//   Transpose 1+, Concat 1+ (axis defaults to 1 before 4), Split 1+ (split input in 1, attribute
//   2-12, input from 13, num_outputs 18+), Slice 1+ (attributes before 10, inputs with steps from
//   10), Tile 1+ (tiles/axis inputs before 6, repeats from 6), Pad 1+ (paddings/pads attributes
//   before 11, inputs from 11, axes 18+; constant, reflect, edge, wrap), DepthToSpace 1+ (DCR/CRD),
//   SpaceToDepth 1+ (DCR/CRD), ReverseSequence 10+, CenterCropPad 18+.
// Every element type is supported (strings, complex, packed sub-byte types).
#include <limits>

#include "kernels/cpu/register.h"
#include "kernels/ops/element_copy.h"
#include "kernels/ops/movement_params.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

// ---------------------------------------------------------------------------------------------
// Transpose

class TransposeKernel : public Kernel {
 public:
  explicit TransposeKernel(const KernelInfo& info) : attrs_(ReadTransposeAttrs(info)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    KILN_ASSIGN_OR_RETURN(StridedPlan p, PlanTranspose(ctx, attrs_, x));
    return EmitStrided(ctx, 0, x, p.offset, p.out_dims, p.iter_dims, p.strides);
  }

 private:
  TransposeAttrs attrs_;
};

// ---------------------------------------------------------------------------------------------
// Concat

class ConcatKernel : public Kernel {
 public:
  explicit ConcatKernel(const KernelInfo& info) : attrs_(ReadConcatAttrs(info)) {}
  Status Run(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(ConcatPlan p, PlanConcat(ctx, attrs_));
    const Tensor& first = *p.inputs[0];
    std::vector<Tensor> ins;
    for (const Tensor* t : p.inputs) ins.push_back(UnpackedView(*t));
    KILN_ASSIGN_OR_RETURN(StagedOutput y, StageOutput(ctx, 0, first.dtype(), p.dims));
    bool ok = DispatchCopy(ins[0].dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* dst = y.buf.data<T>();
      for (int64_t o = 0; o < p.outer; ++o) {
        for (const Tensor& t : ins) {
          const int64_t chunk = t.dim(p.axis) * p.inner;
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
  ConcatAttrs attrs_;
};

// ---------------------------------------------------------------------------------------------
// Split

class SplitKernel : public Kernel {
 public:
  explicit SplitKernel(const KernelInfo& info) : attrs_(ReadSplitAttrs(info)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    KILN_ASSIGN_OR_RETURN(SplitPlan p, PlanSplit(ctx, attrs_, x));
    const int64_t dim = x.dim(p.axis);
    const Tensor in = UnpackedView(x);
    int64_t start = 0;
    for (int i = 0; i < ctx.num_outputs(); ++i) {
      std::vector<int64_t> dims = x.dims();
      dims[p.axis] = p.split[i];
      if (!ctx.output_requested(i)) {
        start += p.split[i];
        continue;
      }
      KILN_ASSIGN_OR_RETURN(StagedOutput y, StageOutput(ctx, i, x.dtype(), dims));
      bool ok = DispatchCopy(in.dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const int64_t chunk = p.split[i] * p.inner;
        for (int64_t o = 0; o < p.outer; ++o) {
          CopyN(y.buf.data<T>() + o * chunk, in.data<T>() + (o * dim + start) * p.inner, chunk);
        }
      });
      if (!ok) return UnsupportedType(ctx, x);
      y.Finish();
      start += p.split[i];
    }
    return Status::Ok();
  }

 private:
  SplitAttrs attrs_;
};

// ---------------------------------------------------------------------------------------------
// Slice

class SliceKernel : public Kernel {
 public:
  explicit SliceKernel(const KernelInfo& info) : attrs_(ReadSliceAttrs(info)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    KILN_ASSIGN_OR_RETURN(StridedPlan p, PlanSlice(ctx, attrs_, x));
    return EmitStrided(ctx, 0, x, p.offset, p.out_dims, p.iter_dims, p.strides);
  }

 private:
  SliceAttrs attrs_;
};

// ---------------------------------------------------------------------------------------------
// Tile: the output viewed as [r0, d0, r1, d1, ...] reads the input with strides [0, s0, 0, s1..].

Status TileRun(KernelContext& ctx) {
  const Tensor& x = *ctx.Input(0);
  KILN_ASSIGN_OR_RETURN(StridedPlan p, PlanTile(ctx, x));
  return EmitStrided(ctx, 0, x, p.offset, p.out_dims, p.iter_dims, p.strides);
}

// ---------------------------------------------------------------------------------------------
// Pad

class PadKernel : public Kernel {
 public:
  explicit PadKernel(const KernelInfo& info) : attrs_(ReadPadAttrs(info)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const int r = x.rank();
    KILN_ASSIGN_OR_RETURN(PadSpec spec, ReadPads(ctx, attrs_, x));
    KILN_ASSIGN_OR_RETURN(std::vector<PadAxis> axes, PlanPadAxes(ctx, attrs_, spec, x));
    const PadMode mode = spec.mode;
    // Per-dim maps from output index to input index (-1: the constant value).
    std::vector<int64_t> out_dims(r);
    std::vector<std::vector<int64_t>> maps(r);
    for (int d = 0; d < r; ++d) {
      const int64_t lo = axes[d].lo, n = axes[d].len, pb = axes[d].before;
      out_dims[d] = axes[d].out;
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
    // The innermost dim's copied span.
    const int64_t inner_lo = r > 0 ? axes[r - 1].lo : 0;
    const int64_t inner_n = r > 0 ? axes[r - 1].len : 0;
    const int64_t inner_pb = r > 0 ? axes[r - 1].before : 0;
    KILN_ASSIGN_OR_RETURN(Tensor value, PadFillValue(ctx, attrs_, x));
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
  PadAttrs attrs_;
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
