// Classical-ML CPU kernels of domain ai.onnx.ml with tensor inputs and outputs, the operators
// scikit-learn models exported by skl2onnx use:
//   Scaler 1, Normalizer 1 (MAX / L1 / L2), Imputer 1,
//   LinearRegressor 1, LinearClassifier 1,
//   SVMRegressor 1, SVMClassifier 1 (LINEAR / POLY / RBF / SIGMOID kernels, one-vs-one voting,
//     probabilities from prob_a / prob_b by pairwise coupling),
//   TreeEnsembleRegressor 1 and 3, TreeEnsembleClassifier 1 and 3 (opset 3 adds the *_as_tensor
//     attributes; modes BRANCH_LEQ/LT/GTE/GT/EQ/NEQ/LEAF, nodes_missing_value_tracks_true,
//     aggregate SUM/AVERAGE/MIN/MAX, base_values; version 5 of both is deprecated in favour of
//     TreeEnsemble, which ml.cc implements),
//   OneHotEncoder 1 (int64 or string categories, zeros), CategoryMapper 1 (int64 <-> string),
//   FeatureVectorizer 1.
// Map-typed ops (ZipMap, DictVectorizer, CastMap) are in ml_map.cc.
//
// ONNX Runtime is the de-facto reference for these ops (it is what users compare with), so kiln
// computes what ORT 1.30 computes, including where ORT differs from the onnx reference
// implementation (onnx/reference/ops/aionnxml). The differences, each noted again at its code:
//  - post_transform: LOGISTIC is 1 / (1 + exp(-|x|)) mirrored for x < 0; PROBIT is
//    sqrt(2) * erfinv(2p - 1) with ORT's closed-form erfinv approximation (Winitzki, a = 0.147),
//    not the exact inverse; SOFTMAX_ZERO of an all-zero row is 0/0 = NaN (the reference gives
//    0.5); everything in float.
//  - A post_transform on a single score column (LinearRegressor with targets = 1, a
//    single-target TreeEnsembleRegressor) only applies PROBIT; the others leave the value as is.
//    SVMRegressor ignores post_transform altogether.
//  - Binary classifiers with one score column write two columns: LinearClassifier writes
//    [1 - s, s] (LOGISTIC: [1 - sigmoid(s), sigmoid(s)]), where the reference writes [-s, s];
//    SVMClassifier and TreeEnsembleClassifier pick [1 - s, s] or [-s, s] by the rules below.
//    PROBIT writes [probit(s), 0] (ORT leaves the second column unwritten; for LinearClassifier
//    it even packs the rows wrongly).
//  - SVMClassifier: the label is the one-vs-one vote winner, also when probabilities are given;
//    in the liblinear mode (no support vectors) a binary model answers classlabels[1] when the
//    top score is > 0 (mixed-sign coefficients) or >= 0.5 (all coefficients >= 0).
//  - Tree ensembles use float thresholds, weights and sums unless X is double (then double);
//    only the trees a row reaches give a class/target a score, and an unscored output is 0
//    (base_values are added to scored outputs only); a single-target regressor takes the first
//    weight of each leaf (a leaf without weights contributes its nodes_values entry); the
//    binary classifier follows ORT's rules for base_values and the score columns. One deliberate
//    difference: for a two-class ensemble whose weights name both classes, ORT answers the
//    literal 1 / 0 instead of classlabels_int64s[1] / [0]; kiln answers the declared labels
//    (the same when the labels are [0, 1]; string labels agree with ORT).
// Bad models (attribute lengths that disagree, node ids out of range or cycles, class ids out
// of range, unknown enum strings) fail at kernel creation; bad inputs (rank, feature count)
// fail at run. Trees are flattened into arrays at creation; inputs are converted once per run.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kernels/cpu/common.h"
#include "kernels/cpu/register.h"

namespace kiln::cpu {
namespace {

const char kMlDomain[] = "ai.onnx.ml";

std::string Str(int64_t v) { return std::to_string(v); }
std::string Str(size_t v) { return std::to_string(v); }

// ---------------------------------------------------------------------------------------------
// post_transform, as ORT's ml_common.h computes it (in float).

enum class Post { kNone, kLogistic, kSoftmax, kSoftmaxZero, kProbit };

Status ParsePost(const KernelInfo& info, Post* out) {
  const std::string s = info.GetString("post_transform", "NONE");
  KILN_RETURN_IF_ERROR(info.status());
  if (s == "NONE") {
    *out = Post::kNone;
  } else if (s == "LOGISTIC") {
    *out = Post::kLogistic;
  } else if (s == "SOFTMAX") {
    *out = Post::kSoftmax;
  } else if (s == "SOFTMAX_ZERO") {
    *out = Post::kSoftmaxZero;
  } else if (s == "PROBIT") {
    *out = Post::kProbit;
  } else {
    return info.InvalidModel(
        "post_transform must be NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO or PROBIT, got '" + s + "'");
  }
  return Status::Ok();
}

float Logistic(float v) {
  const float e = 1.0f / (1.0f + std::exp(-std::fabs(v)));
  return v < 0 ? 1.0f - e : e;
}

// ORT's erfinv: Winitzki's closed-form approximation with a = 0.147 (relative error ~1e-3 near
// the tails), computed in float. PROBIT uses it, so kiln does too.
float ErfInvApprox(float x) {
  const float sgn = x < 0 ? -1.0f : 1.0f;
  const float w = (1.0f - x) * (1.0f + x);
  const float ln = std::log(w);
  const float a = 2.0f / (static_cast<float>(M_PI) * 0.147f) + 0.5f * ln;
  const float b = (1.0f / 0.147f) * ln;
  return sgn * std::sqrt(-a + std::sqrt(a * a - b));
}

float Probit(float p) { return static_cast<float>(M_SQRT2) * ErfInvApprox(2.0f * p - 1.0f); }

void Softmax(float* v, int64_t n) {
  float mx = -std::numeric_limits<float>::max();
  for (int64_t i = 0; i < n; ++i) mx = v[i] > mx ? v[i] : mx;
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    v[i] = std::exp(v[i] - mx);
    sum += v[i];
  }
  for (int64_t i = 0; i < n; ++i) v[i] /= sum;
}

// Softmax that leaves (near-)zero scores at ~0: they stand for "no score". An all-zero row is
// 0/0 = NaN, as in ORT (the onnx reference answers 0.5 there).
void SoftmaxZero(float* v, int64_t n) {
  float mx = -std::numeric_limits<float>::max();
  for (int64_t i = 0; i < n; ++i) mx = v[i] > mx ? v[i] : mx;
  const float exp_neg_max = std::exp(-mx);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    if (v[i] > 0.0000001f || v[i] < -0.0000001f) {
      v[i] = std::exp(v[i] - mx);
      sum += v[i];
    } else {
      v[i] *= exp_neg_max;
    }
  }
  for (int64_t i = 0; i < n; ++i) v[i] /= sum;
}

// The transform of a row of n >= 2 scores.
void Transform(Post p, float* v, int64_t n) {
  switch (p) {
    case Post::kLogistic:
      for (int64_t i = 0; i < n; ++i) v[i] = Logistic(v[i]);
      break;
    case Post::kProbit:
      for (int64_t i = 0; i < n; ++i) v[i] = Probit(v[i]);
      break;
    case Post::kSoftmax:
      Softmax(v, n);
      break;
    case Post::kSoftmaxZero:
      SoftmaxZero(v, n);
      break;
    case Post::kNone:
      break;
  }
}

// How a binary classifier with one score s fills its two score columns (ORT's add_second_class).
enum class Second {
  kComplement,  // [1 - s, s]; LOGISTIC: [1 - sigmoid(s), sigmoid(s)]
  kNegate,      // [-s, s]; LOGISTIC: [sigmoid(-s), sigmoid(s)]
  kFirstOnly,   // [s, 0]
};

