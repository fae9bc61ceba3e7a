// Tests of the ai.onnx.ml tensor kernels in ml_linear.cc.
//
// Unless a test says otherwise, every expected value was produced by ONNX Runtime 1.30.0
// (CPUExecutionProvider) on the same single-node model: built with onnx.helper.make_node in
// domain ai.onnx.ml, ir_version 10, opset_imports {"": 17, "ai.onnx.ml": 1} (3 for the
// *_as_tensor tests), run with InferenceSession(...).run, printed with %.9g.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kernels/cpu/kernel_test_util.h"
#include "runtime/session.h"

namespace kiln {
namespace {

using test::Dims;
using test::T_;
using test::Values;

constexpr char kMl[] = "ai.onnx.ml";

StatusOr<std::vector<AnyValue>> RunMl(const std::string& op, const std::vector<Tensor>& in,
                                      const std::vector<Attribute>& attrs, int outputs = 1,
                                      int opset = 1) {
  return RunSingleNode(op, opset, in, attrs, outputs, kMl);
}

// Runs and expects success; on failure records it and returns empty values.
std::vector<AnyValue> MlOk(const std::string& op, const std::vector<Tensor>& in,
                           const std::vector<Attribute>& attrs, int outputs = 1, int opset = 1) {
  auto r = RunMl(op, in, attrs, outputs, opset);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return std::vector<AnyValue>(outputs);
  return r.value();
}

// Expects the run to fail with `code` and a message containing `part`.
void ExpectError(const std::string& op, const std::vector<Tensor>& in,
                 const std::vector<Attribute>& attrs, StatusCode code, const std::string& part,
                 int outputs = 1, int opset = 1) {
  auto r = RunMl(op, in, attrs, outputs, opset);
  ASSERT_FALSE(r.ok()) << op << " unexpectedly succeeded";
  EXPECT_EQ(r.status().code(), code) << r.status().ToString();
  EXPECT_NE(r.status().ToString().find(part), std::string::npos)
      << "'" << part << "' not in: " << r.status().ToString();
}

void ExpectFloats(const AnyValue& v, const Dims& dims, const std::vector<float>& want,
                  float tol = 1e-5f) {
  ASSERT_EQ(v.tensor.dtype(), DataType::kFloat) << v.tensor.TypeString();
  EXPECT_EQ(v.tensor.dims(), dims);
  const std::vector<float> got = Values<float>(v);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "element " << i << ": " << got[i];
    } else if (std::isinf(want[i])) {
      EXPECT_EQ(got[i], want[i]) << "element " << i;
    } else {
      EXPECT_NEAR(got[i], want[i], tol * std::max(1.0f, std::fabs(want[i]))) << "element " << i;
    }
  }
}

void ExpectInts(const AnyValue& v, const std::vector<int64_t>& want) {
  ASSERT_EQ(v.tensor.dtype(), DataType::kInt64) << v.tensor.TypeString();
  EXPECT_EQ(Values<int64_t>(v), want);
}

void ExpectStrings(const AnyValue& v, const std::vector<std::string>& want) {
  ASSERT_EQ(v.tensor.dtype(), DataType::kString) << v.tensor.TypeString();
  EXPECT_EQ(Values<std::string>(v), want);
}

Tensor Strings(const std::vector<std::string>& v, Dims dims) {
  Tensor t(DataType::kString, std::move(dims));
  for (size_t i = 0; i < v.size(); ++i) t.data<std::string>()[i] = v[i];
  return t;
}

// The 3 x 2 float batch most tests use.
Tensor X32() { return T_<float>({1, 2, -1, 0.5f, 0.2f, -3}, {3, 2}); }

const float kNan = std::nanf("");

// ---------------------------------------------------------------------------------------------
// Scaler, Normalizer, Imputer

TEST(MlLinearTest, ScalerPerFeature) {
  auto y = MlOk("Scaler", {T_<float>({1, -2, 4, 0.5f, 3, -1}, {2, 3})},
                {FloatsAttr("offset", {1, 2, 3}), FloatsAttr("scale", {0.5f, 2, -1})});
  ExpectFloats(y[0], {2, 3}, {0, -8, -1, -0.25f, 2, 4});
}

TEST(MlLinearTest, ScalerInt64Broadcast) {
  auto y = MlOk("Scaler", {T_<int64_t>({1, 2, 3, 4}, {2, 2})},
                {FloatsAttr("offset", {1.5f}), FloatsAttr("scale", {2})});
  ExpectFloats(y[0], {2, 2}, {-1, 1, 3, 5});
}

TEST(MlLinearTest, ScalerWrongLengthIsError) {
  ExpectError("Scaler", {T_<float>({1, 2, 3, 4, 5, 6}, {2, 3})},
              {FloatsAttr("offset", {1, 2}), FloatsAttr("scale", {1, 2})},
              StatusCode::kInvalidArgument, "offset has 2 values");
}

TEST(MlLinearTest, NormalizerMaxL1L2) {
  Tensor x = T_<float>({1, -2, 4, 0, 0, 0, -3, 1, 2}, {3, 3});
  ExpectFloats(MlOk("Normalizer", {x}, {StringAttr("norm", "MAX")})[0], {3, 3},
               {0.25f, -0.5f, 1, 0, 0, 0, -1.5f, 0.5f, 1});
  ExpectFloats(
      MlOk("Normalizer", {x}, {StringAttr("norm", "L1")})[0], {3, 3},
      {0.142857149f, -0.285714298f, 0.571428597f, 0, 0, 0, -0.5f, 0.166666672f, 0.333333343f});
  ExpectFloats(MlOk("Normalizer", {x}, {StringAttr("norm", "L2")})[0], {3, 3},
               {0.218217894f, -0.436435789f, 0.872871578f, 0, 0, 0, -0.801783741f, 0.267261237f,
                0.534522474f});
  ExpectFloats(MlOk("Normalizer", {T_<int32_t>({3, -4}, {2})}, {StringAttr("norm", "L2")})[0], {2},
               {0.600000024f, -0.800000012f});
}

TEST(MlLinearTest, NormalizerErrors) {
  ExpectError("Normalizer", {X32()}, {StringAttr("norm", "L3")}, StatusCode::kInvalidModel,
              "norm must be MAX, L1 or L2");
  // ORT rejects rank > 2 too.
  ExpectError("Normalizer", {T_<float>({1, 2, 3, 4}, {1, 2, 2})}, {StringAttr("norm", "L1")},
              StatusCode::kInvalidArgument, "X must be [C] or [N, C]");
}

