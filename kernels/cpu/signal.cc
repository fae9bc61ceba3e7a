// Signal family kernels (CPU):
//   DFT              17-19 (axis attribute, default 1), 20+ (axis input 2, default -2);
//                    forward / inverse, onesided (RFFT, IRFFT), dft_length zero-pad / truncate
//   STFT             17+
//   MelWeightMatrix  17+ (follows the onnx reference, which spaces the mel points by
//                    (high - low) / (num_mel_bins + 2))
// Transforms run in complex<double>: an iterative radix-2 FFT when the length is a power of two,
// Bluestein's chirp-z algorithm (a radix-2 convolution) for other lengths above kDirectMax, and a
// direct O(n^2) DFT over a precomputed twiddle table for short non-power-of-two lengths.
#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/register.h"
#include "kernels/ops/common.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

using Cd = std::complex<double>;

constexpr int64_t kDirectMax = 64;

// A length-n transform: y[k] = sum_t x[t] exp(-+2 pi i k t / n) (unscaled; sign by `inverse`).
class DftPlan {
 public:
  explicit DftPlan(int64_t n) : n_(n), pow2_(n > 0 && (n & (n - 1)) == 0) {
    const double pi = std::acos(-1.0);
    if (!pow2_ && n > kDirectMax) {
      // Bluestein: y[k] = conj(c[k]) * sum_t (x[t] conj(c[t])) c[k - t], c[j] = exp(pi i j^2 / n),
      // a linear convolution done as a power-of-two cyclic one of length m >= 2n - 1.
      int64_t m = 1;
      while (m < 2 * n - 1) m <<= 1;
      inner_ = std::make_unique<DftPlan>(m);
      chirp_.resize(n);
      for (int64_t j = 0; j < n; ++j) {
        const int64_t sq = (j * j) % (2 * n);  // exact; keeps the angle small
        const double a = pi * static_cast<double>(sq) / static_cast<double>(n);
        chirp_[j] = Cd(std::cos(a), std::sin(a));
      }
      std::vector<Cd> b(m);
      b[0] = chirp_[0];
      for (int64_t j = 1; j < n; ++j) b[j] = b[m - j] = chirp_[j];
      chirp_fft_.resize(m);
      inner_->Run(b.data(), chirp_fft_.data(), false, nullptr);
      return;
    }
    const int64_t tw = pow2_ ? n / 2 : n;
    twiddle_.resize(tw);
    for (int64_t j = 0; j < tw; ++j) {
      const double a = -2.0 * pi * static_cast<double>(j) / static_cast<double>(n);
      twiddle_[j] = Cd(std::cos(a), std::sin(a));
    }
  }

  // Transforms in[0, n) into out[0, n); in and out must not overlap. `scratch` is caller-owned
  // working memory (resized as needed; may be null for power-of-two and short lengths).
  void Run(const Cd* in, Cd* out, bool inverse, std::vector<Cd>* scratch) const {
    if (pow2_) {
      RunPow2(in, out, inverse);
    } else if (inner_ != nullptr) {
      RunBluestein(in, out, inverse, scratch);
    } else {
      RunDirect(in, out, inverse);
    }
  }

 private:
  void RunBluestein(const Cd* in, Cd* out, bool inverse, std::vector<Cd>* scratch) const {
    // The inverse transform is conj(forward(conj(x))).
    const int64_t m = static_cast<int64_t>(chirp_fft_.size());
    scratch->resize(2 * m);
    Cd* a = scratch->data();
    Cd* fa = a + m;
    for (int64_t t = 0; t < n_; ++t) {
      const Cd v = inverse ? std::conj(in[t]) : in[t];
      a[t] = v * std::conj(chirp_[t]);
    }
    for (int64_t t = n_; t < m; ++t) a[t] = Cd();
    inner_->Run(a, fa, false, nullptr);
    for (int64_t j = 0; j < m; ++j) fa[j] *= chirp_fft_[j];
    inner_->Run(fa, a, true, nullptr);
    const double inv_m = 1.0 / static_cast<double>(m);
    for (int64_t k = 0; k < n_; ++k) {
      const Cd v = a[k] * inv_m * std::conj(chirp_[k]);
      out[k] = inverse ? std::conj(v) : v;
    }
  }

