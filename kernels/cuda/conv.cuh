// Launchers of conv.cu (CUDA kernels beside conv.cc's cuDNN convolutions): zero-padded window
// copies (asymmetric pads, ConvTranspose crops), direct convolution kernels used when cuDNN
// refuses a configuration, and the bias + residual + activation epilogue. Plain pointers to device
// memory in NCHW-style row-major layout, 1-3 spatial dims promoted to 3 (leading dims of size 1);
// each returns cudaGetLastError() after the launch and never synchronizes.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/activation.cuh"

namespace kiln::cuda {

// dst[p, i] = src[p, i - offset] where every coordinate of i - offset lies inside src_dims, else 0,
// for `planes` planes of dst_dims (dst) and src_dims (src) elements. Exact copies.
struct WindowCopy {
  int64_t planes = 0;
  int64_t src_dims[3] = {1, 1, 1};
  int64_t dst_dims[3] = {1, 1, 1};
  int64_t offset[3] = {0, 0, 0};
};
cudaError_t LaunchWindowCopy(FloatElem elem, void* dst, const void* src, const WindowCopy& w,
                             cudaStream_t stream);

// One (transposed) convolution over 3 promoted spatial dims. Convolution: x [n, c, in], w
// [m, c / group, k], y [n, m, out], y[o] reads x[o * s - pb + k * d]. Transposed: x [n, c, in],
// w [c, m / group, k], y [n, m, out] with x position q feeding y position q * s - pb + k * d.
struct ConvDirectParams {
  int64_t n = 0, c = 0, m = 0, group = 1;
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1};
  int64_t s[3] = {1, 1, 1}, d[3] = {1, 1, 1}, pb[3] = {0, 0, 0};
};
// y = conv(x, w) + (accumulate ? y : 0), float accumulation (no bias: the epilogue adds it).
cudaError_t LaunchConvDirect(FloatElem elem, const void* x, const void* w, void* y,
                             const ConvDirectParams& p, bool accumulate, cudaStream_t stream);
// y = conv_transpose(x, w) (every element of y written; no bias).
cudaError_t LaunchConvTransposeDirect(FloatElem elem, const void* x, const void* w, void* y,
                                      const ConvDirectParams& p, cudaStream_t stream);

// y[i] = act(y[i] + bias[(i / spatial) % channels]) over `total` elements; bias may be null.
cudaError_t LaunchConvBiasActivation(FloatElem elem, void* y, const void* bias, int64_t total,
                                     int64_t spatial, int64_t channels, FusedActivation act,
                                     cudaStream_t stream);

}  // namespace kiln::cuda