TEST(MlLinearTest, ImputerNanPerFeature) {
  auto y = MlOk(
      "Imputer", {T_<float>({kNan, 1, 2, 3, kNan, kNan}, {2, 3})},
      {FloatsAttr("imputed_value_floats", {10, 20, 30}), FloatAttr("replaced_value_float", kNan)});
  ExpectFloats(y[0], {2, 3}, {10, 1, 2, 3, 20, 30});
}

TEST(MlLinearTest, ImputerInt64) {
  auto y = MlOk("Imputer", {T_<int64_t>({-1, 2, 3, -1}, {2, 2})},
                {IntsAttr("imputed_value_int64s", {7}), IntAttr("replaced_value_int64", -1)});
  ExpectInts(y[0], {7, 2, 3, 7});
}

TEST(MlLinearTest, ImputerErrors) {
  ExpectError("Imputer", {X32()},
              {FloatsAttr("imputed_value_floats", {1}), IntsAttr("imputed_value_int64s", {1})},
              StatusCode::kInvalidModel, "exactly one of imputed_value_floats");
  ExpectError("Imputer", {T_<int64_t>({1, 2}, {1, 2})}, {FloatsAttr("imputed_value_floats", {1})},
              StatusCode::kInvalidArgument, "imputed_value_floats (float inputs)");
  ExpectError("Imputer", {T_<float>({1, 2, 3}, {1, 3})},
              {FloatsAttr("imputed_value_floats", {1, 2})}, StatusCode::kInvalidArgument,
              "needs 1 or 3");
}

// ---------------------------------------------------------------------------------------------
// LinearRegressor, LinearClassifier

TEST(MlLinearTest, LinearRegressorTwoTargets) {
  const std::vector<Attribute> a = {FloatsAttr("coefficients", {0.3f, -0.2f, 1, 0.5f}),
                                    FloatsAttr("intercepts", {0.1f, -0.4f}), IntAttr("targets", 2)};
  ExpectFloats(
      MlOk("LinearRegressor", {X32()}, a)[0], {3, 2},
      {7.4505806e-09f, 1.60000002f, -0.300000012f, -1.14999998f, 0.76000005f, -1.69999993f});
  std::vector<Attribute> s = a;
  s.push_back(StringAttr("post_transform", "SOFTMAX"));
  ExpectFloats(MlOk("LinearRegressor", {X32()}, s)[0], {3, 2},
               {0.16798161f, 0.832018375f, 0.700567186f, 0.299432874f, 0.921289682f, 0.07871034f});
}

TEST(MlLinearTest, LinearRegressorSingleTargetTransforms) {
  // One target: ORT applies PROBIT and ignores LOGISTIC.
  const std::vector<Attribute> a = {FloatsAttr("coefficients", {0.1f, 0.05f}),
                                    FloatsAttr("intercepts", {0.5f})};
  std::vector<Attribute> p = a, l = a;
  p.push_back(StringAttr("post_transform", "PROBIT"));
  l.push_back(StringAttr("post_transform", "LOGISTIC"));
  ExpectFloats(MlOk("LinearRegressor", {X32()}, p)[0], {3, 1},
               {0.524445891f, -0.189120591f, -0.331866056f});
  ExpectFloats(MlOk("LinearRegressor", {X32()}, l)[0], {3, 1},
               {0.699999988f, 0.425000012f, 0.370000005f});
}

TEST(MlLinearTest, LinearRegressorErrors) {
  ExpectError("LinearRegressor", {X32()},
              {FloatsAttr("coefficients", {1, 2, 3}), IntAttr("targets", 2)},
              StatusCode::kInvalidModel, "not a non-zero multiple of targets = 2");
  ExpectError("LinearRegressor", {X32()}, {FloatsAttr("coefficients", {1, 2, 3})},
              StatusCode::kInvalidArgument, "has 2 features; the coefficients expect 3");
  ExpectError("LinearRegressor", {T_<float>({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2})},
              {FloatsAttr("coefficients", {1, 2})}, StatusCode::kInvalidArgument,
              "X must be [C] or [N, C]");
  ExpectError("LinearRegressor", {X32()},
              {FloatsAttr("coefficients", {1, 2}), StringAttr("post_transform", "TANH")},
              StatusCode::kInvalidModel, "post_transform must be NONE");
}

// Three classes; X = 0.2 * X32() as float32.
Tensor XSmall() { return T_<float>({0.2f, 0.4f, -0.2f, 0.1f, 0.0400000028f, -0.6f}, {3, 2}); }

std::vector<Attribute> Linear3(const std::string& post) {
  return {FloatsAttr("coefficients", {0.3f, -0.2f, 1, 0.5f, -0.4f, 0.1f}),
          FloatsAttr("intercepts", {0.1f, -0.4f, 0.05f}), IntsAttr("classlabels_ints", {3, 7, 9}),
          StringAttr("post_transform", post)};
}

TEST(MlLinearTest, LinearClassifierEveryPostTransform) {
  struct Case {
    const char* post;
    std::vector<float> z;
  };
  const Case cases[] = {
      {"NONE",
       {0.0799999982f, 0, 0.00999999791f, 0.0199999958f, -0.550000012f, 0.140000001f, 0.232000023f,
        -0.660000026f, -0.0260000043f}},
      {"LOGISTIC",
       {0.519989312f, 0.5f, 0.502499998f, 0.504999816f, 0.365864396f, 0.534942925f, 0.557741225f,
        0.340739608f, 0.493500352f}},
      {"SOFTMAX",
       {0.350200117f, 0.323275447f, 0.326524436f, 0.371330023f, 0.209996581f, 0.418673426f,
        0.458204746f, 0.187788442f, 0.354006797f}},
      {"SOFTMAX_ZERO",
       {0.51749289f, 0, 0.482507169f, 0.371330023f, 0.209996581f, 0.418673426f, 0.458204746f,
        0.187788442f, 0.354006797f}},
      {"PROBIT",
       {-1.40516734f, -INFINITY, -2.32409024f, -2.05253553f, kNan, -1.08050406f, -0.732377589f,
        kNan, kNan}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.post);
    auto y = MlOk("LinearClassifier", {XSmall()}, Linear3(c.post), 2);
    ExpectInts(y[0], {3, 9, 3});
    ExpectFloats(y[1], {3, 3}, c.z);
  }
}