void WriteBinary(Post p, Second mode, float s, float* out) {
  if (p == Post::kProbit) {
    out[0] = Probit(s);
    out[1] = 0.0f;  // ORT leaves this column unwritten
    return;
  }
  switch (mode) {
    case Second::kComplement:
      if (p == Post::kLogistic) s = Logistic(s);
      out[0] = 1.0f - s;
      out[1] = s;
      break;
    case Second::kNegate:
      if (p == Post::kLogistic) {
        out[0] = Logistic(-s);
        out[1] = Logistic(s);
      } else {
        out[0] = -s;
        out[1] = s;
      }
      break;
    case Second::kFirstOnly:
      out[0] = s;
      out[1] = 0.0f;  // ORT leaves this column unwritten
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// Input helpers.

// The element types of X the ops accept (a function: registration may run during static
// initialization).
std::vector<DataType> MlNumeric() {
  return {DataType::kFloat, DataType::kDouble, DataType::kInt64, DataType::kInt32};
}

// The [rows, cols] view of a batch input: [C] is one row, [N, C] is N rows.
Status RowsCols(const Tensor& x, KernelContext& ctx, int64_t* rows, int64_t* cols) {
  if (x.rank() == 1) {
    *rows = 1;
    *cols = x.dim(0);
  } else if (x.rank() == 2) {
    *rows = x.dim(0);
    *cols = x.dim(1);
  } else {
    return ctx.InvalidArgument("X must be [C] or [N, C], got " + x.TypeString());
  }
  return Status::Ok();
}

// The length of the feature axis as ORT's element-wise ML ops define it: dim 0 of a 1-D input,
// dim 1 otherwise.
Status FeatureStride(const Tensor& x, KernelContext& ctx, int64_t* stride) {
  if (x.rank() == 0) return ctx.InvalidArgument("X must have rank >= 1, got " + x.TypeString());
  *stride = x.rank() == 1 ? x.dim(0) : x.dim(1);
  return Status::Ok();
}

// X's elements as T (float or double), converted once into `holder` (planned scratch); a
// T-typed input is read in place.
template <typename T>
StatusOr<const T*> InputAs(const Tensor& x, KernelContext& ctx, Tensor* holder) {
  if (x.dtype() == DataTypeOf<T>::value) return x.data<T>();
  const size_t n = static_cast<size_t>(x.numel());
  KILN_ASSIGN_OR_RETURN(*holder, ctx.Scratch(std::max<size_t>(n, 1) * sizeof(T)));
  T* out = static_cast<T*>(holder->raw_data());
  bool ok = Dispatch<float, double, int64_t, int32_t>(x.dtype(), [&](auto tag) {
    using S = typename decltype(tag)::type;
    const S* in = x.data<S>();
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<T>(in[i]);
  });
  if (!ok) return ctx.Unsupported("unsupported input type " + x.TypeString());
  return static_cast<const T*>(out);
}

// Class labels: exactly one of `<strings_name>` and `<ints_name>` is set.
struct Labels {
  bool strings = false;
  std::vector<std::string> s;
  std::vector<int64_t> i;
  size_t size() const { return strings ? s.size() : i.size(); }
};

Status ParseLabels(const KernelInfo& info, const char* strings_name, const char* ints_name,
                   Labels* out) {
  out->s = info.GetStrings(strings_name);
  out->i = info.GetInts(ints_name);
  KILN_RETURN_IF_ERROR(info.status());
  if (out->s.empty() == out->i.empty()) {
    return info.InvalidModel(std::string("exactly one of ") + strings_name + " and " + ints_name +
                             " must be set (non-empty)");
  }
  out->strings = !out->s.empty();
  return Status::Ok();
}

// Allocates the label output [n].
StatusOr<Tensor*> LabelOutput(KernelContext& ctx, const Labels& l, int64_t n) {
  return ctx.Output(0, l.strings ? DataType::kString : DataType::kInt64, {n});
}

void SetLabel(Tensor* y, const Labels& l, int64_t row, size_t index) {
  if (l.strings) {
    y->data<std::string>()[row] = l.s[index];
  } else {
    y->data<int64_t>()[row] = l.i[index];
  }
}

// =============================================================================================
// Scaler: Y = (X - offset) * scale, per feature or broadcast; output float.

class ScalerKernel : public Kernel {
 public:
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    auto k = std::unique_ptr<ScalerKernel>(new ScalerKernel());
    k->offset_ = info.GetFloats("offset");
    k->scale_ = info.GetFloats("scale");
    KILN_RETURN_IF_ERROR(info.status());
    return std::unique_ptr<Kernel>(k.release());
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    int64_t stride = 0;
    KILN_RETURN_IF_ERROR(FeatureStride(x, ctx, &stride));
    for (const auto* v : {&offset_, &scale_}) {
      const int64_t n = static_cast<int64_t>(v->size());
      if (n > 1 && n != stride) {
        return ctx.InvalidArgument(std::string(v == &offset_ ? "offset" : "scale") + " has " +
                                   Str(n) + " values; X " + x.TypeString() + " needs 1 or " +
                                   Str(stride));
      }
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kFloat, x.dims()));
    float* out = y->data<float>();
    bool ok = Dispatch<float, double, int64_t, int32_t>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      // As ORT: (x - offset) * scale in float, in double for a double input.
      using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
      const T* in = x.data<T>();
      const bool off_each = offset_.size() > 1, scale_each = scale_.size() > 1;
      int64_t f = 0;
      for (int64_t i = 0; i < x.numel(); ++i) {
        const C off = offset_.empty() ? C(0) : static_cast<C>(offset_[off_each ? f : 0]);
        const C sc = scale_.empty() ? C(1) : static_cast<C>(scale_[scale_each ? f : 0]);
        out[i] = static_cast<float>((static_cast<C>(in[i]) - off) * sc);
        if (++f == stride) f = 0;
      }
    });
    if (!ok) return ctx.Unsupported("unsupported input type " + x.TypeString());
    return Status::Ok();
  }

 private:
  ScalerKernel() = default;
  std::vector<float> offset_, scale_;
};

// =============================================================================================
// Normalizer: each row of a [C] or [N, C] input divided by its max, its L1 norm, or (L2)
// sqrt(x^2 / sum x^2) with the sign of x; a zero divisor copies the row. Float arithmetic, as ORT
// (which also rejects rank > 2).

class NormalizerKernel : public Kernel {
 public:
  enum class Norm { kMax, kL1, kL2 };

  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    const std::string norm = info.GetString("norm", "MAX");
    KILN_RETURN_IF_ERROR(info.status());
    Norm n;
    if (norm == "MAX") {
      n = Norm::kMax;
    } else if (norm == "L1") {
      n = Norm::kL1;
    } else if (norm == "L2") {
      n = Norm::kL2;
    } else {
      return info.InvalidModel("norm must be MAX, L1 or L2, got '" + norm + "'");
    }
    return std::unique_ptr<Kernel>(new NormalizerKernel(n));
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    int64_t rows = 0, cols = 0;
    KILN_RETURN_IF_ERROR(RowsCols(x, ctx, &rows, &cols));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kFloat, x.dims()));
    float* out = y->data<float>();
    bool ok = Dispatch<float, double, int64_t, int32_t>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* in = x.data<T>();
      for (int64_t r = 0; r < rows; ++r) Normalize(in + r * cols, out + r * cols, cols);
    });
    if (!ok) return ctx.Unsupported("unsupported input type " + x.TypeString());
    return Status::Ok();
  }

 private:
  explicit NormalizerKernel(Norm n) : norm_(n) {}

  template <typename T>
  void Normalize(const T* in, float* out, int64_t n) const {
    float div = 0.0f;
    switch (norm_) {
      case Norm::kMax:
        div = std::numeric_limits<float>::lowest();
        for (int64_t i = 0; i < n; ++i) div = std::max(div, static_cast<float>(in[i]));
        break;
      case Norm::kL1:
        for (int64_t i = 0; i < n; ++i) div += static_cast<float>(std::abs(in[i]));
        break;
      case Norm::kL2:
        for (int64_t i = 0; i < n; ++i) {
          const double v = static_cast<double>(in[i]);
          div += static_cast<float>(v * v);
        }
        break;
    }
    for (int64_t i = 0; i < n; ++i) {
      const T v = in[i];
      float r = static_cast<float>(v);
      if (div != 0.0f) {
        if (norm_ == Norm::kL2) {
          const double d = static_cast<double>(v);
          r = std::sqrt(static_cast<float>(d * d) / div);
          if (v < 0) r = -r;
        } else {
          r = static_cast<float>(v) / div;
        }
      }
      out[i] = r;
    }
  }

  Norm norm_;
};

// =============================================================================================
// Imputer: elements equal to the replaced value (NaN matches NaN) become the imputed value of
// their feature (one value for all features, or one per feature). Float inputs use the *_float*
// attributes, integer inputs the *_int64* ones; the output has X's type.

class ImputerKernel : public Kernel {
 public:
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    auto k = std::unique_ptr<ImputerKernel>(new ImputerKernel());
    k->floats_ = info.GetFloats("imputed_value_floats");
    k->ints_ = info.GetInts("imputed_value_int64s");
    k->replaced_float_ = info.GetFloat("replaced_value_float", 0.0f);
    k->replaced_int_ = info.GetInt("replaced_value_int64", 0);
    KILN_RETURN_IF_ERROR(info.status());
    if (k->floats_.empty() == k->ints_.empty()) {
      return info.InvalidModel(
          "exactly one of imputed_value_floats and imputed_value_int64s must be set (non-empty)");
    }
    return std::unique_ptr<Kernel>(k.release());
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    int64_t stride = 0;
    KILN_RETURN_IF_ERROR(FeatureStride(x, ctx, &stride));
    const bool float_input = x.dtype() == DataType::kFloat || x.dtype() == DataType::kDouble;
    if (float_input == floats_.empty()) {
      return ctx.InvalidArgument("X is " + x.TypeString() + " but the model sets " +
                                 (floats_.empty() ? "imputed_value_int64s (integer inputs)"
                                                  : "imputed_value_floats (float inputs)"));
    }
    const int64_t nvals = static_cast<int64_t>(float_input ? floats_.size() : ints_.size());
    if (nvals != 1 && nvals != stride) {
      return ctx.InvalidArgument("the model has " + Str(nvals) + " imputed values; X " +
                                 x.TypeString() + " needs 1 or " + Str(stride));
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x.dtype(), x.dims()));
    bool ok = Dispatch<float, double, int64_t, int32_t>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_floating_point_v<T>) {
        Impute<T>(x.data<T>(), y->data<T>(), x.numel(), stride, static_cast<T>(replaced_float_),
                  floats_);
      } else {
        Impute<T>(x.data<T>(), y->data<T>(), x.numel(), stride, replaced_int_, ints_);
      }
    });
    if (!ok) return ctx.Unsupported("unsupported input type " + x.TypeString());
    return Status::Ok();
  }

 private:
  template <typename T, typename R, typename V>
  static void Impute(const T* in, T* out, int64_t n, int64_t stride, R replaced,
                     const std::vector<V>& values) {
    const bool each = values.size() > 1;
    const bool nan_replaced = std::isnan(static_cast<double>(replaced));
    int64_t f = 0;
    for (int64_t i = 0; i < n; ++i) {
      const T v = in[i];
      const bool hit =
          (nan_replaced && std::isnan(static_cast<double>(v))) || static_cast<R>(v) == replaced;
      out[i] = hit ? static_cast<T>(values[each ? f : 0]) : v;
      if (++f == stride) f = 0;
    }
  }

  ImputerKernel() = default;
  std::vector<float> floats_;
  std::vector<int64_t> ints_;
  float replaced_float_ = 0.0f;
  int64_t replaced_int_ = 0;
};

// =============================================================================================
// Linear models. coefficients are [targets, F] row-major; scores are X W^T + intercepts.

// sum_k a[k] * b[k] in float, one fused multiply-add per step in order: what ORT's MLAS GEMM
// computes for these products, so that scores (and the labels decided on them) match ORT bit
// for bit on FMA hardware.
inline float FmaDot(const float* a, const float* b, int64_t n) {
  float acc = 0.0f;
  for (int64_t k = 0; k < n; ++k) acc = std::fma(a[k], b[k], acc);
  return acc;
}

