// CUDA unary element-wise kernels, host side. Opsets and semantics follow kernels/cpu/unary.cc:
//   Abs, Neg, Relu @1+, Sign @9+            float, float16, bfloat16, int32, int64
//   Reciprocal, Sqrt, Exp, Log, Ceil, Floor, Sigmoid, Tanh @1+, Sin, Cos, Tan, Asin, Acos,
//   Atan @7+, Sinh, Cosh, Asinh, Acosh, Atanh, Erf @9+, Round @11+ (half to even)   float types
//   LeakyRelu, Elu, Selu, HardSigmoid, Softplus, Softsign @1+, ThresholdedRelu @10+, Celu @12+,
//   HardSwish @14+, Mish @18+, Gelu @20+ (approximate none / tanh), Swish @24+    float types
//   Not @1+ (bool), IsNaN @9+, IsInf @10+ (float types; bool output)
//   Clip @1+   float types, int32, int64; min / max attributes before opset 11, optional scalar
//              inputs 1 and 2 (read on the host) from 11
// Every unary op and Clip may write Y over X.
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ir/float16.h"
#include "ir/tensor.h"
#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/register.h"
#include "kernels/ops/common.h"
#include "kernels/ops/elementwise_params.h"

namespace kiln::cuda {
namespace {

Status GetX(const KernelContext& ctx, const std::vector<DataType>& types, const Tensor** x,
            ElemType* et) {
  *x = ctx.Input(0);
  if (*x == nullptr) return ctx.InvalidArgument("input 0 must be a tensor");
  if (!ops::ContainsType(types, (*x)->dtype()) || !ToElemType((*x)->dtype(), et)) {
    return UnsupportedType(ctx, (*x)->dtype());
  }
  return Status::Ok();
}

// y = op(x) with the op's parameters fixed at creation.
class UnaryKernel : public Kernel {
 public:
  UnaryKernel(UnaryOp op, std::vector<DataType> types, UnaryParams params)
      : op_(op), types_(std::move(types)), params_(params) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x;
    ElemType et;
    KILN_RETURN_IF_ERROR(GetX(ctx, types_, &x, &et));
    const DataType out_type = x->dtype();
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, out_type, x->dims()));
    if (y->numel() == 0) return Status::Ok();
    return CudaStatus(LaunchUnary(op_, et, x->raw_data(), y->raw_data(), y->numel(), params_,
                                  Stream(ctx).stream()),
                      ctx, "LaunchUnary");
  }

 private:
  UnaryOp op_;
  std::vector<DataType> types_;
  UnaryParams params_;
};

// A factory for UnaryKernel(op, types, params(info)); params may return an error.
using ParamsFn = std::function<StatusOr<UnaryParams>(const KernelInfo&)>;
KernelFactory UnaryFactory(UnaryOp op, std::vector<DataType> types, ParamsFn params = nullptr) {
  return [op, types, params](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    UnaryParams p;
    if (params) {
      KILN_ASSIGN_OR_RETURN(p, params(info));
    }
    KILN_RETURN_IF_ERROR(info.status());
    return std::unique_ptr<Kernel>(std::make_unique<UnaryKernel>(op, types, p));
  };
}

// Parameters read from float attributes with defaults.
ParamsFn Alpha(float def) {
  return [def](const KernelInfo& info) -> StatusOr<UnaryParams> {
    UnaryParams p;
    p.alpha = info.GetFloat("alpha", def);
    return p;
  };
}
ParamsFn AlphaBeta(const char* a_name, float a_def, const char* b_name, float b_def) {
  return [=](const KernelInfo& info) -> StatusOr<UnaryParams> {
    UnaryParams p;
    p.alpha = info.GetFloat(a_name, a_def);
    p.beta = info.GetFloat(b_name, b_def);
    return p;
  };
}

// IsNaN (is_nan) or IsInf with its detect flags.
class ClassifyKernel : public Kernel {
 public:
  ClassifyKernel(bool is_nan, bool pos, bool neg) : is_nan_(is_nan), pos_(pos), neg_(neg) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor* x;
    ElemType et;
    KILN_RETURN_IF_ERROR(GetX(ctx, kCudaFloatTypes, &x, &et));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kBool, x->dims()));
    if (y->numel() == 0) return Status::Ok();
    return CudaStatus(LaunchClassify(et, x->raw_data(), y->raw_data(), y->numel(), is_nan_, pos_,
                                     neg_, Stream(ctx).stream()),
                      ctx, "LaunchClassify");
  }

 private:
  bool is_nan_, pos_, neg_;
};

