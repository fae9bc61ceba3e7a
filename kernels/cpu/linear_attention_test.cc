// LinearAttention and CausalConvWithState (opset 27): small cases worked by hand, larger ones
// against values printed by onnx's ReferenceEvaluator (onnx 1.23.2, numpy 2.3.5), state carried
// across calls, the 16-bit types, and the error paths.
//
// The reference values come from single-node models run with
//   onnx.reference.ReferenceEvaluator(model).run(None, feeds)
// on the inputs written next to them (two-decimal values, float32 unless noted; float16 inputs are
// those values converted to float16), printed with str(np.float32(x)).
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "ir/float16.h"
#include "kernels/cpu/kernel_test_util.h"

namespace kiln::test {
namespace {

Tensor F(std::vector<float> v, Dims dims) { return T_<float>(std::move(v), std::move(dims)); }

Tensor H(const std::vector<float>& v, Dims dims) {
  Tensor t(DataType::kFloat16, std::move(dims));
  for (size_t i = 0; i < v.size(); ++i) t.data<Float16>()[i] = ToFloat16(v[i]);
  return t;
}

Tensor BF(const std::vector<float>& v, Dims dims) {
  Tensor t(DataType::kBFloat16, std::move(dims));
  for (size_t i = 0; i < v.size(); ++i) t.data<BFloat16>()[i] = ToBFloat16(v[i]);
  return t;
}

// The values of a float, float16 or bfloat16 tensor as float.
std::vector<float> AsFloats(const Tensor& t) {
  std::vector<float> r(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) {
    switch (t.dtype()) {
      case DataType::kFloat:
        r[i] = t.data<float>()[i];
        break;
      case DataType::kFloat16:
        r[i] = ToFloat(t.data<Float16>()[i]);
        break;
      case DataType::kBFloat16:
        r[i] = ToFloat(t.data<BFloat16>()[i]);
        break;
      default:
        ADD_FAILURE() << "unexpected element type";
        return r;
    }
  }
  return r;
}

// Expects t to have `dims` and values within abs_tol + rel_tol * |want| of `want`.
void ExpectValues(const Tensor& t, const Dims& dims, const std::vector<float>& want, double abs_tol,
                  const std::string& what = "", double rel_tol = 1e-6) {
  ASSERT_EQ(t.dims(), dims) << what;
  const std::vector<float> got = AsFloats(t);
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], abs_tol + rel_tol * std::fabs(want[i]))
        << what << " element " << i;
  }
}

// One float16 ulp, relative: float16 results may differ from the reference's by a rounding step
// where the float32 sums differ in their last bits.
constexpr double kHalfUlp = 1.0 / 1024;

std::vector<Attribute> LaAttrs(const std::string& rule, int64_t hq, int64_t hkv) {
  return {StringAttr("update_rule", rule), IntAttr("q_num_heads", hq),
          IntAttr("kv_num_heads", hkv)};
}

std::vector<AnyValue> RunLa(const std::vector<Tensor>& in, const std::vector<Attribute>& attrs) {
  return RunN("LinearAttention", 27, in, attrs, 2);
}

std::string ErrLa(const std::vector<Tensor>& in, const std::vector<Attribute>& attrs) {
  Status st = RunErr("LinearAttention", 27, in, attrs, 2);
  EXPECT_FALSE(st.ok());
  return st.message();
}

std::string ErrConv(const std::vector<Tensor>& in, const std::vector<Attribute>& attrs = {}) {
  Status st = RunErr("CausalConvWithState", 27, in, attrs, 2);
  EXPECT_FALSE(st.ok());
  return st.message();
}

#define EXPECT_HAS(haystack, needle) \
  EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

// Deterministic values in [lo, hi).
std::vector<float> Ramp(int64_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::vector<float> v(n);
  uint32_t s = seed * 2654435761u + 1;
  for (int64_t i = 0; i < n; ++i) {
    s = s * 1664525u + 1013904223u;
    v[i] = lo + (hi - lo) * static_cast<float>(s >> 8) / 16777216.0f;
  }
  return v;
}

const Tensor kNone;  // an omitted optional input

// ----- LinearAttention: hand-checked ---------------------------------------------------------

// B = 1, T = 2, one head, d_k = d_v = 2; q = [[1,0],[1,1]], k = [[1,0],[0,1]], v = [[1,2],[3,4]].
//   t0: S = k0 v0^T = [[1,2],[0,0]], o0 = q0^T S = [1,2]
//   t1: S += k1 v1^T = [[1,2],[3,4]], o1 = [1,1] S = [4,6]
const std::vector<float> kHandQ = {1, 0, 1, 1}, kHandK = {1, 0, 0, 1}, kHandV = {1, 2, 3, 4};

TEST(LinearAttentionTest, LinearByHand) {
  auto attrs = LaAttrs("linear", 1, 1);
  attrs.push_back(FloatAttr("scale", 1.0f));
  auto out = RunLa({F(kHandQ, {1, 2, 2}), F(kHandK, {1, 2, 2}), F(kHandV, {1, 2, 2})}, attrs);
  ExpectValues(out[0].tensor, {1, 2, 2}, {1, 2, 4, 6}, 1e-6f, "output");
  ExpectValues(out[1].tensor, {1, 1, 2, 2}, {1, 2, 3, 4}, 1e-6f, "present_state");
  EXPECT_EQ(out[1].tensor.dtype(), DataType::kFloat);
}