  void RunDirect(const Cd* in, Cd* out, bool inverse) const {
    for (int64_t k = 0; k < n_; ++k) {
      double re = 0, im = 0;
      int64_t idx = 0;  // (k * t) mod n
      for (int64_t t = 0; t < n_; ++t) {
        const Cd w = twiddle_[idx];
        const double wi = inverse ? -w.imag() : w.imag();
        re += in[t].real() * w.real() - in[t].imag() * wi;
        im += in[t].real() * wi + in[t].imag() * w.real();
        idx += k;
        if (idx >= n_) idx -= n_;
      }
      out[k] = Cd(re, im);
    }
  }

  void RunPow2(const Cd* in, Cd* out, bool inverse) const {
    int bits = 0;
    while ((int64_t{1} << bits) < n_) ++bits;
    for (int64_t i = 0; i < n_; ++i) {
      int64_t r = 0;
      for (int b = 0; b < bits; ++b) r |= ((i >> b) & 1) << (bits - 1 - b);
      out[r] = in[i];
    }
    for (int64_t len = 2; len <= n_; len <<= 1) {
      const int64_t half = len / 2, step = n_ / len;
      for (int64_t s = 0; s < n_; s += len) {
        for (int64_t j = 0; j < half; ++j) {
          Cd w = twiddle_[j * step];
          if (inverse) w = std::conj(w);
          const Cd u = out[s + j], v = out[s + j + half] * w;
          out[s + j] = u + v;
          out[s + j + half] = u - v;
        }
      }
    }
  }

  int64_t n_;
  bool pow2_;
  std::vector<Cd> twiddle_;
  std::unique_ptr<DftPlan> inner_;  // Bluestein: the power-of-two convolution plan
  std::vector<Cd> chirp_;           // Bluestein: exp(pi i j^2 / n)
  std::vector<Cd> chirp_fft_;       // Bluestein: FFT of the wrapped chirp filter
};

// Reads a scalar (rank 0 or one element) integer input of type int32 or int64.
StatusOr<int64_t> IntScalar(KernelContext& ctx, int i, const char* name) {
  const Tensor* t = ctx.Input(i);
  if (t == nullptr) return ctx.InvalidArgument(std::string("input '") + name + "' is required");
  if (t->numel() != 1) {
    return ctx.InvalidArgument(std::string("input '") + name + "' must be a scalar, got shape " +
                               DimsToString(t->dims()));
  }
  int64_t v = 0;
  if (!Dispatch<int32_t, int64_t>(t->dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        v = static_cast<int64_t>(*t->data<T>());
      })) {
    return ctx.InvalidArgument(std::string("input '") + name + "' must be int32 or int64, got " +
                               DataTypeName(t->dtype()));
  }
  return v;
}

// Reads a scalar float input (any float type) as double.
StatusOr<double> FloatScalar(KernelContext& ctx, int i, const char* name) {
  const Tensor* t = ctx.Input(i);
  if (t == nullptr) return ctx.InvalidArgument(std::string("input '") + name + "' is required");
  if (t->numel() != 1) {
    return ctx.InvalidArgument(std::string("input '") + name + "' must be a scalar, got shape " +
                               DimsToString(t->dims()));
  }
  double v = 0;
  if (!Dispatch<KILN_FLOAT_TYPES>(t->dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        v = ToDouble(*t->data<T>());
      })) {
    return ctx.InvalidArgument(std::string("input '") + name + "' must be a float type, got " +
                               DataTypeName(t->dtype()));
  }
  return v;
}

// ---- DFT ----

