// activation-fusion (level 3, kiln-only ops; see docs/kiln_ops.md):
//   MatMul(A, B) -> Add(., bias[N])            ->  kiln.FusedMatMul(A, B, bias)
//   Conv(X, W, B) -> Add(., Z) (Z of Y's shape) ->  kiln.FusedConv(X, W, B, Z)
//   Conv | Gemm | MatMul | kiln.Fused* -> act    ->  kiln.Fused*(..., activation=act)
// with act one of Relu, LeakyRelu, Clip (constant bounds), Sigmoid, Tanh, HardSigmoid,
// HardSwish, Gelu (none or tanh).
// Fires when: passes may emit kiln ops and the session has the kiln kernel; the element type is
// float; the producer's output is read only by the Add or activation and is not pinned; the
// producer has no activation yet (a FusedConv's Z must come before its activation); MatMul's B
// is 2-D and bias a constant of N floats.
#include <cmath>
#include <limits>

#include "passes/pass_util.h"
#include "passes/passes.h"

namespace kiln {
namespace {

// The kiln activation a node computes, or false.
bool AsActivation(const Graph& g, const Node& n, std::string* act, std::vector<float>* params) {
  if (!IsStd(n) || n.inputs.empty() || n.outputs.size() != 1) return false;
  const std::string& op = n.op_type;
  params->clear();
  if (op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "HardSwish") {
    if (op == "Relu" && n.opset < 6) return false;  // consumed_inputs era
    *act = op;
    return true;
  }
  if (op == "LeakyRelu") {
    *act = op;
    params->push_back(AttrFloat(n, "alpha", 0.01f));
    return true;
  }
  if (op == "HardSigmoid") {
    *act = op;
    params->push_back(AttrFloat(n, "alpha", 0.2f));
    params->push_back(AttrFloat(n, "beta", 0.5f));
    return true;
  }
  if (op == "Gelu") {
    std::string approx = AttrString(n, "approximate", "none");
    if (approx != "none" && approx != "tanh") return false;
    *act = approx == "tanh" ? "GeluTanh" : "Gelu";
    return true;
  }
  if (op == "Clip") {
    float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
    if (n.opset < 11) {
      lo = AttrFloat(n, "min", lo);
      hi = AttrFloat(n, "max", hi);
    } else {
      for (size_t k = 1; k < n.inputs.size() && k < 3; ++k) {
        if (n.inputs[k] == kNoValue) continue;
        const Tensor* t = ConstantOf(g, n.inputs[k]);
        if (t == nullptr || t->dtype() != DataType::kFloat || t->numel() != 1) return false;
        (k == 1 ? lo : hi) = t->data<float>()[0];
      }
    }
    *act = op;
    *params = {lo, hi};
    return true;
  }
  return false;
}

class ActivationFusion : public Pass {
 public:
  std::string name() const override { return "activation-fusion"; }
  int level() const override { return 3; }

  StatusOr<int> Run(Graph& g, PassContext& ctx) override {
    if (!ctx.allow_kiln_ops) return 0;
    int rewrites = 0;
    const size_t n = g.nodes().size();
    for (size_t i = 0; i < n; ++i) {
      const int nid = static_cast<int>(i);
      if (g.node(nid).removed) continue;
      if (FuseBias(g, ctx, nid)) ++rewrites;
      if (!g.node(nid).removed && FuseActivation(g, ctx, nid)) ++rewrites;
    }
    return rewrites;
  }

 private:
  static bool HasActivation(const Node& p) { return !AttrString(p, "activation", "").empty(); }