// scores[r * t + j] = sum_f x[r, f] * w[j, f] + intercept[j].
void LinearScores(const float* x, int64_t rows, int64_t f, const std::vector<float>& w,
                  const std::vector<float>& intercepts, int64_t t, float* scores) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < t; ++j) {
      const float dot = FmaDot(x + r * f, w.data() + j * f, f);
      scores[r * t + j] = intercepts.empty() ? dot : dot + intercepts[j];
    }
  }
}

class LinearRegressorKernel : public Kernel {
 public:
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    auto k = std::unique_ptr<LinearRegressorKernel>(new LinearRegressorKernel());
    k->coefficients_ = info.GetFloats("coefficients");
    k->intercepts_ = info.GetFloats("intercepts");
    k->targets_ = info.GetInt("targets", 1);
    KILN_RETURN_IF_ERROR(info.status());
    KILN_RETURN_IF_ERROR(ParsePost(info, &k->post_));
    if (k->targets_ < 1) return info.InvalidModel("targets must be >= 1, got " + Str(k->targets_));
    const int64_t nc = static_cast<int64_t>(k->coefficients_.size());
    if (nc == 0 || nc % k->targets_ != 0) {
      return info.InvalidModel("coefficients has " + Str(nc) +
                               " values, not a non-zero multiple of targets = " + Str(k->targets_));
    }
    if (!k->intercepts_.empty() && static_cast<int64_t>(k->intercepts_.size()) != k->targets_) {
      return info.InvalidModel("intercepts has " + Str(k->intercepts_.size()) +
                               " values, expected targets = " + Str(k->targets_));
    }
    k->features_ = nc / k->targets_;
    return std::unique_ptr<Kernel>(k.release());
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    int64_t rows = 0, cols = 0;
    KILN_RETURN_IF_ERROR(RowsCols(x, ctx, &rows, &cols));
    if (cols != features_) {
      return ctx.InvalidArgument("X " + x.TypeString() + " has " + Str(cols) +
                                 " features; the coefficients expect " + Str(features_));
    }
    Tensor holder;
    KILN_ASSIGN_OR_RETURN(const float* xf, InputAs<float>(x, ctx, &holder));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kFloat, {rows, targets_}));
    float* out = y->data<float>();
    LinearScores(xf, rows, cols, coefficients_, intercepts_, targets_, out);
    for (int64_t r = 0; r < rows; ++r) {
      float* row = out + r * targets_;
      if (targets_ > 1) {
        Transform(post_, row, targets_);
      } else if (post_ == Post::kProbit) {
        row[0] = Probit(row[0]);  // ORT: a single target only honours PROBIT
      }
    }
    return Status::Ok();
  }

 private:
  LinearRegressorKernel() = default;
  std::vector<float> coefficients_, intercepts_;
  int64_t targets_ = 1, features_ = 0;
  Post post_ = Post::kNone;
};

class LinearClassifierKernel : public Kernel {
 public:
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    auto k = std::unique_ptr<LinearClassifierKernel>(new LinearClassifierKernel());
    k->coefficients_ = info.GetFloats("coefficients");
    k->intercepts_ = info.GetFloats("intercepts");
    info.GetInt("multi_class", 0);  // OvR vs multinomial does not change inference (ORT too)
    KILN_RETURN_IF_ERROR(info.status());
    KILN_RETURN_IF_ERROR(ParseLabels(info, "classlabels_strings", "classlabels_ints", &k->labels_));
    KILN_RETURN_IF_ERROR(ParsePost(info, &k->post_));
    if (k->coefficients_.empty()) return info.InvalidModel("coefficients must be set");
    if (!k->intercepts_.empty()) {
      KILN_RETURN_IF_ERROR(
          k->CheckClasses(static_cast<int64_t>(k->intercepts_.size()),
                          [&](const std::string& m) { return info.InvalidModel(m); }));
      if (k->coefficients_.size() % k->intercepts_.size() != 0) {
        return info.InvalidModel("coefficients has " + Str(k->coefficients_.size()) +
                                 " values, not a multiple of the " + Str(k->intercepts_.size()) +
                                 " intercepts");
      }
    }
    return std::unique_ptr<Kernel>(k.release());
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    int64_t rows = 0, cols = 0;
    KILN_RETURN_IF_ERROR(RowsCols(x, ctx, &rows, &cols));
    const int64_t nc = static_cast<int64_t>(coefficients_.size());
    // The number of score rows: one per intercept, or (no intercepts) coefficients / F.
    int64_t t = static_cast<int64_t>(intercepts_.size());
    if (t == 0) {
      t = cols > 0 && nc % cols == 0 ? nc / cols : 0;
      if (t == 0) {
        return ctx.InvalidArgument("X " + x.TypeString() + " has " + Str(cols) +
                                   " features, which does not divide the " + Str(nc) +
                                   " coefficients");
      }
      KILN_RETURN_IF_ERROR(
          CheckClasses(t, [&](const std::string& m) { return ctx.InvalidArgument(m); }));
    } else if (t * cols != nc) {
      return ctx.InvalidArgument("X " + x.TypeString() + " has " + Str(cols) + " features; the " +
                                 Str(nc) + " coefficients of " + Str(t) + " classes expect " +
                                 Str(nc / t));
    }
    Tensor holder;
    KILN_ASSIGN_OR_RETURN(const float* xf, InputAs<float>(x, ctx, &holder));
    KILN_ASSIGN_OR_RETURN(Tensor * y, LabelOutput(ctx, labels_, rows));
    const int64_t zc = t == 1 ? 2 : t;
    Tensor z_holder;
    Tensor* z = nullptr;
    if (ctx.num_outputs() > 1) {
      KILN_ASSIGN_OR_RETURN(z, ctx.Output(1, DataType::kFloat, {rows, zc}));
    } else {
      KILN_ASSIGN_OR_RETURN(z_holder, ctx.Scratch(std::max<size_t>(rows * zc, 1) * sizeof(float)));
      z = &z_holder;
    }
    float* zs = static_cast<float*>(z->raw_data());
    // Raw scores first, packed [rows, t] at the start of Z, then expanded in place from the back.
    LinearScores(xf, rows, cols, coefficients_, intercepts_, t, zs);
    if (t == 1) {
      for (int64_t r = rows - 1; r >= 0; --r) {
        const float s = zs[r];
        SetLabel(y, labels_, r, s > 0 ? 1 : 0);
        // ORT: [1 - s, s] (the reference writes [-s, s]); PROBIT: see WriteBinary.
        WriteBinary(post_, Second::kComplement, s, zs + 2 * r);
      }
      return Status::Ok();
    }
    for (int64_t r = 0; r < rows; ++r) {
      float* row = zs + r * t;
      int64_t best = 0;
      for (int64_t j = 1; j < t; ++j) best = row[j] > row[best] ? j : best;
      SetLabel(y, labels_, r, static_cast<size_t>(best));
      Transform(post_, row, t);
    }
    return Status::Ok();
  }

 private:
  // One score row needs two labels (binary); t >= 2 rows need t labels.
  template <typename ErrFn>
  Status CheckClasses(int64_t t, ErrFn err) const {
    const int64_t nl = static_cast<int64_t>(labels_.size());
    if (t == 1 ? nl != 2 : nl != t) {
      return err("the model has " + Str(t) + " coefficient rows and " + Str(nl) +
                 " class labels; expected " +
                 (t == 1 ? std::string("2 labels (binary)") : Str(t) + " labels"));
    }
    return Status::Ok();
  }

  LinearClassifierKernel() = default;
  std::vector<float> coefficients_, intercepts_;
  Labels labels_;
  Post post_ = Post::kNone;
};

// =============================================================================================
// Support vector machines (libsvm / liblinear models).

enum class SvmKernel { kLinear, kPoly, kRbf, kSigmoid };

struct SvmParams {
  SvmKernel kernel = SvmKernel::kLinear;
  float gamma = 0.0f, coef0 = 0.0f, degree = 0.0f;

  Status Parse(const KernelInfo& info) {
    const std::string kt = info.GetString("kernel_type", "LINEAR");
    const std::vector<float> p = info.GetFloats("kernel_params");
    KILN_RETURN_IF_ERROR(info.status());
    if (kt == "LINEAR") {
      kernel = SvmKernel::kLinear;
    } else if (kt == "POLY") {
      kernel = SvmKernel::kPoly;
    } else if (kt == "RBF") {
      kernel = SvmKernel::kRbf;
    } else if (kt == "SIGMOID") {
      kernel = SvmKernel::kSigmoid;
    } else {
      return info.InvalidModel("kernel_type must be LINEAR, POLY, RBF or SIGMOID, got '" + kt +
                               "'");
    }
    if (!p.empty()) {
      if (p.size() != 3) {
        return info.InvalidModel("kernel_params must hold [gamma, coef0, degree], got " +
                                 Str(p.size()) + " values");
      }
      gamma = p[0];
      coef0 = p[1];
      degree = p[2];
    }
    return Status::Ok();
  }

  // K(x, sv) over f features, in float as ORT computes it: gamma * dot + coef0 is one fused
  // multiply-add (MLAS applies alpha and the bias so).
  float Eval(const float* x, const float* sv, int64_t f) const {
    if (kernel == SvmKernel::kRbf) {
      float sum = 0.0f;
      for (int64_t k = 0; k < f; ++k) {
        const float d = x[k] - sv[k];
        sum += d * d;
      }
      return std::exp(-gamma * sum);
    }
    const float dot = FmaDot(x, sv, f);
    switch (kernel) {
      case SvmKernel::kPoly: {
        const float b = std::fma(gamma, dot, coef0);
        if (degree == 2.0f) return b * b;
        if (degree == 3.0f) return b * b * b;
        return std::pow(b, degree);
      }
      case SvmKernel::kSigmoid:
        return std::tanh(std::fma(gamma, dot, coef0));
      default:
        return dot;
    }
  }
};

