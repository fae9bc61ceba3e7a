// Quantization kernels (CPU):
//   QuantizeLinear         10-12 (per-tensor), 13-18 (+per-axis `axis`), 19-20 (+float8 outputs,
//                          `saturate`), 21-22 (+blocked `block_size`, `output_dtype`, int4/uint4,
//                          int16/uint16), 23 (+float4e2m1, `precision`), 24, 25+ (+int2/uint2)
//   DequantizeLinear       10-12, 13-18, 19-20, 21-22, 23 (`output_dtype`), 24 (float8e8m0
//                          scales), 25+
//   DynamicQuantizeLinear  11+ (uint8)
// Granularity follows the scale's shape: a scalar (or one element) is per-tensor, a 1-D scale of
// x.shape[axis] elements per-axis, a scale of x's rank with ceil(x.shape[axis] / block_size) along
// `axis` blocked. QuantizeLinear divides in the precision numpy would use (the `precision`
// attribute, else the promotion of x's and the scale's types), rounds half to even and saturates to
// the integer range; float8 outputs use Cast's conversion (`saturate`). DequantizeLinear computes
// (x - zero_point) * scale in float32 and converts to the output type.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/cast.h"
#include "kernels/cpu/register.h"
#include "kernels/ops/common.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

// Rounds a double to the nearest value of a float type (the precision of a computation).
double RoundToType(double v, DataType t) {
  switch (t) {
    case DataType::kFloat:
      return static_cast<float>(v);
    case DataType::kFloat16:
      return ToFloat(DoubleToFloat16(v));
    case DataType::kBFloat16:
      return ToFloat(DoubleToBFloat16(v));
    default:
      return v;  // double, and int32 (numpy divides int32 in double)
  }
}

// numpy's result type of x / scale.
DataType DivisionType(DataType x, DataType scale) {
  if (x == DataType::kInt32 || scale == DataType::kInt32 || x == DataType::kDouble ||
      scale == DataType::kDouble) {
    return DataType::kDouble;
  }
  if (x == scale) return x;  // float, float16, bfloat16
  return DataType::kFloat;
}

bool IntegerRange(DataType t, double* lo, double* hi) {
  switch (t) {
    case DataType::kUint8:
      *lo = 0;
      *hi = 255;
      return true;
    case DataType::kInt8:
      *lo = -128;
      *hi = 127;
      return true;
    case DataType::kUint16:
      *lo = 0;
      *hi = 65535;
      return true;
    case DataType::kInt16:
      *lo = -32768;
      *hi = 32767;
      return true;
    case DataType::kUint4:
      *lo = 0;
      *hi = 15;
      return true;
    case DataType::kInt4:
      *lo = -8;
      *hi = 7;
      return true;
    case DataType::kUint2:
      *lo = 0;
      *hi = 3;
      return true;
    case DataType::kInt2:
      *lo = -2;
      *hi = 1;
      return true;
    case DataType::kInt32:
      *lo = -2147483648.0;
      *hi = 2147483647.0;
      return true;
    default:
      return false;
  }
}

bool IsFloat8(DataType t) {
  return t == DataType::kFloat8E4M3FN || t == DataType::kFloat8E4M3FNUZ ||
         t == DataType::kFloat8E5M2 || t == DataType::kFloat8E5M2FNUZ;
}

// Maps a flat element index of x to the index of its scale / zero point.
struct ScaleIndexer {
  enum class Mode { kTensor, kAxis, kBlocked } mode = Mode::kTensor;
  int64_t axis_dim = 1;  // x.shape[axis]
  int64_t inner = 1;     // product of x.shape[axis+1:]
  int64_t block = 1;
  int64_t scale_axis_dim = 1;

  int64_t operator()(int64_t i) const {
    switch (mode) {
      case Mode::kTensor:
        return 0;
      case Mode::kAxis:
        return (i / inner) % axis_dim;
      case Mode::kBlocked: {
        const int64_t in = i % inner;
        const int64_t d = (i / inner) % axis_dim;
        const int64_t o = i / (inner * axis_dim);
        return (o * scale_axis_dim + d / block) * inner + in;
      }
    }
    return 0;
  }
};

