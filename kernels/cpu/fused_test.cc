// kiln's fused ops (fused.cc) against the unfused composition of standard ONNX ops.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cpu/kernel_test_util.h"
#include "runtime/session.h"
#include "tests/support/fused_activations.h"

namespace kiln {
namespace {

using test::ActCase;
using test::AllActivations;
using test::WithActivation;

using ::kiln::test::Run1;

// Deterministic pseudo-random values in [-scale, scale).
Tensor RandomTensor(std::vector<int64_t> dims, uint32_t seed, float scale = 1.0f) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) {
    seed = seed * 1664525u + 1013904223u;
    x = (static_cast<float>(seed >> 8) / static_cast<float>(1 << 23) - 1.0f) * scale;
  }
  return Tensor::FromVector<float>(v, std::move(dims));
}

std::string Label(const ActCase& a) {
  std::string s = a.name.empty() ? "none" : a.name;
  for (float p : a.params) s += " " + std::to_string(p);
  return s;
}

// The activation through the standard ONNX op.
Tensor Activate(const ActCase& a, const Tensor& x) {
  if (a.name.empty()) return x;
  if (a.name == "Relu") return Run1("Relu", 14, {x});
  if (a.name == "LeakyRelu") return Run1("LeakyRelu", 16, {x}, {FloatAttr("alpha", a.params[0])});
  if (a.name == "Clip") {
    return Run1("Clip", 13,
                {x, Tensor::Scalar<float>(a.params[0]), Tensor::Scalar<float>(a.params[1])});
  }
  if (a.name == "Sigmoid") return Run1("Sigmoid", 13, {x});
  if (a.name == "Tanh") return Run1("Tanh", 13, {x});
  if (a.name == "HardSigmoid") {
    return Run1("HardSigmoid", 6, {x},
                {FloatAttr("alpha", a.params[0]), FloatAttr("beta", a.params[1])});
  }
  if (a.name == "HardSwish") return Run1("HardSwish", 14, {x});
  if (a.name == "Gelu") return Run1("Gelu", 20, {x});
  if (a.name == "GeluTanh") return Run1("Gelu", 20, {x}, {StringAttr("approximate", "tanh")});
  ADD_FAILURE() << "no reference for activation " << a.name;
  return x;
}

Tensor RunFused(const std::string& op, const std::vector<Tensor>& inputs,
                const std::vector<Attribute>& attrs) {
  auto r = RunSingleNode(op, 1, inputs, attrs, 1, "kiln");
  EXPECT_TRUE(r.ok()) << op << ": " << r.status().ToString();
  return r.ok() ? (*r)[0].tensor : Tensor();
}

Status RunFusedErr(const std::string& op, const std::vector<Tensor>& inputs,
                   const std::vector<Attribute>& attrs) {
  auto r = RunSingleNode(op, 1, inputs, attrs, 1, "kiln");
  return r.ok() ? Status::Ok() : r.status();
}

// A float [N, C, H, W] tensor as [N, H, W, C].
Tensor ToNhwc(const Tensor& t) {
  const auto& d = t.dims();
  Tensor r(DataType::kFloat, {d[0], d[2], d[3], d[1]});
  for (int64_t n = 0; n < d[0]; ++n) {
    for (int64_t c = 0; c < d[1]; ++c) {
      for (int64_t hw = 0; hw < d[2] * d[3]; ++hw) {
        r.data<float>()[(n * d[2] * d[3] + hw) * d[1] + c] =
            t.data<float>()[(n * d[1] + c) * d[2] * d[3] + hw];
      }
    }
  }
  return r;
}

void ExpectClose(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_TRUE(got.defined()) << what;
  ASSERT_EQ(got.dims(), want.dims()) << what;
  ASSERT_EQ(got.dtype(), DataType::kFloat) << what;
  for (int64_t i = 0; i < got.numel(); ++i) {
    const float g = got.data<float>()[i], w = want.data<float>()[i];
    ASSERT_NEAR(g, w, 1e-4f + 1e-4f * std::fabs(w)) << what << ", element " << i;
  }
}

// ---- FusedConv ---------------------------------------------------------------------------------

struct ConvCase {
  std::string label;
  Tensor x, w, b;  // b undefined: no bias
  std::vector<Attribute> attrs;
};