class SvmRegressorKernel : public Kernel {
 public:
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    auto k = std::unique_ptr<SvmRegressorKernel>(new SvmRegressorKernel());
    KILN_RETURN_IF_ERROR(k->params_.Parse(info));
    k->support_vectors_ = info.GetFloats("support_vectors");
    k->coefficients_ = info.GetFloats("coefficients");
    k->rho_ = info.GetFloats("rho");
    k->one_class_ = info.GetInt("one_class", 0) != 0;
    const int64_t n_supports = info.GetInt("n_supports", 0);
    KILN_RETURN_IF_ERROR(info.status());
    // ORT ignores post_transform for SVMRegressor (the reference implements only NONE); kiln
    // validates it and ignores it too.
    Post post;
    KILN_RETURN_IF_ERROR(ParsePost(info, &post));
    if (k->coefficients_.empty()) return info.InvalidModel("coefficients must be set");
    if (k->rho_.empty()) return info.InvalidModel("rho must be set");
    if (n_supports < 0) return info.InvalidModel("n_supports must be >= 0");
    k->vectors_ = n_supports;
    const int64_t nsv = static_cast<int64_t>(k->support_vectors_.size());
    if (n_supports > 0) {
      if (static_cast<int64_t>(k->coefficients_.size()) != n_supports) {
        return info.InvalidModel("coefficients has " + Str(k->coefficients_.size()) +
                                 " values, expected n_supports = " + Str(n_supports));
      }
      if (nsv == 0 || nsv % n_supports != 0) {
        return info.InvalidModel(
            "support_vectors has " + Str(nsv) +
            " values, not a non-zero multiple of n_supports = " + Str(n_supports));
      }
      k->features_ = nsv / n_supports;
    } else {
      // liblinear mode: one weight per feature, linear kernel.
      k->features_ = static_cast<int64_t>(k->coefficients_.size());
      k->params_.kernel = SvmKernel::kLinear;
    }
    return std::unique_ptr<Kernel>(k.release());
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    int64_t rows = 0, cols = 0;
    KILN_RETURN_IF_ERROR(RowsCols(x, ctx, &rows, &cols));
    if (cols != features_) {
      return ctx.InvalidArgument("X " + x.TypeString() + " has " + Str(cols) +
                                 " features; the model expects " + Str(features_));
    }
    Tensor holder;
    KILN_ASSIGN_OR_RETURN(const float* xf, InputAs<float>(x, ctx, &holder));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kFloat, {rows, 1}));
    float* out = y->data<float>();
    std::vector<float> kern(vectors_);
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = xf + r * cols;
      float s;
      if (vectors_ > 0) {
        for (int64_t v = 0; v < vectors_; ++v) {
          kern[v] = params_.Eval(xr, support_vectors_.data() + v * cols, cols);
        }
        s = FmaDot(kern.data(), coefficients_.data(), vectors_) + rho_[0];
      } else {
        s = FmaDot(xr, coefficients_.data(), cols) + rho_[0];
      }
      if (one_class_) s = s > 0 ? 1.0f : -1.0f;
      out[r] = s;
    }
    return Status::Ok();
  }

 private:
  SvmRegressorKernel() = default;
  SvmParams params_;
  std::vector<float> support_vectors_, coefficients_, rho_;
  int64_t vectors_ = 0, features_ = 0;
  bool one_class_ = false;
};

// libsvm's multi-class probability estimate from the pairwise probabilities r[i * k + j]
// (Wu, Lin & Weng 2004, "method 2"): minimizes p^T Q p by coordinate descent, at most 100
// iterations, stopping when max |(Qp)_i - p^T Q p| < 0.005 / k. In float, in ORT's order.
void PairwiseCoupling(int64_t k, const float* r, float* q, float* qp, float* p) {
  for (int64_t i = 0; i < k; ++i) {
    p[i] = 1.0f / static_cast<float>(k);
    float& qii = q[i * k + i];
    qii = 0.0f;
    for (int64_t j = 0; j < i; ++j) {
      qii += r[j * k + i] * r[j * k + i];
      q[i * k + j] = q[j * k + i];
    }
    for (int64_t j = i + 1; j < k; ++j) {
      qii += r[j * k + i] * r[j * k + i];
      q[i * k + j] = -r[j * k + i] * r[i * k + j];
    }
  }
  const float eps = 0.005f / static_cast<float>(k);
  for (int iter = 0; iter < 100; ++iter) {
    float pqp = 0.0f;
    for (int64_t i = 0; i < k; ++i) {
      qp[i] = 0.0f;
      for (int64_t j = 0; j < k; ++j) qp[i] += q[i * k + j] * p[j];
      pqp += p[i] * qp[i];
    }
    float max_error = 0.0f;
    for (int64_t i = 0; i < k; ++i) max_error = std::max(max_error, std::fabs(qp[i] - pqp));
    if (max_error < eps) break;
    for (int64_t i = 0; i < k; ++i) {
      const float qii = q[i * k + i];
      const float diff = (-qp[i] + pqp) / qii;
      p[i] += diff;
      pqp = (pqp + diff * (diff * qii + 2 * qp[i])) / (1 + diff) / (1 + diff);
      for (int64_t j = 0; j < k; ++j) {
        qp[j] = (qp[j] + diff * q[i * k + j]) / (1 + diff);
        p[j] /= (1 + diff);
      }
    }
  }
}

class SvmClassifierKernel : public Kernel {
 public:
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    auto k = std::unique_ptr<SvmClassifierKernel>(new SvmClassifierKernel());
    KILN_RETURN_IF_ERROR(k->params_.Parse(info));
    k->vectors_per_class_ = info.GetInts("vectors_per_class");
    k->support_vectors_ = info.GetFloats("support_vectors");
    k->coefficients_ = info.GetFloats("coefficients");
    k->prob_a_ = info.GetFloats("prob_a");
    k->prob_b_ = info.GetFloats("prob_b");
    k->rho_ = info.GetFloats("rho");
    KILN_RETURN_IF_ERROR(info.status());
    KILN_RETURN_IF_ERROR(ParseLabels(info, "classlabels_strings", "classlabels_ints", &k->labels_));
    KILN_RETURN_IF_ERROR(ParsePost(info, &k->post_));
    const int64_t c = static_cast<int64_t>(k->labels_.size());
    if (c < 2) return info.InvalidModel("SVMClassifier needs at least 2 class labels");
    const int64_t pairs = c * (c - 1) / 2;
    if (k->coefficients_.empty()) return info.InvalidModel("coefficients must be set");
    if (k->prob_a_.size() != k->prob_b_.size()) {
      return info.InvalidModel("prob_a has " + Str(k->prob_a_.size()) + " values but prob_b has " +
                               Str(k->prob_b_.size()));
    }
    int64_t v = 0;
    for (int64_t n : k->vectors_per_class_) {
      if (n < 0) return info.InvalidModel("vectors_per_class has a negative count");
      k->starts_.push_back(v);
      v += n;
    }
    k->vectors_ = v;
    const int64_t ncoef = static_cast<int64_t>(k->coefficients_.size());
    if (v > 0) {  // libsvm mode: support vectors, one-vs-one classifiers
      if (static_cast<int64_t>(k->vectors_per_class_.size()) != c) {
        return info.InvalidModel("vectors_per_class has " + Str(k->vectors_per_class_.size()) +
                                 " entries for " + Str(c) + " classes");
      }
      const int64_t nsv = static_cast<int64_t>(k->support_vectors_.size());
      if (nsv == 0 || nsv % v != 0) {
        return info.InvalidModel("support_vectors has " + Str(nsv) +
                                 " values, not a non-zero multiple of the " + Str(v) +
                                 " support vectors");
      }
      k->features_ = nsv / v;
      if (ncoef != (c - 1) * v) {
        return info.InvalidModel("coefficients has " + Str(ncoef) +
                                 " values, expected (classes - 1) " +
                                 "* support vectors = " + Str((c - 1) * v));
      }
      if (static_cast<int64_t>(k->rho_.size()) != pairs) {
        return info.InvalidModel("rho has " + Str(k->rho_.size()) + " values, expected one per " +
                                 "class pair = " + Str(pairs));
      }
      if (!k->prob_a_.empty() && static_cast<int64_t>(k->prob_a_.size()) != pairs) {
        return info.InvalidModel("prob_a / prob_b have " + Str(k->prob_a_.size()) +
                                 " values, expected one per class pair = " + Str(pairs));
      }
    } else {  // liblinear mode: one weight row per class, linear kernel
      if (ncoef % c != 0) {
        return info.InvalidModel("coefficients has " + Str(ncoef) +
                                 " values, not a multiple of the " + Str(c) + " classes");
      }
      if (k->rho_.empty()) return info.InvalidModel("rho must be set");
      k->features_ = ncoef / c;
      k->params_.kernel = SvmKernel::kLinear;
    }
    k->all_positive_ = std::all_of(k->coefficients_.begin(), k->coefficients_.end(),
                                   [](float w) { return w >= 0.0f; });
    return std::unique_ptr<Kernel>(k.release());
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    int64_t rows = 0, cols = 0;
    KILN_RETURN_IF_ERROR(RowsCols(x, ctx, &rows, &cols));
    if (cols != features_) {
      return ctx.InvalidArgument("X " + x.TypeString() + " has " + Str(cols) +
                                 " features; the model expects " + Str(features_));
    }
    const int64_t c = static_cast<int64_t>(labels_.size());
    const int64_t pairs = c * (c - 1) / 2;
    const bool proba = !prob_a_.empty();
    const bool svc = vectors_ > 0;
    // Score columns: one per class (liblinear, or probabilities), else one per class pair
    // (two for a binary model).
    const int64_t zc = (!svc || proba) ? c : (c > 2 ? pairs : 2);
    Tensor holder;
    KILN_ASSIGN_OR_RETURN(const float* xf, InputAs<float>(x, ctx, &holder));
    KILN_ASSIGN_OR_RETURN(Tensor * y, LabelOutput(ctx, labels_, rows));
    Tensor z_holder;
    Tensor* z = nullptr;
    if (ctx.num_outputs() > 1) {
      KILN_ASSIGN_OR_RETURN(z, ctx.Output(1, DataType::kFloat, {rows, zc}));
    } else {
      KILN_ASSIGN_OR_RETURN(z_holder, ctx.Scratch(std::max<size_t>(rows * zc, 1) * sizeof(float)));
      z = &z_holder;
    }
    float* zs = static_cast<float*>(z->raw_data());
    if (!svc) {
      for (int64_t r = 0; r < rows; ++r) {
        float* row = zs + r * c;
        const float* xr = xf + r * cols;
        for (int64_t j = 0; j < c; ++j) {
          row[j] = FmaDot(xr, coefficients_.data() + j * cols, cols) + rho_[0];
        }
        const int64_t best = std::max_element(row, row + c) - row;
        size_t label = static_cast<size_t>(best);
        if (c == 2 && !proba) {
          // ORT's binary rule for liblinear models.
          const float top = row[best];
          if ((all_positive_ && top >= 0.5f) || (!all_positive_ && top > 0)) label = 1;
        }
        SetLabel(y, labels_, r, label);
        Transform(post_, row, c);
      }
      return Status::Ok();
    }
    // Per-run buffers: kernel values, pairwise scores, votes, and the coupling matrices.
    std::vector<float> kern(vectors_), dec(pairs), r2, q, qp;
    std::vector<int64_t> votes(c);
    if (proba) {
      r2.assign(c * c, 0.0f);
      q.resize(c * c);
      qp.resize(c);
    }
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = xf + r * cols;
      for (int64_t v = 0; v < vectors_; ++v) {
        kern[v] = params_.Eval(xr, support_vectors_.data() + v * cols, cols);
      }
      std::fill(votes.begin(), votes.end(), 0);
      int64_t idx = 0;
      for (int64_t i = 0; i < c; ++i) {
        for (int64_t j = i + 1; j < c; ++j, ++idx) {
          // coefficients are [classes - 1, V]: class i's vectors use row j - 1, class j's row i.
          double sum = 0.0;
          const float* wi = coefficients_.data() + (j - 1) * vectors_ + starts_[i];
          for (int64_t m = 0; m < vectors_per_class_[i]; ++m) {
            sum += static_cast<double>(wi[m] * kern[starts_[i] + m]);
          }
          const float* wj = coefficients_.data() + i * vectors_ + starts_[j];
          for (int64_t m = 0; m < vectors_per_class_[j]; ++m) {
            sum += static_cast<double>(wj[m] * kern[starts_[j] + m]);
          }
          sum += rho_[idx];
          dec[idx] = static_cast<float>(sum);
          ++votes[sum > 0 ? i : j];
        }
      }
      float* row = zs + r * zc;
      if (proba) {
        idx = 0;
        for (int64_t i = 0; i < c; ++i) {
          for (int64_t j = i + 1; j < c; ++j, ++idx) {
            // libsvm's sigmoid_predict: 1 / (1 + exp(A f + B)), clipped to [1e-7, 1 - 1e-7].
            float p = 1.0f - Logistic(dec[idx] * prob_a_[idx] + prob_b_[idx]);
            p = std::min(std::max(p, 1.0e-7f), 1.0f - 1.0e-7f);
            r2[i * c + j] = p;
            r2[j * c + i] = 1.0f - p;
          }
        }
        PairwiseCoupling(c, r2.data(), q.data(), qp.data(), row);
        Transform(post_, row, c);
      } else if (c > 2) {
        std::copy(dec.begin(), dec.end(), row);
        Transform(post_, row, pairs);
      } else {
        // ORT: [-s, s] without a transform, else [1 - s, s] (LOGISTIC: of sigmoid(s)).
        WriteBinary(post_, post_ == Post::kNone ? Second::kNegate : Second::kComplement, dec[0],
                    row);
      }
      // The label is the vote winner (the first on ties), with or without probabilities.
      const int64_t best = std::max_element(votes.begin(), votes.end()) - votes.begin();
      SetLabel(y, labels_, r, static_cast<size_t>(best));
    }
    return Status::Ok();
  }

 private:
  SvmClassifierKernel() = default;
  SvmParams params_;
  std::vector<int64_t> vectors_per_class_, starts_;
  std::vector<float> support_vectors_, coefficients_, prob_a_, prob_b_, rho_;
  Labels labels_;
  Post post_ = Post::kNone;
  int64_t vectors_ = 0, features_ = 0;
  bool all_positive_ = true;
};

