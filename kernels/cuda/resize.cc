// CUDA Resize: opsets 10 (scales only, asymmetric, nearest floor), 11-12, 13-17, 18, 19+, as the
// CPU registrations. Supported: modes 'nearest' (every nearest_mode; an exact gather) and
// 'linear' (N-linear over the resized axes, any rank up to 8, e.g. bilinear on NCHW), every
// coordinate_transformation_mode, roi / scales / sizes (host inputs), exclude_outside,
// extrapolation_value, axes and keep_aspect_ratio_policy (18+). Not supported, rejected when the
// kernel is created with an Unsupported error naming the attribute: mode 'cubic', antialias = 1.
// Element types float, float16, bfloat16 (linear accumulates in float).
// The attributes, the output shape and their errors are the CPU kernel's (kernels/cpu/
// resize_params.h); the device computes each output element independently (resize.cu).
#include "kernels/cuda/resize.cuh"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/movement.cuh"
#include "kernels/cuda/register.h"
#include "kernels/ops/common.h"
#include "kernels/ops/resize_params.h"

namespace kiln::cuda {
namespace {

// Neither mode 'cubic' nor antialias.
ops::ResizeSupport CudaSupport() {
  ops::ResizeSupport s;
  s.cubic = false;
  s.antialias = false;
  s.device = "CUDA";
  return s;
}

class ResizeKernel : public Kernel {
 public:
  explicit ResizeKernel(const KernelInfo& info)
      : init_(ops::ReadResizeAttrs(info, &attrs_, CudaSupport())) {}
  const Status& init_status() const { return init_; }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("missing input X");
    const int rank = x->rank();
    if (rank == 0) return ctx.InvalidArgument("X must have rank >= 1");
    ResizeElem elem;
    switch (x->dtype()) {
      case DataType::kFloat: elem = ResizeElem::kFloat; break;
      case DataType::kFloat16: elem = ResizeElem::kFloat16; break;
      case DataType::kBFloat16: elem = ResizeElem::kBFloat16; break;
      default:
        return ctx.Unsupported(std::string("element type ") + DataTypeName(x->dtype()) +
                               " is not supported on CUDA");
    }
    KILN_ASSIGN_OR_RETURN(ops::ResizeShape shape, ops::PlanResizeShape(ctx, attrs_, *x));
    if (rank > kMaxResizeDims) {
      return ctx.Unsupported("X " + x->TypeString() + " has rank above " +
                             std::to_string(kMaxResizeDims) + ", the most Resize supports on CUDA");
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), shape.out_dims));
    if (y->numel() == 0) return Status::Ok();
    KILN_ASSIGN_OR_RETURN(
        std::vector<ops::ResizedAxis> axes,
        ops::ResizedAxes(ctx, attrs_, *x, shape.scales, shape.out_dims, shape.roi));
    ResizeParams p;
    p.rank = rank;
    p.linear = attrs_.mode == ops::ResizeMode::kLinear;
    p.coord = attrs_.coord;
    p.nearest = attrs_.nearest;
    p.exclude_outside = attrs_.exclude_outside;
    p.extrapolation = static_cast<float>(attrs_.extrapolation);
    const std::vector<int64_t> in_strides = ops::ContiguousStrides(x->dims());
    for (int a = 0; a < rank; ++a) {
      p.out_dims[a] = shape.out_dims[a];
      p.in_strides[a] = in_strides[a];
    }
    // The axes kept as they are copy their index (as the CPU kernel skips them).
    for (const ops::ResizedAxis& a : axes) {
      ResizeAxis& ax = p.axes[p.num_axes++];
      ax.dim = a.axis;
      ax.in = a.in;
      ax.out = a.out;
      ax.scale = a.scale;
      ax.roi_start = a.roi_start;
      ax.roi_end = a.roi_end;
    }
    return CudaStatus(LaunchResize(y->raw_data(), x->raw_data(), elem, p, y->numel(),
                                   Stream(ctx).stream()),
                      ctx, "LaunchResize");
  }

 private:
  ops::ResizeAttrs attrs_;
  Status init_;
};

StatusOr<std::unique_ptr<Kernel>> MakeResize(const KernelInfo& info) {
  return CreateChecked<ResizeKernel>(info);
}

}  // namespace

void RegisterResizeKernels(KernelRegistry& r) {
  const std::vector<DataType>& types = kCudaFloatTypes;
  const std::vector<DataType> roi_types = {DataType::kFloat, DataType::kDouble,
                                           DataType::kFloat16, DataType::kBFloat16};
  r.Register(KernelDef("Resize")
                 .Opsets(10, 10)
                 .OnDevice(Device::kCuda)
                 .Types("T", {0}, types)
                 .Types("scales", {1}, {DataType::kFloat})
                 .HostInputs({1}),
             MakeResize);
  const int versions[] = {11, 13, 18, 19};
  for (int i = 0; i < 4; ++i) {
    const int end = i + 1 < 4 ? versions[i + 1] - 1 : kMaxOpset;
    r.Register(KernelDef("Resize")
                   .Opsets(versions[i], end)
                   .OnDevice(Device::kCuda)
                   .Types("T1", {0}, types)
                   .Types("T2", {1}, roi_types)
                   .Types("scales", {2}, {DataType::kFloat})
                   .Types("sizes", {3}, {DataType::kInt64})
                   .HostInputs({1, 2, 3}),
               MakeResize);
  }
}

}  // namespace kiln::cuda
