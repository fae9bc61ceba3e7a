// CUDA binary and variadic element-wise kernels, host side (the unary ops are in unary.cc, Cast
// in cast.cc). Every op follows the CPU kernel of kernels/cpu/binary.cc:
//   Add, Sub, Mul, Div @1+   float, float16, bfloat16, int32, int64 (opset < 7: legacy
//                            `broadcast` / `axis` attributes)
//   Pow @1+                  base float, float16, bfloat16; exponent those or int32 / int64
//   Mod @10+                 float types, int32, int64 (fmod 0: sign of the divisor; 1: C fmod)
//   PRelu @1+                float types (slope broadcasts to X; opset < 7: per-channel slope)
//   Equal @1+ (+bool), Greater, Less @1+, GreaterOrEqual, LessOrEqual @12+: bool output
//   And, Or, Xor @1+         bool
//   Max, Min @1+ (float types, int32, int64), Sum, Mean @1+ (float types): variadic, folded
//                            pairwise into the output
//   Where @9+                every fixed-size type of 1, 2, 4 or 8 bytes (bytes move)
// Integer Add / Sub / Mul wrap. Integer Div and Mod by zero give 0: the CPU kernels report an
// error, a GPU kernel cannot without reading back the data.
#include "kernels/cuda/elementwise.cuh"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ir/tensor.h"
#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/register.h"
#include "kernels/ops/common.h"
#include "kernels/ops/elementwise_params.h"

namespace kiln::cuda {
namespace {

using Dims = std::vector<int64_t>;

// The kernels' index description for reading `shapes` (up to 3, each broadcastable to `out`) at
// the elements of `out`.
Status BroadcastTo(const KernelContext& ctx, const std::vector<Dims>& shapes, const Dims& out,
                   BroadcastShape* bs) {
  if (!MakeBroadcastShape(shapes, out, bs)) {
    return ctx.Unsupported("broadcast to " + DimsToString(out) + " needs more than " +
                           std::to_string(kMaxDims) + " dimensions after merging");
  }
  return Status::Ok();
}

// numpy broadcasting of `shapes` (up to 3): the output dims and the kernels' index description.
Status Broadcast(const KernelContext& ctx, const std::vector<Dims>& shapes, Dims* out,
                 BroadcastShape* bs) {
  auto od = ops::BroadcastShapes(shapes);
  if (!od.ok()) return ctx.InvalidArgument(od.status().message());
  *out = std::move(od).value();
  return BroadcastTo(ctx, shapes, *out, bs);
}

bool IsComparisonOrLogical(BinaryOp op) {
  switch (op) {
    case BinaryOp::kEqual:
    case BinaryOp::kLess:
    case BinaryOp::kGreater:
    case BinaryOp::kLessOrEqual:
    case BinaryOp::kGreaterOrEqual:
    case BinaryOp::kAnd:
    case BinaryOp::kOr:
    case BinaryOp::kXor:
      return true;
    default:
      return false;
  }
}

// out = op(a, b), a and b read as `bs` describes.
Status RunBinaryOp(KernelContext& ctx, BinaryOp op, const Tensor& a, const Tensor& b,
                   const BroadcastShape& bs, Tensor* out) {
  ElemType ta, tb;
  if (!ToElemType(a.dtype(), &ta)) return UnsupportedType(ctx, a.dtype());
  if (!ToElemType(b.dtype(), &tb)) return UnsupportedType(ctx, b.dtype());
  if (out->numel() == 0) return Status::Ok();
  return CudaStatus(LaunchBinary(op, ta, tb, a.raw_data(), b.raw_data(), out->raw_data(),
                                 out->numel(), bs, Stream(ctx).stream()),
                    ctx, "LaunchBinary");
}

// The two-input ops, with the legacy (opset < 7) `broadcast` / `axis` attributes.
class BinaryKernel : public Kernel {
 public:
  BinaryKernel(const KernelInfo& info, BinaryOp op, std::vector<DataType> a_types)
      : op_(op), a_types_(std::move(a_types)) {
    if (info.opset() < 7) {
      legacy_ = true;
      broadcast_ = info.GetInt("broadcast", 0) != 0;
      has_axis_ = info.HasAttr("axis");
      axis_ = info.GetInt("axis", 0);
    }
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor* a;
    const Tensor* b;
    KILN_RETURN_IF_ERROR(ops::GetTensorInput(ctx, 0, &a));
    KILN_RETURN_IF_ERROR(ops::GetTensorInput(ctx, 1, &b));
    if (!ops::ContainsType(a_types_, a->dtype())) return UnsupportedType(ctx, a->dtype());
    if (op_ != BinaryOp::kPow && b->dtype() != a->dtype()) {
      return ctx.InvalidArgument(std::string("inputs must have the same element type, got ") +
                                 DataTypeName(a->dtype()) + " and " + DataTypeName(b->dtype()));
    }
    Dims ad = a->dims(), bd = b->dims();
    KILN_RETURN_IF_ERROR(LegacyShapes(ctx, &ad, &bd));
    Dims od;
    BroadcastShape bs;
    KILN_RETURN_IF_ERROR(Broadcast(ctx, {ad, bd}, &od, &bs));
    if (legacy_ && broadcast_ && od != ad) {
      return ctx.InvalidArgument("B " + DimsToString(b->dims()) + " cannot be broadcast to A " +
                                 DimsToString(ad));
    }
    const DataType out_type = IsComparisonOrLogical(op_) ? DataType::kBool : a->dtype();
    KILN_ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, out_type, od));
    return RunBinaryOp(ctx, op_, *a, *b, bs, out);
  }

