// Shape-family CPU kernels: ops that change a tensor's shape or build small tensors.
//   Reshape 1+ (shape attribute before 5, allowzero 14+), Flatten 1+, Squeeze 1+, Unsqueeze 1+
//   (axes attribute before 13, input from 13), Shape 1+ (start/end 15+), Size 1+, Identity 1+
//   (tensors, sequences, optionals), Expand 8+, ConstantOfShape 9+, Constant 1+, Range 11+,
//   Dropout 1+ (identity unless training_mode, 12+), EyeLike 9+, Trilu 14+, OneHot 9+.
// Reshape, Flatten, Squeeze, Unsqueeze and Identity return views of their input.
#include <cmath>
#include <limits>
#include <random>

#include "kernels/cpu/numpy_random.h"
#include "kernels/cpu/register.h"
#include "kernels/ops/element_copy.h"
#include "kernels/ops/movement_params.h"
#include "kernels/ops/shape_params.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

// ---------------------------------------------------------------------------------------------
// Reshape

class ReshapeKernel : public Kernel {
 public:
  explicit ReshapeKernel(const KernelInfo& info) : attrs_(ReadReshapeAttrs(info)) {}
  Status Run(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(Tensor y, ReshapeView(ctx, attrs_, *ctx.Input(0)));
    return ctx.SetOutput(0, AnyValue(std::move(y)));
  }

 private:
  ReshapeAttrs attrs_;
};

// ---------------------------------------------------------------------------------------------
// Flatten

class FlattenKernel : public Kernel {
 public:
  explicit FlattenKernel(const KernelInfo& info) : axis_(info.GetInt("axis", 1)) {}
  Status Run(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(Tensor y, FlattenView(ctx, axis_, *ctx.Input(0)));
    return ctx.SetOutput(0, AnyValue(std::move(y)));
  }

 private:
  int64_t axis_;
};

// ---------------------------------------------------------------------------------------------
// Squeeze / Unsqueeze: axes from the attribute (before 13) or input 1.

class SqueezeKernel : public Kernel {
 public:
  explicit SqueezeKernel(const KernelInfo& info) : attrs_(ReadSqueezeAxesAttrs(info)) {}
  Status Run(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(Tensor y, SqueezeView(ctx, attrs_, *ctx.Input(0)));
    return ctx.SetOutput(0, AnyValue(std::move(y)));
  }

 private:
  SqueezeAxesAttrs attrs_;
};

class UnsqueezeKernel : public Kernel {
 public:
  explicit UnsqueezeKernel(const KernelInfo& info) : attrs_(ReadSqueezeAxesAttrs(info)) {}
  Status Run(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(Tensor y, UnsqueezeView(ctx, attrs_, *ctx.Input(0)));
    return ctx.SetOutput(0, AnyValue(std::move(y)));
  }

 private:
  SqueezeAxesAttrs attrs_;
};

// ---------------------------------------------------------------------------------------------
// Shape, Size, Identity

class ShapeKernel : public Kernel {
 public:
  explicit ShapeKernel(const KernelInfo& info) : attrs_(ReadShapeAttrs(info)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const auto [b, e] = ShapeRange(attrs_, x.rank());
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kInt64, {e - b}));
    for (int64_t i = b; i < e; ++i) y->data<int64_t>()[i - b] = x.dim(static_cast<int>(i));
    return Status::Ok();
  }

 private:
  ShapeAttrs attrs_;
};

Status SizeRun(KernelContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kInt64, {}));
  *y->data<int64_t>() = ctx.Input(0)->numel();
  return Status::Ok();
}

Status IdentityRun(KernelContext& ctx) {
  const AnyValue* v = ctx.InputValue(0);
  if (v == nullptr) return ctx.InvalidArgument("input is missing");
  return ctx.SetOutput(0, *v);
}

// ---------------------------------------------------------------------------------------------
// Expand

Status ExpandRun(KernelContext& ctx) {
  const Tensor& x = *ctx.Input(0);
  KILN_ASSIGN_OR_RETURN(StridedPlan p, PlanExpand(ctx, x));
  return EmitStrided(ctx, 0, x, p.offset, p.out_dims, p.iter_dims, p.strides);
}

// ---------------------------------------------------------------------------------------------
// Filling helpers

