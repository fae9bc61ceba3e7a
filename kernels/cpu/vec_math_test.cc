#include "kernels/cpu/vec_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace kiln::cpu {
namespace {

// Relative error against the double-precision function, over a dense sweep of [-lo, hi].
template <typename F, typename G>
double MaxRelError(F vec, G ref, double lo, double hi, double floor) {
  double worst = 0;
  for (int i = 0; i <= 2000000; ++i) {
    const float x = static_cast<float>(lo + (hi - lo) * i / 2000000.0);
    const double want = ref(static_cast<double>(x));
    const double got = vec(x);
    worst = std::max(worst, std::abs(got - want) / std::max(std::abs(want), floor));
  }
  return worst;
}

TEST(VecMath, ExpLogisticTanhWithinAFewUlp) {
  const double ulp = std::numeric_limits<float>::epsilon();
  EXPECT_LT(MaxRelError(VecExp, [](double x) { return std::exp(x); }, -87, 88, 0), 3 * ulp);
  EXPECT_LT(MaxRelError(VecLogistic, [](double x) { return 1 / (1 + std::exp(-x)); }, -80, 80, 0),
            3 * ulp);
  // tanh: relative near 0 too (the small-argument polynomial), down to 1e-30.
  EXPECT_LT(MaxRelError(VecTanh, [](double x) { return std::tanh(x); }, -20, 20, 1e-30), 3 * ulp);
  EXPECT_LT(MaxRelError(VecTanh, [](double x) { return std::tanh(x); }, -1e-3, 1e-3, 1e-30),
            3 * ulp);
  // Limits: no NaN or infinity out of finite or infinite inputs.
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(VecLogistic(inf), 1.0f);
  EXPECT_LT(VecLogistic(-inf), 1e-37f);
  EXPECT_EQ(VecTanh(inf), 1.0f);
  EXPECT_EQ(VecTanh(-inf), -1.0f);
  EXPECT_EQ(VecTanh(0.0f), 0.0f);
  EXPECT_TRUE(std::isnan(VecTanh(std::nanf(""))));
  EXPECT_TRUE(std::isnan(VecLogistic(std::nanf(""))));
  EXPECT_TRUE(std::isnan(VecExp(std::nanf(""))));
}

}  // namespace
}  // namespace kiln::cpu
