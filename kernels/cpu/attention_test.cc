#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernels/cpu/kernel_test_util.h"

namespace kiln {
namespace {

using test::RunErr;
using test::Run1;
using test::RunN;
using test::T_;
using test::Values;

// Q/K of zeros give uniform attention: Y is the mean of the visible V rows.
TEST(AttentionKernelTest, UniformScoresAverageValues) {
  Tensor q = T_<float>({0, 0, 0, 0}, {1, 1, 2, 2});
  Tensor k = T_<float>({0, 0, 0, 0, 0, 0}, {1, 1, 3, 2});
  Tensor v = T_<float>({1, 2, 3, 4, 5, 6}, {1, 1, 3, 2});
  auto out = RunN("Attention", 23, {q, k, v}, {}, 1);
  auto y = Values<float>(out[0].tensor);
  ASSERT_EQ(y.size(), 4u);
  EXPECT_NEAR(y[0], 3, 1e-5);
  EXPECT_NEAR(y[1], 4, 1e-5);
}

TEST(AttentionKernelTest, CausalMasksFutureKeys) {
  Tensor q = T_<float>({0, 0, 0, 0}, {1, 1, 2, 2});
  Tensor k = T_<float>({0, 0, 0, 0}, {1, 1, 2, 2});
  Tensor v = T_<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  auto out = RunN("Attention", 23, {q, k, v}, {IntAttr("is_causal", 1)}, 1);
  auto y = Values<float>(out[0].tensor);
  EXPECT_NEAR(y[0], 1, 1e-6);  // query 0 sees key 0 only
  EXPECT_NEAR(y[2], 2, 1e-6);
}

TEST(AttentionKernelTest, FullyMaskedRowIsZero) {
  Tensor q = T_<float>({1, 1}, {1, 1, 1, 2});
  Tensor k = T_<float>({1, 1, 1, 1}, {1, 1, 2, 2});
  Tensor v = T_<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  Tensor mask = T_<bool>({false, false}, {1, 2});
  auto out = RunN("Attention", 23, {q, k, v, mask}, {IntAttr("qk_matmul_output_mode", 3)}, 4);
  for (float e : Values<float>(out[0].tensor)) EXPECT_EQ(e, 0);
  for (float e : Values<float>(out[3].tensor)) EXPECT_EQ(e, 0);
}

TEST(AttentionKernelTest, ThreeDGqaWithPastAndPresent) {
  // B=1, Sq=1, Hq=2, Hkv=1, D=1; one past position.
  Tensor q = T_<float>({0, 0}, {1, 1, 2});
  Tensor k = T_<float>({0}, {1, 1, 1});
  Tensor v = T_<float>({5}, {1, 1, 1});
  Tensor pk = T_<float>({0}, {1, 1, 1, 1});
  Tensor pv = T_<float>({1}, {1, 1, 1, 1});
  auto out = RunN("Attention", 23, {q, k, v, Tensor(), pk, pv},
                  {IntAttr("q_num_heads", 2), IntAttr("kv_num_heads", 1)}, 3);
  EXPECT_EQ(out[0].tensor.dims(), (std::vector<int64_t>{1, 1, 2}));
  auto y = Values<float>(out[0].tensor);
  EXPECT_NEAR(y[0], 3, 1e-6);
  EXPECT_NEAR(y[1], 3, 1e-6);
  EXPECT_EQ(out[1].tensor.dims(), (std::vector<int64_t>{1, 1, 2, 1}));
  EXPECT_EQ(Values<float>(out[2].tensor), (std::vector<float>{1, 5}));
}

TEST(AttentionKernelTest, NonpadKvSeqlenMasksPadding) {
  Tensor q = T_<float>({0, 0}, {1, 1, 1, 2});
  Tensor k = T_<float>({0, 0, 0, 0, 0, 0}, {1, 1, 3, 2});
  Tensor v = T_<float>({1, 1, 3, 3, 100, 100}, {1, 1, 3, 2});
  Tensor nonpad = test::I64({2});
  auto out = RunN("Attention", 24, {q, k, v, Tensor(), Tensor(), Tensor(), nonpad},
                  {IntAttr("is_causal", 1)}, 1);
  auto y = Values<float>(out[0].tensor);
  EXPECT_NEAR(y[0], 2, 1e-6);  // offset 1: keys 0 and 1 visible
}

TEST(AttentionKernelTest, Errors) {
  Tensor q = T_<float>({0, 0}, {1, 1, 2});
  Tensor k = T_<float>({0, 0}, {1, 1, 2});
  // 3-D without head counts.
  EXPECT_FALSE(RunErr("Attention", 23, {q, k, k}).ok());
  // Heads not dividing.
  Tensor q4 = T_<float>({0, 0, 0}, {1, 3, 1, 1});
  Tensor k4 = T_<float>({0, 0}, {1, 2, 1, 1});
  EXPECT_FALSE(RunErr("Attention", 23, {q4, k4, k4}).ok());
  // Mismatched ranks.
  EXPECT_FALSE(RunErr("Attention", 23, {q4, k, k}).ok());
}

// The float fast path (no caches or optional outputs) against a straightforward double reference.
// 4-D Q [B, H, S, D], K [B, Hkv, T, D], V [B, Hkv, T, Dv]; mask right-aligned to [B, H, S, T].
struct RefCase {
  int64_t B = 2, H = 3, Hkv = 3, S = 5, T = 7, D = 4, Dv = 6;
  std::vector<int64_t> mask_dims;  // empty: no mask
  bool has_scale = false;
  float scale = 0;
  bool causal = false;
};

std::vector<float> RandomFloats(size_t n, std::mt19937* rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& e : v) e = dist(*rng);
  return v;
}

// Y[b, h, i, :] = sum_j softmax_j(scale * q.k_j + mask + causal) v_j; a row masked everywhere
// gives zeros.
std::vector<float> ReferenceAttention(const RefCase& c, const std::vector<float>& q,
                                      const std::vector<float>& k, const std::vector<float>& v,
                                      const std::vector<float>& mask) {
  const double inf = std::numeric_limits<double>::infinity();
  const double scale = c.has_scale ? c.scale : 1.0 / std::sqrt(static_cast<double>(c.D));
  // Mask strides over (b, h, i, j), 0 on broadcast or missing axes.
  int64_t ms[4] = {0, 0, 0, 0};
  const int mr = static_cast<int>(c.mask_dims.size());
  int64_t stride = 1;
  for (int ax = mr - 1; ax >= 0; --ax) {
    ms[4 - mr + ax] = c.mask_dims[ax] == 1 ? 0 : stride;
    stride *= c.mask_dims[ax];
  }
  std::vector<float> y(c.B * c.H * c.S * c.Dv, 0.0f);
  std::vector<double> w(c.T);
  for (int64_t b = 0; b < c.B; ++b) {
    for (int64_t h = 0; h < c.H; ++h) {
      const int64_t hk = h / (c.H / c.Hkv);
      for (int64_t i = 0; i < c.S; ++i) {
        double mx = -inf;
        for (int64_t j = 0; j < c.T; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < c.D; ++d) {
            dot += static_cast<double>(q[((b * c.H + h) * c.S + i) * c.D + d]) *
                   k[((b * c.Hkv + hk) * c.T + j) * c.D + d];
          }
          double bias = mr ? mask[b * ms[0] + h * ms[1] + i * ms[2] + j * ms[3]] : 0.0;
          if (c.causal && j > i) bias = -inf;
          w[j] = dot * scale + bias;
          mx = std::max(mx, w[j]);
        }
        if (mx == -inf) continue;  // fully masked: zeros
        double sum = 0;
        for (int64_t j = 0; j < c.T; ++j) sum += (w[j] = std::exp(w[j] - mx));
        for (int64_t d = 0; d < c.Dv; ++d) {
          double acc = 0;
          for (int64_t j = 0; j < c.T; ++j) {
            acc += w[j] / sum * v[((b * c.Hkv + hk) * c.T + j) * c.Dv + d];
          }
          y[((b * c.H + h) * c.S + i) * c.Dv + d] = static_cast<float>(acc);
        }
      }
    }
  }
  return y;
}

