#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <thread>
#include <vector>

#include "ir/float16.h"
#include "kernels/cpu/kernel_test_util.h"
#include "runtime/session.h"

namespace kiln {
namespace {

using ::kiln::test::Values;

// Deterministic pseudo-random values in [-1, 1).
std::vector<float> Random(int64_t n, uint32_t seed) {
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) {
    seed = seed * 1664525u + 1013904223u;
    x = static_cast<float>(seed >> 8) / static_cast<float>(1 << 23) - 1.0f;
  }
  return v;
}

Tensor AsDouble(const Tensor& t) {
  Tensor d(DataType::kDouble, t.dims());
  for (int64_t i = 0; i < t.numel(); ++i) d.data<double>()[i] = t.data<float>()[i];
  return d;
}

// Runs an op on float (oneDNN) and double (direct loop) inputs and compares.
void ExpectFloatMatchesDouble(const std::string& op, const std::vector<Tensor>& inputs,
                              const std::vector<Attribute>& attrs,
                              const std::vector<int64_t>& want_dims) {
  std::vector<Tensor> dbl;
  for (const Tensor& t : inputs) dbl.push_back(AsDouble(t));
  auto rf = RunSingleNode(op, 22, inputs, attrs);
  auto rd = RunSingleNode(op, 22, dbl, attrs);
  ASSERT_TRUE(rf.ok()) << rf.status().ToString();
  ASSERT_TRUE(rd.ok()) << rd.status().ToString();
  const Tensor& yf = (*rf)[0].tensor;
  const Tensor& yd = (*rd)[0].tensor;
  EXPECT_EQ(yf.dims(), want_dims);
  ASSERT_EQ(yf.dims(), yd.dims());
  for (int64_t i = 0; i < yf.numel(); ++i) {
    ASSERT_NEAR(yf.data<float>()[i], yd.data<double>()[i], 1e-4) << op << " element " << i;
  }
}

Tensor RandomTensor(std::vector<int64_t> dims, uint32_t seed) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return Tensor::FromVector<float>(Random(n, seed), std::move(dims));
}

TEST(ConvKernelTest, BasicWithPadding) {
  Tensor x = Tensor::FromVector<float>({0, 1, 2, 3, 4, 5, 6, 7, 8}, {1, 1, 3, 3});
  Tensor w = Tensor::FromVector<float>(std::vector<float>(9, 1.0f), {1, 1, 3, 3});
  auto r = RunSingleNode("Conv", 11, {x, w}, {IntsAttr("pads", {1, 1, 1, 1})});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{8, 15, 12, 21, 36, 27, 20, 33, 24}));
}

TEST(ConvKernelTest, GroupsDilationsStridesAsymmetricPads) {
  ExpectFloatMatchesDouble(
      "Conv", {RandomTensor({2, 4, 7, 6}, 1), RandomTensor({6, 2, 3, 2}, 2), RandomTensor({6}, 3)},
      {IntAttr("group", 2), IntsAttr("dilations", {2, 1}), IntsAttr("strides", {1, 2}),
       IntsAttr("pads", {1, 0, 2, 1})},
      {2, 6, 6, 3});
  ExpectFloatMatchesDouble("Conv", {RandomTensor({1, 3, 9}, 4), RandomTensor({2, 3, 3}, 5)},
                           {StringAttr("auto_pad", "SAME_LOWER"), IntsAttr("strides", {2})},
                           {1, 2, 5});
  ExpectFloatMatchesDouble("Conv",
                           {RandomTensor({1, 2, 4, 5, 3}, 6), RandomTensor({3, 2, 2, 3, 1}, 7)},
                           {IntsAttr("pads", {0, 1, 0, 1, 0, 0})}, {1, 3, 4, 4, 3});
  // Depthwise 1x1.
  ExpectFloatMatchesDouble("Conv", {RandomTensor({1, 3, 4, 4}, 8), RandomTensor({3, 1, 1, 1}, 9)},
                           {IntAttr("group", 3)}, {1, 3, 4, 4});
}

TEST(ConvKernelTest, Float16) {
  Tensor x(DataType::kFloat16, {1, 1, 2, 2});
  Tensor w(DataType::kFloat16, {1, 1, 1, 1});
  for (int i = 0; i < 4; ++i) x.data<Float16>()[i] = ToFloat16(static_cast<float>(i));
  w.data<Float16>()[0] = ToFloat16(2.0f);
  auto r = RunSingleNode("Conv", 11, {x, w}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToFloat((*r)[0].tensor.data<Float16>()[3]), 6.0f);
}

