// kiln's fused operators (domain "kiln", opset 1, float32; docs/kiln_ops.md):
//   FusedConv    Y = activation(Conv(X, W, B?) + Z?)                conv.cc's Conv, oneDNN post-ops
//   FusedGemm    Y = activation(alpha * op(A) * op(B) + beta * C?)  matmul.cc's Gemm
//   FusedMatMul  Y = activation(MatMul(A, B) + Bias?)               matmul.cc's MatMul; Bias is [N]
// Each takes `activation` / `activation_params` (activation.h), parsed once at kernel creation.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cpu/activation.h"
#include "kernels/cpu/conv.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/register.h"
#include "kernels/ops/common.h"
#include "kernels/ops/matmul_params.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {


class FusedGemmKernel : public Kernel {
 public:
  FusedGemmKernel(GemmAttrs attrs, Activation activation)
      : attrs_(attrs), activation_(std::move(activation)) {}

  Status Run(KernelContext& ctx) const override {
    Tensor* y = nullptr;
    KILN_RETURN_IF_ERROR(RunGemm(ctx, attrs_, &y));
    if (y->dtype() != DataType::kFloat) return ctx.Unsupported("FusedGemm supports float32 only");
    ApplyActivation(activation_, y->data<float>(), y->numel());
    return Status::Ok();
  }

 private:
  GemmAttrs attrs_;
  Activation activation_;
};

class FusedMatMulKernel : public Kernel {
 public:
  explicit FusedMatMulKernel(Activation activation) : activation_(std::move(activation)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* a = ctx.Input(0);
    const Tensor* b = ctx.Input(1);
    const Tensor* bias = ctx.Input(2);
    if (a == nullptr || b == nullptr) return ctx.InvalidArgument("FusedMatMul needs A and B");
    if (bias != nullptr && a->rank() >= 1 && b->rank() >= 1) {
      const int64_t n = MatMulLastDim(*a, *b);
      if (bias->rank() != 1 || bias->dim(0) != n) {
        return ctx.InvalidArgument("Bias " + DimsToString(bias->dims()) + " must be [" +
                                   std::to_string(n) + "] (the last dim of A " +
                                   DimsToString(a->dims()) + " x B " + DimsToString(b->dims()) +
                                   ")");
      }
    }
    Tensor* y = nullptr;
    KILN_RETURN_IF_ERROR(RunMatMul(ctx, &y));
    if (y->dtype() != DataType::kFloat) return ctx.Unsupported("FusedMatMul supports float32 only");
    float* yp = y->data<float>();
    const int64_t total = y->numel();
    if (bias == nullptr) {
      ApplyActivation(activation_, yp, total);
      return Status::Ok();
    }
    // Row by row, so each row gets its activation while it is still in cache.
    const float* bp = bias->data<float>();
    const int64_t n = bias->dim(0);
    for (int64_t row = 0; row < total; row += n) {
      float* r = yp + row;
      for (int64_t j = 0; j < n; ++j) r[j] += bp[j];
      ApplyActivation(activation_, r, n);
    }
    return Status::Ok();
  }

 private:
  Activation activation_;
};

}  // namespace

void RegisterFusedKernels(KernelRegistry& r) {
  const std::vector<DataType> f32 = {DataType::kFloat};
  r.Register(
      KernelDef("FusedConv", kKilnDomain).Opsets(1).Types("T", {0, 1, 2, 3}, f32).Inplace(3, 0),
      [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
        KILN_ASSIGN_OR_RETURN(Activation act, ParseActivation(info));
        return CreateFusedConvKernel(info, act);
      });
  r.Register(
      KernelDef("FusedGemm", kKilnDomain).Opsets(1).Types("T", {0, 1, 2}, f32),
      [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
        KILN_ASSIGN_OR_RETURN(Activation act, ParseActivation(info));
        return std::unique_ptr<Kernel>(new FusedGemmKernel(ReadGemmAttrs(info), std::move(act)));
      });
  r.Register(KernelDef("FusedMatMul", kKilnDomain).Opsets(1).Types("T", {0, 1, 2}, f32),
             [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
               KILN_ASSIGN_OR_RETURN(Activation act, ParseActivation(info));
               return std::unique_ptr<Kernel>(new FusedMatMulKernel(std::move(act)));
             });
}

}  // namespace kiln::cpu
