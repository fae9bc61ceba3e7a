// Random-number kernels (RandomUniform, RandomNormal, their *Like forms, Multinomial, Bernoulli):
// seeded outputs against numpy's RandomState and onnx's reference evaluator (the literals below
// were printed by the Python calls named next to them, numpy 2.3.5 / onnx 1.23.2), determinism for
// a seed, fresh values without one (also across threads), statistics, element types and the error
// paths.
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ir/float16.h"
#include "kernels/cpu/kernel_test_util.h"

namespace kiln::test {
namespace {

const int64_t kFloat16 = static_cast<int64_t>(DataType::kFloat16);
const int64_t kDouble = static_cast<int64_t>(DataType::kDouble);
const int64_t kBFloat16 = static_cast<int64_t>(DataType::kBFloat16);

std::vector<uint16_t> Bits16(const Tensor& t) {
  std::vector<uint16_t> v(static_cast<size_t>(t.numel()));
  std::memcpy(v.data(), t.raw_data(), v.size() * 2);
  return v;
}

// Expects a failed run whose message contains `what`.
void ExpectError(const Status& s, const std::string& what) {
  ASSERT_FALSE(s.ok()) << "expected an error containing '" << what << "'";
  EXPECT_NE(s.message().find(what), std::string::npos) << s.ToString();
}

// A one-node model run through one Session several times (the same kernel instance).
class OneNodeSession {
 public:
  OneNodeSession(const std::string& op, int opset, std::vector<Attribute> attrs,
                 DataType input_type = DataType::kUndefined,
                 std::optional<uint64_t> random_seed = std::nullopt) {
    Model m;
    m.ir_version = 10;
    m.opset_imports[""] = opset;
    m.graph = std::make_unique<Graph>();
    Graph& g = *m.graph;
    Node node;
    node.name = "node";
    node.op_type = op;
    node.opset = opset;
    node.attributes = std::move(attrs);
    if (input_type != DataType::kUndefined) {
      const int x = *g.AddValue("x", TypeInfo::Tensor(input_type));
      g.AddInput(x);
      node.inputs = {x};
    }
    const int y = *g.AddValue("y");
    node.outputs = {y};
    EXPECT_TRUE(g.AddNode(std::move(node)).ok());
    g.AddOutput(y);
    SessionOptions so;
    so.optimization_level = 0;
    so.random_seed = random_seed;
    auto s = Session::Create(std::move(m), so);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (s.ok()) session_ = std::move(s).value();
  }
  Tensor Run(const Tensor& x = Tensor()) const {
    std::vector<NamedValue> feeds;
    if (x.defined()) feeds.push_back({"x", AnyValue(x)});
    auto r = session_->Run(feeds);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? (*r)[0].value.tensor : Tensor();
  }
  bool ok() const { return session_ != nullptr; }

