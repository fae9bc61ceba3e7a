#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kernels/cpu/kernel_test_util.h"
#include "runtime/session.h"

namespace kiln {
namespace {

using ::kiln::test::Values;

Tensor F(std::vector<float> v, std::vector<int64_t> dims) {
  return Tensor::FromVector<float>(v, std::move(dims));
}

// One hidden unit, W = R = 1, Relu: h_t = relu(x_t + h_{t-1}).
TEST(RnnKernelTest, SimpleReluForward) {
  auto r = RunSingleNode("RNN", 22, {F({1, 2}, {2, 1, 1}), F({1}, {1, 1, 1}), F({1}, {1, 1, 1})},
                         {IntAttr("hidden_size", 1), StringsAttr("activations", {"Relu"})}, 2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{2, 1, 1, 1}));
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1, 3}));
  EXPECT_EQ(Values<float>((*r)[1]), (std::vector<float>{3}));
}

// Batch of 2 with lengths {2, 1}: steps past a length are zero, Y_h holds the last valid step.
TEST(RnnKernelTest, SequenceLensBidirectional) {
  Tensor x = F({1, 5, 2, 7}, {2, 2, 1});  // [seq, batch, 1]
  Tensor w = F({1, 1}, {2, 1, 1});
  Tensor lens = Tensor::FromVector<int32_t>({2, 1});
  auto r = RunSingleNode("RNN", 14, {x, w, w, Tensor(), lens},
                         {StringsAttr("activations", {"Relu", "Relu"}),
                          StringAttr("direction", "bidirectional")},
                         2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Y [seq, dir, batch, 1]: forward {1, 5 | 3, 0}, reverse {3, 5 | 2, 0}.
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1, 5, 3, 5, 3, 0, 2, 0}));
  EXPECT_EQ(Values<float>((*r)[1]), (std::vector<float>{3, 5, 3, 5}));
}

TEST(RnnKernelTest, LayoutOneAndDouble) {
  // X [batch=1, seq=2, 1]; default Tanh.
  Tensor x = Tensor::FromVector<double>({0.5, -0.25}, {1, 2, 1});
  Tensor w = Tensor::FromVector<double>({1}, {1, 1, 1});
  auto r = RunSingleNode("RNN", 22, {x, w, w}, {IntAttr("layout", 1)}, 2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const double h1 = std::tanh(0.5), h2 = std::tanh(-0.25 + h1);
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{1, 2, 1, 1}));
  auto y = Values<double>((*r)[0]);
  EXPECT_NEAR(y[0], h1, 1e-12);
  EXPECT_NEAR(y[1], h2, 1e-12);
  EXPECT_EQ((*r)[1].tensor.dims(), (std::vector<int64_t>{1, 1, 1}));
}

// Zero weights: z = 0.5, candidate = 0, so H = 0.5 * H_prev.
TEST(GruKernelTest, InitialHDecays) {
  Tensor x = F({0, 0}, {2, 1, 1});
  Tensor w = F({0, 0, 0}, {1, 3, 1});
  Tensor h0 = F({2}, {1, 1, 1});
  for (int lbr = 0; lbr < 2; ++lbr) {
    auto r = RunSingleNode("GRU", 22, {x, w, w, Tensor(), Tensor(), h0},
                           {IntAttr("hidden_size", 1), IntAttr("linear_before_reset", lbr)}, 2);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1, 0.5f}));
    EXPECT_EQ(Values<float>((*r)[1]), (std::vector<float>{0.5f}));
  }
}

// Zero weights: gates 0.5, candidate 0: C = 0.5 * C_prev, H = 0.5 * tanh(C).
TEST(LstmKernelTest, InitialCAndYc) {
  Tensor x = F({0}, {1, 1, 1});
  Tensor w = F({0, 0, 0, 0}, {1, 4, 1});
  Tensor c0 = F({2}, {1, 1, 1});
  auto r = RunSingleNode("LSTM", 22, {x, w, w, Tensor(), Tensor(), Tensor(), c0},
                         {IntAttr("hidden_size", 1)}, 3);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NEAR(Values<float>((*r)[1])[0], 0.5f * std::tanh(1.0f), 1e-6);
  EXPECT_NEAR(Values<float>((*r)[2])[0], 1.0f, 1e-6);
  // input_forget: f = 1 - i = 0.5 as well; peepholes with zero C_prev change nothing for i, f.
  auto r2 = RunSingleNode("LSTM", 22, {x, w, w, Tensor(), Tensor(), Tensor(), c0},
                          {IntAttr("hidden_size", 1), IntAttr("input_forget", 1)}, 3);
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_NEAR(Values<float>((*r2)[2])[0], 1.0f, 1e-6);
}

TEST(RnnKernelTest, Errors) {
  Tensor x = F({1, 2}, {2, 1, 1});
  Tensor w = F({1}, {1, 1, 1});
  EXPECT_FALSE(RunSingleNode("RNN", 22, {x, w, w}, {StringAttr("direction", "sideways")}).ok());
  EXPECT_FALSE(RunSingleNode("RNN", 22, {x, w, w}, {StringsAttr("activations", {"Nope"})}).ok());
  Tensor bad_w = F({1, 1}, {1, 1, 2});  // input size 2 vs X's 1
  EXPECT_FALSE(RunSingleNode("RNN", 22, {x, bad_w, w}, {}).ok());
  Tensor lens = Tensor::FromVector<int32_t>({3});  // longer than seq_length
  EXPECT_FALSE(RunSingleNode("RNN", 22, {x, w, w, Tensor(), lens}, {}).ok());
  Tensor xi = Tensor::FromVector<int32_t>({1, 2}, {2, 1, 1});
  EXPECT_FALSE(RunSingleNode("RNN", 22, {xi, w, w}, {}).ok());
}

}  // namespace
}  // namespace kiln