// Runs the case through the kernel (fast path: Y only) and through the general path (all four
// outputs requested) and checks both against the reference. `masked_row` (b, i) gets -inf in
// every mask entry that row reads.
void CheckAgainstReference(const RefCase& c, int masked_row_b = -1, int masked_row_i = -1) {
  std::mt19937 rng(1234);
  std::vector<float> q = RandomFloats(c.B * c.H * c.S * c.D, &rng);
  std::vector<float> k = RandomFloats(c.B * c.Hkv * c.T * c.D, &rng);
  std::vector<float> v = RandomFloats(c.B * c.Hkv * c.T * c.Dv, &rng);
  std::vector<Tensor> in = {T_<float>(q, {c.B, c.H, c.S, c.D}),
                            T_<float>(k, {c.B, c.Hkv, c.T, c.D}),
                            T_<float>(v, {c.B, c.Hkv, c.T, c.Dv})};
  std::vector<float> mask;
  if (!c.mask_dims.empty()) {
    int64_t n = 1;
    for (int64_t d : c.mask_dims) n *= d;
    mask = RandomFloats(n, &rng);
    if (masked_row_i >= 0) {
      // Every entry row (b, i) reads, for any head.
      const int mr = static_cast<int>(c.mask_dims.size());
      const int64_t full[4] = {c.B, c.H, c.S, c.T};
      for (int64_t idx = 0; idx < n; ++idx) {
        int64_t rem = idx, coord[4] = {0, 0, 0, 0};
        for (int ax = mr - 1; ax >= 0; --ax) {
          coord[4 - mr + ax] = rem % c.mask_dims[ax];
          rem /= c.mask_dims[ax];
        }
        const bool b_hit =
            c.mask_dims.size() < 4 || full[0] != c.mask_dims[0] || coord[0] == masked_row_b;
        const bool i_hit = mr < 2 || c.mask_dims[mr - 2] == 1 || coord[2] == masked_row_i;
        if (b_hit && i_hit) mask[idx] = -std::numeric_limits<float>::infinity();
      }
    }
    in.push_back(T_<float>(mask, c.mask_dims));
  }
  std::vector<Attribute> attrs;
  if (c.has_scale) attrs.push_back(FloatAttr("scale", c.scale));
  if (c.causal) attrs.push_back(IntAttr("is_causal", 1));
  const std::vector<float> want = ReferenceAttention(c, q, k, v, mask);

  auto fast = RunN("Attention", 23, in, attrs, 1);
  auto general = RunN("Attention", 23, in, attrs, 4);
  ASSERT_EQ(fast[0].tensor.dims(), (std::vector<int64_t>{c.B, c.H, c.S, c.Dv}));
  const std::vector<float> yf = Values<float>(fast[0].tensor);
  const std::vector<float> yg = Values<float>(general[0].tensor);
  ASSERT_EQ(yf.size(), want.size());
  ASSERT_EQ(yg.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(yf[i], want[i], 1e-5) << "fast, element " << i;
    EXPECT_NEAR(yg[i], want[i], 1e-5) << "general, element " << i;
  }
  if (masked_row_i >= 0) {
    for (int64_t h = 0; h < c.H; ++h) {
      for (int64_t d = 0; d < c.Dv; ++d) {
        EXPECT_EQ(yf[((masked_row_b * c.H + h) * c.S + masked_row_i) * c.Dv + d], 0.0f);
      }
    }
  }
}

