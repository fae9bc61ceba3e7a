// CUDA kernels of ONNX Attention (see attention.cuh).
//
// One block of 128 threads per query row (b, h, i), looping with a grid stride. The scaled query
// row and the output accumulator live in shared memory. Keys are processed in tiles of 64:
//  1. scores: each warp takes keys of the tile in turn; lanes split the head dimension and a
//     warp-shuffle sum gives the dot product; lane 0 applies softcap and the bias (mask, causal,
//     windows, padding) and stores the score in shared memory;
//  2. online softmax: the tile maximum updates the running maximum m, the running sum l and the
//     accumulator are rescaled by exp(m_old - m_new), and p = exp(score - m) replaces the score;
//  3. P.V: each thread owns output columns d and adds p_j * V[j][d] over the tile.
// At the end Y = acc / l. The guards follow the CPU kernel: a row with every key masked gives
// zeros; a running maximum of -inf shifts by 0; a zero sum divides by 1; p = 0 skips its V row.
// Mode 3 of the scores output takes a second pass over the keys once m and l are final.
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "kernels/cuda/attention.cuh"
#include "kernels/cuda/cuda_math.cuh"
#include "kernels/cuda/cuda_reduce.cuh"

namespace kiln::cuda {
namespace {

constexpr int kThreads = 128;
constexpr int kTile = 64;

template <typename M>
__device__ __forceinline__ float MaskValue(M v) {
  if constexpr (std::is_same_v<M, uint8_t>) {
    return v != 0 ? 0.0f : NegInf();
  } else {
    return ToF(v);
  }
}

// What one query row needs to address its keys and bias.
struct RowInfo {
  int64_t b, h, hk, i;
  int64_t row;         // (b * Hq + h) * Sq + i: the row of the scores output
  int64_t pos;         // causal position of the query
  int64_t valid_keys;  // keys at or past it are masked (St without nonpad)
  int64_t mask_row;    // offset of the mask row
};

template <typename T>
__device__ __forceinline__ const T* KeyRow(const AttentionArgs& a, const RowInfo& r, int64_t j) {
  if (j < a.past_len) {
    return static_cast<const T*>(a.past_k) + ((r.b * a.kv_heads + r.hk) * a.past_len + j) * a.head;
  }
  const int64_t t = j - a.past_len;
  const T* k = static_cast<const T*>(a.k);
  return a.three_d ? k + (r.b * a.kv_len + t) * a.kv_heads * a.head + r.hk * a.head
                   : k + ((r.b * a.kv_heads + r.hk) * a.kv_len + t) * a.head;
}

template <typename T>
__device__ __forceinline__ const T* ValueRow(const AttentionArgs& a, const RowInfo& r,
                                             int64_t j) {
  if (j < a.past_len) {
    return static_cast<const T*>(a.past_v) +
           ((r.b * a.kv_heads + r.hk) * a.past_len + j) * a.v_head;
  }
  const int64_t t = j - a.past_len;
  const T* v = static_cast<const T*>(a.v);
  return a.three_d ? v + (r.b * a.kv_len + t) * a.kv_heads * a.v_head + r.hk * a.v_head
                   : v + ((r.b * a.kv_heads + r.hk) * a.kv_len + t) * a.v_head;
}

// The additive bias of key j for the row (-inf: masked).
template <typename M>
__device__ __forceinline__ float Bias(const AttentionArgs& a, const RowInfo& r, int64_t j) {
  float bias = 0.0f;
  if (a.mask != nullptr) {
    bias = j >= a.mask_len
               ? NegInf()
               : MaskValue(static_cast<const M*>(a.mask)[r.mask_row + j * a.mask_strides[3]]);
  }
  if (a.is_causal && j > r.pos) bias = NegInf();
  if (a.left_window >= 0 && j < r.pos - a.left_window) bias = NegInf();
  if (a.right_window >= 0 && j > r.pos + a.right_window) bias = NegInf();
  if (j >= r.valid_keys) bias = NegInf();
  return bias;
}

// Scores of keys [t0, t0 + n) into sc[0, n) (score + bias). Writes the scores output for modes
// 0-2 when `write_qk`. Returns whether this thread saw a key with a bias other than -inf.
template <typename T, typename M>
__device__ __forceinline__ bool ScoreTile(const AttentionArgs& a, const RowInfo& r,
                                          const float* qs, int64_t t0, int n, bool write_qk,
                                          float* sc) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int nwarps = blockDim.x >> 5;
  const int64_t st = a.past_len + a.kv_len;
  bool visible = false;
  for (int jj = warp; jj < n; jj += nwarps) {
    const int64_t j = t0 + jj;
    const T* kr = KeyRow<T>(a, r, j);
    float dot = 0.0f;
    for (int64_t d = lane; d < a.head; d += 32) dot += qs[d] * ToF(kr[d]);
    dot = WarpSum(dot);
    if (lane == 0) {
      float qk = dot * a.sqrt_scale;
      if (a.softcap > 0.0f) qk = tanhf(qk / a.softcap) * a.softcap;
      const float bias = Bias<M>(a, r, j);
      if (!(bias == NegInf())) visible = true;
      const float x = qk + bias;
      if (write_qk) {
        static_cast<T*>(a.qk_out)[r.row * st + j] = FromF<T>(a.qk_mode == 2 ? x : qk);
      }
      sc[jj] = x;
    }
  }
  return visible;
}

template <typename T, typename M>
__global__ void __launch_bounds__(kThreads) AttentionKernel(AttentionArgs a) {
  extern __shared__ float smem[];
  __shared__ float red[32];
  float* qs = smem;             // [head]: sqrt_scale * q
  float* acc = qs + a.head;     // [v_head]
  float* sc = acc + a.v_head;   // [kTile]
  const int tid = threadIdx.x;
  const int64_t st = a.past_len + a.kv_len;
  const int64_t group = a.q_heads / a.kv_heads;
  const int64_t rows = a.batch * a.q_heads * a.q_len;
  const bool write_qk = a.qk_out != nullptr && a.qk_mode <= 2;
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    RowInfo r;
    r.row = row;
    r.i = row % a.q_len;
    const int64_t bh = row / a.q_len;
    r.h = bh % a.q_heads;
    r.b = bh / a.q_heads;
    r.hk = r.h / group;
    const int64_t nonpad = a.nonpad != nullptr ? a.nonpad[r.b] : st;
    r.valid_keys = nonpad;
    r.pos = (a.nonpad != nullptr ? nonpad - a.q_len : a.past_len) + r.i;
    r.mask_row = r.b * a.mask_strides[0] + r.h * a.mask_strides[1] + r.i * a.mask_strides[2];
    const T* qr = static_cast<const T*>(a.q) +
                  (a.three_d ? (r.b * a.q_len + r.i) * a.q_heads * a.head + r.h * a.head
                             : row * a.head);
    __syncthreads();  // the previous row is done with qs / acc / sc
    for (int64_t d = tid; d < a.head; d += blockDim.x) qs[d] = ToF(qr[d]) * a.sqrt_scale;
    for (int64_t d = tid; d < a.v_head; d += blockDim.x) acc[d] = 0.0f;
    __syncthreads();

    float m = NegInf(), l = 0.0f;
    bool visible = false;
    for (int64_t t0 = 0; t0 < st; t0 += kTile) {
      const int n = static_cast<int>(st - t0 < kTile ? st - t0 : kTile);
      visible = ScoreTile<T, M>(a, r, qs, t0, n, write_qk, sc) || visible;
      __syncthreads();
      float tile_max = NegInf();
      for (int jj = tid; jj < n; jj += blockDim.x) tile_max = NanMax(tile_max, sc[jj]);
      tile_max = BlockMax(tile_max, red);
      const float m_new = NanMax(m, tile_max);
      const float shift = m_new == NegInf() ? 0.0f : m_new;
      // Before any finite score the sum and accumulator are 0: drop them (exp could overflow).
      const float alpha = m == NegInf() ? 0.0f : expf(m - shift);
      float part = 0.0f;
      for (int jj = tid; jj < n; jj += blockDim.x) {
        const float p = expf(sc[jj] - shift);
        sc[jj] = p;
        part += p;
      }
      part = BlockSum(part, red);  // also publishes the sc writes
      l = l * alpha + part;
      m = m_new;
      for (int64_t d = tid; d < a.v_head; d += blockDim.x) {
        float s = acc[d] * alpha;
        for (int jj = 0; jj < n; ++jj) {
          const float p = sc[jj];
          if (p != 0.0f) s += p * ToF(ValueRow<T>(a, r, t0 + jj)[d]);
        }
        acc[d] = s;
      }
      __syncthreads();  // sc is rewritten by the next tile
    }
    const bool any = __syncthreads_or(visible) != 0;
    const float denom = l == 0.0f ? 1.0f : l;
    T* yr = static_cast<T*>(a.y) +
            (a.three_d ? (r.b * a.q_len + r.i) * a.q_heads * a.v_head + r.h * a.v_head
                       : row * a.v_head);
    for (int64_t d = tid; d < a.v_head; d += blockDim.x) {
      yr[d] = FromF<T>(any ? acc[d] / denom : 0.0f);
    }
    if (a.qk_out != nullptr && a.qk_mode == 3) {
      const float shift = m == NegInf() ? 0.0f : m;
      T* qo = static_cast<T*>(a.qk_out) + row * st;
      for (int64_t t0 = 0; t0 < st; t0 += kTile) {
        const int n = static_cast<int>(st - t0 < kTile ? st - t0 : kTile);
        ScoreTile<T, M>(a, r, qs, t0, n, false, sc);
        __syncthreads();
        for (int jj = tid; jj < n; jj += blockDim.x) {
          qo[t0 + jj] = FromF<T>(any ? expf(sc[jj] - shift) / denom : 0.0f);
        }
        __syncthreads();
      }
    }
  }
}

