// Launchers of the CUDA data-movement kernels (movement.cu): elements are moved by their size in
// bytes (1, 2, 4, 8 or 16), so every fixed-size element type works. Each launcher queues work on
// `stream` and returns cudaGetLastError() (cudaSuccess without a launch when there is nothing to
// move); pointers are device pointers, arrays in the structs are host values passed by value.
// A pointer not aligned to the element size is reported as cudaErrorMisalignedAddress.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace kiln {
class KernelRegistry;
}

namespace kiln::cuda {

// Resize (resize.cc), registered from RegisterMovementKernels.
void RegisterResizeKernels(KernelRegistry& r);

// Dims of a strided copy (after coalescing): Tile reads with 2 dims per input dim.
constexpr int kMaxCopyDims = 16;

// dst[i] (contiguous over dims, row-major) = src[sum_k idx_k * strides[k]]. Strides are in
// elements and may be 0 (broadcast) or negative (reversed reads).
struct StridedCopyShape {
  int rank = 0;
  int64_t dims[kMaxCopyDims] = {};
  int64_t strides[kMaxCopyDims] = {};
};
// Copies the `n` elements (n = product of dims) of `shape`.
cudaError_t LaunchStridedCopy(void* dst, const void* src, int elem_bytes,
                              const StridedCopyShape& shape, int64_t n, cudaStream_t stream);

// Copies `rows` rows of `row_bytes` bytes: row r from src + r * src_pitch to dst + r * dst_pitch
// (pitches in bytes). Concat and Split.
cudaError_t LaunchCopyRows(void* dst, int64_t dst_pitch, const void* src, int64_t src_pitch,
                           int64_t rows, int64_t row_bytes, cudaStream_t stream);

// Gather along an axis: x viewed as [outer, axis_dim, inner] elements, indices (int32 or int64,
// num_indices of them, on the device) give y [outer, num_indices, inner]. Negative indices count
// from the end; an index outside [-axis_dim, axis_dim) yields zero bytes for its slice.
cudaError_t LaunchGather(void* dst, const void* src, const void* indices, bool indices_int64,
                         int elem_bytes, int64_t outer, int64_t axis_dim, int64_t num_indices,
                         int64_t inner, cudaStream_t stream);

// Pad: per dim d, output index o reads input index lo[d] + m(o - pad_begin[d]) where m maps
// [0, len[d]) to itself and positions outside it by the mode (constant: the fill value).
constexpr int kMaxPadDims = 8;
enum class PadKind : int { kConstant = 0, kReflect = 1, kEdge = 2, kWrap = 3 };
struct PadShape {
  int rank = 0;
  int64_t out_dims[kMaxPadDims] = {};
  int64_t in_strides[kMaxPadDims] = {};  // elements
  int64_t pad_begin[kMaxPadDims] = {};   // >= 0
  int64_t lo[kMaxPadDims] = {};          // first input index kept (negative pads crop)
  int64_t len[kMaxPadDims] = {};         // input indices kept; > 0 unless the mode is constant
};
// `fill` points to one element (elem_bytes bytes) in host memory: the constant value.
cudaError_t LaunchPad(void* dst, const void* src, int elem_bytes, const PadShape& shape,
                      PadKind kind, const void* fill, int64_t n, cudaStream_t stream);

}  // namespace kiln::cuda