// Fills `n` elements of `t` (contiguous) with the element at `value`.
Status FillWith(KernelContext& ctx, StagedOutput& y, const Tensor& value) {
  const Tensor v = UnpackedView(value);
  bool ok = DispatchCopy(y.buf.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    std::fill_n(y.buf.data<T>(), y.buf.numel(), v.data<T>()[0]);
  });
  if (!ok) return UnsupportedType(ctx, value);
  y.Finish();
  return Status::Ok();
}

class ConstantOfShapeKernel : public Kernel {
 public:
  explicit ConstantOfShapeKernel(const KernelInfo& info) {
    value_ = ConstantOfShapeValue(info);
  }
  Status Run(KernelContext& ctx) const override {
    if (value_.numel() != 1) {
      return ctx.InvalidArgument("attribute 'value' must have one element, got " +
                                 value_.TypeString());
    }
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> dims, ConstantOfShapeDims(ctx, *ctx.Input(0)));
    KILN_ASSIGN_OR_RETURN(StagedOutput y, StageOutput(ctx, 0, value_.dtype(), dims));
    return FillWith(ctx, y, value_);
  }

 private:
  Tensor value_;
};

StatusOr<std::unique_ptr<Kernel>> MakeConstant(const KernelInfo& info) {
  Tensor t;
  int found = 0;
  for (const Attribute& a : info.node().attributes) {
    if (a.name == "sparse_value") return info.Unsupported("sparse_value is not supported");
    if (a.name == "value") {
      t = a.t.Clone();
    } else if (a.name == "value_float") {
      t = Tensor::Scalar<float>(a.f);
    } else if (a.name == "value_floats") {
      t = Tensor::FromVector<float>(a.floats);
    } else if (a.name == "value_int") {
      t = Tensor::Scalar<int64_t>(a.i);
    } else if (a.name == "value_ints") {
      t = Tensor::FromVector<int64_t>(a.ints);
    } else if (a.name == "value_string") {
      t = Tensor::Scalar<std::string>(a.s);
    } else if (a.name == "value_strings") {
      t = Tensor::FromVector<std::string>(a.strings);
    } else {
      continue;
    }
    ++found;
  }
  if (found != 1) {
    return info.InvalidModel("exactly one value attribute is required, got " +
                             std::to_string(found));
  }
  if (!t.defined()) return info.InvalidModel("attribute 'value' holds no tensor");
  // Each run returns a fresh copy, so consumers that reuse their input buffer in place cannot
  // modify the constant.
  return std::unique_ptr<Kernel>(new FunctionKernel(
      [t](KernelContext& ctx) -> Status { return ctx.SetOutput(0, AnyValue(t.Clone())); }));
}

// ---------------------------------------------------------------------------------------------
// Range

Status RangeRun(KernelContext& ctx) {
  const Tensor* in[3] = {ctx.Input(0), ctx.Input(1), ctx.Input(2)};
  for (int i = 0; i < 3; ++i) {
    if (in[i]->numel() != 1) {
      return ctx.InvalidArgument("input " + std::to_string(i) + " must be a scalar, got " +
                                 in[i]->TypeString());
    }
  }
  const DataType dt = in[0]->dtype();
  Status st;
  bool ok = Dispatch<int16_t, int32_t, int64_t>(dt, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t start = in[0]->data<T>()[0], limit = in[1]->data<T>()[0],
                  delta = in[2]->data<T>()[0];
    if (delta == 0) {
      st = ctx.InvalidArgument("delta is 0");
      return;
    }
    int64_t n = 0;
    if ((delta > 0 && limit > start) || (delta < 0 && limit < start)) {
      const int64_t span = limit - start;
      n = span / delta + (span % delta != 0 ? 1 : 0);
    }
    auto y = ctx.Output(0, dt, {n});
    if (!y.ok()) {
      st = y.status();
      return;
    }
    T* p = (*y)->template data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + i * delta);
  });
  if (ok) return st;
  ok = Dispatch<KILN_FLOAT_TYPES>(dt, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const double start = ToDouble(in[0]->data<T>()[0]), limit = ToDouble(in[1]->data<T>()[0]),
                 delta = ToDouble(in[2]->data<T>()[0]);
    if (delta == 0 || !std::isfinite(start) || !std::isfinite(limit) || !std::isfinite(delta)) {
      st = ctx.InvalidArgument("start, limit and delta must be finite and delta non-zero");
      return;
    }
    const double count = std::ceil((limit - start) / delta);
    if (count > 9.0e15) {
      st = ctx.InvalidArgument("range has too many elements");
      return;
    }
    const int64_t n = count > 0 ? static_cast<int64_t>(count) : 0;
    auto y = ctx.Output(0, dt, {n});
    if (!y.ok()) {
      st = y.status();
      return;
    }
    T* p = (*y)->template data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = FromDouble<T>(start + static_cast<double>(i) * delta);
  });
  if (!ok) return UnsupportedType(ctx, *in[0]);
  return st;
}

