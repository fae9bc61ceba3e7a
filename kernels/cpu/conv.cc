// Convolution kernels (CPU):
//   Conv           1+  (float, double, float16, bfloat16; group, dilations, strides, pads,
//                       auto_pad, 1-3 spatial dims)
//   ConvTranspose  1+  (as Conv, plus output_padding and output_shape)
//   ConvInteger    10+ (uint8/int8 input and weights, scalar or per-channel weight zero point)
//   QLinearConv    10+ (uint8/int8; per-tensor or per-channel weight scale and zero point)
//   DeformConv     19+ (2-D only: offsets, optional mask, group, offset_group)
// float32 Conv and ConvTranspose run on oneDNN. The primitive for one set of input shapes (with
// the constant weights reordered into oneDNN's layout) is a KernelState: Kernel::Prepare makes it
// on the run the memory plan records and later runs read it without a lock. Runs without a plan
// (memory planning off) take it from a bounded per-kernel cache (ShapeCache, which Prepare fills
// too, so a shape is built once either way). Activations are reordered to and from the layout
// oneDNN picks, and the scratchpad is per run. Every other case, and any window oneDNN rejects
// (e.g. negative effective padding from output_shape), runs im2col / col2im plus an Eigen GEMM
// per group.
// The float32 Conv kernel also serves kiln's FusedConv (conv.h, registered by fused.cc): the
// residual sum and the activation become post-ops of the same oneDNN primitive.
#include "kernels/cpu/conv.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kernels/cpu/conv_pool_util.h"
#include "kernels/cpu/register.h"
#include "kernels/ops/common.h"
#include "kernels/ops/conv_pool_params.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

template <typename T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// c = op(a) * b, row-major; op(a) is [m, k] (a stored [k, m] when trans_a), b is [k, n].
template <typename T>
void Gemm(const T* a, const T* b, T* c, int64_t m, int64_t k, int64_t n, bool trans_a) {
  Eigen::Map<RowMat<T>> cm(c, m, n);
  Eigen::Map<const RowMat<T>> bm(b, k, n);
  if (trans_a) {
    cm.noalias() = Eigen::Map<const RowMat<T>>(a, k, m).transpose() * bm;
  } else {
    cm.noalias() = Eigen::Map<const RowMat<T>>(a, m, k) * bm;
  }
}

// Window geometry over 3 spatial dims (leading dims of size 1 when the op has fewer). `in` is the
// image the kernel slides over, `out` the positions it visits.
struct Win3 {
  int64_t in[3], out[3], k[3], s[3], d[3], pb[3];
  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out[0] * out[1] * out[2]; }
  int64_t k_size() const { return k[0] * k[1] * k[2]; }
  bool pointwise() const {
    for (int i = 0; i < 3; ++i) {
      if (k[i] != 1 || s[i] != 1 || pb[i] != 0 || in[i] != out[i]) return false;
    }
    return true;
  }
};

Win3 MakeWin3(const std::vector<int64_t>& in, const std::vector<int64_t>& out, const Geometry& g) {
  Win3 w;
  const int shift = 3 - g.nd;
  for (int i = 0; i < 3; ++i) {
    const int j = i - shift;
    const bool real = j >= 0;
    w.in[i] = real ? in[j] : 1;
    w.out[i] = real ? out[j] : 1;
    w.k[i] = real ? g.kernel[j] : 1;
    w.s[i] = real ? g.stride[j] : 1;
    w.d[i] = real ? g.dilation[j] : 1;
    w.pb[i] = real ? g.pad_begin[j] : 0;
  }
  return w;
}

// Visits every (column row, output position) pair of an im2col matrix over `channels` channels;
// fn(col_index, image_index or -1 when the tap falls in padding).
template <typename Fn>
void ForEachTap(const Win3& w, int64_t channels, Fn&& fn) {
  int64_t ci = 0;
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t k0 = 0; k0 < w.k[0]; ++k0) {
      for (int64_t k1 = 0; k1 < w.k[1]; ++k1) {
        for (int64_t k2 = 0; k2 < w.k[2]; ++k2) {
          for (int64_t o0 = 0; o0 < w.out[0]; ++o0) {
            const int64_t i0 = o0 * w.s[0] - w.pb[0] + k0 * w.d[0];
            const bool v0 = i0 >= 0 && i0 < w.in[0];
            for (int64_t o1 = 0; o1 < w.out[1]; ++o1) {
              const int64_t i1 = o1 * w.s[1] - w.pb[1] + k1 * w.d[1];
              const bool v1 = v0 && i1 >= 0 && i1 < w.in[1];
              const int64_t base = ((c * w.in[0] + i0) * w.in[1] + i1) * w.in[2];
              for (int64_t o2 = 0; o2 < w.out[2]; ++o2, ++ci) {
                const int64_t i2 = o2 * w.s[2] - w.pb[2] + k2 * w.d[2];
                fn(ci, v1 && i2 >= 0 && i2 < w.in[2] ? base + i2 : int64_t{-1});
              }
            }
          }
        }
      }
    }
  }
}

// Channel layout of one (transposed) convolution.
struct ConvDims {
  int64_t n = 0, c = 0, m = 0, group = 1;
};

// y[n, m, out] = sum w[m, c/g, k] * x[n, c, window] (+ b[m]), per group, with T arithmetic.
template <typename T>
void ConvDirect(const Win3& w, const ConvDims& cd, const T* x, const T* wt, const T* b, T* y) {
  const int64_t cg = cd.c / cd.group, mg = cd.m / cd.group;
  const int64_t kk = cg * w.k_size(), in_sz = w.in_size(), out_sz = w.out_size();
  const bool pointwise = w.pointwise();
  std::vector<T> col(pointwise ? 0 : static_cast<size_t>(kk * out_sz));
  for (int64_t n = 0; n < cd.n; ++n) {
    for (int64_t g = 0; g < cd.group; ++g) {
      const T* xg = x + (n * cd.c + g * cg) * in_sz;
      const T* src = xg;
      if (!pointwise) {
        ForEachTap(w, cg, [&](int64_t ci, int64_t ii) { col[ci] = ii >= 0 ? xg[ii] : T(0); });
        src = col.data();
      }
      Gemm<T>(wt + g * mg * kk, src, y + (n * cd.m + g * mg) * out_sz, mg, kk, out_sz, false);
    }
    if (b != nullptr) {
      for (int64_t m = 0; m < cd.m; ++m) {
        T* yp = y + (n * cd.m + m) * out_sz;
        for (int64_t i = 0; i < out_sz; ++i) yp[i] += b[m];
      }
    }
  }
}