TEST(LinearAttentionTest, DefaultScaleIsInverseSqrtDk) {
  // scale absent (and scale = 0) -> 1 / sqrt(d_k) = 1 / sqrt(2); chunk_size is only a hint.
  const float s = 1.0f / std::sqrt(2.0f);
  for (bool explicit_zero : {false, true}) {
    auto attrs = LaAttrs("linear", 1, 1);
    attrs.push_back(IntAttr("chunk_size", 1));
    if (explicit_zero) attrs.push_back(FloatAttr("scale", 0.0f));
    Tensor y = Run1("LinearAttention", 27,
                    {F(kHandQ, {1, 2, 2}), F(kHandK, {1, 2, 2}), F(kHandV, {1, 2, 2})}, attrs);
    ExpectValues(y, {1, 2, 2}, {s, 2 * s, 4 * s, 6 * s}, 1e-6f);
  }
}

TEST(LinearAttentionTest, GatedPerHeadByHand) {
  // decay g = ln(0.5) at t1: S = 0.5 [[1,2],[0,0]] + [[0,0],[3,4]] = [[0.5,1],[3,4]];
  // o1 = [1,1] S = [3.5, 5]. g0 = 0 leaves t0 as in the linear case.
  auto attrs = LaAttrs("gated", 1, 1);
  attrs.push_back(FloatAttr("scale", 1.0f));
  auto out = RunLa({F(kHandQ, {1, 2, 2}), F(kHandK, {1, 2, 2}), F(kHandV, {1, 2, 2}), kNone,
                    F({0.0f, std::log(0.5f)}, {1, 2, 1})},
                   attrs);
  ExpectValues(out[0].tensor, {1, 2, 2}, {1, 2, 3.5f, 5}, 1e-6f, "output");
  ExpectValues(out[1].tensor, {1, 1, 2, 2}, {0.5f, 1, 3, 4}, 1e-6f, "present_state");
}

TEST(LinearAttentionTest, DeltaReplacesTheAssociationByHand) {
  // k0 = k1 = [1,0], beta = 1: t1 retrieves S^T k1 = [1,2], writes k1 (v1 - [1,2]) = [[2,2],[0,0]]
  // so S = [[3,4],[0,0]]: the value stored under key [1,0] is replaced by v1 = [3,4].
  auto attrs = LaAttrs("delta", 1, 1);
  attrs.push_back(FloatAttr("scale", 1.0f));
  auto out = RunLa({F({1, 0, 1, 0}, {1, 2, 2}), F({1, 0, 1, 0}, {1, 2, 2}), F(kHandV, {1, 2, 2}),
                    kNone, kNone, F({1, 1}, {1, 2, 1})},
                   attrs);
  ExpectValues(out[0].tensor, {1, 2, 2}, {1, 2, 3, 4}, 1e-6f, "output");
  ExpectValues(out[1].tensor, {1, 1, 2, 2}, {3, 4, 0, 0}, 1e-6f, "present_state");
  // beta = 0.5 at t1: write 0.5 * [2,2] -> S row 0 = [2,3]; o1 = [2,3].
  out = RunLa({F({1, 0, 1, 0}, {1, 2, 2}), F({1, 0, 1, 0}, {1, 2, 2}), F(kHandV, {1, 2, 2}), kNone,
               kNone, F({1, 0.5f}, {1, 2, 1})},
              attrs);
  ExpectValues(out[0].tensor, {1, 2, 2}, {1, 2, 2, 3}, 1e-6f, "output, beta 0.5");
}

TEST(LinearAttentionTest, GatedDeltaByHandWithPastState) {
  // One token, past S = [[2,0],[0,2]], g = ln(0.5) -> decayed S = I; k = [0,1], v = [5,5],
  // beta = 1: retrieved = S^T k = [0,1]; w = [5,4]; S = [[1,0],[5,5]]; q = [1,1] -> o = [6,5].
  auto attrs = LaAttrs("gated_delta", 1, 1);
  attrs.push_back(FloatAttr("scale", 1.0f));
  auto out =
      RunLa({F({1, 1}, {1, 1, 2}), F({0, 1}, {1, 1, 2}), F({5, 5}, {1, 1, 2}),
             F({2, 0, 0, 2}, {1, 1, 2, 2}), F({std::log(0.5f)}, {1, 1, 1}), F({1}, {1, 1, 1})},
            attrs);
  ExpectValues(out[0].tensor, {1, 1, 2}, {6, 5}, 1e-5f, "output");
  ExpectValues(out[1].tensor, {1, 1, 2, 2}, {1, 0, 5, 5}, 1e-5f, "present_state");
}

TEST(LinearAttentionTest, GqaHeadsShareTheirKvHeadState) {
  // Hq = 4, Hkv = 2 (group 2), d_k = d_v = 1, scale 1, one token: state of kv head j is k_j v_j,
  // query head h reads kv head h / 2.
  auto attrs = LaAttrs("linear", 4, 2);
  attrs.push_back(FloatAttr("scale", 1.0f));
  auto out =
      RunLa({F({1, 2, 3, 4}, {1, 1, 4}), F({1, 10}, {1, 1, 2}), F({2, 3}, {1, 1, 2})}, attrs);
  // S0 = 2, S1 = 30; o = [1*2, 2*2, 3*30, 4*30]
  ExpectValues(out[0].tensor, {1, 1, 4}, {2, 4, 90, 120}, 1e-5f, "output");
  ExpectValues(out[1].tensor, {1, 2, 1, 1}, {2, 30}, 1e-5f, "present_state");
}

// ----- LinearAttention: against the onnx reference -------------------------------------------

const std::vector<float> kRefQ = {0.25f,  0.79f, 0.55f, -0.55f, -0.4f,  0.75f,
                                  -0.99f, 0.64f, 0.59f, -0.06f, -0.39f, -0.44f};
const std::vector<float> kRefK = {-0.49f, -0.11f, 0.01f,  0.11f,  0.99f, 0.59f,
                                  0.24f,  0.98f,  -0.57f, -0.68f, 0.23f, -0.91f};
