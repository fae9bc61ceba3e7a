// common-subexpression-elimination: two nodes with the same op, domain, opset, inputs and
// attributes compute the same outputs; the later one is removed and its readers read the first
// one's outputs. Constant nodes with equal tensors merge the same way, and so do equal small
// constant initializers (up to 4 KiB), so that nodes reading equal constants compare equal. Shape
// nodes compare by their input's inferred shape when every dim is known or a named symbol.
// Does not fire for: non-deterministic ops (Random*, Multinomial, Bernoulli, Dropout), nodes with
// subgraphs, nodes whose outputs are pinned and cannot be forwarded.
#include <map>

#include "ir/op_facts.h"
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace kiln {
namespace {

void AppendTensorKey(const Tensor& t, std::string& key) {
  key += std::to_string(static_cast<int>(t.dtype())) + "[";
  for (int64_t d : t.dims()) key += std::to_string(d) + ",";
  key += "]";
  if (t.dtype() == DataType::kString) {
    for (int64_t i = 0; i < t.numel(); ++i) {
      const std::string& s = t.data<std::string>()[i];
      key += std::to_string(s.size()) + ":" + s;
    }
  } else {
    key.append(static_cast<const char*>(t.raw_data()), t.nbytes());
  }
}

// A byte string equal for two nodes exactly when they compute the same thing; empty if the node
// must not be merged.
std::string NodeKey(const Graph& g, const Node& n) {
  if (IsNondeterministic(n) || !n.Subgraphs().empty()) return {};
  std::string key = n.domain + "|" + n.op_type + "|" + std::to_string(n.opset) + "|";
  // Shape reads only its input's shape: inputs whose shapes are equal dim by dim (known, or the
  // same named symbol) give equal results.
  std::string shape_key;
  if (n.op_type == "Shape" && n.domain.empty() && n.inputs.size() == 1) {
    const TypeInfo& t = g.value(n.inputs[0]).type;
    if (t.is_tensor() && t.shape) {
      shape_key = "shape" + t.shape->ToString();
      for (const Dim& d : t.shape->dims) {
        if (!d.known() && d.symbol.empty()) shape_key.clear();
      }
    }
  }
  if (!shape_key.empty()) {
    key += shape_key;
  } else {
    for (int in : n.inputs) key += std::to_string(in) + ",";
  }
  key += "|" + std::to_string(n.outputs.size()) + "|";
  std::vector<const Attribute*> attrs;
  for (const Attribute& a : n.attributes) attrs.push_back(&a);
  std::sort(attrs.begin(), attrs.end(),
            [](const Attribute* a, const Attribute* b) { return a->name < b->name; });
  for (const Attribute* a : attrs) {
    if (!a->ref_attr_name.empty()) return {};
    key += a->name + "=" + std::to_string(static_cast<int>(a->type)) + ":";
    switch (a->type) {
      case AttrType::kFloat:
        key.append(reinterpret_cast<const char*>(&a->f), sizeof(float));
        break;
      case AttrType::kInt:
        key += std::to_string(a->i);
        break;
      case AttrType::kString:
        key += std::to_string(a->s.size()) + ":" + a->s;
        break;
      case AttrType::kFloats:
        for (float f : a->floats) key.append(reinterpret_cast<const char*>(&f), sizeof(float));
        break;
      case AttrType::kInts:
        for (int64_t i : a->ints) key += std::to_string(i) + ",";
        break;
      case AttrType::kStrings:
        for (const auto& s : a->strings) key += std::to_string(s.size()) + ":" + s;
        break;
      case AttrType::kTensor:
        AppendTensorKey(a->t, key);
        break;
      case AttrType::kTensors:
        for (const auto& t : a->tensors) AppendTensorKey(t, key);
        break;
      default:
        return {};  // graphs, sparse tensors, type protos: never merged
    }
    key += ";";
  }
  return key;
}

class CommonSubexpressionElimination : public Pass {
 public:
  static constexpr size_t kMaxMergedConstantBytes = 4096;

  static int MergeConstants(Graph& g, const PassContext& ctx) {
    int merged = 0;
    std::map<std::string, int> first;
    std::vector<std::pair<int, int>> dups;
    for (const auto& [id, t] : g.initializers()) {
      const Value& v = g.value(id);
      if (v.is_graph_input || v.uses.empty() || IsPinned(g, ctx, id) ||
          t.nbytes() > kMaxMergedConstantBytes) {
        continue;
      }
      std::string key;
      AppendTensorKey(t, key);
      auto [it, inserted] = first.emplace(key, id);
      if (!inserted) dups.push_back({id, it->second});
    }
    for (const auto& [dup, keep] : dups) {
      g.ReplaceUses(dup, keep);
      ++merged;
    }
    return merged;
  }

  std::string name() const override { return "common-subexpression-elimination"; }
  int level() const override { return 1; }

  StatusOr<int> Run(Graph& g, PassContext& ctx) override {
    int rewrites = MergeConstants(g, ctx);
    std::map<std::string, int> seen;
    KILN_ASSIGN_OR_RETURN(std::vector<int> order, g.TopologicalOrder());
    for (int nid : order) {
      const Node& node = g.node(nid);
      std::string key = NodeKey(g, node);
      if (key.empty()) continue;
      auto [it, inserted] = seen.emplace(key, nid);
      if (inserted) continue;
      const Node& first = g.node(it->second);
      bool ok = true;
      for (size_t i = 0; i < node.outputs.size(); ++i) {
        int dup = node.outputs[i];
        int keep = first.outputs[i];
        if (dup == kNoValue) continue;
        if (keep == kNoValue || !CanForward(g, ctx, dup, keep)) ok = false;
      }
      if (!ok) continue;
      std::vector<int> dups = node.outputs;
      std::vector<int> keeps = first.outputs;
      g.RemoveNode(nid);
      for (size_t i = 0; i < dups.size(); ++i) {
        if (dups[i] != kNoValue) ForwardValue(g, ctx, dups[i], keeps[i]);
      }
      ++rewrites;
    }
    return rewrites;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeCommonSubexpressionElimination() {
  return std::make_unique<CommonSubexpressionElimination>();
}

}  // namespace kiln
