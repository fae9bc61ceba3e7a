// Shared pieces of the classical-ML kernels of domain ai.onnx.ml (ml_linear.cc, ml_svm.cc,
// ml_tree.cc): post_transform as ONNX Runtime computes it, input conversion, class labels, and
// the fused-multiply-add dot product that makes scores match ORT bit for bit. The
// ORT-over-reference choices they implement are listed in ml_linear.cc's opening comment.
#pragma once

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

#include "kernels/ops/common.h"

namespace kiln::cpu::ml {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels

inline constexpr char kMlDomain[] = "ai.onnx.ml";

inline std::string Str(int64_t v) { return std::to_string(v); }
inline std::string Str(size_t v) { return std::to_string(v); }

// ---------------------------------------------------------------------------------------------
// post_transform, as ORT's ml_common.h computes it (in float).

enum class Post { kNone, kLogistic, kSoftmax, kSoftmaxZero, kProbit };

inline Status ParsePost(const KernelInfo& info, Post* out) {
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

inline float Logistic(float v) {
  const float e = 1.0f / (1.0f + std::exp(-std::fabs(v)));
  return v < 0 ? 1.0f - e : e;
}

// ORT's erfinv: Winitzki's closed-form approximation with a = 0.147 (relative error ~1e-3 near
// the tails), computed in float. PROBIT uses it, so kiln does too.
inline float ErfInvApprox(float x) {
  const float sgn = x < 0 ? -1.0f : 1.0f;
  const float w = (1.0f - x) * (1.0f + x);
  const float ln = std::log(w);
  const float a = 2.0f / (static_cast<float>(M_PI) * 0.147f) + 0.5f * ln;
  const float b = (1.0f / 0.147f) * ln;
  return sgn * std::sqrt(-a + std::sqrt(a * a - b));
}

inline float Probit(float p) { return static_cast<float>(M_SQRT2) * ErfInvApprox(2.0f * p - 1.0f); }

inline void Softmax(float* v, int64_t n) {
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
inline void SoftmaxZero(float* v, int64_t n) {
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
inline void Transform(Post p, float* v, int64_t n) {
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

inline void WriteBinary(Post p, Second mode, float s, float* out) {
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
inline std::vector<DataType> MlNumeric() {
  return {DataType::kFloat, DataType::kDouble, DataType::kInt64, DataType::kInt32};
}

// The [rows, cols] view of a batch input: [C] is one row, [N, C] is N rows.
inline Status RowsCols(const Tensor& x, KernelContext& ctx, int64_t* rows, int64_t* cols) {
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
inline Status FeatureStride(const Tensor& x, KernelContext& ctx, int64_t* stride) {
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

// X as float rows for a model of `features` inputs per row (RowsCols, then InputAs<float>): other
// row lengths are an error saying what `expecter` ("the model expects") expects.
inline StatusOr<const float*> FloatFeatureRows(const Tensor& x, KernelContext& ctx,
                                               int64_t features, const char* expecter,
                                               int64_t* rows, Tensor* holder) {
  int64_t cols = 0;
  KILN_RETURN_IF_ERROR(RowsCols(x, ctx, rows, &cols));
  if (cols != features) {
    return ctx.InvalidArgument("X " + x.TypeString() + " has " + Str(cols) + " features; " +
                               expecter + " " + Str(features));
  }
  return InputAs<float>(x, ctx, holder);
}

// Class labels: exactly one of `<strings_name>` and `<ints_name>` is set.
struct Labels {
  bool strings = false;
  std::vector<std::string> s;
  std::vector<int64_t> i;
  size_t size() const { return strings ? s.size() : i.size(); }
};

inline Status ParseLabels(const KernelInfo& info, const char* strings_name, const char* ints_name,
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
inline StatusOr<Tensor*> LabelOutput(KernelContext& ctx, const Labels& l, int64_t n) {
  return ctx.Output(0, l.strings ? DataType::kString : DataType::kInt64, {n});
}

inline void SetLabel(Tensor* y, const Labels& l, int64_t row, size_t index) {
  if (l.strings) {
    y->data<std::string>()[row] = l.s[index];
  } else {
    y->data<int64_t>()[row] = l.i[index];
  }
}

// sum_k a[k] * b[k] in float, one fused multiply-add per step in order: what ORT's MLAS GEMM
// computes for these products, so that scores (and the labels decided on them) match ORT bit
// for bit on FMA hardware.
inline float FmaDot(const float* a, const float* b, int64_t n) {
  float acc = 0.0f;
  for (int64_t k = 0; k < n; ++k) acc = std::fma(a[k], b[k], acc);
  return acc;
}

}  // namespace kiln::cpu::ml
