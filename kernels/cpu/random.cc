// Random-number CPU kernels of the default ONNX domain:
//   RandomUniform      (1, 22)  attributes shape, dtype (default float), low (0), high (1), seed
//   RandomUniformLike  (1, 22)  input X: the output has X's shape; dtype defaults to X's type
//   RandomNormal       (1, 22)  attributes shape, dtype (default float), mean (0), scale (1), seed
//   RandomNormalLike   (1, 22)  input X, as RandomUniformLike
//   Multinomial        (7, 22)  input [batch, classes] of unnormalized log-probabilities ->
//                               [batch, sample_size] class indices (dtype int32 default, int64)
//   Bernoulli          (15, 22) input of probabilities p -> 0/1 of the same shape (dtype defaults
//                               to the input's type; any numeric type or bool)
// Output element types: float16, float, double; opset 22 adds bfloat16 (and, for the inputs of
// Multinomial and Bernoulli, bfloat16 probabilities). A dtype outside the opset's list, a missing
// or negative `shape`, sample_size <= 0, a Multinomial input that is not 2-D and Bernoulli
// probabilities outside [0, 1] are errors. An empty `shape` gives a scalar (rank 0, as onnx's
// shape inference says; onnx's reference evaluator refuses it).
//
// The generator. With the attribute `seed` the output is a pure function of the seed, equal bit for
// bit to onnx's reference evaluator (onnx/reference/ops/op_random_*.py, op_bernoulli.py), which
// draws from numpy.random.RandomState(int(seed)). So this file replicates numpy's legacy
// RandomState: MT19937 seeded by init_genrand(seed); random_sample() doubles built from two 32-bit
// outputs as ((a >> 5) * 2^26 + (b >> 6)) / 2^53; standard normals by the legacy polar (Marsaglia)
// method, which makes two values per accepted pair and returns the cached second one next; and
// binomial(1, p) by numpy's legacy inversion (RandomState.binomial: no shortcut for p == 0, every
// element draws at least one double). The reference's arithmetic is mirrored step by step:
//   RandomUniform: rand(*shape).astype(T); res *= (high - low); res += low
//   RandomNormal:  randn(*shape).astype(T); res *= scale; res += mean
// The doubles are rounded once into T (directly, also for float16/bfloat16). The reference holds
// float attributes as numpy.float32 scalars, so (high - low) is a float subtraction and the
// arithmetic runs in numpy's result type of (T, float32): double for double, float otherwise, each
// step's result rounded back into T (float16/bfloat16 products are rounded to float first, then
// into T, as numpy does). No multiply-add is fused (the build allows FMA contraction; NoContract
// below blocks it).
// The seed attribute is a float: a seed whose integer part lies in [0, 2^32) is used as numpy's
// int(seed) (truncation); other seeds (negative, too large, infinite), where numpy would raise, use
// the 32 bits of the float as the seed; a NaN seed counts as absent, as in onnx's reference.
//
// Multinomial has no onnx reference implementation. Per row: w_j = exp(x_j - max_j x_j) in double,
// the cumulative sums c_j, then for each sample u = random_sample() * c_last and the first class j
// with c_j > u (inverse CDF; classes of zero weight are never chosen). Rows in order, samples in
// order within a row, from one generator per run. x may hold -inf (weight 0); NaN, +inf or a row
// without a finite value is an error.
//
// Without a seed every run gives fresh values: each kernel draws a 64-bit base seed from
// std::random_device when it is created (or, with SessionOptions::random_seed, derives it from that
// seed and the node's first output name) and keeps an atomic run counter; run k seeds MT19937 by
// init_by_array({base, k}) (the reference's array seeding). Run is const and thread-safe: the
// generator state (2.5 KiB) lives on the stack of the run.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "ir/float16.h"
#include "kernels/cpu/numpy_random.h"
#include "kernels/cpu/register.h"
#include "kernels/ops/common.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

