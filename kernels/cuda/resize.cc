// CUDA Resize: opsets 10 (scales only, asymmetric, nearest floor), 11-12, 13-17, 18, 19+, as the
// CPU registrations. Supported: modes 'nearest' (every nearest_mode; an exact gather) and
// 'linear' (N-linear over the resized axes, any rank up to 8, e.g. bilinear on NCHW), every
// coordinate_transformation_mode, roi / scales / sizes (host inputs), exclude_outside,
// extrapolation_value, axes and keep_aspect_ratio_policy (18+). Not supported, rejected when the
// kernel is created with an Unsupported error naming the attribute: mode 'cubic', antialias = 1.
// Element types float, float16, bfloat16 (linear accumulates in float).
// The host side follows kernels/cpu/image.cc (ResizeKernel) for attributes, the output shape and
// its errors; the device computes each output element independently (resize.cu).
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/common.h"
#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/movement.cuh"
#include "kernels/cuda/register.h"
#include "kernels/cuda/resize.cuh"

namespace kiln::cuda {
namespace {

enum class AspectPolicy { kStretch, kNotLarger, kNotSmaller };

// Reads a float tensor (float, double, float16, bfloat16) in host memory into doubles.
bool ReadDoubles(const Tensor& t, std::vector<double>* out) {
  out->resize(t.numel());
  return cpu::Dispatch<KILN_FLOAT_TYPES>(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) (*out)[i] = cpu::ToDouble(p[i]);
  });
}

// Reads an int32 / int64 tensor in host memory.
bool ReadInt64s(const Tensor& t, std::vector<int64_t>* out) {
  out->resize(t.numel());
  return cpu::Dispatch<int32_t, int64_t>(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) (*out)[i] = static_cast<int64_t>(p[i]);
  });
}

