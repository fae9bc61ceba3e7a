#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "runtime/session.h"
#include "tests/support/single_node.h"

namespace kiln {
namespace {

std::vector<float> Floats(const AnyValue& v) {
  const Tensor& t = v.tensor;
  return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
}

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want, float tol = 1e-5f) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

Tensor F(std::vector<float> v, std::vector<int64_t> dims) {
  return Tensor::FromVector<float>(v, std::move(dims));
}

TEST(BatchNormKernelTest, Inference) {
  Tensor x = F({1, 2, 3, 4}, {1, 2, 2});
  Tensor scale = F({1, 2}, {2}), bias = F({0, 1}, {2}), mean = F({1, 3}, {2}), var = F({4, 1}, {2});
  auto r = RunSingleNode("BatchNormalization", 15, {x, scale, bias, mean, var},
                         {FloatAttr("epsilon", 0)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectNear(Floats((*r)[0]), {0, 0.5f, 1, 3});
  auto r7 = RunSingleNode("BatchNormalization", 7, {x, scale, bias, mean, var},
                          {FloatAttr("epsilon", 0)});
  ASSERT_TRUE(r7.ok()) << r7.status().ToString();
  ExpectNear(Floats((*r7)[0]), {0, 0.5f, 1, 3});
}

TEST(BatchNormKernelTest, TrainingModeOutputsRunningStats) {
  Tensor x = F({1, 3, 10, 20}, {2, 2, 1});  // channel 0: {1, 10}, channel 1: {3, 20}
  Tensor scale = F({1, 1}, {2}), bias = F({0, 0}, {2}), mean = F({0, 0}, {2}), var = F({1, 1}, {2});
  auto r = RunSingleNode(
      "BatchNormalization", 15, {x, scale, bias, mean, var},
      {IntAttr("training_mode", 1), FloatAttr("epsilon", 0), FloatAttr("momentum", 0.5f)}, 3);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectNear(Floats((*r)[0]), {-1, -1, 1, 1});
  ExpectNear(Floats((*r)[1]), {2.75f, 5.75f});  // 0.5 * 0 + 0.5 * mean
  ExpectNear(Floats((*r)[2]), {0.5f + 0.5f * 20.25f, 0.5f + 0.5f * 72.25f});
}

TEST(BatchNormKernelTest, BadParameterShape) {
  Tensor x = F({1, 2, 3, 4}, {1, 2, 2});
  Tensor p3 = F({1, 1, 1}, {3}), p2 = F({1, 1}, {2});
  auto r = RunSingleNode("BatchNormalization", 15, {x, p3, p2, p2, p2}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("scale"), std::string::npos);
  EXPECT_FALSE(RunSingleNode("BatchNormalization", 15, {F({1}, {1}), p2, p2, p2, p2}, {}).ok());
}

TEST(InstanceNormKernelTest, PerChannel) {
  Tensor x = F({1, 3, 5, 7}, {1, 2, 2});
  auto r = RunSingleNode("InstanceNormalization", 22, {x, F({1, 2}, {2}), F({0, 1}, {2})},
                         {FloatAttr("epsilon", 0)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectNear(Floats((*r)[0]), {-1, 1, -1, 3});
}

TEST(GroupNormKernelTest, PerChannelAndPerGroupParams) {
  Tensor x = F({0, 2, 4, 6}, {1, 4, 1});  // 2 groups: {0, 2}, {4, 6}
  auto r21 =
      RunSingleNode("GroupNormalization", 21, {x, F({1, 2, 3, 4}, {4}), F({0, 0, 0, 1}, {4})},
                    {IntAttr("num_groups", 2), FloatAttr("epsilon", 0)});
  ASSERT_TRUE(r21.ok()) << r21.status().ToString();
  ExpectNear(Floats((*r21)[0]), {-1, 2, -3, 5});
  auto r18 = RunSingleNode("GroupNormalization", 18, {x, F({1, 2}, {2}), F({0, 1}, {2})},
                           {IntAttr("num_groups", 2), FloatAttr("epsilon", 0)});
  ASSERT_TRUE(r18.ok()) << r18.status().ToString();
  ExpectNear(Floats((*r18)[0]), {-1, 1, -1, 3});
  EXPECT_FALSE(RunSingleNode("GroupNormalization", 21,
                             {x, F({1, 2, 3, 4}, {4}), F({0, 0, 0, 1}, {4})},
                             {IntAttr("num_groups", 3)})
                   .ok());
}

TEST(LayerNormKernelTest, OutputsAndAxis) {
  Tensor x = F({1, 3, 2, 2, 0, 4}, {2, 3});
  auto r = RunSingleNode("LayerNormalization", 17, {x, F({1, 1, 1}, {3}), F({0, 0, 1}, {3})},
                         {FloatAttr("epsilon", 0)}, 3);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const float s = std::sqrt(2.0f / 3);  // stddev of {1, 2, 3}
  ExpectNear(Floats((*r)[0]),
             {-1 / s, 1 / s, 1, 0, -2 / std::sqrt(8.0f / 3), 1 + 2 / std::sqrt(8.0f / 3)});
  EXPECT_EQ((*r)[1].tensor.dims(), (std::vector<int64_t>{2, 1}));
  ExpectNear(Floats((*r)[1]), {2, 2});
  ExpectNear(Floats((*r)[2]), {1 / s, 1 / std::sqrt(8.0f / 3)});
  // axis 0: one group over everything; scale broadcast from a smaller shape.
  auto r0 = RunSingleNode("LayerNormalization", 17, {x, F({2}, {1})}, {IntAttr("axis", 0)}, 1);
  ASSERT_TRUE(r0.ok()) << r0.status().ToString();
  EXPECT_EQ((*r0)[0].tensor.dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_FALSE(RunSingleNode("LayerNormalization", 17, {x, F({1, 1}, {2})}, {}).ok());
}

TEST(RmsNormKernelTest, Basic) {
  Tensor x = F({3, 4}, {1, 2});
  auto r = RunSingleNode("RMSNormalization", 23, {x, F({1, 2}, {2})}, {FloatAttr("epsilon", 0)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const float rms = std::sqrt(12.5f);
  ExpectNear(Floats((*r)[0]), {3 / rms, 8 / rms});
}

TEST(LpNormKernelTest, ZeroNormGivesZero) {
  Tensor x = F({3, 4, 0, 0}, {2, 2});
  auto r = RunSingleNode("LpNormalization", 22, {x}, {});
  ASSERT_TRUE(r.ok());
  ExpectNear(Floats((*r)[0]), {0.6f, 0.8f, 0, 0});
  auto l1 = RunSingleNode("LpNormalization", 1, {x}, {IntAttr("axis", 0), IntAttr("p", 1)});
  ASSERT_TRUE(l1.ok());
  ExpectNear(Floats((*l1)[0]), {1, 1, 0, 0});
  EXPECT_FALSE(RunSingleNode("LpNormalization", 22, {x}, {IntAttr("p", 3)}).ok());
}

TEST(LrnKernelTest, WindowAcrossChannels) {
  Tensor x = F({1, 2, 3}, {1, 3, 1, 1});
  auto r = RunSingleNode(
      "LRN", 13, {x},
      {IntAttr("size", 3), FloatAttr("alpha", 3), FloatAttr("beta", 1), FloatAttr("bias", 1)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectNear(Floats((*r)[0]), {1 / 6.0f, 2 / 15.0f, 3 / 14.0f});
  EXPECT_FALSE(RunSingleNode("LRN", 13, {x}, {}).ok());  // size is required
}

TEST(MvnKernelTest, DefaultAxes) {
  Tensor x = F({1, 3, 5, 7}, {2, 2, 1, 1});  // channel 0: {1, 5}; channel 1: {3, 7}
  auto r = RunSingleNode("MeanVarianceNormalization", 13, {x}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectNear(Floats((*r)[0]), {-1, -1, 1, 1});
  auto ax = RunSingleNode("MeanVarianceNormalization", 13, {x}, {IntsAttr("axes", {-1})});
  ASSERT_TRUE(ax.ok());
  ExpectNear(Floats((*ax)[0]), {0, 0, 0, 0});
  EXPECT_FALSE(RunSingleNode("MeanVarianceNormalization", 13, {F({1, 2}, {2})}, {}).ok());
}

}  // namespace
}  // namespace kiln
