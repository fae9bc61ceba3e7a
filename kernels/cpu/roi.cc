// Region-of-interest pooling: RoiAlign (opsets 10-15, 16+ with coordinate_transformation_mode)
// and MaxRoiPool (opsets 1-21, 22+; Fast R-CNN RoI max pooling).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/cpu/register.h"
#include "kernels/ops/common.h"
#include "kernels/ops/resize_params.h"  // ReadInt64s

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

// ---------------------------------------------------------------------------------------------
// RoiAlign.

// MaxRoiPool (Fast R-CNN ROI pooling, as Caffe and ONNX Runtime compute it): each RoI
// [batch_id, x1, y1, x2, y2] is scaled by spatial_scale and rounded to whole pixels; its
// (y2 - y1 + 1) x (x2 - x1 + 1) window is cut into pooled_shape bins of fractional size, bin
// (ph, pw) covering rows [floor(ph * bin_h), ceil((ph + 1) * bin_h)) from the RoI's first row,
// clipped to the image; each output is its bin's maximum, or 0 for a bin that is empty.
class MaxRoiPoolKernel : public Kernel {
 public:
  explicit MaxRoiPoolKernel(const KernelInfo& info) {
    if (!info.HasAttr("pooled_shape")) {
      init_ = info.InvalidModel("attribute 'pooled_shape' is required");
      return;
    }
    const std::vector<int64_t> shape = info.GetInts("pooled_shape");
    if (shape.size() != 2 || shape[0] <= 0 || shape[1] <= 0) {
      init_ = info.InvalidModel("pooled_shape must be two positive values (height, width)");
      return;
    }
    pooled_h_ = shape[0];
    pooled_w_ = shape[1];
    spatial_scale_ = info.GetFloat("spatial_scale", 1.0f);
    init_ = info.status();
  }
  const Status& init_status() const { return init_; }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    const Tensor* rois = ctx.Input(1);
    if (x == nullptr || rois == nullptr) return ctx.InvalidArgument("missing input");
    if (x->rank() != 4) {
      return ctx.InvalidArgument("X must be 4-D [N, C, H, W], got " + x->TypeString());
    }
    if (rois->rank() != 2 || rois->dim(1) != 5) {
      return ctx.InvalidArgument("rois must have shape [num_rois, 5], got " +
                                 DimsToString(rois->dims()));
    }
    std::vector<double> r;
    if (!ReadDoubles(*rois, &r)) return ctx.InvalidArgument("rois must be a float tensor");
    const int64_t num_rois = rois->dim(0), channels = x->dim(1);
    for (int64_t n = 0; n < num_rois; ++n) {
      const double b = r[n * 5];
      if (!(b >= 0) || b >= static_cast<double>(x->dim(0)) || b != std::floor(b)) {
        return ctx.InvalidArgument("RoI " + std::to_string(n) + " has batch_id " +
                                   std::to_string(b) + ", expected an integer in [0, " +
                                   std::to_string(x->dim(0)) + ")");
      }
      for (int k = 1; k < 5; ++k) {
        if (!std::isfinite(r[n * 5 + k])) {
          return ctx.InvalidArgument("RoI " + std::to_string(n) + " has a non-finite coordinate");
        }
      }
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y,
                          ctx.Output(0, x->dtype(), {num_rois, channels, pooled_h_, pooled_w_}));
    if (y->numel() == 0) return Status::Ok();
    bool ok = Dispatch<KILN_FLOAT_TYPES>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      Compute<T>(*x, r, y);
    });
    if (!ok) return ctx.Unsupported("unsupported element type " + x->TypeString());
    return Status::Ok();
  }

 private:
  template <typename T>
  void Compute(const Tensor& x, const std::vector<double>& r, Tensor* y) const {
    const int64_t channels = x.dim(1), height = x.dim(2), width = x.dim(3);
    const T* xs = x.data<T>();
    T* ys = y->data<T>();
    const int64_t num_rois = y->dim(0);
    // Per RoI: the clipped row and column ranges of every bin, shared by all channels.
    std::vector<int64_t> h0(pooled_h_), h1(pooled_h_), w0(pooled_w_), w1(pooled_w_);
    auto clip = [](int64_t v, int64_t hi) { return std::min(std::max<int64_t>(v, 0), hi); };
    for (int64_t n = 0; n < num_rois; ++n) {
      const double* roi = &r[n * 5];
      const int64_t b = static_cast<int64_t>(roi[0]);
      const int64_t sw = static_cast<int64_t>(std::round(roi[1] * spatial_scale_));
      const int64_t sh = static_cast<int64_t>(std::round(roi[2] * spatial_scale_));
      const int64_t ew = static_cast<int64_t>(std::round(roi[3] * spatial_scale_));
      const int64_t eh = static_cast<int64_t>(std::round(roi[4] * spatial_scale_));
      const float bin_h =
          static_cast<float>(std::max<int64_t>(eh - sh + 1, 1)) / static_cast<float>(pooled_h_);
      const float bin_w =
          static_cast<float>(std::max<int64_t>(ew - sw + 1, 1)) / static_cast<float>(pooled_w_);
      for (int64_t p = 0; p < pooled_h_; ++p) {
        h0[p] = clip(static_cast<int64_t>(std::floor(p * bin_h)) + sh, height);
        h1[p] = clip(static_cast<int64_t>(std::ceil((p + 1) * bin_h)) + sh, height);
      }
      for (int64_t p = 0; p < pooled_w_; ++p) {
        w0[p] = clip(static_cast<int64_t>(std::floor(p * bin_w)) + sw, width);
        w1[p] = clip(static_cast<int64_t>(std::ceil((p + 1) * bin_w)) + sw, width);
      }
      for (int64_t c = 0; c < channels; ++c) {
        const T* plane = xs + (b * channels + c) * height * width;
        T* out = ys + (n * channels + c) * pooled_h_ * pooled_w_;
        for (int64_t ph = 0; ph < pooled_h_; ++ph) {
          for (int64_t pw = 0; pw < pooled_w_; ++pw) {
            double best = 0;
            if (h1[ph] > h0[ph] && w1[pw] > w0[pw]) {
              best = -std::numeric_limits<double>::infinity();
              for (int64_t i = h0[ph]; i < h1[ph]; ++i) {
                for (int64_t j = w0[pw]; j < w1[pw]; ++j) {
                  best = std::max(best, ToDouble(plane[i * width + j]));
                }
              }
            }
            out[ph * pooled_w_ + pw] = FromDouble<T>(best);
          }
        }
      }
    }
  }

  int64_t pooled_h_ = 1, pooled_w_ = 1;
  double spatial_scale_ = 1.0;
  Status init_;
};