class ResizeKernel : public Kernel {
 public:
  explicit ResizeKernel(const KernelInfo& info) : opset_(info.opset()) {
    const std::string mode = info.GetString("mode", "nearest");
    if (mode == "nearest") {
      linear_ = false;
    } else if (mode == "linear" || (opset_ < 11 && mode == "bilinear")) {
      linear_ = true;
    } else if (mode == "cubic" && opset_ >= 11) {
      init_ = info.Unsupported("attribute 'mode' = 'cubic' is not supported on CUDA");
      return;
    } else {
      init_ = info.InvalidModel("unsupported mode '" + mode + "'");
      return;
    }
    if (opset_ < 11) {
      coord_ = ResizeCoord::kAsymmetric;
      nearest_ = ResizeNearest::kFloor;
    } else {
      const std::string ct = info.GetString("coordinate_transformation_mode", "half_pixel");
      if (ct == "half_pixel") {
        coord_ = ResizeCoord::kHalfPixel;
      } else if (ct == "half_pixel_symmetric" && opset_ >= 19) {
        coord_ = ResizeCoord::kHalfPixelSymmetric;
      } else if (ct == "pytorch_half_pixel") {
        coord_ = ResizeCoord::kPytorchHalfPixel;
      } else if (ct == "align_corners") {
        coord_ = ResizeCoord::kAlignCorners;
      } else if (ct == "asymmetric") {
        coord_ = ResizeCoord::kAsymmetric;
      } else if (ct == "tf_half_pixel_for_nn" && opset_ < 13) {
        coord_ = ResizeCoord::kTfHalfPixelForNn;
      } else if (ct == "tf_crop_and_resize") {
        coord_ = ResizeCoord::kTfCropAndResize;
      } else {
        init_ = info.InvalidModel("unsupported coordinate_transformation_mode '" + ct + "'");
        return;
      }
      const std::string nm = info.GetString("nearest_mode", "round_prefer_floor");
      if (nm == "round_prefer_floor") {
        nearest_ = ResizeNearest::kRoundPreferFloor;
      } else if (nm == "round_prefer_ceil") {
        nearest_ = ResizeNearest::kRoundPreferCeil;
      } else if (nm == "floor") {
        nearest_ = ResizeNearest::kFloor;
      } else if (nm == "ceil") {
        nearest_ = ResizeNearest::kCeil;
      } else {
        init_ = info.InvalidModel("unsupported nearest_mode '" + nm + "'");
        return;
      }
      exclude_outside_ = info.GetInt("exclude_outside", 0) != 0;
      extrapolation_ = info.GetFloat("extrapolation_value", 0.0f);
    }
    if (opset_ >= 18) {
      if (info.GetInt("antialias", 0) != 0) {
        init_ = info.Unsupported("attribute 'antialias' = 1 is not supported on CUDA");
        return;
      }
      axes_ = info.GetInts("axes");
      const std::string pol = info.GetString("keep_aspect_ratio_policy", "stretch");
      if (pol == "stretch") {
        policy_ = AspectPolicy::kStretch;
      } else if (pol == "not_larger") {
        policy_ = AspectPolicy::kNotLarger;
      } else if (pol == "not_smaller") {
        policy_ = AspectPolicy::kNotSmaller;
      } else {
        init_ = info.InvalidModel("unsupported keep_aspect_ratio_policy '" + pol + "'");
        return;
      }
    }
    init_ = info.status();
  }
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
    // Resized axes.
    std::vector<int> axes;
    if (axes_.empty()) {
      for (int a = 0; a < rank; ++a) axes.push_back(a);
    } else {
      std::vector<bool> seen(rank, false);
      for (int64_t a : axes_) {
        KILN_ASSIGN_OR_RETURN(int na, cpu::NormalizeAxis(a, rank, ctx.node()));
        if (seen[na]) return ctx.InvalidArgument("axes contains a duplicate axis");
        seen[na] = true;
        axes.push_back(na);
      }
    }
    const int naxes = static_cast<int>(axes.size());
    // Host inputs.
    const Tensor* roi_t = opset_ >= 11 ? ctx.Input(1) : nullptr;
    const Tensor* scales_t = ctx.Input(opset_ >= 11 ? 2 : 1);
    const Tensor* sizes_t = opset_ >= 11 ? ctx.Input(3) : nullptr;
    if (scales_t != nullptr && scales_t->numel() == 0) scales_t = nullptr;
    if (sizes_t != nullptr && sizes_t->numel() == 0) sizes_t = nullptr;
    if ((scales_t == nullptr) == (sizes_t == nullptr)) {
      return ctx.InvalidArgument("exactly one of 'scales' and 'sizes' must be given (non-empty)");
    }
    std::vector<double> scales(rank, 1.0);
    std::vector<int64_t> out_dims = x->dims();
    if (scales_t != nullptr) {
      std::vector<double> s;
      if (!ReadDoubles(*scales_t, &s)) return ctx.InvalidArgument("scales must be float");
      if (static_cast<int>(s.size()) != naxes) {
        return ctx.InvalidArgument("scales has " + std::to_string(s.size()) +
                                   " values, expected " + std::to_string(naxes));
      }
      for (int i = 0; i < naxes; ++i) {
        if (!(s[i] > 0) || !std::isfinite(s[i])) {
          return ctx.InvalidArgument("scales must be positive and finite");
        }
        const int a = axes[i];
        scales[a] = s[i];
        const double o = std::floor(s[i] * static_cast<double>(x->dim(a)));
        if (o > 9.0e15) return ctx.InvalidArgument("output size overflows");
        out_dims[a] = static_cast<int64_t>(o);
      }
    } else {
      std::vector<int64_t> s;
      if (!ReadInt64s(*sizes_t, &s)) return ctx.InvalidArgument("sizes must be int64");
      if (static_cast<int>(s.size()) != naxes) {
        return ctx.InvalidArgument("sizes has " + std::to_string(s.size()) +
                                   " values, expected " + std::to_string(naxes));
      }
      for (int i = 0; i < naxes; ++i) {
        if (s[i] < 0) return ctx.InvalidArgument("sizes must be non-negative");
        if (x->dim(axes[i]) == 0 && s[i] != 0) {
          return ctx.InvalidArgument("cannot resize an axis of size 0 to a non-empty size");
        }
      }
      for (int i = 0; i < naxes; ++i) {
        const int a = axes[i];
        out_dims[a] = s[i];
        scales[a] = x->dim(a) == 0 ? 1.0
                                   : static_cast<double>(s[i]) / static_cast<double>(x->dim(a));
      }
      if (policy_ != AspectPolicy::kStretch) {
        double sc = scales[axes[0]];
        for (int a : axes) {
          sc = policy_ == AspectPolicy::kNotLarger ? std::min(sc, scales[a])
                                                   : std::max(sc, scales[a]);
        }
        for (int a : axes) {
          scales[a] = sc;
          out_dims[a] = static_cast<int64_t>(sc * static_cast<double>(x->dim(a)) + 0.5);
        }
      }
    }
    std::vector<double> roi;
    if (coord_ == ResizeCoord::kTfCropAndResize) {
      if (roi_t == nullptr || roi_t->numel() == 0) {
        return ctx.InvalidArgument("roi is required with tf_crop_and_resize");
      }
      std::vector<double> r;
      if (!ReadDoubles(*roi_t, &r)) return ctx.InvalidArgument("roi must be a float tensor");
      if (static_cast<int>(r.size()) != 2 * naxes) {
        return ctx.InvalidArgument("roi has " + std::to_string(r.size()) + " values, expected " +
                                   std::to_string(2 * naxes));
      }
      roi.assign(2 * rank, 0.0);
      for (int a = 0; a < rank; ++a) roi[rank + a] = 1.0;
      for (int i = 0; i < naxes; ++i) {
        roi[axes[i]] = r[i];
        roi[rank + axes[i]] = r[naxes + i];
      }
    }
    if (rank > kMaxResizeDims) {
      return ctx.Unsupported("X " + x->TypeString() + " has rank above " +
                             std::to_string(kMaxResizeDims) + ", the most Resize supports on CUDA");
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), out_dims));
    if (y->numel() == 0) return Status::Ok();
    ResizeParams p;
    p.rank = rank;
    p.linear = linear_;
    p.coord = coord_;
    p.nearest = nearest_;
    p.exclude_outside = exclude_outside_;
    p.extrapolation = extrapolation_;
    const std::vector<int64_t> in_strides = cpu::ContiguousStrides(x->dims());
    for (int a = 0; a < rank; ++a) {
      p.out_dims[a] = out_dims[a];
      p.in_strides[a] = in_strides[a];
      const int64_t in = x->dim(a);
      const double rs = roi.empty() ? 0.0 : roi[a];
      const double re = roi.empty() ? 1.0 : roi[a + rank];
      // An axis kept as it is copies its index (as the CPU kernel skips it).
      const bool identity = std::fabs(scales[a] - 1.0) < 1e-9 && out_dims[a] == in &&
                            (coord_ != ResizeCoord::kTfCropAndResize ||
                             (std::fabs(rs) < 1e-9 && std::fabs(re - 1) < 1e-9));
      if (identity) continue;
      if (in == 0) {
        return ctx.InvalidArgument("cannot resize an axis of size 0 to a non-empty size");
      }
      ResizeAxis& ax = p.axes[p.num_axes++];
      ax.dim = a;
      ax.in = in;
      ax.out = out_dims[a];
      ax.scale = scales[a];
      ax.roi_start = rs;
      ax.roi_end = re;
    }
    return CudaStatus(LaunchResize(y->raw_data(), x->raw_data(), elem, p, y->numel(),
                                   Stream(ctx).stream()),
                      ctx, "LaunchResize");
  }

 private:
  int opset_;
  bool linear_ = false;
  ResizeCoord coord_ = ResizeCoord::kHalfPixel;
  ResizeNearest nearest_ = ResizeNearest::kRoundPreferFloor;
  AspectPolicy policy_ = AspectPolicy::kStretch;
  bool exclude_outside_ = false;
  float extrapolation_ = 0.0f;
  std::vector<int64_t> axes_;  // as given (may be negative); empty: all
  Status init_;
};

StatusOr<std::unique_ptr<Kernel>> MakeResize(const KernelInfo& info) {
  auto k = std::make_unique<ResizeKernel>(info);
  if (!k->init_status().ok()) return k->init_status();
  return std::unique_ptr<Kernel>(std::move(k));
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