// Transposed convolution: `w` describes the forward conv from y (w.in) to x (w.out); W is
// [C, M/group, k...].
template <typename T>
void ConvTransposeDirect(const Win3& w, const ConvDims& cd, const T* x, const T* wt, const T* b,
                         T* y) {
  const int64_t cg = cd.c / cd.group, mg = cd.m / cd.group;
  const int64_t kk = mg * w.k_size(), x_sz = w.out_size(), y_sz = w.in_size();
  std::vector<T> col(static_cast<size_t>(kk * x_sz));
  std::fill(y, y + cd.n * cd.m * y_sz, T(0));
  for (int64_t n = 0; n < cd.n; ++n) {
    for (int64_t g = 0; g < cd.group; ++g) {
      Gemm<T>(wt + g * cg * kk, x + (n * cd.c + g * cg) * x_sz, col.data(), kk, cg, x_sz, true);
      T* yg = y + (n * cd.m + g * mg) * y_sz;
      ForEachTap(w, mg, [&](int64_t ci, int64_t ii) {
        if (ii >= 0) yg[ii] += col[ci];
      });
    }
    if (b != nullptr) {
      for (int64_t m = 0; m < cd.m; ++m) {
        T* yp = y + (n * cd.m + m) * y_sz;
        for (int64_t i = 0; i < y_sz; ++i) yp[i] += b[m];
      }
    }
  }
}

template <typename T>
std::vector<float> ToFloatVector(const T* p, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(ToDouble(p[i]));
  return v;
}

enum class ConvMode { kConv, kTranspose, kInteger, kQLinear };

// A oneDNN (de)convolution for one input shape; `ok` is false when oneDNN cannot express it.
struct DnnlConv final : KernelState {
  bool ok = false;
  bool transpose = false;
  bool w_const = false;  // made for the constant weights (packed_w), not for a fed W
  dnnl::primitive_desc_base pd;
  dnnl::primitive prim;
  dnnl::memory::desc user_w_md, user_src_md, user_dst_md;
  dnnl::memory packed_w;          // reordered constant weights (empty when W is not constant)
  bool activation_fused = false;  // the activation runs as a post-op (else ApplyActivation after)
};

// Appends `act` as oneDNN eltwise post-ops; false (with nothing appended) when oneDNN has no exact
// equivalent.
bool AppendDnnlActivation(const Activation& act, dnnl::post_ops* po) {
  using alg = dnnl::algorithm;
  switch (act.kind) {
    case ActivationKind::kNone:
      return true;
    case ActivationKind::kRelu:
      po->append_eltwise(1.0f, alg::eltwise_relu, 0.0f, 0.0f);
      return true;
    case ActivationKind::kLeakyRelu:
      po->append_eltwise(1.0f, alg::eltwise_relu, act.alpha, 0.0f);
      return true;
    case ActivationKind::kClip:
      // oneDNN's clip returns min where ONNX's returns max when min > max.
      if (!(act.alpha <= act.beta)) return false;
      po->append_eltwise(1.0f, alg::eltwise_clip, act.alpha, act.beta);
      return true;
    case ActivationKind::kSigmoid:
      po->append_eltwise(1.0f, alg::eltwise_logistic, 0.0f, 0.0f);
      return true;
    case ActivationKind::kTanh:
      po->append_eltwise(1.0f, alg::eltwise_tanh, 0.0f, 0.0f);
      return true;
    case ActivationKind::kHardSigmoid:
      // max(0, min(1, alpha * x + beta)) as linear then clip.
      po->append_eltwise(1.0f, alg::eltwise_linear, act.alpha, act.beta);
      po->append_eltwise(1.0f, alg::eltwise_clip, 0.0f, 1.0f);
      return true;
    case ActivationKind::kHardSwish:
      po->append_eltwise(1.0f, alg::eltwise_hardswish, 0.0f, 0.0f);
      return true;
    case ActivationKind::kGelu:
      po->append_eltwise(1.0f, alg::eltwise_gelu_erf, 0.0f, 0.0f);
      return true;
    case ActivationKind::kGeluTanh:
      po->append_eltwise(1.0f, alg::eltwise_gelu_tanh, 0.0f, 0.0f);
      return true;
  }
  return false;
}

class ConvKernel : public Kernel {
 public:
  // `fused`: kiln's FusedConv (float32 Conv with residual input 3 and `activation`).
  ConvKernel(const KernelInfo& info, ConvMode mode, bool fused = false, Activation activation = {})
      : mode_(mode), fused_(fused), activation_(std::move(activation)) {
    init_ = ParseConvAttrs(info, &attrs_);
    if (fused) {
      const int64_t cl = info.GetInt("channels_last", 0);
      if (init_.ok() && cl != 0 && cl != 1) {
        init_ = info.InvalidModel("channels_last must be 0 or 1");
      }
      channels_last_ = cl == 1;
    }
    const int w_index = mode == ConvMode::kQLinear ? 3 : 1;
    if (const Tensor* w = info.constant_input(w_index)) const_w_ = *w;
  }
  const Status& init_status() const { return init_; }

