// CUDA pooling kernels (direct kernels, pool.cu; semantics and errors of kernels/cpu/pool.cc):
//   MaxPool            1+  (float32, float16, bfloat16, int8, uint8; optional Indices output with
//                           storage_order; dilations, ceil_mode, auto_pad, pads, strides)
//   AveragePool        1+  (float32, float16, bfloat16; count_include_pad, ceil_mode, dilations,
//                           auto_pad)
//   LpPool             1+  (float32, float16, bfloat16; p a float at opset 1, an int from 2)
//   GlobalAveragePool  1+, GlobalMaxPool 1+, GlobalLpPool 1+ (float32, float16, bfloat16)
// 1-3 spatial dims. A direct kernel covers every attribute combination (cuDNN's pooling has no
// dilations and a different ceil_mode / count_include_pad convention), accumulating in float.
// Attributes, geometry and their errors: kernels/ops/conv_pool_params.h, shared with the CPU.
#include "kernels/cuda/pool.cuh"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/register.h"
#include "kernels/ops/conv_pool_params.h"

namespace kiln::cuda {
namespace {

using ops::Geometry;
using ops::PoolAttrs;
using ops::PoolKind;

PoolKind ToPoolKind(PoolOp op) {
  switch (op) {
    case PoolOp::kMax:
      return PoolKind::kMax;
    case PoolOp::kAvg:
      return PoolKind::kAvg;
    case PoolOp::kLp:
      return PoolKind::kLp;
  }
  return PoolKind::kMax;
}

bool ToPoolElem(DataType dt, PoolElem* e) {
  switch (dt) {
    case DataType::kFloat:
      *e = PoolElem::kFloat;
      return true;
    case DataType::kFloat16:
      *e = PoolElem::kHalf;
      return true;
    case DataType::kBFloat16:
      *e = PoolElem::kBFloat16;
      return true;
    case DataType::kInt8:
      *e = PoolElem::kInt8;
      return true;
    case DataType::kUint8:
      *e = PoolElem::kUint8;
      return true;
    default:
      return false;
  }
}

class PoolKernel : public Kernel {
 public:
  PoolKernel(const KernelInfo& info, PoolOp op, bool global) : op_(op), global_(global) {
    init_ = ops::ParsePoolAttrs(info, ToPoolKind(op), global, &attrs_);
  }
  const Status& init_status() const { return init_; }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x;
    KILN_RETURN_IF_ERROR(ops::GetPoolInput(ctx, &x));
    PoolElem elem;
    const bool float_type = x->dtype() == DataType::kFloat || x->dtype() == DataType::kFloat16 ||
                            x->dtype() == DataType::kBFloat16;
    if (!ToPoolElem(x->dtype(), &elem) || (!float_type && (op_ != PoolOp::kMax || global_))) {
      return ctx.Unsupported(std::string("type ") + DataTypeName(x->dtype()));
    }
    const int nd = x->rank() - 2;
    const int64_t planes = x->dim(0) * x->dim(1);
    const std::vector<int64_t> in(x->dims().begin() + 2, x->dims().end());
    cudaStream_t stream = Stream(ctx).stream();
    if (global_) {
      std::vector<int64_t> out_dims = {x->dim(0), x->dim(1)};
      out_dims.resize(x->rank(), 1);
      KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), out_dims));
      int64_t plane = 1;
      for (int64_t v : in) plane *= v;
      if (planes == 0) return Status::Ok();
      if (plane == 0) return ctx.InvalidArgument("global pooling over an empty spatial extent");
      return CudaStatus(LaunchGlobalPool(elem, op_, x->raw_data(), y->raw_data(), planes, plane,
                                         static_cast<float>(attrs_.p), stream),
                        ctx, "LaunchGlobalPool");
    }
    Geometry g;
    std::vector<int64_t> out_dims;
    KILN_CUDA_RETURN_IF_ERROR(ops::ResolvePoolShape(ctx, attrs_, x->dims(), &g, &out_dims));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), out_dims));
    int64_t* indices = nullptr;
    if (op_ == PoolOp::kMax && ctx.output_requested(1)) {
      KILN_ASSIGN_OR_RETURN(Tensor * ind, ctx.Output(1, DataType::kInt64, out_dims));
      indices = static_cast<int64_t*>(ind->raw_data());
    }
    if (y->numel() == 0) return Status::Ok();
    PoolParams p;
    p.op = op_;
    p.planes = planes;
    p.count_include_pad = attrs_.count_include_pad;
    p.storage_order = static_cast<int>(attrs_.storage_order);
    p.p = static_cast<float>(attrs_.p);
    const int shift = 3 - nd;
    for (int j = 0; j < nd; ++j) {
      const int i = j + shift;
      p.in[i] = g.in[j];
      p.out[i] = g.out[j];
      p.k[i] = g.kernel[j];
      p.s[i] = g.stride[j];
      p.d[i] = g.dilation[j];
      p.pb[i] = g.pad_begin[j];
      p.pe[i] = g.pad_end[j];
    }
    return CudaStatus(LaunchPool(elem, x->raw_data(), y->raw_data(), indices, p, stream), ctx,
                      "LaunchPool");
  }

 private:
  PoolOp op_;
  bool global_;
  PoolAttrs attrs_;
  Status init_;
};

KernelFactory PoolFactory(PoolOp op, bool global) {
  return [op, global](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    return CreateChecked<PoolKernel>(info, op, global);
  };
}

}  // namespace

void RegisterPoolKernels(KernelRegistry& r) {
  std::vector<DataType> max_types = kCudaFloatTypes;
  max_types.push_back(DataType::kInt8);
  max_types.push_back(DataType::kUint8);
  auto def = [](const char* op) { return KernelDef(op).Opsets(1).OnDevice(Device::kCuda); };
  r.Register(def("MaxPool").Types("T", {0}, max_types), PoolFactory(PoolOp::kMax, false));
  r.Register(def("AveragePool").Types("T", {0}, kCudaFloatTypes), PoolFactory(PoolOp::kAvg, false));
  r.Register(def("LpPool").Types("T", {0}, kCudaFloatTypes), PoolFactory(PoolOp::kLp, false));
  r.Register(def("GlobalMaxPool").Types("T", {0}, kCudaFloatTypes),
             PoolFactory(PoolOp::kMax, true));
  r.Register(def("GlobalAveragePool").Types("T", {0}, kCudaFloatTypes),
             PoolFactory(PoolOp::kAvg, true));
  r.Register(def("GlobalLpPool").Types("T", {0}, kCudaFloatTypes), PoolFactory(PoolOp::kLp, true));
}

}  // namespace kiln::cuda
