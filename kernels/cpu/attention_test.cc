#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/cpu/kernel_test_util.h"

namespace kiln {
namespace {

using test::RunErr;
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

}  // namespace
}  // namespace kiln