template <typename T>
__global__ void PresentKernel(AttentionArgs a, int64_t width, const T* __restrict__ past,
                              const T* __restrict__ cur, T* __restrict__ out) {
  const int64_t st = a.past_len + a.kv_len;
  const int64_t total = a.batch * a.kv_heads * st * width;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t d = e % width;
    const int64_t s = (e / width) % st;
    const int64_t bh = e / (width * st);
    const int64_t h = bh % a.kv_heads, b = bh / a.kv_heads;
    if (s < a.past_len) {
      out[e] = past[(bh * a.past_len + s) * width + d];
    } else {
      const int64_t t = s - a.past_len;
      out[e] = a.three_d ? cur[(b * a.kv_len + t) * a.kv_heads * width + h * width + d]
                         : cur[(bh * a.kv_len + t) * width + d];
    }
  }
}

template <typename T, typename M>
cudaError_t LaunchTyped(const AttentionArgs& a, cudaStream_t stream) {
  const int64_t rows = a.batch * a.q_heads * a.q_len;
  const int64_t blocks = rows > kMaxGrid ? kMaxGrid : rows;
  const size_t smem = sizeof(float) * static_cast<size_t>(a.head + a.v_head + kTile);
  AttentionKernel<T, M><<<static_cast<unsigned>(blocks), kThreads, smem, stream>>>(a);
  return cudaGetLastError();
}

