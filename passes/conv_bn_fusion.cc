// conv-bn-fusion: Conv -> BatchNormalization becomes one Conv with scaled weights and a new bias:
//   s = scale / sqrt(var + epsilon);  W'[c,...] = W[c,...] * s[c];  B'[c] = (B[c] - mean[c]) * s[c]
//   + bias[c]
// The same for ConvTranspose (output channel c = group index * C_out/group + j, weights
// [C_in, C_out/group, ...]) and for Gemm (output column n; B is [K,N], or [N,K] with transB; C must
// broadcast along n; the fused Gemm has beta = 1).
// Also Gemm or MatMul (constant 2-D B) -> Mul by a constant that scales each output column
// ([N], [1, N] or a scalar): B's columns and a constant Gemm C take the scale.
// Fires when: the producer's output is read only by the BatchNormalization (as X) and is not
// pinned; the weights, bias and all four BN parameters are constant float or double tensors of
// the expected lengths; BN is in inference mode (training_mode 0, is_test 1 before opset 6 too,
// spatial 1) and its optional outputs are unused.
#include <cmath>

#include "passes/pass_util.h"
#include "passes/passes.h"

namespace kiln {
namespace {

std::vector<double> ToDoubles(const Tensor& t) {
  std::vector<double> out(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) {
    out[i] = t.dtype() == DataType::kFloat ? t.data<float>()[i] : t.data<double>()[i];
  }
  return out;
}

Tensor FromDoubles(DataType dt, const std::vector<int64_t>& dims, const std::vector<double>& v) {
  Tensor t = Tensor::Create(dt, dims).value();
  for (size_t i = 0; i < v.size(); ++i) {
    if (dt == DataType::kFloat) {
      t.data<float>()[i] = static_cast<float>(v[i]);
    } else {
      t.data<double>()[i] = v[i];
    }
  }
  return t;
}

bool IsFloatConst(const Tensor* t, DataType dt) { return t != nullptr && t->dtype() == dt; }

// The per-output-column scale of Mul(y, c) when c is a constant of y's type that broadcasts
// along y's last dim only ([N], [1..1, N] or a scalar), expanded to N values; empty otherwise.
std::vector<double> ColumnScale(const Graph& g, const Tensor* c, DataType dt, int64_t n) {
  if (c == nullptr || c->dtype() != dt) return {};
  for (size_t i = 0; i + 1 < c->dims().size(); ++i) {
    if (c->dims()[i] != 1) return {};
  }
  if (c->numel() != 1 && (c->dims().empty() || c->dims().back() != n)) return {};
  std::vector<double> v = ToDoubles(*c);
  if (v.size() == 1) v.assign(n, v[0]);
  (void)g;
  return v;
}

class ConvBnFusion : public Pass {
 public:
  std::string name() const override { return "conv-bn-fusion"; }
  int level() const override { return 2; }

  StatusOr<int> Run(Graph& g, PassContext& ctx) override {
    int rewrites = 0;
    const size_t n = g.nodes().size();
    for (size_t i = 0; i < n; ++i) {
      const Node& node = g.node(static_cast<int>(i));
      if (node.removed || !IsStd(node)) continue;
      if (node.op_type == "BatchNormalization" && TryFuse(g, ctx, node.id)) ++rewrites;
      if (node.op_type == "Mul" && TryFuseScale(g, ctx, node.id)) ++rewrites;
    }
    return rewrites;
  }