const std::vector<float> kRefV = {-0.93f, 0.03f,  -0.07f, 0.83f,  0.26f,  0.03f,
                                  -0.01f, -0.5f,  -0.98f, -0.62f, 0.38f,  -0.6f,
                                  -0.26f, -0.99f, 0.66f,  -0.69f, -0.46f, 0.76f};

TEST(LinearAttentionTest, GatedPerHeadDecayMatchesReference) {
  // B = 1, T = 3, H = 2, d_k = 2, d_v = 3, decay (1, 3, 2), default scale.
  auto out = RunLa({F(kRefQ, {1, 3, 4}), F(kRefK, {1, 3, 4}), F(kRefV, {1, 3, 6}), kNone,
                    F({-0.25f, -0.08f, -0.18f, -0.13f, -0.45f, -0.23f}, {1, 3, 2})},
                   LaAttrs("gated", 2, 2));
  ExpectValues(
      out[0].tensor, {1, 3, 6},
      {0.13770339f, -0.0044420445f, 0.010364772f, -0.032279424f, -0.010111626f, -0.0011667262f,
       -0.06267226f, -0.0144291315f, -0.03691535f, -0.13962421f, 0.114452615f, -0.16416633f,
       0.15079512f, 0.07997236f, -0.37290496f, 0.009796081f, -0.21980983f, 0.34310243f},
      1e-6f, "output");
  ExpectValues(out[1].tensor, {1, 2, 2, 3},
               {0.38458955f, 0.24084496f, -0.976559f, 0.22752213f, 0.48334217f, -0.81337565f,
                -0.2711359f, -0.031524584f, 0.06059645f, 0.20883921f, 0.7344378f, -1.1564834f},
               1e-6f, "present_state");
}

TEST(LinearAttentionTest, GatedPerKeyDimDecayMatchesReference) {
  // As above with decay (1, 3, H * d_k = 4): one gate per key dimension.
  auto out = RunLa({F(kRefQ, {1, 3, 4}), F(kRefK, {1, 3, 4}), F(kRefV, {1, 3, 6}), kNone,
                    F({-0.25f, -0.06f, -0.32f, -0.2f, -0.47f, -0.31f, -0.34f, -0.42f, -0.09f,
                       -0.31f, -0.01f, -0.21f},
                      {1, 3, 4})},
                   LaAttrs("gated", 2, 2));
  ExpectValues(
      out[0].tensor, {1, 3, 6},
      {0.13770339f, -0.0044420445f, 0.010364772f, -0.032279424f, -0.010111626f, -0.0011667262f,
       -0.041094717f, -0.015125187f, -0.035291243f, -0.14779101f, 0.11189433f, -0.16446154f,
       0.15699638f, 0.023876064f, -0.48184013f, 0.025526593f, -0.2251229f, 0.35397187f},
      1e-6f, "output");
  ExpectValues(out[1].tensor, {1, 2, 2, 3},
               {0.39945203f, 0.10350734f, -1.2433035f, 0.22750437f, 0.45505798f, -0.86873686f,
                -0.3001705f, -0.013675265f, 0.03244421f, 0.18401465f, 0.7356937f, -1.166466f},
               1e-6f, "present_state");
}

TEST(LinearAttentionTest, DeltaPerHeadBetaMatchesReference) {
  // delta, beta (1, 3, 2), scale = 0.5.
  auto attrs = LaAttrs("delta", 2, 2);
  attrs.push_back(FloatAttr("scale", 0.5f));
  auto out = RunLa({F(kRefQ, {1, 3, 4}), F(kRefK, {1, 3, 4}), F(kRefV, {1, 3, 6}), kNone, kNone,
                    F({0.61f, 0.64f, 0.68f, 0.15f, 0.44f, 0.24f}, {1, 3, 2})},
                   attrs);
  ExpectValues(
      out[0].tensor, {1, 3, 6},
      {0.05939631f, -0.0019160099f, 0.00447069f, -0.0146079995f, -0.004576f, -0.00052799995f,
       -0.03728533f, -0.0067073405f, -0.018288314f, -0.0037580896f, 0.015601385f, -0.017013025f,
       0.03764412f, -0.00829377f, -0.1822359f, -0.014147341f, -0.03343815f, 0.048785888f},
      1e-6f, "output");
  ExpectValues(out[1].tensor, {1, 2, 2, 3},
               {0.12904665f, -0.008201271f, -0.6587091f, 0.014154598f, 0.19581316f, -0.40277576f,
                -0.059035927f, -0.007304566f, 0.016400592f, 0.11663339f, 0.1584661f, -0.23629093f},
               1e-6f, "present_state");
}

