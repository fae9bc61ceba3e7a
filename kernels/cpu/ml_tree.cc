// TreeEnsembleRegressor 1 and 3 and TreeEnsembleClassifier 1 and 3 (domain ai.onnx.ml; opset 3
// adds the *_as_tensor attributes; version 5 of both is deprecated in favour of TreeEnsemble, in
// ml.cc), computed as ONNX Runtime 1.30 does; see ml_linear.cc's opening comment for where that
// differs from onnx's reference. Trees are flattened into arrays at kernel creation.
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

}  // namespace

void RegisterMlTreeKernels(KernelRegistry& r) {
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
}

}  // namespace kiln::cpu
