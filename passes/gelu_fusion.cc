// gelu-fusion: the exact-erf GELU that exporters spell out becomes one Gelu (opset 20):
//   d = Div(x, √2) or Mul(x, 1/√2);  e = Erf(d);  a = Add(e, 1);  then either
//   Mul(Mul(x, a), 0.5)  or  Mul(Mul(x, 0.5), a)          (operands in either order)
// Fires when: every intermediate is read only inside the pattern and is not pinned, the
// constants match to 1e-4 relative, x is float, and either the model imports opset 20 or passes
// may emit kiln-only ops (a Gelu node at opset 20 in an older model), with a Gelu kernel.
#include <cmath>

#include "passes/pass_util.h"
#include "passes/passes.h"

namespace kiln {
namespace {

bool IsStd(const Node& n) { return n.domain.empty() || n.domain == "ai.onnx"; }

bool Near(std::optional<double> v, double want) {
  return v && std::fabs(*v - want) <= 1e-4 * std::fabs(want);
}

// The node that alone reads `v` if it is `op`; -1 otherwise.
int SoleOp(const Graph& g, const PassContext& ctx, int v, const char* op) {
  int c = SoleConsumer(g, ctx, v);
  return c >= 0 && g.node(c).op_type == op && IsStd(g.node(c)) ? c : -1;
}

// For a binary node reading `v`, the other operand.
int Other(const Node& n, int v) {
  if (n.inputs.size() != 2) return kNoValue;
  return n.inputs[0] == v ? n.inputs[1] : n.inputs[0];
}

class GeluFusion : public Pass {
 public:
  std::string name() const override { return "gelu-fusion"; }
  int level() const override { return 2; }

  StatusOr<int> Run(Graph& g, PassContext& ctx) override {
    if (!(ctx.OnnxOpset() >= 20 || ctx.allow_kiln_ops) || !ctx.HasKernel("", "Gelu", 20)) return 0;
    int rewrites = 0;
    const size_t n = g.nodes().size();
    for (size_t i = 0; i < n; ++i) {
      const Node& erf = g.node(static_cast<int>(i));
      if (erf.removed || erf.op_type != "Erf" || !IsStd(erf) || erf.inputs.size() != 1) continue;
      const int d = erf.inputs[0];
      const int div_id = g.value(d).producer;
      if (div_id < 0 || SoleConsumer(g, ctx, d) != erf.id) continue;
      const Node& div = g.node(div_id);
      if (!IsStd(div) || div.inputs.size() != 2) continue;
      int x = kNoValue;
      if (div.op_type == "Div" && Near(ConstantScalar(g, div.inputs[1]), std::sqrt(2.0))) {
        x = div.inputs[0];
      } else if (div.op_type == "Mul") {
        for (int k = 0; k < 2; ++k) {
          if (Near(ConstantScalar(g, div.inputs[k]), std::sqrt(0.5))) x = div.inputs[1 - k];
        }
      }
      if (x == kNoValue || ElemType(g, x) != DataType::kFloat) continue;
      const int e = erf.outputs[0];
      const int add_id = SoleOp(g, ctx, e, "Add");
      if (add_id < 0 || !Near(ConstantScalar(g, Other(g.node(add_id), e)), 1.0)) continue;
      const int a = g.node(add_id).outputs[0];
      const int m_id = SoleOp(g, ctx, a, "Mul");
      if (m_id < 0) continue;
      const Node& m = g.node(m_id);
      const int m_other = Other(m, a);
      std::vector<int> dead = {div_id, erf.id, add_id, m_id};
      int out = kNoValue;
      if (m_other == x) {  // Mul(Mul(x, a), 0.5)
        const int m2_id = SoleOp(g, ctx, m.outputs[0], "Mul");
        if (m2_id < 0 || !Near(ConstantScalar(g, Other(g.node(m2_id), m.outputs[0])), 0.5))
          continue;
        dead.push_back(m2_id);
        out = g.node(m2_id).outputs[0];
      } else {  // Mul(Mul(x, 0.5), a)
        const int h_id = m_other == kNoValue ? -1 : g.value(m_other).producer;
        if (h_id < 0 || SoleConsumer(g, ctx, m_other) != m_id) continue;
        const Node& h = g.node(h_id);
        if (h.op_type != "Mul" || !IsStd(h) || Other(h, x) == kNoValue ||
            (h.inputs[0] != x && h.inputs[1] != x) || !Near(ConstantScalar(g, Other(h, x)), 0.5)) {
          continue;
        }
        dead.push_back(h_id);
        out = m.outputs[0];
      }
      const std::string name = div.name.empty() ? "gelu" : div.name + "_gelu";
      for (int id : dead) g.RemoveNode(id);
      AddNodeTo(g, g.UniqueName(name), "Gelu", "", 20, {x}, {out}, {});
      ++rewrites;
    }
    return rewrites;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeGeluFusion() { return std::make_unique<GeluFusion>(); }

}  // namespace kiln