  // The oneDNN primitive for these input shapes, when Run would take the float32 oneDNN path;
  // nothing otherwise (Run then reports what is wrong with the inputs, or runs another path).
  StatusOr<std::shared_ptr<const KernelState>> Prepare(KernelContext& ctx) const override {
    std::shared_ptr<const KernelState> none;
    if (mode_ == ConvMode::kInteger || mode_ == ConvMode::kQLinear) return none;
    const Tensor* x = ctx.Input(0);
    const Tensor* wt = ctx.Input(1);
    const Tensor* b = ctx.Input(2);
    const Tensor* z = fused_ ? ctx.Input(3) : nullptr;
    Tensor xl, zl;  // channels-last: X and Z seen with their logical NCHW dims
    if (channels_last_) {
      if (!LogicalViews(x, z, &xl, &zl)) return none;
      x = &xl;
      if (z != nullptr) z = &zl;
    }
    ConvShape shape;
    if (x == nullptr || wt == nullptr ||
        !ResolveConvShape(ctx, attrs_, mode_ == ConvMode::kTranspose, x, wt, b, &shape).ok() ||
        !CheckFloatConvInputs(ctx, fused_, *x, *wt, b, z, shape.y_dims).ok() ||
        x->dtype() != DataType::kFloat ||
        ProductOfDims(shape.y_dims, 0, static_cast<int>(shape.y_dims.size())) == 0 ||
        x->numel() == 0 || wt->numel() == 0) {
      return none;
    }
    return std::shared_ptr<const KernelState>(DnnlFor(*x, *wt, b, z, shape.g, shape.y_dims));
  }