TEST(AttentionFastPathTest, NoMask) {
  RefCase c;
  CheckAgainstReference(c);
  c.has_scale = true;
  c.scale = 0.3f;
  CheckAgainstReference(c);
}

TEST(AttentionFastPathTest, MaskShapes) {
  const RefCase base;
  const std::vector<std::vector<int64_t>> shapes = {
      {base.T}, {base.S, base.T}, {base.B, 1, 1, base.T}, {base.B, base.H, base.S, base.T}};
  for (const auto& dims : shapes) {
    for (bool has_scale : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "mask rank " << dims.size() << " scale " << has_scale);
      RefCase c;
      c.mask_dims = dims;
      c.has_scale = has_scale;
      c.scale = 0.7f;
      CheckAgainstReference(c);
    }
  }
}

TEST(AttentionFastPathTest, FullyMaskedRowIsZero) {
  const RefCase base;
  // [S, T] and [B, H, S, T] masks hide one query row; [T] and [B, 1, 1, T] hide every row of
  // what they cover.
  for (const auto& dims : std::vector<std::vector<int64_t>>{
           {base.S, base.T}, {base.B, base.H, base.S, base.T}, {base.B, 1, 1, base.T}, {base.T}}) {
    SCOPED_TRACE(::testing::Message() << "mask rank " << dims.size());
    RefCase c;
    c.mask_dims = dims;
    CheckAgainstReference(c, /*masked_row_b=*/1, /*masked_row_i=*/2);
  }
}