// =============================================================================================
// Tree ensembles (TreeEnsembleRegressor / TreeEnsembleClassifier, opsets 1 and 3).
//
// The nodes_* attributes list every node as (tree id, node id); a tree's root is its first
// listed node (as in ORT). Leaves carry weights (target_* / class_* attributes). At creation the
// nodes are flattened into one array per threshold type with child indices, after checking that
// ids resolve, every node is reachable from its root and no path loops (shared subtrees are
// allowed: LightGBM conversions emit them).

enum NodeMode : uint8_t { kLeq, kLt, kGte, kGt, kEq, kNeq, kLeaf };

template <typename TH>
struct FlatNode {
  TH value;            // threshold; for a leaf its first weight (the single-output path)
  int32_t feature;     // feature index (branches)
  int32_t true_next;   // branch: node index; leaf: index of its first weight
  int32_t false_next;  // branch: node index; leaf: number of weights
  uint8_t mode;
  uint8_t missing_true;
};

template <typename TH>
struct TreeTables {
  std::vector<FlatNode<TH>> nodes;
  std::vector<TH> weights;  // grouped by leaf, in attribute order within a leaf
  std::vector<TH> base;
};

// The walk from `root` to its leaf for one row.
template <typename TH>
inline const FlatNode<TH>* Descend(const FlatNode<TH>* nodes, int32_t root, const TH* x) {
  const FlatNode<TH>* n = nodes + root;
  while (n->mode != kLeaf) {
    const TH v = x[n->feature];
    bool t;
    switch (n->mode) {
      case kLeq:
        t = v <= n->value;
        break;
      case kLt:
        t = v < n->value;
        break;
      case kGte:
        t = v >= n->value;
        break;
      case kGt:
        t = v > n->value;
        break;
      case kEq:
        t = v == n->value;
        break;
      default:
        t = v != n->value;
        break;
    }
    if (n->missing_true && std::isnan(v)) t = true;
    n = nodes + (t ? n->true_next : n->false_next);
  }
  return n;
}

// A float attribute or, from opset 3, its *_as_tensor variant (float or double), as doubles.
Status FloatsOrTensor(const KernelInfo& info, const std::string& name, std::vector<double>* out) {
  const std::vector<float> f = info.GetFloats(name);
  const Tensor* t = info.opset() >= 3 ? info.GetTensor(name + "_as_tensor") : nullptr;
  KILN_RETURN_IF_ERROR(info.status());
  if (t != nullptr && t->numel() > 0) {
    if (!f.empty()) {
      return info.InvalidModel("only one of " + name + " and " + name + "_as_tensor may be set");
    }
    bool ok = Dispatch<float, double>(t->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      for (int64_t i = 0; i < t->numel(); ++i) out->push_back(static_cast<double>(t->data<T>()[i]));
    });
    if (!ok) {
      return info.InvalidModel(name + "_as_tensor must be a float or double tensor, got " +
                               t->TypeString());
    }
    return Status::Ok();
  }
  out->assign(f.begin(), f.end());
  return Status::Ok();
}

