#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ir/float16.h"
#include "kernels/cpu/kernel_test_util.h"
#include "passes/pass_test_util.h"
#include "runtime/session.h"

namespace kiln {
namespace {

using namespace ::kiln::test;  // NOLINT

Tensor Strings(const std::vector<std::string>& v, std::vector<int64_t> dims) {
  Tensor t(DataType::kString, std::move(dims));
  for (size_t i = 0; i < v.size(); ++i) t.data<std::string>()[i] = v[i];
  return t;
}

TEST(BinaryKernels, AddBroadcastsRowAndColumn) {
  Tensor out = Run1("Add", 14, {T_<float>({1, 2, 3, 4, 5, 6}, {2, 3}), T_<float>({10, 20, 30}, {3})});
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Values<float>(out), (std::vector<float>{11, 22, 33, 14, 25, 36}));
  out = Run1("Sub", 14, {T_<float>({1, 2}, {2, 1}), T_<float>({1, 2, 3}, {1, 3})});
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Values<float>(out), (std::vector<float>{0, -1, -2, 1, 0, -1}));
}

TEST(BinaryKernels, ScalarsAndEmpty) {
  Tensor out = Run1("Mul", 14, {Tensor::Scalar<int64_t>(6), Tensor::Scalar<int64_t>(7)});
  EXPECT_EQ(out.rank(), 0);
  EXPECT_EQ(out.data<int64_t>()[0], 42);
  out = Run1("Add", 14, {T_<float>({}, {0, 3}), T_<float>({1, 2, 3}, {3})});
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{0, 3}));
}

TEST(BinaryKernels, IntegerArithmeticWraps) {
  Tensor out = Run1("Add", 14, {T_<int32_t>({std::numeric_limits<int32_t>::max()}, {1}),
                                T_<int32_t>({1}, {1})});
  EXPECT_EQ(out.data<int32_t>()[0], std::numeric_limits<int32_t>::min());
  out = Run1("Mul", 14, {T_<uint16_t>({65535}, {1}), T_<uint16_t>({65535}, {1})});
  EXPECT_EQ(out.data<uint16_t>()[0], 1);
}

TEST(BinaryKernels, BadBroadcastIsAnError) {
  auto r = RunSingleNode("Add", 14, {T_<float>({1, 2}, {2}), T_<float>({1, 2, 3}, {3})}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("broadcast"), std::string::npos);
}

TEST(BinaryKernels, MismatchedTypesAreAnError) {
  auto r = RunSingleNode("Add", 14, {T_<float>({1}, {1}), T_<int32_t>({1}, {1})}, {});
  EXPECT_FALSE(r.ok());
}

TEST(BinaryKernels, Float16) {
  Tensor a(DataType::kFloat16, {2});
  a.data<Float16>()[0] = ToFloat16(1.5f);
  a.data<Float16>()[1] = ToFloat16(-2.0f);
  Tensor out = Run1("Mul", 14, {a, a});
  EXPECT_EQ(ToFloat(out.data<Float16>()[0]), 2.25f);
  EXPECT_EQ(ToFloat(out.data<Float16>()[1]), 4.0f);
}

TEST(BinaryKernels, DivTruncatesAndRejectsZero) {
  Tensor out = Run1("Div", 14, {T_<int32_t>({7, -7, std::numeric_limits<int32_t>::min()}, {3}),
                                T_<int32_t>({2, 2, -1}, {3})});
  EXPECT_EQ(Values<int32_t>(out), (std::vector<int32_t>{3, -3, std::numeric_limits<int32_t>::min()}));
  auto r = RunSingleNode("Div", 14, {T_<int32_t>({1}, {1}), T_<int32_t>({0}, {1})}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("division by zero"), std::string::npos);
  out = Run1("Div", 14, {T_<float>({1}, {1}), T_<float>({0}, {1})});
  EXPECT_TRUE(std::isinf(out.data<float>()[0]));
}