TEST(AttentionFastPathTest, CausalAndGroupedHeads) {
  RefCase c;
  c.causal = true;
  CheckAgainstReference(c);
  c.mask_dims = {c.B, 1, 1, c.T};
  CheckAgainstReference(c);
  c.H = 6;  // two query heads per kv head
  c.mask_dims = {c.B, c.H, c.S, c.T};
  CheckAgainstReference(c);
  c.causal = false;
  c.S = 9;  // more queries than keys
  c.mask_dims = {c.S, c.T};
  CheckAgainstReference(c);
}

// 3-D [B, S, heads * head] inputs give the transposes of the 4-D results.
TEST(AttentionFastPathTest, ThreeDMatchesFourD) {
  const int64_t B = 2, H = 2, Hkv = 1, S = 3, T = 4, D = 2, Dv = 3;
  std::mt19937 rng(7);
  std::vector<float> q = RandomFloats(B * H * S * D, &rng);
  std::vector<float> k = RandomFloats(B * Hkv * T * D, &rng);
  std::vector<float> v = RandomFloats(B * Hkv * T * Dv, &rng);
  // [B, H, L, E] -> [B, L, H * E]
  auto to3 = [&](const std::vector<float>& x, int64_t heads, int64_t len, int64_t e) {
    std::vector<float> out(x.size());
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t h = 0; h < heads; ++h) {
        for (int64_t l = 0; l < len; ++l) {
          for (int64_t i = 0; i < e; ++i) {
            out[((b * len + l) * heads + h) * e + i] = x[((b * heads + h) * len + l) * e + i];
          }
        }
      }
    }
    return out;
  };
  // 4-D through the general path (all outputs requested), 3-D through the fast path.
  auto y4 = RunN("Attention", 23,
                 {T_<float>(q, {B, H, S, D}), T_<float>(k, {B, Hkv, T, D}),
                  T_<float>(v, {B, Hkv, T, Dv})},
                 {IntAttr("is_causal", 1)}, 4)[0]
                .tensor;
  auto y3 =
      Run1("Attention", 23,
           {T_<float>(to3(q, H, S, D), {B, S, H * D}), T_<float>(to3(k, Hkv, T, D), {B, T, D}),
            T_<float>(to3(v, Hkv, T, Dv), {B, T, Dv})},
           {IntAttr("is_causal", 1), IntAttr("q_num_heads", H), IntAttr("kv_num_heads", Hkv)});
  ASSERT_EQ(y3.dims(), (std::vector<int64_t>{B, S, H * Dv}));
  const std::vector<float> want = to3(Values<float>(y4), H, S, Dv);
  const std::vector<float> got = Values<float>(y3);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << i;
}

}  // namespace
}  // namespace kiln
