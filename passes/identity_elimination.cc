// identity-elimination: nodes that return their input unchanged are removed and their readers
// read the input: Identity; Dropout in inference mode (opset < 7 with is_test=1, opsets 7-11, or
// 12+ without training_mode or with a constant false one) whose mask output nobody reads; Cast
// and CastLike to the input's own type; Transpose with the identity permutation; Reshape,
// Squeeze, Unsqueeze, Flatten, Expand and Tile whose output shape equals the input's; Slice with
// unit steps and equal shapes; Pad with all-zero constant pads; Concat, Sum, Max, Min and Mean of
// a single input.
// Does not fire when shapes are not known to be equal. When the output is pinned (a graph output
// or a name a subgraph reads) and the input cannot take its name (a graph input, an initializer,
// or itself pinned), the node becomes an Identity instead.
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace kiln {
namespace {

bool DropoutIsIdentity(const Graph& g, const Node& n) {
  if (n.outputs.size() > 1 && n.outputs[1] != kNoValue &&
      (!g.value(n.outputs[1]).uses.empty() || g.IsOutput(n.outputs[1]))) {
    return false;
  }
  if (n.opset < 7) return AttrInt(n, "is_test", 0) != 0;
  if (n.opset < 12) return true;
  if (n.inputs.size() < 3 || n.inputs[2] == kNoValue) return true;
  const Tensor* t = ConstantOf(g, n.inputs[2]);
  return t != nullptr && t->dtype() == DataType::kBool && t->numel() == 1 &&
         t->data<bool>()[0] == false;
}

// Whether `n` returns input 0 unchanged as output 0.
bool IsNoOp(const Graph& g, const Node& n) {
  if (!IsStd(n) || n.inputs.empty() || n.inputs[0] == kNoValue || n.outputs.empty() ||
      n.outputs[0] == kNoValue) {
    return false;
  }
  const std::string& op = n.op_type;
  const int x = n.inputs[0];
  const int y = n.outputs[0];
  auto real_inputs = [&] {
    int c = 0;
    for (int in : n.inputs) c += in != kNoValue;
    return c;
  };
  if (op == "Identity") return true;
  if (op == "Dropout") return DropoutIsIdentity(g, n);
  if (op == "Cast") {
    const Attribute* to = n.FindAttribute("to");
    return to && to->type == AttrType::kInt && ElemType(g, x) != DataType::kUndefined &&
           static_cast<int64_t>(ElemType(g, x)) == to->i;
  }
  if (op == "CastLike") {
    return n.inputs.size() > 1 && n.inputs[1] != kNoValue &&
           ElemType(g, x) != DataType::kUndefined && ElemType(g, x) == ElemType(g, n.inputs[1]);
  }
  if (op == "Transpose") {
    std::vector<int64_t> perm = AttrInts(n, "perm");
    int rank = Rank(g, x);
    if (perm.empty()) return rank >= 0 && rank <= 1;
    for (size_t i = 0; i < perm.size(); ++i) {
      if (perm[i] != static_cast<int64_t>(i)) return false;
    }
    return true;
  }
  if (op == "Reshape" || op == "Squeeze" || op == "Unsqueeze" || op == "Flatten" ||
      op == "Expand" || op == "Tile") {
    return ElemType(g, x) == ElemType(g, y) && SameShape(g, x, y);
  }
  if (op == "Slice") {
    if (n.opset >= 10 && n.inputs.size() >= 5 && n.inputs[4] != kNoValue) {
      auto steps = ConstantInts(g, n.inputs[4]);
      if (!steps) return false;
      for (int64_t s : *steps) {
        if (s != 1) return false;
      }
    }
    return SameShape(g, x, y);
  }
  if (op == "Pad") {
    std::vector<int64_t> pads;
    if (n.opset < 11) {
      pads = AttrInts(n, "pads");
      if (pads.empty()) pads = AttrInts(n, "paddings");
    } else {
      if (n.inputs.size() < 2 || n.inputs[1] == kNoValue) return false;
      auto p = ConstantInts(g, n.inputs[1]);
      if (!p) return false;
      pads = *p;
    }
    if (pads.empty()) return false;
    for (int64_t p : pads) {
      if (p != 0) return false;
    }
    return true;
  }
  if (op == "Concat" || op == "Max" || op == "Min") {
    return real_inputs() == 1 && n.outputs.size() == 1;
  }
  if (op == "Sum" || op == "Mean") {  // defined for floating-point types only
    return real_inputs() == 1 && n.outputs.size() == 1 && IsFloatingPoint(ElemType(g, x));
  }
  return false;
}

void ToIdentity(Graph& g, int nid) {
  for (size_t i = 1; i < g.node(nid).inputs.size(); ++i) g.SetNodeInput(nid, i, kNoValue);
  for (size_t i = 1; i < g.node(nid).outputs.size(); ++i) g.SetNodeOutput(nid, i, kNoValue);
  Node& n = g.mutable_node(nid);
  n.inputs.resize(1);
  n.outputs.resize(1);
  n.op_type = "Identity";
  n.domain = "";
  n.attributes.clear();
}

class IdentityElimination : public Pass {
 public:
  std::string name() const override { return "identity-elimination"; }
  int level() const override { return 1; }

  StatusOr<int> Run(Graph& g, PassContext& ctx) override {
    int rewrites = 0;
    const size_t n = g.nodes().size();
    for (size_t i = 0; i < n; ++i) {
      const int nid = static_cast<int>(i);
      const Node& node = g.node(nid);
      if (node.removed || !IsNoOp(g, node)) continue;
      const int x = node.inputs[0];
      const int y = node.outputs[0];
      if (!CanForward(g, ctx, y, x)) {
        // A graph input returned as a graph output needs a node: the cheapest is Identity.
        if (node.op_type != "Identity") {
          ToIdentity(g, nid);
          ++rewrites;
        }
        continue;
      }
      g.RemoveNode(nid);
      ForwardValue(g, ctx, y, x);
      ++rewrites;
    }
    return rewrites;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeIdentityElimination() { return std::make_unique<IdentityElimination>(); }

}  // namespace kiln
