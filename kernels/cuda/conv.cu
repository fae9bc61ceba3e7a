// CUDA kernels beside conv.cc's cuDNN convolutions: the zero-padded window copy, direct
// (transposed) convolutions for configurations cuDNN refuses, and the bias + activation epilogue.
// One thread per output element with a grid-stride loop; float accumulation for float16 and
// bfloat16. The direct kernels favour obvious correctness over speed: they are the fallback.
#include "kernels/cuda/activation.cuh"
#include "kernels/cuda/conv.cuh"
#include "kernels/cuda/cuda_math.cuh"

namespace kiln::cuda {
namespace {

template <typename T>
__global__ void WindowCopyKernel(T* dst, const T* src, WindowCopy w) {
  const int64_t d0 = w.dst_dims[0], d1 = w.dst_dims[1], d2 = w.dst_dims[2];
  const int64_t plane = d0 * d1 * d2;
  const int64_t src_plane = w.src_dims[0] * w.src_dims[1] * w.src_dims[2];
  const int64_t total = w.planes * plane;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += stride) {
    const int64_t p = i / plane;
    int64_t r = i % plane;
    const int64_t o2 = r % d2;
    r /= d2;
    const int64_t o1 = r % d1;
    const int64_t o0 = r / d1;
    const int64_t s0 = o0 - w.offset[0], s1 = o1 - w.offset[1], s2 = o2 - w.offset[2];
    const bool inside = s0 >= 0 && s0 < w.src_dims[0] && s1 >= 0 && s1 < w.src_dims[1] && s2 >= 0 &&
                        s2 < w.src_dims[2];
    dst[i] = inside ? src[p * src_plane + (s0 * w.src_dims[1] + s1) * w.src_dims[2] + s2]
                    : FromF<T>(0.0f);
  }
}

template <typename T>
__global__ void ConvDirectKernel(const T* x, const T* w, T* y, ConvDirectParams p,
                                 bool accumulate) {
  const int64_t out_plane = p.out[0] * p.out[1] * p.out[2];
  const int64_t in_plane = p.in[0] * p.in[1] * p.in[2];
  const int64_t taps = p.k[0] * p.k[1] * p.k[2];
  const int64_t cg = p.c / p.group, mg = p.m / p.group;
  const int64_t total = p.n * p.m * out_plane;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += stride) {
    int64_t r = i % out_plane;
    const int64_t nm = i / out_plane;
    const int64_t m = nm % p.m, n = nm / p.m;
    const int64_t o2 = r % p.out[2];
    r /= p.out[2];
    const int64_t o1 = r % p.out[1];
    const int64_t o0 = r / p.out[1];
    const int64_t g = m / mg;
    float acc = 0.0f;
    for (int64_t c = 0; c < cg; ++c) {
      const T* xp = x + (n * p.c + g * cg + c) * in_plane;
      const T* wp = w + (m * cg + c) * taps;
      for (int64_t k0 = 0; k0 < p.k[0]; ++k0) {
        const int64_t i0 = o0 * p.s[0] - p.pb[0] + k0 * p.d[0];
        if (i0 < 0 || i0 >= p.in[0]) continue;
        for (int64_t k1 = 0; k1 < p.k[1]; ++k1) {
          const int64_t i1 = o1 * p.s[1] - p.pb[1] + k1 * p.d[1];
          if (i1 < 0 || i1 >= p.in[1]) continue;
          for (int64_t k2 = 0; k2 < p.k[2]; ++k2) {
            const int64_t i2 = o2 * p.s[2] - p.pb[2] + k2 * p.d[2];
            if (i2 < 0 || i2 >= p.in[2]) continue;
            acc += ToF<T>(xp[(i0 * p.in[1] + i1) * p.in[2] + i2]) *
                   ToF<T>(wp[(k0 * p.k[1] + k1) * p.k[2] + k2]);
          }
        }
      }
    }
    if (accumulate) acc += ToF<T>(y[i]);
    y[i] = FromF<T>(acc);
  }
}