  // Turns `p` (Conv, Gemm or MatMul) into its kiln.Fused* form in place.
  static bool MakeFused(Graph& g, const PassContext& ctx, int pid) {
    Node& p = g.mutable_node(pid);
    if (p.domain == "kiln") return true;
    std::string fused = p.op_type == "Conv"     ? "FusedConv"
                        : p.op_type == "Gemm"   ? "FusedGemm"
                        : p.op_type == "MatMul" ? "FusedMatMul"
                                                : "";
    if (fused.empty() || !ctx.HasKernel("kiln", fused, 1)) return false;
    if (p.op_type == "Gemm" && p.opset < 7) return false;  // C did not broadcast before 7
    p.op_type = fused;
    p.domain = "kiln";
    p.opset = 1;
    return true;
  }

  static bool Eligible(const Graph& g, const Node& p) {
    if (p.removed || p.outputs.size() != 1) return false;
    if (ElemType(g, p.outputs[0]) != DataType::kFloat) return false;
    if (p.domain == "kiln") {
      return p.op_type == "FusedConv" || p.op_type == "FusedGemm" || p.op_type == "FusedMatMul";
    }
    return IsStd(p) && (p.op_type == "Conv" || p.op_type == "Gemm" || p.op_type == "MatMul");
  }

  // MatMul + Add(bias) and Conv + Add(Z).
  static bool FuseBias(Graph& g, const PassContext& ctx, int pid) {
    const Node& p = g.node(pid);
    if (!Eligible(g, p) || HasActivation(p)) return false;
    const bool is_mm = p.op_type == "MatMul" || p.op_type == "FusedMatMul";
    const bool is_conv = p.op_type == "Conv" || p.op_type == "FusedConv";
    if (!is_mm && !is_conv) return false;
    const int y = p.outputs[0];
    const int add_id = SoleConsumer(g, ctx, y);
    if (add_id < 0) return false;
    const Node& add = g.node(add_id);
    if (add.op_type != "Add" || !IsStd(add) || add.opset < 7 || add.inputs.size() != 2)
      return false;
    const int other = add.inputs[0] == y ? add.inputs[1] : add.inputs[0];
    if (other == y || ElemType(g, other) != DataType::kFloat) return false;
    size_t slot;
    if (is_mm) {
      if (p.inputs.size() > 2 && p.inputs[2] != kNoValue) return false;
      const Tensor* bias = ConstantOf(g, other);
      auto bshape = StaticShape(g, p.inputs[1]);
      if (bias == nullptr || bias->dims().size() != 1 || !bshape || bshape->size() != 2 ||
          bias->dims()[0] != (*bshape)[1] || Rank(g, p.inputs[0]) < 2) {
        return false;
      }
      slot = 2;
    } else {
      if (p.inputs.size() > 3 && p.inputs[3] != kNoValue) return false;
      if (!SameShape(g, other, y)) return false;
      slot = 3;
    }
    const int z = add.outputs[0];
    if (!CanForward(g, ctx, z, y)) return false;
    if (!MakeFused(g, ctx, pid)) return false;
    g.RemoveNode(add_id);
    g.SetNodeInput(pid, slot, other);
    ForwardValue(g, ctx, z, y);
    return true;
  }

  static bool FuseActivation(Graph& g, const PassContext& ctx, int pid) {
    const Node& p = g.node(pid);
    if (!Eligible(g, p) || HasActivation(p)) return false;
    const int y = p.outputs[0];
    const int act_id = SoleConsumer(g, ctx, y);
    if (act_id < 0) return false;
    std::string act;
    std::vector<float> params;
    if (!AsActivation(g, g.node(act_id), &act, &params) || g.node(act_id).inputs[0] != y) {
      return false;
    }
    const int z = g.node(act_id).outputs[0];
    if (!CanForward(g, ctx, z, y)) return false;
    if (!MakeFused(g, ctx, pid)) return false;
    g.RemoveNode(act_id);
    Node& fused = g.mutable_node(pid);
    fused.attributes.push_back(StringAttr("activation", act));
    if (!params.empty()) fused.attributes.push_back(FloatsAttr("activation_params", params));
    ForwardValue(g, ctx, z, y);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeActivationFusion() { return std::make_unique<ActivationFusion>(); }

}  // namespace kiln