TEST(ConvKernelTest, Errors) {
  Tensor x(DataType::kFloat, {1, 3, 4, 4});
  auto bad_c = RunSingleNode("Conv", 11, {x, Tensor(DataType::kFloat, {2, 2, 3, 3})}, {});
  EXPECT_FALSE(bad_c.ok());
  auto too_big = RunSingleNode("Conv", 11, {x, Tensor(DataType::kFloat, {2, 3, 5, 5})}, {});
  EXPECT_FALSE(too_big.ok());
  auto bad_rank = RunSingleNode("Conv", 11, {x, Tensor(DataType::kFloat, {2, 3, 3})}, {});
  EXPECT_FALSE(bad_rank.ok());
  auto bad_pad = RunSingleNode("Conv", 11, {x, Tensor(DataType::kFloat, {2, 3, 3, 3})},
                               {StringAttr("auto_pad", "BOGUS")});
  EXPECT_FALSE(bad_pad.ok());
  auto bad_bias = RunSingleNode(
      "Conv", 11, {x, Tensor(DataType::kFloat, {2, 3, 3, 3}), Tensor(DataType::kFloat, {3})}, {});
  EXPECT_FALSE(bad_bias.ok());
}

TEST(ConvKernelTest, EmptyBatch) {
  auto r = RunSingleNode(
      "Conv", 11, {Tensor(DataType::kFloat, {0, 1, 3, 3}), Tensor(DataType::kFloat, {2, 1, 2, 2})},
      {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{0, 2, 2, 2}));
}

TEST(ConvTransposeKernelTest, OutputShapeAndPadding) {
  // The ONNX example: strides [3, 2], output_shape [10, 8] extends the end with zeros.
  Tensor x = Tensor::FromVector<float>({0, 1, 2, 3, 4, 5, 6, 7, 8}, {1, 1, 3, 3});
  Tensor w = Tensor::FromVector<float>(std::vector<float>(18, 1.0f), {1, 2, 3, 3});
  auto r = RunSingleNode("ConvTranspose", 11, {x, w},
                         {IntsAttr("strides", {3, 2}), IntsAttr("output_shape", {10, 8})});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Tensor& y = (*r)[0].tensor;
  EXPECT_EQ(y.dims(), (std::vector<int64_t>{1, 2, 10, 8}));
  std::vector<float> row0 = {0, 0, 1, 1, 3, 2, 2, 0};
  std::vector<float> row6 = {6, 6, 13, 7, 15, 8, 8, 0};
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(y.data<float>()[i], row0[i]);
    EXPECT_EQ(y.data<float>()[6 * 8 + i], row6[i]);
    EXPECT_EQ(y.data<float>()[9 * 8 + i], 0.0f);
  }
}

TEST(ConvTransposeKernelTest, FloatMatchesDouble) {
  ExpectFloatMatchesDouble(
      "ConvTranspose",
      {RandomTensor({2, 4, 3, 4}, 11), RandomTensor({4, 3, 3, 2}, 12), RandomTensor({6}, 13)},
      {IntAttr("group", 2), IntsAttr("strides", {2, 3}), IntsAttr("dilations", {1, 2}),
       IntsAttr("pads", {1, 0, 0, 1}), IntsAttr("output_padding", {1, 2})},
      {2, 6, 7, 13});
  ExpectFloatMatchesDouble(
      "ConvTranspose", {RandomTensor({1, 2, 5}, 14), RandomTensor({2, 3, 3}, 15)},
      {StringAttr("auto_pad", "SAME_UPPER"), IntsAttr("strides", {2})}, {1, 3, 10});
  ExpectFloatMatchesDouble("ConvTranspose",
                           {RandomTensor({1, 1, 2, 3, 2}, 16), RandomTensor({1, 2, 2, 2, 2}, 17)},
                           {}, {1, 2, 3, 4, 3});
}

