// CUDA kernels around matmul.cc's cuBLAS products: Gemm's broadcast of C into the output, and the
// bias + activation epilogue of kiln's FusedMatMul / FusedGemm (activation.cuh). Grid-stride
// loops, float arithmetic for float16 / bfloat16.
#include "kernels/cuda/activation.cuh"
#include "kernels/cuda/cuda_math.cuh"
#include "kernels/cuda/matmul.cuh"

namespace kiln::cuda {
namespace {

template <typename T>
__global__ void GemmBroadcastCKernel(T* y, const T* c, int64_t m, int64_t n, int64_t c_rows,
                                     int64_t c_cols, float scale) {
  const int64_t total = m * n;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += stride) {
    const int64_t row = i / n, col = i % n;
    const int64_t src = (c_rows == 1 ? 0 : row) * c_cols + (c_cols == 1 ? 0 : col);
    y[i] = scale == 1.0f ? c[src] : FromF<T>(scale * ToF<T>(c[src]));
  }
}

template <typename T>
cudaError_t BroadcastC(void* y, const void* c, int64_t m, int64_t n, int64_t c_rows, int64_t c_cols,
                       float scale, cudaStream_t stream) {
  if (m <= 0 || n <= 0) return cudaSuccess;
  GemmBroadcastCKernel<T><<<GridFor(m * n), kBlock, 0, stream>>>(
      static_cast<T*>(y), static_cast<const T*>(c), m, n, c_rows, c_cols, scale);
  return cudaGetLastError();
}

}  // namespace

cudaError_t LaunchGemmBroadcastC(FloatElem elem, void* y, const void* c, int64_t m, int64_t n,
                                 int64_t c_rows, int64_t c_cols, float scale, cudaStream_t stream) {
  switch (elem) {
    case FloatElem::kFloat:
      return BroadcastC<float>(y, c, m, n, c_rows, c_cols, scale, stream);
    case FloatElem::kHalf:
      return BroadcastC<__half>(y, c, m, n, c_rows, c_cols, scale, stream);
    case FloatElem::kBFloat16:
      return BroadcastC<__nv_bfloat16>(y, c, m, n, c_rows, c_cols, scale, stream);
  }
  return cudaErrorInvalidValue;
}

cudaError_t LaunchMatMulBiasActivation(FloatElem elem, void* y, const void* bias, int64_t total,
                                       int64_t bias_len, FusedActivation act, cudaStream_t stream) {
  return LaunchBiasActivation(elem, y, bias, total, /*inner=*/1, bias_len, act, stream);
}

}  // namespace kiln::cuda