  Status Run(KernelContext& ctx) const override {
    if (channels_last_) return RunChannelsLast(ctx);
    const bool q = mode_ == ConvMode::kQLinear;
    const Tensor* x = ctx.Input(0);
    const Tensor* wt = ctx.Input(q ? 3 : 1);
    const Tensor* b = mode_ == ConvMode::kInteger ? nullptr : ctx.Input(q ? 8 : 2);
    const Tensor* z = fused_ ? ctx.Input(3) : nullptr;
    const bool transpose = mode_ == ConvMode::kTranspose;
    ConvShape shape;
    KILN_RETURN_IF_ERROR(ResolveConvShape(ctx, attrs_, transpose, x, wt, b, &shape));
    const Geometry& g = shape.g;
    const std::vector<int64_t>& y_dims = shape.y_dims;
    const std::vector<int64_t>& in = g.in;
    const std::vector<int64_t>& y_spatial = g.out;
    ConvDims cd;
    cd.n = shape.n;
    cd.c = shape.c;
    cd.m = shape.m;
    cd.group = attrs_.group;
    // The forward window: conv slides over x; a transposed conv is the adjoint of a conv over y.
    const Win3 w3 = transpose ? MakeWin3(y_spatial, in, g) : MakeWin3(in, y_spatial, g);

    if (mode_ == ConvMode::kInteger || q) return RunQuantized(ctx, *x, *wt, b, w3, cd, y_dims);

    KILN_RETURN_IF_ERROR(CheckFloatConvInputs(ctx, fused_, *x, *wt, b, z, y_dims));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), y_dims));
    if (y->numel() == 0) return Status::Ok();
    if (x->numel() == 0 || wt->numel() == 0) {
      return ctx.InvalidArgument("empty X or W with a non-empty output");
    }
    if (x->dtype() == DataType::kFloat && RunDnnl(ctx, *x, *wt, b, z, g, y_dims, y)) {
      return Status::Ok();
    }
    if (fused_) return RunFusedDirect(w3, cd, *x, *wt, b, z, y);
    auto run = [&](auto* tag, const auto* xp, const auto* wp, const auto* bp, auto* yp) {
      using T = std::remove_pointer_t<decltype(tag)>;
      if (transpose) {
        ConvTransposeDirect<T>(w3, cd, xp, wp, bp, yp);
      } else {
        ConvDirect<T>(w3, cd, xp, wp, bp, yp);
      }
    };
    bool done = Dispatch<float, double>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      run(static_cast<T*>(nullptr), x->data<T>(), wt->data<T>(),
          b ? b->data<T>() : static_cast<const T*>(nullptr), y->data<T>());
    });
    if (!done) {
      done = Dispatch<Float16, BFloat16>(x->dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        std::vector<float> xf = ToFloatVector(x->data<T>(), x->numel());
        std::vector<float> wf = ToFloatVector(wt->data<T>(), wt->numel());
        std::vector<float> bf = b ? ToFloatVector(b->data<T>(), b->numel()) : std::vector<float>();
        std::vector<float> yf(static_cast<size_t>(y->numel()));
        run(static_cast<float*>(nullptr), xf.data(), wf.data(), b ? bf.data() : nullptr, yf.data());
        T* out = y->data<T>();
        for (int64_t i = 0; i < y->numel(); ++i) out[i] = FromDouble<T>(yf[i]);
      });
    }
    if (!done) return ctx.Unsupported(std::string("type ") + DataTypeName(x->dtype()));
    return Status::Ok();
  }

 private:
  // ConvInteger / QLinearConv: int32 accumulation of zero-point-shifted operands.
  Status RunQuantized(KernelContext& ctx, const Tensor& x, const Tensor& wt, const Tensor* b,
                      const Win3& w3, const ConvDims& cd,
                      const std::vector<int64_t>& y_dims) const {
    const bool q = mode_ == ConvMode::kQLinear;
    const Tensor* x_zp = ctx.Input(2);
    const Tensor* w_zp = ctx.Input(q ? 5 : 3);
    auto to_i32 = [](const Tensor& t) {
      std::vector<int32_t> v(static_cast<size_t>(t.numel()));
      if (t.dtype() == DataType::kUint8) {
        for (int64_t i = 0; i < t.numel(); ++i) v[i] = t.data<uint8_t>()[i];
      } else {
        for (int64_t i = 0; i < t.numel(); ++i) v[i] = t.data<int8_t>()[i];
      }
      return v;
    };
    if (x_zp != nullptr && (x_zp->numel() != 1 || x_zp->dtype() != x.dtype())) {
      return ctx.InvalidArgument("x_zero_point must be a scalar of X's type");
    }
    if (w_zp != nullptr &&
        ((w_zp->numel() != 1 && w_zp->numel() != cd.m) || w_zp->dtype() != wt.dtype())) {
      return ctx.InvalidArgument("w_zero_point must be a scalar or [M] of W's type");
    }
    std::vector<int32_t> xv = to_i32(x), wv = to_i32(wt);
    if (x_zp != nullptr) {
      const int32_t z = to_i32(*x_zp)[0];
      for (auto& v : xv) v -= z;
    }
    if (w_zp != nullptr) {
      const std::vector<int32_t> z = to_i32(*w_zp);
      const int64_t per_m = wt.numel() / std::max<int64_t>(cd.m, 1);
      for (size_t i = 0; i < wv.size(); ++i) wv[i] -= z[z.size() == 1 ? 0 : i / per_m];
    }
    std::vector<int32_t> bias;
    if (b != nullptr) {
      if (b->dtype() != DataType::kInt32) return ctx.InvalidArgument("B must be int32");
      bias.assign(b->data<int32_t>(), b->data<int32_t>() + b->numel());
    }
    KILN_ASSIGN_OR_RETURN(int64_t total, CheckedNumElements(y_dims));
    std::vector<int32_t> acc(static_cast<size_t>(total));
    if (total > 0) {
      if (x.numel() == 0 || wt.numel() == 0) {
        return ctx.InvalidArgument("empty X or W with a non-empty output");
      }
      ConvDirect<int32_t>(w3, cd, xv.data(), wv.data(), bias.empty() ? nullptr : bias.data(),
                          acc.data());
    }
    if (!q) {
      KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kInt32, y_dims));
      if (total > 0) std::memcpy(y->data<int32_t>(), acc.data(), acc.size() * sizeof(int32_t));
      return Status::Ok();
    }
    const Tensor* xs = ctx.Input(1);
    const Tensor* ws = ctx.Input(4);
    const Tensor* ys = ctx.Input(6);
    const Tensor* y_zp = ctx.Input(7);
    if (xs == nullptr || ws == nullptr || ys == nullptr || y_zp == nullptr) {
      return ctx.InvalidArgument("QLinearConv needs x_scale, w_scale, y_scale and y_zero_point");
    }
    if (xs->dtype() != DataType::kFloat || ws->dtype() != DataType::kFloat ||
        ys->dtype() != DataType::kFloat) {
      return ctx.Unsupported("QLinearConv scales must be float");
    }
    if (xs->numel() != 1 || ys->numel() != 1 || y_zp->numel() != 1 ||
        (ws->numel() != 1 && ws->numel() != cd.m)) {
      return ctx.InvalidArgument("QLinearConv scales/zero points have wrong sizes");
    }
    const int32_t zy = to_i32(*y_zp)[0];
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, y_zp->dtype(), y_dims));
    const bool u8 = y_zp->dtype() == DataType::kUint8;
    const float lo = u8 ? 0.f : -128.f, hi = u8 ? 255.f : 127.f;
    const int64_t plane = cd.m == 0 ? 0 : total / std::max<int64_t>(cd.n * cd.m, 1);
    for (int64_t i = 0; i < total; ++i) {
      const int64_t m = (i / plane) % cd.m;
      const float scale =
          xs->data<float>()[0] * ws->data<float>()[ws->numel() == 1 ? 0 : m] / ys->data<float>()[0];
      float v = std::nearbyint(static_cast<float>(acc[i]) * scale) + static_cast<float>(zy);
      v = std::min(std::max(v, lo), hi);
      if (u8) {
        y->data<uint8_t>()[i] = static_cast<uint8_t>(v);
      } else {
        y->data<int8_t>()[i] = static_cast<int8_t>(v);
      }
    }
    return Status::Ok();
  }

  // FusedConv without oneDNN: im2col + GEMM, then the residual sum and the activation.
  Status RunFusedDirect(const Win3& w3, const ConvDims& cd, const Tensor& x, const Tensor& wt,
                        const Tensor* b, const Tensor* z, Tensor* y) const {
    float* yp = y->data<float>();
    const int64_t n = y->numel();
    // Y may share Z's buffer: keep Z before the convolution overwrites it.
    std::vector<float> z_copy;
    const float* zp = z != nullptr ? z->data<float>() : nullptr;
    if (zp == yp) {
      z_copy.assign(zp, zp + n);
      zp = z_copy.data();
    }
    ConvDirect<float>(w3, cd, x.data<float>(), wt.data<float>(),
                      b != nullptr ? b->data<float>() : nullptr, yp);
    if (zp != nullptr) {
      for (int64_t i = 0; i < n; ++i) yp[i] += zp[i];
    }
    ApplyActivation(activation_, yp, n);
    return Status::Ok();
  }

  // [N, H, W, C] -> [N, C, H, W] dims.
  static std::vector<int64_t> NchwDims(const std::vector<int64_t>& d) {
    return {d[0], d[3], d[1], d[2]};
  }

  // Channels-last X and Z as tensors with their logical NCHW dims over the same bytes (oneDNN's
  // nhwc layout); false unless both are float 4-D.
  static bool LogicalViews(const Tensor* x, const Tensor* z, Tensor* xl, Tensor* zl) {
    if (x == nullptr || x->rank() != 4 || x->dtype() != DataType::kFloat) return false;
    if (z != nullptr && (z->rank() != 4 || z->dtype() != DataType::kFloat)) return false;
    *xl = Tensor::Wrap(DataType::kFloat, NchwDims(x->dims()), const_cast<void*>(x->raw_data()));
    if (z != nullptr) {
      *zl = Tensor::Wrap(DataType::kFloat, NchwDims(z->dims()), const_cast<void*>(z->raw_data()));
    }
    return true;
  }

  // kiln.FusedConv with channels_last = 1: X, Z and Y are [N, H, W, C] (2-D convolutions only),
  // which oneDNN reads and writes in place as its nhwc layout: no reorder of the activations. When
  // oneDNN cannot run the case, NCHW copies go through the direct loop.
  Status RunChannelsLast(KernelContext& ctx) const {
    const Tensor* x = ctx.Input(0);
    const Tensor* wt = ctx.Input(1);
    const Tensor* b = ctx.Input(2);
    const Tensor* z = ctx.Input(3);
    Tensor xl, zl;
    if (!LogicalViews(x, z, &xl, &zl)) {
      return ctx.InvalidArgument(
          "channels_last = 1 needs X (and Z) to be float tensors [N, H, W, C]");
    }
    const Tensor* zlp = z != nullptr ? &zl : nullptr;
    ConvShape shape;
    KILN_RETURN_IF_ERROR(ResolveConvShape(ctx, attrs_, false, &xl, wt, b, &shape));
    if (shape.g.nd != 2) return ctx.InvalidArgument("channels_last = 1 needs a 2-D convolution");
    KILN_RETURN_IF_ERROR(CheckFloatConvInputs(ctx, fused_, xl, *wt, b, zlp, shape.y_dims));
    const std::vector<int64_t>& yd = shape.y_dims;
    KILN_ASSIGN_OR_RETURN(Tensor * y,
                          ctx.Output(0, DataType::kFloat, {yd[0], yd[2], yd[3], yd[1]}));
    if (y->numel() == 0) return Status::Ok();
    if (x->numel() == 0 || wt->numel() == 0) {
      return ctx.InvalidArgument("empty X or W with a non-empty output");
    }
    Tensor yl = Tensor::Wrap(DataType::kFloat, yd, y->raw_data());
    if (RunDnnl(ctx, xl, *wt, b, zlp, shape.g, yd, &yl)) return Status::Ok();
    // [N, A, B] <-> [N, B, A] copies, A = H * W and B = C.
    auto swap_last = [](const float* src, float* dst, int64_t n, int64_t a, int64_t bb) {
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t p = 0; p < a; ++p) {
          for (int64_t q = 0; q < bb; ++q) dst[(i * bb + q) * a + p] = src[(i * a + p) * bb + q];
        }
      }
    };
    const std::vector<int64_t>& xd = xl.dims();
    Tensor xc(DataType::kFloat, xd), yc(DataType::kFloat, yd), zc;
    swap_last(x->data<float>(), xc.data<float>(), xd[0], xd[2] * xd[3], xd[1]);
    if (z != nullptr) {
      zc = Tensor(DataType::kFloat, yd);
      swap_last(z->data<float>(), zc.data<float>(), yd[0], yd[2] * yd[3], yd[1]);
    }
    ConvDims cd;
    cd.n = shape.n;
    cd.c = shape.c;
    cd.m = shape.m;
    cd.group = attrs_.group;
    KILN_RETURN_IF_ERROR(RunFusedDirect(MakeWin3(shape.g.in, shape.g.out, shape.g), cd, xc, *wt, b,
                                        z != nullptr ? &zc : nullptr, &yc));
    swap_last(yc.data<float>(), y->data<float>(), yd[0], yd[1], yd[2] * yd[3]);
    return Status::Ok();
  }

  // float32 through oneDNN; false when oneDNN cannot express the case. `z` (FusedConv's residual)
  // is added through a sum post-op: it is written into the destination before the primitive runs.
  // Blocked copies of X and Y, oneDNN's scratchpad and reordered non-constant weights are kernel
  // scratch, planned in the session's arena.
  bool RunDnnl(KernelContext& ctx, const Tensor& x, const Tensor& wt, const Tensor* b,
               const Tensor* z, const Geometry& g, const std::vector<int64_t>& y_dims,
               Tensor* y) const {
    // Prepared for exactly these input shapes (the planned path: no lock), unless W is fed now
    // where the constant was prepared, or the other way round.
    const DnnlConv* e = ctx.state<DnnlConv>();
    std::shared_ptr<const DnnlConv> held;
    if (e == nullptr || e->w_const != IsConstW(wt)) {
      held = DnnlFor(x, wt, b, z, g, y_dims);
      e = held.get();
    }
    if (!e->ok) return false;
    try {
      const dnnl::engine& eng = DnnlEngine();
      dnnl::stream s(eng);
      // Activations stay in ONNX's plain layout between nodes; reorder when oneDNN picked a
      // blocked one.
      dnnl::memory user_src(e->user_src_md, eng, const_cast<void*>(x.raw_data()));
      dnnl::memory user_dst(e->user_dst_md, eng, y->raw_data());
      dnnl::memory src = user_src, dst = user_dst;
      Tensor src_bytes, dst_bytes, scratch_bytes, w_bytes;
      if (e->pd.src_desc() != e->user_src_md) {
        if (!DnnlScratch(ctx, e->pd.src_desc(), &src_bytes, &src)) return false;
        dnnl::reorder(user_src, src).execute(s, user_src, src);
      }
      if (e->pd.dst_desc() != e->user_dst_md &&
          !DnnlScratch(ctx, e->pd.dst_desc(), &dst_bytes, &dst)) {
        return false;
      }
      if (z != nullptr) {
        if (dst != user_dst) {
          dnnl::memory user_z(e->user_dst_md, eng, const_cast<void*>(z->raw_data()));
          dnnl::reorder(user_z, dst).execute(s, user_z, dst);
        } else if (z->raw_data() != y->raw_data()) {
          std::memcpy(y->raw_data(), z->raw_data(),
                      static_cast<size_t>(y->numel()) * sizeof(float));
        }
      }
      dnnl::memory scratch;
      if (!DnnlScratch(ctx, e->pd.scratchpad_desc(), &scratch_bytes, &scratch)) return false;
      dnnl::memory weights;
      if (e->packed_w) {
        weights = e->packed_w;
      } else {
        dnnl::memory user_w(e->user_w_md, eng, const_cast<void*>(wt.raw_data()));
        if (e->pd.weights_desc() == e->user_w_md) {
          weights = user_w;
        } else {
          if (!DnnlScratch(ctx, e->pd.weights_desc(), &w_bytes, &weights)) return false;
          dnnl::reorder(user_w, weights).execute(s, user_w, weights);
        }
      }
      std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, src},
                                                    {DNNL_ARG_WEIGHTS, weights},
                                                    {DNNL_ARG_DST, dst},
                                                    {DNNL_ARG_SCRATCHPAD, scratch}};
      if (b != nullptr) {
        dnnl::memory::desc b_md({b->dim(0)}, dnnl::memory::data_type::f32,
                                dnnl::memory::format_tag::a);
        args.emplace(DNNL_ARG_BIAS, dnnl::memory(b_md, eng, const_cast<void*>(b->raw_data())));
      }
      e->prim.execute(s, args);
      if (dst != user_dst) dnnl::reorder(dst, user_dst).execute(s, dst, user_dst);
      s.wait();
    } catch (const dnnl::error&) {
      return false;
    }
    if (!e->activation_fused) ApplyActivation(activation_, y->data<float>(), y->numel());
    return true;
  }

  bool IsConstW(const Tensor& wt) const {
    return const_w_.defined() && const_w_.raw_data() == wt.raw_data();
  }

  // The oneDNN primitive for these shapes from the per-kernel cache, built on a miss.
  std::shared_ptr<const DnnlConv> DnnlFor(const Tensor& x, const Tensor& wt, const Tensor* b,
                                          const Tensor* z, const Geometry& g,
                                          const std::vector<int64_t>& y_dims) const {
    const bool w_const = IsConstW(wt);
    std::vector<int64_t> key = x.dims();
    key.insert(key.end(), wt.dims().begin(), wt.dims().end());
    key.push_back(b != nullptr);
    key.push_back(w_const);
    key.push_back(z != nullptr);
    return cache_.Get(key, [&] {
      return std::make_shared<DnnlConv>(
          MakeDnnl(x, wt, b != nullptr, z != nullptr, g, y_dims, w_const));
    });
  }

  DnnlConv MakeDnnl(const Tensor& x, const Tensor& wt, bool has_bias, bool has_sum,
                    const Geometry& g, const std::vector<int64_t>& y_dims, bool w_const) const {
    using tag = dnnl::memory::format_tag;
    using dt = dnnl::memory::data_type;
    DnnlConv e;
    const bool transpose = mode_ == ConvMode::kTranspose;
    e.transpose = transpose;
    e.w_const = w_const;
    const int nd = g.nd;
    dnnl::memory::dims strides(nd), dil(nd), pl(nd), pr(nd);
    for (int d = 0; d < nd; ++d) {
      strides[d] = g.stride[d];
      dil[d] = g.dilation[d] - 1;
      pl[d] = g.pad_begin[d];
      pr[d] = g.pad_end[d];
      if (transpose) {
        // oneDNN derives the output size from pads only; output_padding enlarges the end.
        pr[d] = (x.dim(2 + d) - 1) * g.stride[d] + g.EffectiveKernel(d) - pl[d] - y_dims[2 + d];
      }
      if (pl[d] < 0 || pr[d] < 0) return e;
    }
    // Weights in ONNX layout as oneDNN sees them.
    dnnl::memory::dims w_dims;
    tag w_tag;
    const int64_t k0 = wt.dim(0), k1 = wt.dim(1);
    std::vector<int64_t> ks(wt.dims().begin() + 2, wt.dims().end());
    if (!transpose) {
      // [M, C/g, k...] = goihw with G leading.
      if (attrs_.group == 1) {
        w_dims = {k0, k1};
        w_tag = nd == 1 ? tag::abc : nd == 2 ? tag::abcd : tag::abcde;
      } else {
        w_dims = {attrs_.group, k0 / attrs_.group, k1};
        w_tag = nd == 1 ? tag::abcd : nd == 2 ? tag::abcde : tag::abcdef;
      }
    } else {
      // [C, M/g, k...]: oneDNN's (G,) O, I dims with I outermost.
      if (attrs_.group == 1) {
        w_dims = {k1, k0};
        w_tag = nd == 1 ? tag::bac : nd == 2 ? tag::bacd : tag::bacde;
      } else {
        w_dims = {attrs_.group, k1, k0 / attrs_.group};
        w_tag = nd == 1 ? tag::acbd : nd == 2 ? tag::acbde : tag::acbdef;
      }
    }
    w_dims.insert(w_dims.end(), ks.begin(), ks.end());
    try {
      const dnnl::engine& eng = DnnlEngine();
      // Channels-last activations are oneDNN's nhwc (acdb) over the logical NCHW dims.
      const tag act_tag = channels_last_ ? tag::acdb : PlainTag(x.rank());
      e.user_src_md = dnnl::memory::desc(ToDnnlDims(x.dims()), dt::f32, act_tag);
      e.user_dst_md = dnnl::memory::desc(ToDnnlDims(y_dims), dt::f32, act_tag);
      // Let oneDNN pick blocked activation layouts: its direct JIT kernels beat im2col + GEMM on
      // plain layouts by far more than the two reorders cost.
      dnnl::memory::desc src_md(ToDnnlDims(x.dims()), dt::f32, tag::any);
      dnnl::memory::desc dst_md(ToDnnlDims(y_dims), dt::f32, tag::any);
      dnnl::memory::desc w_any(w_dims, dt::f32, tag::any);
      dnnl::memory::desc b_md({y_dims[1]}, dt::f32, tag::a);
      e.user_w_md = dnnl::memory::desc(w_dims, dt::f32, w_tag);
      dnnl::primitive_attr attr;
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      e.activation_fused = true;
      if (fused_) {
        dnnl::post_ops po;
        if (has_sum) po.append_sum(1.0f);
        e.activation_fused = AppendDnnlActivation(activation_, &po);
        attr.set_post_ops(po);
      }
      const auto prop = dnnl::prop_kind::forward_inference;
      if (!transpose) {
        auto desc =
            has_bias
                ? dnnl::convolution_forward::desc(prop, dnnl::algorithm::convolution_direct, src_md,
                                                  w_any, b_md, dst_md, strides, dil, pl, pr)
                : dnnl::convolution_forward::desc(prop, dnnl::algorithm::convolution_direct, src_md,
                                                  w_any, dst_md, strides, dil, pl, pr);
        dnnl::convolution_forward::primitive_desc pd(desc, attr, eng);
        e.prim = dnnl::convolution_forward(pd);
        e.pd = pd;
      } else {
        auto desc =
            has_bias
                ? dnnl::deconvolution_forward::desc(prop, dnnl::algorithm::deconvolution_direct,
                                                    src_md, w_any, b_md, dst_md, strides, dil, pl,
                                                    pr)
                : dnnl::deconvolution_forward::desc(prop, dnnl::algorithm::deconvolution_direct,
                                                    src_md, w_any, dst_md, strides, dil, pl, pr);
        dnnl::deconvolution_forward::primitive_desc pd(desc, attr, eng);
        e.prim = dnnl::deconvolution_forward(pd);
        e.pd = pd;
      }
      if (w_const) {
        dnnl::memory user_w(e.user_w_md, eng, const_cast<void*>(wt.raw_data()));
        if (e.pd.weights_desc() == e.user_w_md) {
          e.packed_w = user_w;  // const_w_ keeps the bytes alive
        } else {
          e.packed_w = dnnl::memory(e.pd.weights_desc(), eng);
          dnnl::stream s(eng);
          dnnl::reorder(user_w, e.packed_w).execute(s, user_w, e.packed_w);
          s.wait();
        }
      }
      e.ok = true;
    } catch (const dnnl::error&) {
      e.ok = false;
    }
    return e;
  }

  ConvMode mode_;
  bool fused_;
  bool channels_last_ = false;  // FusedConv's channels_last attribute
  Activation activation_;
  ConvAttrs attrs_;
  Tensor const_w_;
  Status init_;
  ShapeCache<DnnlConv> cache_;
};