// Clip: min(max(x, lo), hi). Before opset 11 the bounds are float attributes (ignored for
// integers, as the CPU kernel); from 11 optional scalar inputs of X's type, read on the host.
class ClipKernel : public Kernel {
 public:
  explicit ClipKernel(const KernelInfo& info) : attrs_(info) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x;
    ElemType et;
    KILN_RETURN_IF_ERROR(GetX(ctx, kArithTypes, &x, &et));
    const DataType dt = x->dtype();
    ClipBounds b;
    b.lo_f = -std::numeric_limits<float>::infinity();
    b.hi_f = std::numeric_limits<float>::infinity();
    if (dt == DataType::kInt32) {
      b.lo_i = std::numeric_limits<int32_t>::lowest();
      b.hi_i = std::numeric_limits<int32_t>::max();
    } else {
      b.lo_i = std::numeric_limits<int64_t>::lowest();
      b.hi_i = std::numeric_limits<int64_t>::max();
    }
    if (attrs_.from_attributes) {
      b.lo_f = attrs_.min;
      b.hi_f = attrs_.max;
    } else {
      const Tensor* bounds[2];
      KILN_RETURN_IF_ERROR(ops::GetClipBoundInputs(ctx, *x, bounds));
      for (int k = 0; k < 2; ++k) {
        const Tensor* t = bounds[k];
        if (t == nullptr) continue;
        float& f = k == 0 ? b.lo_f : b.hi_f;
        int64_t& i = k == 0 ? b.lo_i : b.hi_i;
        switch (dt) {  // a host tensor (HostInputs)
          case DataType::kFloat:
            f = t->data<float>()[0];
            break;
          case DataType::kFloat16:
            f = ToFloat(t->data<Float16>()[0]);
            break;
          case DataType::kBFloat16:
            f = ToFloat(t->data<BFloat16>()[0]);
            break;
          case DataType::kInt32:
            i = t->data<int32_t>()[0];
            break;
          case DataType::kInt64:
            i = t->data<int64_t>()[0];
            break;
          default:
            return UnsupportedType(ctx, dt);
        }
      }
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, dt, x->dims()));
    if (y->numel() == 0) return Status::Ok();
    return CudaStatus(
        LaunchClip(et, x->raw_data(), y->raw_data(), y->numel(), b, Stream(ctx).stream()), ctx,
        "LaunchClip");
  }

 private:
  ops::ClipAttrs attrs_;
};

}  // namespace

