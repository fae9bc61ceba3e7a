// transpose-reshape-folding: consecutive layout ops collapse into one.
//   Transpose(Transpose(x, p1), p2)  ->  Transpose(x, p1[p2[i]])   (removed when the identity)
//   Reshape(R(x), s) with R one of Reshape, Flatten, Squeeze, Unsqueeze  ->  Reshape(x, s)
// The first node stays while other nodes read it (dead-code elimination removes it otherwise).
// Does not fire when: a permutation is absent and the rank unknown; the second Reshape's shape is
// not constant or has a 0 entry copying a dim (allowzero = 0), which would read x's dims instead.
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace kiln {
namespace {

std::vector<int64_t> PermOf(const Graph& g, const Node& t) {
  std::vector<int64_t> perm = AttrInts(t, "perm");
  if (perm.empty()) {
    int rank = Rank(g, t.inputs[0]);
    for (int i = rank - 1; i >= 0; --i) perm.push_back(i);
  }
  return perm;
}

class TransposeReshapeFolding : public Pass {
 public:
  std::string name() const override { return "transpose-reshape-folding"; }
  int level() const override { return 2; }

  StatusOr<int> Run(Graph& g, PassContext& ctx) override {
    int rewrites = 0;
    const size_t n = g.nodes().size();
    for (size_t i = 0; i < n; ++i) {
      const int nid = static_cast<int>(i);
      const Node& node = g.node(nid);
      if (node.removed || !IsStd(node) || node.inputs.empty() || node.inputs[0] == kNoValue)
        continue;
      const int pid = g.value(node.inputs[0]).producer;
      if (pid < 0) continue;
      const Node& first = g.node(pid);
      if (!IsStd(first) || first.inputs.empty() || first.inputs[0] == kNoValue) continue;
      if (node.op_type == "Transpose" && first.op_type == "Transpose") {
        std::vector<int64_t> p1 = PermOf(g, first), p2 = PermOf(g, node);
        if (p1.empty() || p1.size() != p2.size()) continue;
        std::vector<int64_t> p(p2.size());
        bool identity = true;
        for (size_t k = 0; k < p2.size(); ++k) {
          if (p2[k] < 0 || p2[k] >= static_cast<int64_t>(p1.size())) goto skip;
          p[k] = p1[p2[k]];
          identity = identity && p[k] == static_cast<int64_t>(k);
        }
        {
          const int x = first.inputs[0];
          if (identity) {
            const int y = node.outputs[0];
            if (!CanForward(g, ctx, y, x)) continue;
            g.RemoveNode(nid);
            ForwardValue(g, ctx, y, x);
          } else {
            g.SetNodeInput(nid, 0, x);
            Attribute* perm = g.mutable_node(nid).FindAttribute("perm");
            if (perm) {
              perm->ints = p;
            } else {
              g.mutable_node(nid).attributes.push_back(IntsAttr("perm", p));
            }
          }
          ++rewrites;
        }
      skip:
        continue;
      }
      if (node.op_type == "Reshape" && node.opset >= 5 && node.inputs.size() == 2 &&
          (first.op_type == "Reshape" || first.op_type == "Flatten" || first.op_type == "Squeeze" ||
           first.op_type == "Unsqueeze")) {
        auto shape = ConstantInts(g, node.inputs[1]);
        if (!shape) continue;
        bool has_zero = false;
        for (int64_t d : *shape) has_zero = has_zero || d == 0;
        if (has_zero && AttrInt(node, "allowzero", 0) == 0) continue;
        g.SetNodeInput(nid, 0, first.inputs[0]);
        ++rewrites;
      }
    }
    return rewrites;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeTransposeReshapeFolding() {
  return std::make_unique<TransposeReshapeFolding>();
}

}  // namespace kiln