 private:
  // Gemm or MatMul (constant 2-D B) followed by Mul by a per-column constant: B's columns (and
  // Gemm's C, when constant) take the scale.
  static bool TryFuseScale(Graph& g, PassContext& ctx, int mul_id) {
    const Node& mul = g.node(mul_id);
    if (mul.inputs.size() != 2 || mul.opset < 7) return false;
    for (int k = 0; k < 2; ++k) {
      const int y = mul.inputs[k];
      const int pid = g.value(y).producer;
      if (pid < 0 || SoleConsumer(g, ctx, y) != mul_id) continue;
      const Node& p = g.node(pid);
      if (!IsStd(p) || (p.op_type != "Gemm" && p.op_type != "MatMul") || p.outputs.size() != 1) {
        continue;
      }
      if (p.op_type == "Gemm" && p.opset < 7) continue;
      const Tensor* w = ConstantOf(g, p.inputs[1]);
      if (w == nullptr || w->dims().size() != 2 ||
          (w->dtype() != DataType::kFloat && w->dtype() != DataType::kDouble)) {
        continue;
      }
      const DataType dt = w->dtype();
      const bool trans_b = p.op_type == "Gemm" && AttrInt(p, "transB", 0) != 0;
      const int64_t nn = trans_b ? w->dims()[0] : w->dims()[1];
      const int64_t kk = trans_b ? w->dims()[1] : w->dims()[0];
      std::vector<double> s = ColumnScale(g, ConstantOf(g, mul.inputs[1 - k]), dt, nn);
      if (s.empty() || Rank(g, mul.outputs[0]) != Rank(g, y)) continue;
      const Tensor* c = nullptr;
      if (p.op_type == "Gemm" && p.inputs.size() > 2 && p.inputs[2] != kNoValue) {
        c = ConstantOf(g, p.inputs[2]);
        if (c == nullptr || c->dtype() != dt || c->dims().size() > 2 ||
            (!c->dims().empty() && c->dims().back() != nn && c->dims().back() != 1)) {
          continue;
        }
      }
      std::vector<double> wv = ToDoubles(*w);
      for (int64_t a = 0; a < kk; ++a) {
        for (int64_t col = 0; col < nn; ++col) wv[trans_b ? col * kk + a : a * nn + col] *= s[col];
      }
      const int out = mul.outputs[0];
      const std::string base = g.value(p.inputs[1]).name;
      int new_w = g.AddInitializer(base + "_scaled", FromDoubles(dt, w->dims(), wv));
      int new_c = kNoValue;
      if (c != nullptr) {
        // C broadcasts to [M, N]: expand its last dim to N so each column takes its scale.
        std::vector<int64_t> dims = c->dims();
        const int64_t rows = dims.size() == 2 ? dims[0] : 1;
        std::vector<double> cv = ToDoubles(*c), scaled(rows * nn);
        const int64_t ccols = dims.empty() ? 1 : dims.back();
        for (int64_t r = 0; r < rows; ++r) {
          for (int64_t col = 0; col < nn; ++col) {
            scaled[r * nn + col] = cv[r * ccols + (ccols == 1 ? 0 : col)] * s[col];
          }
        }
        std::vector<int64_t> new_dims =
            dims.size() == 2 ? std::vector<int64_t>{rows, nn} : std::vector<int64_t>{nn};
        new_c = g.AddInitializer(base + "_scaled_bias", FromDoubles(dt, new_dims, scaled));
      }
      g.RemoveNode(mul_id);
      g.SetNodeInput(pid, 1, new_w);
      if (new_c != kNoValue) g.SetNodeInput(pid, 2, new_c);
      ForwardValue(g, ctx, out, y);
      return true;
    }
    return false;
  }