TEST(MlLinearTest, LinearClassifierSoftmaxZeroOfZerosIsNan) {
  // ORT divides 0 by 0 here (the onnx reference answers 0.5).
  auto y =
      MlOk("LinearClassifier", {T_<float>({0, 5, 2, 1}, {2, 2})},
           {FloatsAttr("coefficients", {0, 0, 1, 0, 0, 0}), FloatsAttr("intercepts", {0, 0, 0}),
            IntsAttr("classlabels_ints", {3, 7, 9}), StringAttr("post_transform", "SOFTMAX_ZERO")},
           2);
  ExpectInts(y[0], {3, 7});
  ExpectFloats(y[1], {2, 3}, {kNan, kNan, kNan, 0, 1, 0});
}

TEST(MlLinearTest, LinearClassifierBinaryStringLabels) {
  // One coefficient row, two labels: Z = [1 - s, s] (LOGISTIC: of sigmoid(s)); label s > 0.
  const std::vector<Attribute> a = {FloatsAttr("coefficients", {0.3f, -0.2f}),
                                    FloatsAttr("intercepts", {0.1f}),
                                    StringsAttr("classlabels_strings", {"neg", "pos"})};
  auto y = MlOk("LinearClassifier", {X32()}, a, 2);
  ExpectStrings(y[0], {"pos", "neg", "pos"});
  ExpectFloats(y[1], {3, 2},
               {1, 7.4505806e-09f, 1.29999995f, -0.300000012f, 0.23999995f, 0.76000005f});
  std::vector<Attribute> l = a;
  l.push_back(StringAttr("post_transform", "LOGISTIC"));
  y = MlOk("LinearClassifier", {X32()}, l, 2);
  ExpectStrings(y[0], {"pos", "neg", "pos"});
  ExpectFloats(y[1], {3, 2}, {0.5f, 0.5f, 0.574442506f, 0.425557494f, 0.318646252f, 0.681353748f});
  // A double input is converted to float, as ORT does: the same answer.
  y = MlOk("LinearClassifier", {T_<double>({1, 2, -1, 0.5, 0.2, -3}, {3, 2})}, a, 2);
  ExpectStrings(y[0], {"pos", "neg", "pos"});
}

TEST(MlLinearTest, LinearClassifierErrors) {
  ExpectError("LinearClassifier", {X32()},
              {FloatsAttr("coefficients", {1, 2}), FloatsAttr("intercepts", {0}),
               IntsAttr("classlabels_ints", {1, 2, 3})},
              StatusCode::kInvalidModel, "expected 2 labels (binary)", 2);
  ExpectError("LinearClassifier", {X32()},
              {FloatsAttr("coefficients", {1, 2, 3, 4}), FloatsAttr("intercepts", {0, 0})},
              StatusCode::kInvalidModel, "exactly one of classlabels_strings and classlabels_ints",
              2);
  ExpectError("LinearClassifier", {X32()},
              {FloatsAttr("coefficients", {1, 2, 3}), FloatsAttr("intercepts", {0, 0, 0}),
               IntsAttr("classlabels_ints", {1, 2, 3})},
              StatusCode::kInvalidArgument, "expect 1", 2);
}

// ---------------------------------------------------------------------------------------------
// SVMRegressor, SVMClassifier

std::vector<Attribute> SvrAttrs(const std::string& kernel, std::vector<float> params) {
  return {StringAttr("kernel_type", kernel),
          FloatsAttr("kernel_params", std::move(params)),
          FloatsAttr("support_vectors", {1, 1, 0, -1}),
          FloatsAttr("coefficients", {0.7f, -0.4f}),
          IntAttr("n_supports", 2),
          FloatsAttr("rho", {0.1f})};
}

TEST(MlLinearTest, SvmRegressorEveryKernel) {
  ExpectFloats(MlOk("SVMRegressor", {X32()}, SvrAttrs("LINEAR", {0, 0, 0}))[0], {3, 1},
               {2.99999976f, -0.0499999896f, -3.05999994f});
  ExpectFloats(MlOk("SVMRegressor", {X32()}, SvrAttrs("POLY", {0.5f, 1, 2}))[0], {3, 1},
               {4.4749999f, 0.268749982f, -2.28800011f});
  ExpectFloats(MlOk("SVMRegressor", {X32()}, SvrAttrs("RBF", {0.3f, 0, 0}))[0], {3, 1},
               {0.598657906f, 0.144724727f, -0.014286153f});
  ExpectFloats(MlOk("SVMRegressor", {X32()}, SvrAttrs("SIGMOID", {0.2f, -0.1f, 0}))[0], {3, 1},
               {0.608328879f, 0.0407874137f, -0.489701301f});
}

TEST(MlLinearTest, SvmRegressorLiblinearAndOneClass) {
  const std::vector<Attribute> a = {FloatsAttr("coefficients", {0.5f, -1}),
                                    FloatsAttr("rho", {0.2f})};
  ExpectFloats(MlOk("SVMRegressor", {X32()}, a)[0], {3, 1},
               {-1.29999995f, -0.800000012f, 3.29999995f});
  std::vector<Attribute> o = a;
  o.push_back(IntAttr("one_class", 1));
  ExpectFloats(MlOk("SVMRegressor", {X32()}, o)[0], {3, 1}, {-1, -1, 1});
}

TEST(MlLinearTest, SvmRegressorErrors) {
  ExpectError("SVMRegressor", {X32()},
              {StringAttr("kernel_type", "CUBIC"), FloatsAttr("coefficients", {1, 2}),
               FloatsAttr("rho", {0})},
              StatusCode::kInvalidModel, "kernel_type must be LINEAR, POLY, RBF or SIGMOID");
  ExpectError("SVMRegressor", {X32()},
              {FloatsAttr("support_vectors", {1, 2, 3}), FloatsAttr("coefficients", {1, 2}),
               IntAttr("n_supports", 2), FloatsAttr("rho", {0})},
              StatusCode::kInvalidModel, "support_vectors has 3 values");
  ExpectError("SVMRegressor", {T_<float>({1, 2, 3}, {1, 3})},
              {FloatsAttr("coefficients", {1, 2}), FloatsAttr("rho", {0})},
              StatusCode::kInvalidArgument, "has 3 features; the model expects 2");
}

std::vector<Attribute> Svc3(const std::string& kernel, std::vector<float> params) {
  return {StringAttr("kernel_type", kernel),
          FloatsAttr("kernel_params", std::move(params)),
          IntsAttr("vectors_per_class", {2, 1, 1}),
          FloatsAttr("support_vectors", {1, 1, 0, 1, -1, 0, 0.5f, -2}),
          FloatsAttr("coefficients", {0.7f, -0.3f, -0.4f, 0.2f, 0.5f, 0.6f, -0.8f, 0.1f}),
          FloatsAttr("rho", {0.1f, -0.2f, 0.05f}),
          IntsAttr("classlabels_ints", {3, 7, 9})};
}