 private:
  std::unique_ptr<Session> session_;
};

// ---- seeded: numpy's RandomState, bit for bit ---------------------------------------------------

TEST(RandomTest, UniformDoubleEqualsNumpyRand) {
  // np.random.RandomState(5).rand(4).tolist()
  const std::vector<double> want = {0.22199317108973948, 0.8707323061773764, 0.20671915533942642,
                                    0.9186109079379216};
  Tensor y = Run1("RandomUniform", 22, {},
                  {IntsAttr("shape", {4}), FloatAttr("seed", 5.0f), IntAttr("dtype", kDouble)});
  EXPECT_EQ(Values<double>(y), want);
  // np.random.RandomState(0).rand(2).tolist()
  EXPECT_EQ(Values<double>(
                Run1("RandomUniform", 22, {},
                     {IntsAttr("shape", {2}), FloatAttr("seed", 0.0f), IntAttr("dtype", kDouble)})),
            (std::vector<double>{0.5488135039273248, 0.7151893663724195}));
  // The largest float seed below 2^32: np.random.RandomState(4294967040).rand(2).tolist()
  EXPECT_EQ(Values<double>(Run1("RandomUniform", 22, {},
                                {IntsAttr("shape", {2}), FloatAttr("seed", 4294967040.0f),
                                 IntAttr("dtype", kDouble)})),
            (std::vector<double>{0.4927800690427263, 0.8040295840672633}));
}

TEST(RandomTest, NormalDoubleEqualsNumpyRandn) {
  // np.random.RandomState(5).randn(5).tolist(): polar method, pairs with a cached second value
  const std::vector<double> want = {0.44122748688504143, -0.33087015189408764, 2.43077118700778,
                                    -0.2520921296030769, 0.10960984157818278};
  Tensor y = Run1("RandomNormal", 22, {},
                  {IntsAttr("shape", {5}), FloatAttr("seed", 5.0f), IntAttr("dtype", kDouble)});
  EXPECT_EQ(Values<double>(y), want);
}

// The reference evaluator: onnx.reference.ReferenceEvaluator on the same one-node model, e.g.
//   RandomUniform(shape=[2,3], low=-1.5, high=2.5, seed=5.0)
TEST(RandomTest, UniformEqualsOnnxReference) {
  const std::vector<Attribute> base = {FloatAttr("low", -1.5f), FloatAttr("high", 2.5f),
                                       FloatAttr("seed", 5.0f)};
  auto with = [&](std::vector<Attribute> extra) {
    std::vector<Attribute> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  Tensor f32 = Run1("RandomUniform", 22, {}, with({IntsAttr("shape", {2, 3})}));
  EXPECT_EQ(f32.dims(), (Dims{2, 3}));
  EXPECT_EQ(Values<float>(f32),
            (std::vector<float>{-0.6120272874832153f, 1.9829292297363281f, -0.6731233596801758f,
                                2.1744437217712402f, 0.4536447525024414f, 0.9469754695892334f}));
  Tensor f64 =
      Run1("RandomUniform", 22, {}, with({IntsAttr("shape", {4}), IntAttr("dtype", kDouble)}));
  EXPECT_EQ(Values<double>(f64), (std::vector<double>{-0.6120273156410421, 1.9829292247095056,
                                                      -0.6731233786422943, 2.174443631751686}));
  Tensor f16 =
      Run1("RandomUniform", 22, {}, with({IntsAttr("shape", {4}), IntAttr("dtype", kFloat16)}));
  ASSERT_EQ(f16.dtype(), DataType::kFloat16);
  EXPECT_EQ(Bits16(f16), (std::vector<uint16_t>{0xb8e5, 0x3fee, 0xb963, 0x4059}));
  Tensor bf16 =
      Run1("RandomUniform", 22, {}, with({IntsAttr("shape", {4}), IntAttr("dtype", kBFloat16)}));
  ASSERT_EQ(bf16.dtype(), DataType::kBFloat16);
  EXPECT_EQ(Bits16(bf16), (std::vector<uint16_t>{0xbf1d, 0x3ffe, 0xbf2c, 0x400b}));
}

// RandomNormal(shape=[5], mean=1.0, scale=0.5, seed=5.0) in the reference evaluator.
TEST(RandomTest, NormalEqualsOnnxReference) {
  const std::vector<Attribute> base = {IntsAttr("shape", {5}), FloatAttr("mean", 1.0f),
                                       FloatAttr("scale", 0.5f), FloatAttr("seed", 5.0f)};
  auto with = [&](int64_t dtype) {
    std::vector<Attribute> a = base;
    a.push_back(IntAttr("dtype", dtype));
    return a;
  };
  EXPECT_EQ(Values<float>(Run1("RandomNormal", 22, {}, base)),
            (std::vector<float>{1.220613718032837f, 0.8345649242401123f, 2.2153854370117188f,
                                0.8739539384841919f, 1.0548049211502075f}));
  EXPECT_EQ(Values<double>(Run1("RandomNormal", 22, {}, with(kDouble))),
            (std::vector<double>{1.2206137434425206, 0.8345649240529562, 2.21538559350389,
                                 0.8739539351984615, 1.0548049207890915}));
  EXPECT_EQ(Bits16(Run1("RandomNormal", 22, {}, with(kFloat16))),
            (std::vector<uint16_t>{0x3ce2, 0x3aad, 0x406e, 0x3afe, 0x3c38}));
  EXPECT_EQ(Bits16(Run1("RandomNormal", 22, {}, with(kBFloat16))),
            (std::vector<uint16_t>{0x3f9c, 0x3f56, 0x400e, 0x3f60, 0x3f87}));
}

// Values that a fused multiply-add would change (the kernels build with FMA available): the float
// scale-and-shift of RandomUniform, and the polar method's x1^2 + x2^2 (elements 22, 23 here).
TEST(RandomTest, NoFusedMultiplyAdd) {
  // ReferenceEvaluator: RandomUniformLike(zeros(4) float32, seed=0.0, low=-2.0, high=3.0)
  Tensor u = Run1("RandomUniformLike", 22, {T_<float>({0, 0, 0, 0}, {4})},
                  {FloatAttr("seed", 0.0f), FloatAttr("low", -2.0f), FloatAttr("high", 3.0f)});
  EXPECT_EQ(Values<float>(u), (std::vector<float>{0.7440676689147949f, 1.5759468078613281f,
                                                  1.0138168334960938f, 0.7244160175323486f}));
  // np.random.RandomState(0).randn(24).tolist()
  const std::vector<double> want = {
      1.764052345967664,    0.4001572083672233,   0.9787379841057392,  2.240893199201458,
      1.8675579901499675,   -0.977277879876411,   0.9500884175255894,  -0.1513572082976979,
      -0.10321885179355784, 0.41059850193837233,  0.144043571160878,   1.454273506962975,
      0.7610377251469934,   0.12167501649282841,  0.44386323274542566, 0.33367432737426683,
      1.4940790731576061,   -0.20515826376580087, 0.31306770165090136, -0.8540957393017248,
      -2.5529898158340787,  0.6536185954403606,   0.8644361988595057,  -0.7421650204064419};
  EXPECT_EQ(Values<double>(Run1(
                "RandomNormal", 22, {},
                {IntsAttr("shape", {24}), FloatAttr("seed", 0.0f), IntAttr("dtype", kDouble)})),
            want);
}

TEST(RandomTest, LikeOpsEqualOnnxReference) {
  // RandomUniformLike(zeros((2, 2)) float64, seed=7.0): the output takes the input's type.
  Tensor x = T_<double>({0, 0, 0, 0}, {2, 2});
  Tensor u = Run1("RandomUniformLike", 22, {x}, {FloatAttr("seed", 7.0f)});
  ASSERT_EQ(u.dtype(), DataType::kDouble);
  EXPECT_EQ(u.dims(), (Dims{2, 2}));
  EXPECT_EQ(Values<double>(u), (std::vector<double>{0.07630828937395717, 0.7799187922401146,
                                                    0.4384092314408935, 0.7234651778309412}));
  // RandomNormalLike(zeros(3) int32, seed=7.0, dtype=FLOAT)
  Tensor xi = T_<int32_t>({0, 0, 0}, {3});
  Tensor n = Run1("RandomNormalLike", 22, {xi},
                  {FloatAttr("seed", 7.0f), IntAttr("dtype", static_cast<int64_t>(1))});
  ASSERT_EQ(n.dtype(), DataType::kFloat);
  EXPECT_EQ(Values<float>(n), (std::vector<float>{1.6905256509780884f, -0.46593737602233887f,
                                                  0.032820165157318115f}));
}

TEST(RandomTest, BernoulliEqualsOnnxReference) {
  // Bernoulli(p, seed=3.0) = RandomState(3).binomial(1, p): numpy's legacy binomial draws for
  // p == 0 too, so the zeros here shift the stream (np.random.RandomState(3).binomial(1, p=[0.0,
  // 0.5, 1.0, 0.25, 0.75, 0.0, 0.9]).tolist() == [0, 1, 1, 0, 0, 0, 1]).
  const std::vector<float> p = {0.0f, 0.5f, 1.0f, 0.25f, 0.75f, 0.0f, 0.9f};
  Tensor y = Run1("Bernoulli", 22, {T_<float>(p, {7})}, {FloatAttr("seed", 3.0f)});
  ASSERT_EQ(y.dtype(), DataType::kFloat);
  EXPECT_EQ(Values<float>(y), (std::vector<float>{0, 1, 1, 0, 0, 0, 1}));
  // The same probabilities as float64 with dtype=BOOL.
  std::vector<double> pd(p.begin(), p.end());
  Tensor b = Run1("Bernoulli", 15, {T_<double>(pd, {7})},
                  {FloatAttr("seed", 3.0f), IntAttr("dtype", static_cast<int64_t>(9))});
  ASSERT_EQ(b.dtype(), DataType::kBool);
  EXPECT_EQ(Values<bool>(b), (std::vector<bool>{false, true, true, false, false, false, true}));
}

// ---- seeds --------------------------------------------------------------------------------------

TEST(RandomTest, SameSeedSameOutput) {
  const std::vector<Attribute> attrs = {IntsAttr("shape", {3, 7}), FloatAttr("seed", 42.0f)};
  for (const char* op : {"RandomUniform", "RandomNormal"}) {
    const auto a = Values<float>(Run1(op, 22, {}, attrs));
    const auto b = Values<float>(Run1(op, 22, {}, attrs));
    EXPECT_EQ(a, b) << op;
    OneNodeSession s(op, 22, attrs);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(Values<float>(s.Run()), a) << op << ": a second run of one kernel";
    EXPECT_EQ(Values<float>(s.Run()), a) << op;
    // Another seed gives other values.
    EXPECT_NE(
        Values<float>(Run1(op, 22, {}, {IntsAttr("shape", {3, 7}), FloatAttr("seed", 43.0f)})), a)
        << op;
  }
  Tensor logits = T_<float>({0, 1, 2, 0.5f, -1, 0}, {2, 3});
  const std::vector<Attribute> m = {IntAttr("sample_size", 20), FloatAttr("seed", 9.0f)};
  EXPECT_EQ(Values<int32_t>(Run1("Multinomial", 22, {logits}, m)),
            Values<int32_t>(Run1("Multinomial", 22, {logits}, m)));
  Tensor p = T_<float>({0.1f, 0.5f, 0.9f, 0.3f}, {4});
  EXPECT_EQ(Values<float>(Run1("Bernoulli", 22, {p}, {FloatAttr("seed", 1.0f)})),
            Values<float>(Run1("Bernoulli", 22, {p}, {FloatAttr("seed", 1.0f)})));
}

TEST(RandomTest, SeedConversion) {
  auto draw = [](float seed) {
    return Values<double>(
        Run1("RandomUniform", 22, {},
             {IntsAttr("shape", {3}), FloatAttr("seed", seed), IntAttr("dtype", kDouble)}));
  };
  // int(seed) truncates, as in the reference: 5.75 -> 5, -0.5 -> 0.
  EXPECT_EQ(draw(5.75f), draw(5.0f));
  EXPECT_EQ(draw(-0.5f), draw(0.0f));
  // Seeds numpy refuses (negative, >= 2^32, infinite) use the float's bits: deterministic, and
  // equal to the integer seed with those bits (-1.0f is 0xbf800000 = 3212836864).
  EXPECT_EQ(draw(-1.0f), draw(-1.0f));
  EXPECT_EQ(draw(-1.0f), draw(3212836864.0f));
  EXPECT_NE(draw(-1.0f), draw(1.0f));
  EXPECT_EQ(draw(INFINITY), draw(INFINITY));
  EXPECT_EQ(draw(1e20f), draw(1e20f));
  // A NaN seed counts as absent (as in onnx's reference): fresh values.
  EXPECT_NE(draw(NAN), draw(NAN));
}

// ---- unseeded -----------------------------------------------------------------------------------

TEST(RandomTest, UnseededRunsDiffer) {
  const std::vector<Attribute> attrs = {IntsAttr("shape", {16})};
  for (const char* op : {"RandomUniform", "RandomNormal"}) {
    // Two kernels (two sessions).
    EXPECT_NE(Values<float>(Run1(op, 22, {}, attrs)), Values<float>(Run1(op, 22, {}, attrs))) << op;
    // Two runs of one kernel.
    OneNodeSession s(op, 22, attrs);
    ASSERT_TRUE(s.ok());
    const auto a = Values<float>(s.Run());
    EXPECT_NE(Values<float>(s.Run()), a) << op;
  }
  Tensor x = T_<float>(std::vector<float>(64, 0.5f), {64});
  OneNodeSession b("Bernoulli", 22, {}, DataType::kFloat);
  ASSERT_TRUE(b.ok());
  EXPECT_NE(Values<float>(b.Run(x)), Values<float>(b.Run(x)));
  Tensor logits = T_<float>(std::vector<float>(8, 0.0f), {1, 8});
  OneNodeSession m("Multinomial", 22, {IntAttr("sample_size", 64)}, DataType::kFloat);
  ASSERT_TRUE(m.ok());
  EXPECT_NE(Values<int32_t>(m.Run(logits)), Values<int32_t>(m.Run(logits)));
}

TEST(RandomTest, SessionSeedMakesUnseededRunsReproducible) {
  // SessionOptions::random_seed: two sessions with the same seed give the same sequence of runs;
  // the runs of one session still differ, and another seed gives other values.
  const std::vector<Attribute> attrs = {IntsAttr("shape", {16})};
  for (const char* op : {"RandomUniform", "RandomNormal"}) {
    OneNodeSession a(op, 22, attrs, DataType::kUndefined, 7);
    OneNodeSession b(op, 22, attrs, DataType::kUndefined, 7);
    OneNodeSession c(op, 22, attrs, DataType::kUndefined, 8);
    ASSERT_TRUE(a.ok() && b.ok() && c.ok());
    const auto a1 = Values<float>(a.Run()), a2 = Values<float>(a.Run());
    EXPECT_EQ(Values<float>(b.Run()), a1) << op;
    EXPECT_EQ(Values<float>(b.Run()), a2) << op;
    EXPECT_NE(a1, a2) << op;
    EXPECT_NE(Values<float>(c.Run()), a1) << op;
  }
  // A `seed` attribute still wins: the same values on every run, whatever the session seed.
  std::vector<Attribute> seeded = attrs;
  seeded.push_back(FloatAttr("seed", 3));
  OneNodeSession s7("RandomUniform", 22, seeded, DataType::kUndefined, 7);
  OneNodeSession s8("RandomUniform", 22, seeded, DataType::kUndefined, 8);
  ASSERT_TRUE(s7.ok() && s8.ok());
  EXPECT_EQ(Values<float>(s7.Run()), Values<float>(s8.Run()));
  EXPECT_EQ(Values<float>(s7.Run()), Values<float>(s8.Run()));
}

TEST(RandomTest, UnseededConcurrentRunsAreDistinct) {
  OneNodeSession s("RandomUniform", 22, {IntsAttr("shape", {8}), IntAttr("dtype", kDouble)});
  ASSERT_TRUE(s.ok());
  constexpr int kThreads = 4, kRuns = 25;
  std::vector<std::vector<std::vector<double>>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRuns; ++i) got[t].push_back(Values<double>(s.Run()));
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::vector<double>> distinct;
  for (const auto& runs : got) {
    for (const auto& v : runs) {
      ASSERT_EQ(v.size(), 8u);
      for (double d : v) {
        EXPECT_GE(d, 0.0);
        EXPECT_LT(d, 1.0);
      }
      distinct.insert(v);
    }
  }
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kThreads * kRuns));
}

