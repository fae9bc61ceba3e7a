// layer-norm-fusion: the LayerNormalization that exporters spell out over the last axis becomes
// one LayerNormalization (opset 17):
//   m = ReduceMean(x, [-1]);  d = Sub(x, m);  v = ReduceMean(Pow(d, 2), [-1]);
//   n = Div(d, Sqrt(Add(v, eps)));  y = Add(Mul(n, gamma), beta)      (Mul and Add optional)
// Fires when: both ReduceMeans reduce exactly the last axis with keepdims, every intermediate is
// read only inside the pattern and is not pinned, x is float with a known static last dim D,
// gamma and beta (when present) are constants of D elements, and the model imports opset 17 or
// passes may emit kiln-only ops; a missing gamma or beta becomes ones or zeros.
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace kiln {
namespace {

// Whether a ReduceMean reduces only the last axis of a rank-`rank` input, keeping dims.
bool ReducesLastAxis(const Graph& g, const Node& r, int rank) {
  if (r.op_type != "ReduceMean" || !IsStd(r) || AttrInt(r, "keepdims", 1) != 1) return false;
  std::vector<int64_t> axes;
  if (r.opset >= 18) {
    if (r.inputs.size() < 2 || r.inputs[1] == kNoValue) return false;
    auto c = ConstantInts(g, r.inputs[1]);
    if (!c) return false;
    axes = *c;
  } else {
    axes = AttrInts(r, "axes");
  }
  return axes.size() == 1 && (axes[0] == -1 || axes[0] == rank - 1);
}

class LayerNormFusion : public Pass {
 public:
  std::string name() const override { return "layer-norm-fusion"; }
  int level() const override { return 2; }

  StatusOr<int> Run(Graph& g, PassContext& ctx) override {
    if (!(ctx.OnnxOpset() >= 17 || ctx.allow_kiln_ops) ||
        !ctx.HasKernel("", "LayerNormalization", 17)) {
      return 0;
    }
    int rewrites = 0;
    const size_t n = g.nodes().size();
    for (size_t i = 0; i < n; ++i) {
      const Node& sub = g.node(static_cast<int>(i));
      if (sub.removed || sub.op_type != "Sub" || !IsStd(sub) || sub.inputs.size() != 2) continue;
      const int x = sub.inputs[0], m = sub.inputs[1];
      const int rank = Rank(g, x);
      auto xshape = StaticShape(g, x);
      if (rank < 1 || ElemType(g, x) != DataType::kFloat) continue;
      const Dim& last = g.value(x).type.shape->dims.back();
      if (!last.known()) continue;
      const int64_t D = last.value;
      const int m_id = g.value(m).producer;
      if (m_id < 0 || g.node(m_id).inputs.empty() || g.node(m_id).inputs[0] != x ||
          !ReducesLastAxis(g, g.node(m_id), rank) || SoleConsumer(g, ctx, m) != sub.id) {
        continue;
      }
      // d feeds exactly a Pow and a Div.
      const int d = sub.outputs[0];
      const Value& dv = g.value(d);
      if (dv.uses.size() != 2 || IsPinned(g, ctx, d)) continue;
      int pow_id = -1, div_id = -1;
      for (int u : dv.uses) {
        const Node& un = g.node(u);
        if (un.op_type == "Pow" && IsStd(un) && un.inputs[0] == d) pow_id = u;
        if (un.op_type == "Div" && IsStd(un) && un.inputs.size() == 2 && un.inputs[0] == d)
          div_id = u;
      }
      if (pow_id < 0 || div_id < 0) continue;
      auto two = ConstantScalar(g, g.node(pow_id).inputs[1]);
      if (!two || *two != 2.0) continue;
      const int v_id = SoleConsumer(g, ctx, g.node(pow_id).outputs[0]);
      if (v_id < 0 || !ReducesLastAxis(g, g.node(v_id), rank)) continue;
      const int add_id = SoleOp(g, ctx, g.node(v_id).outputs[0], "Add");
      if (add_id < 0) continue;
      auto eps = ConstantScalar(g, Other(g.node(add_id), g.node(v_id).outputs[0]));
      if (!eps) continue;
      const int sqrt_id = SoleOp(g, ctx, g.node(add_id).outputs[0], "Sqrt");
      if (sqrt_id < 0 || g.node(div_id).inputs[1] != g.node(sqrt_id).outputs[0] ||
          SoleConsumer(g, ctx, g.node(sqrt_id).outputs[0]) != div_id) {
        continue;
      }
      std::vector<int> dead = {m_id, sub.id, pow_id, v_id, add_id, sqrt_id, div_id};
      int out = g.node(div_id).outputs[0];
      auto vector_const = [&](int v) {
        const Tensor* t = ConstantOf(g, v);
        return t != nullptr && t->dtype() == DataType::kFloat && t->numel() == D &&
               t->dims().size() >= 1 && t->dims().back() == D;
      };
      int gamma = kNoValue, beta = kNoValue;
      int mul_id = SoleOp(g, ctx, out, "Mul");
      if (mul_id >= 0 && vector_const(Other(g.node(mul_id), out))) {
        gamma = Other(g.node(mul_id), out);
        dead.push_back(mul_id);
        out = g.node(mul_id).outputs[0];
        int badd = SoleOp(g, ctx, out, "Add");
        if (badd >= 0 && vector_const(Other(g.node(badd), out))) {
          beta = Other(g.node(badd), out);
          dead.push_back(badd);
          out = g.node(badd).outputs[0];
        }
      }
      auto filled = [&](float value) {
        Tensor t = Tensor::Create(DataType::kFloat, {D}).value();
        for (int64_t k = 0; k < D; ++k) t.data<float>()[k] = value;
        return t;
      };
      auto flat = [&](int v) {  // gamma/beta as 1-D [D]
        if (Rank(g, v) == 1) return v;
        return g.AddInitializer(g.value(v).name + "_1d", ConstantOf(g, v)->Reshaped({D}).value());
      };
      gamma = gamma == kNoValue ? g.AddInitializer("ln_gamma", filled(1.0f)) : flat(gamma);
      beta = beta == kNoValue ? g.AddInitializer("ln_beta", filled(0.0f)) : flat(beta);
      const std::string name = sub.name;
      for (int id : dead) g.RemoveNode(id);
      AddNodeTo(g, name, "LayerNormalization", "", 17, {x, gamma, beta}, {out},
                {IntAttr("axis", -1), FloatAttr("epsilon", static_cast<float>(*eps))});
      ++rewrites;
      (void)xshape;
    }
    return rewrites;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeLayerNormFusion() { return std::make_unique<LayerNormFusion>(); }

}  // namespace kiln
