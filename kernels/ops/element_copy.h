// Type-agnostic element movement for the data-movement families (shape.cc, movement.cc,
// gather.cc): dispatch on element size (or std::string), a strided copy engine, helpers to read
// small integer tensors (shapes, axes, indices), and staging of packed sub-byte types as one byte
// per element.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "kernels/ops/common.h"

namespace kiln::ops {

// A 16-byte trivially copyable element (complex128).
struct Pod16 {
  uint64_t lo;
  uint64_t hi;
};
inline bool operator==(const Pod16& a, const Pod16& b) { return a.lo == b.lo && a.hi == b.hi; }

// Calls f(Tag<T>{}) with a type T that copies one element of `dt` by assignment: an unsigned
// integer (or Pod16) of the element's size, or std::string for strings. Returns false for packed
// sub-byte types (use UnpackedView / StagedOutput) and undefined types.
template <typename F>
bool DispatchCopy(DataType dt, F&& f) {
  if (dt == DataType::kString) {
    f(Tag<std::string>{});
    return true;
  }
  switch (DataTypeBits(dt)) {
    case 8:
      f(Tag<uint8_t>{});
      return true;
    case 16:
      f(Tag<uint16_t>{});
      return true;
    case 32:
      f(Tag<uint32_t>{});
      return true;
    case 64:
      f(Tag<uint64_t>{});
      return true;
    case 128:
      f(Tag<Pod16>{});
      return true;
    default:
      return false;
  }
}

// A packed tensor as one uint8 per element (the raw bit pattern, low bits); other tensors are
// returned unchanged (a view).
inline Tensor UnpackedView(const Tensor& t) {
  if (!IsPacked(t.dtype())) return t;
  const int bits = DataTypeBits(t.dtype());
  const int per_byte = 8 / bits;
  const uint8_t mask = static_cast<uint8_t>((1u << bits) - 1u);
  Tensor out(DataType::kUint8, t.dims());
  const uint8_t* src = t.data<uint8_t>();
  uint8_t* dst = out.data<uint8_t>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    dst[i] = (src[i / per_byte] >> ((i % per_byte) * bits)) & mask;
  }
  return out;
}

// Packs one-uint8-per-element `src` into the packed tensor `dst` (same number of elements).
inline void PackInto(const Tensor& src, Tensor* dst) {
  const int bits = DataTypeBits(dst->dtype());
  const int per_byte = 8 / bits;
  const uint8_t mask = static_cast<uint8_t>((1u << bits) - 1u);
  uint8_t* out = dst->data<uint8_t>();
  if (dst->nbytes() > 0) std::memset(out, 0, dst->nbytes());
  const uint8_t* in = src.data<uint8_t>();
  for (int64_t i = 0; i < src.numel(); ++i) {
    out[i / per_byte] |= static_cast<uint8_t>((in[i] & mask) << ((i % per_byte) * bits));
  }
}

// An output to write elements into: the output tensor itself, or for packed types a
// one-byte-per-element staging tensor that Finish() packs into the output.
struct StagedOutput {
  Tensor* out = nullptr;
  Tensor buf;  // write here (dtype kUint8 for packed outputs)
  void Finish() {
    if (out != nullptr && IsPacked(out->dtype())) PackInto(buf, out);
  }
};
// `zeroed`: the kernel does not write every element and needs the rest zero.
inline StatusOr<StagedOutput> StageOutput(KernelContext& ctx, int i, DataType dt,
                                          std::vector<int64_t> dims, bool zeroed = false) {
  StagedOutput s;
  KILN_ASSIGN_OR_RETURN(s.out, zeroed ? ctx.OutputZeroed(i, dt, dims) : ctx.Output(i, dt, dims));
  s.buf = IsPacked(dt) ? Tensor(DataType::kUint8, std::move(dims)) : *s.out;
  return s;
}

// Copies n contiguous elements.
template <typename T>
inline void CopyN(T* dst, const T* src, int64_t n) {
  if constexpr (std::is_trivially_copyable_v<T>) {
    if (n > 0) std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(T));
  } else {
    std::copy(src, src + n, dst);
  }
}