// ---- DeformConv (2-D) ------------------------------------------------------------------------

// Bilinear sample of a [h, w] plane at (y, x); taps outside the plane read 0.
template <typename A, typename T>
A Bilinear(const T* plane, int64_t h, int64_t w, A y, A x) {
  const A fy = std::floor(y), fx = std::floor(x);
  const int64_t y0 = static_cast<int64_t>(fy), x0 = static_cast<int64_t>(fx);
  const A dy = y - fy, dx = x - fx;
  A r = 0;
  for (int64_t a = 0; a < 2; ++a) {
    const int64_t yy = y0 + a;
    if (yy < 0 || yy >= h) continue;
    const A wy = a == 0 ? 1 - dy : dy;
    for (int64_t b = 0; b < 2; ++b) {
      const int64_t xx = x0 + b;
      if (xx < 0 || xx >= w) continue;
      const A wx = b == 0 ? 1 - dx : dx;
      r += wy * wx * static_cast<A>(ToDouble(plane[yy * w + xx]));
    }
  }
  return r;
}

// Deformable im2col + GEMM in A (float or double) arithmetic.
template <typename A, typename T>
void DeformConvImpl(const Geometry& g, const ConvDims& cd, int64_t offset_group, const T* x,
                    const T* wt, const T* offset, const T* b, const T* mask, T* y) {
  const int64_t ih = g.in[0], iw = g.in[1], oh = g.out[0], ow = g.out[1];
  const int64_t kh = g.kernel[0], kw = g.kernel[1];
  const int64_t cg = cd.c / cd.group, mg = cd.m / cd.group, c_per_og = cd.c / offset_group;
  const int64_t taps = kh * kw, out_sz = oh * ow, kk = cg * taps;
  std::vector<A> col(static_cast<size_t>(kk * out_sz)), wg(static_cast<size_t>(mg * kk)),
      yg(static_cast<size_t>(mg * out_sz));
  for (int64_t n = 0; n < cd.n; ++n) {
    for (int64_t gi = 0; gi < cd.group; ++gi) {
      for (int64_t cl = 0; cl < cg; ++cl) {
        const int64_t c = gi * cg + cl, og = c / c_per_og;
        const T* plane = x + (n * cd.c + c) * ih * iw;
        for (int64_t i = 0; i < kh; ++i) {
          for (int64_t j = 0; j < kw; ++j) {
            const int64_t tap = i * kw + j;
            const T* off_y = offset + (((n * offset_group + og) * taps + tap) * 2) * out_sz;
            const T* off_x = off_y + out_sz;
            const T* mk = mask ? mask + ((n * offset_group + og) * taps + tap) * out_sz : nullptr;
            A* dst = col.data() + (cl * taps + tap) * out_sz;
            for (int64_t p = 0; p < oh; ++p) {
              for (int64_t q = 0; q < ow; ++q) {
                const int64_t o = p * ow + q;
                const A yy = static_cast<A>(p * g.stride[0] - g.pad_begin[0] + i * g.dilation[0]) +
                             static_cast<A>(ToDouble(off_y[o]));
                const A xx = static_cast<A>(q * g.stride[1] - g.pad_begin[1] + j * g.dilation[1]) +
                             static_cast<A>(ToDouble(off_x[o]));
                A v = Bilinear<A>(plane, ih, iw, yy, xx);
                if (mk) v *= static_cast<A>(ToDouble(mk[o]));
                dst[o] = v;
              }
            }
          }
        }
      }
      const T* wsrc = wt + gi * mg * kk;
      for (int64_t i = 0; i < mg * kk; ++i) wg[i] = static_cast<A>(ToDouble(wsrc[i]));
      Gemm<A>(wg.data(), col.data(), yg.data(), mg, kk, out_sz, false);
      for (int64_t m = 0; m < mg; ++m) {
        const A bias = b ? static_cast<A>(ToDouble(b[gi * mg + m])) : A(0);
        T* yp = y + (n * cd.m + gi * mg + m) * out_sz;
        for (int64_t o = 0; o < out_sz; ++o) yp[o] = FromDouble<T>(yg[m * out_sz + o] + bias);
      }
    }
  }
}

