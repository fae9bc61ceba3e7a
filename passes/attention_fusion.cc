// attention-fusion: scaled dot-product attention as PyTorch's exporters spell it out becomes one
// Attention (opset 23):
//   s = MatMul(Q, KT)  [then Div(s, c) or Mul(s, c)]  [then Add(., mask)]
//   p = Softmax(., last axis);  Y = MatMul(p, V)
// with Q [B,H,S,D], KT [B,H,D,T] and V [B,H,T,Dv] of known rank 4. K is KT with its last two axes
// swapped: when KT comes from Transpose(X, P), K is Transpose(X, P with P[2] and P[3] swapped).
// The scale is 1/c, c or 1 (Attention's default 1/sqrt(D) is never assumed).
// Fires when: every intermediate is read only inside the pattern and is not pinned; the element
// type is float; the scale is a constant scalar; the mask (if any) is a float tensor of rank 1-4
// (it broadcasts over [B,H,S,T] as Attention's additive mask does); the model imports opset 23 or
// passes may emit kiln-only ops, with an Attention kernel.
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace kiln {
namespace {

class AttentionFusion : public Pass {
 public:
  std::string name() const override { return "attention-fusion"; }
  int level() const override { return 2; }

  StatusOr<int> Run(Graph& g, PassContext& ctx) override {
    if (!(ctx.OnnxOpset() >= 23 || ctx.allow_kiln_ops) || !ctx.HasKernel("", "Attention", 23)) {
      return 0;
    }
    int rewrites = 0;
    const size_t n = g.nodes().size();
    for (size_t i = 0; i < n; ++i) {
      const Node& sm = g.node(static_cast<int>(i));
      if (sm.removed || sm.op_type != "Softmax" || !IsStd(sm) || sm.inputs.size() != 1) continue;
      if (TryFuse(g, ctx, sm.id)) ++rewrites;
    }
    return rewrites;
  }

 private:
  // The producer of `v` if it is `op` and `v` is read only by `reader`; -1 otherwise.
  static int ProducerOp(const Graph& g, const PassContext& ctx, int v, const char* op, int reader) {
    const int p = g.value(v).producer;
    if (p < 0 || g.node(p).op_type != op || !IsStd(g.node(p))) return -1;
    return SoleConsumer(g, ctx, v) == reader ? p : -1;
  }

  static bool TryFuse(Graph& g, PassContext& ctx, int sm_id) {
    const Node& sm = g.node(sm_id);
    const int x = sm.inputs[0];
    if (Rank(g, x) != 4 || ElemType(g, x) != DataType::kFloat) return false;
    const int64_t axis = AttrInt(sm, "axis", sm.opset >= 13 ? -1 : 1);
    if (axis != -1 && axis != 3) return false;
    // Y = MatMul(p, V)
    const int p = sm.outputs[0];
    const int out_mm = SoleConsumer(g, ctx, p);
    if (out_mm < 0 || g.node(out_mm).op_type != "MatMul" || !IsStd(g.node(out_mm)) ||
        g.node(out_mm).inputs[0] != p) {
      return false;
    }
    const int v = g.node(out_mm).inputs[1];
    if (Rank(g, v) != 4 || ElemType(g, v) != DataType::kFloat) return false;
    std::vector<int> dead = {sm_id, out_mm};
    // [Add(., mask)]
    int cur = x;
    int mask = kNoValue;
    if (int add = ProducerOp(g, ctx, cur, "Add", sm_id); add >= 0) {
      const Node& a = g.node(add);
      if (a.inputs.size() != 2) return false;
      // The scores side is the one produced by the scale or the MatMul.
      int k = -1;
      for (int s = 0; s < 2; ++s) {
        const int prod = g.value(a.inputs[s]).producer;
        if (prod >= 0 && (g.node(prod).op_type == "Div" || g.node(prod).op_type == "Mul" ||
                          g.node(prod).op_type == "MatMul")) {
          k = s;
          break;
        }
      }
      if (k < 0) return false;
      mask = a.inputs[1 - k];
      if (ElemType(g, mask) != DataType::kFloat || Rank(g, mask) < 1 || Rank(g, mask) > 4) {
        return false;
      }
      dead.push_back(add);
      cur = a.inputs[k];
      if (SoleConsumer(g, ctx, cur) != add) return false;
    }
    const int reader = dead.back();
    // [Div(., c) or Mul(., c)]
    double scale = 1.0;
    int scale_id = ProducerOp(g, ctx, cur, "Div", reader);
    if (scale_id < 0) scale_id = ProducerOp(g, ctx, cur, "Mul", reader);
    if (scale_id >= 0) {
      const Node& s = g.node(scale_id);
      if (s.inputs.size() != 2) return false;
      const bool div = s.op_type == "Div";
      int k = div ? 1 : (ConstantScalar(g, s.inputs[1]) ? 1 : 0);
      auto c = ConstantScalar(g, s.inputs[k]);
      if (!c || *c == 0.0) return false;
      scale = div ? 1.0 / *c : *c;
      dead.push_back(scale_id);
      cur = s.inputs[1 - k];
    }
    const int mm = ProducerOp(g, ctx, cur, "MatMul", dead.back());
    if (mm < 0) return false;
    const int q = g.node(mm).inputs[0], kt = g.node(mm).inputs[1];
    if (Rank(g, q) != 4 || Rank(g, kt) != 4 || ElemType(g, q) != DataType::kFloat) return false;
    dead.push_back(mm);
    // K from KT.
    const Node& mmn = g.node(mm);
    const std::string base = mmn.name.empty() ? "attention" : mmn.name;
    const int opset = sm.opset;
    const int y = g.node(out_mm).outputs[0];
    int k_value;
    const int t_id = g.value(kt).producer;
    std::vector<int64_t> perm;
    int transpose_input = kt;
    if (t_id >= 0 && g.node(t_id).op_type == "Transpose" && IsStd(g.node(t_id)) &&
        SoleConsumer(g, ctx, kt) == mm) {
      perm = AttrInts(g.node(t_id), "perm");
      if (perm.size() != 4) return false;
      std::swap(perm[2], perm[3]);
      transpose_input = g.node(t_id).inputs[0];
      dead.push_back(t_id);
    } else {
      perm = {0, 1, 3, 2};
    }
    for (int id : dead) g.RemoveNode(id);
    const bool identity = perm == std::vector<int64_t>{0, 1, 2, 3};
    if (identity) {
      k_value = transpose_input;
    } else {
      TypeInfo kt_type = g.value(kt).type;
      std::swap(kt_type.shape->dims[2], kt_type.shape->dims[3]);
      k_value = g.AddValue(g.UniqueName(base + "_k"), kt_type).value();
      AddNodeTo(g, base + "_k", "Transpose", "", opset, {transpose_input}, {k_value},
                {IntsAttr("perm", perm)});
    }
    std::vector<int> inputs = {q, k_value, v};
    if (mask != kNoValue) inputs.push_back(mask);
    AddNodeTo(g, base + "_attention", "Attention", "", 23, inputs, {y},
              {FloatAttr("scale", static_cast<float>(scale))});
    (void)ctx;
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeAttentionFusion() { return std::make_unique<AttentionFusion>(); }

}  // namespace kiln