TEST(LinearAttentionTest, GatedDeltaGqaPastStateMatchesReference) {
  // B = 2, T = 2, Hq = 4, Hkv = 2, d_k = 2, d_v = 3; past_state, per-key decay, beta (B, T, 1).
  auto out =
      RunLa({F({-0.2f,  -0.81f, 0.94f,  -0.57f, 0.34f,  -0.4f, 0.75f,  0.32f, -0.74f, 0.69f, 0.89f,
                0.81f,  0.14f,  -0.71f, -0.62f, 0.86f,  0.1f,  -0.64f, 0.77f, 0.28f,  0.14f, -0.25f,
                -0.18f, -0.52f, -0.92f, 0.75f,  -0.06f, 0.1f,  -0.36f, 0.5f,  -0.95f, -0.26f},
               {2, 2, 8}),
             F({-0.94f, -0.75f, 0.93f, 0.32f, -0.14f, 0.05f, 0.75f, -0.31f, 0.18f, 0.37f, -0.29f,
                0.04f, 0.53f, 0.82f, -0.7f, 0.87f},
               {2, 2, 4}),
             F({-0.99f, 0.51f, 0.62f,  -0.73f, -0.16f, 0.63f,  -0.97f, 0.26f,
                0.59f,  0.03f, 0.45f,  -0.55f, -0.6f,  -0.27f, -0.64f, -0.31f,
                0.9f,   0.15f, -0.32f, -0.46f, 0.9f,   -0.11f, 0.96f,  0.03f},
               {2, 2, 6}),
             F({-0.59f, -0.9f,  -0.57f, 0.83f, 0.68f,  -0.78f, 0.21f, -0.04f,
                0.19f,  0.32f,  -0.39f, 0.92f, -0.07f, 0.26f,  0.27f, -0.63f,
                -0.88f, -0.18f, 0.53f,  0.63f, 0.46f,  -0.77f, 0.83f, 0.6f},
               {2, 2, 2, 3}),
             F({-0.24f, -0.05f, -0.13f, -0.21f, -0.29f, -0.06f, -0.29f, -0.04f, -0.47f, -0.29f,
                -0.24f, -0.02f, -0.37f, -0.1f, -0.16f, -0.14f},
               {2, 2, 4}),
             F({0.63f, 0.97f, 0.33f, 0.4f}, {2, 2, 1})},
            LaAttrs("gated_delta", 4, 2));
  ExpectValues(
      out[0].tensor, {2, 2, 12},
      {-0.6821621f,   -0.15354131f, 0.3615247f,    -0.4572229f,   -0.79825515f,  0.07374711f,
       -0.11157191f,  0.07877572f,  -0.15101269f,  -0.19432713f,  -0.09948553f,  0.34138888f,
       0.43531927f,   0.5927487f,   -0.11455456f,  0.71150726f,   -0.1686234f,   -0.4544689f,
       0.0013914538f, 0.23660626f,  -0.4682206f,   0.029652998f,  -0.3632164f,   0.60677516f,
       0.23156671f,   0.31232038f,  0.104567334f,  -0.14076148f,  -0.045036893f, 0.030142652f,
       0.17657124f,   -0.10669905f, -0.070876904f, 0.22329064f,   -0.35481173f,  -0.26060906f,
       -0.21653502f,  -0.3916588f,  -0.12393691f,  -0.030098943f, -0.047580324f, -0.003019983f,
       -0.18642096f,  0.2788907f,   0.06633797f,   -0.037006125f, -0.2894044f,   -0.31556413f},
      2e-6f, "output");
  ExpectValues(
      out[1].tensor, {2, 2, 2, 3},
      {0.16121143f,   -0.69513416f, -0.25731385f, 1.0651172f,    0.46938255f,  -0.5107491f,
       -0.09839477f,  0.2405767f,   -0.12444298f, -0.022173353f, -0.42384654f, 0.9080872f,
       -0.027703721f, 0.10473119f,  0.30476913f,  -0.44228557f,  -0.6100487f,  0.14015247f,
       0.16657305f,   0.17955144f,  0.34953457f,  -0.4073455f,   0.9180991f,   0.43929702f},
      2e-6f, "present_state");
}

// float16 activations, default rule (gated_delta), MQA (Hq = 2, Hkv = 1), per-head decay and beta.
const std::vector<float> kH16Q = {0.76f,  0.05f, 0.83f,  -0.91f, -0.94f, -0.96f,
                                  -0.49f, -0.5f, -0.62f, 0.13f,  -0.92f, 0.18f};
const std::vector<float> kH16K = {-0.67f, 0.36f, -0.96f, -0.38f, 0.88f, 0.08f};
const std::vector<float> kH16V = {0.62f, 0.32f, 0.22f, -0.62f, 0.15f, -0.92f};
const std::vector<float> kH16G = {-0.1f, -0.02f, -0.07f};
const std::vector<float> kH16B = {0.05f, 0.34f, 0.32f};
std::vector<Attribute> MqaAttrs() {
  return {IntAttr("q_num_heads", 2), IntAttr("kv_num_heads", 1)};  // update_rule left default
}

TEST(LinearAttentionTest, Float16WithFloatStateMatchesReference) {
  // float32 past_state with float16 activations: present_state is float32 (S), output float16.
  auto out = RunLa(
      {H(kH16Q, {1, 3, 4}), H(kH16K, {1, 3, 2}), H(kH16V, {1, 3, 2}),
       F({-0.77f, 0.25f, 0.59f, -0.37f}, {1, 1, 2, 2}), H(kH16G, {1, 3, 1}), H(kH16B, {1, 3, 1})},
      MqaAttrs());
  EXPECT_EQ(out[0].tensor.dtype(), DataType::kFloat16);
  EXPECT_EQ(out[1].tensor.dtype(), DataType::kFloat);
  ExpectValues(out[0].tensor, {1, 3, 4},
               {-0.35473633f, 0.09942627f, -0.75146484f, 0.32983398f, 0.02645874f, -0.08532715f,
                0.013954163f, -0.044555664f, 0.22131348f, -0.029800415f, 0.32348633f, -0.0418396f},
               1e-6f, "output", kHalfUlp);
  ExpectValues(out[1].tensor, {1, 1, 2, 2}, {-0.39344674f, 0.013159186f, 0.53117514f, -0.26148f},
               1e-6f, "present_state");
}