class TreeEnsembleCommon : public Kernel {
 protected:
  // Parses the nodes and the `prefix`_* weights for `n_outputs` targets / classes.
  Status Build(const KernelInfo& info, const std::string& prefix, int64_t n_outputs) {
    n_outputs_ = n_outputs;
    const std::vector<int64_t> tree_ids = info.GetInts("nodes_treeids");
    const std::vector<int64_t> node_ids = info.GetInts("nodes_nodeids");
    const std::vector<int64_t> features = info.GetInts("nodes_featureids");
    const std::vector<int64_t> true_ids = info.GetInts("nodes_truenodeids");
    const std::vector<int64_t> false_ids = info.GetInts("nodes_falsenodeids");
    const std::vector<int64_t> missing = info.GetInts("nodes_missing_value_tracks_true");
    const std::vector<std::string> modes = info.GetStrings("nodes_modes");
    const std::vector<int64_t> w_trees = info.GetInts(prefix + "_treeids");
    const std::vector<int64_t> w_nodes = info.GetInts(prefix + "_nodeids");
    const std::vector<int64_t> w_ids = info.GetInts(prefix + "_ids");
    KILN_RETURN_IF_ERROR(info.status());
    std::vector<double> values, weights, base;
    KILN_RETURN_IF_ERROR(FloatsOrTensor(info, "nodes_values", &values));
    KILN_RETURN_IF_ERROR(FloatsOrTensor(info, prefix + "_weights", &weights));
    KILN_RETURN_IF_ERROR(FloatsOrTensor(info, "base_values", &base));
    KILN_RETURN_IF_ERROR(ParsePost(info, &post_));

    const size_t n = tree_ids.size();
    const std::vector<std::pair<const char*, size_t>> node_lens = {
        {"nodes_treeids", tree_ids.size()},     {"nodes_nodeids", node_ids.size()},
        {"nodes_featureids", features.size()},  {"nodes_modes", modes.size()},
        {"nodes_truenodeids", true_ids.size()}, {"nodes_falsenodeids", false_ids.size()},
        {"nodes_values", values.size()}};
    bool same = missing.empty() || missing.size() == n;
    for (const auto& l : node_lens) same = same && l.second == n;
    if (!same) {
      std::string msg = "the nodes_* attributes must all have one entry per node:";
      for (const auto& l : node_lens) msg += std::string(" ") + l.first + " has " + Str(l.second);
      if (!missing.empty()) msg += " nodes_missing_value_tracks_true has " + Str(missing.size());
      return info.InvalidModel(msg);
    }
    if (n > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
      return info.InvalidModel("too many nodes");
    }
    const size_t m = w_ids.size();
    if (w_trees.size() != m || w_nodes.size() != m || weights.size() != m) {
      return info.InvalidModel(
          prefix + "_* attributes must all have one entry per weight: " + prefix + "_ids has " +
          Str(m) + ", " + prefix + "_treeids has " + Str(w_trees.size()) + ", " + prefix +
          "_nodeids has " + Str(w_nodes.size()) + ", " + prefix + "_weights has " +
          Str(weights.size()));
    }

    // Modes, ids, trees (in order of first appearance, the root being the first listed node).
    std::vector<uint8_t> mode(n);
    std::map<std::pair<int64_t, int64_t>, int32_t> index;
    std::map<int64_t, size_t> tree_slot;
    auto where = [&](size_t i) {
      return "node " + Str(node_ids[i]) + " of tree " + Str(tree_ids[i]);
    };
    for (size_t i = 0; i < n; ++i) {
      static const char* kNames[] = {"BRANCH_LEQ", "BRANCH_LT",  "BRANCH_GTE", "BRANCH_GT",
                                     "BRANCH_EQ",  "BRANCH_NEQ", "LEAF"};
      const auto* it = std::find(std::begin(kNames), std::end(kNames), modes[i]);
      if (it == std::end(kNames)) {
        return info.InvalidModel(where(i) + ": unknown mode '" + modes[i] +
                                 "' (expected BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT, "
                                 "BRANCH_EQ, BRANCH_NEQ or LEAF)");
      }
      mode[i] = static_cast<uint8_t>(it - std::begin(kNames));
      if (!index.emplace(std::make_pair(tree_ids[i], node_ids[i]), static_cast<int32_t>(i))
               .second) {
        return info.InvalidModel(where(i) + " is listed twice");
      }
      if (tree_slot.emplace(tree_ids[i], roots_.size()).second) {
        roots_.push_back(static_cast<int32_t>(i));
      }
      if (mode[i] != kLeaf) {
        if (features[i] < 0 || features[i] > std::numeric_limits<int32_t>::max()) {
          return info.InvalidModel(where(i) + ": feature id " + Str(features[i]) + " out of range");
        }
        num_features_ = std::max(num_features_, features[i] + 1);
      }
    }
    std::vector<int32_t> t_next(n, 0), f_next(n, 0);
    for (size_t i = 0; i < n; ++i) {
      if (mode[i] == kLeaf) continue;
      for (int side = 0; side < 2; ++side) {
        const int64_t child = side == 0 ? true_ids[i] : false_ids[i];
        auto it = index.find({tree_ids[i], child});
        if (it == index.end()) {
          return info.InvalidModel(where(i) + ": " + (side == 0 ? "true" : "false") + " child id " +
                                   Str(child) + " is not a node of tree " + Str(tree_ids[i]));
        }
        (side == 0 ? t_next : f_next)[i] = it->second;
      }
    }
    // Reachability and cycles: an iterative depth-first walk from every root.
    {
      std::vector<uint8_t> state(n, 0);  // 0 unseen, 1 on the current path, 2 done
      std::vector<std::pair<int32_t, int>> stack;
      for (int32_t root : roots_) {
        if (state[root] != 0) continue;
        stack.push_back({root, 0});
        state[root] = 1;
        while (!stack.empty()) {
          auto& [node, next] = stack.back();
          if (mode[node] == kLeaf || next == 2) {
            state[node] = 2;
            stack.pop_back();
            continue;
          }
          const int32_t child = next++ == 0 ? t_next[node] : f_next[node];
          if (state[child] == 1) {
            return info.InvalidModel("tree " + Str(tree_ids[node]) + " has a cycle through " +
                                     where(child));
          }
          if (state[child] == 0) {
            state[child] = 1;
            stack.push_back({child, 0});
          }
        }
      }
      for (size_t i = 0; i < n; ++i) {
        if (state[i] == 0) {
          return info.InvalidModel(where(i) + " is not reachable from the tree's root (" +
                                   where(roots_[tree_slot[tree_ids[i]]]) +
                                   ", its first listed node)");
        }
      }
    }

    // Weights, grouped by leaf in attribute order. Weights on a branch node are ignored, as in
    // ORT (old onnxmltools emitted them).
    std::vector<std::vector<int32_t>> per_node(n);
    all_positive_ = true;
    std::vector<int64_t> distinct;
    for (size_t j = 0; j < m; ++j) {
      auto it = index.find({w_trees[j], w_nodes[j]});
      if (it == index.end()) {
        return info.InvalidModel(prefix + " weight " + Str(j) + " names node " + Str(w_nodes[j]) +
                                 " of tree " + Str(w_trees[j]) + ", which does not exist");
      }
      if (w_ids[j] < 0 || w_ids[j] >= n_outputs) {
        return info.InvalidModel(prefix + "_ids[" + Str(j) + "] = " + Str(w_ids[j]) +
                                 " out of range [0, " + Str(n_outputs) + ")");
      }
      if (weights[j] < 0) all_positive_ = false;
      if (std::find(distinct.begin(), distinct.end(), w_ids[j]) == distinct.end()) {
        distinct.push_back(w_ids[j]);
      }
      if (mode[it->second] == kLeaf) per_node[it->second].push_back(static_cast<int32_t>(j));
    }
    distinct_ids_ = static_cast<int64_t>(distinct.size());
    // The flattened weight order: leaves in node order, each leaf's weights in attribute order.
    std::vector<int32_t> order, first(n, 0), count(n, 0);
    for (size_t i = 0; i < n; ++i) {
      first[i] = static_cast<int32_t>(order.size());
      count[i] = static_cast<int32_t>(per_node[i].size());
      for (int32_t j : per_node[i]) {
        order.push_back(j);
        weight_out_.push_back(static_cast<int32_t>(w_ids[j]));
      }
    }
    Fill(f_, mode, features, values, missing, t_next, f_next, first, count, order, weights, base);
    Fill(d_, mode, features, values, missing, t_next, f_next, first, count, order, weights, base);
    return Status::Ok();
  }

  template <typename TH>
  static void Fill(TreeTables<TH>& t, const std::vector<uint8_t>& mode,
                   const std::vector<int64_t>& features, const std::vector<double>& values,
                   const std::vector<int64_t>& missing, const std::vector<int32_t>& t_next,
                   const std::vector<int32_t>& f_next, const std::vector<int32_t>& first,
                   const std::vector<int32_t>& count, const std::vector<int32_t>& order,
                   const std::vector<double>& weights, const std::vector<double>& base) {
    const size_t n = mode.size();
    t.nodes.resize(n);
    for (size_t i = 0; i < n; ++i) {
      FlatNode<TH>& nd = t.nodes[i];
      nd.mode = mode[i];
      nd.missing_true = !missing.empty() && missing[i] == 1;
      nd.value = static_cast<TH>(values[i]);
      nd.feature = mode[i] == kLeaf ? 0 : static_cast<int32_t>(features[i]);
      if (mode[i] == kLeaf) {
        nd.true_next = first[i];
        nd.false_next = count[i];
        // ORT's single-output path adds the leaf's first weight, or its nodes_values entry
        // when it has none.
        if (count[i] > 0) nd.value = static_cast<TH>(weights[order[first[i]]]);
      } else {
        nd.true_next = t_next[i];
        nd.false_next = f_next[i];
      }
    }
    for (int32_t j : order) t.weights.push_back(static_cast<TH>(weights[j]));
    for (double b : base) t.base.push_back(static_cast<TH>(b));
  }

  template <typename TH>
  const TreeTables<TH>& Tables() const {
    if constexpr (std::is_same_v<TH, double>) {
      return d_;
    } else {
      return f_;
    }
  }

  // Checks X against the trees; sets rows / cols.
  Status CheckInput(const Tensor& x, KernelContext& ctx, int64_t* rows, int64_t* cols) const {
    KILN_RETURN_IF_ERROR(RowsCols(x, ctx, rows, cols));
    if (*cols < num_features_) {
      return ctx.InvalidArgument("X " + x.TypeString() + " has " + Str(*cols) +
                                 " features; the trees use feature " + Str(num_features_ - 1));
    }
    return Status::Ok();
  }

  // Sums the leaf weights of every tree for one row into score / has (zeroed by the caller).
  template <typename TH>
  void SumRow(const TreeTables<TH>& t, const TH* xr, TH* score, uint8_t* has) const {
    const FlatNode<TH>* nodes = t.nodes.data();
    for (int32_t root : roots_) {
      const FlatNode<TH>* leaf = Descend(nodes, root, xr);
      const int32_t end = leaf->true_next + leaf->false_next;
      for (int32_t w = leaf->true_next; w < end; ++w) {
        const int32_t o = weight_out_[w];
        score[o] += t.weights[w];
        has[o] = 1;
      }
    }
  }

  TreeTables<float> f_;
  TreeTables<double> d_;
  std::vector<int32_t> roots_;       // node index of each tree's root
  std::vector<int32_t> weight_out_;  // target / class of each weight
  int64_t n_outputs_ = 0;
  int64_t num_features_ = 0;
  int64_t distinct_ids_ = 0;
  bool all_positive_ = true;
  Post post_ = Post::kNone;
};

