#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "runtime/session.h"
#include "tests/support/single_node.h"

namespace kiln {
namespace {

template <typename T>
std::vector<T> Vals(const AnyValue& v) {
  const Tensor& t = v.tensor;
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

Tensor Axes(std::vector<int64_t> a) { return Tensor::FromVector<int64_t>(a); }

TEST(ReduceKernelTest, SumAxesInputAndAttribute) {
  Tensor x = Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  auto r13 = RunSingleNode("ReduceSum", 13, {x, Axes({-1})}, {IntAttr("keepdims", 0)});
  ASSERT_TRUE(r13.ok()) << r13.status().ToString();
  EXPECT_EQ((*r13)[0].tensor.dims(), (std::vector<int64_t>{2}));
  EXPECT_EQ(Vals<float>((*r13)[0]), (std::vector<float>{6, 15}));
  auto r11 = RunSingleNode("ReduceSum", 11, {x}, {IntsAttr("axes", {0})});
  ASSERT_TRUE(r11.ok());
  EXPECT_EQ((*r11)[0].tensor.dims(), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(Vals<float>((*r11)[0]), (std::vector<float>{5, 7, 9}));
  // No axes: reduce everything.
  auto all = RunSingleNode("ReduceMean", 18, {x}, {IntAttr("keepdims", 0)});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)[0].tensor.rank(), 0);
  EXPECT_EQ(Vals<float>((*all)[0]), (std::vector<float>{3.5f}));
}

TEST(ReduceKernelTest, NoopWithEmptyAxes) {
  Tensor x = Tensor::FromVector<float>({-1, 2}, {2});
  auto r = RunSingleNode("ReduceSum", 13, {x, Axes({})}, {IntAttr("noop_with_empty_axes", 1)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Vals<float>((*r)[0]), (std::vector<float>{-1, 2}));
  auto l1 = RunSingleNode("ReduceL1", 18, {x}, {IntAttr("noop_with_empty_axes", 1)});
  ASSERT_TRUE(l1.ok());
  EXPECT_EQ(Vals<float>((*l1)[0]), (std::vector<float>{1, 2}));
  auto sum = RunSingleNode("ReduceSum", 13, {x, Axes({})}, {});
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(Vals<float>((*sum)[0]), (std::vector<float>{1}));
}

TEST(ReduceKernelTest, EmptySetGivesIdentity) {
  Tensor x(DataType::kFloat, {2, 0, 3});
  auto check = [&](const char* op, float want) {
    auto r = RunSingleNode(op, 18, {x, Axes({1})}, {});
    ASSERT_TRUE(r.ok()) << op << ": " << r.status().ToString();
    EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{2, 1, 3})) << op;
    for (float v : Vals<float>((*r)[0])) EXPECT_EQ(v, want) << op;
  };
  const float inf = std::numeric_limits<float>::infinity();
  check("ReduceSum", 0);
  check("ReduceProd", 1);
  check("ReduceMax", -inf);
  check("ReduceMin", inf);
  check("ReduceL2", 0);
  check("ReduceLogSum", -inf);
  check("ReduceLogSumExp", -inf);
  Tensor xi(DataType::kInt32, {0});
  auto r = RunSingleNode("ReduceMin", 18, {xi}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Vals<int32_t>((*r)[0]), (std::vector<int32_t>{std::numeric_limits<int32_t>::max()}));
  // A zero-size non-reduced axis gives an empty output.
  auto e = RunSingleNode("ReduceSum", 13, {x, Axes({2})}, {});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)[0].tensor.dims(), (std::vector<int64_t>{2, 0, 1}));
}

TEST(ReduceKernelTest, IntegerAndBoolTypes) {
  Tensor x = Tensor::FromVector<int32_t>({1, 2, 4, -7}, {2, 2});
  auto mean = RunSingleNode("ReduceMean", 18, {x, Axes({1})}, {IntAttr("keepdims", 0)});
  ASSERT_TRUE(mean.ok());
  EXPECT_EQ(Vals<int32_t>((*mean)[0]), (std::vector<int32_t>{1, -1}));  // truncation
  auto prod = RunSingleNode("ReduceProd", 18, {x}, {IntAttr("keepdims", 0)});
  ASSERT_TRUE(prod.ok());
  EXPECT_EQ(Vals<int32_t>((*prod)[0]), (std::vector<int32_t>{-56}));
  Tensor b(DataType::kBool, {2, 2});
  b.data<bool>()[1] = true;
  auto mx = RunSingleNode("ReduceMax", 20, {b, Axes({1})}, {IntAttr("keepdims", 0)});
  ASSERT_TRUE(mx.ok()) << mx.status().ToString();
  EXPECT_EQ(Vals<bool>((*mx)[0]), (std::vector<bool>{true, false}));
  // bool is not accepted before opset 20.
  EXPECT_FALSE(RunSingleNode("ReduceMax", 18, {b}, {}).ok());
  Tensor u = Tensor::FromVector<uint8_t>({3, 9, 1});
  auto mn = RunSingleNode("ReduceMin", 18, {u}, {});
  ASSERT_TRUE(mn.ok());
  EXPECT_EQ(Vals<uint8_t>((*mn)[0]), (std::vector<uint8_t>{1}));
}