std::vector<ConvCase> ConvCases() {
  std::vector<ConvCase> cases;
  cases.push_back({"grouped dilated strided asymmetric pads",
                   RandomTensor({2, 4, 7, 6}, 1),
                   RandomTensor({6, 2, 3, 2}, 2),
                   RandomTensor({6}, 3),
                   {IntAttr("group", 2), IntsAttr("dilations", {2, 1}), IntsAttr("strides", {1, 2}),
                    IntsAttr("pads", {1, 0, 2, 1})}});
  cases.push_back({"1-D SAME_LOWER strided, no bias",
                   RandomTensor({1, 3, 9}, 4),
                   RandomTensor({2, 3, 3}, 5),
                   Tensor(),
                   {StringAttr("auto_pad", "SAME_LOWER"), IntsAttr("strides", {2})}});
  cases.push_back({"3-D padded",
                   RandomTensor({1, 2, 4, 5, 3}, 6),
                   RandomTensor({3, 2, 2, 3, 1}, 7),
                   RandomTensor({3}, 8),
                   {IntsAttr("pads", {0, 1, 0, 1, 0, 0})}});
  // ResNet-like 3x3 and 1x1 convolutions: channels oneDNN keeps in blocked layouts.
  cases.push_back({"resnet 3x3",
                   RandomTensor({2, 16, 8, 8}, 9),
                   RandomTensor({16, 16, 3, 3}, 10, 0.2f),
                   RandomTensor({16}, 11),
                   {IntsAttr("kernel_shape", {3, 3}), IntsAttr("pads", {1, 1, 1, 1})}});
  cases.push_back({"resnet 1x1 strided",
                   RandomTensor({1, 32, 6, 6}, 12),
                   RandomTensor({16, 32, 1, 1}, 13, 0.3f),
                   RandomTensor({16}, 14),
                   {IntsAttr("strides", {2, 2})}});
  cases.push_back(
      {"depthwise strided",
       RandomTensor({1, 8, 5, 5}, 15),
       RandomTensor({8, 1, 3, 3}, 16),
       RandomTensor({8}, 17),
       {IntAttr("group", 8), IntsAttr("strides", {2, 2}), StringAttr("auto_pad", "SAME_UPPER")}});
  return cases;
}

TEST(FusedConvTest, MatchesConvAddActivation) {
  uint32_t seed = 100;
  for (const ConvCase& c : ConvCases()) {
    const Tensor conv = c.b.defined() ? Run1("Conv", 11, {c.x, c.w, c.b}, c.attrs)
                                      : Run1("Conv", 11, {c.x, c.w}, c.attrs);
    ASSERT_TRUE(conv.defined()) << c.label;
    const Tensor z = RandomTensor(conv.dims(), ++seed);
    const Tensor conv_z = Run1("Add", 14, {conv, z});
    for (const ActCase& a : AllActivations()) {
      for (bool with_z : {false, true}) {
        const std::string what = c.label + ", " + Label(a) + (with_z ? ", Z" : ", no Z");
        std::vector<Tensor> in = {c.x, c.w, c.b};
        if (with_z) in.push_back(z);
        const Tensor got = RunFused("FusedConv", in, WithActivation(c.attrs, a));
        ExpectClose(got, Activate(a, with_z ? conv_z : conv), what);
      }
    }
  }
}

TEST(FusedConvTest, ResidualWithoutBias) {
  const Tensor x = RandomTensor({1, 16, 5, 5}, 20), w = RandomTensor({16, 16, 3, 3}, 21, 0.2f);
  const std::vector<Attribute> attrs = {IntsAttr("pads", {1, 1, 1, 1})};
  const Tensor conv = Run1("Conv", 11, {x, w}, attrs);
  const Tensor z = RandomTensor(conv.dims(), 22);
  const ActCase relu{"Relu", {}};
  ExpectClose(RunFused("FusedConv", {x, w, Tensor(), z}, WithActivation(attrs, relu)),
              Activate(relu, Run1("Add", 14, {conv, z})), "Z without B");
}

TEST(FusedConvTest, RepeatedRunsReuseTheCachedPrimitive) {
  // Same shapes twice through one node (oneDNN's primitive cache), then a new shape.
  for (int64_t hw : {6, 6, 9}) {
    const Tensor x = RandomTensor({1, 8, hw, hw}, static_cast<uint32_t>(30 + hw));
    const Tensor w = RandomTensor({8, 8, 3, 3}, 31, 0.3f);
    const Tensor b = RandomTensor({8}, 32);
    const Tensor conv = Run1("Conv", 11, {x, w, b});
    const Tensor z = RandomTensor(conv.dims(), 33);
    const ActCase act{"Clip", {0.0f, 6.0f}};
    ExpectClose(RunFused("FusedConv", {x, w, b, z}, WithActivation({}, act)),
                Activate(act, Run1("Add", 14, {conv, z})), "hw " + std::to_string(hw));
  }
}

