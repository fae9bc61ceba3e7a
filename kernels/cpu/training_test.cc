// Optimizer-step kernels (ai.onnx.preview.training): values against the spec's formulas worked by
// hand, several variables in one node, and the error paths.
#include <cmath>
#include <string>
#include <vector>

#include "kernels/cpu/kernel_test_util.h"

namespace kiln::test {
namespace {

const char kDomain[] = "ai.onnx.preview.training";

Tensor F(std::vector<float> v) { return T_<float>(v, {static_cast<int64_t>(v.size())}); }
Tensor R(float r) { return Tensor::Scalar<float>(r); }
Tensor T(int64_t t) { return Tensor::Scalar<int64_t>(t); }

TEST(TrainingTest, AdagradTwoVariables) {
  // r = 0.1 / (1 + 2 * 0.5) = 0.05; g = 0.5 * x + g; h' = h + g^2; x' = x - r g / (sqrt(h') + eps)
  auto out = RunSingleNode(
      "Adagrad", 1, {R(0.1f), T(2), F({1}), F({2, 3}), F({-1}), F({1, 0}), F({2}), F({0, 4})},
      {FloatAttr("decay_factor", 0.5f), FloatAttr("norm_coefficient", 0.5f),
       FloatAttr("epsilon", 1e-3f)},
      4, kDomain);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  auto expect = [](double x, double g, double h) {
    const double gr = 0.5 * x + g, hn = h + gr * gr;
    return std::vector<double>{x - 0.05 * gr / (std::sqrt(hn) + 1e-3), hn};
  };
  const auto a = expect(1, -1, 2), b0 = expect(2, 1, 0), b1 = expect(3, 0, 4);
  EXPECT_NEAR(Values<float>((*out)[0])[0], a[0], 1e-6);
  EXPECT_NEAR(Values<float>((*out)[1])[0], b0[0], 1e-6);
  EXPECT_NEAR(Values<float>((*out)[1])[1], b1[0], 1e-6);
  EXPECT_NEAR(Values<float>((*out)[2])[0], a[1], 1e-6);
  EXPECT_NEAR(Values<float>((*out)[3])[1], b1[1], 1e-6);
}

TEST(TrainingTest, AdamBiasCorrectionAndPostNorm) {
  auto out = RunSingleNode(
      "Adam", 1, {R(0.1f), T(3), F({1.5f}), F({-0.5f}), F({0.2f}), F({0.3f})},
      {FloatAttr("alpha", 0.9f), FloatAttr("beta", 0.99f), FloatAttr("norm_coefficient", 0.01f),
       FloatAttr("norm_coefficient_post", 0.1f), FloatAttr("epsilon", 1e-4f)},
      3, kDomain);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const double a = 0.9f, b = 0.99f, nc = 0.01f;
  const double g = nc * 1.5 - 0.5;
  const double v = a * 0.2f + (1 - a) * g, h = b * 0.3f + (1 - b) * g * g;
  const double r = 0.1f * std::sqrt(1 - std::pow(b, 3)) / (1 - std::pow(a, 3));
  const double x = (1 - 0.1f) * (1.5 - r * v / (std::sqrt(h) + 1e-4f));
  EXPECT_NEAR(Values<float>((*out)[0])[0], x, 1e-6);
  EXPECT_NEAR(Values<float>((*out)[1])[0], v, 1e-6);
  EXPECT_NEAR(Values<float>((*out)[2])[0], h, 1e-6);
}

TEST(TrainingTest, MomentumStandardAndNesterov) {
  const std::vector<Attribute> base = {FloatAttr("alpha", 0.5f), FloatAttr("beta", 0.25f),
                                       FloatAttr("norm_coefficient", 0.0f)};
  for (const std::string mode : {"standard", "nesterov"}) {
    std::vector<Attribute> attrs = base;
    attrs.push_back(StringAttr("mode", mode));
    // T = 0: beta is taken as 1 on the first step.
    for (int64_t t : {0, 4}) {
      auto out =
          RunSingleNode("Momentum", 1, {R(0.1f), T(t), F({2}), F({1}), F({3})}, attrs, 2, kDomain);
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      const double beta = t > 0 ? 0.25 : 1.0;
      const double v = 0.5 * 3 + beta * 1;
      const double x = mode == "nesterov" ? 2 - 0.1 * (1 + 0.5 * v) : 2 - 0.1 * v;
      EXPECT_NEAR(Values<float>((*out)[0])[0], x, 1e-6) << mode << " T=" << t;
      EXPECT_NEAR(Values<float>((*out)[1])[0], v, 1e-6) << mode << " T=" << t;
    }
  }
}

TEST(TrainingTest, Errors) {
  // Gradient shape differs from its variable.
  auto shape =
      RunSingleNode("Adagrad", 1, {R(0.1f), T(0), F({1, 2}), F({1}), F({0, 0})}, {}, 2, kDomain);
  ASSERT_FALSE(shape.ok());
  EXPECT_NE(shape.status().message().find("like its variable"), std::string::npos)
      << shape.status().ToString();
  // Inputs that do not split into X, G, V, H blocks.
  auto count = RunSingleNode("Adam", 1, {R(0.1f), T(0), F({1}), F({1}), F({1})}, {}, 3, kDomain);
  ASSERT_FALSE(count.ok());
  EXPECT_NE(count.status().message().find("per optimized variable"), std::string::npos)
      << count.status().ToString();
  // Momentum's attributes have no defaults; mode must be known.
  auto missing =
      RunSingleNode("Momentum", 1, {R(0.1f), T(0), F({1}), F({1}), F({1})}, {}, 2, kDomain);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("required attribute"), std::string::npos)
      << missing.status().ToString();
  auto mode = RunSingleNode("Momentum", 1, {R(0.1f), T(0), F({1}), F({1}), F({1})},
                            {FloatAttr("alpha", 0.5f), FloatAttr("beta", 0.5f),
                             FloatAttr("norm_coefficient", 0.0f), StringAttr("mode", "heavy")},
                            2, kDomain);
  ASSERT_FALSE(mode.ok());
  EXPECT_NE(mode.status().message().find("standard"), std::string::npos)
      << mode.status().ToString();
}

}  // namespace
}  // namespace kiln::test