class DeformConvKernel : public Kernel {
 public:
  explicit DeformConvKernel(const KernelInfo& info) {
    init_ = ParseWindowAttrs(info, &attrs_);
    group_ = info.GetInt("group", 1);
    offset_group_ = info.GetInt("offset_group", 1);
    if (init_.ok()) init_ = info.status();
    if (init_.ok() && (group_ < 1 || offset_group_ < 1)) {
      init_ = info.InvalidModel("group and offset_group must be >= 1");
    }
  }
  const Status& init_status() const { return init_; }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    const Tensor* wt = ctx.Input(1);
    const Tensor* off = ctx.Input(2);
    const Tensor* b = ctx.Input(3);
    const Tensor* mask = ctx.Input(4);
    if (x == nullptr || wt == nullptr || off == nullptr) {
      return ctx.InvalidArgument("missing input X, W or offset");
    }
    if (x->rank() != 4 || wt->rank() != 4) {
      return ctx.Unsupported("DeformConv supports 2-D data only; X is " + DimsToString(x->dims()));
    }
    ConvDims cd;
    cd.n = x->dim(0);
    cd.c = x->dim(1);
    cd.m = wt->dim(0);
    cd.group = group_;
    if (wt->dim(1) * group_ != cd.c || cd.m % group_ != 0 || cd.c % offset_group_ != 0) {
      return ctx.InvalidArgument("X " + DimsToString(x->dims()) + " and W " +
                                 DimsToString(wt->dims()) + " disagree on channels (group " +
                                 std::to_string(group_) + ", offset_group " +
                                 std::to_string(offset_group_) + ")");
    }
    std::vector<int64_t> kernel(wt->dims().begin() + 2, wt->dims().end());
    if (!attrs_.kernel_shape.empty() && attrs_.kernel_shape != kernel) {
      return ctx.InvalidArgument("kernel_shape differs from W's spatial dims");
    }
    Geometry g;
    WindowAttrs a = attrs_;
    a.auto_pad = AutoPad::kNotSet;
    KILN_RETURN_IF_ERROR(ResolveGeometry(ctx, a, {x->dim(2), x->dim(3)}, kernel, &g));
    const int64_t taps = kernel[0] * kernel[1];
    const std::vector<int64_t> want_off = {cd.n, offset_group_ * taps * 2, g.out[0], g.out[1]};
    const std::vector<int64_t> want_mask = {cd.n, offset_group_ * taps, g.out[0], g.out[1]};
    if (off->dims() != want_off) {
      return ctx.InvalidArgument("offset is " + DimsToString(off->dims()) + ", expected " +
                                 DimsToString(want_off));
    }
    if (mask != nullptr && mask->dims() != want_mask) {
      return ctx.InvalidArgument("mask is " + DimsToString(mask->dims()) + ", expected " +
                                 DimsToString(want_mask));
    }
    if (b != nullptr && (b->rank() != 1 || b->dim(0) != cd.m)) {
      return ctx.InvalidArgument("B must be [" + std::to_string(cd.m) + "]");
    }
    for (const Tensor* t : {wt, off, b, mask}) {
      if (t != nullptr && t->dtype() != x->dtype()) {
        return ctx.InvalidArgument("inputs must share one element type");
      }
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), {cd.n, cd.m, g.out[0], g.out[1]}));
    if (y->numel() == 0) return Status::Ok();
    bool done = Dispatch<float, double, Float16, BFloat16>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
      DeformConvImpl<A, T>(g, cd, offset_group_, x->data<T>(), wt->data<T>(), off->data<T>(),
                           b ? b->data<T>() : nullptr, mask ? mask->data<T>() : nullptr,
                           y->data<T>());
    });
    if (!done) return ctx.Unsupported(std::string("type ") + DataTypeName(x->dtype()));
    return Status::Ok();
  }

 private:
  WindowAttrs attrs_;
  int64_t group_ = 1, offset_group_ = 1;
  Status init_;
};