// ---- statistics ---------------------------------------------------------------------------------

TEST(RandomTest, NormalMeanAndVariance) {
  constexpr int64_t n = 100000;
  for (int64_t dtype : {int64_t{1}, kDouble}) {
    Tensor y = Run1("RandomNormal", 22, {},
                    {IntsAttr("shape", {n}), FloatAttr("mean", 3.0f), FloatAttr("scale", 2.0f),
                     IntAttr("dtype", dtype)});
    ASSERT_EQ(y.numel(), n);
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double v = dtype == kDouble ? y.data<double>()[i] : y.data<float>()[i];
      sum += v;
      sq += v * v;
    }
    const double mean = sum / n, var = sq / n - mean * mean;
    // Standard errors: sigma / sqrt(n) = 0.0063 for the mean, sigma^2 sqrt(2 / n) = 0.018 for the
    // variance; allow 5 of them.
    EXPECT_NEAR(mean, 3.0, 5 * 2.0 / std::sqrt(double(n))) << dtype;
    EXPECT_NEAR(var, 4.0, 5 * 4.0 * std::sqrt(2.0 / n)) << dtype;
  }
}

TEST(RandomTest, UniformRangeAndMean) {
  constexpr int64_t n = 100000;
  Tensor y = Run1("RandomUniform", 22, {},
                  {IntsAttr("shape", {n}), FloatAttr("low", -2.0f), FloatAttr("high", 6.0f)});
  const auto v = Values<float>(y);
  double sum = 0;
  float lo = INFINITY, hi = -INFINITY;
  for (float f : v) {
    sum += f;
    lo = std::min(lo, f);
    hi = std::max(hi, f);
  }
  EXPECT_GE(lo, -2.0f);
  EXPECT_LE(hi, 6.0f);
  EXPECT_LT(lo, -1.99f);
  EXPECT_GT(hi, 5.99f);
  // Standard deviation (high - low) / sqrt(12) = 2.31; standard error 0.0073.
  EXPECT_NEAR(sum / n, 2.0, 5 * 8.0 / std::sqrt(12.0 * n));
}