TEST(MlLinearTest, SvmClassifierOneVsOneRbf) {
  // Z holds the three pairwise decision values; the label is the vote winner.
  auto y = MlOk("SVMClassifier", {X32()}, Svc3("RBF", {0.5f, 0, 0}), 2);
  ExpectInts(y[0], {3, 3, 3});
  ExpectFloats(y[1], {3, 3},
               {0.406881362f, 0.324052215f, 0.0353770927f, -0.329974115f, 0.183726221f,
                -0.654571116f, 0.0979089439f, -0.083712548f, 0.103658319f});
  std::vector<Attribute> s = Svc3("RBF", {0.5f, 0, 0});
  s.push_back(StringAttr("post_transform", "SOFTMAX"));
  y = MlOk("SVMClassifier", {X32()}, s, 2);
  ExpectFloats(y[1], {3, 3},
               {0.383111745f, 0.352657586f, 0.264230669f, 0.294613004f, 0.492435247f, 0.21295175f,
                0.35215199f, 0.293665498f, 0.354182482f});
}

TEST(MlLinearTest, SvmClassifierPolyProbabilities) {
  // prob_a / prob_b: pairwise sigmoids coupled into class probabilities; the label is still the
  // vote winner (row 2 votes for 7 although class 9 is not the most probable).
  std::vector<Attribute> a = Svc3("POLY", {0.5f, 1, 3});
  a.push_back(FloatsAttr("prob_a", {-1.5f, -0.7f, -2.0f}));
  a.push_back(FloatsAttr("prob_b", {0.2f, -0.1f, 0.05f}));
  auto y = MlOk("SVMClassifier", {X32()}, a, 2);
  ExpectInts(y[0], {3, 3, 7});
  ExpectFloats(y[1], {3, 3},
               {0.999861598f, 2.38982034e-06f, 0.000135872557f, 0.314119339f, 0.206966206f,
                0.478914529f, 0.377920359f, 0.62205857f, 2.10058915e-05f});
}

std::vector<Attribute> Svc2(const std::string& kernel, std::vector<float> params,
                            const std::string& post) {
  return {StringAttr("kernel_type", kernel),
          FloatsAttr("kernel_params", std::move(params)),
          IntsAttr("vectors_per_class", {2, 1}),
          FloatsAttr("support_vectors", {1, 1, 0, 1, -1, 0}),
          FloatsAttr("coefficients", {0.7f, -0.3f, -0.4f}),
          FloatsAttr("rho", {0.1f}),
          StringsAttr("classlabels_strings", {"a", "b"}),
          StringAttr("post_transform", post)};
}

TEST(MlLinearTest, SvmClassifierBinaryLinear) {
  // One decision value s: NONE gives [-s, s], a transform [1 - f(s), f(s)].
  auto y = MlOk("SVMClassifier", {X32()}, Svc2("LINEAR", {0, 0, 0}, "NONE"), 2);
  ExpectStrings(y[0], {"a", "b", "b"});
  ExpectFloats(
      y[1], {3, 2},
      {-1.99999988f, 1.99999988f, 0.800000012f, -0.800000012f, 0.879999876f, -0.879999876f});
  y = MlOk("SVMClassifier", {X32()}, Svc2("LINEAR", {0, 0, 0}, "LOGISTIC"), 2);
  ExpectStrings(y[0], {"a", "b", "b"});
  ExpectFloats(
      y[1], {3, 2},
      {0.119202971f, 0.880797029f, 0.689974487f, 0.310025513f, 0.706822157f, 0.293177843f});
}

TEST(MlLinearTest, SvmClassifierBinarySigmoidProbabilities) {
  std::vector<Attribute> a = Svc2("SIGMOID", {0.3f, 0.2f, 0}, "NONE");
  a.push_back(FloatsAttr("prob_a", {-2.0f}));
  a.push_back(FloatsAttr("prob_b", {0.1f}));
  auto y = MlOk("SVMClassifier", {X32()}, a, 2);
  ExpectStrings(y[0], {"a", "b", "b"});
  ExpectFloats(y[1], {3, 2},
               {0.71136266f, 0.288637459f, 0.400075138f, 0.599924862f, 0.390636653f, 0.609363317f});
}

TEST(MlLinearTest, SvmClassifierLiblinearBinary) {
  // No support vectors: one weight row per class. ORT's binary rule picks label 7 for row 2
  // (top score 0.76 > 0 with mixed-sign weights) although class 0 scores higher.
  auto y = MlOk("SVMClassifier", {X32()},
                {FloatsAttr("coefficients", {0.3f, -0.2f, 0.5f, 0.1f}), FloatsAttr("rho", {0.1f}),
                 IntsAttr("classlabels_ints", {3, 7})},
                2);
  ExpectInts(y[0], {7, 3, 7});
  ExpectFloats(
      y[1], {3, 2},
      {7.4505806e-09f, 0.800000012f, -0.300000012f, -0.349999994f, 0.76000005f, -0.100000001f});
}

TEST(MlLinearTest, SvmClassifierErrors) {
  std::vector<Attribute> a = Svc3("RBF", {0.5f, 0, 0});
  a[5] = FloatsAttr("rho", {0.1f, 0.2f});
  ExpectError("SVMClassifier", {X32()}, a, StatusCode::kInvalidModel,
              "rho has 2 values, expected one per class pair = 3", 2);
  a = Svc3("RBF", {0.5f, 0, 0});
  a[4] = FloatsAttr("coefficients", {1, 2, 3});
  ExpectError("SVMClassifier", {X32()}, a, StatusCode::kInvalidModel, "coefficients has 3 values",
              2);
  a = Svc3("RBF", {0.5f, 0, 0});
  a[2] = IntsAttr("vectors_per_class", {3, 1});
  ExpectError("SVMClassifier", {X32()}, a, StatusCode::kInvalidModel,
              "vectors_per_class has 2 entries for 3 classes", 2);
  a = Svc3("RBF", {0.5f, 0});
  ExpectError("SVMClassifier", {X32()}, a, StatusCode::kInvalidModel,
              "kernel_params must hold [gamma, coef0, degree]", 2);
  a = Svc3("RBF", {0.5f, 0, 0});
  a.push_back(FloatsAttr("prob_a", {1, 2, 3}));
  ExpectError("SVMClassifier", {X32()}, a, StatusCode::kInvalidModel,
              "prob_a has 3 values but prob_b has 0", 2);
  ExpectError("SVMClassifier", {T_<float>({1, 2, 3}, {1, 3})}, Svc3("RBF", {0.5f, 0, 0}),
              StatusCode::kInvalidArgument, "has 3 features; the model expects 2", 2);
}

