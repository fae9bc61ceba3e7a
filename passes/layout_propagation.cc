// layout-propagation (level 3, kiln-only ops, CPU sessions only; see docs/kiln_ops.md):
// runs 2-D float convolutions, and the ops between them, on channels-last tensors.
//   Conv | kiln.FusedConv (2-D, float, constant W)  ->  kiln.FusedConv(channels_last = 1)
//   MaxPool | AveragePool (2-D, no Indices)         ->  kiln.NhwcMaxPool | kiln.NhwcAveragePool
//   GlobalAveragePool | GlobalMaxPool               ->  ReduceMean | ReduceMax over axes 1, 2
//   ReduceMean | ReduceMax over axes 2, 3 (kept)    ->  the same over axes 1, 2
//   Concat on axis 1                                ->  Concat on axis 3
//   BatchNormalization (inference, constant params) ->  Mul, Add by per-channel constants
//   element-wise unary ops, Add / Sub / Mul / Div   ->  unchanged, on the channels-last operands
// A value x [N, C, H, W] that such a node produces is produced as x' [N, H, W, C] instead; readers
// that take channels-last operands read x', and Transpose(x', [0, 3, 1, 2]) -> x is added for any
// other reader, a graph output, or a subgraph. A reader in the set whose other operands are plain
// reads Transpose(y, [0, 2, 3, 1]) of each (a Transpose the other way is looked through; constant
// operands become channels-last constants). Convolutions always convert (oneDNN's fastest kernels
// read and write nhwc: a plain convolution reorders its input and output on every run); the other
// ops convert when one of their operands is already channels-last.
// Why: oneDNN picks nhwc for its brgemm convolutions on AVX-512 and nChw8c/16c elsewhere; with
// plain NCHW between nodes every convolution pays two reorders (44% of MobileNetV3's oneDNN time).
#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "passes/pass_util.h"
#include "passes/passes.h"

namespace kiln {
namespace {

const std::vector<int64_t> kToNhwc = {0, 2, 3, 1};
const std::vector<int64_t> kToNchw = {0, 3, 1, 2};

// Element-wise ops of one tensor input (later inputs, Clip's bounds, are scalars left as they are).
const std::set<std::string>& UnaryOps() {
  static const std::set<std::string> ops = {
      "Relu", "Sigmoid",  "Tanh", "HardSwish", "HardSigmoid", "LeakyRelu", "Elu", "Selu",
      "Celu", "Softplus", "Erf",  "Exp",       "Neg",         "Abs",       "Sqrt", "Clip",
      "Gelu", "Mish",     "Identity"};
  return ops;
}

bool IsFloat4d(const Graph& g, int v) {
  return v != kNoValue && ElemType(g, v) == DataType::kFloat && Rank(g, v) == 4;
}

// Dim 1 (C) of a rank-4 value when known, else -1.
int64_t Channels(const Graph& g, int v) {
  const TypeInfo& t = g.value(v).type;
  if (!t.is_tensor() || !t.shape || t.shape->dims.size() != 4) return -1;
  const Dim& d = t.shape->dims[1];
  return d.known() ? d.value : -1;
}

// The type of x's channels-last form: dims [N, C, H, W] -> [N, H, W, C].
TypeInfo NhwcType(const TypeInfo& t) {
  TypeInfo r = t;
  if (r.shape && r.shape->dims.size() == 4) {
    const auto& d = t.shape->dims;
    r.shape->dims = {d[0], d[2], d[3], d[1]};
  }
  return r;
}

bool PermIs(const Node& n, const std::vector<int64_t>& perm) {
  return IsStd(n) && n.op_type == "Transpose" && AttrInts(n, "perm") == perm;
}

// Normalized axes of a reduction over a rank-4 input; nullopt when not constant.
std::optional<std::vector<int64_t>> ReduceAxes(const Graph& g, const Node& n) {
  std::vector<int64_t> axes;
  const bool axes_input = (n.op_type == "ReduceMean" || n.op_type == "ReduceMax") && n.opset >= 18;
  if (axes_input) {
    if (n.inputs.size() < 2 || n.inputs[1] == kNoValue) return std::nullopt;  // all axes
    auto c = ConstantInts(g, n.inputs[1]);
    if (!c) return std::nullopt;
    axes = *c;
  } else {
    if (n.FindAttribute("axes") == nullptr) return std::nullopt;
    axes = AttrInts(n, "axes");
  }
  for (int64_t& a : axes) {
    if (a < 0) a += 4;
  }
  std::sort(axes.begin(), axes.end());
  return axes;
}

class LayoutPropagation : public Pass {
 public:
  std::string name() const override { return "layout-propagation"; }
  int level() const override { return 3; }