// Validates the scale's shape against x and builds the indexer. The error names the shapes.
Status MakeIndexer(const KernelContext& ctx, const Tensor& x, const Tensor& scale, int64_t axis,
                   int64_t block_size, ScaleIndexer* ix) {
  if (scale.rank() == 0 || (scale.rank() == 1 && scale.numel() == 1)) {
    ix->mode = ScaleIndexer::Mode::kTensor;
    return Status::Ok();
  }
  const int rank = x.rank();
  if (axis < -rank || axis >= rank) {
    return ctx.InvalidArgument("axis " + std::to_string(axis) +
                               " is out of range for input of rank " + std::to_string(rank));
  }
  const int a = static_cast<int>(axis < 0 ? axis + rank : axis);
  ix->axis_dim = x.dim(a);
  ix->inner = ProductOfDims(x.dims(), a + 1, rank);
  if (block_size <= 0) {
    if (scale.rank() != 1 || scale.dim(0) != x.dim(a)) {
      return ctx.InvalidArgument("per-axis scale must be 1-D with " + std::to_string(x.dim(a)) +
                                 " elements (input shape " + DimsToString(x.dims()) + ", axis " +
                                 std::to_string(a) + "), got " + DimsToString(scale.dims()));
    }
    ix->mode = ScaleIndexer::Mode::kAxis;
    return Status::Ok();
  }
  bool ok = scale.rank() == rank;
  for (int d = 0; ok && d < rank; ++d) {
    if (d == a) {
      ok = scale.dim(d) == (x.dim(d) + block_size - 1) / block_size;
    } else {
      ok = scale.dim(d) == x.dim(d);
    }
  }
  if (!ok) {
    return ctx.InvalidArgument("blocked scale shape " + DimsToString(scale.dims()) +
                               " does not match input shape " + DimsToString(x.dims()) +
                               " with axis " + std::to_string(a) + " and block_size " +
                               std::to_string(block_size));
  }
  ix->mode = ScaleIndexer::Mode::kBlocked;
  ix->block = block_size;
  ix->scale_axis_dim = scale.dim(a);
  return Status::Ok();
}

// A zero point matches its scale's shape; a scalar and a one-element 1-D tensor are alike.
bool SameGranularity(const Tensor& zp, const Tensor& scale) {
  if (zp.numel() == 1 && scale.numel() == 1 && zp.rank() <= 1 && scale.rank() <= 1) return true;
  return zp.dims() == scale.dims();
}

std::vector<double> AllAsDouble(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (int64_t b = 0; b < t.numel(); b += kCastChunk) {
    LoadAsDouble(t, b, std::min(kCastChunk, t.numel() - b), v.data() + b);
  }
  return v;
}

