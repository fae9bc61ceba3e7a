// gelu-fusion: the GELU that exporters spell out becomes one Gelu (opset 20):
//   exact:  e = Erf(Div(x, √2) or Mul(x, 1/√2))
//   tanh:   e = Tanh(Mul(Add(x, Mul(Pow(x, 3), 0.044715)), √(2/π)))   (approximate = "tanh")
//   then a = Add(e, 1) and either Mul(Mul(x, a), 0.5) or Mul(Mul(x, 0.5), a)
//   (operands of Add and Mul in either order)
// Fires when: every intermediate is read only inside the pattern and is not pinned, the
// constants match to 1e-4 relative, x is float, and either the model imports opset 20 or passes
// may emit kiln-only ops (a Gelu node at opset 20 in an older model), with a Gelu kernel.
#include <cmath>

#include "passes/pass_util.h"
#include "passes/passes.h"

namespace kiln {
namespace {

bool Near(std::optional<double> v, double want) {
  return v && std::fabs(*v - want) <= 1e-4 * std::fabs(want);
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
      const Node& node = g.node(static_cast<int>(i));
      if (node.removed || !IsStd(node) || node.inputs.size() != 1) continue;
      std::vector<int> dead;
      int x = kNoValue;
      bool tanh = false;
      if (node.op_type == "Erf") {
        x = ErfPrefix(g, ctx, node, &dead);
      } else if (node.op_type == "Tanh") {
        x = TanhPrefix(g, ctx, node, &dead);
        tanh = true;
      }
      if (x == kNoValue || ElemType(g, x) != DataType::kFloat) continue;
      int out = Tail(g, ctx, x, node.outputs[0], &dead);
      if (out == kNoValue) continue;
      const std::string name = node.name.empty() ? "gelu" : node.name + "_gelu";
      for (int id : dead) g.RemoveNode(id);
      std::vector<Attribute> attrs;
      if (tanh) attrs.push_back(StringAttr("approximate", "tanh"));
      AddNodeTo(g, name, "Gelu", "", 20, {x}, {out}, attrs);
      ++rewrites;
    }
    return rewrites;
  }

 private:
  // Erf(Div(x, sqrt 2)) or Erf(Mul(x, 1/sqrt 2)): returns x.
  static int ErfPrefix(const Graph& g, const PassContext& ctx, const Node& erf,
                       std::vector<int>* dead) {
    const int d = erf.inputs[0];
    const int div_id = g.value(d).producer;
    if (div_id < 0 || SoleConsumer(g, ctx, d) != erf.id) return kNoValue;
    const Node& div = g.node(div_id);
    if (!IsStd(div) || div.inputs.size() != 2) return kNoValue;
    int x = kNoValue;
    if (div.op_type == "Div" && Near(ConstantScalar(g, div.inputs[1]), std::sqrt(2.0))) {
      x = div.inputs[0];
    } else if (div.op_type == "Mul") {
      for (int k = 0; k < 2; ++k) {
        if (Near(ConstantScalar(g, div.inputs[k]), std::sqrt(0.5))) x = div.inputs[1 - k];
      }
    }
    if (x != kNoValue) *dead = {div_id, erf.id};
    return x;
  }

  // Tanh(Mul(Add(x, Mul(Pow(x, 3), 0.044715)), sqrt(2/pi))): returns x.
  static int TanhPrefix(const Graph& g, const PassContext& ctx, const Node& tanh,
                        std::vector<int>* dead) {
    const double kSqrt2OverPi = std::sqrt(2.0 / M_PI);
    auto producer_op = [&](int v, const char* op, int reader) {
      const int p = g.value(v).producer;
      if (p < 0 || g.node(p).op_type != op || !IsStd(g.node(p)) || g.node(p).inputs.size() != 2 ||
          SoleConsumer(g, ctx, v) != reader) {
        return -1;
      }
      return p;
    };
    // Mul(a, c) with c = sqrt(2/pi), either operand order.
    const int m2 = producer_op(tanh.inputs[0], "Mul", tanh.id);
    if (m2 < 0) return kNoValue;
    int a = kNoValue;
    for (int k = 0; k < 2; ++k) {
      if (Near(ConstantScalar(g, g.node(m2).inputs[k]), kSqrt2OverPi)) a = g.node(m2).inputs[1 - k];
    }
    if (a == kNoValue) return kNoValue;
    const int add = producer_op(a, "Add", m2);
    if (add < 0) return kNoValue;
    // One side is x, the other Mul(Pow(x, 3), 0.044715).
    for (int k = 0; k < 2; ++k) {
      const int x = g.node(add).inputs[k];
      const int m1 = producer_op(g.node(add).inputs[1 - k], "Mul", add);
      if (m1 < 0) continue;
      int p = kNoValue;
      for (int j = 0; j < 2; ++j) {
        if (Near(ConstantScalar(g, g.node(m1).inputs[j]), 0.044715)) p = g.node(m1).inputs[1 - j];
      }
      if (p == kNoValue) continue;
      const int pow = producer_op(p, "Pow", m1);
      if (pow < 0 || g.node(pow).inputs[0] != x) continue;
      auto three = ConstantScalar(g, g.node(pow).inputs[1]);
      if (!three || *three != 3.0) continue;
      *dead = {pow, m1, add, m2, tanh.id};
      return x;
    }
    return kNoValue;
  }

  // Add(e, 1) then Mul(Mul(x, .), 0.5) or Mul(Mul(x, 0.5), .): returns the output, or kNoValue.
  static int Tail(const Graph& g, const PassContext& ctx, int x, int e, std::vector<int>* dead) {
    const int add_id = SoleOp(g, ctx, e, "Add");
    if (add_id < 0 || !Near(ConstantScalar(g, Other(g.node(add_id), e)), 1.0)) return kNoValue;
    const int a = g.node(add_id).outputs[0];
    const int m_id = SoleOp(g, ctx, a, "Mul");
    if (m_id < 0) return kNoValue;
    const Node& m = g.node(m_id);
    const int m_other = Other(m, a);
    if (m_other == x) {  // Mul(Mul(x, a), 0.5)
      const int m2_id = SoleOp(g, ctx, m.outputs[0], "Mul");
      if (m2_id < 0 || !Near(ConstantScalar(g, Other(g.node(m2_id), m.outputs[0])), 0.5)) {
        return kNoValue;
      }
      dead->insert(dead->end(), {add_id, m_id, m2_id});
      return g.node(m2_id).outputs[0];
    }
    // Mul(Mul(x, 0.5), a)
    const int h_id = m_other == kNoValue ? -1 : g.value(m_other).producer;
    if (h_id < 0 || SoleConsumer(g, ctx, m_other) != m_id) return kNoValue;
    const Node& h = g.node(h_id);
    if (h.op_type != "Mul" || !IsStd(h) || h.inputs.size() != 2 ||
        (h.inputs[0] != x && h.inputs[1] != x) || !Near(ConstantScalar(g, Other(h, x)), 0.5)) {
      return kNoValue;
    }
    dead->insert(dead->end(), {add_id, m_id, h_id});
    return m.outputs[0];
  }
};

}  // namespace

std::unique_ptr<Pass> MakeGeluFusion() { return std::make_unique<GeluFusion>(); }

}  // namespace kiln
