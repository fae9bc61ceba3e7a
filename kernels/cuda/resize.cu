// CUDA Resize kernel (launcher declared in resize.cuh). One thread per output element: for each
// resized axis it computes the source coordinate in double precision (explicitly rounded
// operations, never contracted into FMAs, matching the CPU kernel's arithmetic), then either
// copies the nearest element or sums the 2^k linear taps of the k resized axes in float.
#include "kernels/cuda/cuda_math.cuh"
#include "kernels/cuda/resize.cuh"

namespace kiln::cuda {
namespace {

__device__ __forceinline__ double Add(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ double Sub(double a, double b) { return __dsub_rn(a, b); }
__device__ __forceinline__ double Mul(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ double Div(double a, double b) { return __ddiv_rn(a, b); }

// Source coordinate of output index j along one axis (kernels/cpu/resize.cc SourceCoord).
__device__ double SourceCoord(ResizeCoord coord, double j, const ResizeAxis& a) {
  const double in = static_cast<double>(a.in);
  const double out_f = Mul(a.scale, in);
  switch (coord) {
    case ResizeCoord::kAlignCorners:
      return out_f == 1 ? 0.0 : Div(Mul(j, Sub(in, 1)), Sub(out_f, 1));
    case ResizeCoord::kAsymmetric:
      return Div(j, a.scale);
    case ResizeCoord::kTfHalfPixelForNn:
      return Div(Add(j, 0.5), a.scale);
    case ResizeCoord::kTfCropAndResize: {
      const double span = Sub(a.roi_end, a.roi_start);
      const double x = out_f == 1 ? Div(Mul(span, Sub(in, 1)), 2.0)
                                  : Div(Mul(Mul(j, span), Sub(in, 1)), Sub(out_f, 1));
      return Add(x, Mul(a.roi_start, Sub(in, 1)));
    }
    case ResizeCoord::kPytorchHalfPixel:
      return out_f == 1 ? -0.5 : Sub(Div(Add(j, 0.5), a.scale), 0.5);
    case ResizeCoord::kHalfPixel:
      return Sub(Div(Add(j, 0.5), a.scale), 0.5);
    case ResizeCoord::kHalfPixelSymmetric: {
      const double adjustment = Div(static_cast<double>(a.out), out_f);
      const double center = Div(in, 2.0);
      return Sub(Add(Mul(center, Sub(1.0, adjustment)), Div(Add(j, 0.5), a.scale)), 0.5);
    }
  }
  return 0.0;
}

__device__ __forceinline__ int64_t Clamp(int64_t v, int64_t lo, int64_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

template <typename T, typename I>
__global__ void ResizeKernel(T* __restrict__ dst, const T* __restrict__ src, ResizeParams p,
                             I n) {
  for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<I>(blockDim.x) * gridDim.x) {
    int64_t coord[kMaxResizeDims];
    I rem = i;
    for (int d = p.rank - 1; d >= 0; --d) {
      const I dim = static_cast<I>(p.out_dims[d]);
      const I q = rem / dim;
      coord[d] = static_cast<int64_t>(rem - q * dim);
      rem = q;
    }
    // Identity axes read their own index; resized axes are added per tap below.
    bool resized[kMaxResizeDims] = {};
    for (int k = 0; k < p.num_axes; ++k) resized[p.axes[k].dim] = true;
    int64_t base = 0;
    for (int d = 0; d < p.rank; ++d) {
      if (!resized[d]) base += coord[d] * p.in_strides[d];
    }
    int64_t off0[kMaxResizeDims], off1[kMaxResizeDims];
    double w0[kMaxResizeDims], w1[kMaxResizeDims];
    bool extrapolate = false;
    for (int k = 0; k < p.num_axes; ++k) {
      const ResizeAxis& a = p.axes[k];
      const int64_t stride = p.in_strides[a.dim];
      const double x = SourceCoord(p.coord, static_cast<double>(coord[a.dim]), a);
      if (p.coord == ResizeCoord::kTfCropAndResize &&
          (x < 0 || x > static_cast<double>(a.in - 1))) {
        extrapolate = true;
        break;
      }
      double fl = floor(x);
      double ratio = Sub(x, fl);
      if (ratio == 0) {  // prefer the pixel on the left: ratio in (0, 1]
        fl = Sub(fl, 1);
        ratio = 1;
      }
      const int64_t lo = static_cast<int64_t>(fl);
      if (!p.linear) {
        bool up;
        switch (p.nearest) {
          case ResizeNearest::kRoundPreferFloor: up = ratio > 0.5; break;
          case ResizeNearest::kRoundPreferCeil: up = ratio >= 0.5; break;
          case ResizeNearest::kFloor: up = ratio == 1; break;
          default: up = true; break;
        }
        off0[k] = Clamp(up ? lo + 1 : lo, 0, a.in - 1) * stride;
        continue;
      }
      double a0 = fmin(fmax(Sub(1.0, fabs(Sub(0.0, ratio))), 0.0), 1.0);
      double a1 = fmin(fmax(Sub(1.0, fabs(Sub(1.0, ratio))), 0.0), 1.0);
      if (p.exclude_outside) {
        if (lo < 0 || lo >= a.in) a0 = 0;
        if (lo + 1 < 0 || lo + 1 >= a.in) a1 = 0;
        const double sum = Add(a0, a1);
        if (sum != 0) {
          a0 = Div(a0, sum);
          a1 = Div(a1, sum);
        }
      }
      off0[k] = Clamp(lo, 0, a.in - 1) * stride;
      off1[k] = Clamp(lo + 1, 0, a.in - 1) * stride;
      w0[k] = a0;
      w1[k] = a1;
    }
    if (extrapolate) {
      dst[i] = FromF<T>(p.extrapolation);
      continue;
    }
    if (!p.linear) {
      int64_t off = base;
      for (int k = 0; k < p.num_axes; ++k) off += off0[k];
      dst[i] = src[off];
      continue;
    }
    float acc = 0.0f;
    const int taps = 1 << p.num_axes;
    for (int t = 0; t < taps; ++t) {
      double w = 1.0;
      int64_t off = base;
      for (int k = 0; k < p.num_axes; ++k) {
        const bool second = (t >> k) & 1;
        w *= second ? w1[k] : w0[k];
        off += second ? off1[k] : off0[k];
      }
      if (w == 0) continue;  // like the CPU, a zero-weight tap is not read (no 0 * inf)
      acc += static_cast<float>(w) * ToF<T>(src[off]);
    }
    dst[i] = FromF<T>(acc);
  }
}

template <typename T>
cudaError_t Launch(void* dst, const void* src, const ResizeParams& p, int64_t n,
                   cudaStream_t stream) {
  T* d = static_cast<T*>(dst);
  const T* s = static_cast<const T*>(src);
  if (n <= INT32_MAX) {
    ResizeKernel<T, uint32_t><<<GridFor(n), kBlock, 0, stream>>>(d, s, p,
                                                                  static_cast<uint32_t>(n));
  } else {
    ResizeKernel<T, int64_t><<<GridFor(n), kBlock, 0, stream>>>(d, s, p, n);
  }
  return cudaGetLastError();
}

}  // namespace

cudaError_t LaunchResize(void* dst, const void* src, ResizeElem elem, const ResizeParams& p,
                         int64_t n, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  if (p.rank < 1 || p.rank > kMaxResizeDims || p.num_axes < 0 || p.num_axes > p.rank) {
    return cudaErrorInvalidValue;
  }
  switch (elem) {
    case ResizeElem::kFloat: return Launch<float>(dst, src, p, n, stream);
    case ResizeElem::kFloat16: return Launch<__half>(dst, src, p, n, stream);
    case ResizeElem::kBFloat16: return Launch<__nv_bfloat16>(dst, src, p, n, stream);
  }
  return cudaErrorInvalidValue;
}

}  // namespace kiln::cuda