// Writes dst (contiguous, row-major over `dims`) from src, reading element (i0, i1, ...) at
// src[sum(ik * strides[k])]. Strides may be zero (broadcast) or negative (reversed reads).
// Dims are coalesced; a transposing inner pair uses a tiled loop.
template <typename T>
void StridedCopy(T* dst, const T* src, const std::vector<int64_t>& dims_in,
                 const std::vector<int64_t>& strides_in) {
  std::vector<int64_t> dims, strides;
  for (size_t i = 0; i < dims_in.size(); ++i) {
    if (dims_in[i] == 0) return;
    if (dims_in[i] == 1) continue;
    if (!dims.empty() && strides.back() == strides_in[i] * dims_in[i]) {
      dims.back() *= dims_in[i];
      strides.back() = strides_in[i];
    } else {
      dims.push_back(dims_in[i]);
      strides.push_back(strides_in[i]);
    }
  }
  const int rank = static_cast<int>(dims.size());
  if (rank == 0) {
    dst[0] = src[0];
    return;
  }
  const int64_t n = dims[rank - 1];
  const int64_t s = strides[rank - 1];
  // Tiled transpose of the inner pair when the outer of the two reads contiguously.
  const bool tiled = rank >= 2 && s != 1 && strides[rank - 2] == 1 && dims[rank - 2] >= 8 && n >= 8;
  const int outer_rank = tiled ? rank - 2 : rank - 1;
  int64_t outer = 1;
  for (int d = 0; d < outer_rank; ++d) outer *= dims[d];
  std::vector<int64_t> idx(std::max(outer_rank, 1), 0);
  const T* base = src;
  for (int64_t o = 0; o < outer; ++o) {
    if (tiled) {
      const int64_t rows = dims[rank - 2];
      constexpr int64_t kTile = 16;
      for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
        const int64_t r1 = std::min(rows, r0 + kTile);
        for (int64_t c0 = 0; c0 < n; c0 += kTile) {
          const int64_t c1 = std::min(n, c0 + kTile);
          for (int64_t r = r0; r < r1; ++r) {
            T* d = dst + r * n;
            const T* p = base + r;
            for (int64_t c = c0; c < c1; ++c) d[c] = p[c * s];
          }
        }
      }
      dst += rows * n;
    } else if (s == 1) {
      CopyN(dst, base, n);
      dst += n;
    } else {
      for (int64_t j = 0; j < n; ++j) dst[j] = base[j * s];
      dst += n;
    }
    for (int d = outer_rank - 1; d >= 0; --d) {
      base += strides[d];
      if (++idx[d] < dims[d]) break;
      base -= strides[d] * dims[d];
      idx[d] = 0;
    }
  }
}

// Copies a region: dst[sum(i*dst_strides)] = src[sum(i*src_strides)] over `dims`, the innermost
// dimension contiguous in both.
template <typename T>
void CopyRegion(T* dst, const std::vector<int64_t>& dst_strides, const T* src,
                const std::vector<int64_t>& src_strides, const std::vector<int64_t>& dims) {
  const int rank = static_cast<int>(dims.size());
  for (int64_t d : dims) {
    if (d == 0) return;
  }
  if (rank == 0) {
    dst[0] = src[0];
    return;
  }
  const int64_t n = dims[rank - 1];
  int64_t outer = 1;
  for (int d = 0; d < rank - 1; ++d) outer *= dims[d];
  std::vector<int64_t> idx(rank, 0);
  for (int64_t o = 0; o < outer; ++o) {
    CopyN(dst, src, n);
    for (int d = rank - 2; d >= 0; --d) {
      dst += dst_strides[d];
      src += src_strides[d];
      if (++idx[d] < dims[d]) break;
      dst -= dst_strides[d] * dims[d];
      src -= src_strides[d] * dims[d];
      idx[d] = 0;
    }
  }
}

// Allocates output `i` of x's type with `out_dims` and fills it by StridedCopy from x's element
// `offset` over `iter_dims` / `strides` (same element count as out_dims). Handles every element
// type, packed ones included.
inline Status EmitStrided(KernelContext& ctx, int i, const Tensor& x, int64_t offset,
                          const std::vector<int64_t>& out_dims,
                          const std::vector<int64_t>& iter_dims,
                          const std::vector<int64_t>& strides) {
  const Tensor in = UnpackedView(x);
  KILN_ASSIGN_OR_RETURN(StagedOutput y, StageOutput(ctx, i, x.dtype(), out_dims));
  bool ok = DispatchCopy(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (y.buf.numel() > 0) StridedCopy(y.buf.data<T>(), in.data<T>() + offset, iter_dims, strides);
  });
  if (!ok) {
    return ctx.Unsupported(std::string("element type ") + DataTypeName(x.dtype()) +
                           " is not supported");
  }
  y.Finish();
  return Status::Ok();
}

// Reads an integer tensor (int32 or int64; other integer types too) as int64 values.
inline StatusOr<std::vector<int64_t>> ReadInts(const KernelContext& ctx, const Tensor& t,
                                               const char* what) {
  std::vector<int64_t> v(static_cast<size_t>(t.numel()));
  bool ok = Dispatch<KILN_INT_TYPES>(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) v[i] = static_cast<int64_t>(p[i]);
  });
  if (!ok) {
    return ctx.InvalidArgument(std::string(what) + " must be an integer tensor, got " +
                               t.TypeString());
  }
  return v;
}

// Normalizes axes against `rank`, rejecting out-of-range and repeated axes.
inline StatusOr<std::vector<int>> NormalizeAxes(const KernelContext& ctx,
                                                const std::vector<int64_t>& axes, int rank) {
  std::vector<int> out;
  std::vector<bool> seen(rank, false);
  for (int64_t a : axes) {
    if (a < -rank || a >= rank) {
      return ctx.InvalidArgument("axis " + std::to_string(a) + " is out of range for rank " +
                                 std::to_string(rank));
    }
    int n = static_cast<int>(a < 0 ? a + rank : a);
    if (seen[n]) return ctx.InvalidArgument("axis " + std::to_string(a) + " is repeated");
    seen[n] = true;
    out.push_back(n);
  }
  return out;
}

// An "unsupported element type" error for a tensor.
inline Status UnsupportedType(const KernelContext& ctx, const Tensor& t) {
  return ctx.Unsupported(std::string("element type ") + DataTypeName(t.dtype()) +
                         " is not supported");
}

}  // namespace kiln::ops