 private:
  // Opset < 7: without `broadcast` the shapes must be equal; with `axis`, B's dims align at A's
  // dim `axis` (B padded with trailing 1s).
  Status LegacyShapes(const KernelContext& ctx, Dims* ad, Dims* bd) const {
    if (!legacy_) return Status::Ok();
    if (!broadcast_) {
      if (*ad != *bd) {
        return ctx.InvalidArgument("shapes " + DimsToString(*ad) + " and " + DimsToString(*bd) +
                                   " differ and broadcast is 0");
      }
      return Status::Ok();
    }
    if (!has_axis_) return Status::Ok();
    const int64_t ra = static_cast<int64_t>(ad->size());
    const int64_t rb = static_cast<int64_t>(bd->size());
    const int64_t axis = axis_ < 0 ? axis_ + ra : axis_;
    if (axis < 0 || axis + rb > ra) {
      return ctx.InvalidArgument("broadcast axis " + std::to_string(axis_) + " does not fit B " +
                                 DimsToString(*bd) + " into A " + DimsToString(*ad));
    }
    Dims padded(axis, 1);
    padded.insert(padded.end(), bd->begin(), bd->end());
    padded.resize(ra, 1);
    *bd = std::move(padded);
    return Status::Ok();
  }

  BinaryOp op_;
  std::vector<DataType> a_types_;
  bool legacy_ = false;
  bool broadcast_ = false;
  bool has_axis_ = false;
  int64_t axis_ = 0;
};

KernelFactory BinaryFactory(BinaryOp op, std::vector<DataType> a_types) {
  return [op, a_types](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    auto k = std::make_unique<BinaryKernel>(info, op, a_types);
    KILN_RETURN_IF_ERROR(info.status());
    return std::unique_ptr<Kernel>(std::move(k));
  };
}

// PRelu: the slope broadcasts to X (opset < 7: a 1-D slope of size C applies along axis 1).
Status RunPRelu(KernelContext& ctx) {
  const Tensor* x;
  const Tensor* s;
  KILN_RETURN_IF_ERROR(ops::GetTensorInput(ctx, 0, &x));
  KILN_RETURN_IF_ERROR(ops::GetTensorInput(ctx, 1, &s));
  if (!ops::ContainsType(kCudaFloatTypes, x->dtype())) return UnsupportedType(ctx, x->dtype());
  if (s->dtype() != x->dtype()) {
    return ctx.InvalidArgument(std::string("slope has type ") + DataTypeName(s->dtype()) +
                               ", X has " + DataTypeName(x->dtype()));
  }
  Dims sd = s->dims();
  if (ctx.opset() < 7 && sd.size() == 1 && x->rank() > 2 && sd[0] == x->dim(1) && sd[0] != 1) {
    sd.resize(x->rank() - 1, 1);
  }
  auto od = ops::BroadcastShapes({x->dims(), sd});
  if (!od.ok() || od.value() != x->dims()) {
    return ctx.InvalidArgument("slope " + DimsToString(s->dims()) + " cannot be broadcast to X " +
                               DimsToString(x->dims()));
  }
  BroadcastShape bs;
  KILN_RETURN_IF_ERROR(BroadcastTo(ctx, {x->dims(), sd}, x->dims(), &bs));
  KILN_ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), x->dims()));
  return RunBinaryOp(ctx, BinaryOp::kPRelu, *x, *s, bs, out);
}

