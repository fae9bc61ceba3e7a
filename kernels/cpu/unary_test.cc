#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ir/float16.h"
#include "kernels/cpu/kernel_test_util.h"
#include "runtime/session.h"

namespace kiln {
namespace {

using namespace ::kiln::test;  // NOLINT

TEST(UnaryKernels, ReluKeepsNanAndHandlesInts) {
  std::vector<float> v = Values<float>(Run1("Relu", 14, {T_<float>({-1, 2, NAN}, {3})}));
  EXPECT_EQ(v[0], 0);
  EXPECT_EQ(v[1], 2);
  EXPECT_TRUE(std::isnan(v[2]));
  EXPECT_EQ(Values<int8_t>(Run1("Relu", 14, {T_<int8_t>({-5, 7}, {2})})),
            (std::vector<int8_t>{0, 7}));
}

TEST(UnaryKernels, EmptyAndScalar) {
  Tensor out = Run1("Exp", 13, {T_<float>({}, {2, 0})});
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{2, 0}));
  out = Run1("Neg", 13, {Tensor::Scalar<int32_t>(std::numeric_limits<int32_t>::min())});
  EXPECT_EQ(out.rank(), 0);
  EXPECT_EQ(out.data<int32_t>()[0], std::numeric_limits<int32_t>::min());
}

TEST(UnaryKernels, VectorisedMathMatchesStd) {
  std::vector<float> x(1000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = -10.0f + 0.02f * static_cast<float>(i);
  Tensor in = T_<float>(x, {1000});
  std::vector<float> e = Values<float>(Run1("Exp", 13, {in}));
  std::vector<float> t = Values<float>(Run1("Tanh", 13, {in}));
  std::vector<float> s = Values<float>(Run1("Sigmoid", 13, {in}));
  std::vector<float> f = Values<float>(Run1("Erf", 13, {in}));
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR(e[i], std::exp(x[i]), 1e-5f * std::exp(x[i]));
    EXPECT_NEAR(t[i], std::tanh(x[i]), 1e-6f);
    EXPECT_NEAR(s[i], 1.0f / (1.0f + std::exp(-x[i])), 1e-6f);
    EXPECT_NEAR(f[i], std::erf(x[i]), 1e-6f);
  }
}

TEST(UnaryKernels, RoundHalfToEvenAndSign) {
  EXPECT_EQ(Values<float>(Run1("Round", 11, {T_<float>({0.5f, 1.5f, 2.5f, -2.5f, -0.4f}, {5})})),
            (std::vector<float>{0, 2, 2, -2, -0.0f}));
  EXPECT_EQ(Values<int32_t>(Run1("Sign", 13, {T_<int32_t>({-7, 0, 9}, {3})})),
            (std::vector<int32_t>{-1, 0, 1}));
  EXPECT_EQ(Values<uint8_t>(Run1("Abs", 13, {T_<uint8_t>({200}, {1})})),
            (std::vector<uint8_t>{200}));
}

TEST(UnaryKernels, Float16ComputesInFloat) {
  Tensor h(DataType::kFloat16, {2});
  h.data<Float16>()[0] = ToFloat16(4.0f);
  h.data<Float16>()[1] = ToFloat16(0.25f);
  Tensor out = Run1("Sqrt", 13, {h});
  EXPECT_EQ(ToFloat(out.data<Float16>()[0]), 2.0f);
  EXPECT_EQ(ToFloat(out.data<Float16>()[1]), 0.5f);
}

TEST(UnaryKernels, UnsupportedTypeIsAnError) {
  auto r = RunSingleNode("Sqrt", 13, {T_<int32_t>({4}, {1})}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("int32"), std::string::npos);
}