KernelFactory ConvFactory(ConvMode mode) {
  return [mode](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    return CreateChecked<ConvKernel>(info, mode);
  };
}

}  // namespace

StatusOr<std::unique_ptr<Kernel>> CreateFusedConvKernel(const KernelInfo& info,
                                                        const Activation& activation) {
  return CreateChecked<ConvKernel>(info, ConvMode::kConv, /*fused=*/true, activation);
}

void RegisterConvKernels(KernelRegistry& r) {
  r.Register(KernelDef("Conv").Opsets(1).Types("T", {0, 1, 2}, kFloatTypes),
             ConvFactory(ConvMode::kConv));
  r.Register(KernelDef("ConvTranspose").Opsets(1).Types("T", {0, 1, 2}, kFloatTypes),
             ConvFactory(ConvMode::kTranspose));
  const std::vector<DataType> q8 = {DataType::kUint8, DataType::kInt8};
  r.Register(KernelDef("ConvInteger").Opsets(10).Types("T1", {0, 2}, q8).Types("T2", {1, 3}, q8),
             ConvFactory(ConvMode::kInteger));
  r.Register(KernelDef("QLinearConv")
                 .Opsets(10)
                 .Types("T1", {0, 2}, q8)
                 .Types("T2", {3, 5}, q8)
                 .Types("T3", {7}, q8)
                 .Types("T4", {8}, {DataType::kInt32}),
             ConvFactory(ConvMode::kQLinear));
  r.Register(KernelDef("DeformConv").Opsets(19).Types("T", {0, 1, 2, 3, 4}, kFloatTypes),
             [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
               return CreateChecked<DeformConvKernel>(info);
             });
}

}  // namespace kiln::cpu