TEST(RandomTest, MultinomialFrequencies) {
  // Log-probabilities of {0.1, 0.2, 0.3, 0.4} shifted by a constant (unnormalized), two rows, the
  // second row with an impossible class (-inf).
  const std::vector<double> p = {0.1, 0.2, 0.3, 0.4};
  std::vector<float> logits;
  for (double q : p) logits.push_back(static_cast<float>(std::log(q) + 7.0));
  logits.insert(logits.end(), {0.0f, -INFINITY, 0.0f, 0.0f});
  constexpr int64_t n = 100000;
  for (int64_t dtype : {int64_t{6}, int64_t{7}}) {
    Tensor y = Run1("Multinomial", 22, {T_<float>(logits, {2, 4})},
                    {IntAttr("sample_size", n), IntAttr("dtype", dtype)});
    ASSERT_EQ(y.dims(), (Dims{2, n}));
    ASSERT_EQ(y.dtype(), dtype == 6 ? DataType::kInt32 : DataType::kInt64);
    std::vector<std::vector<int64_t>> count(2, std::vector<int64_t>(4, 0));
    for (int64_t r = 0; r < 2; ++r) {
      for (int64_t s = 0; s < n; ++s) {
        const int64_t k = dtype == 6 ? y.data<int32_t>()[r * n + s] : y.data<int64_t>()[r * n + s];
        ASSERT_GE(k, 0);
        ASSERT_LT(k, 4);
        ++count[r][k];
      }
    }
    for (int k = 0; k < 4; ++k) {
      const double se = std::sqrt(p[k] * (1 - p[k]) / n);
      EXPECT_NEAR(double(count[0][k]) / n, p[k], 5 * se) << "class " << k;
    }
    EXPECT_EQ(count[1][1], 0);
    for (int k : {0, 2, 3})
      EXPECT_NEAR(double(count[1][k]) / n, 1.0 / 3, 5 * std::sqrt(2.0 / 9 / n));
  }
}