  StatusOr<int> Run(Graph& g, PassContext& ctx) override {
    if (!ctx.allow_kiln_ops || !ctx.cpu_layouts) return 0;
    if (!ctx.HasKernel("kiln", "FusedConv", 1) || !ctx.HasKernel("kiln", "NhwcMaxPool", 1) ||
        !ctx.HasKernel("kiln", "NhwcAveragePool", 1)) {
      return 0;
    }
    // Once per graph: a graph that has channels-last convolutions was done in an earlier round.
    for (const Node& n : g.nodes()) {
      if (!n.removed && n.domain == "kiln" && n.op_type == "FusedConv" &&
          AttrInt(n, "channels_last", 0) != 0) {
        return 0;
      }
    }
    opset_ = ctx.OnnxOpset();
    if (opset_ < 7) return 0;  // numpy broadcasting of the element-wise ops
    nhwc_.assign(g.values().size(), kNoValue);
    moved_.clear();
    KILN_ASSIGN_OR_RETURN(std::vector<int> order, g.TopologicalOrder());
    int rewrites = 0;
    for (int nid : order) {
      if (g.node(nid).removed) continue;
      if (Convert(g, ctx, nid)) ++rewrites;
    }
    if (rewrites == 0) return 0;
    // Plain copies for whoever still reads the plain values.
    for (int v : moved_) {
      const int nv = nhwc_[v];
      const Value& val = g.value(v);
      bool read = IsPinned(g, ctx, v);
      for (int u : val.uses) read = read || !g.node(u).removed;
      if (!read) continue;
      AddNodeTo(g, g.UniqueName(val.name + "_to_nchw"), "Transpose", "", static_cast<int>(opset_),
                {nv}, {v}, {IntsAttr("perm", kToNchw)});
    }
    return rewrites;
  }

 private:
  // The channels-last form of a plain value `v` (rank 4), made on first request: v's own when a
  // converted node produced it, the input of a Transpose(., [0, 3, 1, 2]) producing v, a permuted
  // copy of a constant, or a new Transpose.
  int Nhwc(Graph& g, int v) {
    if (v < static_cast<int>(nhwc_.size()) && nhwc_[v] != kNoValue) return nhwc_[v];
    // Copies: adding a value below may move the value table.
    const std::string name = g.value(v).name;
    const int producer = g.value(v).producer;
    int r = kNoValue;
    if (producer >= 0 && PermIs(g.node(producer), kToNchw)) {
      r = g.node(producer).inputs[0];
    } else if (const Tensor* t = ConstantOf(g, v); t != nullptr && t->dtype() == DataType::kFloat) {
      const std::vector<int64_t>& d = t->dims();
      Tensor p(DataType::kFloat, {d[0], d[2], d[3], d[1]});
      const float* src = t->data<float>();
      float* dst = p.data<float>();
      for (int64_t n = 0; n < d[0]; ++n) {
        for (int64_t c = 0; c < d[1]; ++c) {
          for (int64_t hw = 0; hw < d[2] * d[3]; ++hw) {
            dst[(n * d[2] * d[3] + hw) * d[1] + c] = src[(n * d[1] + c) * d[2] * d[3] + hw];
          }
        }
      }
      r = g.AddInitializer(name + "_nhwc", std::move(p));
    } else {
      r = g.AddValue(g.UniqueName(name + "_nhwc"), NhwcType(g.value(v).type)).value();
      AddNodeTo(g, g.UniqueName(name + "_to_nhwc"), "Transpose", "", static_cast<int>(opset_), {v},
                {r}, {IntsAttr("perm", kToNhwc)});
    }
    Remember(v, r);
    return r;
  }