class QuantizeLinearKernel : public Kernel {
 public:
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    auto k = std::unique_ptr<QuantizeLinearKernel>(new QuantizeLinearKernel());
    const int opset = info.opset();
    if (opset >= 13) k->axis_ = info.GetInt("axis", 1);
    if (opset >= 19) k->options_.saturate = info.GetInt("saturate", 1) != 0;
    if (opset >= 21) {
      k->block_size_ = info.GetInt("block_size", 0);
      k->output_dtype_ = info.GetInt("output_dtype", 0);
      if (k->block_size_ < 0) return info.InvalidModel("block_size must not be negative");
    }
    if (opset >= 23) k->precision_ = info.GetInt("precision", 0);
    if (k->output_dtype_ != 0 && !IsValidDataType(static_cast<int32_t>(k->output_dtype_))) {
      return info.InvalidModel("output_dtype " + std::to_string(k->output_dtype_) +
                               " is not a known type");
    }
    if (k->precision_ != 0) {
      const auto p = static_cast<DataType>(k->precision_);
      if (p != DataType::kFloat && p != DataType::kFloat16 && p != DataType::kBFloat16 &&
          p != DataType::kDouble) {
        return info.InvalidModel("precision " + std::to_string(k->precision_) +
                                 " must be a float type");
      }
    }
    KILN_RETURN_IF_ERROR(info.status());
    return std::unique_ptr<Kernel>(std::move(k));
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    const Tensor* scale = ctx.Input(1);
    const Tensor* zp = ctx.Input(2);
    if (x == nullptr || scale == nullptr) return ctx.InvalidArgument("x and y_scale are required");
    DataType out_type =
        output_dtype_ != 0 ? static_cast<DataType>(output_dtype_) : DataType::kUint8;
    if (zp != nullptr) {
      if (output_dtype_ != 0 && static_cast<DataType>(output_dtype_) != zp->dtype()) {
        return ctx.InvalidArgument(
            std::string("output_dtype ") + DataTypeName(static_cast<DataType>(output_dtype_)) +
            " differs from y_zero_point's type " + DataTypeName(zp->dtype()));
      }
      out_type = zp->dtype();
      if (!SameGranularity(*zp, *scale)) {
        return ctx.InvalidArgument("y_zero_point shape " + DimsToString(zp->dims()) +
                                   " differs from y_scale shape " + DimsToString(scale->dims()));
      }
    }
    double lo = 0, hi = 0;
    const bool is_int = IntegerRange(out_type, &lo, &hi) && out_type != DataType::kInt32;
    const bool is_f8 = IsFloat8(out_type);
    const bool is_f4 = out_type == DataType::kFloat4E2M1;
    if (!is_int && !is_f8 && !is_f4) {
      return ctx.Unsupported(std::string("cannot quantize to ") + DataTypeName(out_type));
    }
    if (ctx.opset() < 19 && scale->rank() > 1) {
      return ctx.InvalidArgument("y_scale must be a scalar or 1-D at this opset");
    }
    ScaleIndexer ix;
    KILN_RETURN_IF_ERROR(MakeIndexer(ctx, *x, *scale, axis_, block_size_, &ix));
    const DataType ct = precision_ != 0 ? static_cast<DataType>(precision_)
                                        : DivisionType(x->dtype(), scale->dtype());
    std::vector<double> s = AllAsDouble(*scale);
    if (precision_ != 0) {
      for (double& v : s) v = RoundToType(v, ct);
    }
    std::vector<double> z = zp != nullptr ? AllAsDouble(*zp) : std::vector<double>(s.size(), 0.0);
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, out_type, x->dims()));
    const int64_t total = x->numel();
    double xb[kCastChunk];
    double yb[kCastChunk];
    for (int64_t b = 0; b < total; b += kCastChunk) {
      const int64_t n = std::min(kCastChunk, total - b);
      LoadAsDouble(*x, b, n, xb);
      for (int64_t i = 0; i < n; ++i) {
        const int64_t si = ix(b + i);
        double xv = xb[i];
        if (precision_ != 0) xv = RoundToType(xv, ct);
        const double q = RoundToType(xv / s[si], ct);
        if (is_int) {
          // numpy: rint, then int32 arithmetic with the zero point, then clip.
          double r = std::nearbyint(q);
          if (!(r >= -2147483648.0)) r = -2147483648.0;  // NaN lands here too
          if (r > 2147483647.0) r = 2147483647.0;
          yb[i] = std::min(hi, std::max(lo, r + z[si]));
        } else if (is_f4) {
          yb[i] = q + z[si];
        } else {
          yb[i] = q;  // float8: the zero point is not added (it must be zero)
        }
      }
      StoreFromDouble(yb, n, y, b, options_);
    }
    return Status::Ok();
  }

 private:
  QuantizeLinearKernel() = default;
  int64_t axis_ = 1;
  int64_t block_size_ = 0;
  int64_t output_dtype_ = 0;
  int64_t precision_ = 0;
  CastOptions options_;
};

