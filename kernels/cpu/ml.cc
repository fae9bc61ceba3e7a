// Classical-ML CPU kernels (domain ai.onnx.ml):
//   LabelEncoder 1+ (opset 1: classes_strings; 2+: keys_*/values_*/default_*; 4+: keys_tensor,
//     values_tensor, default_tensor),
//   Binarizer 1+,
//   ArrayFeatureExtractor 1+,
//   TreeEnsemble 5+ (modes LEQ/LT/GTE/GT/EQ/NEQ/MEMBER, aggregate SUM/AVERAGE/MIN/MAX,
//     post_transform NONE only).
// Also, in the default domain ai.onnx (kept here because they share the tabular flavour):
//   TfIdfVectorizer 9+ (TF/IDF/TFIDF, int32/int64/string input),
//   TensorScatter 24+ (linear / circular modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kernels/cpu/register.h"
#include "kernels/ops/common.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

const char kMlDomain[] = "ai.onnx.ml";

// ---------------------------------------------------------------------------------------------
// LabelEncoder

// One key -> value mapping: keys and values as tensors, the default as a one-element tensor.
struct Encoder {
  Tensor keys;
  Tensor values;
  Tensor def;
  std::unordered_map<std::string, int64_t> string_index;
  std::map<double, int64_t> number_index;  // ordered map: handles -0.0 == 0.0 naturally
  int64_t nan_index = -1;
};

template <typename T>
Tensor VectorTensor(const std::vector<T>& v) {
  return Tensor::FromVector(v, {static_cast<int64_t>(v.size())});
}

Tensor DefaultFor(DataType dt, const KernelInfo& info) {
  switch (dt) {
    case DataType::kString:
      return Tensor::Scalar<std::string>(info.GetString("default_string", "_Unused"));
    case DataType::kFloat:
      return Tensor::Scalar<float>(info.GetFloat("default_float", -0.0f));
    case DataType::kDouble:
      return Tensor::Scalar<double>(-0.0);
    case DataType::kInt64:
      return Tensor::Scalar<int64_t>(info.GetInt("default_int64", -1));
    case DataType::kInt32:
      return Tensor::Scalar<int32_t>(-1);
    case DataType::kInt16:
      return Tensor::Scalar<int16_t>(-1);
    default:
      return Tensor();
  }
}

#define KILN_LE_TYPES std::string, float, double, int64_t, int32_t, int16_t

Status BuildIndex(Encoder& e, const KernelInfo& info) {
  if (e.keys.numel() != e.values.numel()) {
    return info.InvalidModel("keys and values must have the same length (" +
                             std::to_string(e.keys.numel()) + " vs " +
                             std::to_string(e.values.numel()) + ")");
  }
  if (e.def.numel() != 1) return info.InvalidModel("default value must have one element");
  if (e.def.dtype() != e.values.dtype()) {
    return info.InvalidModel("default value type must match the values type");
  }
  bool ok = Dispatch<KILN_LE_TYPES>(e.keys.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* k = e.keys.data<T>();
    for (int64_t i = 0; i < e.keys.numel(); ++i) {
      if constexpr (std::is_same_v<T, std::string>) {
        e.string_index.emplace(k[i], i);
      } else {
        double d = static_cast<double>(k[i]);
        if (std::isnan(d)) {
          if (e.nan_index < 0) e.nan_index = i;
        } else {
          e.number_index.emplace(d, i);
        }
      }
    }
  });
  if (!ok) return info.InvalidModel("unsupported key type " + std::string(DataTypeName(e.keys.dtype())));
  if (!Dispatch<KILN_LE_TYPES>(e.values.dtype(), [](auto) {})) {
    return info.InvalidModel("unsupported value type " +
                             std::string(DataTypeName(e.values.dtype())));
  }
  return Status::Ok();
}