  void Remember(int v, int nv) {
    if (static_cast<int>(nhwc_.size()) <= v) nhwc_.resize(v + 1, kNoValue);
    nhwc_[v] = nv;
  }

  bool IsNhwc(int v) const {
    return v != kNoValue && v < static_cast<int>(nhwc_.size()) && nhwc_[v] != kNoValue;
  }

  // Makes node `nid` read the channels-last form of its inputs `slots` and write the
  // channels-last form of its output 0.
  void Rewire(Graph& g, int nid, const std::vector<size_t>& slots) {
    for (size_t k : slots) {
      const int in = g.node(nid).inputs[k];
      g.SetNodeInput(nid, k, Nhwc(g, in));
    }
    const int y = g.node(nid).outputs[0];
    const Value& yv = g.value(y);
    const int ny = g.AddValue(g.UniqueName(yv.name + "_nhwc"), NhwcType(yv.type)).value();
    g.SetNodeOutput(nid, 0, ny);
    Remember(y, ny);
    moved_.push_back(y);
  }

  // A per-channel or scalar float constant as a rank-4 channels-last constant; kNoValue when `v`
  // is not one (only broadcasts over C alone, or over nothing, keep their meaning).
  // With `check`, only says whether it would (1) or not (kNoValue), adding nothing.
  int BroadcastConstant(Graph& g, int v, int64_t channels, bool check) {
    const Tensor* t = ConstantOf(g, v);
    if (t == nullptr || t->dtype() != DataType::kFloat || t->rank() > 4) return kNoValue;
    std::vector<int64_t> d(4 - t->rank(), 1);
    d.insert(d.end(), t->dims().begin(), t->dims().end());
    const bool ok = t->numel() == 1 || (d[0] == 1 && d[2] == 1 && d[3] == 1 && d[1] == channels);
    if (check || !ok) return ok ? 1 : kNoValue;
    if (t->numel() == 1) {
      Tensor p(DataType::kFloat, {1, 1, 1, 1});
      p.data<float>()[0] = t->data<float>()[0];
      return g.AddInitializer(g.value(v).name + "_nhwc", std::move(p));
    }
    if (d[0] != 1 || d[2] != 1 || d[3] != 1 || d[1] != channels) return kNoValue;
    Tensor p(DataType::kFloat, {1, 1, 1, channels});
    std::copy(t->data<float>(), t->data<float>() + channels, p.data<float>());
    return g.AddInitializer(g.value(v).name + "_nhwc", std::move(p));
  }