// ---- arithmetic helpers -------------------------------------------------------------------------


// double -> float rounding to odd: the float next to d (toward zero) with its last bit set when d
// is not representable. Rounding that result to nearest-even into a format at least two bits
// narrower (float16, bfloat16) equals rounding d there directly: no double rounding.
inline float RoundToOddFloat(double d) {
  float f = static_cast<float>(d);
  if (static_cast<double>(f) == d || std::isnan(d)) return f;
  uint32_t bits = FloatToBits(f);
  if ((bits & 1u) == 0) {
    // f is the even neighbour: step to the other neighbour of d (|f| > |d| -> toward zero).
    bits = std::fabs(static_cast<double>(f)) > std::fabs(d) ? bits - 1 : bits + 1;
  }
  return BitsToFloat(bits);
}

// Rounds a double into T to nearest even, as numpy's astype does.
template <typename T>
inline T RoundDouble(double d) {
  return static_cast<T>(d);
}
template <>
inline Float16 RoundDouble(double d) {
  return ToFloat16(RoundToOddFloat(d));
}
template <>
inline BFloat16 RoundDouble(double d) {
  return ToBFloat16(RoundToOddFloat(d));
}

// y = x * a + b with the reference's rounding. The reference holds float attributes as
// numpy.float32 scalars, so a (= high - low, a float32 subtraction, or scale) and b (low or mean)
// are floats, and `res *= a; res += b` on the array res = x.astype(T) runs in numpy's result type
// of (T, float32): double for double (a and b widened), float for float, and float for float16 and
// bfloat16 too, each result rounded back into T when stored in place.
template <typename T>
inline T RoundFloat(float f);
template <>
inline Float16 RoundFloat(float f) {
  return ToFloat16(f);
}
template <>
inline BFloat16 RoundFloat(float f) {
  return ToBFloat16(f);
}

template <typename T>
class Affine {  // float16, bfloat16
 public:
  Affine(float a, float b) : a_(a), b_(b) {}
  T operator()(double x) const {
    const T t = RoundFloat<T>(ToFloat(RoundDouble<T>(x)) * a_);  // float product, then into T
    return RoundFloat<T>(ToFloat(t) + b_);
  }

 private:
  float a_, b_;
};

template <>
class Affine<float> {
 public:
  Affine(float a, float b) : a_(a), b_(b) {}
  float operator()(double x) const { return NoContract(static_cast<float>(x) * a_) + b_; }

 private:
  float a_, b_;
};

template <>
class Affine<double> {
 public:
  Affine(float a, float b) : a_(a), b_(b) {}
  double operator()(double x) const { return NoContract(x * a_) + b_; }

 private:
  double a_, b_;
};

// ---- seeding ------------------------------------------------------------------------------------

// How a kernel seeds its generator on each run: from the `seed` attribute, or fresh per run.
class SeedSource {
 public:
  explicit SeedSource(const KernelInfo& info) {
    if (info.HasAttr("seed")) {
      const float s = info.GetFloat("seed", 0.0f);
      if (!std::isnan(s)) {
        fixed_ = true;
        const double t = std::trunc(static_cast<double>(s));
        seed_ = t >= 0.0 && t < 4294967296.0 ? static_cast<uint32_t>(t) : FloatToBits(s);
      }
    }
    if (!fixed_) base_ = info.random_seed() ? SessionBase(*info.random_seed(), info) : FreshBase();
  }

  void Init(NumpyRandomState& g) const {
    if (fixed_) {
      g.Seed(seed_);
      return;
    }
    const uint64_t run = counter_.fetch_add(1, std::memory_order_relaxed);
    const uint32_t key[4] = {static_cast<uint32_t>(base_), static_cast<uint32_t>(base_ >> 32),
                             static_cast<uint32_t>(run), static_cast<uint32_t>(run >> 32)};
    g.SeedByArray(key, 4);
  }