class LabelEncoderKernel : public Kernel {
 public:
  explicit LabelEncoderKernel(std::vector<Encoder> encoders) : encoders_(std::move(encoders)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const Encoder* e = nullptr;
    for (const Encoder& c : encoders_) {
      if (c.keys.dtype() == x.dtype()) e = &c;
    }
    if (e == nullptr) {
      return ctx.InvalidArgument("input type " + x.TypeString() +
                                 " does not match the type of the keys");
    }
    const int64_t n = x.numel();
    std::vector<int64_t> idx(n);
    Dispatch<KILN_LE_TYPES>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* in = x.data<T>();
      for (int64_t i = 0; i < n; ++i) {
        if constexpr (std::is_same_v<T, std::string>) {
          auto it = e->string_index.find(in[i]);
          idx[i] = it == e->string_index.end() ? -1 : it->second;
        } else {
          double d = static_cast<double>(in[i]);
          if (std::isnan(d)) {
            idx[i] = e->nan_index;
          } else {
            auto it = e->number_index.find(d);
            idx[i] = it == e->number_index.end() ? -1 : it->second;
          }
        }
      }
    });
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, e->values.dtype(), x.dims()));
    Dispatch<KILN_LE_TYPES>(e->values.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* vals = e->values.data<T>();
      const T& def = *e->def.data<T>();
      T* out = y->data<T>();
      for (int64_t i = 0; i < n; ++i) out[i] = idx[i] < 0 ? def : vals[idx[i]];
    });
    return Status::Ok();
  }

 private:
  std::vector<Encoder> encoders_;
};

StatusOr<std::unique_ptr<Kernel>> LabelEncoderFactory(const KernelInfo& info) {
  std::vector<Encoder> encoders;
  if (info.opset() < 2) {
    std::vector<std::string> classes = info.GetStrings("classes_strings");
    std::vector<int64_t> ids(classes.size());
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i);
    Encoder s2i;
    s2i.keys = VectorTensor(classes);
    s2i.values = VectorTensor(ids);
    s2i.def = Tensor::Scalar<int64_t>(info.GetInt("default_int64", -1));
    Encoder i2s;
    i2s.keys = VectorTensor(ids);
    i2s.values = VectorTensor(classes);
    i2s.def = Tensor::Scalar<std::string>(info.GetString("default_string", "_Unused"));
    encoders.push_back(std::move(s2i));
    encoders.push_back(std::move(i2s));
  } else {
    Encoder e;
    int nkeys = 0, nvalues = 0;
    if (info.HasAttr("keys_strings")) {
      e.keys = VectorTensor(info.GetStrings("keys_strings"));
      ++nkeys;
    }
    if (info.HasAttr("keys_int64s")) {
      e.keys = VectorTensor(info.GetInts("keys_int64s"));
      ++nkeys;
    }
    if (info.HasAttr("keys_floats")) {
      e.keys = VectorTensor(info.GetFloats("keys_floats"));
      ++nkeys;
    }
    if (const Tensor* t = info.GetTensor("keys_tensor")) {
      e.keys = *t;
      ++nkeys;
    }
    if (info.HasAttr("values_strings")) {
      e.values = VectorTensor(info.GetStrings("values_strings"));
      ++nvalues;
    }
    if (info.HasAttr("values_int64s")) {
      e.values = VectorTensor(info.GetInts("values_int64s"));
      ++nvalues;
    }
    if (info.HasAttr("values_floats")) {
      e.values = VectorTensor(info.GetFloats("values_floats"));
      ++nvalues;
    }
    const Tensor* values_tensor = info.GetTensor("values_tensor");
    if (values_tensor != nullptr) {
      e.values = *values_tensor;
      ++nvalues;
    }
    KILN_RETURN_IF_ERROR(info.status());
    if (nkeys != 1 || nvalues != 1) {
      return info.InvalidModel("exactly one keys_* and one values_* attribute must be set");
    }
    if (values_tensor != nullptr && info.GetTensor("default_tensor") != nullptr) {
      e.def = *info.GetTensor("default_tensor");
    } else {
      e.def = DefaultFor(e.values.dtype(), info);
    }
    encoders.push_back(std::move(e));
  }
  KILN_RETURN_IF_ERROR(info.status());
  for (Encoder& e : encoders) KILN_RETURN_IF_ERROR(BuildIndex(e, info));
  return std::unique_ptr<Kernel>(new LabelEncoderKernel(std::move(encoders)));
}