TEST(UnaryKernels, ClipAttributesAndInputs) {
  Tensor x = T_<float>({-3, 0, 3, NAN}, {4});
  std::vector<float> v = Values<float>(
      Run1("Clip", 6, {x}, {FloatAttr("min", -1.0f), FloatAttr("max", 1.0f)}));
  EXPECT_EQ(v[0], -1);
  EXPECT_EQ(v[2], 1);
  EXPECT_TRUE(std::isnan(v[3]));
  // Opset 11+: min omitted, max given.
  v = Values<float>(Run1("Clip", 13, {x, Tensor(), Tensor::Scalar<float>(2.0f)}));
  EXPECT_EQ(v[0], -3);
  EXPECT_EQ(v[2], 2);
  // min > max gives max.
  EXPECT_EQ(Values<int8_t>(Run1("Clip", 13, {T_<int8_t>({-100, 0, 100}, {3}),
                                             Tensor::Scalar<int8_t>(5),
                                             Tensor::Scalar<int8_t>(1)})),
            (std::vector<int8_t>{1, 1, 1}));
  EXPECT_FALSE(RunSingleNode("Clip", 13, {x, T_<float>({0, 1}, {2})}, {}).ok());
}

TEST(UnaryKernels, IsInfIsNaN) {
  Tensor x = T_<float>({INFINITY, -INFINITY, NAN, 1.0f}, {4});
  EXPECT_EQ(Values<bool>(Run1("IsInf", 20, {x})), (std::vector<bool>{true, true, false, false}));
  EXPECT_EQ(Values<bool>(Run1("IsInf", 20, {x}, {IntAttr("detect_negative", 0)})),
            (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(Values<bool>(Run1("IsNaN", 20, {x})), (std::vector<bool>{false, false, true, false}));
  Tensor f8(DataType::kFloat8E5M2, {3});
  f8.data<Float8E5M2>()[0].bits = 0x7c;  // +inf
  f8.data<Float8E5M2>()[1].bits = 0x7f;  // nan
  f8.data<Float8E5M2>()[2].bits = 0x3c;  // 1.0
  EXPECT_EQ(Values<bool>(Run1("IsInf", 20, {f8})), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(Values<bool>(Run1("IsNaN", 20, {f8})), (std::vector<bool>{false, true, false}));
}

TEST(UnaryKernels, ActivationsWithAttributes) {
  Tensor x = T_<float>({-1, 0, 1}, {3});
  std::vector<float> g = Values<float>(Run1("Gelu", 20, {x}));
  EXPECT_NEAR(g[0], -0.158655f, 1e-5f);
  EXPECT_NEAR(g[2], 0.841345f, 1e-5f);
  g = Values<float>(Run1("Gelu", 20, {x}, {StringAttr("approximate", "tanh")}));
  EXPECT_NEAR(g[2], 0.841192f, 1e-5f);
  EXPECT_FALSE(RunSingleNode("Gelu", 20, {x}, {StringAttr("approximate", "fast")}).ok());
  EXPECT_EQ(Values<float>(Run1("LeakyRelu", 16, {x}, {FloatAttr("alpha", 0.5f)})),
            (std::vector<float>{-0.5f, 0, 1}));
  EXPECT_EQ(Values<float>(Run1("ThresholdedRelu", 10, {T_<float>({1, 2}, {2})})),
            (std::vector<float>{0, 2}));
  EXPECT_EQ(Values<float>(Run1("Shrink", 9, {T_<float>({-2, 0.2f, 2}, {3})},
                               {FloatAttr("lambd", 1.0f), FloatAttr("bias", 0.5f)})),
            (std::vector<float>{-1.5f, 0, 1.5f}));
  std::vector<float> sp = Values<float>(Run1("Softplus", 1, {T_<float>({100, -100, 0}, {3})}));
  EXPECT_EQ(sp[0], 100);
  EXPECT_NEAR(sp[1], 0, 1e-30f);
  EXPECT_NEAR(sp[2], std::log(2.0f), 1e-6f);
  std::vector<float> sw = Values<float>(Run1("Swish", 24, {x}, {FloatAttr("alpha", 2.0f)}));
  EXPECT_NEAR(sw[2], 1.0f / (1.0f + std::exp(-2.0f)), 1e-6f);
  EXPECT_EQ(Values<bool>(Run1("Not", 1, {T_<bool>({true, false}, {2})})),
            (std::vector<bool>{false, true}));
  EXPECT_EQ(Values<uint8_t>(Run1("BitwiseNot", 18, {T_<uint8_t>({0x0f}, {1})})),
            (std::vector<uint8_t>{0xf0}));
}

}  // namespace
}  // namespace kiln