class DftKernel : public Kernel {
 public:
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    auto k = std::unique_ptr<DftKernel>(new DftKernel());
    k->inverse_ = info.GetInt("inverse", 0) != 0;
    k->onesided_ = info.GetInt("onesided", 0) != 0;
    k->axis_ = info.opset() < 20 ? info.GetInt("axis", 1) : -2;
    KILN_RETURN_IF_ERROR(info.status());
    return std::unique_ptr<Kernel>(std::move(k));
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("input 0 must be a tensor");
    const int r = x->rank();
    if (r < 2 || (x->dim(r - 1) != 1 && x->dim(r - 1) != 2)) {
      return ctx.InvalidArgument(
          "input must have rank >= 2 with a last dimension of 1 (real) or 2 (complex), got " +
          DimsToString(x->dims()));
    }
    int64_t axis = axis_;
    if (ctx.opset() >= 20 && ctx.has_input(2)) {
      const Tensor* a = ctx.Input(2);
      if (a == nullptr || a->numel() != 1 || a->dtype() != DataType::kInt64) {
        return ctx.InvalidArgument("input 'axis' must be an int64 scalar");
      }
      axis = *a->data<int64_t>();
    }
    if (axis < -r || axis > r - 2 || axis == -1) {
      return ctx.InvalidArgument("axis " + std::to_string(axis) + " is out of range for rank " +
                                 std::to_string(r) + " (accepted: [-r, -2] and [0, r-2])");
    }
    const int ax = static_cast<int>(axis < 0 ? axis + r : axis);
    const int64_t m = x->dim(ax);
    const bool irfft = inverse_ && onesided_;
    int64_t n = irfft ? 2 * (m - 1) : m;
    if (ctx.has_input(1)) {
      KILN_ASSIGN_OR_RETURN(n, IntScalar(ctx, 1, "dft_length"));
    }
    if (n < 1) {
      return ctx.InvalidArgument("the DFT length must be positive, got " + std::to_string(n));
    }
    const int64_t out_len = (onesided_ && !inverse_) ? n / 2 + 1 : n;
    const int64_t cin = x->dim(r - 1), cout = irfft ? 1 : 2;
    std::vector<int64_t> out_dims = x->dims();
    out_dims[ax] = out_len;
    out_dims[r - 1] = cout;
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), out_dims));
    const int64_t outer = ProductOfDims(x->dims(), 0, ax);
    const int64_t inner = ProductOfDims(x->dims(), ax + 1, r - 1);
    if (outer * inner == 0) return Status::Ok();

    const DftPlan plan(n);
    const bool inverse = inverse_;
    std::vector<Cd> buf(n), res(n), scratch;
    const bool ok = Dispatch<KILN_FLOAT_TYPES>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* xp = x->data<T>();
      T* yp = y->data<T>();
      const double scale = inverse ? 1.0 / static_cast<double>(n) : 1.0;
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          auto load = [&](int64_t t) {
            const T* p = xp + ((o * m + t) * inner + i) * cin;
            return Cd(ToDouble(p[0]), cin == 2 ? ToDouble(p[1]) : 0.0);
          };
          if (irfft) {
            // Rebuild the full Hermitian spectrum from bins [0, n/2].
            const int64_t h = n / 2 + 1;
            for (int64_t k = 0; k < h; ++k) buf[k] = k < m ? load(k) : Cd();
            for (int64_t k = h; k < n; ++k) buf[k] = std::conj(buf[n - k]);
          } else {
            const int64_t cnt = std::min(m, n);
            for (int64_t t = 0; t < cnt; ++t) buf[t] = load(t);
            for (int64_t t = cnt; t < n; ++t) buf[t] = Cd();
          }
          plan.Run(buf.data(), res.data(), inverse, &scratch);
          for (int64_t k = 0; k < out_len; ++k) {
            T* q = yp + ((o * out_len + k) * inner + i) * cout;
            q[0] = FromDouble<T>(res[k].real() * scale);
            if (cout == 2) q[1] = FromDouble<T>(res[k].imag() * scale);
          }
        }
      }
    });
    if (!ok) {
      return ctx.Unsupported(std::string("DFT does not support element type ") +
                             DataTypeName(x->dtype()));
    }
    return Status::Ok();
  }

 private:
  DftKernel() = default;
  bool inverse_ = false;
  bool onesided_ = false;
  int64_t axis_ = 1;
};

// ---- STFT ----