 private:
  // SessionOptions::random_seed mixed with the node's identity (its first output's name, unique
  // in the graph), so two unseeded random nodes of one session draw different values.
  static uint64_t SessionBase(uint64_t seed, const KernelInfo& info) {
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a over the name, then splitmix64 with the seed
    const Node& node = info.node();
    const std::string name = node.outputs.empty() || node.outputs[0] == kNoValue
                                 ? node.name
                                 : info.graph().value(node.outputs[0]).name;
    for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ull;
    uint64_t z = seed + 0x9e3779b97f4a7c15ull + h;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  static uint64_t FreshBase() {
    uint64_t base = 0;
    try {
      std::random_device rd;
      base = (static_cast<uint64_t>(rd()) << 32) ^ rd();
    } catch (...) {
      // No entropy source: fall back to the clock and an address (still differs per kernel).
      static std::atomic<uint64_t> fallback{0};
      base = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
             (reinterpret_cast<uintptr_t>(&base) << 16) ^
             (fallback.fetch_add(1) * 0x9e3779b97f4a7c15ull);
    }
    return base;
  }

  bool fixed_ = false;
  uint32_t seed_ = 0;
  uint64_t base_ = 0;
  mutable std::atomic<uint64_t> counter_{0};
};

// ---- element types ------------------------------------------------------------------------------

// The float output types of the random ops at an opset: float16, float, double; bfloat16 from 22.
std::vector<DataType> FloatOutputs(int opset) {
  std::vector<DataType> v = {DataType::kFloat16, DataType::kFloat, DataType::kDouble};
  if (opset >= 22) v.push_back(DataType::kBFloat16);
  return v;
}

std::string TypeList(const std::vector<DataType>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::string(DataTypeName(v[i]));
  return s;
}

std::string TypeName(int64_t dtype) {
  return dtype >= 0 && dtype <= kMaxDataType ? DataTypeName(static_cast<DataType>(dtype))
                                             : std::to_string(dtype);
}

// Reads the `dtype` attribute: nullopt when absent; an error when it is not in `allowed`.
StatusOr<std::optional<DataType>> ReadDtype(const KernelInfo& info,
                                            const std::vector<DataType>& allowed,
                                            std::optional<int64_t> def) {
  if (!info.HasAttr("dtype") && !def) return std::optional<DataType>();
  const int64_t d = info.GetInt("dtype", def.value_or(0));
  KILN_RETURN_IF_ERROR(info.status());
  if (!IsValidDataType(static_cast<int32_t>(d)) || d != static_cast<int32_t>(d) ||
      !ContainsType(allowed, static_cast<DataType>(d))) {
    return info.InvalidModel("attribute 'dtype' must be one of " + TypeList(allowed) +
                             " at opset " + std::to_string(info.opset()) + ", got " + TypeName(d));
  }
  return std::optional<DataType>(static_cast<DataType>(d));
}

// ---- RandomUniform / RandomNormal and their *Like forms -----------------------------------------

enum class Distribution { kUniform, kNormal };

class RandomFillKernel : public Kernel {
 public:
  RandomFillKernel(const KernelInfo& info, Distribution dist, bool like, std::optional<DataType> dt,
                   std::vector<int64_t> shape)
      : dist_(dist),
        like_(like),
        dtype_(dt),
        allowed_(FloatOutputs(info.opset())),
        shape_(std::move(shape)),
        seed_(info) {
    if (dist == Distribution::kUniform) {
      const float low = info.GetFloat("low", 0.0f), high = info.GetFloat("high", 1.0f);
      a_ = high - low;  // res *= high - low (float32 scalars); res += low
      b_ = low;
    } else {
      a_ = info.GetFloat("scale", 1.0f);  // res *= scale; res += mean
      b_ = info.GetFloat("mean", 0.0f);
    }
  }