TEST(LinearAttentionTest, Float16WithoutPastStateMatchesReference) {
  // No past_state: present_state takes the query's type (float16).
  auto out = RunLa({H(kH16Q, {1, 3, 4}), H(kH16K, {1, 3, 2}), H(kH16V, {1, 3, 2}), kNone,
                    H(kH16G, {1, 3, 1}), H(kH16B, {1, 3, 1})},
                   MqaAttrs());
  EXPECT_EQ(out[0].tensor.dtype(), DataType::kFloat16);
  EXPECT_EQ(out[1].tensor.dtype(), DataType::kFloat16);
  ExpectValues(
      out[0].tensor, {1, 3, 4},
      {-0.010765076f, -0.005554199f, -0.019378662f, -0.010002136f, 0.06842041f, -0.18823242f,
       0.03567505f, -0.098083496f, 0.0073280334f, 0.059448242f, 0.010948181f, 0.08770752f},
      1e-6f, "output", kHalfUlp);
  ExpectValues(out[1].tensor, {1, 1, 2, 2},
               {-0.018539429f, -0.12445068f, -0.008743286f, 0.053100586f}, 1e-6f, "present_state",
               kHalfUlp);
}

TEST(LinearAttentionTest, BFloat16StateAndActivations) {
  // bfloat16 in and out (T = S = bfloat16) against the float kernel on the same rounded inputs.
  const std::vector<float> q = Ramp(2 * 3 * 4, 1), k = Ramp(2 * 3 * 4, 2), v = Ramp(2 * 3 * 6, 3);
  const std::vector<float> g = Ramp(2 * 3 * 2, 4, -0.5f, 0.0f), b = Ramp(2 * 3 * 2, 5, 0.0f, 1.0f);
  const std::vector<float> ps = Ramp(2 * 2 * 2 * 3, 6);
  auto round = [](std::vector<float> x) {
    for (float& e : x) e = ToFloat(ToBFloat16(e));
    return x;
  };
  const auto attrs = LaAttrs("gated_delta", 2, 2);
  auto ref = RunLa({F(round(q), {2, 3, 4}), F(round(k), {2, 3, 4}), F(round(v), {2, 3, 6}),
                    F(round(ps), {2, 2, 2, 3}), F(round(g), {2, 3, 2}), F(round(b), {2, 3, 2})},
                   attrs);
  auto out = RunLa({BF(q, {2, 3, 4}), BF(k, {2, 3, 4}), BF(v, {2, 3, 6}), BF(ps, {2, 2, 2, 3}),
                    BF(g, {2, 3, 2}), BF(b, {2, 3, 2})},
                   attrs);
  EXPECT_EQ(out[0].tensor.dtype(), DataType::kBFloat16);
  EXPECT_EQ(out[1].tensor.dtype(), DataType::kBFloat16);
  // Each output is the float result rounded once to bfloat16.
  const std::vector<float> want_y = round(AsFloats(ref[0].tensor));
  const std::vector<float> want_s = round(AsFloats(ref[1].tensor));
  ExpectValues(out[0].tensor, {2, 3, 6}, want_y, 1e-6f, "output");
  ExpectValues(out[1].tensor, {2, 2, 2, 3}, want_s, 1e-6f, "present_state");
}

TEST(LinearAttentionTest, StateCarriesAcrossCallsForEveryRule) {
  // Prefill of 5 tokens == prefill of 3 then decode of 2 fed with the present_state, for each
  // rule, with GQA (Hq = 4, Hkv = 2), per-key decay and per-head beta, B = 2, d_k = 3, d_v = 2.
  const int64_t B = 2, T = 5, Hq = 4, Hkv = 2, dk = 3, dv = 2;
  const std::vector<float> q = Ramp(B * T * Hq * dk, 11), k = Ramp(B * T * Hkv * dk, 12),
                           v = Ramp(B * T * Hkv * dv, 13),
                           g = Ramp(B * T * Hkv * dk, 14, -0.6f, 0.0f),
                           b = Ramp(B * T * Hkv, 15, 0.0f, 1.0f);
  // Tokens [t0, t1) of a (B, T, w) tensor.
  auto slice = [&](const std::vector<float>& x, int64_t w, int64_t t0, int64_t t1) {
    std::vector<float> r;
    for (int64_t bi = 0; bi < B; ++bi) {
      r.insert(r.end(), x.begin() + (bi * T + t0) * w, x.begin() + (bi * T + t1) * w);
    }
    return F(r, {B, t1 - t0, w});
  };
  for (const std::string rule : {"linear", "gated", "delta", "gated_delta"}) {
    const bool gated = rule == "gated" || rule == "gated_delta";
    const bool delta = rule == "delta" || rule == "gated_delta";
    auto inputs = [&](int64_t t0, int64_t t1, const Tensor& past) {
      return std::vector<Tensor>{slice(q, Hq * dk, t0, t1),
                                 slice(k, Hkv * dk, t0, t1),
                                 slice(v, Hkv * dv, t0, t1),
                                 past,
                                 gated ? slice(g, Hkv * dk, t0, t1) : Tensor(),
                                 delta ? slice(b, Hkv, t0, t1) : Tensor()};
    };
    const auto attrs = LaAttrs(rule, Hq, Hkv);
    auto whole = RunLa(inputs(0, T, Tensor()), attrs);
    auto first = RunLa(inputs(0, 3, Tensor()), attrs);
    auto second = RunLa(inputs(3, T, first[1].tensor), attrs);
    ASSERT_TRUE(whole[0].tensor.defined() && second[0].tensor.defined()) << rule;
    const std::vector<float> wy = AsFloats(whole[0].tensor), y1 = AsFloats(first[0].tensor),
                             y2 = AsFloats(second[0].tensor);
    const int64_t w = Hq * dv;
    for (int64_t bi = 0; bi < B; ++bi) {
      for (int64_t t = 0; t < T; ++t) {
        for (int64_t j = 0; j < w; ++j) {
          const float got = t < 3 ? y1[(bi * 3 + t) * w + j] : y2[(bi * 2 + t - 3) * w + j];
          EXPECT_NEAR(got, wy[(bi * T + t) * w + j], 1e-5f) << rule << " b" << bi << " t" << t;
        }
      }
    }
    ExpectValues(second[1].tensor, {B, Hkv, dk, dv}, AsFloats(whole[1].tensor), 1e-5f, rule);
    // Outputs differ between rules: the rule is honoured (a guard against a test that can pass
    // with any rule).
    if (rule != "linear") {
      auto lin =
          RunLa({slice(q, Hq * dk, 0, T), slice(k, Hkv * dk, 0, T), slice(v, Hkv * dv, 0, T)},
                LaAttrs("linear", Hq, Hkv));
      const std::vector<float> ly = AsFloats(lin[0].tensor);
      double diff = 0;
      for (size_t i = 0; i < ly.size(); ++i) diff += std::fabs(ly[i] - wy[i]);
      EXPECT_GT(diff, 1e-2) << rule;
    }
  }
}