class TreeEnsembleRegressorKernel : public TreeEnsembleCommon {
 public:
  enum class Agg { kSum, kAverage, kMin, kMax };

  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    auto k = std::unique_ptr<TreeEnsembleRegressorKernel>(new TreeEnsembleRegressorKernel());
    const int64_t n_targets = info.GetInt("n_targets", 0);
    const std::string agg = info.GetString("aggregate_function", "SUM");
    KILN_RETURN_IF_ERROR(info.status());
    if (n_targets < 1) return info.InvalidModel("n_targets must be >= 1, got " + Str(n_targets));
    if (agg == "SUM") {
      k->agg_ = Agg::kSum;
    } else if (agg == "AVERAGE") {
      k->agg_ = Agg::kAverage;
    } else if (agg == "MIN") {
      k->agg_ = Agg::kMin;
    } else if (agg == "MAX") {
      k->agg_ = Agg::kMax;
    } else {
      return info.InvalidModel("aggregate_function must be SUM, AVERAGE, MIN or MAX, got '" + agg +
                               "'");
    }
    KILN_RETURN_IF_ERROR(k->Build(info, "target", n_targets));
    const size_t nb = k->f_.base.size();
    if (nb != 0 && static_cast<int64_t>(nb) != n_targets) {
      return info.InvalidModel("base_values has " + Str(nb) +
                               " values, expected n_targets = " + Str(n_targets) + " (or none)");
    }
    return std::unique_ptr<Kernel>(k.release());
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    int64_t rows = 0, cols = 0;
    KILN_RETURN_IF_ERROR(CheckInput(x, ctx, &rows, &cols));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kFloat, {rows, n_outputs_}));
    // ORT: double thresholds and sums for a double X, float otherwise.
    if (x.dtype() == DataType::kDouble) return Compute<double>(x, ctx, rows, cols, y);
    return Compute<float>(x, ctx, rows, cols, y);
  }

 private:
  template <typename TH>
  Status Compute(const Tensor& x, KernelContext& ctx, int64_t rows, int64_t cols, Tensor* y) const {
    const TreeTables<TH>& t = Tables<TH>();
    Tensor holder;
    KILN_ASSIGN_OR_RETURN(const TH* xs, InputAs<TH>(x, ctx, &holder));
    float* out = y->data<float>();
    const FlatNode<TH>* nodes = t.nodes.data();
    const TH n_trees = static_cast<TH>(roots_.size());
    if (n_outputs_ == 1) {
      // ORT's single-target path: each leaf gives its first weight (target ids not consulted);
      // base_values[0] is added after the aggregation; only PROBIT applies.
      const TH origin = t.base.empty() ? TH(0) : t.base[0];
      for (int64_t r = 0; r < rows; ++r) {
        const TH* xr = xs + r * cols;
        TH s = 0;
        bool has = false;
        for (int32_t root : roots_) {
          const TH v = Descend(nodes, root, xr)->value;
          switch (agg_) {
            case Agg::kMin:
              s = (!has || v < s) ? v : s;
              break;
            case Agg::kMax:
              s = (!has || v > s) ? v : s;
              break;
            default:
              s += v;
              break;
          }
          has = true;
        }
        if (agg_ == Agg::kAverage) s /= n_trees;
        s += origin;
        out[r] = post_ == Post::kProbit ? Probit(static_cast<float>(s)) : static_cast<float>(s);
      }
      return Status::Ok();
    }
    std::vector<TH> score(n_outputs_);
    std::vector<uint8_t> has(n_outputs_);
    for (int64_t r = 0; r < rows; ++r) {
      const TH* xr = xs + r * cols;
      std::fill(score.begin(), score.end(), TH(0));
      std::fill(has.begin(), has.end(), uint8_t{0});
      if (agg_ == Agg::kSum || agg_ == Agg::kAverage) {
        SumRow(t, xr, score.data(), has.data());
      } else {
        const bool is_min = agg_ == Agg::kMin;
        for (int32_t root : roots_) {
          const FlatNode<TH>* leaf = Descend(nodes, root, xr);
          const int32_t end = leaf->true_next + leaf->false_next;
          for (int32_t w = leaf->true_next; w < end; ++w) {
            const int32_t o = weight_out_[w];
            const TH v = t.weights[w];
            if (!has[o] || (is_min ? v < score[o] : v > score[o])) score[o] = v;
            has[o] = 1;
          }
        }
      }
      float* row = out + r * n_outputs_;
      for (int64_t o = 0; o < n_outputs_; ++o) {
        // ORT: a target no tree scored stays 0, base value or not.
        TH v = score[o];
        if (agg_ == Agg::kAverage) v /= n_trees;
        if (!t.base.empty()) v += t.base[o];
        row[o] = has[o] ? static_cast<float>(v) : 0.0f;
      }
      Transform(post_, row, n_outputs_);
    }
    return Status::Ok();
  }

  TreeEnsembleRegressorKernel() = default;
  Agg agg_ = Agg::kSum;
};

class TreeEnsembleClassifierKernel : public TreeEnsembleCommon {
 public:
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    auto k = std::unique_ptr<TreeEnsembleClassifierKernel>(new TreeEnsembleClassifierKernel());
    KILN_RETURN_IF_ERROR(
        ParseLabels(info, "classlabels_strings", "classlabels_int64s", &k->labels_));
    const int64_t c = static_cast<int64_t>(k->labels_.size());
    if (c < 2) return info.InvalidModel("TreeEnsembleClassifier needs at least 2 class labels");
    KILN_RETURN_IF_ERROR(k->Build(info, "class", c));
    const size_t nb = k->f_.base.size();
    if (nb != 0 && static_cast<int64_t>(nb) != c && !(c == 2 && nb == 1)) {
      return info.InvalidModel("base_values has " + Str(nb) + " values, expected one per class (" +
                               Str(c) + ") or none");
    }
    // ORT's binary special case: two classes and every weight for the same class.
    k->binary_case_ = c == 2 && k->distinct_ids_ == 1;
    return std::unique_ptr<Kernel>(k.release());
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    int64_t rows = 0, cols = 0;
    KILN_RETURN_IF_ERROR(CheckInput(x, ctx, &rows, &cols));
    KILN_ASSIGN_OR_RETURN(Tensor * y, LabelOutput(ctx, labels_, rows));
    Tensor z_holder;
    Tensor* z = nullptr;
    if (ctx.num_outputs() > 1) {
      KILN_ASSIGN_OR_RETURN(z, ctx.Output(1, DataType::kFloat, {rows, n_outputs_}));
    } else {
      KILN_ASSIGN_OR_RETURN(z_holder,
                            ctx.Scratch(std::max<size_t>(rows * n_outputs_, 1) * sizeof(float)));
      z = &z_holder;
    }
    float* zs = static_cast<float*>(z->raw_data());
    if (x.dtype() == DataType::kDouble) return Compute<double>(x, ctx, rows, cols, y, zs);
    return Compute<float>(x, ctx, rows, cols, y, zs);
  }

 private:
  template <typename TH>
  Status Compute(const Tensor& x, KernelContext& ctx, int64_t rows, int64_t cols, Tensor* y,
                 float* zs) const {
    const TreeTables<TH>& t = Tables<TH>();
    Tensor holder;
    KILN_ASSIGN_OR_RETURN(const TH* xs, InputAs<TH>(x, ctx, &holder));
    const int64_t c = n_outputs_;
    std::vector<TH> score(c);
    std::vector<uint8_t> has(c);
    for (int64_t r = 0; r < rows; ++r) {
      std::fill(score.begin(), score.end(), TH(0));
      std::fill(has.begin(), has.end(), uint8_t{0});
      SumRow(t, xs + r * cols, score.data(), has.data());
      float* row = zs + r * c;
      if (c > 2) {
        for (size_t k = 0; k < t.base.size(); ++k) {
          score[k] = has[k] ? score[k] + t.base[k] : t.base[k];
          has[k] = 1;
        }
        int64_t best = -1;
        for (int64_t k = 0; k < c; ++k) {
          if (has[k] && (best < 0 || score[k] > score[best])) best = k;
        }
        if (best < 0) {
          return ctx.InvalidArgument("row " + Str(r) +
                                     ": no tree gave a score to any class (leaves without "
                                     "weights and no base_values)");
        }
        SetLabel(y, labels_, r, static_cast<size_t>(best));
        for (int64_t k = 0; k < c; ++k) row[k] = has[k] ? static_cast<float>(score[k]) : 0.0f;
        Transform(post_, row, c);
        continue;
      }
      Binary(t, score.data(), has.data(), y, r, row);
    }
    return Status::Ok();
  }

  // Two classes, following ORT's TreeAggregatorClassifier.
  template <typename TH>
  void Binary(const TreeTables<TH>& t, TH* s, uint8_t* h, Tensor* y, int64_t r, float* row) const {
    int ncols = 2;
    int mode = -1;  // ORT's add_second_class: -1 none, 0/1 complement, 2/3 negate
    if (t.base.size() == 2) {
      if (h[1]) {
        // As ORT: class 1 becomes base_values[1] + score of class 0 (base_values[0] unused).
        s[1] = t.base[1] + s[0];
        s[0] = -s[1];
      } else {
        s[1] += t.base[1];
        s[0] += t.base[0];
      }
    } else if (t.base.size() == 1) {
      s[0] += t.base[0];
      if (!h[1]) ncols = 1;
    } else {
      mode = 3;
      if (!h[1]) ncols = 1;
    }
    const TH pos = (ncols == 2 && h[1]) ? s[1] : (h[0] ? s[0] : TH(0));
    bool positive;
    if (binary_case_) {
      if (all_positive_) {
        positive = pos > TH(0.5);
        mode = positive ? 0 : 1;
      } else {
        positive = pos > 0;
        mode = positive ? 2 : 3;
      }
    } else {
      // ORT answers the literal 1 / 0 here; kiln answers classlabels[1] / [0].
      positive = pos > 0;
    }
    SetLabel(y, labels_, r, positive ? 1 : 0);
    if (ncols == 2) {
      row[0] = h[0] ? static_cast<float>(s[0]) : 0.0f;
      row[1] = h[1] ? static_cast<float>(s[1]) : 0.0f;
      Transform(post_, row, 2);
      return;
    }
    const float v = h[0] ? static_cast<float>(s[0]) : 0.0f;
    const Second second =
        mode < 0 ? Second::kFirstOnly : (mode <= 1 ? Second::kComplement : Second::kNegate);
    WriteBinary(post_, second, v, row);
  }

  TreeEnsembleClassifierKernel() = default;
  Labels labels_;
  bool binary_case_ = false;
};

// =============================================================================================
// OneHotEncoder: Y = X's shape + [categories], 1 at the category of each element. Numeric inputs
// are truncated to int64 and looked up in cats_int64s, strings in cats_strings. An unknown value
// gives a zero row (zeros = 1, the default) or an error.

