// CUDA data-movement kernels (launchers declared in movement.cuh): a strided copy (Transpose,
// Slice, Expand, Tile) with a shared-memory tiled path for transposes of the two innermost dims,
// a pitched row copy (Concat, Split), Gather and Pad. Elements move as unsigned integers of their
// size (or a 16-byte struct); row copies and gathers move the widest unit the sizes and addresses
// allow. Index math runs in 32 bits when the element count fits, else in 64 bits; every kernel
// loops with a grid stride.
#include <cstring>

#include "kernels/cuda/cuda_math.cuh"
#include "kernels/cuda/movement.cuh"

namespace kiln::cuda {
namespace {

// A 16-byte element (complex128), 8-byte aligned like its parts.
struct alignas(8) Pod16 {
  uint64_t lo;
  uint64_t hi;
};

bool Aligned(const void* p, size_t a) { return reinterpret_cast<uintptr_t>(p) % a == 0; }

// Calls f(T{}) with the unsigned element type of `bytes`.
template <typename F>
cudaError_t BySize(int bytes, F&& f) {
  switch (bytes) {
    case 1: return f(uint8_t{});
    case 2: return f(uint16_t{});
    case 4: return f(uint32_t{});
    case 8: return f(uint64_t{});
    case 16: return f(Pod16{});
    default: return cudaErrorInvalidValue;
  }
}

// Calls f(uint32_t{}) when n (and so every index below it) fits 32-bit math, else f(int64_t{}).
// The 32-bit case keeps i + grid stride below 2^32.
template <typename F>
cudaError_t ByIndex(int64_t n, F&& f) {
  if (n <= INT32_MAX) return f(uint32_t{});
  return f(int64_t{});
}

template <typename I>
__device__ __forceinline__ I FirstIndex() {
  return static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x;
}
template <typename I>
__device__ __forceinline__ I GridStride() {
  return static_cast<I>(blockDim.x) * gridDim.x;
}

// ---------------------------------------------------------------------------------------------
// Strided copy

template <typename T, typename I>
__global__ void StridedCopyKernel(T* __restrict__ dst, const T* __restrict__ src,
                                  StridedCopyShape s, I n) {
  for (I i = FirstIndex<I>(); i < n; i += GridStride<I>()) {
    I rem = i;
    int64_t off = 0;
    for (int d = s.rank - 1; d >= 0; --d) {
      const I dim = static_cast<I>(s.dims[d]);
      const I q = rem / dim;
      off += static_cast<int64_t>(rem - q * dim) * s.strides[d];
      rem = q;
    }
    dst[i] = src[off];
  }
}

constexpr int kTile = 32;
constexpr int kTileRows = 8;

// The output viewed as [outer..., R, C] where the input advances by 1 along R and by `sc` along
// C: tiles of 32 x 32 are read along R and written along C through shared memory. dims and
// strides of s give the outer dims (all but the last two).
template <typename T>
__global__ void TiledTransposeKernel(T* __restrict__ dst, const T* __restrict__ src,
                                     StridedCopyShape s, int64_t outer, int64_t rows,
                                     int64_t cols, int64_t sc) {
  __shared__ T tile[kTile][kTile + 1];
  const int64_t tiles_r = (rows + kTile - 1) / kTile;
  const int64_t tiles_c = (cols + kTile - 1) / kTile;
  const int tx = threadIdx.x, ty = threadIdx.y;
  for (int64_t o = blockIdx.z; o < outer; o += gridDim.z) {
    int64_t rem = o, base = 0;
    for (int d = s.rank - 3; d >= 0; --d) {
      const int64_t q = rem / s.dims[d];
      base += (rem - q * s.dims[d]) * s.strides[d];
      rem = q;
    }
    const T* sp = src + base;
    T* dp = dst + o * rows * cols;
    for (int64_t tr = blockIdx.y; tr < tiles_r; tr += gridDim.y) {
      for (int64_t tc = blockIdx.x; tc < tiles_c; tc += gridDim.x) {
        const int64_t r0 = tr * kTile, c0 = tc * kTile;
        // tile[k][tx] holds element (r0 + tx, c0 + k): reads run along r (contiguous).
        for (int k = ty; k < kTile; k += kTileRows) {
          const int64_t r = r0 + tx, c = c0 + k;
          if (r < rows && c < cols) tile[k][tx] = sp[r + c * sc];
        }
        __syncthreads();
        // Writes run along c (contiguous): element (r0 + k, c0 + tx) is tile[tx][k].
        for (int k = ty; k < kTile; k += kTileRows) {
          const int64_t r = r0 + k, c = c0 + tx;
          if (r < rows && c < cols) dp[r * cols + c] = tile[tx][k];
        }
        __syncthreads();
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Row copy

template <typename U, typename I>
__global__ void CopyRowsKernel(char* __restrict__ dst, int64_t dst_pitch,
                               const char* __restrict__ src, int64_t src_pitch, I units_per_row,
                               I n) {
  for (I i = FirstIndex<I>(); i < n; i += GridStride<I>()) {
    const I r = i / units_per_row;
    const I c = i - r * units_per_row;
    const U* s = reinterpret_cast<const U*>(src + static_cast<int64_t>(r) * src_pitch);
    U* d = reinterpret_cast<U*>(dst + static_cast<int64_t>(r) * dst_pitch);
    d[c] = s[c];
  }
}

// The widest unit (16, 8, 4, 2 or 1 bytes) dividing every value of `v`.
int UnitFor(uint64_t v) {
  for (int u = 16; u > 1; u /= 2) {
    if (v % static_cast<uint64_t>(u) == 0) return u;
  }
  return 1;
}

// Calls f(U{}) with the unsigned type (uint4 for 16) of a unit size.
template <typename F>
cudaError_t ByUnit(int unit, F&& f) {
  switch (unit) {
    case 16: return f(uint4{});
    case 8: return f(uint64_t{});
    case 4: return f(uint32_t{});
    case 2: return f(uint16_t{});
    default: return f(uint8_t{});
  }
}

// ---------------------------------------------------------------------------------------------
// Gather

template <typename U, typename Ind, typename I>
__global__ void GatherKernel(U* __restrict__ dst, const U* __restrict__ src,
                             const Ind* __restrict__ indices, I inner_units, I num_indices,
                             int64_t axis_dim, I n) {
  for (I i = FirstIndex<I>(); i < n; i += GridStride<I>()) {
    const I t = i / inner_units;
    const I col = i - t * inner_units;
    const I o = t / num_indices;
    const I j = t - o * num_indices;
    int64_t k = static_cast<int64_t>(indices[j]);
    if (k < 0) k += axis_dim;
    if (k < 0 || k >= axis_dim) {
      dst[i] = U{};
    } else {
      dst[i] = src[(static_cast<int64_t>(o) * axis_dim + k) * static_cast<int64_t>(inner_units) +
                   static_cast<int64_t>(col)];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Pad

template <typename T, typename I>
__global__ void PadKernel(T* __restrict__ dst, const T* __restrict__ src, PadShape s,
                          PadKind kind, T fill, I n) {
  for (I i = FirstIndex<I>(); i < n; i += GridStride<I>()) {
    I rem = i;
    int64_t off = 0;
    bool is_fill = false;
    for (int d = s.rank - 1; d >= 0; --d) {
      const I dim = static_cast<I>(s.out_dims[d]);
      const I q = rem / dim;
      const int64_t o = static_cast<int64_t>(rem - q * dim);
      rem = q;
      const int64_t len = s.len[d];
      int64_t k = o - s.pad_begin[d];
      if (k < 0 || k >= len) {
        switch (kind) {
          case PadKind::kConstant:
            is_fill = true;
            break;
          case PadKind::kEdge:
            k = k < 0 ? 0 : len - 1;
            break;
          case PadKind::kWrap:
            k = ((k % len) + len) % len;
            break;
          case PadKind::kReflect:
            if (len == 1) {
              k = 0;
            } else {
              const int64_t period = 2 * (len - 1);
              k = ((k % period) + period) % period;
              if (k >= len) k = period - k;
            }
            break;
        }
      }
      off += (s.lo[d] + k) * s.in_strides[d];
    }
    dst[i] = is_fill ? fill : src[off];
  }
}

}  // namespace

cudaError_t LaunchStridedCopy(void* dst, const void* src, int elem_bytes,
                              const StridedCopyShape& shape, int64_t n, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  if (shape.rank < 0 || shape.rank > kMaxCopyDims) return cudaErrorInvalidValue;
  return BySize(elem_bytes, [&](auto tag) -> cudaError_t {
    using T = decltype(tag);
    if (!Aligned(dst, alignof(T)) || !Aligned(src, alignof(T))) {
      return cudaErrorMisalignedAddress;
    }
    T* d = static_cast<T*>(dst);
    const T* s = static_cast<const T*>(src);
    const int r = shape.rank;
    // Rows contiguous in the source: a pitched row copy in wide units.
    if (r == 0 || (r == 1 && shape.strides[0] == 1)) {
      return LaunchCopyRows(dst, 0, src, 0, 1, n * elem_bytes, stream);
    }
    if (r == 2 && shape.strides[1] == 1) {
      return LaunchCopyRows(dst, shape.dims[1] * elem_bytes, src, shape.strides[0] * elem_bytes,
                            shape.dims[0], shape.dims[1] * elem_bytes, stream);
    }
    const bool tiled = r >= 2 && shape.strides[r - 2] == 1 && shape.strides[r - 1] != 1 &&
                       shape.dims[r - 2] >= kTile && shape.dims[r - 1] >= kTile;
    if (tiled) {
      const int64_t rows = shape.dims[r - 2], cols = shape.dims[r - 1];
      const int64_t outer = n / (rows * cols);
      const int64_t tiles_r = (rows + kTile - 1) / kTile, tiles_c = (cols + kTile - 1) / kTile;
      const dim3 grid(static_cast<unsigned>(tiles_c < (1 << 20) ? tiles_c : (1 << 20)),
                      static_cast<unsigned>(tiles_r < 65535 ? tiles_r : 65535),
                      static_cast<unsigned>(outer < 65535 ? outer : 65535));
      TiledTransposeKernel<T><<<grid, dim3(kTile, kTileRows), 0, stream>>>(
          d, s, shape, outer, rows, cols, shape.strides[r - 1]);
      return cudaGetLastError();
    }
    return ByIndex(n, [&](auto itag) -> cudaError_t {
      using I = decltype(itag);
      StridedCopyKernel<T, I><<<GridFor(n), kBlock, 0, stream>>>(d, s, shape, static_cast<I>(n));
      return cudaGetLastError();
    });
  });
}

cudaError_t LaunchCopyRows(void* dst, int64_t dst_pitch, const void* src, int64_t src_pitch,
                           int64_t rows, int64_t row_bytes, cudaStream_t stream) {
  if (rows <= 0 || row_bytes <= 0) return cudaSuccess;
  if (rows == 1) dst_pitch = src_pitch = row_bytes;
  const uint64_t bits = reinterpret_cast<uintptr_t>(dst) | reinterpret_cast<uintptr_t>(src) |
                        static_cast<uint64_t>(dst_pitch) | static_cast<uint64_t>(src_pitch) |
                        static_cast<uint64_t>(row_bytes);
  const int unit = UnitFor(bits);
  return ByUnit(unit, [&](auto utag) -> cudaError_t {
    using U = decltype(utag);
    const int64_t units = row_bytes / unit;
    const int64_t n = rows * units;
    return ByIndex(n, [&](auto itag) -> cudaError_t {
      using I = decltype(itag);
      CopyRowsKernel<U, I><<<GridFor(n), kBlock, 0, stream>>>(
          static_cast<char*>(dst), dst_pitch, static_cast<const char*>(src), src_pitch,
          static_cast<I>(units), static_cast<I>(n));
      return cudaGetLastError();
    });
  });
}

cudaError_t LaunchGather(void* dst, const void* src, const void* indices, bool indices_int64,
                         int elem_bytes, int64_t outer, int64_t axis_dim, int64_t num_indices,
                         int64_t inner, cudaStream_t stream) {
  const int64_t n_elems = outer * num_indices * inner;
  if (n_elems <= 0) return cudaSuccess;
  if (elem_bytes != 1 && elem_bytes != 2 && elem_bytes != 4 && elem_bytes != 8 &&
      elem_bytes != 16) {
    return cudaErrorInvalidValue;
  }
  if (!Aligned(indices, indices_int64 ? 8 : 4)) return cudaErrorMisalignedAddress;
  const int64_t inner_bytes = inner * elem_bytes;
  const uint64_t bits = reinterpret_cast<uintptr_t>(dst) | reinterpret_cast<uintptr_t>(src) |
                        static_cast<uint64_t>(inner_bytes);
  const int unit = UnitFor(bits);
  return ByUnit(unit, [&](auto utag) -> cudaError_t {
    using U = decltype(utag);
    const int64_t inner_units = inner_bytes / unit;
    const int64_t n = outer * num_indices * inner_units;
    return ByIndex(n, [&](auto itag) -> cudaError_t {
      using I = decltype(itag);
      U* d = static_cast<U*>(dst);
      const U* s = static_cast<const U*>(src);
      if (indices_int64) {
        GatherKernel<U, int64_t, I><<<GridFor(n), kBlock, 0, stream>>>(
            d, s, static_cast<const int64_t*>(indices), static_cast<I>(inner_units),
            static_cast<I>(num_indices), axis_dim, static_cast<I>(n));
      } else {
        GatherKernel<U, int32_t, I><<<GridFor(n), kBlock, 0, stream>>>(
            d, s, static_cast<const int32_t*>(indices), static_cast<I>(inner_units),
            static_cast<I>(num_indices), axis_dim, static_cast<I>(n));
      }
      return cudaGetLastError();
    });
  });
}

cudaError_t LaunchPad(void* dst, const void* src, int elem_bytes, const PadShape& shape,
                      PadKind kind, const void* fill, int64_t n, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  if (shape.rank < 0 || shape.rank > kMaxPadDims) return cudaErrorInvalidValue;
  return BySize(elem_bytes, [&](auto tag) -> cudaError_t {
    using T = decltype(tag);
    if (!Aligned(dst, alignof(T)) || !Aligned(src, alignof(T))) {
      return cudaErrorMisalignedAddress;
    }
    T value;
    std::memcpy(&value, fill, sizeof(T));
    return ByIndex(n, [&](auto itag) -> cudaError_t {
      using I = decltype(itag);
      PadKernel<T, I><<<GridFor(n), kBlock, 0, stream>>>(
          static_cast<T*>(dst), static_cast<const T*>(src), shape, kind, value,
          static_cast<I>(n));
      return cudaGetLastError();
    });
  });
}

}  // namespace kiln::cuda