void RegisterUnaryKernels(KernelRegistry& r) {
  const std::vector<DataType>& kFloats = kCudaFloatTypes;
  auto reg = [&r](const char* op, int since, UnaryOp uop, const std::vector<DataType>& types,
                  ParamsFn params = nullptr) {
    r.Register(
        KernelDef(op).Opsets(since).OnDevice(Device::kCuda).Types("T", {0}, types).Inplace(0, 0),
        UnaryFactory(uop, types, std::move(params)));
  };
  reg("Abs", 1, UnaryOp::kAbs, kArithTypes);
  reg("Neg", 1, UnaryOp::kNeg, kArithTypes);
  reg("Sign", 9, UnaryOp::kSign, kArithTypes);
  reg("Relu", 1, UnaryOp::kRelu, kArithTypes);
  reg("Reciprocal", 1, UnaryOp::kReciprocal, kFloats);
  reg("Sqrt", 1, UnaryOp::kSqrt, kFloats);
  reg("Exp", 1, UnaryOp::kExp, kFloats);
  reg("Log", 1, UnaryOp::kLog, kFloats);
  reg("Ceil", 1, UnaryOp::kCeil, kFloats);
  reg("Floor", 1, UnaryOp::kFloor, kFloats);
  reg("Sigmoid", 1, UnaryOp::kSigmoid, kFloats);
  reg("Tanh", 1, UnaryOp::kTanh, kFloats);
  reg("Sin", 7, UnaryOp::kSin, kFloats);
  reg("Cos", 7, UnaryOp::kCos, kFloats);
  reg("Tan", 7, UnaryOp::kTan, kFloats);
  reg("Asin", 7, UnaryOp::kAsin, kFloats);
  reg("Acos", 7, UnaryOp::kAcos, kFloats);
  reg("Atan", 7, UnaryOp::kAtan, kFloats);
  reg("Sinh", 9, UnaryOp::kSinh, kFloats);
  reg("Cosh", 9, UnaryOp::kCosh, kFloats);
  reg("Asinh", 9, UnaryOp::kAsinh, kFloats);
  reg("Acosh", 9, UnaryOp::kAcosh, kFloats);
  reg("Atanh", 9, UnaryOp::kAtanh, kFloats);
  reg("Erf", 9, UnaryOp::kErf, kFloats);
  reg("Round", 11, UnaryOp::kRound, kFloats);
  reg("Not", 1, UnaryOp::kNot, {DataType::kBool});
  reg("LeakyRelu", 1, UnaryOp::kLeakyRelu, kFloats, Alpha(0.01f));
  reg("Elu", 1, UnaryOp::kElu, kFloats, Alpha(1.0f));
  reg("Selu", 1, UnaryOp::kSelu, kFloats,
      AlphaBeta("alpha", 1.67326319217681884765625f, "gamma", 1.05070102214813232421875f));
  reg("Celu", 12, UnaryOp::kCelu, kFloats, [](const KernelInfo& info) -> StatusOr<UnaryParams> {
    UnaryParams p;
    p.alpha = info.GetFloat("alpha", 1.0f);
    if (p.alpha == 0) return info.InvalidModel("alpha must be nonzero");
    return p;
  });
  reg("HardSigmoid", 1, UnaryOp::kHardSigmoid, kFloats, AlphaBeta("alpha", 0.2f, "beta", 0.5f));
  reg("HardSwish", 14, UnaryOp::kHardSwish, kFloats);
  reg("Softplus", 1, UnaryOp::kSoftplus, kFloats);
  reg("Softsign", 1, UnaryOp::kSoftsign, kFloats);
  reg("ThresholdedRelu", 10, UnaryOp::kThresholdedRelu, kFloats, Alpha(1.0f));
  reg("Mish", 18, UnaryOp::kMish, kFloats);
  reg("Swish", 24, UnaryOp::kSwish, kFloats, Alpha(1.0f));
  r.Register(
      KernelDef("Gelu").Opsets(20).OnDevice(Device::kCuda).Types("T", {0}, kFloats).Inplace(0, 0),
      [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
        const std::string approx = info.GetString("approximate", "none");
        KILN_RETURN_IF_ERROR(info.status());
        if (approx != "none" && approx != "tanh") {
          return info.InvalidModel("approximate must be 'none' or 'tanh', got '" + approx + "'");
        }
        return std::unique_ptr<Kernel>(
            std::make_unique<UnaryKernel>(approx == "tanh" ? UnaryOp::kGeluTanh : UnaryOp::kGelu,
                                          kCudaFloatTypes, UnaryParams()));
      });

  r.Register(KernelDef("IsNaN").Opsets(9).OnDevice(Device::kCuda).Types("T1", {0}, kFloats),
             [](const KernelInfo&) -> StatusOr<std::unique_ptr<Kernel>> {
               return std::unique_ptr<Kernel>(std::make_unique<ClassifyKernel>(true, false, false));
             });
  r.Register(KernelDef("IsInf").Opsets(10).OnDevice(Device::kCuda).Types("T1", {0}, kFloats),
             [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
               const bool pos = info.GetInt("detect_positive", 1) != 0;
               const bool neg = info.GetInt("detect_negative", 1) != 0;
               KILN_RETURN_IF_ERROR(info.status());
               return std::unique_ptr<Kernel>(std::make_unique<ClassifyKernel>(false, pos, neg));
             });
  r.Register(KernelDef("Clip")
                 .Opsets(1)
                 .OnDevice(Device::kCuda)
                 .Types("T", {0, 1, 2}, kArithTypes)
                 .Inplace(0, 0)
                 .HostInputs({1, 2}),
             [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
               auto k = std::make_unique<ClipKernel>(info);
               KILN_RETURN_IF_ERROR(info.status());
               return std::unique_ptr<Kernel>(std::move(k));
             });
}

}  // namespace kiln::cuda