// ---------------------------------------------------------------------------------------------
// Dropout

// Training-mode masks draw from numpy's legacy RandomState (numpy_random.h), so seeded masks
// match numpy's.
class DropoutKernel : public Kernel {
 public:
  explicit DropoutKernel(const KernelInfo& info)
      : has_seed_(info.HasAttr("seed")), seed_(info.GetInt("seed", 0)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    bool training = false;
    double ratio = 0.5;
    if (ctx.opset() >= 12) {
      if (const Tensor* t = ctx.Input(2)) {
        if (t->numel() != 1 || t->dtype() != DataType::kBool) {
          return ctx.InvalidArgument("training_mode must be a bool scalar, got " + t->TypeString());
        }
        training = t->data<bool>()[0];
      }
      if (const Tensor* r = ctx.Input(1)) {
        if (r->numel() != 1) {
          return ctx.InvalidArgument("ratio must be a scalar, got " + r->TypeString());
        }
        if (!Dispatch<KILN_FLOAT_TYPES>(r->dtype(), [&](auto tag) {
              ratio = ToDouble(r->data<typename decltype(tag)::type>()[0]);
            })) {
          return UnsupportedType(ctx, *r);
        }
      }
      if (training && (ratio < 0 || ratio >= 1)) {
        return ctx.InvalidArgument("ratio must be in [0, 1), got " + std::to_string(ratio));
      }
    }
    const bool want_mask = ctx.output_requested(1);
    const DataType mask_type = ctx.opset() >= 10 ? DataType::kBool : x.dtype();
    if (!training || ratio == 0) {
      KILN_RETURN_IF_ERROR(ctx.SetOutput(0, AnyValue(x)));
      if (!want_mask) return Status::Ok();
      if (mask_type == DataType::kBool) {
        KILN_ASSIGN_OR_RETURN(Tensor * m, ctx.Output(1, DataType::kBool, x.dims()));
        std::fill_n(m->data<bool>(), m->numel(), true);
        return Status::Ok();
      }
      KILN_ASSIGN_OR_RETURN(Tensor * m, ctx.Output(1, mask_type, x.dims()));
      if (!Dispatch<KILN_FLOAT_TYPES>(mask_type, [&](auto tag) {
            using T = typename decltype(tag)::type;
            std::fill_n(m->data<T>(), m->numel(), FromDouble<T>(1.0));
          })) {
        return UnsupportedType(ctx, x);
      }
      return Status::Ok();
    }
    uint32_t seed = has_seed_ ? static_cast<uint32_t>(seed_) : std::random_device{}();
    NumpyRandomState rng;
    rng.Seed(seed);
    Tensor* mask = nullptr;
    if (want_mask) {
      KILN_ASSIGN_OR_RETURN(mask, ctx.Output(1, DataType::kBool, x.dims()));
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x.dtype(), x.dims()));
    const double scale = 1.0 / (1.0 - ratio);
    bool ok = Dispatch<KILN_FLOAT_TYPES>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = x.data<T>();
      T* dst = y->data<T>();
      for (int64_t i = 0; i < x.numel(); ++i) {
        const bool keep = rng.NextDouble() >= ratio;
        dst[i] = keep ? FromDouble<T>(ToDouble(src[i]) * scale) : FromDouble<T>(0.0);
        if (mask != nullptr) mask->data<bool>()[i] = keep;
      }
    });
    if (!ok) return UnsupportedType(ctx, x);
    return Status::Ok();
  }

 private:
  bool has_seed_;
  int64_t seed_;
};

// ---------------------------------------------------------------------------------------------
// EyeLike, Trilu, OneHot