  static bool TryFuse(Graph& g, PassContext& ctx, int bn_id) {
    const Node& bn = g.node(bn_id);
    if (bn.inputs.size() < 5 || bn.outputs.empty() || bn.outputs[0] == kNoValue) return false;
    for (size_t o = 1; o < bn.outputs.size(); ++o) {
      int v = bn.outputs[o];
      if (v != kNoValue && (!g.value(v).uses.empty() || g.IsOutput(v))) return false;
    }
    if (AttrInt(bn, "training_mode", 0) != 0 || AttrInt(bn, "spatial", 1) != 1) return false;
    if (bn.opset < 6 && AttrInt(bn, "is_test", 0) == 0) return false;
    const int y = bn.inputs[0];
    const int pid = g.value(y).producer;
    if (pid < 0 || SoleConsumer(g, ctx, y) != bn_id) return false;
    const Node& p = g.node(pid);
    if (!IsStd(p) || (p.op_type != "Conv" && p.op_type != "ConvTranspose" && p.op_type != "Gemm")) {
      return false;
    }
    if (p.inputs.size() < 2 || p.outputs.size() != 1) return false;
    if (p.op_type == "Gemm" && p.opset < 7) return false;  // C did not broadcast before 7
    const Tensor* w = ConstantOf(g, p.inputs[1]);
    if (w == nullptr || (w->dtype() != DataType::kFloat && w->dtype() != DataType::kDouble)) {
      return false;
    }
    const DataType dt = w->dtype();
    const Tensor* scale = ConstantOf(g, bn.inputs[1]);
    const Tensor* beta = ConstantOf(g, bn.inputs[2]);
    const Tensor* mean = ConstantOf(g, bn.inputs[3]);
    const Tensor* var = ConstantOf(g, bn.inputs[4]);
    if (!IsFloatConst(scale, dt) || !IsFloatConst(beta, dt) || !IsFloatConst(mean, dt) ||
        !IsFloatConst(var, dt)) {
      return false;
    }
    const int64_t channels = scale->numel();
    if (beta->numel() != channels || mean->numel() != channels || var->numel() != channels) {
      return false;
    }
    const Tensor* bias = nullptr;
    if (p.inputs.size() > 2 && p.inputs[2] != kNoValue) {
      bias = ConstantOf(g, p.inputs[2]);
      if (!IsFloatConst(bias, dt)) return false;
    }
    const double eps = AttrFloat(bn, "epsilon", 1e-5f);
    std::vector<double> s(channels);
    {
      auto sc = ToDoubles(*scale), vr = ToDoubles(*var);
      for (int64_t c = 0; c < channels; ++c) s[c] = sc[c] / std::sqrt(vr[c] + eps);
    }
    const std::vector<int64_t>& wd = w->dims();
    std::vector<double> wv = ToDoubles(*w);
    std::vector<double> bv(channels, 0.0);
    double gemm_beta = 1.0;
    if (p.op_type == "Conv") {
      if (wd.size() < 3 || wd[0] != channels) return false;
      const int64_t per = w->numel() / channels;
      for (int64_t c = 0; c < channels; ++c) {
        for (int64_t k = 0; k < per; ++k) wv[c * per + k] *= s[c];
      }
    } else if (p.op_type == "ConvTranspose") {
      const int64_t group = AttrInt(p, "group", 1);
      if (wd.size() < 3 || group <= 0 || wd[1] * group != channels || wd[0] % group != 0) {
        return false;
      }
      const int64_t cin_per_group = wd[0] / group, cout_per_group = wd[1];
      const int64_t spatial = w->numel() / (wd[0] * wd[1]);
      for (int64_t ci = 0; ci < wd[0]; ++ci) {
        for (int64_t j = 0; j < cout_per_group; ++j) {
          const int64_t c = (ci / cin_per_group) * cout_per_group + j;
          double* row = wv.data() + (ci * cout_per_group + j) * spatial;
          for (int64_t k = 0; k < spatial; ++k) row[k] *= s[c];
        }
      }
    } else {  // Gemm: the channel is the output column
      if (wd.size() != 2) return false;
      const bool trans_b = AttrInt(p, "transB", 0) != 0;
      const int64_t nn = trans_b ? wd[0] : wd[1];
      const int64_t kk = trans_b ? wd[1] : wd[0];
      if (nn != channels) return false;
      for (int64_t a = 0; a < kk; ++a) {
        for (int64_t c = 0; c < channels; ++c) wv[trans_b ? c * kk + a : a * channels + c] *= s[c];
      }
      gemm_beta = AttrFloat(p, "beta", 1.0f);
      if (bias != nullptr && bias->numel() != 1 && bias->numel() != channels) return false;
      if (bias != nullptr && bias->dims().size() == 2 && bias->dims()[0] != 1) return false;
    }
    if (bias != nullptr) {
      auto b = ToDoubles(*bias);
      if (p.op_type != "Gemm" && static_cast<int64_t>(b.size()) != channels) return false;
      for (int64_t c = 0; c < channels; ++c) bv[c] = gemm_beta * b[b.size() == 1 ? 0 : c];
    }
    {
      auto bt = ToDoubles(*beta), mn = ToDoubles(*mean);
      for (int64_t c = 0; c < channels; ++c) bv[c] = (bv[c] - mn[c]) * s[c] + bt[c];
    }
    const std::string base = g.value(p.inputs[1]).name;
    int new_w = g.AddInitializer(base + "_bn", FromDoubles(dt, wd, wv));
    int new_b = g.AddInitializer(base + "_bn_bias", FromDoubles(dt, {channels}, bv));
    const int out = bn.outputs[0];
    g.RemoveNode(bn_id);
    g.SetNodeInput(pid, 1, new_w);
    g.SetNodeInput(pid, 2, new_b);
    if (p.op_type == "Gemm") {
      Attribute* b_attr = g.mutable_node(pid).FindAttribute("beta");
      if (b_attr) b_attr->f = 1.0f;
    }
    ForwardValue(g, ctx, out, y);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeConvBnFusion() { return std::make_unique<ConvBnFusion>(); }

}  // namespace kiln