  Status Run(KernelContext& ctx) const override {
    DataType dt = DataType::kFloat;
    const std::vector<int64_t>* dims = &shape_;
    if (like_) {
      const Tensor* x = ctx.Input(0);
      if (x == nullptr) return ctx.InvalidArgument("input 0 must be a tensor");
      dims = &x->dims();
      if (dtype_) {
        dt = *dtype_;
      } else if (ContainsType(allowed_, x->dtype())) {
        dt = x->dtype();
      } else {
        return ctx.InvalidArgument(
            "without attribute 'dtype' the output takes the input's type, "
            "which must be one of " +
            TypeList(allowed_) + "; got " + x->TypeString());
      }
    } else {
      dt = *dtype_;
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, dt, *dims));
    const int64_t n = y->numel();
    NumpyRandomState g;
    seed_.Init(g);
    const bool ok = Dispatch<float, double, Float16, BFloat16>(dt, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* out = y->data<T>();
      const Affine<T> affine(a_, b_);
      if (dist_ == Distribution::kUniform) {
        for (int64_t i = 0; i < n; ++i) out[i] = affine(g.NextDouble());
      } else {
        for (int64_t i = 0; i < n; ++i) out[i] = affine(g.NextGauss());
      }
    });
    if (!ok) return ctx.Unsupported(std::string("output type ") + DataTypeName(dt));
    return Status::Ok();
  }

 private:
  Distribution dist_;
  bool like_;
  std::optional<DataType> dtype_;  // absent: the input's type (*Like only)
  std::vector<DataType> allowed_;
  std::vector<int64_t> shape_;  // RandomUniform / RandomNormal
  float a_ = 1.0f, b_ = 0.0f;   // y = x * a + b (as the reference rounds it)
  SeedSource seed_;
};

KernelFactory RandomFillFactory(Distribution dist, bool like) {
  return [dist, like](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    const std::vector<DataType> allowed = FloatOutputs(info.opset());
    std::optional<int64_t> def;
    if (!like) def = static_cast<int64_t>(DataType::kFloat);
    KILN_ASSIGN_OR_RETURN(std::optional<DataType> dt, ReadDtype(info, allowed, def));
    std::vector<int64_t> shape;
    if (!like) {
      if (!info.HasAttr("shape")) {
        return info.InvalidModel("required attribute 'shape' (the output's dimensions) is missing");
      }
      shape = info.GetInts("shape");
      KILN_RETURN_IF_ERROR(info.status());
      for (size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] < 0) {
          return info.InvalidModel("attribute 'shape' must hold dimensions >= 0, got " +
                                   std::to_string(shape[i]) + " at index " + std::to_string(i));
        }
      }
    }
    // Read the float attributes here so that a type error surfaces from the factory.
    for (const char* a : {"low", "high", "mean", "scale", "seed"}) {
      if (info.HasAttr(a)) info.GetFloat(a, 0.0f);
    }
    KILN_RETURN_IF_ERROR(info.status());
    return std::unique_ptr<Kernel>(new RandomFillKernel(info, dist, like, dt, std::move(shape)));
  };
}

// ---- Multinomial --------------------------------------------------------------------------------