TEST(BinaryKernels, ModSigns) {
  Tensor a = T_<int32_t>({-4, 7, 5, 4, -7, 8}, {6});
  Tensor b = T_<int32_t>({2, -3, 8, -2, 3, 5}, {6});
  EXPECT_EQ(Values<int32_t>(Run1("Mod", 13, {a, b})), (std::vector<int32_t>{0, -2, 5, 0, 2, 3}));
  EXPECT_EQ(Values<int32_t>(Run1("Mod", 13, {a, b}, {IntAttr("fmod", 1)})),
            (std::vector<int32_t>{0, 1, 5, 0, -1, 3}));
  Tensor f = Run1("Mod", 13, {T_<float>({-1.0f, 3.0f, -0.0f}, {3}),
                              T_<float>({INFINITY, 2.0f, 2.0f}, {3})});
  EXPECT_EQ(f.data<float>()[0], INFINITY);
  EXPECT_EQ(f.data<float>()[1], 1.0f);
  EXPECT_FALSE(std::signbit(f.data<float>()[2]));
  f = Run1("Mod", 13, {T_<float>({-4.5f}, {1}), T_<float>({2.0f}, {1})}, {IntAttr("fmod", 1)});
  EXPECT_EQ(f.data<float>()[0], -0.5f);
  EXPECT_FALSE(RunSingleNode("Mod", 13, {a, T_<int32_t>({0}, {1})}, {}).ok());
  EXPECT_FALSE(RunSingleNode("Mod", 13, {a, b}, {IntAttr("fmod", 2)}).ok());
}

TEST(BinaryKernels, PowMixedTypes) {
  Tensor out = Run1("Pow", 15, {T_<float>({1, 2, 3}, {3}), T_<int64_t>({4, 5, 6}, {3})});
  EXPECT_EQ(Values<float>(out), (std::vector<float>{1, 32, 729}));
  out = Run1("Pow", 15, {T_<int64_t>({2, 3, -2}, {3}), T_<float>({0.5f, 2, 3}, {3})});
  EXPECT_EQ(Values<int64_t>(out), (std::vector<int64_t>{1, 9, -8}));
  out = Run1("Pow", 15, {T_<int32_t>({2, 1, -1, 3}, {4}), T_<int32_t>({10, -3, -3, 0}, {4})});
  EXPECT_EQ(Values<int32_t>(out), (std::vector<int32_t>{1024, 1, -1, 1}));
  out = Run1("Pow", 15, {T_<float>({-3, 4}, {2}), Tensor::Scalar<float>(2)});
  EXPECT_EQ(Values<float>(out), (std::vector<float>{9, 16}));
}

TEST(BinaryKernels, BitShift) {
  Tensor out = Run1("BitShift", 11, {T_<int8_t>({-8, 4, -1, 64}, {4}), T_<int8_t>({8, -1, 1, 1}, {4})},
                    {StringAttr("direction", "RIGHT")});
  EXPECT_EQ(Values<int8_t>(out), (std::vector<int8_t>{-1, 0, -1, 32}));
  out = Run1("BitShift", 11, {T_<int8_t>({64, 1, 3}, {3}), T_<int8_t>({1, 7, 8}, {3})},
             {StringAttr("direction", "LEFT")});
  EXPECT_EQ(Values<int8_t>(out), (std::vector<int8_t>{-128, -128, 0}));
  EXPECT_FALSE(RunSingleNode("BitShift", 11, {T_<uint8_t>({1}, {1}), T_<uint8_t>({1}, {1})},
                             {StringAttr("direction", "UP")})
                   .ok());
}