TEST(LinearAttentionTest, OutputOnlyAndEmptySequence) {
  // Only `output` requested: the state lives in scratch.
  auto attrs = LaAttrs("linear", 1, 1);
  attrs.push_back(FloatAttr("scale", 1.0f));
  Tensor y = Run1("LinearAttention", 27,
                  {F(kHandQ, {1, 2, 2}), F(kHandK, {1, 2, 2}), F(kHandV, {1, 2, 2})}, attrs);
  ExpectValues(y, {1, 2, 2}, {1, 2, 4, 6}, 1e-6f);
  // T = 0: an empty output, and present_state is the past state.
  auto out = RunLa(
      {F({}, {1, 0, 2}), F({}, {1, 0, 2}), F({}, {1, 0, 2}), F({1, 2, 3, 4}, {1, 1, 2, 2})}, attrs);
  ExpectValues(out[0].tensor, {1, 0, 2}, {}, 0);
  ExpectValues(out[1].tensor, {1, 1, 2, 2}, {1, 2, 3, 4}, 0);
}

TEST(LinearAttentionTest, Errors) {
  const Tensor q = F(kRefQ, {1, 3, 4}), k = F(kRefK, {1, 3, 4}), v = F(kRefV, {1, 3, 6});
  const Tensor g = F(Ramp(6, 1, -1, 0), {1, 3, 2}), b = F(Ramp(6, 2, 0, 1), {1, 3, 2});
  // Attributes.
  EXPECT_HAS(ErrLa({q, k, v}, LaAttrs("softmax", 2, 2)), "unknown update_rule 'softmax'");
  EXPECT_HAS(ErrLa({q, k, v}, {StringAttr("update_rule", "linear"), IntAttr("q_num_heads", 2)}),
             "q_num_heads and kv_num_heads are required");
  EXPECT_HAS(ErrLa({q, k, v}, LaAttrs("linear", 0, 2)), "must be positive");
  EXPECT_HAS(ErrLa({q, k, v}, LaAttrs("linear", 3, 2)),
             "q_num_heads (3) must be a multiple of kv_num_heads (2)");
  // decay / beta against the rule.
  EXPECT_HAS(ErrLa({q, k, v, kNone, g}, LaAttrs("linear", 2, 2)),
             "update_rule 'linear' forbids the decay input");
  EXPECT_HAS(ErrLa({q, k, v}, LaAttrs("gated", 2, 2)), "'gated' requires the decay input");
  EXPECT_HAS(ErrLa({q, k, v, kNone, g, b}, LaAttrs("gated", 2, 2)),
             "'gated' forbids the beta input");
  EXPECT_HAS(ErrLa({q, k, v}, LaAttrs("delta", 2, 2)), "'delta' requires the beta input");
  EXPECT_HAS(ErrLa({q, k, v, kNone, g, b}, LaAttrs("delta", 2, 2)),
             "'delta' forbids the decay input");
  EXPECT_HAS(ErrLa({q, k, v, kNone, kNone, b}, LaAttrs("gated_delta", 2, 2)),
             "'gated_delta' requires the decay input");
  // Shapes.
  EXPECT_HAS(ErrLa({F(kRefQ, {3, 4}), k, v}, LaAttrs("linear", 2, 2)),
             "query must be rank 3 (B, T, heads * dim), got [3,4]");
  EXPECT_HAS(ErrLa({q, k, v}, LaAttrs("linear", 3, 1)),
             "query's last dimension 4 is not divisible by q_num_heads 3");
  EXPECT_HAS(ErrLa({q, k, F(Ramp(15, 3), {1, 3, 5})}, LaAttrs("linear", 2, 2)),
             "value's last dimension 5 is not divisible by kv_num_heads 2");
  EXPECT_HAS(ErrLa({q, F(Ramp(12, 3), {1, 3, 4}), v}, LaAttrs("linear", 4, 1)), "key head size 4");
  EXPECT_HAS(ErrLa({q, F(kRefK, {1, 2, 6}), v}, LaAttrs("linear", 2, 2)),
             "does not match the query's batch and sequence length (1, 3)");
  EXPECT_HAS(ErrLa({q, k, v, kNone, F(Ramp(9, 1), {1, 3, 3})}, LaAttrs("gated", 2, 2)),
             "decay's last dimension must be kv_num_heads (2) or kv_num_heads * d_k (4)");
  EXPECT_HAS(ErrLa({q, k, v, kNone, kNone, F(Ramp(9, 1), {1, 3, 3})}, LaAttrs("delta", 2, 2)),
             "beta's last dimension must be kv_num_heads (2) or 1");
  EXPECT_HAS(ErrLa({q, k, v, F(Ramp(8, 1), {1, 2, 2, 2})}, LaAttrs("linear", 2, 2)),
             "past_state must have shape (B, kv_num_heads, d_k, d_v) = [1,2,2,3], got [1,2,2,2]");
  // Element types.
  EXPECT_HAS(ErrLa({H(kRefQ, {1, 3, 4}), k, v}, LaAttrs("linear", 2, 2)), "same element type");
  EXPECT_HAS(ErrLa({T_<double>(std::vector<double>(12, 0.5), {1, 3, 4}),
                    T_<double>(std::vector<double>(12, 0.5), {1, 3, 4}),
                    T_<double>(std::vector<double>(18, 0.5), {1, 3, 6})},
                   LaAttrs("linear", 2, 2)),
             "double");
}