TEST(ReduceKernelTest, LogSumExpIsStable) {
  Tensor x = Tensor::FromVector<double>({1000, 1000}, {2});
  auto r = RunSingleNode("ReduceLogSumExp", 18, {x}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(Vals<double>((*r)[0])[0], 1000 + std::log(2.0), 1e-9);
}

TEST(ReduceKernelTest, ScalarInputAndStridedAxes) {
  auto r = RunSingleNode("ReduceSumSquare", 18, {Tensor::Scalar<float>(3)}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].tensor.rank(), 0);
  EXPECT_EQ(Vals<float>((*r)[0]), (std::vector<float>{9}));
  std::vector<float> v(24);
  for (int i = 0; i < 24; ++i) v[i] = static_cast<float>(i);
  Tensor x = Tensor::FromVector<float>(v, {2, 3, 4});
  auto m = RunSingleNode("ReduceMax", 13, {x}, {IntsAttr("axes", {0, 2}), IntAttr("keepdims", 0)});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(Vals<float>((*m)[0]), (std::vector<float>{15, 19, 23}));
}

TEST(ReduceKernelTest, Errors) {
  Tensor x = Tensor::FromVector<float>({1, 2}, {2});
  EXPECT_FALSE(RunSingleNode("ReduceSum", 13, {x, Axes({1})}, {}).ok());
  EXPECT_FALSE(RunSingleNode("ReduceSum", 13, {x, Axes({0, -1})}, {}).ok());
  EXPECT_FALSE(RunSingleNode("ReduceL1", 11, {x}, {IntsAttr("axes", {-2})}).ok());
  EXPECT_FALSE(RunSingleNode("ReduceLogSum", 28, {Tensor::FromVector<int32_t>({1})}, {}).ok());
}

TEST(ArgKernelTest, ArgMaxArgMin) {
  Tensor x = Tensor::FromVector<float>({1, 3, 3, 2, 0, 2}, {2, 3});
  auto a = RunSingleNode("ArgMax", 13, {x}, {IntAttr("axis", 1)});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)[0].tensor.dims(), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(Vals<int64_t>((*a)[0]), (std::vector<int64_t>{1, 0}));
  auto last =
      RunSingleNode("ArgMax", 13, {x},
                    {IntAttr("axis", -1), IntAttr("select_last_index", 1), IntAttr("keepdims", 0)});
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(Vals<int64_t>((*last)[0]), (std::vector<int64_t>{2, 2}));
  auto mn = RunSingleNode("ArgMin", 11, {x}, {IntAttr("keepdims", 0)});
  ASSERT_TRUE(mn.ok());
  EXPECT_EQ(Vals<int64_t>((*mn)[0]), (std::vector<int64_t>{0, 1, 1}));
  EXPECT_FALSE(
      RunSingleNode("ArgMax", 13, {Tensor(DataType::kFloat, {2, 0})}, {IntAttr("axis", 1)}).ok());
  EXPECT_FALSE(RunSingleNode("ArgMax", 13, {x}, {IntAttr("axis", 2)}).ok());
}

TEST(CumKernelTest, CumSumAndCumProd) {
  Tensor x = Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  auto s = RunSingleNode("CumSum", 14, {x, Tensor::Scalar<int32_t>(1)}, {});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(Vals<float>((*s)[0]), (std::vector<float>{1, 3, 6, 4, 9, 15}));
  auto er = RunSingleNode("CumSum", 14, {x, Tensor::Scalar<int64_t>(-1)},
                          {IntAttr("exclusive", 1), IntAttr("reverse", 1)});
  ASSERT_TRUE(er.ok());
  EXPECT_EQ(Vals<float>((*er)[0]), (std::vector<float>{5, 3, 0, 11, 6, 0}));
  auto a0 = RunSingleNode("CumSum", 11, {x, Tensor::Scalar<int64_t>(0)}, {});
  ASSERT_TRUE(a0.ok());
  EXPECT_EQ(Vals<float>((*a0)[0]), (std::vector<float>{1, 2, 3, 5, 7, 9}));
  Tensor xi = Tensor::FromVector<int32_t>({1, 2, 3, 4});
  auto p =
      RunSingleNode("CumProd", 26, {xi, Tensor::Scalar<int64_t>(0)}, {IntAttr("exclusive", 1)});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(Vals<int32_t>((*p)[0]), (std::vector<int32_t>{1, 1, 2, 6}));
  EXPECT_FALSE(RunSingleNode("CumSum", 14, {x, Tensor::FromVector<int64_t>({0, 1})}, {}).ok());
  EXPECT_FALSE(RunSingleNode("CumSum", 14, {x, Tensor::Scalar<int64_t>(2)}, {}).ok());
}

}  // namespace
}  // namespace kiln