class EyeLikeKernel : public Kernel {
 public:
  explicit EyeLikeKernel(const KernelInfo& info)
      : dtype_(static_cast<int32_t>(info.GetInt("dtype", 0))), k_(info.GetInt("k", 0)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    if (x.rank() != 2) return ctx.InvalidArgument("input must be 2-D, got " + x.TypeString());
    if (dtype_ != 0 && !IsValidDataType(dtype_)) {
      return ctx.InvalidArgument("invalid dtype " + std::to_string(dtype_));
    }
    const DataType dt = dtype_ != 0 ? static_cast<DataType>(dtype_) : x.dtype();
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.OutputZeroed(0, dt, x.dims()));
    const int64_t rows = x.dim(0), cols = x.dim(1);
    bool ok = Dispatch<KILN_NUMERIC_TYPES, bool>(dt, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* p = y->data<T>();
      const T one = FromDouble<T>(1.0);
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t c = r + k_;
        if (c >= 0 && c < cols) p[r * cols + c] = one;
      }
    });
    if (!ok) return ctx.Unsupported(std::string("dtype ") + DataTypeName(dt) + " is not supported");
    return Status::Ok();
  }

 private:
  int32_t dtype_;
  int64_t k_;
};

class TriluKernel : public Kernel {
 public:
  explicit TriluKernel(const KernelInfo& info) : upper_(info.GetInt("upper", 1) != 0) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    if (x.rank() < 2)
      return ctx.InvalidArgument("input must have rank >= 2, got " + x.TypeString());
    int64_t k = 0;
    if (const Tensor* kt = ctx.Input(1)) {
      if (kt->numel() != 1)
        return ctx.InvalidArgument("k must be a scalar, got " + kt->TypeString());
      KILN_ASSIGN_OR_RETURN(std::vector<int64_t> kv, ReadInts(ctx, *kt, "k"));
      k = kv[0];
    }
    const int64_t rows = x.dim(x.rank() - 2), cols = x.dim(x.rank() - 1);
    const int64_t mats = rows * cols == 0 ? 0 : x.numel() / (rows * cols);
    const Tensor in = UnpackedView(x);
    KILN_ASSIGN_OR_RETURN(StagedOutput y, StageOutput(ctx, 0, x.dtype(), x.dims()));
    bool ok = DispatchCopy(in.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = in.data<T>();
      T* dst = y.buf.data<T>();
      for (int64_t m = 0; m < mats; ++m) {
        for (int64_t r = 0; r < rows; ++r) {
          const int64_t off = (m * rows + r) * cols;
          // upper keeps columns c >= r + k; lower keeps c <= r + k.
          const int64_t edge = std::min(std::max<int64_t>(upper_ ? r + k : r + k + 1, 0), cols);
          const int64_t keep_begin = upper_ ? edge : 0, keep_end = upper_ ? cols : edge;
          for (int64_t c = 0; c < cols; ++c) {
            dst[off + c] = (c >= keep_begin && c < keep_end) ? src[off + c] : T{};
          }
        }
      }
    });
    if (!ok) return UnsupportedType(ctx, x);
    y.Finish();
    return Status::Ok();
  }

 private:
  bool upper_;
};

class OneHotKernel : public Kernel {
 public:
  explicit OneHotKernel(const KernelInfo& info) : axis_(info.GetInt("axis", -1)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& ind = *ctx.Input(0);
    const Tensor& depth_t = *ctx.Input(1);
    const Tensor& values = *ctx.Input(2);
    if (depth_t.numel() != 1) {
      return ctx.InvalidArgument("depth must have one element, got " + depth_t.TypeString());
    }
    if (values.numel() != 2 || values.rank() != 1) {
      return ctx.InvalidArgument("values must be [off_value, on_value], got " +
                                 values.TypeString());
    }
    double depth_d = 0;
    if (!Dispatch<KILN_NUMERIC_TYPES>(depth_t.dtype(), [&](auto tag) {
          depth_d = ToDouble(depth_t.data<typename decltype(tag)::type>()[0]);
        })) {
      return UnsupportedType(ctx, depth_t);
    }
    if (!(depth_d >= 1) || depth_d > 1e12) {
      return ctx.InvalidArgument("depth must be positive, got " + std::to_string(depth_d));
    }
    const int64_t depth = static_cast<int64_t>(depth_d);
    const int out_rank = ind.rank() + 1;
    if (axis_ < -out_rank || axis_ >= out_rank) {
      return ctx.InvalidArgument("axis " + std::to_string(axis_) + " is out of range for rank " +
                                 std::to_string(out_rank));
    }
    const int axis = static_cast<int>(axis_ < 0 ? axis_ + out_rank : axis_);
    std::vector<int64_t> dims = ind.dims();
    dims.insert(dims.begin() + axis, depth);
    const int64_t outer = ProductOfDims(ind.dims(), 0, axis);
    const int64_t inner = ProductOfDims(ind.dims(), axis, ind.rank());
    // Index per input element: the on position, or -1 when out of range.
    std::vector<int64_t> pos(ind.numel());
    if (!Dispatch<KILN_NUMERIC_TYPES>(ind.dtype(), [&](auto tag) {
          using T = typename decltype(tag)::type;
          const T* p = ind.data<T>();
          for (int64_t i = 0; i < ind.numel(); ++i) {
            double v = std::trunc(ToDouble(p[i]));
            if (v < 0) v += static_cast<double>(depth);
            pos[i] = (v >= 0 && v < static_cast<double>(depth)) ? static_cast<int64_t>(v) : -1;
          }
        })) {
      return UnsupportedType(ctx, ind);
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, values.dtype(), dims));
    bool ok = DispatchCopy(values.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T off = values.data<T>()[0], on = values.data<T>()[1];
      T* dst = y->data<T>();
      std::fill_n(dst, y->numel(), off);
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          const int64_t p = pos[o * inner + i];
          if (p >= 0) dst[(o * depth + p) * inner + i] = on;
        }
      }
    });
    if (!ok) return UnsupportedType(ctx, values);
    return Status::Ok();
  }

 private:
  int64_t axis_;
};

}  // namespace

