// Classical-ML CPU kernels of domain ai.onnx.ml with tensor inputs and outputs, the operators
// scikit-learn models exported by skl2onnx use (this file: the preprocessing and linear ones;
// shared helpers in ml_common.h):
//   Scaler 1, Normalizer 1 (MAX / L1 / L2), Imputer 1,
//   LinearRegressor 1, LinearClassifier 1,
//   SVMRegressor 1, SVMClassifier 1 (LINEAR / POLY / RBF / SIGMOID kernels, one-vs-one voting,
//     probabilities from prob_a / prob_b by pairwise coupling): ml_svm.cc,
//   TreeEnsembleRegressor 1 and 3, TreeEnsembleClassifier 1 and 3 (opset 3 adds the *_as_tensor
//     attributes; modes BRANCH_LEQ/LT/GTE/GT/EQ/NEQ/LEAF, nodes_missing_value_tracks_true,
//     aggregate SUM/AVERAGE/MIN/MAX, base_values; version 5 of both is deprecated in favour of
//     TreeEnsemble, which ml.cc implements): ml_tree.cc,
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

#include "kernels/cpu/ml_common.h"
#include "kernels/cpu/register.h"

namespace kiln::cpu {
namespace {

using namespace ml;  // NOLINT(build/namespaces): the ai.onnx.ml helpers

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
    int64_t rows = 0;
    Tensor holder;
    KILN_ASSIGN_OR_RETURN(
        const float* xf,
        FloatFeatureRows(x, ctx, features_, "the coefficients expect", &rows, &holder));
    const int64_t cols = features_;
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