// ---------------------------------------------------------------------------------------------
// Tree ensembles.
//
// Two trees over 2 features:
//   tree 0: node 0: x0 <= 0.5 ? node 1 : node 2 (leaf); node 1: x1 < 1 ? node 3 : node 4 (leaves)
//   tree 1: node 0: x1 > 0 (NaN goes true) ? node 1 : node 2 (leaves)

std::vector<Attribute> TwoTrees() {
  return {IntsAttr("nodes_treeids", {0, 0, 0, 0, 0, 1, 1, 1}),
          IntsAttr("nodes_nodeids", {0, 1, 2, 3, 4, 0, 1, 2}),
          IntsAttr("nodes_featureids", {0, 1, 0, 0, 0, 1, 0, 0}),
          FloatsAttr("nodes_values", {0.5f, 1, 0, 0, 0, 0, 0, 0}),
          StringsAttr("nodes_modes", {"BRANCH_LEQ", "BRANCH_LT", "LEAF", "LEAF", "LEAF",
                                      "BRANCH_GT", "LEAF", "LEAF"}),
          IntsAttr("nodes_truenodeids", {1, 3, 0, 0, 0, 1, 0, 0}),
          IntsAttr("nodes_falsenodeids", {2, 4, 0, 0, 0, 2, 0, 0}),
          IntsAttr("nodes_missing_value_tracks_true", {0, 0, 0, 0, 0, 1, 0, 0})};
}

Tensor XTree() { return T_<float>({0, 0, 0, 2, 1, -1, kNan, kNan, 0.5f, 1}, {5, 2}); }

std::vector<Attribute> With(std::vector<Attribute> a, const std::vector<Attribute>& more) {
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

// Two targets; leaf (0, 4) has weights for both, leaf (1, 2) two weights.
std::vector<Attribute> Reg2(const std::string& agg) {
  return With(TwoTrees(), {IntsAttr("target_treeids", {0, 0, 0, 0, 1, 1, 1}),
                           IntsAttr("target_nodeids", {2, 3, 4, 4, 1, 2, 2}),
                           IntsAttr("target_ids", {0, 0, 1, 0, 1, 0, 1}),
                           FloatsAttr("target_weights", {1.5f, -0.5f, 2, 0.25f, 0.75f, -1, 3}),
                           IntAttr("n_targets", 2), StringAttr("aggregate_function", agg)});
}

TEST(MlLinearTest, TreeRegressorAggregates) {
  // base_values are added only to targets some tree scored (as ORT).
  struct Case {
    const char* agg;
    std::vector<float> y;
  };
  const Case cases[] = {
      {"SUM",
       {-1.39999998f, 2.79999995f, 0.349999994f, 2.54999995f, 0.600000024f, 2.79999995f,
        1.60000002f, 0.550000012f, 0.349999994f, 2.54999995f}},
      {"AVERAGE",
       {-0.649999976f, 1.29999995f, 0.224999994f, 1.17499995f, 0.349999994f, 1.29999995f,
        0.850000024f, 0.174999997f, 0.224999994f, 1.17499995f}},
      {"MIN",
       {-0.899999976f, 2.79999995f, 0.349999994f, 0.550000012f, -0.899999976f, 2.79999995f,
        1.60000002f, 0.550000012f, 0.349999994f, 0.550000012f}},
      {"MAX",
       {-0.400000006f, 2.79999995f, 0.349999994f, 1.79999995f, 1.60000002f, 2.79999995f,
        1.60000002f, 0.550000012f, 0.349999994f, 1.79999995f}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.agg);
    auto y = MlOk("TreeEnsembleRegressor", {XTree()},
                  With(Reg2(c.agg), {FloatsAttr("base_values", {0.1f, -0.2f})}));
    ExpectFloats(y[0], {5, 2}, c.y);
  }
  auto y = MlOk("TreeEnsembleRegressor", {XTree()},
                With(Reg2("SUM"), {StringAttr("post_transform", "LOGISTIC")}));
  ExpectFloats(y[0], {5, 2},
               {0.182425559f, 0.952574134f, 0.562176526f, 0.939913332f, 0.622459352f, 0.952574134f,
                0.817574441f, 0.679178715f, 0.562176526f, 0.939913332f});
}

TEST(MlLinearTest, TreeRegressorOpset3DoubleTensors) {
  // nodes_values / target_weights / base_values as double tensors, double X: the same answer.
  std::vector<Attribute> a;
  for (const Attribute& at : Reg2("SUM")) {
    if (at.name != "nodes_values" && at.name != "target_weights") a.push_back(at);
  }
  a.push_back(
      TensorAttr("nodes_values_as_tensor", Tensor::FromVector<double>({0.5, 1, 0, 0, 0, 0, 0, 0})));
  a.push_back(TensorAttr("target_weights_as_tensor",
                         Tensor::FromVector<double>({1.5, -0.5, 2, 0.25, 0.75, -1, 3})));
  a.push_back(TensorAttr("base_values_as_tensor", Tensor::FromVector<double>({0.1, -0.2})));
  Tensor x = T_<double>({0, 0, 0, 2, 1, -1, NAN, NAN, 0.5, 1}, {5, 2});
  auto y = MlOk("TreeEnsembleRegressor", {x}, a, 1, 3);
  ExpectFloats(y[0], {5, 2},
               {-1.39999998f, 2.79999995f, 0.349999994f, 2.54999995f, 0.600000024f, 2.79999995f,
                1.60000002f, 0.550000012f, 0.349999994f, 2.54999995f});
}

std::vector<Attribute> Reg1(std::vector<float> w) {
  // Leaf (0, 4) has two weights: a single-target ensemble uses only the first (ORT).
  return With(TwoTrees(), {IntsAttr("target_treeids", {0, 0, 0, 0, 1, 1}),
                           IntsAttr("target_nodeids", {2, 3, 4, 4, 1, 2}),
                           IntsAttr("target_ids", {0, 0, 0, 0, 0, 0}),
                           FloatsAttr("target_weights", std::move(w)), IntAttr("n_targets", 1)});
}

TEST(MlLinearTest, TreeRegressorSingleTarget) {
  auto y = MlOk("TreeEnsembleRegressor", {XTree()},
                With(Reg1({1.5f, -0.5f, 0.2f, 9, 0.75f, -1}), {FloatsAttr("base_values", {0.5f})}));
  ExpectFloats(y[0], {5, 1}, {-1, 1.45000005f, 1, 2.75f, 1.45000005f});
  y = MlOk("TreeEnsembleRegressor", {XTree()},
           With(Reg1({0.3f, 0.1f, 0.2f, 9, 0.4f, 0.05f}),
                {FloatsAttr("base_values", {0.2f}), StringAttr("aggregate_function", "AVERAGE"),
                 StringAttr("post_transform", "PROBIT")}));
  ExpectFloats(y[0], {5, 1}, {-0.597822964f, 0, -0.318651319f, 0.125662014f, 0});
}

TEST(MlLinearTest, TreeRegressorEveryBranchMode) {
  // One tree: x == 1 -> 10; x != 2 ? (x >= 6 -> 20; x > 4 -> 30; x < 3.5 -> 40; else 60) : 50.
  auto y = MlOk(
      "TreeEnsembleRegressor", {T_<float>({1, 2, 6, 4.5f, 3, 4}, {6, 1})},
      {IntsAttr("nodes_treeids", std::vector<int64_t>(11, 0)),
       IntsAttr("nodes_nodeids", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}),
       IntsAttr("nodes_featureids", std::vector<int64_t>(11, 0)),
       FloatsAttr("nodes_values", {1, 2, 6, 4, 3.5f, 0, 0, 0, 0, 0, 0}),
       StringsAttr("nodes_modes", {"BRANCH_EQ", "BRANCH_NEQ", "BRANCH_GTE", "BRANCH_GT",
                                   "BRANCH_LT", "LEAF", "LEAF", "LEAF", "LEAF", "LEAF", "LEAF"}),
       IntsAttr("nodes_truenodeids", {5, 2, 6, 7, 8, 0, 0, 0, 0, 0, 0}),
       IntsAttr("nodes_falsenodeids", {1, 9, 3, 4, 10, 0, 0, 0, 0, 0, 0}),
       IntsAttr("target_treeids", {0, 0, 0, 0, 0, 0}),
       IntsAttr("target_nodeids", {5, 6, 7, 8, 9, 10}), IntsAttr("target_ids", {0, 0, 0, 0, 0, 0}),
       FloatsAttr("target_weights", {10, 20, 30, 40, 50, 60}), IntAttr("n_targets", 1)});
  ExpectFloats(y[0], {6, 1}, {10, 50, 20, 30, 40, 60});
}