TEST(FusedConvTest, Errors) {
  const Tensor x = RandomTensor({1, 2, 4, 4}, 40), w = RandomTensor({3, 2, 3, 3}, 41);
  Status s = RunFusedErr("FusedConv", {x, w, Tensor(), RandomTensor({1, 3, 4, 4}, 42)}, {});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("Z"), std::string::npos) << s.ToString();
  s = RunFusedErr("FusedConv", {x, w}, {StringAttr("activation", "Elu")});
  EXPECT_EQ(s.code(), StatusCode::kInvalidModel) << s.ToString();
  EXPECT_NE(s.message().find("'Elu'"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("node"), std::string::npos) << s.ToString();
  s = RunFusedErr("FusedConv", {x, w}, {IntAttr("group", 0)});
  EXPECT_EQ(s.code(), StatusCode::kInvalidModel) << s.ToString();
  // channels_last: 0 or 1 only; with 1, X must be a float [N, H, W, C] of a 2-D convolution.
  s = RunFusedErr("FusedConv", {x, w}, {IntAttr("channels_last", 2)});
  EXPECT_EQ(s.code(), StatusCode::kInvalidModel) << s.ToString();
  EXPECT_NE(s.message().find("channels_last"), std::string::npos) << s.ToString();
  s = RunFusedErr("FusedConv", {RandomTensor({1, 4, 2}, 43), RandomTensor({3, 2, 3}, 44)},
                  {IntAttr("channels_last", 1)});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("[N, H, W, C]"), std::string::npos) << s.ToString();
}

// channels_last = 1: the same convolution (with residual Z and an activation) on [N, H, W, C]
// tensors gives the NCHW result transposed.
TEST(FusedConvTest, ChannelsLastMatchesPlain) {
  const Tensor x = RandomTensor({2, 3, 5, 6}, 50), w = RandomTensor({4, 3, 3, 3}, 51);
  const Tensor b = RandomTensor({4}, 52), z = RandomTensor({2, 4, 2, 6}, 53);
  const std::vector<Attribute> attrs = {IntsAttr("pads", {0, 1, 0, 1}),
                                        IntsAttr("strides", {2, 1}),
                                        StringAttr("activation", "Relu")};
  const Tensor plain = RunFused("FusedConv", {x, w, b, z}, attrs);
  std::vector<Attribute> cl = attrs;
  cl.push_back(IntAttr("channels_last", 1));
  const Tensor got = RunFused("FusedConv", {ToNhwc(x), w, b, ToNhwc(z)}, cl);
  ExpectClose(got, ToNhwc(plain), "channels_last");
}

// kiln.NhwcMaxPool / NhwcAveragePool on [N, H, W, C] give MaxPool / AveragePool's NCHW results
// transposed, with padding, ceil_mode and count_include_pad; a tensor of another rank is refused.
TEST(NhwcPoolTest, MatchesPlainPoolingAndRefusesOtherRanks) {
  const Tensor x = RandomTensor({2, 3, 7, 6}, 60);
  const std::vector<Attribute> attrs = {IntsAttr("kernel_shape", {3, 2}),
                                        IntsAttr("strides", {2, 2}),
                                        IntsAttr("pads", {1, 0, 1, 1}), IntAttr("ceil_mode", 1)};
  for (const char* op : {"MaxPool", "AveragePool"}) {
    std::vector<Attribute> a = attrs;
    if (std::string(op) == "AveragePool") a.push_back(IntAttr("count_include_pad", 1));
    auto plain = RunSingleNode(op, 19, {x}, a);
    ASSERT_TRUE(plain.ok()) << plain.status().ToString();
    const Tensor got = RunFused(std::string("Nhwc") + op, {ToNhwc(x)}, a);
    ExpectClose(got, ToNhwc((*plain)[0].tensor), op);
  }
  Status s = RunFusedErr("NhwcMaxPool", {RandomTensor({1, 4, 2}, 61)},
                         {IntsAttr("kernel_shape", {2, 2})});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
}

// ---- FusedGemm ---------------------------------------------------------------------------------

struct GemmCase {
  std::string label;
  Tensor a, b, c;  // c undefined: no C
  std::vector<Attribute> attrs;
};

TEST(FusedGemmTest, MatchesGemmActivation) {
  const std::vector<GemmCase> cases = {
      {"C broadcast row, alpha beta",
       RandomTensor({5, 7}, 1),
       RandomTensor({7, 4}, 2),
       RandomTensor({4}, 3),
       {FloatAttr("alpha", 0.7f), FloatAttr("beta", 1.3f)}},
      {"transA transB, full C",
       RandomTensor({7, 5}, 4),
       RandomTensor({4, 7}, 5),
       RandomTensor({5, 4}, 6),
       {IntAttr("transA", 1), IntAttr("transB", 1)}},
      {"transB, C column",
       RandomTensor({3, 6}, 7),
       RandomTensor({9, 6}, 8),
       RandomTensor({3, 1}, 9),
       {IntAttr("transB", 1), FloatAttr("beta", 0.5f)}},
      {"no C", RandomTensor({6, 3}, 10), RandomTensor({3, 8}, 11), Tensor(), {}},
      {"transA, scalar C",
       RandomTensor({4, 2}, 12),
       RandomTensor({4, 3}, 13),
       Tensor::Scalar<float>(0.25f),
       {IntAttr("transA", 1)}},
  };
  for (const GemmCase& c : cases) {
    std::vector<Tensor> in = {c.a, c.b};
    if (c.c.defined()) in.push_back(c.c);
    const Tensor gemm = Run1("Gemm", 13, in, c.attrs);
    ASSERT_TRUE(gemm.defined()) << c.label;
    for (const ActCase& a : AllActivations()) {
      ExpectClose(RunFused("FusedGemm", in, WithActivation(c.attrs, a)), Activate(a, gemm),
                  c.label + ", " + Label(a));
    }
  }
}

