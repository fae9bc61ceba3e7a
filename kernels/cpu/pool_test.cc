#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ir/float16.h"
#include "kernels/cpu/kernel_test_util.h"
#include "passes/pass_test_util.h"
#include "runtime/session.h"

namespace kiln {
namespace {

using ::kiln::test::Values;

Tensor Iota(std::vector<int64_t> dims) {
  Tensor t(DataType::kFloat, std::move(dims));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>((i * 7) % 11);
  return t;
}

Tensor AsDouble(const Tensor& t) {
  Tensor d(DataType::kDouble, t.dims());
  for (int64_t i = 0; i < t.numel(); ++i) d.data<double>()[i] = t.data<float>()[i];
  return d;
}

// float runs on oneDNN where it can, double on the direct loop: they must agree.
void ExpectFloatMatchesDouble(const std::string& op, const Tensor& x,
                              const std::vector<Attribute>& attrs,
                              const std::vector<int64_t>& want_dims) {
  auto rf = RunSingleNode(op, 22, {x}, attrs);
  auto rd = RunSingleNode(op, 22, {AsDouble(x)}, attrs);
  ASSERT_TRUE(rf.ok()) << rf.status().ToString();
  ASSERT_TRUE(rd.ok()) << rd.status().ToString();
  const Tensor& yf = (*rf)[0].tensor;
  const Tensor& yd = (*rd)[0].tensor;
  EXPECT_EQ(yf.dims(), want_dims);
  ASSERT_EQ(yf.dims(), yd.dims());
  for (int64_t i = 0; i < yf.numel(); ++i) {
    ASSERT_NEAR(yf.data<float>()[i], yd.data<double>()[i], 1e-5) << op << " element " << i;
  }
}

TEST(PoolKernelTest, MaxPoolWithIndices) {
  Tensor x = Tensor::FromVector<float>({1, 5, 3, 4, 2, 6, 9, 8, 7}, {1, 1, 3, 3});
  auto r = RunSingleNode("MaxPool", 12, {x}, {IntsAttr("kernel_shape", {2, 2})}, 2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{5, 6, 9, 8}));
  EXPECT_EQ(Values<int64_t>((*r)[1]), (std::vector<int64_t>{1, 5, 6, 7}));
  auto c = RunSingleNode("MaxPool", 12, {x},
                         {IntsAttr("kernel_shape", {2, 2}), IntAttr("storage_order", 1)}, 2);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(Values<int64_t>((*c)[1]), (std::vector<int64_t>{3, 7, 2, 5}));
}

TEST(PoolKernelTest, MaxPoolInt8AndCeil) {
  Tensor x = Tensor::FromVector<int8_t>({-5, -3, -7, -1, -2}, {1, 1, 5});
  auto r = RunSingleNode(
      "MaxPool", 12, {x},
      {IntsAttr("kernel_shape", {2}), IntsAttr("strides", {2}), IntAttr("ceil_mode", 1)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<int8_t>((*r)[0]), (std::vector<int8_t>{-3, -1, -2}));
}

TEST(PoolKernelTest, AveragePoolPadding) {
  Tensor x = Tensor::FromVector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  auto ex = RunSingleNode("AveragePool", 11, {x},
                          {IntsAttr("kernel_shape", {2, 2}), IntsAttr("pads", {1, 1, 0, 0})});
  ASSERT_TRUE(ex.ok()) << ex.status().ToString();
  EXPECT_EQ(Values<float>((*ex)[0]), (std::vector<float>{1, 1.5f, 2, 2.5f}));
  auto in = RunSingleNode("AveragePool", 11, {x},
                          {IntsAttr("kernel_shape", {2, 2}), IntsAttr("pads", {1, 1, 0, 0}),
                           IntAttr("count_include_pad", 1)});
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(Values<float>((*in)[0]), (std::vector<float>{0.25f, 0.75f, 1, 2.5f}));
}

TEST(PoolKernelTest, FloatMatchesDirect) {
  Tensor x = Iota({2, 3, 7, 6});
  ExpectFloatMatchesDouble("MaxPool", x,
                           {IntsAttr("kernel_shape", {3, 2}), IntsAttr("strides", {2, 2}),
                            IntsAttr("dilations", {1, 2}), IntsAttr("pads", {1, 0, 1, 1})},
                           {2, 3, 4, 3});
  ExpectFloatMatchesDouble("AveragePool", x,
                           {IntsAttr("kernel_shape", {3, 3}), IntsAttr("strides", {2, 2}),
                            IntAttr("ceil_mode", 1), IntsAttr("pads", {1, 1, 1, 1})},
                           {2, 3, 4, 4});
  ExpectFloatMatchesDouble("AveragePool", x,
                           {IntsAttr("kernel_shape", {3, 3}), IntsAttr("strides", {2, 2}),
                            IntAttr("ceil_mode", 1), IntAttr("count_include_pad", 1)},
                           {2, 3, 3, 3});
  ExpectFloatMatchesDouble(
      "AveragePool", Iota({1, 2, 5, 4, 3}),
      {IntsAttr("kernel_shape", {2, 2, 2}), StringAttr("auto_pad", "SAME_UPPER")}, {1, 2, 5, 4, 3});
  ExpectFloatMatchesDouble("MaxPool", Iota({1, 2, 9}),
                           {IntsAttr("kernel_shape", {4}), StringAttr("auto_pad", "SAME_LOWER"),
                            IntsAttr("strides", {3})},
                           {1, 2, 3});
}

TEST(PoolKernelTest, LpPoolAndGlobals) {
  Tensor x = Tensor::FromVector<float>({3, 4, 0, 0}, {1, 1, 2, 2});
  auto lp = RunSingleNode("LpPool", 18, {x}, {IntsAttr("kernel_shape", {1, 2}), IntAttr("p", 2)});
  ASSERT_TRUE(lp.ok()) << lp.status().ToString();
  EXPECT_EQ(Values<float>((*lp)[0]), (std::vector<float>{5, 0}));
  auto glp = RunSingleNode("GlobalLpPool", 2, {x}, {IntAttr("p", 1)});
  ASSERT_TRUE(glp.ok()) << glp.status().ToString();
  EXPECT_EQ(Values<float>((*glp)[0]), (std::vector<float>{7}));
  auto gap = RunSingleNode("GlobalAveragePool", 1, {x}, {});
  ASSERT_TRUE(gap.ok());
  EXPECT_EQ((*gap)[0].tensor.dims(), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(Values<float>((*gap)[0]), (std::vector<float>{1.75f}));
  auto gmp = RunSingleNode("GlobalMaxPool", 1, {x}, {});
  ASSERT_TRUE(gmp.ok());
  EXPECT_EQ(Values<float>((*gmp)[0]), (std::vector<float>{4}));
}

TEST(PoolKernelTest, Errors) {
  Tensor x(DataType::kFloat, {1, 1, 3, 3});
  EXPECT_FALSE(RunSingleNode("MaxPool", 12, {x}, {}).ok());  // no kernel_shape
  EXPECT_FALSE(RunSingleNode("MaxPool", 12, {x}, {IntsAttr("kernel_shape", {2})}).ok());
  EXPECT_FALSE(RunSingleNode("MaxPool", 12, {x}, {IntsAttr("kernel_shape", {4, 4})}).ok());
  EXPECT_FALSE(RunSingleNode("AveragePool", 11, {Tensor(DataType::kFloat, {3, 3})},
                             {IntsAttr("kernel_shape", {2})})
                   .ok());
  EXPECT_FALSE(RunSingleNode("AveragePool", 11, {x},
                             {IntsAttr("kernel_shape", {2, 2}), IntsAttr("strides", {0, 1})})
                   .ok());
  // Empty batch is fine.
  auto e = RunSingleNode("MaxPool", 12, {Tensor(DataType::kFloat, {0, 1, 3, 3})},
                         {IntsAttr("kernel_shape", {2, 2})});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)[0].tensor.dims(), (std::vector<int64_t>{0, 1, 2, 2}));
}

// Runs of a session, planned (the oneDNN primitive prepared for the plan) or not, with two input
// shapes in turn, agree with the direct double-precision loop.
TEST(PoolKernelTest, PreparedAndUnplannedRunsMatchDirect) {
  const std::vector<Attribute> attrs = {IntsAttr("kernel_shape", {3, 3}),
                                        IntsAttr("strides", {2, 2}),
                                        IntsAttr("pads", {1, 1, 1, 1})};
  const Tensor xs[2] = {Iota({1, 3, 7, 7}), Iota({1, 3, 10, 10})};
  for (const char* op : {"MaxPool", "AveragePool"}) {
    for (bool planning : {true, false}) {
      test::ModelBuilder b(22);
      b.Input("x", {1, 3, -1, -1}).Node(op, {"x"}, {"y"}, attrs).Output("y");
      SessionOptions so;
      so.memory_planning = planning;
      auto session = Session::Create(b.Build(), so);
      ASSERT_TRUE(session.ok()) << session.status().ToString();
      for (int i = 0; i < 6; ++i) {
        const Tensor& x = xs[(i / 2) % 2];  // a, a, b, b, a, a
        auto r = (*session)->Run({{"x", AnyValue(x)}});
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        auto want = RunSingleNode(op, 22, {AsDouble(x)}, attrs);
        ASSERT_TRUE(want.ok()) << want.status().ToString();
        const Tensor& y = (*r)[0].value.tensor;
        const Tensor& yd = (*want)[0].tensor;
        ASSERT_EQ(y.dims(), yd.dims());
        for (int64_t j = 0; j < y.numel(); ++j) {
          ASSERT_NEAR(y.data<float>()[j], yd.data<double>()[j], 1e-5)
              << op << " planning " << planning << " run " << i << " element " << j;
        }
      }
    }
  }
}

// The float fast path (1-D and 2-D windows, dilation 1, threaded) against the direct double loop
// over many geometries: kernel sizes 1-5 (the 2 and 3 specializations and the generic one),
// strides 1-3, explicit pads, ceil_mode (windows cut by the end, and rows that start past it),
// count_include_pad, auto_pad, and at 1 and 2 threads. Inputs are random with ties and NaN-free.
TEST(PoolKernelTest, FastPathMatchesDirectOverGeometries) {
  uint32_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
  };
  auto random_tensor = [&](std::vector<int64_t> dims) {
    Tensor t(DataType::kFloat, std::move(dims));
    for (int64_t i = 0; i < t.numel(); ++i) {
      t.data<float>()[i] = static_cast<float>(static_cast<int>(next() % 2001) - 1000) / 37.0f;
    }
    return t;
  };
  int cases = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const bool one_d = trial % 5 == 4;
    const int64_t h = one_d ? 1 : 1 + next() % 13, w = 1 + next() % 17;
    const int64_t kh = one_d ? 1 : 1 + next() % std::min<int64_t>(h, 5);
    const int64_t kw = 1 + next() % std::min<int64_t>(w, 5);
    const int64_t sh = 1 + next() % 3, sw = 1 + next() % 3;
    const bool ceil = next() % 2 == 0;
    const int64_t ph0 = next() % kh, ph1 = next() % kh, pw0 = next() % kw, pw1 = next() % kw;
    std::vector<Attribute> attrs;
    Tensor x = one_d ? random_tensor({2, 3, w}) : random_tensor({1 + trial % 2, 3, h, w});
    if (one_d) {
      attrs = {IntsAttr("kernel_shape", {kw}), IntsAttr("strides", {sw}),
               IntsAttr("pads", {pw0, pw1}), IntAttr("ceil_mode", ceil)};
    } else if (trial % 7 == 3) {
      attrs = {IntsAttr("kernel_shape", {kh, kw}), IntsAttr("strides", {sh, sw}),
               StringAttr("auto_pad", trial % 2 ? "SAME_UPPER" : "SAME_LOWER")};
    } else {
      attrs = {IntsAttr("kernel_shape", {kh, kw}), IntsAttr("strides", {sh, sw}),
               IntsAttr("pads", {ph0, pw0, ph1, pw1}), IntAttr("ceil_mode", ceil)};
    }
    for (const char* op : {"MaxPool", "AveragePool"}) {
      std::vector<Attribute> a = attrs;
      if (std::string(op) == "AveragePool") {
        a.push_back(IntAttr("count_include_pad", trial % 3 == 0));
      }
      auto want = RunSingleNode(op, 22, {AsDouble(x)}, a);
      if (!want.ok()) continue;  // a geometry the op refuses (an empty output dim)
      for (int threads : {1, 2}) {
        test::ModelBuilder b(22);
        b.Input("x", x.dims()).Node(op, {"x"}, {"y"}, a).Output("y");
        SessionOptions so;
        so.intra_op_threads = threads;
        auto session = Session::Create(b.Build(), so);
        ASSERT_TRUE(session.ok()) << session.status().ToString();
        auto r = (*session)->Run({{"x", AnyValue(x)}});
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        const Tensor& y = (*r)[0].value.tensor;
        const Tensor& yd = (*want)[0].tensor;
        ASSERT_EQ(y.dims(), yd.dims()) << op << " trial " << trial;
        for (int64_t j = 0; j < y.numel(); ++j) {
          const double v = yd.data<double>()[j];
          if (std::isnan(v)) {
            ASSERT_TRUE(std::isnan(y.data<float>()[j])) << op << " trial " << trial << " at " << j;
          } else {
            ASSERT_NEAR(y.data<float>()[j], v, 1e-4 + 1e-5 * std::abs(v))
                << op << " trial " << trial << " threads " << threads << " element " << j;
          }
        }
        ++cases;
      }
    }
  }
  EXPECT_GT(cases, 800);
}

// Global pooling's float path (8 lanes, threaded) against the double loop, planes of 1 to 70.
TEST(PoolKernelTest, GlobalFloatMatchesDirect) {
  for (int64_t plane : {1, 7, 8, 9, 49, 70}) {
    Tensor x(DataType::kFloat, {2, 5, plane});
    for (int64_t i = 0; i < x.numel(); ++i) {
      x.data<float>()[i] = static_cast<float>((i * 37) % 101) / 7.0f - 6.0f;
    }
    for (const char* op : {"GlobalMaxPool", "GlobalAveragePool"}) {
      auto rf = RunSingleNode(op, 1, {x}, {});
      auto rd = RunSingleNode(op, 1, {AsDouble(x)}, {});
      ASSERT_TRUE(rf.ok() && rd.ok());
      const Tensor& yf = (*rf)[0].tensor;
      const Tensor& yd = (*rd)[0].tensor;
      ASSERT_EQ(yf.dims(), (std::vector<int64_t>{2, 5, 1}));
      for (int64_t j = 0; j < yf.numel(); ++j) {
        EXPECT_NEAR(yf.data<float>()[j], yd.data<double>()[j], 1e-5) << op << " plane " << plane;
      }
    }
  }
}

}  // namespace
}  // namespace kiln