  bool Convert(Graph& g, const PassContext& ctx, int nid) {
    const Node& n = g.node(nid);
    if (n.outputs.empty() || n.outputs[0] == kNoValue || n.inputs.empty()) return false;
    const int x = n.inputs[0];
    const int y = n.outputs[0];
    for (size_t k = 1; k < n.outputs.size(); ++k) {
      if (n.outputs[k] != kNoValue) return false;  // Indices, BatchNorm's training outputs
    }
    if (!IsFloat4d(g, y)) return false;
    const bool conv = (IsStd(n) && n.op_type == "Conv") ||
                      (n.domain == "kiln" && n.op_type == "FusedConv" && n.opset == 1);
    if (conv) return ConvertConv(g, nid);
    if (!IsStd(n)) return false;
    const std::string op = n.op_type;  // a copy: adding nodes moves the node table
    if (UnaryOps().count(op)) {
      if (!IsNhwc(x) || !IsFloat4d(g, x)) return false;
      Rewire(g, nid, {0});
      return true;
    }
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
      if (n.inputs.size() != 2 || (!IsNhwc(n.inputs[0]) && !IsNhwc(n.inputs[1]))) return false;
      // Rank-4 operands are permuted (a Transpose, or a permuted constant); lower-rank constants
      // broadcast over C alone (or scalars) become [1, 1, 1, C]; nothing else keeps its meaning.
      const int64_t channels = Channels(g, y);
      std::vector<int> repl(2, kNoValue);
      for (size_t k = 0; k < 2; ++k) {
        const int in = n.inputs[k];
        if (IsNhwc(in) || IsFloat4d(g, in)) continue;
        if (channels < 0 || ElemType(g, in) != DataType::kFloat) return false;
        if (BroadcastConstant(g, in, channels, true) == kNoValue) return false;
        repl[k] = 0;
      }
      for (size_t k = 0; k < 2; ++k) {
        if (repl[k] != kNoValue) repl[k] = BroadcastConstant(g, n.inputs[k], channels, false);
      }
      std::vector<size_t> slots;
      for (size_t k = 0; k < 2; ++k) {
        if (repl[k] != kNoValue) {
          g.SetNodeInput(nid, k, repl[k]);
        } else {
          slots.push_back(k);
        }
      }
      Rewire(g, nid, slots);
      return true;
    }
    if (op == "Concat") {
      int64_t axis = AttrInt(n, "axis", 1);
      if (axis != 1 && axis != -3) return false;
      bool any = false;
      for (int in : n.inputs) {
        if (!IsFloat4d(g, in)) return false;
        any = any || IsNhwc(in);
      }
      if (!any) return false;
      std::vector<size_t> slots;
      for (size_t k = 0; k < n.inputs.size(); ++k) slots.push_back(k);
      Rewire(g, nid, slots);
      if (Attribute* a = g.mutable_node(nid).FindAttribute("axis")) {
        a->i = 3;
      } else {
        g.mutable_node(nid).attributes.push_back(IntAttr("axis", 3));
      }
      return true;
    }
    if (!IsNhwc(x) || !IsFloat4d(g, x)) return false;
    if (op == "MaxPool" || op == "AveragePool") {
      Rewire(g, nid, {0});
      Node& m = g.mutable_node(nid);
      m.op_type = op == "MaxPool" ? "NhwcMaxPool" : "NhwcAveragePool";
      m.domain = "kiln";
      m.opset = 1;
      m.outputs.resize(1);
      return true;
    }
    if (op == "GlobalAveragePool" || op == "GlobalMaxPool" || op == "ReduceMean" ||
        op == "ReduceMax") {
      const bool global = op.rfind("Global", 0) == 0;
      if (!global) {
        auto axes = ReduceAxes(g, n);
        if (!axes || *axes != std::vector<int64_t>{2, 3} || AttrInt(n, "keepdims", 1) != 1) {
          return false;
        }
      }
      const std::string reduce = op == "GlobalAveragePool" || op == "ReduceMean" ? "ReduceMean"
                                                                                 : "ReduceMax";
      if (!ctx.HasKernel("", reduce, opset_)) return false;
      Rewire(g, nid, {0});
      for (size_t k = 1; k < g.node(nid).inputs.size(); ++k) g.SetNodeInput(nid, k, kNoValue);
      std::vector<Attribute> attrs;
      for (const Attribute& a : g.node(nid).attributes) {
        if (a.name != "axes") attrs.push_back(a);
      }
      int axes_value = kNoValue;
      if (opset_ >= 18) {
        Tensor axes(DataType::kInt64, {2});
        axes.data<int64_t>()[0] = 1;
        axes.data<int64_t>()[1] = 2;
        const std::string& out_name = g.value(g.node(nid).outputs[0]).name;
        axes_value = g.AddInitializer(out_name + "_axes", std::move(axes));
      } else {
        attrs.push_back(IntsAttr("axes", {1, 2}));
      }
      Node& m = g.mutable_node(nid);
      m.op_type = reduce;
      m.opset = static_cast<int>(opset_);
      m.inputs.resize(1);
      m.attributes = std::move(attrs);
      if (axes_value != kNoValue) g.SetNodeInput(nid, 1, axes_value);
      return true;
    }
    if (op == "BatchNormalization") return ConvertBatchNorm(g, nid);
    return false;
  }