TEST(FusedGemmTest, Errors) {
  const Tensor a = RandomTensor({2, 3}, 1), b = RandomTensor({3, 4}, 2);
  Status s = RunFusedErr("FusedGemm", {a, b}, {StringAttr("activation", "Softplus")});
  EXPECT_EQ(s.code(), StatusCode::kInvalidModel) << s.ToString();
  s = RunFusedErr("FusedGemm", {a, b},
                  {StringAttr("activation", "HardSigmoid"), FloatsAttr("activation_params", {1})});
  EXPECT_EQ(s.code(), StatusCode::kInvalidModel) << s.ToString();
  EXPECT_NE(s.message().find("alpha, beta"), std::string::npos) << s.ToString();
  s = RunFusedErr("FusedGemm", {a, RandomTensor({4, 4}, 3)}, {});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  s = RunFusedErr("FusedGemm", {a, b, RandomTensor({3}, 4)}, {});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
}

// ---- FusedMatMul -------------------------------------------------------------------------------

struct MatMulCase {
  std::string label;
  Tensor a, b, bias;  // bias undefined: no Bias
};

TEST(FusedMatMulTest, MatchesMatMulAddActivation) {
  const std::vector<MatMulCase> cases = {
      {"3-D A, 2-D B (BERT)", RandomTensor({2, 3, 5}, 1), RandomTensor({5, 4}, 2),
       RandomTensor({4}, 3)},
      {"2-D, no bias", RandomTensor({4, 6}, 4), RandomTensor({6, 3}, 5), Tensor()},
      {"broadcast batch", RandomTensor({2, 1, 3, 5}, 6), RandomTensor({3, 5, 7}, 7),
       RandomTensor({7}, 8)},
      {"2-D A, 3-D B", RandomTensor({3, 4}, 9), RandomTensor({2, 4, 5}, 10), RandomTensor({5}, 11)},
      {"1-D B", RandomTensor({3, 5}, 12), RandomTensor({5}, 13), RandomTensor({3}, 14)},
      {"1-D A", RandomTensor({5}, 15), RandomTensor({5, 6}, 16), RandomTensor({6}, 17)},
  };
  for (const MatMulCase& c : cases) {
    Tensor want = Run1("MatMul", 13, {c.a, c.b});
    ASSERT_TRUE(want.defined()) << c.label;
    std::vector<Tensor> in = {c.a, c.b};
    if (c.bias.defined()) {
      want = Run1("Add", 14, {want, c.bias});
      in.push_back(c.bias);
    }
    for (const ActCase& a : AllActivations()) {
      ExpectClose(RunFused("FusedMatMul", in, WithActivation({}, a)), Activate(a, want),
                  c.label + ", " + Label(a));
    }
  }
}

TEST(FusedMatMulTest, Errors) {
  const Tensor a = RandomTensor({2, 3, 5}, 1), b = RandomTensor({5, 4}, 2);
  Status s = RunFusedErr("FusedMatMul", {a, b, RandomTensor({3}, 3)}, {});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("Bias"), std::string::npos) << s.ToString();
  s = RunFusedErr("FusedMatMul", {a, b, RandomTensor({1, 4}, 4)}, {});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  s = RunFusedErr("FusedMatMul", {a, RandomTensor({4, 4}, 5)}, {});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  // Parameter counts: none for Relu, one for LeakyRelu, two for Clip, none without activation.
  const std::vector<std::vector<Attribute>> bad = {
      {StringAttr("activation", "Relu"), FloatsAttr("activation_params", {1})},
      {StringAttr("activation", "LeakyRelu")},
      {StringAttr("activation", "Clip"), FloatsAttr("activation_params", {0})},
      {FloatsAttr("activation_params", {0.5f})},
      {StringAttr("activation", "relu")},
      {IntAttr("activation", 1)},
  };
  for (const auto& attrs : bad) {
    s = RunFusedErr("FusedMatMul", {a, b}, attrs);
    EXPECT_EQ(s.code(), StatusCode::kInvalidModel) << s.ToString();
    EXPECT_NE(s.message().find("node"), std::string::npos) << s.ToString();
  }
}

}  // namespace
}  // namespace kiln