TEST(ConvIntegerKernelTest, ZeroPointPadding) {
  Tensor x = Tensor::FromVector<uint8_t>({2, 3, 4, 5, 6, 7, 8, 9, 10}, {1, 1, 3, 3});
  Tensor w = Tensor::FromVector<uint8_t>({1, 1, 1, 1}, {1, 1, 2, 2});
  auto r = RunSingleNode("ConvInteger", 10, {x, w, Tensor::Scalar<uint8_t>(1)},
                         {IntsAttr("pads", {1, 1, 1, 1})});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<int32_t>((*r)[0]),
            (std::vector<int32_t>{1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9}));
}

TEST(QLinearConvKernelTest, PerChannelScale) {
  Tensor x = Tensor::FromVector<uint8_t>({10, 20, 30, 40}, {1, 1, 2, 2});
  Tensor w = Tensor::FromVector<int8_t>({1, 2}, {2, 1, 1, 1});
  Tensor ws = Tensor::FromVector<float>({1.0f, 0.5f}, {2});
  auto r = RunSingleNode("QLinearConv", 10,
                         {x, Tensor::Scalar<float>(1.0f), Tensor::Scalar<uint8_t>(10), w, ws,
                          Tensor::Scalar<int8_t>(0), Tensor::Scalar<float>(2.0f),
                          Tensor::Scalar<uint8_t>(5), Tensor::FromVector<int32_t>({0, 1})},
                         {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // channel 0: (x-10)*1*1/2+5 = 5,10,15,20; channel 1: ((x-10)*2+1)*0.5/2+5
  EXPECT_EQ(Values<uint8_t>((*r)[0]), (std::vector<uint8_t>{5, 10, 15, 20, 5, 10, 15, 20}));
}

TEST(DeformConvKernelTest, ZeroOffsetsMatchConv) {
  Tensor x = RandomTensor({1, 4, 5, 6}, 31);
  Tensor w = RandomTensor({2, 2, 3, 2}, 32);
  Tensor b = RandomTensor({2}, 33);
  const std::vector<Attribute> attrs = {IntAttr("group", 2), IntsAttr("pads", {1, 0, 1, 1}),
                                        IntsAttr("strides", {2, 1})};
  auto conv = RunSingleNode("Conv", 22, {x, w, b}, attrs);
  ASSERT_TRUE(conv.ok()) << conv.status().ToString();
  const std::vector<int64_t> out = {3, 6};
  Tensor offset(DataType::kFloat, {1, 2 * 3 * 2 * 2, out[0], out[1]});  // offset_group 2
  std::vector<Attribute> dattrs = attrs;
  dattrs.push_back(IntAttr("offset_group", 2));
  auto deform = RunSingleNode("DeformConv", 22, {x, w, offset, b}, dattrs);
  ASSERT_TRUE(deform.ok()) << deform.status().ToString();
  const Tensor& yc = (*conv)[0].tensor;
  const Tensor& yd = (*deform)[0].tensor;
  ASSERT_EQ(yc.dims(), yd.dims());
  for (int64_t i = 0; i < yc.numel(); ++i) {
    EXPECT_NEAR(yc.data<float>()[i], yd.data<float>()[i], 1e-5);
  }
  // A half-pixel offset averages neighbours; a wrong offset shape is an error.
  Tensor bad(DataType::kFloat, {1, 5, out[0], out[1]});
  EXPECT_FALSE(RunSingleNode("DeformConv", 22, {x, w, bad, b}, dattrs).ok());
}

TEST(DeformConvKernelTest, FractionalOffsetInterpolates) {
  Tensor x = Tensor::FromVector<float>({1, 3}, {1, 1, 1, 2});
  Tensor w = Tensor::FromVector<float>({1}, {1, 1, 1, 1});
  Tensor offset = Tensor::FromVector<float>({0, 0, 0.5f, 0.5f}, {1, 2, 1, 2});
  auto r = RunSingleNode("DeformConv", 22, {x, w, offset}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Column 0 samples x=0.5 -> 2; column 1 samples x=1.5 -> 3 * 0.5 (outside reads 0).
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{2, 1.5f}));
}

// y = Conv(x, w[, b]) with pads 1: W (and B) initializers; `w_is_input` lists W as a graph
// input too (a default a caller may override).
Model PaddedConvModel(const Tensor& w, const Tensor* b, bool w_is_input) {
  Model m;
  m.ir_version = 10;
  m.opset_imports[""] = 22;
  m.graph = std::make_unique<Graph>();
  Graph& g = *m.graph;
  const int x_id = *g.AddValue("x", TypeInfo::Tensor(DataType::kFloat));
  const int w_id = *g.AddValue("w", TypeInfo::Tensor(DataType::kFloat));
  const int y_id = *g.AddValue("y");
  g.AddInput(x_id);
  if (w_is_input) g.AddInput(w_id);
  g.SetInitializer(w_id, w);
  Node node;
  node.name = "conv";
  node.op_type = "Conv";
  node.opset = 22;
  node.inputs = {x_id, w_id};
  if (b != nullptr) {
    const int b_id = *g.AddValue("b", TypeInfo::Tensor(DataType::kFloat));
    g.SetInitializer(b_id, *b);
    node.inputs.push_back(b_id);
  }
  node.outputs = {y_id};
  node.attributes = {IntsAttr("pads", {1, 1, 1, 1})};
  EXPECT_TRUE(g.AddNode(std::move(node)).ok());
  g.AddOutput(y_id);
  return m;
}

// A Conv with a constant W (pre-packed oneDNN weights) run from several threads at once, with two
// input shapes, matches the direct double-precision result.
TEST(ConvKernelTest, ConstantWeightsConcurrentRuns) {
  Tensor w = RandomTensor({4, 3, 3, 3}, 21);
  Tensor b = RandomTensor({4}, 22);
  Model m = PaddedConvModel(w, &b, /*w_is_input=*/false);
  auto session = Session::Create(std::move(m));
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  const std::vector<Tensor> xs = {RandomTensor({1, 3, 5, 5}, 23), RandomTensor({2, 3, 4, 6}, 24)};
  std::vector<Tensor> want;
  for (const Tensor& x : xs) {
    auto r = RunSingleNode("Conv", 22, {AsDouble(x), AsDouble(w), AsDouble(b)},
                           {IntsAttr("pads", {1, 1, 1, 1})});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    want.push_back((*r)[0].tensor);
  }
  std::vector<int> bad(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const size_t k = (t + i) % 2;
        auto r = (*session)->Run({{"x", AnyValue(xs[k])}});
        if (!r.ok()) {
          ++bad[t];
          continue;
        }
        const Tensor& y = (*r)[0].value.tensor;
        if (y.dims() != want[k].dims()) {
          ++bad[t];
          continue;
        }
        for (int64_t j = 0; j < y.numel(); ++j) {
          if (std::abs(y.data<float>()[j] - want[k].data<double>()[j]) > 1e-4) {
            ++bad[t];
            break;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad, std::vector<int>(4, 0));
}

// The oneDNN primitive prepared for the memory plan (Kernel::Prepare) and the one an unplanned
// run builds give the same result, and a W fed over its initializer is used, not the weights
// packed from the initializer: runs alternate between the two, planned and not.
TEST(ConvKernelTest, PreparedStateFollowsFedWeights) {
  Tensor w = RandomTensor({4, 3, 3, 3}, 31);
  Tensor w2 = RandomTensor({4, 3, 3, 3}, 32);
  Tensor x = RandomTensor({1, 3, 6, 5}, 33);
  std::vector<Tensor> want;
  for (const Tensor* wt : {&w, &w2}) {
    auto r =
        RunSingleNode("Conv", 22, {AsDouble(x), AsDouble(*wt)}, {IntsAttr("pads", {1, 1, 1, 1})});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    want.push_back((*r)[0].tensor);
  }
  for (bool planning : {true, false}) {
    // An initializer that is also an input: a default the caller may override.
    Model m = PaddedConvModel(w, nullptr, /*w_is_input=*/true);
    SessionOptions so;
    so.memory_planning = planning;
    auto session = Session::Create(std::move(m), so);
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    for (int i = 0; i < 6; ++i) {
      const bool fed = (i / 2) % 2 == 1;  // default, default, fed, fed, default, default
      std::vector<NamedValue> feeds = {{"x", AnyValue(x)}};
      if (fed) feeds.push_back({"w", AnyValue(w2)});
      auto r = (*session)->Run(feeds);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      const Tensor& y = (*r)[0].value.tensor;
      const Tensor& ref = want[fed ? 1 : 0];
      ASSERT_EQ(y.dims(), ref.dims());
      for (int64_t j = 0; j < y.numel(); ++j) {
        ASSERT_NEAR(y.data<float>()[j], ref.data<double>()[j], 1e-4)
            << "planning " << planning << " run " << i << " element " << j;
      }
    }
  }
}

}  // namespace
}  // namespace kiln