TEST(RandomTest, MultinomialInverseCdfWithSeed) {
  // Two equally likely classes: class = floor(2 u) for u = RandomState(5).rand(4) =
  // [0.222, 0.871, 0.207, 0.919] -> [0, 1, 0, 1]. A dominant class (log-weight +50) takes all.
  Tensor x = T_<float>({0, 0, 0, 50}, {2, 2});
  Tensor y = Run1("Multinomial", 7, {x},
                  {IntAttr("sample_size", 4), FloatAttr("seed", 5.0f),
                   IntAttr("dtype", static_cast<int64_t>(7))});
  ASSERT_EQ(y.dtype(), DataType::kInt64);
  EXPECT_EQ(Values<int64_t>(y), (std::vector<int64_t>{0, 1, 0, 1, 1, 1, 1, 1}));
  // float16 and double logits sample the same way.
  Tensor h = T_<Float16>({ToFloat16(0), ToFloat16(0), ToFloat16(0), ToFloat16(50)}, {2, 2});
  EXPECT_EQ(Values<int32_t>(
                Run1("Multinomial", 22, {h}, {IntAttr("sample_size", 4), FloatAttr("seed", 5.0f)})),
            (std::vector<int32_t>{0, 1, 0, 1, 1, 1, 1, 1}));
}