// ----- CausalConvWithState --------------------------------------------------------------------

TEST(CausalConvWithStateTest, ByHand) {
  // One channel, k = 3, weight [1, 2, 3], no past (zero padding): P = [0, 0, 1, 2, 3, 4]
  //   y[l] = P[l] + 2 P[l+1] + 3 P[l+2] = [3, 8, 14, 20]; present = [3, 4].
  auto out =
      RunN("CausalConvWithState", 27, {F({1, 2, 3, 4}, {1, 1, 4}), F({1, 2, 3}, {1, 1, 3})}, {}, 2);
  ExpectValues(out[0].tensor, {1, 1, 4}, {3, 8, 14, 20}, 1e-6f, "output");
  ExpectValues(out[1].tensor, {1, 1, 2}, {3, 4}, 0, "present_state");
  // With past [5, 6] and bias 0.5: P = [5, 6, 1, 2, 3, 4] -> y = [5+12+3, 6+2+6, 14, 20] + 0.5.
  out = RunN(
      "CausalConvWithState", 27,
      {F({1, 2, 3, 4}, {1, 1, 4}), F({1, 2, 3}, {1, 1, 3}), F({0.5f}, {1}), F({5, 6}, {1, 1, 2})},
      {}, 2);
  ExpectValues(out[0].tensor, {1, 1, 4}, {20.5f, 14.5f, 14.5f, 20.5f}, 1e-6f, "output");
  ExpectValues(out[1].tensor, {1, 1, 2}, {3, 4}, 0, "present_state");
}

TEST(CausalConvWithStateTest, SiluBiasPastStateMatchesReference) {
  // B = 2, C = 2, L = 4, k = 3, bias, past_state, activation silu (and its alias swish).
  const std::vector<Tensor> in = {
      F({0.73f, 0.59f, -0.74f, 0.53f, 0.77f, -0.61f, 0.15f, 0.28f, 0.22f, -0.81f, 0.32f, 0.26f,
         0.65f, 0.61f, -0.35f, 0.44f},
        {2, 2, 4}),
      F({0.73f, 0.79f, -0.68f, -0.95f, 0.3f, -0.57f}, {2, 1, 3}), F({0.13f, 0.89f}, {2}),
      F({-0.24f, -0.49f, -0.09f, 0.31f, -0.8f, -0.24f, -0.73f, 0.32f}, {2, 2, 2})};
  const std::vector<float> want = {-0.2629972f,  -0.025418932f, 1.3652877f,   -0.15567617f,
                                   0.4107503f,   0.89697534f,   -0.05197805f, 1.0770501f,
                                   -0.24706751f, 0.4508531f,    -0.20519084f, -0.15598844f,
                                   1.0306356f,   0.26286638f,   0.4310793f,   -0.022137096f};
  for (const char* act : {"silu", "swish"}) {
    auto out = RunN("CausalConvWithState", 27, in, {StringAttr("activation", act)}, 2);
    ExpectValues(out[0].tensor, {2, 2, 4}, want, 1e-6f, act);
    ExpectValues(out[1].tensor, {2, 2, 2},
                 {-0.74f, 0.53f, 0.15f, 0.28f, 0.32f, 0.26f, -0.35f, 0.44f}, 0, act);
  }
  // activation none differs (silu is applied).
  auto plain = RunN("CausalConvWithState", 27, in, {StringAttr("activation", "none")}, 2);
  EXPECT_GT(std::fabs(AsFloats(plain[0].tensor)[2] - want[2]), 0.1f);
}

TEST(CausalConvWithStateTest, Float16SiluBiasMatchesReference) {
  // The same input, weight and bias converted to float16, no past_state.
  auto out =
      RunN("CausalConvWithState", 27,
           {H({0.73f, 0.59f, -0.74f, 0.53f, 0.77f, -0.61f, 0.15f, 0.28f, 0.22f, -0.81f, 0.32f,
               0.26f, 0.65f, 0.61f, -0.35f, 0.44f},
              {2, 2, 4}),
            H({0.73f, 0.79f, -0.68f, -0.95f, 0.3f, -0.57f}, {2, 1, 3}), H({0.13f, 0.89f}, {2})},
           {StringAttr("activation", "silu")}, 2);
  EXPECT_EQ(out[0].tensor.dtype(), DataType::kFloat16);
  EXPECT_EQ(out[1].tensor.dtype(), DataType::kFloat16);
  ExpectValues(out[0].tensor, {2, 2, 4},
               {-0.15014648f, 0.17602539f, 1.3652344f, -0.15576172f, 0.2758789f, 1.1943359f,
                -0.0519104f, 1.0771484f, -0.009727478f, 0.5996094f, -0.20532227f, -0.15600586f,
                0.3256836f, 0.49902344f, 0.43139648f, -0.021957397f},
               1e-6f, "output", kHalfUlp);
  ExpectValues(out[1].tensor, {2, 2, 2},
               {-0.7402344f, 0.52978516f, 0.15002441f, 0.2800293f, 0.32006836f, 0.26000977f,
                -0.35009766f, 0.4399414f},
               0, "present_state");
}