std::vector<Attribute> Cls3() {
  return With(TwoTrees(), {IntsAttr("class_treeids", {0, 0, 0, 0, 1, 1}),
                           IntsAttr("class_nodeids", {2, 3, 4, 4, 1, 2}),
                           IntsAttr("class_ids", {0, 1, 2, 0, 1, 2}),
                           FloatsAttr("class_weights", {0.5f, 0.3f, 0.2f, 0.4f, 0.6f, 0.9f})});
}

TEST(MlLinearTest, TreeClassifierThreeClasses) {
  auto y = MlOk("TreeEnsembleClassifier", {XTree()},
                With(Cls3(), {IntsAttr("classlabels_int64s", {3, 7, 9}),
                              StringAttr("post_transform", "SOFTMAX"),
                              FloatsAttr("base_values", {0.1f, 0, -0.1f})}),
                2);
  ExpectInts(y[0], {9, 7, 9, 3, 7});
  ExpectFloats(y[1], {5, 3},
               {0.236118853f, 0.288396209f, 0.475484937f, 0.360296607f, 0.398189336f, 0.241514057f,
                0.360982925f, 0.198111624f, 0.440905482f, 0.400547087f, 0.400547087f, 0.198905781f,
                0.360296607f, 0.398189336f, 0.241514057f});
  // String labels, no transform: unscored classes are 0.
  y = MlOk("TreeEnsembleClassifier", {XTree()},
           With(Cls3(), {StringsAttr("classlabels_strings", {"x", "y", "z"})}), 2);
  ExpectStrings(y[0], {"z", "y", "z", "y", "y"});
  ExpectFloats(y[1], {5, 3},
               {0, 0.300000012f, 0.899999976f, 0.400000006f, 0.600000024f, 0.200000003f, 0.5f, 0,
                0.899999976f, 0.5f, 0.600000024f, 0, 0.400000006f, 0.600000024f, 0.200000003f});
  // An int32 input.
  y = MlOk("TreeEnsembleClassifier", {T_<int32_t>({0, 0, 0, 2, 1, -1}, {3, 2})},
           With(Cls3(), {IntsAttr("classlabels_int64s", {3, 7, 9})}), 2);
  ExpectInts(y[0], {9, 7, 9});
}

TEST(MlLinearTest, TreeClassifierOpset3Double) {
  std::vector<Attribute> a;
  for (const Attribute& at : Cls3()) {
    if (at.name != "nodes_values" && at.name != "class_weights") a.push_back(at);
  }
  a.push_back(
      TensorAttr("nodes_values_as_tensor", Tensor::FromVector<double>({0.5, 1, 0, 0, 0, 0, 0, 0})));
  a.push_back(TensorAttr("class_weights_as_tensor",
                         Tensor::FromVector<double>({0.5, 0.3, 0.2, 0.4, 0.6, 0.9})));
  a.push_back(IntsAttr("classlabels_int64s", {3, 7, 9}));
  Tensor x = T_<double>({0, 0, 0, 2, 1, -1, NAN, NAN, 0.5, 1}, {5, 2});
  auto y = MlOk("TreeEnsembleClassifier", {x}, a, 2, 3);
  ExpectInts(y[0], {9, 7, 9, 7, 7});
  ExpectFloats(y[1], {5, 3},
               {0, 0.300000012f, 0.899999976f, 0.400000006f, 0.600000024f, 0.200000003f, 0.5f, 0,
                0.899999976f, 0.5f, 0.600000024f, 0, 0.400000006f, 0.600000024f, 0.200000003f});
}

// GradientBoosting-style binary model: every weight for class 0, mixed signs.
std::vector<Attribute> GbBinary() {
  return With(TwoTrees(),
              {IntsAttr("class_treeids", {0, 0, 0, 1, 1}),
               IntsAttr("class_nodeids", {2, 3, 4, 1, 2}), IntsAttr("class_ids", {0, 0, 0, 0, 0}),
               FloatsAttr("class_weights", {0.8f, -0.6f, 0.3f, -0.2f, 0.5f}),
               IntsAttr("classlabels_int64s", {0, 1})});
}