TEST(RandomTest, BernoulliMean) {
  constexpr int64_t n = 100000;
  for (double p : {0.0, 0.3, 0.8, 1.0}) {
    Tensor x = T_<double>(std::vector<double>(n, p), {n});
    Tensor y = Run1("Bernoulli", 22, {x}, {IntAttr("dtype", static_cast<int64_t>(7))});
    ASSERT_EQ(y.dtype(), DataType::kInt64);
    int64_t ones = 0;
    for (int64_t v : Values<int64_t>(y)) {
      ASSERT_TRUE(v == 0 || v == 1) << v;
      ones += v;
    }
    EXPECT_NEAR(double(ones) / n, p, 5 * std::sqrt(p * (1 - p) / n) + 1e-12) << p;
  }
}

// ---- element types and shapes -------------------------------------------------------------------

TEST(RandomTest, OutputTypesAndShapes) {
  // Default dtype is float; float16 / double / bfloat16 on request; values stay in [low, high].
  Tensor f = Run1("RandomUniform", 1, {}, {IntsAttr("shape", {2, 5})});
  EXPECT_EQ(f.dtype(), DataType::kFloat);
  EXPECT_EQ(f.dims(), (Dims{2, 5}));
  Tensor h = Run1("RandomUniform", 1, {},
                  {IntsAttr("shape", {100}), IntAttr("dtype", kFloat16), FloatAttr("low", 10.0f),
                   FloatAttr("high", 20.0f)});
  ASSERT_EQ(h.dtype(), DataType::kFloat16);
  for (Float16 v : Values<Float16>(h)) {
    EXPECT_GE(ToFloat(v), 10.0f);
    EXPECT_LE(ToFloat(v), 20.0f);
  }
  Tensor d = Run1("RandomNormal", 1, {}, {IntsAttr("shape", {3}), IntAttr("dtype", kDouble)});
  EXPECT_EQ(d.dtype(), DataType::kDouble);
  // Empty shape: a scalar; a zero dimension: an empty tensor.
  Tensor s = Run1("RandomNormal", 22, {}, {IntsAttr("shape", {})});
  EXPECT_EQ(s.rank(), 0);
  EXPECT_EQ(s.numel(), 1);
  Tensor e = Run1("RandomUniform", 22, {}, {IntsAttr("shape", {3, 0})});
  EXPECT_EQ(e.dims(), (Dims{3, 0}));
  // *Like: the input's shape and (without dtype) its type; any input type with dtype.
  Tensor like16 = Run1("RandomNormalLike", 1, {T_<Float16>(std::vector<Float16>(6), {3, 2})});
  EXPECT_EQ(like16.dtype(), DataType::kFloat16);
  EXPECT_EQ(like16.dims(), (Dims{3, 2}));
  Tensor from_int =
      Run1("RandomUniformLike", 1, {I64({1, 2, 3, 4}, {2, 2})}, {IntAttr("dtype", kDouble)});
  EXPECT_EQ(from_int.dtype(), DataType::kDouble);
  EXPECT_EQ(from_int.dims(), (Dims{2, 2}));
  // Bernoulli: the input's type by default; any numeric type or bool with dtype.
  Tensor p16 = T_<Float16>({ToFloat16(1), ToFloat16(0)}, {2});
  Tensor b16 = Run1("Bernoulli", 15, {p16});
  ASSERT_EQ(b16.dtype(), DataType::kFloat16);
  EXPECT_EQ(Bits16(b16), (std::vector<uint16_t>{0x3c00, 0x0000}));
  Tensor bu8 = Run1("Bernoulli", 15, {p16}, {IntAttr("dtype", static_cast<int64_t>(2))});
  EXPECT_EQ(Values<uint8_t>(bu8), (std::vector<uint8_t>{1, 0}));
  Tensor bbf = Run1("Bernoulli", 22, {T_<BFloat16>({ToBFloat16(1), ToBFloat16(0)}, {2})},
                    {IntAttr("dtype", kBFloat16)});
  ASSERT_EQ(bbf.dtype(), DataType::kBFloat16);
  EXPECT_EQ(Bits16(bbf), (std::vector<uint16_t>{0x3f80, 0x0000}));
}