template <typename T>
cudaError_t LaunchForMask(const AttentionArgs& a, cudaStream_t stream) {
  if (a.mask == nullptr) return LaunchTyped<T, float>(a, stream);
  switch (a.mask_dtype) {
    case DataType::kBool: return LaunchTyped<T, uint8_t>(a, stream);
    case DataType::kFloat: return LaunchTyped<T, float>(a, stream);
    case DataType::kFloat16: return LaunchTyped<T, __half>(a, stream);
    case DataType::kBFloat16: return LaunchTyped<T, __nv_bfloat16>(a, stream);
    default: return cudaErrorInvalidValue;
  }
}

template <typename T>
cudaError_t LaunchPresentTyped(const AttentionArgs& a, void* pk, void* pv, cudaStream_t stream) {
  const int64_t n = a.batch * a.kv_heads * (a.past_len + a.kv_len);
  if (pk != nullptr && n * a.head > 0) {
    PresentKernel<T><<<GridFor(n * a.head), kBlock, 0, stream>>>(
        a, a.head, static_cast<const T*>(a.past_k), static_cast<const T*>(a.k),
        static_cast<T*>(pk));
    const cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return e;
  }
  if (pv != nullptr && n * a.v_head > 0) {
    PresentKernel<T><<<GridFor(n * a.v_head), kBlock, 0, stream>>>(
        a, a.v_head, static_cast<const T*>(a.past_v), static_cast<const T*>(a.v),
        static_cast<T*>(pv));
  }
  return cudaGetLastError();
}

}  // namespace

cudaError_t LaunchAttention(const AttentionArgs& a, cudaStream_t stream) {
  if (a.batch * a.q_heads * a.q_len <= 0) return cudaSuccess;
  if (a.kv_heads <= 0 || a.q_heads % a.kv_heads != 0 || a.head < 0 || a.v_head < 0 ||
      a.head + a.v_head > kAttentionMaxHeadSum || (a.past_len > 0 && !a.past_k) ||
      (a.past_len > 0 && !a.past_v)) {
    return cudaErrorInvalidValue;
  }
  switch (a.dtype) {
    case DataType::kFloat: return LaunchForMask<float>(a, stream);
    case DataType::kFloat16: return LaunchForMask<__half>(a, stream);
    case DataType::kBFloat16: return LaunchForMask<__nv_bfloat16>(a, stream);
    default: return cudaErrorInvalidValue;
  }
}

cudaError_t LaunchAttentionPresent(const AttentionArgs& a, void* present_k, void* present_v,
                                   cudaStream_t stream) {
  switch (a.dtype) {
    case DataType::kFloat: return LaunchPresentTyped<float>(a, present_k, present_v, stream);
    case DataType::kFloat16: return LaunchPresentTyped<__half>(a, present_k, present_v, stream);
    case DataType::kBFloat16:
      return LaunchPresentTyped<__nv_bfloat16>(a, present_k, present_v, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace kiln::cuda