template <typename T>
__global__ void ConvTransposeDirectKernel(const T* x, const T* w, T* y, ConvDirectParams p) {
  const int64_t out_plane = p.out[0] * p.out[1] * p.out[2];
  const int64_t in_plane = p.in[0] * p.in[1] * p.in[2];
  const int64_t taps = p.k[0] * p.k[1] * p.k[2];
  const int64_t cg = p.c / p.group, mg = p.m / p.group;
  const int64_t total = p.n * p.m * out_plane;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += stride) {
    int64_t r = i % out_plane;
    const int64_t nm = i / out_plane;
    const int64_t m = nm % p.m, n = nm / p.m;
    const int64_t y2 = r % p.out[2];
    r /= p.out[2];
    const int64_t y1 = r % p.out[1];
    const int64_t y0 = r / p.out[1];
    const int64_t g = m / mg, ml = m % mg;
    float acc = 0.0f;
    for (int64_t cl = 0; cl < cg; ++cl) {
      const int64_t c = g * cg + cl;
      const T* xp = x + (n * p.c + c) * in_plane;
      const T* wp = w + (c * mg + ml) * taps;
      for (int64_t k0 = 0; k0 < p.k[0]; ++k0) {
        // x position q0 feeds y0 = q0 * s - pb + k0 * d.
        const int64_t t0 = y0 + p.pb[0] - k0 * p.d[0];
        if (t0 < 0 || t0 % p.s[0] != 0 || t0 / p.s[0] >= p.in[0]) continue;
        const int64_t q0 = t0 / p.s[0];
        for (int64_t k1 = 0; k1 < p.k[1]; ++k1) {
          const int64_t t1 = y1 + p.pb[1] - k1 * p.d[1];
          if (t1 < 0 || t1 % p.s[1] != 0 || t1 / p.s[1] >= p.in[1]) continue;
          const int64_t q1 = t1 / p.s[1];
          for (int64_t k2 = 0; k2 < p.k[2]; ++k2) {
            const int64_t t2 = y2 + p.pb[2] - k2 * p.d[2];
            if (t2 < 0 || t2 % p.s[2] != 0 || t2 / p.s[2] >= p.in[2]) continue;
            const int64_t q2 = t2 / p.s[2];
            acc += ToF<T>(xp[(q0 * p.in[1] + q1) * p.in[2] + q2]) *
                   ToF<T>(wp[(k0 * p.k[1] + k1) * p.k[2] + k2]);
          }
        }
      }
    }
    y[i] = FromF<T>(acc);
  }
}

template <typename T>
cudaError_t WindowCopyT(void* dst, const void* src, const WindowCopy& w, cudaStream_t stream) {
  const int64_t total = w.planes * w.dst_dims[0] * w.dst_dims[1] * w.dst_dims[2];
  if (total <= 0) return cudaSuccess;
  WindowCopyKernel<T>
      <<<GridFor(total), kBlock, 0, stream>>>(static_cast<T*>(dst), static_cast<const T*>(src), w);
  return cudaGetLastError();
}

template <typename T>
cudaError_t ConvDirectT(const void* x, const void* w, void* y, const ConvDirectParams& p,
                        bool accumulate, cudaStream_t stream) {
  const int64_t total = p.n * p.m * p.out[0] * p.out[1] * p.out[2];
  if (total <= 0) return cudaSuccess;
  ConvDirectKernel<T><<<GridFor(total), kBlock, 0, stream>>>(
      static_cast<const T*>(x), static_cast<const T*>(w), static_cast<T*>(y), p, accumulate);
  return cudaGetLastError();
}

template <typename T>
cudaError_t ConvTransposeDirectT(const void* x, const void* w, void* y, const ConvDirectParams& p,
                                 cudaStream_t stream) {
  const int64_t total = p.n * p.m * p.out[0] * p.out[1] * p.out[2];
  if (total <= 0) return cudaSuccess;
  ConvTransposeDirectKernel<T><<<GridFor(total), kBlock, 0, stream>>>(
      static_cast<const T*>(x), static_cast<const T*>(w), static_cast<T*>(y), p);
  return cudaGetLastError();
}

}  // namespace

cudaError_t LaunchWindowCopy(FloatElem elem, void* dst, const void* src, const WindowCopy& w,
                             cudaStream_t stream) {
  switch (elem) {
    case FloatElem::kFloat:
      return WindowCopyT<float>(dst, src, w, stream);
    case FloatElem::kHalf:
      return WindowCopyT<__half>(dst, src, w, stream);
    case FloatElem::kBFloat16:
      return WindowCopyT<__nv_bfloat16>(dst, src, w, stream);
  }
  return cudaErrorInvalidValue;
}

cudaError_t LaunchConvDirect(FloatElem elem, const void* x, const void* w, void* y,
                             const ConvDirectParams& p, bool accumulate, cudaStream_t stream) {
  switch (elem) {
    case FloatElem::kFloat:
      return ConvDirectT<float>(x, w, y, p, accumulate, stream);
    case FloatElem::kHalf:
      return ConvDirectT<__half>(x, w, y, p, accumulate, stream);
    case FloatElem::kBFloat16:
      return ConvDirectT<__nv_bfloat16>(x, w, y, p, accumulate, stream);
  }
  return cudaErrorInvalidValue;
}

cudaError_t LaunchConvTransposeDirect(FloatElem elem, const void* x, const void* w, void* y,
                                      const ConvDirectParams& p, cudaStream_t stream) {
  switch (elem) {
    case FloatElem::kFloat:
      return ConvTransposeDirectT<float>(x, w, y, p, stream);
    case FloatElem::kHalf:
      return ConvTransposeDirectT<__half>(x, w, y, p, stream);
    case FloatElem::kBFloat16:
      return ConvTransposeDirectT<__nv_bfloat16>(x, w, y, p, stream);
  }
  return cudaErrorInvalidValue;
}

cudaError_t LaunchConvBiasActivation(FloatElem elem, void* y, const void* bias, int64_t total,
                                     int64_t spatial, int64_t channels, FusedActivation act,
                                     cudaStream_t stream) {
  return LaunchBiasActivation(elem, y, bias, total, spatial, channels, act, stream);
}

}  // namespace kiln::cuda