class MultinomialKernel : public Kernel {
 public:
  MultinomialKernel(const KernelInfo& info, DataType dt, int64_t samples)
      : dtype_(dt), samples_(samples), seed_(info) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("input 0 must be a tensor");
    if (x->rank() != 2) {
      return ctx.InvalidArgument("input must be 2-D [batch_size, class_size], got " +
                                 x->TypeString());
    }
    const int64_t batch = x->dim(0), classes = x->dim(1);
    if (classes == 0 && batch > 0) {
      return ctx.InvalidArgument("input has no classes (class_size 0): " + x->TypeString());
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, dtype_, {batch, samples_}));
    // One row's cumulative weights.
    KILN_ASSIGN_OR_RETURN(Tensor cdf_buf,
                          ctx.Scratch(static_cast<size_t>(std::max<int64_t>(classes, 1)) * 8));
    double* cdf = static_cast<double*>(cdf_buf.raw_data());
    NumpyRandomState g;
    seed_.Init(g);
    Status st = Status::Ok();
    const bool ok = Dispatch<float, double, Float16, BFloat16>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      st = dtype_ == DataType::kInt32
               ? Sample(ctx, x->data<T>(), batch, classes, cdf, g, y->data<int32_t>())
               : Sample(ctx, x->data<T>(), batch, classes, cdf, g, y->data<int64_t>());
    });
    if (!ok) return ctx.Unsupported("input type " + x->TypeString());
    return st;
  }

 private:
  template <typename T, typename I>
  Status Sample(KernelContext& ctx, const T* x, int64_t batch, int64_t classes, double* cdf,
                NumpyRandomState& g, I* y) const {
    for (int64_t b = 0; b < batch; ++b) {
      const T* row = x + b * classes;
      double mx = -INFINITY;
      for (int64_t j = 0; j < classes; ++j) {
        const double v = ToDouble(row[j]);
        if (std::isnan(v) || v == INFINITY) {
          return ctx.InvalidArgument(
              "input row " + std::to_string(b) + " holds " + (std::isnan(v) ? "NaN" : "+inf") +
              " at class " + std::to_string(j) + "; log-probabilities must be finite or -inf");
        }
        mx = std::max(mx, v);
      }
      if (mx == -INFINITY) {
        return ctx.InvalidArgument("input row " + std::to_string(b) +
                                   " has no class with a finite log-probability");
      }
      double total = 0.0;
      int64_t last_positive = 0;
      for (int64_t j = 0; j < classes; ++j) {
        const double w = std::exp(ToDouble(row[j]) - mx);
        if (w > 0.0) last_positive = j;
        total += w;
        cdf[j] = total;
      }
      I* out = y + b * samples_;
      for (int64_t s = 0; s < samples_; ++s) {
        const double u = g.NextDouble() * total;
        int64_t k = std::upper_bound(cdf, cdf + classes, u) - cdf;
        if (k > last_positive) k = last_positive;  // u rounded up to the total
        out[s] = static_cast<I>(k);
      }
    }
    return Status::Ok();
  }

  DataType dtype_;
  int64_t samples_;
  SeedSource seed_;
};

StatusOr<std::unique_ptr<Kernel>> MultinomialFactory(const KernelInfo& info) {
  KILN_ASSIGN_OR_RETURN(std::optional<DataType> dt,
                        ReadDtype(info, {DataType::kInt32, DataType::kInt64},
                                  static_cast<int64_t>(DataType::kInt32)));
  const int64_t samples = info.GetInt("sample_size", 1);
  if (info.HasAttr("seed")) info.GetFloat("seed", 0.0f);
  KILN_RETURN_IF_ERROR(info.status());
  if (samples <= 0) {
    return info.InvalidModel("attribute 'sample_size' must be >= 1, got " +
                             std::to_string(samples));
  }
  return std::unique_ptr<Kernel>(new MultinomialKernel(info, *dt, samples));
}

// ---- Bernoulli ----------------------------------------------------------------------------------

const std::vector<DataType>& BernoulliOutputs() {
  static const std::vector<DataType> v = {DataType::kFloat16,  DataType::kFloat,  DataType::kDouble,
                                          DataType::kBFloat16, DataType::kUint8,  DataType::kUint16,
                                          DataType::kUint32,   DataType::kUint64, DataType::kInt8,
                                          DataType::kInt16,    DataType::kInt32,  DataType::kInt64,
                                          DataType::kBool};
  return v;
}