TEST(MlLinearTest, TreeClassifierBinaryMixedWeights) {
  // One score s per row: label 1 when s > 0; Z = [-s, s], LOGISTIC [sigmoid(-s), sigmoid(s)].
  auto y = MlOk("TreeEnsembleClassifier", {XTree()}, GbBinary(), 2);
  ExpectInts(y[0], {0, 1, 1, 1, 1});
  ExpectFloats(y[1], {5, 2},
               {0.100000024f, -0.100000024f, -0.100000009f, 0.100000009f, -1.29999995f, 1.29999995f,
                -0.600000024f, 0.600000024f, -0.100000009f, 0.100000009f});
  y = MlOk("TreeEnsembleClassifier", {XTree()},
           With(GbBinary(),
                {FloatsAttr("base_values", {-0.1f}), StringAttr("post_transform", "LOGISTIC")}),
           2);
  ExpectInts(y[0], {0, 1, 1, 1, 1});
  ExpectFloats(y[1], {5, 2},
               {0.549834013f, 0.450165987f, 0.5f, 0.5f, 0.231475174f, 0.768524826f, 0.377540648f,
                0.622459352f, 0.5f, 0.5f});
}

// RandomForest-style binary model: positive weights for one class only.
std::vector<Attribute> RfBinary(int64_t cls) {
  return With(TwoTrees(), {IntsAttr("class_treeids", {0, 0, 0, 1, 1}),
                           IntsAttr("class_nodeids", {2, 3, 4, 1, 2}),
                           IntsAttr("class_ids", std::vector<int64_t>(5, cls)),
                           FloatsAttr("class_weights", {0.4f, 0.1f, 0.3f, 0.5f, 0.2f}),
                           StringsAttr("classlabels_strings", {"no", "yes"})});
}

TEST(MlLinearTest, TreeClassifierBinaryPositiveWeights) {
  // Label "yes" when the score is > 0.5. Weights for class 1: Z = [0 (unscored), s].
  auto y = MlOk("TreeEnsembleClassifier", {XTree()}, RfBinary(1), 2);
  ExpectStrings(y[0], {"no", "yes", "yes", "yes", "yes"});
  ExpectFloats(
      y[1], {5, 2},
      {0, 0.300000012f, 0, 0.800000012f, 0, 0.600000024f, 0, 0.899999976f, 0, 0.800000012f});
  // Weights for class 0: Z = [1 - s, s].
  y = MlOk("TreeEnsembleClassifier", {XTree()}, RfBinary(0), 2);
  ExpectStrings(y[0], {"no", "yes", "yes", "yes", "yes"});
  ExpectFloats(y[1], {5, 2},
               {0.699999988f, 0.300000012f, 0.199999988f, 0.800000012f, 0.399999976f, 0.600000024f,
                0.100000024f, 0.899999976f, 0.199999988f, 0.800000012f});
}

TEST(MlLinearTest, TreeClassifierTwoClassWeightsAnswerDeclaredLabels) {
  // Weights for both classes (not ORT's binary case): the label is positive when the class-1
  // score is > 0. ORT 1.30 answers the literal 1 / 0 here; kiln answers classlabels[1] / [0]
  // (kiln's own expectation, not ORT's). Z from ORT: [[0.2, 0.8], [0.7, 0.3]].
  auto y = MlOk(
      "TreeEnsembleClassifier", {T_<float>({1, 2, -1, 0.5f}, {2, 2})},
      {IntsAttr("nodes_treeids", {0, 0, 0}), IntsAttr("nodes_nodeids", {0, 1, 2}),
       IntsAttr("nodes_featureids", {0, 0, 0}), FloatsAttr("nodes_values", {0.5f, 0, 0}),
       StringsAttr("nodes_modes", {"BRANCH_LEQ", "LEAF", "LEAF"}),
       IntsAttr("nodes_truenodeids", {1, 0, 0}), IntsAttr("nodes_falsenodeids", {2, 0, 0}),
       IntsAttr("class_treeids", {0, 0, 0, 0}), IntsAttr("class_nodeids", {1, 1, 2, 2}),
       IntsAttr("class_ids", {0, 1, 0, 1}), FloatsAttr("class_weights", {0.7f, 0.3f, 0.2f, 0.8f}),
       IntsAttr("classlabels_int64s", {3, 7})},
      2);
  ExpectInts(y[0], {7, 7});
  ExpectFloats(y[1], {2, 2}, {0.2f, 0.8f, 0.7f, 0.3f});
}

