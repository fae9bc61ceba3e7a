#include "kernels/ops/common.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace kiln::ops {
namespace {

// Every (output index -> input offsets) pair ForEachBroadcastRunRange visits, element by element.
struct Visit {
  int64_t out;
  std::array<int64_t, 2> in;
  bool operator==(const Visit& o) const { return out == o.out && in == o.in; }
};

std::vector<Visit> Walk(const std::vector<int64_t>& od, const std::vector<int64_t>& ad,
                        const std::vector<int64_t>& bd, int64_t begin, int64_t end) {
  std::vector<Visit> v;
  ForEachBroadcastRunRange<2>(
      od, {ad, bd}, begin, end,
      [&](int64_t o, const std::array<int64_t, 2>& offs, int64_t n,
          const std::array<int64_t, 2>& st) {
        for (int64_t j = 0; j < n; ++j) {
          v.push_back({o + j, {offs[0] + j * st[0], offs[1] + j * st[1]}});
        }
      });
  return v;
}

// The offsets a multi-index reads, computed directly from the shapes.
std::vector<Visit> Direct(const std::vector<int64_t>& od, const std::vector<int64_t>& ad,
                          const std::vector<int64_t>& bd) {
  const std::vector<int64_t> sa = BroadcastStrides(ad, od), sb = BroadcastStrides(bd, od);
  int64_t total = ProductOfDims(od, 0, static_cast<int>(od.size()));
  std::vector<Visit> v;
  for (int64_t o = 0; o < total; ++o) {
    int64_t rem = o, a = 0, b = 0;
    for (int d = static_cast<int>(od.size()) - 1; d >= 0; --d) {
      const int64_t i = rem % od[d];
      rem /= od[d];
      a += i * sa[d];
      b += i * sb[d];
    }
    v.push_back({o, {a, b}});
  }
  return v;
}

// Split at every pair of cut points, the visits of the pieces are the whole walk's, in order.
TEST(ForEachBroadcastRunRangeTest, PiecesMatchTheDirectOffsets) {
  const std::vector<std::array<std::vector<int64_t>, 3>> cases = {
      {{{2, 3, 4}, {2, 3, 4}, {4}}},
      {{{2, 3, 4}, {2, 1, 4}, {3, 1}}},
      {{{5, 1, 7}, {1}, {5, 1, 7}}},
      {{{3, 4, 5, 2}, {3, 1, 5, 1}, {4, 1, 2}}},
      {{{6}, {6}, {1}}},
      {{{1, 1}, {1}, {1, 1}}},
  };
  for (const auto& c : cases) {
    const std::vector<Visit> want = Direct(c[0], c[1], c[2]);
    const int64_t total = static_cast<int64_t>(want.size());
    EXPECT_EQ(Walk(c[0], c[1], c[2], 0, total), want);
    for (int64_t cut1 = 0; cut1 <= total; ++cut1) {
      for (int64_t cut2 = cut1; cut2 <= total; cut2 += 3) {
        std::vector<Visit> got = Walk(c[0], c[1], c[2], 0, cut1);
        for (const Visit& v : Walk(c[0], c[1], c[2], cut1, cut2)) got.push_back(v);
        for (const Visit& v : Walk(c[0], c[1], c[2], cut2, total)) got.push_back(v);
        ASSERT_EQ(got, want) << "cuts " << cut1 << " " << cut2;
      }
    }
  }
}

}  // namespace
}  // namespace kiln::ops