class BernoulliKernel : public Kernel {
 public:
  BernoulliKernel(const KernelInfo& info, std::optional<DataType> dt) : dtype_(dt), seed_(info) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("input 0 must be a tensor");
    const DataType dt = dtype_ ? *dtype_ : x->dtype();
    if (!ContainsType(BernoulliOutputs(), dt)) {
      return ctx.InvalidArgument(std::string("output type ") + DataTypeName(dt) +
                                 " is not one of " + TypeList(BernoulliOutputs()));
    }
    const int64_t n = x->numel();
    Status st = Status::Ok();
    const bool ok = Dispatch<float, double, Float16, BFloat16>(x->dtype(), [&](auto in_tag) {
      using P = typename decltype(in_tag)::type;
      const P* p = x->data<P>();
      // numpy checks every probability (as a double) before it draws.
      for (int64_t i = 0; i < n; ++i) {
        const double v = ToDouble(p[i]);
        if (!(v >= 0.0 && v <= 1.0)) {
          st = ctx.InvalidArgument("input values must be probabilities in [0, 1]; element " +
                                   std::to_string(i) + " is " + std::to_string(v));
          return;
        }
      }
      auto out = ctx.Output(0, dt, x->dims());
      if (!out.ok()) {
        st = out.status();
        return;
      }
      Tensor* y = out.value();
      NumpyRandomState g;
      seed_.Init(g);
      Dispatch<KILN_NUMERIC_TYPES, bool>(dt, [&](auto out_tag) {
        using T = typename decltype(out_tag)::type;
        T* o = y->data<T>();
        const T zero = FromDouble<T>(0.0), one = FromDouble<T>(1.0);
        for (int64_t i = 0; i < n; ++i) o[i] = g.NextBernoulli(ToDouble(p[i])) ? one : zero;
      });
    });
    if (!ok) return ctx.Unsupported("input type " + x->TypeString());
    return st;
  }

 private:
  std::optional<DataType> dtype_;  // absent: the input's type
  SeedSource seed_;
};

StatusOr<std::unique_ptr<Kernel>> BernoulliFactory(const KernelInfo& info) {
  KILN_ASSIGN_OR_RETURN(std::optional<DataType> dt,
                        ReadDtype(info, BernoulliOutputs(), std::nullopt));
  if (info.HasAttr("seed")) info.GetFloat("seed", 0.0f);
  KILN_RETURN_IF_ERROR(info.status());
  return std::unique_ptr<Kernel>(new BernoulliKernel(info, dt));
}

}  // namespace

void RegisterRandomKernels(KernelRegistry& r) {
  const std::vector<DataType> floats_v1 = FloatOutputs(1), floats_v22 = FloatOutputs(22);
  r.Register(KernelDef("RandomUniform").Opsets(1, 21),
             RandomFillFactory(Distribution::kUniform, false));
  r.Register(KernelDef("RandomUniform").Opsets(22),
             RandomFillFactory(Distribution::kUniform, false));
  r.Register(KernelDef("RandomNormal").Opsets(1, 21),
             RandomFillFactory(Distribution::kNormal, false));
  r.Register(KernelDef("RandomNormal").Opsets(22), RandomFillFactory(Distribution::kNormal, false));
  for (int since : {1, 22}) {
    const int end = since == 1 ? 21 : kMaxOpset;
    r.Register(KernelDef("RandomUniformLike").Opsets(since, end).Types("T1", {0}, kAllTensorTypes),
               RandomFillFactory(Distribution::kUniform, true));
    r.Register(KernelDef("RandomNormalLike").Opsets(since, end).Types("T1", {0}, kAllTensorTypes),
               RandomFillFactory(Distribution::kNormal, true));
  }
  r.Register(KernelDef("Multinomial").Opsets(7, 21).Types("T1", {0}, floats_v1),
             MultinomialFactory);
  r.Register(KernelDef("Multinomial").Opsets(22).Types("T1", {0}, floats_v22), MultinomialFactory);
  r.Register(KernelDef("Bernoulli").Opsets(15, 21).Types("T1", {0}, floats_v1), BernoulliFactory);
  r.Register(KernelDef("Bernoulli").Opsets(22).Types("T1", {0}, floats_v22), BernoulliFactory);
}

}  // namespace kiln::cpu