class OneHotEncoderKernel : public Kernel {
 public:
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    auto k = std::unique_ptr<OneHotEncoderKernel>(new OneHotEncoderKernel());
    const std::vector<int64_t> ints = info.GetInts("cats_int64s");
    const std::vector<std::string> strings = info.GetStrings("cats_strings");
    k->zeros_ = info.GetInt("zeros", 1) != 0;
    KILN_RETURN_IF_ERROR(info.status());
    if (ints.empty() == strings.empty()) {
      return info.InvalidModel(
          "exactly one of cats_int64s and cats_strings must be set (non-empty)");
    }
    k->count_ = static_cast<int64_t>(ints.empty() ? strings.size() : ints.size());
    // A repeated category maps to its last position, as in ORT.
    for (size_t i = 0; i < ints.size(); ++i) k->ints_[ints[i]] = static_cast<int64_t>(i);
    for (size_t i = 0; i < strings.size(); ++i) k->strings_[strings[i]] = static_cast<int64_t>(i);
    return std::unique_ptr<Kernel>(k.release());
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    std::vector<int64_t> dims = x.dims();
    dims.push_back(count_);
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.OutputZeroed(0, DataType::kFloat, dims));
    float* out = y->data<float>();
    const int64_t n = x.numel();
    if (x.dtype() == DataType::kString) {
      const std::string* in = x.data<std::string>();
      for (int64_t i = 0; i < n; ++i) {
        auto it = strings_.find(in[i]);
        if (it != strings_.end()) {
          out[i * count_ + it->second] = 1.0f;
        } else if (!zeros_) {
          return ctx.InvalidArgument("category '" + in[i] + "' is not in cats_strings (zeros = 0)");
        }
      }
      return Status::Ok();
    }
    Status st = Status::Ok();
    bool ok = Dispatch<float, double, int64_t, int32_t>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* in = x.data<T>();
      for (int64_t i = 0; i < n && st.ok(); ++i) {
        int64_t key = 0;
        bool valid = true;
        if constexpr (std::is_floating_point_v<T>) {
          // Truncation toward zero, as ORT's static_cast; NaN and out-of-range never match.
          const double d = static_cast<double>(in[i]);
          valid = d > -9.2e18 && d < 9.2e18;
          key = valid ? static_cast<int64_t>(d) : 0;
        } else {
          key = static_cast<int64_t>(in[i]);
        }
        auto it = valid ? ints_.find(key) : ints_.end();
        if (it != ints_.end()) {
          out[i * count_ + it->second] = 1.0f;
        } else if (!zeros_) {
          st = ctx.InvalidArgument("category " + std::to_string(in[i]) +
                                   " is not in cats_int64s (zeros = 0)");
        }
      }
    });
    if (!ok) return ctx.Unsupported("unsupported input type " + x.TypeString());
    return st;
  }

 private:
  OneHotEncoderKernel() = default;
  std::unordered_map<int64_t, int64_t> ints_;
  std::unordered_map<std::string, int64_t> strings_;
  int64_t count_ = 0;
  bool zeros_ = true;
};

// =============================================================================================
// CategoryMapper: strings -> int64 (default_int64 when absent) or int64 -> strings
// (default_string), by the pairs (cats_strings[i], cats_int64s[i]); the last pair wins a repeat.

class CategoryMapperKernel : public Kernel {
 public:
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    auto k = std::unique_ptr<CategoryMapperKernel>(new CategoryMapperKernel());
    const std::vector<std::string> strings = info.GetStrings("cats_strings");
    const std::vector<int64_t> ints = info.GetInts("cats_int64s");
    k->default_string_ = info.GetString("default_string", "_Unused");
    k->default_int_ = info.GetInt("default_int64", -1);
    KILN_RETURN_IF_ERROR(info.status());
    if (strings.size() != ints.size()) {
      return info.InvalidModel("cats_strings has " + Str(strings.size()) +
                               " values but cats_int64s has " + Str(ints.size()));
    }
    for (size_t i = 0; i < ints.size(); ++i) {
      k->to_int_[strings[i]] = ints[i];
      k->to_string_[ints[i]] = strings[i];
    }
    return std::unique_ptr<Kernel>(k.release());
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const int64_t n = x.numel();
    if (x.dtype() == DataType::kString) {
      KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kInt64, x.dims()));
      const std::string* in = x.data<std::string>();
      int64_t* out = y->data<int64_t>();
      for (int64_t i = 0; i < n; ++i) {
        auto it = to_int_.find(in[i]);
        out[i] = it == to_int_.end() ? default_int_ : it->second;
      }
      return Status::Ok();
    }
    if (x.dtype() != DataType::kInt64) {
      return ctx.InvalidArgument("X must be string or int64, got " + x.TypeString());
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kString, x.dims()));
    const int64_t* in = x.data<int64_t>();
    std::string* out = y->data<std::string>();
    for (int64_t i = 0; i < n; ++i) {
      auto it = to_string_.find(in[i]);
      out[i] = it == to_string_.end() ? default_string_ : it->second;
    }
    return Status::Ok();
  }

 private:
  CategoryMapperKernel() = default;
  std::unordered_map<std::string, int64_t> to_int_;
  std::unordered_map<int64_t, std::string> to_string_;
  std::string default_string_;
  int64_t default_int_ = -1;
};

// =============================================================================================
// FeatureVectorizer: concatenates the inputs' rows ([C] is one row, [N, ...] rows of the
// trailing size) into [N, sum(inputdimensions)] floats; each input contributes exactly its
// inputdimensions entry, truncated or zero-padded.

class FeatureVectorizerKernel : public Kernel {
 public:
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    auto k = std::unique_ptr<FeatureVectorizerKernel>(new FeatureVectorizerKernel());
    k->dims_ = info.GetInts("inputdimensions");
    KILN_RETURN_IF_ERROR(info.status());
    for (int64_t d : k->dims_) {
      if (d < 0) return info.InvalidModel("inputdimensions has a negative entry " + Str(d));
      k->total_ += d;
    }
    return std::unique_ptr<Kernel>(k.release());
  }

  Status Run(KernelContext& ctx) const override {
    const int n_in = ctx.num_inputs();
    if (n_in != static_cast<int>(dims_.size())) {
      return ctx.InvalidArgument("the node has " + Str(static_cast<int64_t>(n_in)) +
                                 " inputs but inputdimensions has " + Str(dims_.size()) +
                                 " entries");
    }
    int64_t rows = -1;
    for (int i = 0; i < n_in; ++i) {
      const Tensor* t = ctx.Input(i);
      if (t == nullptr || t->rank() == 0) {
        return ctx.InvalidArgument("input " + Str(static_cast<int64_t>(i)) +
                                   " must be a tensor of rank >= 1");
      }
      const int64_t r = t->rank() == 1 ? 1 : t->dim(0);
      if (rows >= 0 && r != rows) {
        return ctx.InvalidArgument("input " + Str(static_cast<int64_t>(i)) + " " + t->TypeString() +
                                   " has " + Str(r) + " rows, input 0 has " + Str(rows));
      }
      rows = r;
    }
    if (rows < 0) rows = 0;
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.OutputZeroed(0, DataType::kFloat, {rows, total_}));
    float* out = y->data<float>();
    int64_t offset = 0;
    for (int i = 0; i < n_in; ++i) {
      const Tensor& t = *ctx.Input(i);
      const int64_t row_size = t.rank() == 1 ? t.dim(0) : ProductOfDims(t.dims(), 1, t.rank());
      const int64_t take = std::min(row_size, dims_[i]);
      bool ok = Dispatch<float, double, int64_t, int32_t>(t.dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T* in = t.data<T>();
        for (int64_t r = 0; r < rows; ++r) {
          for (int64_t j = 0; j < take; ++j) {
            out[r * total_ + offset + j] = static_cast<float>(in[r * row_size + j]);
          }
        }
      });
      if (!ok) return ctx.Unsupported("unsupported input type " + t.TypeString());
      offset += dims_[i];
    }
    return Status::Ok();
  }

 private:
  FeatureVectorizerKernel() = default;
  std::vector<int64_t> dims_;
  int64_t total_ = 0;
};

}  // namespace

void RegisterMlLinearKernels(KernelRegistry& r) {
  r.Register(KernelDef("Scaler", kMlDomain).Opsets(1).Types("T", {0}, MlNumeric()),
             ScalerKernel::Create);
  r.Register(KernelDef("Normalizer", kMlDomain).Opsets(1).Types("T", {0}, MlNumeric()),
             NormalizerKernel::Create);
  r.Register(KernelDef("Imputer", kMlDomain).Opsets(1).Types("T", {0}, MlNumeric()),
             ImputerKernel::Create);
  r.Register(KernelDef("LinearRegressor", kMlDomain).Opsets(1).Types("T", {0}, MlNumeric()),
             LinearRegressorKernel::Create);
  r.Register(KernelDef("LinearClassifier", kMlDomain).Opsets(1).Types("T1", {0}, MlNumeric()),
             LinearClassifierKernel::Create);
  r.Register(KernelDef("SVMRegressor", kMlDomain).Opsets(1).Types("T", {0}, MlNumeric()),
             SvmRegressorKernel::Create);
  r.Register(KernelDef("SVMClassifier", kMlDomain).Opsets(1).Types("T1", {0}, MlNumeric()),
             SvmClassifierKernel::Create);
  // Versions 1 and 3 (3 adds *_as_tensor); version 5 is deprecated (use TreeEnsemble).
  r.Register(
      KernelDef("TreeEnsembleRegressor", kMlDomain).Opsets(1, 2).Types("T", {0}, MlNumeric()),
      TreeEnsembleRegressorKernel::Create);
  r.Register(
      KernelDef("TreeEnsembleRegressor", kMlDomain).Opsets(3, 4).Types("T", {0}, MlNumeric()),
      TreeEnsembleRegressorKernel::Create);
  r.Register(
      KernelDef("TreeEnsembleClassifier", kMlDomain).Opsets(1, 2).Types("T1", {0}, MlNumeric()),
      TreeEnsembleClassifierKernel::Create);
  r.Register(
      KernelDef("TreeEnsembleClassifier", kMlDomain).Opsets(3, 4).Types("T1", {0}, MlNumeric()),
      TreeEnsembleClassifierKernel::Create);
  r.Register(KernelDef("OneHotEncoder", kMlDomain)
                 .Opsets(1)
                 .Types("T", {0},
                        {DataType::kString, DataType::kInt64, DataType::kInt32, DataType::kFloat,
                         DataType::kDouble}),
             OneHotEncoderKernel::Create);
  r.Register(KernelDef("CategoryMapper", kMlDomain)
                 .Opsets(1)
                 .Types("T1", {0}, {DataType::kString, DataType::kInt64}),
             CategoryMapperKernel::Create);
  r.Register(KernelDef("FeatureVectorizer", kMlDomain).Opsets(1).Types("T1", {-1}, MlNumeric()),
             FeatureVectorizerKernel::Create);
}

}  // namespace kiln::cpu