// ---------------------------------------------------------------------------------------------
// Binarizer

StatusOr<std::unique_ptr<Kernel>> BinarizerFactory(const KernelInfo& info) {
  const double threshold = info.GetFloat("threshold", 0.0f);
  KILN_RETURN_IF_ERROR(info.status());
  return std::unique_ptr<Kernel>(new FunctionKernel([threshold](KernelContext& ctx) -> Status {
    const Tensor& x = *ctx.Input(0);
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x.dtype(), x.dims()));
    bool ok = Dispatch<float, double, int64_t, int32_t>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* in = x.data<T>();
      T* out = y->data<T>();
      for (int64_t i = 0; i < x.numel(); ++i) {
        const double v = static_cast<double>(in[i]);
        out[i] = std::isnan(v) ? in[i] : static_cast<T>(v > threshold ? 1 : 0);
      }
    });
    if (!ok) return ctx.Unsupported("unsupported input type " + x.TypeString());
    return Status::Ok();
  }));
}

// ---------------------------------------------------------------------------------------------
// ArrayFeatureExtractor

Status ArrayFeatureExtractorRun(KernelContext& ctx) {
  const Tensor& x = *ctx.Input(0);
  const Tensor& ind = *ctx.Input(1);
  if (x.rank() < 1) return ctx.InvalidArgument("X must have rank >= 1");
  const int64_t last = x.dim(x.rank() - 1);
  const int64_t k = ind.numel();
  const int64_t* idx = ind.data<int64_t>();
  for (int64_t j = 0; j < k; ++j) {
    if (idx[j] < 0 || idx[j] >= last) {
      return ctx.InvalidArgument("index " + std::to_string(idx[j]) + " out of range [0, " +
                                 std::to_string(last) + ")");
    }
  }
  std::vector<int64_t> dims;
  if (x.rank() == 1) {
    dims = {1, k};
  } else {
    dims.assign(x.dims().begin(), x.dims().end() - 1);
    dims.push_back(k);
  }
  KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x.dtype(), dims));
  const int64_t rows = last == 0 ? 0 : x.numel() / last;
  bool ok = Dispatch<float, double, int64_t, int32_t, std::string>(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = x.data<T>();
    T* out = y->data<T>();
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t j = 0; j < k; ++j) out[r * k + j] = in[r * last + idx[j]];
    }
  });
  if (!ok) return ctx.Unsupported("unsupported input type " + x.TypeString());
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// TreeEnsemble

