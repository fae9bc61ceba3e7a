#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ir/float16.h"
#include "runtime/session.h"
#include "tests/support/single_node.h"

namespace kiln {
namespace {

std::vector<float> Floats(const AnyValue& v) {
  const Tensor& t = v.tensor;
  return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
}

TEST(SoftmaxKernelTest, LastAxisSumsToOne) {
  Tensor x = Tensor::FromVector<float>({1, 2, 3, 1, 1, 1}, {2, 3});
  auto r = RunSingleNode("Softmax", 13, {x}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto y = Floats((*r)[0]);
  EXPECT_NEAR(y[0] + y[1] + y[2], 1.0f, 1e-6);
  EXPECT_NEAR(y[2], std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0)), 1e-6);
  EXPECT_NEAR(y[3], 1.0f / 3, 1e-6);
}

TEST(SoftmaxKernelTest, OldOpsetFlattensAtAxis) {
  // [2, 2, 2] with axis 1: opset 11 normalizes over 4 elements, opset 13 over 2.
  Tensor x = Tensor::FromVector<float>({0, 0, 0, 0, 1, 1, 1, 1}, {2, 2, 2});
  auto r11 = RunSingleNode("Softmax", 11, {x}, {IntAttr("axis", 1)});
  auto r13 = RunSingleNode("Softmax", 13, {x}, {IntAttr("axis", 1)});
  ASSERT_TRUE(r11.ok() && r13.ok());
  EXPECT_NEAR(Floats((*r11)[0])[0], 0.25f, 1e-6);
  EXPECT_NEAR(Floats((*r13)[0])[0], 0.5f, 1e-6);
  // Default axis differs: 1 before 13, -1 from 13.
  auto d11 = RunSingleNode("Softmax", 11, {x}, {});
  ASSERT_TRUE(d11.ok());
  EXPECT_NEAR(Floats((*d11)[0])[0], 0.25f, 1e-6);
}

TEST(SoftmaxKernelTest, MiddleAxisAndNegativeAxis) {
  Tensor x = Tensor::FromVector<float>({0, 1, 2, 3, 4, 5}, {1, 2, 3});
  auto r = RunSingleNode("Softmax", 13, {x}, {IntAttr("axis", -2)});
  ASSERT_TRUE(r.ok());
  auto y = Floats((*r)[0]);
  const float e = 1.0f / (1.0f + std::exp(3.0f));
  EXPECT_NEAR(y[0], e, 1e-6);
  EXPECT_NEAR(y[3], 1 - e, 1e-6);
}

TEST(SoftmaxKernelTest, LogSoftmaxIsStableForLargeInputs) {
  Tensor x = Tensor::FromVector<float>({10000, 10001, 10002}, {1, 3});
  auto r = RunSingleNode("LogSoftmax", 13, {x}, {});
  ASSERT_TRUE(r.ok());
  auto y = Floats((*r)[0]);
  const double lse = std::log(std::exp(-2.0) + std::exp(-1.0) + 1.0);
  EXPECT_NEAR(y[2], -lse, 1e-5);
  EXPECT_NEAR(y[0], -2 - lse, 1e-5);
}

TEST(SoftmaxKernelTest, HardmaxFirstMaximumWins) {
  Tensor x = Tensor::FromVector<float>({3, 1, 3, 0, 2, 2}, {2, 3});
  auto r = RunSingleNode("Hardmax", 13, {x}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Floats((*r)[0]), (std::vector<float>{1, 0, 0, 0, 1, 0}));
  auto c = RunSingleNode("Hardmax", 13, {x}, {IntAttr("axis", 0)});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(Floats((*c)[0]), (std::vector<float>{1, 0, 1, 0, 1, 0}));
}

TEST(SoftmaxKernelTest, Float16AndEmpty) {
  Tensor x(DataType::kFloat16, {2});
  x.data<Float16>()[0] = ToFloat16(0.0f);
  x.data<Float16>()[1] = ToFloat16(0.0f);
  auto r = RunSingleNode("Softmax", 13, {x}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].tensor.dtype(), DataType::kFloat16);
  EXPECT_EQ(ToFloat((*r)[0].tensor.data<Float16>()[1]), 0.5f);
  Tensor e(DataType::kFloat, {0, 3});
  auto re = RunSingleNode("LogSoftmax", 13, {e}, {});
  ASSERT_TRUE(re.ok());
  EXPECT_EQ((*re)[0].tensor.dims(), (std::vector<int64_t>{0, 3}));
}

TEST(SoftmaxKernelTest, Errors) {
  EXPECT_FALSE(RunSingleNode("Softmax", 13, {Tensor::Scalar<float>(1)}, {}).ok());
  Tensor x = Tensor::FromVector<float>({1, 2});
  auto r = RunSingleNode("Softmax", 13, {x}, {IntAttr("axis", 2)});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("axis"), std::string::npos);
  EXPECT_FALSE(RunSingleNode("Softmax", 13, {Tensor::FromVector<int32_t>({1, 2})}, {}).ok());
}

}  // namespace
}  // namespace kiln