// Max, Min, Sum, Mean over 1..N broadcast inputs: out = op(in0, in1), then out = op(out, in_k)
// for each further input (in place: element i is read and written by one thread); Mean divides by
// N at the end. One input is copied.
Status RunVariadic(KernelContext& ctx, BinaryOp op, bool mean, const std::vector<DataType>& types) {
  const int n = ctx.num_inputs();
  if (n < 1) return ctx.InvalidArgument("needs at least one input");
  std::vector<const Tensor*> in(n);
  std::vector<Dims> shapes(n);
  for (int i = 0; i < n; ++i) {
    KILN_RETURN_IF_ERROR(ops::GetTensorInput(ctx, i, &in[i]));
    shapes[i] = in[i]->dims();
    if (in[i]->dtype() != in[0]->dtype()) {
      return ctx.InvalidArgument(
          "inputs 0 and " + std::to_string(i) + " must have the same element type, got " +
          DataTypeName(in[0]->dtype()) + " and " + DataTypeName(in[i]->dtype()));
    }
  }
  const DataType dt = in[0]->dtype();
  if (!ops::ContainsType(types, dt)) return UnsupportedType(ctx, dt);
  ElemType et;
  if (!ToElemType(dt, &et)) return UnsupportedType(ctx, dt);
  auto od_or = ops::BroadcastShapes(shapes);
  if (!od_or.ok()) return ctx.InvalidArgument(od_or.status().message());
  const Dims od = std::move(od_or).value();
  KILN_ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, dt, od));
  if (out->numel() == 0) return Status::Ok();
  cudaStream_t stream = Stream(ctx).stream();
  if (n == 1) {
    return CudaStatus(cudaMemcpyAsync(out->raw_data(), in[0]->raw_data(), in[0]->nbytes(),
                                      cudaMemcpyDeviceToDevice, stream),
                      ctx, "cudaMemcpyAsync");
  }
  for (int i = 1; i < n; ++i) {
    const Tensor& lhs = i == 1 ? *in[0] : *out;
    BroadcastShape bs;
    KILN_RETURN_IF_ERROR(BroadcastTo(ctx, {lhs.dims(), shapes[i]}, od, &bs));
    KILN_RETURN_IF_ERROR(CudaStatus(LaunchBinary(op, et, et, lhs.raw_data(), in[i]->raw_data(),
                                                 out->raw_data(), out->numel(), bs, stream),
                                    ctx, "LaunchBinary"));
  }
  if (mean) {
    UnaryParams p;
    p.alpha = static_cast<float>(n);
    KILN_RETURN_IF_ERROR(CudaStatus(LaunchUnary(UnaryOp::kDivByScalar, et, out->raw_data(),
                                                out->raw_data(), out->numel(), p, stream),
                                    ctx, "LaunchUnary"));
  }
  return Status::Ok();
}

// Where(condition, X, Y): bytes move, so any fixed-size type of 1, 2, 4 or 8 bytes works.
Status RunWhere(KernelContext& ctx) {
  const Tensor* c;
  const Tensor* x;
  const Tensor* y;
  KILN_RETURN_IF_ERROR(ops::GetWhereInputs(ctx, &c, &x, &y));
  const int bits = DataTypeBits(x->dtype());
  if (x->dtype() == DataType::kString || IsPacked(x->dtype()) ||
      (bits != 8 && bits != 16 && bits != 32 && bits != 64)) {
    return UnsupportedType(ctx, x->dtype());
  }
  Dims od;
  BroadcastShape bs;
  KILN_RETURN_IF_ERROR(Broadcast(ctx, {c->dims(), x->dims(), y->dims()}, &od, &bs));
  KILN_ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), od));
  if (out->numel() == 0) return Status::Ok();
  return CudaStatus(LaunchWhere(c->raw_data(), x->raw_data(), y->raw_data(), out->raw_data(),
                                bits / 8, out->numel(), bs, Stream(ctx).stream()),
                    ctx, "LaunchWhere");
}

}  // namespace