class TreeEnsembleKernel : public Kernel {
 public:
  enum Mode { kLeq = 0, kLt, kGte, kGt, kEq, kNeq, kMember };
  struct TreeNode {
    int mode;
    int64_t feature;
    double split;
    bool missing_true;
    std::vector<double> members;
    int64_t true_id, false_id;
    bool true_leaf, false_leaf;
  };

  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    auto k = std::unique_ptr<TreeEnsembleKernel>(new TreeEnsembleKernel());
    std::vector<int64_t> features = info.GetInts("nodes_featureids");
    std::vector<int64_t> true_ids = info.GetInts("nodes_truenodeids");
    std::vector<int64_t> false_ids = info.GetInts("nodes_falsenodeids");
    std::vector<int64_t> true_leafs = info.GetInts("nodes_trueleafs");
    std::vector<int64_t> false_leafs = info.GetInts("nodes_falseleafs");
    std::vector<int64_t> missing = info.GetInts("nodes_missing_value_tracks_true");
    k->leaf_targets_ = info.GetInts("leaf_targetids");
    k->roots_ = info.GetInts("tree_roots");
    k->n_targets_ = info.GetInt("n_targets", 0);
    k->aggregate_ = static_cast<int>(info.GetInt("aggregate_function", 1));
    const int64_t post = info.GetInt("post_transform", 0);
    KILN_RETURN_IF_ERROR(info.status());
    if (post != 0) return info.Unsupported("post_transform other than NONE is not supported");
    if (k->aggregate_ < 0 || k->aggregate_ > 3) return info.InvalidModel("bad aggregate_function");
    auto to_doubles = [&](const char* name, std::vector<double>* out) -> Status {
      const Tensor* t = info.GetTensor(name);
      if (t == nullptr) return Status::Ok();
      bool ok = Dispatch<KILN_FLOAT_TYPES>(t->dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        for (int64_t i = 0; i < t->numel(); ++i) out->push_back(ToDouble(t->data<T>()[i]));
      });
      if (!ok) return info.InvalidModel(std::string(name) + " must be a floating-point tensor");
      return Status::Ok();
    };
    std::vector<double> splits, members;
    KILN_RETURN_IF_ERROR(to_doubles("nodes_splits", &splits));
    KILN_RETURN_IF_ERROR(to_doubles("leaf_weights", &k->leaf_weights_));
    KILN_RETURN_IF_ERROR(to_doubles("membership_values", &members));
    const Tensor* modes_t = info.GetTensor("nodes_modes");
    const size_t n = features.size();
    if (modes_t == nullptr || modes_t->dtype() != DataType::kUint8 ||
        static_cast<size_t>(modes_t->numel()) != n || splits.size() != n ||
        true_ids.size() != n || false_ids.size() != n || true_leafs.size() != n ||
        false_leafs.size() != n || (!missing.empty() && missing.size() != n)) {
      return info.InvalidModel("node attributes must all have the same length");
    }
    if (k->leaf_targets_.size() != k->leaf_weights_.size()) {
      return info.InvalidModel("leaf_targetids and leaf_weights must have the same length");
    }
    for (int64_t t : k->leaf_targets_) {
      if (t < 0 || t >= k->n_targets_) return info.InvalidModel("leaf target id out of range");
    }
    size_t member_pos = 0;
    for (size_t i = 0; i < n; ++i) {
      TreeNode nd;
      nd.mode = modes_t->data<uint8_t>()[i];
      if (nd.mode > kMember) return info.InvalidModel("bad node mode");
      nd.feature = features[i];
      if (nd.feature < 0) return info.InvalidModel("negative feature id");
      nd.split = splits[i];
      nd.missing_true = !missing.empty() && missing[i] != 0;
      if (nd.mode == kMember) {
        while (member_pos < members.size() && !std::isnan(members[member_pos])) {
          nd.members.push_back(members[member_pos++]);
        }
        if (member_pos >= members.size()) {
          return info.InvalidModel("membership_values is missing a set");
        }
        ++member_pos;  // the NaN separator
      }
      nd.true_id = true_ids[i];
      nd.false_id = false_ids[i];
      nd.true_leaf = true_leafs[i] != 0;
      nd.false_leaf = false_leafs[i] != 0;
      auto check = [&](int64_t id, bool leaf) {
        return id >= 0 && static_cast<size_t>(id) < (leaf ? k->leaf_weights_.size() : n);
      };
      if (!check(nd.true_id, nd.true_leaf) || !check(nd.false_id, nd.false_leaf)) {
        return info.InvalidModel("node child id out of range");
      }
      if (static_cast<int64_t>(nd.feature) + 1 > k->num_features_) {
        k->num_features_ = nd.feature + 1;
      }
      k->nodes_.push_back(std::move(nd));
    }
    for (int64_t r : k->roots_) {
      if (r < 0 || static_cast<size_t>(r) >= n) return info.InvalidModel("tree root out of range");
    }
    return std::unique_ptr<Kernel>(k.release());
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    if (x.rank() != 2) return ctx.InvalidArgument("X must be 2-D, got " + x.TypeString());
    const int64_t rows = x.dim(0), cols = x.dim(1);
    if (cols < num_features_) return ctx.InvalidArgument("X has too few features");
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x.dtype(), {rows, n_targets_}));
    std::vector<double> feat(cols), acc(n_targets_);
    std::vector<bool> seen(n_targets_);
    bool ok = Dispatch<KILN_FLOAT_TYPES>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* in = x.data<T>();
      T* out = y->data<T>();
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < cols; ++c) feat[c] = ToDouble(in[r * cols + c]);
        std::fill(acc.begin(), acc.end(), 0.0);
        std::fill(seen.begin(), seen.end(), false);
        for (int64_t root : roots_) {
          const int64_t leaf = Evaluate(root, feat);
          if (leaf < 0) continue;
          const int64_t t = leaf_targets_[leaf];
          const double w = leaf_weights_[leaf];
          switch (aggregate_) {
            case 2:
              acc[t] = seen[t] ? std::min(acc[t], w) : w;
              break;
            case 3:
              acc[t] = seen[t] ? std::max(acc[t], w) : w;
              break;
            default:
              acc[t] += w;
          }
          seen[t] = true;
        }
        for (int64_t t = 0; t < n_targets_; ++t) {
          double v = acc[t];
          if (aggregate_ == 0 && !roots_.empty()) v /= static_cast<double>(roots_.size());
          out[r * n_targets_ + t] = FromDouble<T>(v);
        }
      }
    });
    if (!ok) return ctx.Unsupported("unsupported input type " + x.TypeString());
    return Status::Ok();
  }

 private:
  // Returns the leaf index reached from `root`, or -1 for a malformed (cyclic) tree.
  int64_t Evaluate(int64_t root, const std::vector<double>& f) const {
    int64_t id = root;
    for (size_t steps = 0; steps <= nodes_.size(); ++steps) {
      const TreeNode& nd = nodes_[id];
      const double v = f[nd.feature];
      bool go_true;
      if (std::isnan(v) && nd.missing_true) {
        go_true = true;
      } else {
        switch (nd.mode) {
          case kLeq: go_true = v <= nd.split; break;
          case kLt: go_true = v < nd.split; break;
          case kGte: go_true = v >= nd.split; break;
          case kGt: go_true = v > nd.split; break;
          case kEq: go_true = v == nd.split; break;
          case kNeq: go_true = v != nd.split; break;
          default:
            go_true = std::find(nd.members.begin(), nd.members.end(), v) != nd.members.end();
        }
      }
      const bool leaf = go_true ? nd.true_leaf : nd.false_leaf;
      id = go_true ? nd.true_id : nd.false_id;
      if (leaf) return id;
    }
    return -1;
  }

  TreeEnsembleKernel() = default;
  std::vector<TreeNode> nodes_;
  std::vector<double> leaf_weights_;
  std::vector<int64_t> leaf_targets_;
  std::vector<int64_t> roots_;
  int64_t n_targets_ = 0;
  int64_t num_features_ = 0;
  int aggregate_ = 1;
};