// ---- errors -------------------------------------------------------------------------------------

TEST(RandomTest, Errors) {
  ExpectError(RunErr("RandomUniform", 22, {}, {}), "shape");
  ExpectError(RunErr("RandomNormal", 22, {}, {IntsAttr("shape", {2, -1})}), "shape");
  // Integer outputs are not random-op types.
  ExpectError(RunErr("RandomUniform", 22, {},
                     {IntsAttr("shape", {2}), IntAttr("dtype", static_cast<int64_t>(6))}),
              "dtype");
  // bfloat16 arrives with opset 22.
  ExpectError(RunErr("RandomNormal", 21, {}, {IntsAttr("shape", {2}), IntAttr("dtype", kBFloat16)}),
              "dtype");
  ExpectError(RunErr("RandomUniform", 22, {}, {IntsAttr("shape", {2}), IntAttr("dtype", 1000)}),
              "dtype");
  // *Like without dtype needs a float input.
  ExpectError(RunErr("RandomUniformLike", 22, {I64({1, 2})}), "dtype");
  ExpectError(
      RunErr("RandomNormalLike", 22, {I64({1, 2})}, {IntAttr("dtype", static_cast<int64_t>(7))}),
      "dtype");
  // Multinomial: sample_size, rank, dtype, values.
  Tensor logits = T_<float>({0, 1}, {1, 2});
  ExpectError(RunErr("Multinomial", 22, {logits}, {IntAttr("sample_size", 0)}), "sample_size");
  ExpectError(RunErr("Multinomial", 22, {logits}, {IntAttr("sample_size", -3)}), "sample_size");
  ExpectError(RunErr("Multinomial", 22, {T_<float>({0, 1}, {2})}), "2-D");
  ExpectError(RunErr("Multinomial", 22, {T_<float>({0, 1}, {1, 1, 2})}), "2-D");
  ExpectError(RunErr("Multinomial", 22, {logits}, {IntAttr("dtype", static_cast<int64_t>(1))}),
              "dtype");
  ExpectError(RunErr("Multinomial", 22, {T_<float>({0, NAN}, {1, 2})}), "NaN");
  ExpectError(RunErr("Multinomial", 22, {T_<float>({0, INFINITY}, {1, 2})}), "+inf");
  ExpectError(RunErr("Multinomial", 22, {T_<float>({-INFINITY, -INFINITY}, {1, 2})}),
              "finite log-probability");
  ExpectError(RunErr("Multinomial", 22, {T_<float>({}, {2, 0})}), "no classes");
  // Bernoulli: probabilities in [0, 1], a known dtype.
  ExpectError(RunErr("Bernoulli", 22, {T_<float>({0.5f, 1.5f}, {2})}), "[0, 1]");
  ExpectError(RunErr("Bernoulli", 22, {T_<float>({-0.1f}, {1})}), "[0, 1]");
  ExpectError(RunErr("Bernoulli", 22, {T_<float>({NAN}, {1})}), "[0, 1]");
  ExpectError(RunErr("Bernoulli", 22, {T_<float>({0.5f}, {1})},
                     {IntAttr("dtype", static_cast<int64_t>(8))}),
              "dtype");
}

}  // namespace
}  // namespace kiln::test
