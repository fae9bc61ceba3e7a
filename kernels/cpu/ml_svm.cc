// SVMRegressor 1 and SVMClassifier 1 (domain ai.onnx.ml): libsvm models (support vectors, kernels
// LINEAR / POLY / RBF / SIGMOID, one-vs-one voting, probabilities from prob_a / prob_b by
// pairwise coupling) and liblinear models (coefficients only), computed as ONNX Runtime 1.30
// does; see ml_linear.cc's opening comment for where that differs from onnx's reference.
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
    int64_t rows = 0;
    Tensor holder;
    KILN_ASSIGN_OR_RETURN(const float* xf,
                          FloatFeatureRows(x, ctx, features_, "the model expects", &rows, &holder));
    const int64_t cols = features_;
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
    int64_t rows = 0;
    Tensor holder;
    KILN_ASSIGN_OR_RETURN(const float* xf,
                          FloatFeatureRows(x, ctx, features_, "the model expects", &rows, &holder));
    const int64_t cols = features_;
    const int64_t c = static_cast<int64_t>(labels_.size());
    const int64_t pairs = c * (c - 1) / 2;
    const bool proba = !prob_a_.empty();
    const bool svc = vectors_ > 0;
    // Score columns: one per class (liblinear, or probabilities), else one per class pair
    // (two for a binary model).
    const int64_t zc = (!svc || proba) ? c : (c > 2 ? pairs : 2);
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

}  // namespace

void RegisterMlSvmKernels(KernelRegistry& r) {
  r.Register(KernelDef("SVMRegressor", kMlDomain).Opsets(1).Types("T", {0}, MlNumeric()),
             SvmRegressorKernel::Create);
  r.Register(KernelDef("SVMClassifier", kMlDomain).Opsets(1).Types("T1", {0}, MlNumeric()),
             SvmClassifierKernel::Create);
}

}  // namespace kiln::cpu