// =============================================================================================
// Default-domain (ai.onnx) ops.
// =============================================================================================

// ---------------------------------------------------------------------------------------------
// TfIdfVectorizer

class TfIdfKernel : public Kernel {
 public:
  enum class Mode { kTf, kIdf, kTfIdf };

  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    auto k = std::unique_ptr<TfIdfKernel>(new TfIdfKernel());
    const std::string mode = info.GetString("mode", "");
    k->min_n_ = info.GetInt("min_gram_length", 0);
    k->max_n_ = info.GetInt("max_gram_length", 0);
    k->max_skip_ = info.GetInt("max_skip_count", 0);
    std::vector<int64_t> counts = info.GetInts("ngram_counts");
    std::vector<int64_t> indexes = info.GetInts("ngram_indexes");
    std::vector<float> weights = info.GetFloats("weights");
    std::vector<int64_t> pool_ints = info.GetInts("pool_int64s");
    std::vector<std::string> pool_strings = info.GetStrings("pool_strings");
    KILN_RETURN_IF_ERROR(info.status());
    if (mode == "TF") {
      k->mode_ = Mode::kTf;
    } else if (mode == "IDF") {
      k->mode_ = Mode::kIdf;
    } else if (mode == "TFIDF") {
      k->mode_ = Mode::kTfIdf;
    } else {
      return info.InvalidModel("mode must be TF, IDF or TFIDF, got '" + mode + "'");
    }
    if (k->min_n_ < 1 || k->max_n_ < k->min_n_ || k->max_skip_ < 0) {
      return info.InvalidModel("bad min_gram_length / max_gram_length / max_skip_count");
    }
    k->strings_ = info.HasAttr("pool_strings");
    if (k->strings_ == info.HasAttr("pool_int64s")) {
      return info.InvalidModel("exactly one of pool_strings and pool_int64s must be set");
    }
    const int64_t pool_size =
        k->strings_ ? static_cast<int64_t>(pool_strings.size()) : static_cast<int64_t>(pool_ints.size());
    // Map each pool position to its n-gram number (index into ngram_indexes).
    int64_t ngram_no = 0;
    for (size_t level = 0; level < counts.size(); ++level) {
      const int64_t n = static_cast<int64_t>(level) + 1;
      const int64_t begin = counts[level];
      const int64_t end = level + 1 < counts.size() ? counts[level + 1] : pool_size;
      if (begin < 0 || end > pool_size || begin > end || (end - begin) % n != 0) {
        return info.InvalidModel("ngram_counts does not partition the pool");
      }
      for (int64_t p = begin; p < end; p += n, ++ngram_no) {
        if (k->strings_) {
          std::vector<std::string> key(pool_strings.begin() + p, pool_strings.begin() + p + n);
          k->string_pool_.emplace(std::move(key), ngram_no);
        } else {
          std::vector<int64_t> key(pool_ints.begin() + p, pool_ints.begin() + p + n);
          k->int_pool_.emplace(std::move(key), ngram_no);
        }
      }
    }
    if (static_cast<int64_t>(indexes.size()) != ngram_no) {
      return info.InvalidModel("ngram_indexes must have one entry per n-gram in the pool (" +
                               std::to_string(ngram_no) + ")");
    }
    if (!weights.empty() && weights.size() != indexes.size()) {
      return info.InvalidModel("weights must have the length of ngram_indexes");
    }
    k->out_size_ = 0;
    for (int64_t i : indexes) {
      if (i < 0) return info.InvalidModel("negative ngram index");
      k->out_size_ = std::max(k->out_size_, i + 1);
    }
    k->indexes_ = std::move(indexes);
    k->weights_ = std::move(weights);
    return std::unique_ptr<Kernel>(k.release());
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    if (x.rank() != 1 && x.rank() != 2) {
      return ctx.InvalidArgument("input must be 1-D or 2-D, got " + x.TypeString());
    }
    if (strings_ != (x.dtype() == DataType::kString)) {
      return ctx.InvalidArgument("input type " + x.TypeString() + " does not match the pool");
    }
    const int64_t rows = x.rank() == 1 ? 1 : x.dim(0);
    const int64_t cols = x.dim(x.rank() - 1);
    std::vector<int64_t> dims = x.rank() == 1 ? std::vector<int64_t>{out_size_}
                                              : std::vector<int64_t>{rows, out_size_};
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.OutputZeroed(0, DataType::kFloat, dims));
    float* out = y->data<float>();
    std::vector<int64_t> counts(indexes_.size());
    for (int64_t r = 0; r < rows; ++r) {
      std::fill(counts.begin(), counts.end(), 0);
      if (strings_) {
        CountRow(x.data<std::string>() + r * cols, cols, string_pool_, &counts);
      } else if (x.dtype() == DataType::kInt64) {
        CountRow(x.data<int64_t>() + r * cols, cols, int_pool_, &counts);
      } else {
        CountRow(x.data<int32_t>() + r * cols, cols, int_pool_, &counts);
      }
      float* row = out + r * out_size_;
      for (size_t i = 0; i < indexes_.size(); ++i) {
        double v = static_cast<double>(counts[i]);
        const double w = weights_.empty() ? 1.0 : weights_[i];
        if (mode_ == Mode::kIdf) v = (v > 0 ? 1.0 : 0.0) * w;
        if (mode_ == Mode::kTfIdf) v *= w;
        row[indexes_[i]] += static_cast<float>(v);
      }
    }
    return Status::Ok();
  }

 private:
  template <typename T, typename K>
  void CountRow(const T* in, int64_t cols, const std::map<std::vector<K>, int64_t>& pool,
                std::vector<int64_t>* counts) const {
    std::vector<K> key;
    for (int64_t n = min_n_; n <= max_n_; ++n) {
      const int64_t max_skip = n == 1 ? 0 : max_skip_;
      for (int64_t skip = 0; skip <= max_skip; ++skip) {
        const int64_t step = skip + 1;
        for (int64_t start = 0; start + (n - 1) * step < cols; ++start) {
          key.clear();
          for (int64_t j = 0; j < n; ++j) key.push_back(static_cast<K>(in[start + j * step]));
          auto it = pool.find(key);
          if (it != pool.end()) ++(*counts)[it->second];
        }
      }
    }
  }

  TfIdfKernel() = default;
  Mode mode_ = Mode::kTf;
  int64_t min_n_ = 1, max_n_ = 1, max_skip_ = 0;
  bool strings_ = false;
  std::map<std::vector<int64_t>, int64_t> int_pool_;
  std::map<std::vector<std::string>, int64_t> string_pool_;
  std::vector<int64_t> indexes_;
  std::vector<float> weights_;
  int64_t out_size_ = 0;
};