void RegisterBinaryKernels(KernelRegistry& r) {
  const std::vector<DataType> kBool = {DataType::kBool};
  const std::vector<DataType>& kFloats = kCudaFloatTypes;
  auto def = [](const char* op, int since, int end = kMaxOpset) {
    return KernelDef(op).Opsets(since, end).OnDevice(Device::kCuda);
  };
  // Same-type ops that may write their output over input 0 (same byte size means the same
  // element count, so input 0 is read at the output's own index).
  auto same_type = [&](const char* op, int since, BinaryOp bop,
                       const std::vector<DataType>& types) {
    r.Register(def(op, since).Types("T", {0, 1}, types).Inplace(0, 0), BinaryFactory(bop, types));
  };
  same_type("Add", 1, BinaryOp::kAdd, kArithTypes);
  same_type("Sub", 1, BinaryOp::kSub, kArithTypes);
  same_type("Mul", 1, BinaryOp::kMul, kArithTypes);
  same_type("Div", 1, BinaryOp::kDiv, kArithTypes);
  same_type("And", 1, BinaryOp::kAnd, kBool);
  same_type("Or", 1, BinaryOp::kOr, kBool);
  same_type("Xor", 1, BinaryOp::kXor, kBool);
  r.Register(def("Pow", 1).Types("T", {0}, kFloats).Types("T1", {1}, kArithTypes).Inplace(0, 0),
             BinaryFactory(BinaryOp::kPow, kFloats));
  r.Register(def("Mod", 10).Types("T", {0, 1}, kArithTypes).Inplace(0, 0),
             [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
               const int64_t fmod = info.GetInt("fmod", 0);
               KILN_RETURN_IF_ERROR(info.status());
               if (fmod != 0 && fmod != 1) {
                 return info.InvalidModel("fmod must be 0 or 1, got " + std::to_string(fmod));
               }
               return std::unique_ptr<Kernel>(std::make_unique<BinaryKernel>(
                   info, fmod == 1 ? BinaryOp::kFMod : BinaryOp::kMod, kArithTypes));
             });
  r.Register(def("PRelu", 1).Types("T", {0, 1}, kFloats).Inplace(0, 0), Stateless(RunPRelu));

  std::vector<DataType> equal_types = kArithTypes;
  equal_types.push_back(DataType::kBool);
  auto compare = [&](const char* op, int since, BinaryOp bop, const std::vector<DataType>& types) {
    r.Register(def(op, since).Types("T", {0, 1}, types), BinaryFactory(bop, types));
  };
  compare("Equal", 1, BinaryOp::kEqual, equal_types);
  compare("Greater", 1, BinaryOp::kGreater, kArithTypes);
  compare("Less", 1, BinaryOp::kLess, kArithTypes);
  compare("GreaterOrEqual", 12, BinaryOp::kGreaterOrEqual, kArithTypes);
  compare("LessOrEqual", 12, BinaryOp::kLessOrEqual, kArithTypes);

  auto variadic = [&](const char* op, BinaryOp bop, bool mean, const std::vector<DataType>& types) {
    r.Register(def(op, 1).Types("T", {-1}, types),
               Stateless([bop, mean, types](KernelContext& ctx) {
                 return RunVariadic(ctx, bop, mean, types);
               }));
  };
  variadic("Max", BinaryOp::kMax, false, kArithTypes);
  variadic("Min", BinaryOp::kMin, false, kArithTypes);
  variadic("Sum", BinaryOp::kAdd, false, kFloats);
  variadic("Mean", BinaryOp::kAdd, true, kFloats);

  const std::vector<DataType> where_types = {
      DataType::kFloat, DataType::kFloat16, DataType::kBFloat16, DataType::kDouble,
      DataType::kInt8,  DataType::kInt16,   DataType::kInt32,    DataType::kInt64,
      DataType::kUint8, DataType::kUint16,  DataType::kUint32,   DataType::kUint64,
      DataType::kBool};
  r.Register(def("Where", 9).Types("B", {0}, kBool).Types("T", {1, 2}, where_types),
             Stateless(RunWhere));

}

}  // namespace kiln::cuda