void RegisterShapeKernels(KernelRegistry& r) {
  const std::vector<DataType>& all = kAllTensorTypes;
  r.Register(KernelDef("Reshape").Opsets(1).Types("T", {0}, all).Alias(0, 0).HostInputs({1}),
             MakeKernel<ReshapeKernel>());
  r.Register(KernelDef("Flatten").Opsets(1).Types("T", {0}, all).Alias(0, 0),
             MakeKernel<FlattenKernel>());
  r.Register(KernelDef("Squeeze").Opsets(1).Types("T", {0}, all).Alias(0, 0).HostInputs({1}),
             MakeKernel<SqueezeKernel>());
  r.Register(KernelDef("Unsqueeze").Opsets(1).Types("T", {0}, all).Alias(0, 0).HostInputs({1}),
             MakeKernel<UnsqueezeKernel>());
  r.Register(KernelDef("Shape").Opsets(1).Types("T", {0}, all), MakeKernel<ShapeKernel>());
  r.Register(KernelDef("Size").Opsets(1).Types("T", {0}, all), Stateless(SizeRun));
  r.Register(KernelDef("Identity").Opsets(1).Types("V", {0}, all).Alias(0, 0),
             Stateless(IdentityRun));
  r.Register(KernelDef("Expand")
                 .Opsets(8)
                 .Types("T", {0}, all)
                 .Types("shape", {1}, {DataType::kInt64})
                 .HostInputs({1}),
             Stateless(ExpandRun));
  r.Register(
      KernelDef("ConstantOfShape").Opsets(9).Types("T1", {0}, {DataType::kInt64}).HostInputs({0}),
      MakeKernel<ConstantOfShapeKernel>());
  r.Register(KernelDef("Constant").Opsets(1), MakeConstant);
  r.Register(KernelDef("Range")
                 .Opsets(11)
                 .Types("T", {0, 1, 2},
                        {DataType::kFloat, DataType::kDouble, DataType::kInt16, DataType::kInt32,
                         DataType::kInt64, DataType::kFloat16, DataType::kBFloat16})
                 .HostInputs({0, 1, 2}),
             Stateless(RangeRun));
  r.Register(KernelDef("Dropout")
                 .Opsets(1)
                 .Types("T", {0}, all)
                 .Alias(0, 0)
                 .Types("T1", {1}, kFloatTypes)
                 .Types("T2", {2}, {DataType::kBool}),
             MakeKernel<DropoutKernel>());
  std::vector<DataType> numeric_bool = kNumericTypes;
  numeric_bool.push_back(DataType::kBool);
  r.Register(KernelDef("EyeLike").Opsets(9).Types("T1", {0}, numeric_bool),
             MakeKernel<EyeLikeKernel>());
  r.Register(KernelDef("Trilu")
                 .Opsets(14)
                 .Types("T", {0}, all)
                 .Types("k", {1}, {DataType::kInt64})
                 .HostInputs({1}),
             MakeKernel<TriluKernel>());
  r.Register(KernelDef("OneHot")
                 .Opsets(9)
                 .Types("T1", {0}, kNumericTypes)
                 .Types("T2", {1}, kNumericTypes)
                 .Types("T3", {2}, all)
                 .HostInputs({1}),
             MakeKernel<OneHotKernel>());
}

}  // namespace kiln::cpu