class RoiAlignKernel : public Kernel {
 public:
  explicit RoiAlignKernel(const KernelInfo& info) {
    const std::string mode = info.GetString("mode", "avg");
    if (mode != "avg" && mode != "max") {
      init_ = info.InvalidModel("unsupported mode '" + mode + "'");
      return;
    }
    max_ = mode == "max";
    out_h_ = info.GetInt("output_height", 1);
    out_w_ = info.GetInt("output_width", 1);
    sampling_ratio_ = info.GetInt("sampling_ratio", 0);
    spatial_scale_ = info.GetFloat("spatial_scale", 1.0f);
    if (info.opset() >= 16) {
      const std::string ct = info.GetString("coordinate_transformation_mode", "half_pixel");
      if (ct != "half_pixel" && ct != "output_half_pixel") {
        init_ = info.InvalidModel("unsupported coordinate_transformation_mode '" + ct + "'");
        return;
      }
      half_pixel_ = ct == "half_pixel";
    }
    if (out_h_ <= 0 || out_w_ <= 0) {
      init_ = info.InvalidModel("output_height and output_width must be positive");
      return;
    }
    if (sampling_ratio_ < 0) {
      init_ = info.InvalidModel("sampling_ratio must be non-negative");
      return;
    }
    init_ = info.status();
  }
  const Status& init_status() const { return init_; }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    const Tensor* rois = ctx.Input(1);
    const Tensor* bi = ctx.Input(2);
    if (x == nullptr || rois == nullptr || bi == nullptr) {
      return ctx.InvalidArgument("missing input");
    }
    if (x->rank() != 4) return ctx.InvalidArgument("X must have rank 4");
    if (rois->rank() != 2 || rois->dim(1) != 4) {
      return ctx.InvalidArgument("rois must have shape [num_rois, 4], got " +
                                 DimsToString(rois->dims()));
    }
    const int64_t num_rois = rois->dim(0);
    if (bi->rank() != 1 || bi->dim(0) != num_rois) {
      return ctx.InvalidArgument("batch_indices must have shape [num_rois]");
    }
    std::vector<double> r;
    if (!ReadDoubles(*rois, &r)) return ctx.InvalidArgument("rois must be a float tensor");
    std::vector<int64_t> batch;
    if (!ReadInt64s(*bi, &batch)) return ctx.InvalidArgument("batch_indices must be int64");
    const int64_t channels = x->dim(1), height = x->dim(2), width = x->dim(3);
    for (int64_t b : batch) {
      if (b < 0 || b >= x->dim(0)) return ctx.InvalidArgument("batch index out of range");
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y,
                          ctx.Output(0, x->dtype(), {num_rois, channels, out_h_, out_w_}));
    if (y->numel() == 0) return Status::Ok();
    bool ok = Dispatch<KILN_FLOAT_TYPES>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      Compute<T>(*x, r, batch, height, width, y);
    });
    if (!ok) return ctx.Unsupported("unsupported element type " + x->TypeString());
    return Status::Ok();
  }

 private:
  struct Tap {
    int64_t pos[4];
    double w[4];
  };

  template <typename T>
  void Compute(const Tensor& x, const std::vector<double>& r, const std::vector<int64_t>& batch,
               int64_t height, int64_t width, Tensor* y) const {
    const int64_t channels = x.dim(1);
    const T* xs = x.data<T>();
    T* ys = y->data<T>();
    const double offset = half_pixel_ ? 0.5 : 0.0;
    std::vector<Tap> taps;
    for (size_t n = 0; n < batch.size(); ++n) {
      const double sw = r[n * 4 + 0] * spatial_scale_ - offset;
      const double sh = r[n * 4 + 1] * spatial_scale_ - offset;
      const double ew = r[n * 4 + 2] * spatial_scale_ - offset;
      const double eh = r[n * 4 + 3] * spatial_scale_ - offset;
      double roi_w = ew - sw, roi_h = eh - sh;
      if (!half_pixel_) {
        roi_w = std::max(roi_w, 1.0);
        roi_h = std::max(roi_h, 1.0);
      }
      const double bin_h = roi_h / static_cast<double>(out_h_);
      const double bin_w = roi_w / static_cast<double>(out_w_);
      const int64_t grid_h =
          sampling_ratio_ > 0 ? sampling_ratio_ : static_cast<int64_t>(std::ceil(roi_h / out_h_));
      const int64_t grid_w =
          sampling_ratio_ > 0 ? sampling_ratio_ : static_cast<int64_t>(std::ceil(roi_w / out_w_));
      const int64_t gh = std::max<int64_t>(grid_h, 0), gw = std::max<int64_t>(grid_w, 0);
      const double count = static_cast<double>(std::max<int64_t>(gh * gw, 1));
      // Sample positions and bilinear weights, shared by every channel.
      taps.assign(out_h_ * out_w_ * gh * gw, Tap{});
      size_t t = 0;
      for (int64_t ph = 0; ph < out_h_; ++ph) {
        for (int64_t pw = 0; pw < out_w_; ++pw) {
          for (int64_t iy = 0; iy < gh; ++iy) {
            double yy = sh + ph * bin_h + (iy + 0.5) * bin_h / static_cast<double>(gh);
            for (int64_t ix = 0; ix < gw; ++ix, ++t) {
              double xx = sw + pw * bin_w + (ix + 0.5) * bin_w / static_cast<double>(gw);
              Tap& tp = taps[t];
              if (yy < -1.0 || yy > static_cast<double>(height) || xx < -1.0 ||
                  xx > static_cast<double>(width)) {
                continue;  // zero weights
              }
              double yc = std::max(yy, 0.0), xc = std::max(xx, 0.0);
              int64_t y_lo = static_cast<int64_t>(yc), x_lo = static_cast<int64_t>(xc);
              int64_t y_hi, x_hi;
              if (y_lo >= height - 1) {
                y_hi = y_lo = height - 1;
                yc = static_cast<double>(y_lo);
              } else {
                y_hi = y_lo + 1;
              }
              if (x_lo >= width - 1) {
                x_hi = x_lo = width - 1;
                xc = static_cast<double>(x_lo);
              } else {
                x_hi = x_lo + 1;
              }
              const double ly = yc - y_lo, lx = xc - x_lo, hy = 1 - ly, hx = 1 - lx;
              tp.pos[0] = y_lo * width + x_lo;
              tp.pos[1] = y_lo * width + x_hi;
              tp.pos[2] = y_hi * width + x_lo;
              tp.pos[3] = y_hi * width + x_hi;
              tp.w[0] = hy * hx;
              tp.w[1] = hy * lx;
              tp.w[2] = ly * hx;
              tp.w[3] = ly * lx;
            }
          }
        }
      }
      const int64_t per_bin = gh * gw;
      for (int64_t c = 0; c < channels; ++c) {
        const T* xc = xs + (batch[n] * channels + c) * height * width;
        T* yc = ys + ((static_cast<int64_t>(n) * channels + c) * out_h_) * out_w_;
        for (int64_t b = 0; b < out_h_ * out_w_; ++b) {
          double acc = 0;
          bool first = true;
          for (int64_t s = 0; s < per_bin; ++s) {
            const Tap& tp = taps[b * per_bin + s];
            if (max_) {
              double v = tp.w[0] * ToDouble(xc[tp.pos[0]]);
              for (int k = 1; k < 4; ++k) v = std::max(v, tp.w[k] * ToDouble(xc[tp.pos[k]]));
              acc = first ? v : std::max(acc, v);
              first = false;
            } else {
              for (int k = 0; k < 4; ++k) acc += tp.w[k] * ToDouble(xc[tp.pos[k]]);
            }
          }
          if (!max_) acc /= count;
          yc[b] = FromDouble<T>(acc);
        }
      }
    }
  }

  bool max_ = false;
  bool half_pixel_ = false;  // opset 10 behaves as output_half_pixel
  int64_t out_h_ = 1, out_w_ = 1, sampling_ratio_ = 0;
  double spatial_scale_ = 1.0;
  Status init_;
};

}  // namespace

void RegisterRoiKernels(KernelRegistry& r) {
  r.Register(KernelDef("RoiAlign")
                 .Opsets(10, 15)
                 .Types("T1", {0, 1}, kFloatTypes)
                 .Types("T2", {2}, {DataType::kInt64}),
             MakeCheckedKernel<RoiAlignKernel>());
  r.Register(KernelDef("RoiAlign")
                 .Opsets(16)
                 .Types("T1", {0, 1}, kFloatTypes)
                 .Types("T2", {2}, {DataType::kInt64}),
             MakeCheckedKernel<RoiAlignKernel>());
  r.Register(KernelDef("MaxRoiPool").Opsets(1, 21).Types("T", {0, 1}, kFloatTypes),
             MakeCheckedKernel<MaxRoiPoolKernel>());
  r.Register(KernelDef("MaxRoiPool").Opsets(22).Types("T", {0, 1}, kFloatTypes),
             MakeCheckedKernel<MaxRoiPoolKernel>());
}

}  // namespace kiln::cpu