class StftKernel : public Kernel {
 public:
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    auto k = std::unique_ptr<StftKernel>(new StftKernel());
    k->onesided_ = info.GetInt("onesided", 1) != 0;
    KILN_RETURN_IF_ERROR(info.status());
    return std::unique_ptr<Kernel>(std::move(k));
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("input 'signal' must be a tensor");
    if (x->rank() != 3 || (x->dim(2) != 1 && x->dim(2) != 2)) {
      return ctx.InvalidArgument(
          "'signal' must have shape [batch_size, signal_length, 1 or 2], got " +
          DimsToString(x->dims()));
    }
    const int64_t batch = x->dim(0), len = x->dim(1), cin = x->dim(2);
    KILN_ASSIGN_OR_RETURN(int64_t step, IntScalar(ctx, 1, "frame_step"));
    if (step < 1) {
      return ctx.InvalidArgument("'frame_step' must be positive, got " + std::to_string(step));
    }
    const Tensor* window = ctx.Input(2);
    if (window != nullptr) {
      if (window->rank() != 1) {
        return ctx.InvalidArgument("'window' must be 1-D, got " + DimsToString(window->dims()));
      }
      if (window->dtype() != x->dtype()) {
        return ctx.InvalidArgument("'window' must have the signal's element type");
      }
    }
    int64_t frame_length = window != nullptr ? window->dim(0) : len;
    if (ctx.has_input(3)) {
      KILN_ASSIGN_OR_RETURN(frame_length, IntScalar(ctx, 3, "frame_length"));
      if (window != nullptr && window->dim(0) != frame_length) {
        return ctx.InvalidArgument("'window' length " + std::to_string(window->dim(0)) +
                                   " differs from frame_length " + std::to_string(frame_length));
      }
    }
    if (frame_length < 1 || frame_length > len) {
      return ctx.InvalidArgument("frame_length " + std::to_string(frame_length) +
                                 " must be in [1, signal_length = " + std::to_string(len) + "]");
    }
    const int64_t frames = (len - frame_length) / step + 1;
    const int64_t bins = onesided_ ? frame_length / 2 + 1 : frame_length;
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), {batch, frames, bins, 2}));
    if (batch == 0) return Status::Ok();

    const DftPlan plan(frame_length);
    std::vector<Cd> buf(frame_length), res(frame_length), scratch;
    std::vector<double> win(frame_length, 1.0);
    const bool ok = Dispatch<KILN_FLOAT_TYPES>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (window != nullptr) {
        for (int64_t t = 0; t < frame_length; ++t) win[t] = ToDouble(window->data<T>()[t]);
      }
      const T* xp = x->data<T>();
      T* yp = y->data<T>();
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t f = 0; f < frames; ++f) {
          const T* p = xp + (b * len + f * step) * cin;
          for (int64_t t = 0; t < frame_length; ++t) {
            const double re = ToDouble(p[t * cin]);
            const double im = cin == 2 ? ToDouble(p[t * cin + 1]) : 0.0;
            buf[t] = Cd(re * win[t], im * win[t]);
          }
          plan.Run(buf.data(), res.data(), false, &scratch);
          T* q = yp + (b * frames + f) * bins * 2;
          for (int64_t k = 0; k < bins; ++k) {
            q[2 * k] = FromDouble<T>(res[k].real());
            q[2 * k + 1] = FromDouble<T>(res[k].imag());
          }
        }
      }
    });
    if (!ok) {
      return ctx.Unsupported(std::string("STFT does not support element type ") +
                             DataTypeName(x->dtype()));
    }
    return Status::Ok();
  }

 private:
  StftKernel() = default;
  bool onesided_ = true;
};

// ---- MelWeightMatrix ----

std::vector<DataType> MelOutputTypes() {
  std::vector<DataType> v = kFloatTypes;
  v.insert(v.end(), kIntTypes.begin(), kIntTypes.end());
  return v;
}