class DequantizeLinearKernel : public Kernel {
 public:
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    auto k = std::unique_ptr<DequantizeLinearKernel>(new DequantizeLinearKernel());
    const int opset = info.opset();
    if (opset >= 13) k->axis_ = info.GetInt("axis", 1);
    if (opset >= 21) {
      k->block_size_ = info.GetInt("block_size", 0);
      if (k->block_size_ < 0) return info.InvalidModel("block_size must not be negative");
    }
    if (opset >= 23) {
      k->output_dtype_ = info.GetInt("output_dtype", 0);
      const auto t = static_cast<DataType>(k->output_dtype_);
      if (k->output_dtype_ != 0 && t != DataType::kFloat && t != DataType::kFloat16 &&
          t != DataType::kBFloat16) {
        return info.InvalidModel("output_dtype must be float, float16 or bfloat16, got " +
                                 std::to_string(k->output_dtype_));
      }
    }
    KILN_RETURN_IF_ERROR(info.status());
    return std::unique_ptr<Kernel>(std::move(k));
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    const Tensor* scale = ctx.Input(1);
    const Tensor* zp = ctx.Input(2);
    if (x == nullptr || scale == nullptr) return ctx.InvalidArgument("x and x_scale are required");
    const DataType out_type =
        output_dtype_ != 0 ? static_cast<DataType>(output_dtype_) : scale->dtype();
    if (out_type != DataType::kFloat && out_type != DataType::kFloat16 &&
        out_type != DataType::kBFloat16) {
      return ctx.InvalidArgument(std::string("output type ") + DataTypeName(out_type) +
                                 " is not float, float16 or bfloat16 (set output_dtype)");
    }
    if (ctx.opset() < 19 && scale->rank() > 1) {
      return ctx.InvalidArgument("x_scale must be a scalar or 1-D at this opset");
    }
    // Float8 and float4 inputs ignore the zero point (it must be zero).
    const bool use_zp =
        zp != nullptr && !IsFloat8(x->dtype()) && x->dtype() != DataType::kFloat4E2M1;
    if (use_zp) {
      if (zp->dtype() != x->dtype()) {
        return ctx.InvalidArgument(std::string("x_zero_point type ") + DataTypeName(zp->dtype()) +
                                   " differs from x type " + DataTypeName(x->dtype()));
      }
      if (!SameGranularity(*zp, *scale)) {
        return ctx.InvalidArgument("x_zero_point shape " + DimsToString(zp->dims()) +
                                   " differs from x_scale shape " + DimsToString(scale->dims()));
      }
    }
    ScaleIndexer ix;
    KILN_RETURN_IF_ERROR(MakeIndexer(ctx, *x, *scale, axis_, block_size_, &ix));
    std::vector<double> s = AllAsDouble(*scale);
    std::vector<double> z = use_zp ? AllAsDouble(*zp) : std::vector<double>(s.size(), 0.0);
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, out_type, x->dims()));
    const int64_t total = x->numel();
    double xb[kCastChunk];
    double yb[kCastChunk];
    const CastOptions options;
    for (int64_t b = 0; b < total; b += kCastChunk) {
      const int64_t n = std::min(kCastChunk, total - b);
      LoadAsDouble(*x, b, n, xb);
      for (int64_t i = 0; i < n; ++i) {
        const int64_t si = ix(b + i);
        // float32 arithmetic, as the reference: x.astype(float32) - zp, times the scale.
        const float dx = static_cast<float>(xb[i]) - static_cast<float>(z[si]);
        yb[i] = dx * static_cast<float>(s[si]);
      }
      StoreFromDouble(yb, n, y, b, options);
    }
    return Status::Ok();
  }

 private:
  DequantizeLinearKernel() = default;
  int64_t axis_ = 1;
  int64_t block_size_ = 0;
  int64_t output_dtype_ = 0;
};

// DynamicQuantizeLinear-11: uint8 quantization with scale and zero point from x's range.
Status DynamicQuantizeLinear(KernelContext& ctx) {
  const Tensor* x = ctx.Input(0);
  if (x == nullptr) return ctx.InvalidArgument("input x is required");
  const float* xp = x->data<float>();
  const int64_t total = x->numel();
  float mx = 0.0f, mn = 0.0f;
  for (int64_t i = 0; i < total; ++i) {
    mx = std::max(mx, xp[i]);
    mn = std::min(mn, xp[i]);
  }
  const float scale = (mx == mn ? 1.0f : (mx - mn)) / 255.0f;
  const float initial_zp = 0.0f - mn / scale;
  const float zp = std::nearbyint(std::min(255.0f, std::max(0.0f, initial_zp)));
  KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kUint8, x->dims()));
  uint8_t* yp = y->data<uint8_t>();
  for (int64_t i = 0; i < total; ++i) {
    const float q = std::nearbyint(xp[i] / scale) + zp;
    yp[i] = static_cast<uint8_t>(std::min(255.0f, std::max(0.0f, q)));
  }
  if (ctx.output_requested(1)) {
    KILN_ASSIGN_OR_RETURN(Tensor * ys, ctx.Output(1, DataType::kFloat, {}));
    *ys->data<float>() = scale;
  }
  if (ctx.output_requested(2)) {
    KILN_ASSIGN_OR_RETURN(Tensor * yz, ctx.Output(2, DataType::kUint8, {}));
    *yz->data<uint8_t>() = static_cast<uint8_t>(zp);
  }
  return Status::Ok();
}

}  // namespace