TEST(CausalConvWithStateTest, ShortInputKeepsPartOfThePast) {
  // L = 1 < k - 1 = 3: present_state = past[1:] + input. Reference values.
  auto out = RunN("CausalConvWithState", 27,
                  {F({0.66f, -0.25f}, {1, 2, 1}),
                   F({-0.26f, 0.08f, -0.57f, -0.51f, -0.34f, -0.09f, -0.84f, 0.51f}, {2, 1, 4}),
                   kNone, F({0.16f, -0.4f, -0.84f, 0.53f, -0.74f, -0.73f}, {1, 2, 3})},
                  {}, 2);
  ExpectValues(out[0].tensor, {1, 2, 1}, {0.06859997f, 0.37210003f}, 1e-6f, "output");
  ExpectValues(out[1].tensor, {1, 2, 3}, {-0.4f, -0.84f, 0.66f, -0.74f, -0.73f, -0.25f}, 0,
               "present_state");
  // Without past_state the kept part is zero padding: P = [0, 0, 0, 2] for k = 4.
  out = RunN("CausalConvWithState", 27, {F({2}, {1, 1, 1}), F({1, 1, 1, 3}, {1, 1, 4})}, {}, 2);
  ExpectValues(out[0].tensor, {1, 1, 1}, {6}, 1e-6f, "output");
  ExpectValues(out[1].tensor, {1, 1, 3}, {0, 0, 2}, 0, "present_state");
}

TEST(CausalConvWithStateTest, KernelSizeOneAndStreaming) {
  // k = 1: a per-channel scale, present_state (B, C, 0).
  auto out =
      RunN("CausalConvWithState", 27, {F({1, 2, 3, 4}, {1, 2, 2}), F({2, -1}, {2, 1, 1})}, {}, 2);
  ExpectValues(out[0].tensor, {1, 2, 2}, {2, 4, -3, -4}, 1e-6f, "output");
  ExpectValues(out[1].tensor, {1, 2, 0}, {}, 0, "present_state");
  // Streaming one step at a time with the state == one call over the whole sequence (bf16 too).
  const int64_t B = 2, C = 3, L = 6, K = 4;
  const std::vector<float> x = Ramp(B * C * L, 21), w = Ramp(C * K, 22), bias = Ramp(C, 23);
  for (bool bf16 : {false, true}) {
    auto mk = [&](const std::vector<float>& v, Dims d) {
      return bf16 ? BF(v, std::move(d)) : F(v, std::move(d));
    };
    const std::vector<Attribute> attrs = {StringAttr("activation", "silu")};
    auto whole = RunN("CausalConvWithState", 27,
                      {mk(x, {B, C, L}), mk(w, {C, 1, K}), mk(bias, {C})}, attrs, 2);
    Tensor state;
    for (int64_t l = 0; l < L; ++l) {
      std::vector<float> step;
      for (int64_t bc = 0; bc < B * C; ++bc) step.push_back(x[bc * L + l]);
      auto o = RunN("CausalConvWithState", 27,
                    {mk(step, {B, C, 1}), mk(w, {C, 1, K}), mk(bias, {C}), state}, attrs, 2);
      const std::vector<float> got = AsFloats(o[0].tensor), all = AsFloats(whole[0].tensor);
      for (int64_t bc = 0; bc < B * C; ++bc) {
        EXPECT_NEAR(got[bc], all[bc * L + l], 1e-6f) << "bf16=" << bf16 << " l=" << l;
      }
      state = o[1].tensor;
    }
    const std::vector<float> s = AsFloats(state), ws = AsFloats(whole[1].tensor);
    EXPECT_EQ(s, ws) << "bf16=" << bf16;
  }
}

TEST(CausalConvWithStateTest, Errors) {
  const Tensor x = F(Ramp(8, 1), {1, 2, 4}), w = F(Ramp(6, 2), {2, 1, 3});
  EXPECT_HAS(ErrConv({x, w}, {StringAttr("activation", "relu")}),
             "unknown activation 'relu' (expected 'none', 'silu' or 'swish')");
  EXPECT_HAS(ErrConv({F(Ramp(8, 1), {2, 4}), w}),
             "input must be rank 3 (batch_size, channels, length), got [2,4]");
  EXPECT_HAS(ErrConv({x, F(Ramp(12, 2), {2, 2, 3})}),
             "weight must have shape (channels, 1, k) with channels = 2, got [2,2,3]");
  EXPECT_HAS(ErrConv({x, F(Ramp(9, 2), {3, 1, 3})}), "got [3,1,3]");
  EXPECT_HAS(ErrConv({x, F(Ramp(6, 2), {2, 3})}), "weight must have shape (channels, 1, k)");
  EXPECT_HAS(ErrConv({x, F({}, {2, 1, 0})}), "kernel size k must be >= 1");
  EXPECT_HAS(ErrConv({x, w, F({1, 2, 3}, {3})}), "bias must have shape (2), got [3]");
  EXPECT_HAS(ErrConv({x, w, kNone, F(Ramp(6, 3), {1, 2, 3})}),
             "past_state must have shape (batch_size, channels, k - 1) = [1,2,2], got [1,2,3]");
  EXPECT_HAS(ErrConv({x, H(Ramp(6, 2), {2, 1, 3})}), "same element type");
  EXPECT_HAS(ErrConv({T_<double>(std::vector<double>(8, 1.0), {1, 2, 4}),
                      T_<double>(std::vector<double>(6, 1.0), {2, 1, 3})}),
             "double");
}

}  // namespace
}  // namespace kiln::test
