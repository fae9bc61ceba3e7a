// CUDA kernels of the softmax family (host side; device code in softmax.cu):
//   Softmax     1-10, 11-12 (coerced to 2-D at `axis`, default 1), 13+ (along `axis`, default -1)
//   LogSoftmax  1-10, 11-12, 13+ (same semantics as Softmax)
//   Hardmax     1-10, 11-12, 13+ (same semantics; the first maximum wins)
// Element types: float, float16, bfloat16 (computed in float).
#include "kernels/cuda/softmax.cuh"

#include <memory>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/register.h"
#include "kernels/ops/common.h"
#include "kernels/ops/softmax_params.h"

namespace kiln::cuda {
namespace {

class SoftmaxKernel : public Kernel {
 public:
  SoftmaxKernel(SoftmaxMode mode, const ops::SoftmaxAttrs& attrs) : mode_(mode), attrs_(attrs) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("input 0 is missing");
    KILN_ASSIGN_OR_RETURN(const ops::SoftmaxSplit sp, ops::PlanSoftmax(ctx, attrs_, *x));
    const DataType dt = x->dtype();
    if (dt != DataType::kFloat && dt != DataType::kFloat16 && dt != DataType::kBFloat16) {
      return ctx.Unsupported(std::string("element type ") + DataTypeName(dt) +
                             " is not supported on cuda");
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, dt, x->dims()));
    if (x->numel() == 0) return Status::Ok();
    return CudaStatus(LaunchSoftmax(mode_, dt, x->raw_data(), y->raw_data(), sp.outer, sp.n,
                                    sp.inner, Stream(ctx).stream()),
                      ctx, "LaunchSoftmax");
  }

 private:
  SoftmaxMode mode_;
  ops::SoftmaxAttrs attrs_;
};

KernelFactory SoftmaxFactory(SoftmaxMode mode) {
  return [mode](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    const ops::SoftmaxAttrs attrs = ops::ReadSoftmaxAttrs(info);
    if (!info.status().ok()) return info.status();
    return std::unique_ptr<Kernel>(new SoftmaxKernel(mode, attrs));
  };
}

}  // namespace

void RegisterSoftmaxKernels(KernelRegistry& r) {
  const struct {
    const char* op;
    SoftmaxMode mode;
  } ops[] = {{"Softmax", SoftmaxMode::kSoftmax},
             {"LogSoftmax", SoftmaxMode::kLogSoftmax},
             {"Hardmax", SoftmaxMode::kHardmax}};
  const int ranges[3][2] = {{1, 10}, {11, 12}, {13, kMaxOpset}};
  for (const auto& op : ops) {
    for (const auto& range : ranges) {
      r.Register(KernelDef(op.op)
                     .Opsets(range[0], range[1])
                     .OnDevice(Device::kCuda)
                     .Types("T", {0}, kCudaFloatTypes),
                 SoftmaxFactory(op.mode));
    }
  }
}

}  // namespace kiln::cuda