// ---------------------------------------------------------------------------------------------
// TensorScatter

class TensorScatterKernel : public Kernel {
 public:
  TensorScatterKernel(int64_t axis, bool circular) : axis_(axis), circular_(circular) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor& past = *ctx.Input(0);
    const Tensor& update = *ctx.Input(1);
    const Tensor* wi = ctx.Input(2);
    const int rank = past.rank();
    if (rank < 2) return ctx.InvalidArgument("past_cache must have rank >= 2");
    KILN_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_, rank, ctx.node()));
    if (axis == 0) return ctx.InvalidArgument("axis cannot be the batch dimension");
    if (update.dtype() != past.dtype() || update.rank() != rank) {
      return ctx.InvalidArgument("update " + update.TypeString() + " does not match past_cache " +
                                 past.TypeString());
    }
    for (int d = 0; d < rank; ++d) {
      if (d != axis && update.dim(d) != past.dim(d)) {
        return ctx.InvalidArgument("update " + update.TypeString() +
                                   " does not match past_cache " + past.TypeString());
      }
    }
    const int64_t batch = past.dim(0);
    const int64_t max_seq = past.dim(axis);
    const int64_t seq = update.dim(axis);
    if (seq > max_seq) return ctx.InvalidArgument("update sequence longer than the cache");
    if (wi != nullptr && (wi->rank() != 1 || wi->dim(0) != batch)) {
      return ctx.InvalidArgument("write_indices must have shape [batch_size]");
    }
    std::vector<int64_t> starts(batch, 0);
    for (int64_t b = 0; b < batch && wi != nullptr; ++b) {
      starts[b] = wi->dtype() == DataType::kInt32 ? wi->data<int32_t>()[b] : wi->data<int64_t>()[b];
      if (starts[b] < 0 || (!circular_ && starts[b] + seq > max_seq)) {
        return ctx.InvalidArgument("write index " + std::to_string(starts[b]) +
                                   " out of range for sequence length " + std::to_string(seq) +
                                   " and cache length " + std::to_string(max_seq));
      }
    }
    const int64_t inner = ProductOfDims(past.dims(), axis + 1, rank);
    const int64_t prefix_per_batch = ProductOfDims(past.dims(), 1, axis);
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, past.dtype(), past.dims()));
    bool ok = Dispatch<KILN_NUMERIC_TYPES, bool, std::string>(past.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = past.data<T>();
      T* out = y->data<T>();
      std::copy(src, src + past.numel(), out);
      const T* up = update.data<T>();
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t p = 0; p < prefix_per_batch; ++p) {
          const int64_t outer = b * prefix_per_batch + p;
          for (int64_t s = 0; s < seq; ++s) {
            int64_t c = starts[b] + s;
            if (circular_) c %= max_seq;
            const T* from = up + (outer * seq + s) * inner;
            std::copy(from, from + inner, out + (outer * max_seq + c) * inner);
          }
        }
      }
    });
    if (!ok) return ctx.Unsupported("unsupported element type " + past.TypeString());
    return Status::Ok();
  }

 private:
  int64_t axis_;
  bool circular_;
};

