// CUDA Cast and CastLike, host side. Attributes, checks and the target type are the CPU kernel's
// (kernels/ops/cast_params.h; kernels/cpu/cast.cc):
//   Cast 1-5, 6-8, 9-12, 13-18 (+bfloat16), 19-20, 21-22, 23, 24, 25+ and CastLike 15-18, 19-20,
//   21-22, 23, 24, 25+ between float, float16, bfloat16, double, int32, int64, int8, uint8 and
//   bool (`saturate` and `round_mode` only matter for float8 targets, which are not registered)
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/register.h"
#include "kernels/ops/cast_params.h"
#include "kernels/ops/common.h"

namespace kiln::cuda {
namespace {

// The element types the CUDA Cast converts between at a Cast version (bfloat16 from 13).
std::vector<DataType> CastTypes(int since) {
  std::vector<DataType> t = {DataType::kFloat, DataType::kFloat16, DataType::kDouble,
                             DataType::kInt32, DataType::kInt64,   DataType::kInt8,
                             DataType::kUint8, DataType::kBool};
  if (since >= 13) t.push_back(DataType::kBFloat16);
  return t;
}

class CastKernel : public Kernel {
 public:
  // like: CastLike (the target is input 1's type), else Cast (the `to` attribute).
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info, bool like, int since) {
    auto k = std::unique_ptr<CastKernel>(new CastKernel());
    k->types_ = CastTypes(since);
    KILN_RETURN_IF_ERROR(ops::ReadCastAttrs(info, like, &k->attrs_));
    if (!like && !ops::ContainsType(k->types_, k->attrs_.to)) {
      return info.Unsupported(std::string("the CUDA Cast cannot cast to ") +
                              DataTypeName(k->attrs_.to));
    }
    return std::unique_ptr<Kernel>(std::move(k));
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x;
    DataType to;
    KILN_RETURN_IF_ERROR(ops::CastInputAndTarget(ctx, attrs_, &x, &to));
    ElemType from_e, to_e;
    if (!ops::ContainsType(types_, x->dtype()) || !ToElemType(x->dtype(), &from_e)) {
      return UnsupportedType(ctx, x->dtype());
    }
    if (!ops::ContainsType(types_, to) || !ToElemType(to, &to_e)) {
      return ctx.Unsupported(std::string("the CUDA Cast cannot cast to ") + DataTypeName(to));
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, to, x->dims()));
    if (y->numel() == 0) return Status::Ok();
    cudaStream_t stream = Stream(ctx).stream();
    if (to == x->dtype()) {
      return CudaStatus(cudaMemcpyAsync(y->raw_data(), x->raw_data(), x->nbytes(),
                                        cudaMemcpyDeviceToDevice, stream),
                        ctx, "cudaMemcpyAsync");
    }
    return CudaStatus(LaunchCast(from_e, to_e, x->raw_data(), y->raw_data(), y->numel(), stream),
                      ctx, "LaunchCast");
  }

 private:
  CastKernel() = default;
  ops::CastAttrs attrs_;
  std::vector<DataType> types_;
};

}  // namespace

void RegisterCastKernels(KernelRegistry& r) {
  ops::ForEachCastVersion(false, [&r](int since, int end) {
    r.Register(KernelDef("Cast")
                   .Opsets(since, end)
                   .OnDevice(Device::kCuda)
                   .Types("T1", {0}, CastTypes(since)),
               [since](const KernelInfo& info) { return CastKernel::Create(info, false, since); });
  });
  ops::ForEachCastVersion(true, [&r](int since, int end) {
    const std::vector<DataType> types = CastTypes(since);
    r.Register(KernelDef("CastLike")
                   .Opsets(since, end)
                   .OnDevice(Device::kCuda)
                   .Types("T1", {0}, types)
                   .Types("T2", {1}, types),
               [since](const KernelInfo& info) { return CastKernel::Create(info, true, since); });
  });
}

}  // namespace kiln::cuda
