// CUDA kernels of the softmax family (host side; device code in softmax.cu):
//   Softmax     1-10, 11-12 (coerced to 2-D at `axis`, default 1), 13+ (along `axis`, default -1)
//   LogSoftmax  1-10, 11-12, 13+ (same semantics as Softmax)
//   Hardmax     1-10, 11-12, 13+ (same semantics; the first maximum wins)
// Element types: float, float16, bfloat16 (computed in float).
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/common.h"
#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/register.h"
#include "kernels/cuda/softmax.cuh"

namespace kiln::cuda {
namespace {

class SoftmaxKernel : public Kernel {
 public:
  SoftmaxKernel(SoftmaxMode mode, int64_t axis, bool flatten)
      : mode_(mode), axis_(axis), flatten_(flatten) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("input 0 is missing");
    const int rank = x->rank();
    if (rank == 0) return ctx.InvalidArgument("input must have rank >= 1, got a scalar");
    KILN_ASSIGN_OR_RETURN(int axis, cpu::NormalizeAxis(axis_, rank, ctx.node()));
    const std::vector<int64_t>& d = x->dims();
    const int64_t outer = cpu::ProductOfDims(d, 0, axis);
    int64_t n, inner;
    if (flatten_) {
      n = cpu::ProductOfDims(d, axis, rank);
      inner = 1;
    } else {
      n = d[axis];
      inner = cpu::ProductOfDims(d, axis + 1, rank);
    }
    const DataType dt = x->dtype();
    if (dt != DataType::kFloat && dt != DataType::kFloat16 && dt != DataType::kBFloat16) {
      return ctx.Unsupported(std::string("element type ") + DataTypeName(dt) +
                             " is not supported on cuda");
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, dt, d));
    if (x->numel() == 0) return Status::Ok();
    return CudaStatus(LaunchSoftmax(mode_, dt, x->raw_data(), y->raw_data(), outer, n, inner,
                                    Stream(ctx).stream()),
                      ctx, "LaunchSoftmax");
  }

 private:
  SoftmaxMode mode_;
  int64_t axis_;
  bool flatten_;
};

KernelFactory SoftmaxFactory(SoftmaxMode mode) {
  return [mode](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    // Before opset 13 the input is coerced to 2-D [prod(d[:axis]), prod(d[axis:])].
    const bool flatten = info.opset() < 13;
    const int64_t axis = info.GetInt("axis", flatten ? 1 : -1);
    if (!info.status().ok()) return info.status();
    return std::unique_ptr<Kernel>(new SoftmaxKernel(mode, axis, flatten));
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
