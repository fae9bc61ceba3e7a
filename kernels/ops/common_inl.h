// Template implementations for common.h.
#pragma once

#include <algorithm>
#include <array>
#include <utility>

namespace kiln::ops {

template <size_t N, typename Fn>
void ForEachBroadcastRunRange(const std::vector<int64_t>& out,
                              const std::vector<std::vector<int64_t>>& in_shapes, int64_t begin,
                              int64_t end, Fn&& fn) {
  int64_t total = 1;
  for (int64_t d : out) total *= d;
  if (begin < 0) begin = 0;
  if (end > total) end = total;
  if (begin >= end) return;
  // Per-input strides against the output, then coalesce adjacent dims that stay compatible.
  std::array<std::vector<int64_t>, N> strides;
  for (size_t k = 0; k < N; ++k) strides[k] = BroadcastStrides(in_shapes[k], out);
  std::vector<int64_t> dims;
  std::array<std::vector<int64_t>, N> cs;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 1) continue;
    bool merge = !dims.empty();
    for (size_t k = 0; k < N && merge; ++k) {
      merge = cs[k].back() == strides[k][i] * out[i];
    }
    if (merge) {
      dims.back() *= out[i];
      for (size_t k = 0; k < N; ++k) cs[k].back() = strides[k][i];
    } else {
      dims.push_back(out[i]);
      for (size_t k = 0; k < N; ++k) cs[k].push_back(strides[k][i]);
    }
  }
  std::array<int64_t, N> inner{};
  if (dims.empty()) {
    std::array<int64_t, N> offs{};
    fn(int64_t{0}, offs, int64_t{1}, inner);
    return;
  }
  const int rank = static_cast<int>(dims.size());
  const int64_t n = dims[rank - 1];
  for (size_t k = 0; k < N; ++k) inner[k] = cs[k][rank - 1];
  // The multi-index and input offsets of the run holding `begin`.
  std::vector<int64_t> idx(rank, 0);
  std::array<int64_t, N> offs{};
  int64_t outer = begin / n;
  for (int d = rank - 2; d >= 0 && outer > 0; --d) {
    idx[d] = outer % dims[d];
    outer /= dims[d];
    for (size_t k = 0; k < N; ++k) offs[k] += idx[d] * cs[k][d];
  }
  int64_t j0 = begin % n;
  for (int64_t o = begin - j0; o < end; o += n) {
    const int64_t len = std::min(n, end - o) - j0;
    std::array<int64_t, N> at = offs;
    for (size_t k = 0; k < N; ++k) at[k] += j0 * inner[k];
    fn(o + j0, at, len, inner);
    j0 = 0;
    for (int d = rank - 2; d >= 0; --d) {
      ++idx[d];
      for (size_t k = 0; k < N; ++k) offs[k] += cs[k][d];
      if (idx[d] < dims[d]) break;
      for (size_t k = 0; k < N; ++k) offs[k] -= cs[k][d] * dims[d];
      idx[d] = 0;
    }
  }
}

template <size_t N, typename Fn>
void ForEachBroadcastRun(const std::vector<int64_t>& out,
                         const std::vector<std::vector<int64_t>>& in_shapes, Fn&& fn) {
  int64_t total = 1;
  for (int64_t d : out) total *= d;
  ForEachBroadcastRunRange<N>(out, in_shapes, 0, total, std::forward<Fn>(fn));
}

}  // namespace kiln::ops