  bool ConvertConv(Graph& g, int nid) {
    const Node& n = g.node(nid);
    const int x = n.inputs[0];
    if (!IsFloat4d(g, x) || n.inputs.size() < 2) return false;
    const Tensor* w = ConstantOf(g, n.inputs[1]);
    if (w == nullptr || w->rank() != 4 || w->dtype() != DataType::kFloat) return false;
    const bool has_z = n.inputs.size() > 3 && n.inputs[3] != kNoValue;
    if (has_z && !IsFloat4d(g, n.inputs[3])) return false;
    std::vector<size_t> slots = {0};
    if (has_z) slots.push_back(3);
    Rewire(g, nid, slots);
    Node& m = g.mutable_node(nid);
    m.op_type = "FusedConv";
    m.domain = "kiln";
    m.opset = 1;
    m.attributes.push_back(IntAttr("channels_last", 1));
    return true;
  }

  // y = scale * (x - mean) / sqrt(var + epsilon) + B as x * s + t, per channel.
  bool ConvertBatchNorm(Graph& g, int nid) {
    const Node& n = g.node(nid);
    if (n.inputs.size() != 5 || AttrInt(n, "training_mode", 0) != 0) return false;
    if (n.opset < 9 && AttrInt(n, "spatial", 1) != 1) return false;
    const Tensor* p[4];
    for (int k = 0; k < 4; ++k) {
      p[k] = ConstantOf(g, n.inputs[1 + k]);
      if (p[k] == nullptr || p[k]->dtype() != DataType::kFloat || p[k]->rank() != 1) return false;
    }
    const int64_t c = p[0]->numel();
    for (int k = 1; k < 4; ++k) {
      if (p[k]->numel() != c) return false;
    }
    if (Channels(g, n.inputs[0]) != c) return false;
    const double eps = AttrFloat(n, "epsilon", 1e-5f);
    Tensor s(DataType::kFloat, {1, 1, 1, c}), t(DataType::kFloat, {1, 1, 1, c});
    for (int64_t i = 0; i < c; ++i) {
      const double sc = p[0]->data<float>()[i] / std::sqrt(p[3]->data<float>()[i] + eps);
      s.data<float>()[i] = static_cast<float>(sc);
      t.data<float>()[i] = static_cast<float>(p[1]->data<float>()[i] - p[2]->data<float>()[i] * sc);
    }
    const std::string base = n.name.empty() ? std::string("batchnorm") : n.name;
    const int sv = g.AddInitializer(base + "_scale_nhwc", std::move(s));
    const int tv = g.AddInitializer(base + "_shift_nhwc", std::move(t));
    const int y = g.node(nid).outputs[0];
    Rewire(g, nid, {0});
    const int ny = nhwc_[y];
    const int mid =
        g.AddValue(g.UniqueName(g.value(ny).name + "_scaled"), g.value(ny).type).value();
    // The node becomes the Mul; an Add after it writes the channels-last output.
    for (size_t k = 1; k < g.node(nid).inputs.size(); ++k) g.SetNodeInput(nid, k, kNoValue);
    Node& m = g.mutable_node(nid);
    m.op_type = "Mul";
    m.opset = static_cast<int>(opset_);
    m.attributes.clear();
    m.inputs.resize(1);
    m.outputs.resize(1);
    g.SetNodeInput(nid, 1, sv);
    g.SetNodeOutput(nid, 0, mid);
    AddNodeTo(g, g.UniqueName(base + "_shift"), "Add", "", static_cast<int>(opset_), {mid, tv},
              {ny}, {});
    return true;
  }

  int64_t opset_ = 0;
  std::vector<int> nhwc_;   // value id -> its channels-last form's id (kNoValue: none)
  std::vector<int> moved_;  // plain values whose producer now writes their channels-last form
};

}  // namespace

std::unique_ptr<Pass> MakeLayoutPropagation() { return std::make_unique<LayoutPropagation>(); }

}  // namespace kiln