class MelWeightMatrixKernel : public Kernel {
 public:
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    const int64_t dt = info.GetInt("output_datatype", 1);
    KILN_RETURN_IF_ERROR(info.status());
    bool allowed = false;
    for (DataType t : MelOutputTypes()) allowed = allowed || static_cast<int64_t>(t) == dt;
    if (!allowed) {
      return info.InvalidModel("attribute 'output_datatype' (" + std::to_string(dt) +
                               ") must be a float or integer type");
    }
    auto k = std::unique_ptr<MelWeightMatrixKernel>(new MelWeightMatrixKernel());
    k->out_type_ = static_cast<DataType>(dt);
    return std::unique_ptr<Kernel>(std::move(k));
  }

  Status Run(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(int64_t num_mel_bins, IntScalar(ctx, 0, "num_mel_bins"));
    KILN_ASSIGN_OR_RETURN(int64_t dft_length, IntScalar(ctx, 1, "dft_length"));
    KILN_ASSIGN_OR_RETURN(int64_t sample_rate, IntScalar(ctx, 2, "sample_rate"));
    KILN_ASSIGN_OR_RETURN(double lower, FloatScalar(ctx, 3, "lower_edge_hertz"));
    KILN_ASSIGN_OR_RETURN(double upper, FloatScalar(ctx, 4, "upper_edge_hertz"));
    if (num_mel_bins < 1 || dft_length < 1 || sample_rate < 1) {
      return ctx.InvalidArgument("num_mel_bins, dft_length and sample_rate must be positive");
    }
    if (!std::isfinite(lower) || !std::isfinite(upper)) {
      return ctx.InvalidArgument("lower_edge_hertz and upper_edge_hertz must be finite");
    }
    const int64_t spec_bins = dft_length / 2 + 1;
    // Mel points, converted back to hertz and then to spectrogram bin indices.
    const auto to_mel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
    const double low_mel = to_mel(lower), high_mel = to_mel(upper);
    const double mel_step = (high_mel - low_mel) / static_cast<double>(num_mel_bins + 2);
    std::vector<int64_t> pts(num_mel_bins + 2);
    for (int64_t i = 0; i < num_mel_bins + 2; ++i) {
      const double mel = static_cast<double>(i) * mel_step + low_mel;
      const double hz = 700.0 * std::expm1(mel / 2595.0 * std::log(10.0));
      const double bin =
          std::floor(static_cast<double>(dft_length + 1) * hz / static_cast<double>(sample_rate));
      if (!(bin >= 0) || bin >= static_cast<double>(spec_bins)) {
        return ctx.InvalidArgument("the edge frequencies [" + std::to_string(lower) + ", " +
                                   std::to_string(upper) +
                                   "] map outside the spectrogram bins (sample_rate " +
                                   std::to_string(sample_rate) + ", dft_length " +
                                   std::to_string(dft_length) + ")");
      }
      pts[i] = static_cast<int64_t>(bin);
    }
    std::vector<double> w(spec_bins * num_mel_bins, 0.0);
    for (int64_t i = 0; i < num_mel_bins; ++i) {
      const int64_t lo = pts[i], c = pts[i + 1], hi = pts[i + 2];
      if (c == lo) {
        w[c * num_mel_bins + i] = 1.0;
      } else {
        for (int64_t j = lo; j <= c; ++j) {
          w[j * num_mel_bins + i] = static_cast<double>(j - lo) / static_cast<double>(c - lo);
        }
      }
      for (int64_t j = c; j < hi; ++j) {
        w[j * num_mel_bins + i] = static_cast<double>(hi - j) / static_cast<double>(hi - c);
      }
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, out_type_, {spec_bins, num_mel_bins}));
    const bool ok = Dispatch<KILN_NUMERIC_TYPES>(out_type_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* yp = y->data<T>();
      for (size_t j = 0; j < w.size(); ++j) yp[j] = FromDouble<T>(w[j]);
    });
    if (!ok) return ctx.Unsupported("unsupported output_datatype");
    return Status::Ok();
  }

 private:
  MelWeightMatrixKernel() = default;
  DataType out_type_ = DataType::kFloat;
};

}  // namespace

void RegisterSignalKernels(KernelRegistry& r) {
  const std::vector<DataType> lengths = {DataType::kInt32, DataType::kInt64};
  r.Register(KernelDef("DFT")
                 .Opsets(17, 19)
                 .Types("T1", {0}, kFloatTypes)
                 .Types("T2", {1}, lengths)
                 .HostInputs({1}),
             DftKernel::Create);
  r.Register(KernelDef("DFT")
                 .Opsets(20)
                 .Types("T1", {0}, kFloatTypes)
                 .Types("T2", {1}, lengths)
                 .Types("tensor(int64)", {2}, {DataType::kInt64})
                 .HostInputs({1, 2}),
             DftKernel::Create);
  r.Register(KernelDef("STFT")
                 .Opsets(17)
                 .Types("T1", {0, 2}, kFloatTypes)
                 .Types("T2", {1, 3}, lengths)
                 .HostInputs({1, 3}),
             StftKernel::Create);
  r.Register(KernelDef("MelWeightMatrix")
                 .Opsets(17)
                 .Types("T1", {0, 1, 2}, lengths)
                 .Types("T2", {3, 4}, kFloatTypes)
                 .HostInputs({0, 1, 2, 3, 4}),
             MelWeightMatrixKernel::Create);
}

}  // namespace kiln::cpu