void RegisterQuantizeKernels(KernelRegistry& r) {
  using D = DataType;
  const std::vector<D> x10 = {D::kFloat, D::kInt32};
  const std::vector<D> x19 = {D::kFloat, D::kFloat16, D::kBFloat16, D::kInt32};
  const std::vector<D> q10 = {D::kInt8, D::kUint8};
  std::vector<D> q19 = {D::kInt8,           D::kUint8,      D::kFloat8E4M3FN,
                        D::kFloat8E4M3FNUZ, D::kFloat8E5M2, D::kFloat8E5M2FNUZ};
  std::vector<D> q21 = q19;
  for (D d : {D::kInt16, D::kUint16, D::kInt4, D::kUint4}) q21.push_back(d);
  std::vector<D> q23 = q21;
  q23.push_back(D::kFloat4E2M1);
  std::vector<D> q25 = q23;
  q25.push_back(D::kInt2);
  q25.push_back(D::kUint2);
  std::vector<D> s24 = x19;
  s24.push_back(D::kFloat8E8M0);

  auto qf = [](const KernelInfo& info) { return QuantizeLinearKernel::Create(info); };
  r.Register(KernelDef("QuantizeLinear").Opsets(10, 12).Types("T1", {0}, x10).Types("T2", {2}, q10),
             qf);
  r.Register(KernelDef("QuantizeLinear").Opsets(13, 18).Types("T1", {0}, x10).Types("T2", {2}, q10),
             qf);
  r.Register(KernelDef("QuantizeLinear").Opsets(19, 20).Types("T1", {0}, x19).Types("T2", {2}, q19),
             qf);
  r.Register(KernelDef("QuantizeLinear").Opsets(21, 22).Types("T1", {0}, x19).Types("T2", {2}, q21),
             qf);
  r.Register(KernelDef("QuantizeLinear")
                 .Opsets(23, 23)
                 .Types("T1", {0}, x19)
                 .Types("T2", {1}, x19)
                 .Types("T3", {2}, q23),
             qf);
  r.Register(KernelDef("QuantizeLinear")
                 .Opsets(24, 24)
                 .Types("T1", {0}, x19)
                 .Types("T2", {1}, s24)
                 .Types("T3", {2}, q23),
             qf);
  r.Register(KernelDef("QuantizeLinear")
                 .Opsets(25)
                 .Types("T1", {0}, x19)
                 .Types("T2", {1}, s24)
                 .Types("T3", {2}, q25),
             qf);

  const std::vector<D> dx10 = {D::kInt8, D::kUint8, D::kInt32};
  std::vector<D> dx19 = dx10;
  for (D d : {D::kFloat8E4M3FN, D::kFloat8E4M3FNUZ, D::kFloat8E5M2, D::kFloat8E5M2FNUZ}) {
    dx19.push_back(d);
  }
  std::vector<D> dx21 = dx19;
  for (D d : {D::kInt16, D::kUint16, D::kInt4, D::kUint4}) dx21.push_back(d);
  std::vector<D> dx23 = dx21;
  dx23.push_back(D::kFloat4E2M1);
  std::vector<D> dx25 = dx23;
  dx25.push_back(D::kInt2);
  dx25.push_back(D::kUint2);
  const std::vector<D> ds = {D::kFloat, D::kFloat16, D::kBFloat16};
  std::vector<D> ds24 = ds;
  ds24.push_back(D::kFloat8E8M0);

  auto df = [](const KernelInfo& info) { return DequantizeLinearKernel::Create(info); };
  r.Register(KernelDef("DequantizeLinear")
                 .Opsets(10, 12)
                 .Types("T", {0, 2}, dx10)
                 .Types("S", {1}, {D::kFloat}),
             df);
  r.Register(KernelDef("DequantizeLinear")
                 .Opsets(13, 18)
                 .Types("T", {0, 2}, dx10)
                 .Types("S", {1}, {D::kFloat}),
             df);
  r.Register(
      KernelDef("DequantizeLinear").Opsets(19, 20).Types("T1", {0}, dx19).Types("T2", {1}, ds), df);
  r.Register(
      KernelDef("DequantizeLinear").Opsets(21, 22).Types("T1", {0}, dx21).Types("T2", {1}, ds), df);
  r.Register(
      KernelDef("DequantizeLinear").Opsets(23, 23).Types("T1", {0}, dx23).Types("T2", {1}, ds), df);
  r.Register(
      KernelDef("DequantizeLinear").Opsets(24, 24).Types("T1", {0}, dx23).Types("T2", {1}, ds24),
      df);
  r.Register(KernelDef("DequantizeLinear").Opsets(25).Types("T1", {0}, dx25).Types("T2", {1}, ds24),
             df);

  r.Register(KernelDef("DynamicQuantizeLinear").Opsets(11).Types("T1", {0}, {D::kFloat}),
             Stateless(DynamicQuantizeLinear));
}

}  // namespace kiln::cpu