TEST(BinaryKernels, LogicalAndBitwise) {
  Tensor t = T_<bool>({true, false}, {2, 1});
  Tensor u = T_<bool>({true, false}, {2});
  EXPECT_EQ(Values<bool>(Run1("And", 7, {t, u})), (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(Values<bool>(Run1("Xor", 7, {t, u})), (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(Values<uint8_t>(Run1("BitwiseOr", 18, {T_<uint8_t>({0xf0, 1}, {2}),
                                                    Tensor::Scalar<uint8_t>(0x0f)})),
            (std::vector<uint8_t>{0xff, 0x0f}));
}

TEST(BinaryKernels, Comparisons) {
  Tensor a = T_<float>({1, 2, NAN}, {3});
  Tensor b = Tensor::Scalar<float>(2);
  EXPECT_EQ(Values<bool>(Run1("Less", 13, {a, b})), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(Values<bool>(Run1("GreaterOrEqual", 16, {a, b})),
            (std::vector<bool>{false, true, false}));
  EXPECT_EQ(Values<bool>(Run1("Equal", 19, {a, b})), (std::vector<bool>{false, true, false}));
  Tensor s = Run1("Equal", 19, {Strings({"a", "b"}, {2}), Strings({"b"}, {1})});
  EXPECT_EQ(s.dtype(), DataType::kBool);
  EXPECT_EQ(Values<bool>(s), (std::vector<bool>{false, true}));
}

TEST(BinaryKernels, VariadicMaxMinSumMean) {
  Tensor a = T_<float>({1, 5, NAN}, {3});
  Tensor b = T_<float>({3}, {1});
  Tensor c = T_<float>({2, 2, 2, 0, 0, 0}, {2, 3});
  Tensor out = Run1("Max", 13, {a, b, c});
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{2, 3}));
  std::vector<float> v = Values<float>(out);
  EXPECT_EQ(v[0], 3);
  EXPECT_EQ(v[1], 5);
  EXPECT_TRUE(std::isnan(v[2]));
  EXPECT_EQ(Values<int32_t>(Run1("Min", 13, {T_<int32_t>({4, -1}, {2})})),
            (std::vector<int32_t>{4, -1}));
  EXPECT_EQ(Values<float>(Run1("Sum", 13, {b, b, b})), (std::vector<float>{9}));
  EXPECT_EQ(Values<float>(Run1("Mean", 13, {T_<float>({1, 2}, {2}), T_<float>({3, 6}, {2})})),
            (std::vector<float>{2, 4}));
  EXPECT_FALSE(RunSingleNode("Sum", 13, {T_<int32_t>({1}, {1})}, {}).ok());
}

TEST(BinaryKernels, WhereBroadcastsAllTypes) {
  Tensor c = T_<bool>({true, false}, {2, 1});
  Tensor out = Run1("Where", 16, {c, T_<int64_t>({1, 2}, {2}), Tensor::Scalar<int64_t>(-1)});
  EXPECT_EQ(Values<int64_t>(out), (std::vector<int64_t>{1, 2, -1, -1}));
  Tensor s = Run1("Where", 16, {c, Strings({"x"}, {1}), Strings({"y", "z"}, {2})});
  EXPECT_EQ(s.dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(Values<std::string>(s), (std::vector<std::string>{"x", "x", "y", "z"}));
  EXPECT_FALSE(
      RunSingleNode("Where", 16, {c, T_<float>({1, 2, 3}, {3}), T_<float>({1, 2}, {2})}, {}).ok());
}

TEST(BinaryKernels, PRelu) {
  Tensor x = T_<float>({-2, 3, -4, 5}, {2, 2});
  Tensor out = Run1("PRelu", 16, {x, T_<float>({0.5f, 0.25f}, {2})});
  EXPECT_EQ(Values<float>(out), (std::vector<float>{-1, 3, -2, 5}));
  // The slope must broadcast to X, not the other way round.
  EXPECT_FALSE(RunSingleNode("PRelu", 16, {T_<float>({1}, {1}), x}, {}).ok());
}

TEST(BinaryKernels, LegacyBroadcastAxis) {
  Tensor a = T_<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = T_<float>({10, 20}, {2});
  Tensor out = Run1("Add", 6, {a, b}, {IntAttr("broadcast", 1), IntAttr("axis", 0)});
  EXPECT_EQ(Values<float>(out), (std::vector<float>{11, 12, 13, 24, 25, 26}));
  EXPECT_FALSE(RunSingleNode("Add", 6, {a, b}, {}).ok());  // broadcast=0 needs equal shapes
}

// Large float broadcasts split over 2 threads (ranges that cut runs mid-row) give what a direct
// computation gives, element for element; so does a threaded unary op.
TEST(BinaryKernels, ThreadedBroadcastMatchesDirect) {
  const std::vector<int64_t> ad = {3, 257, 61}, bd = {257, 1};
  Tensor a(DataType::kFloat, ad), b(DataType::kFloat, bd);
  for (int64_t i = 0; i < a.numel(); ++i) a.data<float>()[i] = static_cast<float>(i % 97) * 0.5f;
  for (int64_t i = 0; i < b.numel(); ++i) b.data<float>()[i] = static_cast<float>(i) - 100.0f;
  test::ModelBuilder mb(17);
  mb.Input("a", ad).Input("b", bd).Node("Mul", {"a", "b"}, {"m"}).Node("Tanh", {"m"}, {"y"});
  mb.Output("m").Output("y");
  SessionOptions so;
  so.intra_op_threads = 2;
  auto session = Session::Create(mb.Build(), so);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto r = (*session)->Run({{"a", AnyValue(a)}, {"b", AnyValue(b)}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Tensor& m = (*r)[0].value.tensor;
  const Tensor& y = (*r)[1].value.tensor;
  ASSERT_EQ(m.dims(), ad);
  for (int64_t i = 0; i < m.numel(); ++i) {
    const int64_t row = (i / ad[2]) % ad[1];
    const float want = a.data<float>()[i] * b.data<float>()[row];
    ASSERT_EQ(m.data<float>()[i], want) << "element " << i;
    ASSERT_NEAR(y.data<float>()[i], std::tanh(want), 1e-6) << "element " << i;
  }
}

}  // namespace
}  // namespace kiln
