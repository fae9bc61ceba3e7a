// CUDA pooling kernels (direct kernels, pool.cu; semantics and errors of kernels/cpu/pool.cc):
//   MaxPool            1+  (float32, float16, bfloat16, int8, uint8; optional Indices output with
//                           storage_order; dilations, ceil_mode, auto_pad, pads, strides)
//   AveragePool        1+  (float32, float16, bfloat16; count_include_pad, ceil_mode, dilations,
//                           auto_pad)
//   LpPool             1+  (float32, float16, bfloat16; p a float at opset 1, an int from 2)
//   GlobalAveragePool  1+, GlobalMaxPool 1+, GlobalLpPool 1+ (float32, float16, bfloat16)
// 1-3 spatial dims. A direct kernel covers every attribute combination (cuDNN's pooling has no
// dilations and a different ceil_mode / count_include_pad convention), accumulating in float.
#include "kernels/cuda/pool.cuh"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/register.h"

namespace kiln::cuda {
namespace {

// ---- Window geometry (as kernels/cpu/conv_pool_util.h) -----------------------------------------

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

struct WindowAttrs {
  AutoPad auto_pad = AutoPad::kNotSet;
  std::vector<int64_t> kernel_shape, strides, dilations, pads;
  bool ceil_mode = false;
};

Status ParseWindowAttrs(const KernelInfo& info, WindowAttrs* w) {
  const std::string ap = info.GetString("auto_pad", "NOTSET");
  if (ap == "NOTSET" || ap.empty()) {
    w->auto_pad = AutoPad::kNotSet;
  } else if (ap == "SAME_UPPER") {
    w->auto_pad = AutoPad::kSameUpper;
  } else if (ap == "SAME_LOWER") {
    w->auto_pad = AutoPad::kSameLower;
  } else if (ap == "VALID") {
    w->auto_pad = AutoPad::kValid;
  } else {
    return info.InvalidModel("unknown auto_pad '" + ap + "'");
  }
  w->kernel_shape = info.GetInts("kernel_shape");
  w->strides = info.GetInts("strides");
  w->dilations = info.GetInts("dilations");
  w->pads = info.GetInts("pads");
  w->ceil_mode = info.GetInt("ceil_mode", 0) != 0;
  for (int64_t v : w->kernel_shape) {
    if (v <= 0) return info.InvalidModel("kernel_shape values must be positive");
  }
  for (int64_t v : w->strides) {
    if (v <= 0) return info.InvalidModel("strides must be positive");
  }
  for (int64_t v : w->dilations) {
    if (v <= 0) return info.InvalidModel("dilations must be positive");
  }
  for (int64_t v : w->pads) {
    if (v < 0) return info.InvalidModel("pads must be non-negative");
  }
  return info.status();
}

struct Geometry {
  int nd = 0;
  std::vector<int64_t> in, kernel, stride, dilation, pad_begin, pad_end, out;
  int64_t EffectiveKernel(int d) const { return (kernel[d] - 1) * dilation[d] + 1; }
};

Status ResolveGeometry(const KernelContext& ctx, const WindowAttrs& w,
                       const std::vector<int64_t>& in, const std::vector<int64_t>& kernel,
                       Geometry* g) {
  const int nd = static_cast<int>(in.size());
  g->nd = nd;
  g->in = in;
  g->kernel = kernel;
  if (static_cast<int>(kernel.size()) != nd) {
    return ctx.InvalidArgument("kernel has " + std::to_string(kernel.size()) +
                               " spatial dims, input has " + std::to_string(nd));
  }
  auto take = [&](const std::vector<int64_t>& v, size_t want, int64_t def, const char* name,
                  std::vector<int64_t>* out) -> Status {
    if (v.empty()) {
      out->assign(want, def);
      return Status::Ok();
    }
    if (v.size() != want) {
      return ctx.InvalidArgument(std::string(name) + " has " + std::to_string(v.size()) +
                                 " values, expected " + std::to_string(want));
    }
    *out = v;
    return Status::Ok();
  };
  KILN_CUDA_RETURN_IF_ERROR(take(w.strides, nd, 1, "strides", &g->stride));
  KILN_CUDA_RETURN_IF_ERROR(take(w.dilations, nd, 1, "dilations", &g->dilation));
  std::vector<int64_t> pads;
  KILN_CUDA_RETURN_IF_ERROR(take(w.pads, 2 * nd, 0, "pads", &pads));
  g->pad_begin.assign(pads.begin(), pads.begin() + nd);
  g->pad_end.assign(pads.begin() + nd, pads.end());
  g->out.assign(nd, 0);
  for (int d = 0; d < nd; ++d) {
    const int64_t k = g->EffectiveKernel(d), s = g->stride[d];
    switch (w.auto_pad) {
      case AutoPad::kSameUpper:
      case AutoPad::kSameLower: {
        g->out[d] = (in[d] + s - 1) / s;
        const int64_t total = std::max<int64_t>(0, (g->out[d] - 1) * s + k - in[d]);
        const int64_t small = total / 2;
        g->pad_begin[d] = w.auto_pad == AutoPad::kSameUpper ? small : total - small;
        g->pad_end[d] = total - g->pad_begin[d];
        break;
      }
      case AutoPad::kValid:
        g->pad_begin[d] = g->pad_end[d] = 0;
        [[fallthrough]];
      case AutoPad::kNotSet: {
        const int64_t span = in[d] + g->pad_begin[d] + g->pad_end[d] - k;
        if (span < 0) {
          return ctx.InvalidArgument("window (effective size " + std::to_string(k) +
                                     ") is larger than the padded input along spatial dim " +
                                     std::to_string(d) + " (input " + DimsToString(in) + ")");
        }
        if (w.ceil_mode && w.auto_pad == AutoPad::kNotSet) {
          g->out[d] = (span + s - 1) / s + 1;
          // The last window must start inside the input or its leading padding.
          if ((g->out[d] - 1) * s >= in[d] + g->pad_begin[d]) --g->out[d];
        } else {
          g->out[d] = span / s + 1;
        }
        break;
      }
    }
  }
  return Status::Ok();
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
    count_include_pad_ = info.GetInt("count_include_pad", 0) != 0;
    storage_order_ = info.GetInt("storage_order", 0);
    if (op == PoolOp::kLp) {
      p_ = info.opset() < 2 ? info.GetFloat("p", 2.0f) : static_cast<float>(info.GetInt("p", 2));
    }
    if (!global_) init_ = ParseWindowAttrs(info, &attrs_);
    if (init_.ok()) init_ = info.status();
    if (init_.ok() && !global_ && attrs_.kernel_shape.empty()) {
      init_ = info.InvalidModel("kernel_shape is required");
    }
    if (init_.ok() && storage_order_ != 0 && storage_order_ != 1) {
      init_ = info.InvalidModel("storage_order must be 0 or 1");
    }
    if (init_.ok() && op == PoolOp::kLp && !(p_ > 0)) {
      init_ = info.InvalidModel("p must be positive");
    }
  }
  const Status& init_status() const { return init_; }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("missing input X");
    if (x->rank() < 3) {
      return ctx.InvalidArgument("X must have rank >= 3 ([N, C, spatial...]), got " +
                                 DimsToString(x->dims()));
    }
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
      return CudaStatus(
          LaunchGlobalPool(elem, op_, x->raw_data(), y->raw_data(), planes, plane, p_, stream), ctx,
          "LaunchGlobalPool");
    }
    if (static_cast<int>(attrs_.kernel_shape.size()) != nd) {
      return ctx.InvalidArgument("kernel_shape has " + std::to_string(attrs_.kernel_shape.size()) +
                                 " dims but X " + DimsToString(x->dims()) + " has " +
                                 std::to_string(nd) + " spatial dims");
    }
    if (nd > 3) return ctx.Unsupported("pooling over more than 3 spatial dims");
    Geometry g;
    KILN_CUDA_RETURN_IF_ERROR(ResolveGeometry(ctx, attrs_, in, attrs_.kernel_shape, &g));
    std::vector<int64_t> out_dims = {x->dim(0), x->dim(1)};
    out_dims.insert(out_dims.end(), g.out.begin(), g.out.end());
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
    p.count_include_pad = count_include_pad_;
    p.storage_order = static_cast<int>(storage_order_);
    p.p = p_;
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
  bool count_include_pad_ = false;
  int64_t storage_order_ = 0;
  float p_ = 2.0f;
  WindowAttrs attrs_;
  Status init_;
};

KernelFactory PoolFactory(PoolOp op, bool global) {
  return [op, global](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    auto k = std::make_unique<PoolKernel>(info, op, global);
    if (!k->init_status().ok()) return k->init_status();
    return std::unique_ptr<Kernel>(std::move(k));
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
