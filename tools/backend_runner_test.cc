#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tools/backend_runner.h"

namespace kiln {
namespace {

TEST(CompareValuesTest, OfficialToleranceRules) {
  Tensor e = Tensor::FromVector<float>({1.0f, 100.0f, NAN});
  Tensor ok = Tensor::FromVector<float>({1.0005f, 100.09f, NAN});  // within rtol 1e-3
  EXPECT_EQ(CompareValues(e, ok, 1e-3, 1e-7), "");
  Tensor bad = Tensor::FromVector<float>({1.0f, 100.2f, NAN});
  EXPECT_NE(CompareValues(e, bad, 1e-3, 1e-7), "");
  Tensor nan_vs_num = Tensor::FromVector<float>({1.0f, 100.0f, 0.0f});
  EXPECT_NE(CompareValues(e, nan_vs_num, 1e-3, 1e-7), "");
  Tensor inf = Tensor::FromVector<float>({std::numeric_limits<float>::infinity()});
  Tensor ninf = Tensor::FromVector<float>({-std::numeric_limits<float>::infinity()});
  EXPECT_EQ(CompareValues(inf, inf, 1e-3, 1e-7), "");
  EXPECT_NE(CompareValues(inf, ninf, 1e-3, 1e-7), "");
}

TEST(CompareValuesTest, ShapeAndTypeMustMatchExactly) {
  Tensor e = Tensor::FromVector<float>({1, 2}, {1, 2});
  Tensor flat = Tensor::FromVector<float>({1, 2}, {2});
  EXPECT_NE(CompareValues(e, flat, 1e-3, 1e-7).find("shape"), std::string::npos);
  Tensor dbl = Tensor::FromVector<double>({1, 2}, {1, 2});
  EXPECT_NE(CompareValues(e, dbl, 1e-3, 1e-7).find("element type"), std::string::npos);
}

TEST(CompareValuesTest, StringsSequencesAndOptionals) {
  Tensor s1(DataType::kString, {2});
  s1.data<std::string>()[0] = "a";
  s1.data<std::string>()[1] = "b";
  Tensor s2 = s1.Clone();
  EXPECT_EQ(CompareValues(s1, s2, 1e-3, 1e-7), "");
  s2.data<std::string>()[1] = "B";
  EXPECT_NE(CompareValues(s1, s2, 1e-3, 1e-7), "");

  AnyValue q1 = AnyValue::Sequence({Tensor::FromVector<int64_t>({1}), Tensor::FromVector<int64_t>({2})},
                                   DataType::kInt64);
  AnyValue q2 = AnyValue::Sequence({Tensor::FromVector<int64_t>({1})}, DataType::kInt64);
  EXPECT_EQ(CompareValues(q1, q1, 1e-3, 1e-7), "");
  EXPECT_NE(CompareValues(q1, q2, 1e-3, 1e-7), "");
  EXPECT_EQ(CompareValues(AnyValue::None(), AnyValue::None(), 1e-3, 1e-7), "");
  EXPECT_NE(CompareValues(AnyValue::None(), q1, 1e-3, 1e-7), "");
}

}  // namespace
}  // namespace kiln