TEST(MlLinearTest, TreeErrors) {
  const auto reg = Reg2("SUM");
  auto replace = [](std::vector<Attribute> a, Attribute at) {
    for (Attribute& x : a) {
      if (x.name == at.name) x = at;
    }
    return a;
  };
  ExpectError("TreeEnsembleRegressor", {XTree()},
              replace(reg, IntsAttr("nodes_featureids", {0, 1, 0})), StatusCode::kInvalidModel,
              "nodes_featureids has 3");
  ExpectError("TreeEnsembleRegressor", {XTree()},
              replace(reg, IntsAttr("nodes_truenodeids", {1, 7, 0, 0, 0, 1, 0, 0})),
              StatusCode::kInvalidModel, "true child id 7 is not a node of tree 0");
  // node 1 -> node 0: a cycle.
  ExpectError("TreeEnsembleRegressor", {XTree()},
              replace(reg, IntsAttr("nodes_falsenodeids", {2, 0, 0, 0, 0, 2, 0, 0})),
              StatusCode::kInvalidModel, "has a cycle");
  ExpectError("TreeEnsembleRegressor", {XTree()},
              replace(reg, IntsAttr("target_ids", {0, 0, 1, 0, 1, 0, 2})),
              StatusCode::kInvalidModel, "target_ids[6] = 2 out of range [0, 2)");
  ExpectError("TreeEnsembleRegressor", {XTree()},
              replace(reg, IntsAttr("target_nodeids", {2, 3, 4, 4, 1, 2, 9})),
              StatusCode::kInvalidModel, "names node 9 of tree 1, which does not exist");
  ExpectError("TreeEnsembleRegressor", {XTree()},
              replace(reg, StringsAttr("nodes_modes", {"BRANCH_LEQ", "BRANCH_LT", "LEAF", "LEAF",
                                                       "LEAF", "BRANCH_MEMBER", "LEAF", "LEAF"})),
              StatusCode::kInvalidModel, "unknown mode 'BRANCH_MEMBER'");
  ExpectError("TreeEnsembleRegressor", {XTree()},
              replace(reg, StringAttr("aggregate_function", "MEDIAN")), StatusCode::kInvalidModel,
              "aggregate_function must be SUM, AVERAGE, MIN or MAX");
  ExpectError("TreeEnsembleRegressor", {XTree()}, replace(reg, IntAttr("n_targets", 0)),
              StatusCode::kInvalidModel, "n_targets must be >= 1");
  ExpectError("TreeEnsembleRegressor", {XTree()}, With(reg, {FloatsAttr("base_values", {1, 2, 3})}),
              StatusCode::kInvalidModel, "base_values has 3 values");
  // The first listed node of a tree is its root: here leaf 1, so nodes 0 and 2 are unreachable.
  ExpectError(
      "TreeEnsembleRegressor", {XTree()},
      {IntsAttr("nodes_treeids", {0, 0, 0}), IntsAttr("nodes_nodeids", {1, 0, 2}),
       IntsAttr("nodes_featureids", {0, 0, 0}), FloatsAttr("nodes_values", {0, 0.5f, 0}),
       StringsAttr("nodes_modes", {"LEAF", "BRANCH_LEQ", "LEAF"}),
       IntsAttr("nodes_truenodeids", {0, 1, 0}), IntsAttr("nodes_falsenodeids", {0, 2, 0}),
       IntsAttr("target_treeids", {0}), IntsAttr("target_nodeids", {1}),
       IntsAttr("target_ids", {0}), FloatsAttr("target_weights", {1}), IntAttr("n_targets", 1)},
      StatusCode::kInvalidModel,
      "node 0 of tree 0 is not reachable from the tree's root (node 1 of tree 0");
  ExpectError("TreeEnsembleRegressor", {T_<float>({1, 2}, {2, 1})}, reg,
              StatusCode::kInvalidArgument, "has 1 features; the trees use feature 1");
  ExpectError("TreeEnsembleClassifier", {XTree()},
              With(Cls3(), {IntsAttr("classlabels_int64s", {3, 7})}), StatusCode::kInvalidModel,
              "class_ids[2] = 2 out of range [0, 2)", 2);
  ExpectError("TreeEnsembleClassifier", {XTree()},
              With(Cls3(), {IntsAttr("classlabels_int64s", {3, 7, 9}),
                            StringAttr("post_transform", "SIGMOID")}),
              StatusCode::kInvalidModel, "post_transform must be NONE", 2);
}

// ---------------------------------------------------------------------------------------------
// OneHotEncoder, CategoryMapper, FeatureVectorizer

TEST(MlLinearTest, OneHotEncoderInts) {
  auto y =
      MlOk("OneHotEncoder", {T_<int64_t>({1, 7, 3}, {1, 3})}, {IntsAttr("cats_int64s", {4, 1, 7})});
  ExpectFloats(y[0], {1, 3, 3}, {0, 1, 0, 0, 0, 1, 0, 0, 0});
  // Floats are truncated toward zero before the lookup.
  y = MlOk("OneHotEncoder", {T_<float>({1.7f, -0.5f, 4.2f}, {3})},
           {IntsAttr("cats_int64s", {4, 1, 7})});
  ExpectFloats(y[0], {3, 3}, {0, 1, 0, 0, 0, 0, 1, 0, 0});
}

TEST(MlLinearTest, OneHotEncoderStrings) {
  Tensor x = Strings({"c", "z", "a"}, {3});
  auto y = MlOk("OneHotEncoder", {x}, {StringsAttr("cats_strings", {"a", "b", "c"})});
  ExpectFloats(y[0], {3, 3}, {0, 0, 1, 0, 0, 0, 1, 0, 0});
  // zeros = 0: an unknown category is an error (ORT: "Unknown Category and zeros = 0.").
  ExpectError("OneHotEncoder", {x},
              {StringsAttr("cats_strings", {"a", "b", "c"}), IntAttr("zeros", 0)},
              StatusCode::kInvalidArgument, "category 'z' is not in cats_strings");
  ExpectError("OneHotEncoder", {x}, {}, StatusCode::kInvalidModel,
              "exactly one of cats_int64s and cats_strings");
}

TEST(MlLinearTest, CategoryMapperBothWays) {
  const std::vector<Attribute> a = {
      StringsAttr("cats_strings", {"a", "b", "c"}), IntsAttr("cats_int64s", {5, 6, 7}),
      IntAttr("default_int64", -9), StringAttr("default_string", "??")};
  auto y = MlOk("CategoryMapper", {Strings({"b", "q", "a", "c"}, {2, 2})}, a);
  ExpectInts(y[0], {6, -9, 5, 7});
  EXPECT_EQ(y[0].tensor.dims(), (Dims{2, 2}));
  y = MlOk("CategoryMapper", {T_<int64_t>({7, 1, 5}, {3})}, a);
  ExpectStrings(y[0], {"c", "??", "a"});
  ExpectError("CategoryMapper", {T_<int64_t>({7}, {1})},
              {StringsAttr("cats_strings", {"a", "b"}), IntsAttr("cats_int64s", {5})},
              StatusCode::kInvalidModel, "cats_strings has 2 values but cats_int64s has 1");
}

TEST(MlLinearTest, FeatureVectorizerPadsAndTruncates) {
  // Input 0 [2, 3] truncated to 2 columns, input 1 [2, 1] padded to 3.
  auto y =
      MlOk("FeatureVectorizer", {T_<float>({1, 2, 3, 4, 5, 6}, {2, 3}), T_<float>({7, 8}, {2, 1})},
           {IntsAttr("inputdimensions", {2, 3})});
  ExpectFloats(y[0], {2, 5}, {1, 2, 7, 0, 0, 4, 5, 8, 0, 0});
  y = MlOk("FeatureVectorizer", {T_<int64_t>({1, 2}, {2, 1}), T_<int64_t>({3, 4, 5, 6}, {2, 2})},
           {IntsAttr("inputdimensions", {1, 2})});
  ExpectFloats(y[0], {2, 3}, {1, 3, 4, 2, 5, 6});
}

TEST(MlLinearTest, FeatureVectorizerErrors) {
  ExpectError("FeatureVectorizer", {T_<float>({1, 2}, {1, 2})},
              {IntsAttr("inputdimensions", {2, 3})}, StatusCode::kInvalidArgument,
              "the node has 1 inputs but inputdimensions has 2 entries");
  ExpectError("FeatureVectorizer", {T_<float>({1, 2}, {2, 1}), T_<float>({1, 2, 3}, {3, 1})},
              {IntsAttr("inputdimensions", {1, 1})}, StatusCode::kInvalidArgument,
              "has 3 rows, input 0 has 2");
}

}  // namespace
}  // namespace kiln