StatusOr<std::unique_ptr<Kernel>> TensorScatterFactory(const KernelInfo& info) {
  const int64_t axis = info.GetInt("axis", -2);
  const std::string mode = info.GetString("mode", "linear");
  KILN_RETURN_IF_ERROR(info.status());
  if (mode != "linear" && mode != "circular") {
    return info.InvalidModel("mode must be 'linear' or 'circular', got '" + mode + "'");
  }
  return std::unique_ptr<Kernel>(new TensorScatterKernel(axis, mode == "circular"));
}

}  // namespace

void RegisterMlKernels(KernelRegistry& r) {
  const std::vector<DataType> le_types = {DataType::kString, DataType::kFloat, DataType::kDouble,
                                          DataType::kInt64,  DataType::kInt32, DataType::kInt16};
  r.Register(KernelDef("LabelEncoder", kMlDomain).Opsets(1).Types("T1", {0}, le_types),
             LabelEncoderFactory);
  r.Register(KernelDef("Binarizer", kMlDomain)
                 .Opsets(1)
                 .Types("T", {0}, {DataType::kFloat, DataType::kDouble, DataType::kInt64,
                                   DataType::kInt32}),
             BinarizerFactory);
  r.Register(KernelDef("ArrayFeatureExtractor", kMlDomain)
                 .Opsets(1)
                 .Types("T", {0},
                        {DataType::kFloat, DataType::kDouble, DataType::kInt64, DataType::kInt32,
                         DataType::kString})
                 .Types("Tind", {1}, {DataType::kInt64}),
             Stateless(ArrayFeatureExtractorRun));
  r.Register(KernelDef("TreeEnsemble", kMlDomain).Opsets(5).Types("T", {0}, kFloatTypes),
             TreeEnsembleKernel::Create);

  // Default domain.
  r.Register(KernelDef("TfIdfVectorizer")
                 .Opsets(9)
                 .Types("T", {0}, {DataType::kString, DataType::kInt32, DataType::kInt64}),
             TfIdfKernel::Create);
  std::vector<DataType> scatter_types = kNumericTypes;
  scatter_types.push_back(DataType::kBool);
  scatter_types.push_back(DataType::kString);
  r.Register(KernelDef("TensorScatter")
                 .Opsets(24)
                 .Types("T", {0, 1}, scatter_types)
                 .Types("T_INT", {2}, {DataType::kInt64}),
             TensorScatterFactory);
}

}  // namespace kiln::cpu
