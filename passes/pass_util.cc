#include "passes/pass_util.h"

#include <algorithm>

#include "ir/float16.h"

namespace kiln {

const Tensor* ConstantOf(const Graph& g, int v) {
  if (v == kNoValue || g.value(v).is_graph_input) return nullptr;
  return g.initializer(v);
}

bool IsPinned(const Graph& g, const PassContext& ctx, int v) {
  if (g.IsOutput(v)) return true;
  return ctx.captured != nullptr && ctx.captured->count(g.value(v).name) > 0;
}

bool CanForward(const Graph& g, const PassContext& ctx, int from, int to) {
  if (from == to) return false;
  if (!IsPinned(g, ctx, from)) return true;
  const Value& t = g.value(to);
  return t.producer >= 0 && !t.is_graph_input && !t.is_initializer && !IsPinned(g, ctx, to);
}

void ForwardValue(Graph& g, const PassContext& ctx, int from, int to) {
  if (!IsPinned(g, ctx, from)) {
    g.ReplaceUses(from, to);
    return;
  }
  // Keep the pinned name: `to`'s producer writes `from` and `to`'s readers read `from`.
  int producer = g.value(to).producer;
  const Node& p = g.node(producer);
  for (size_t i = 0; i < p.outputs.size(); ++i) {
    if (p.outputs[i] == to) {
      g.SetNodeOutput(producer, i, from);
      break;
    }
  }
  g.ReplaceUses(to, from);
  TypeInfo& ft = g.mutable_value(from).type;
  if (ft.kind == TypeInfo::Kind::kUnknown) ft = g.value(to).type;
}

int SoleConsumer(const Graph& g, const PassContext& ctx, int v) {
  const Value& value = g.value(v);
  if (value.uses.size() != 1 || IsPinned(g, ctx, v)) return -1;
  return value.uses[0];
}

int SoleOp(const Graph& g, const PassContext& ctx, int v, const char* op) {
  int c = SoleConsumer(g, ctx, v);
  return c >= 0 && g.node(c).op_type == op && IsStd(g.node(c)) ? c : -1;
}

int Other(const Node& n, int v) {
  if (n.inputs.size() != 2) return kNoValue;
  return n.inputs[0] == v ? n.inputs[1] : n.inputs[0];
}

std::optional<std::vector<int64_t>> StaticShape(const Graph& g, int v) {
  const TypeInfo& t = g.value(v).type;
  if (!t.is_tensor() || !t.shape) return std::nullopt;
  std::vector<int64_t> dims;
  for (const Dim& d : t.shape->dims) {
    if (!d.known()) return std::nullopt;
    dims.push_back(d.value);
  }
  return dims;
}

int Rank(const Graph& g, int v) {
  const TypeInfo& t = g.value(v).type;
  if (!t.is_tensor() || !t.shape) return -1;
  return static_cast<int>(t.shape->dims.size());
}

DataType ElemType(const Graph& g, int v) {
  const TypeInfo& t = g.value(v).type;
  return t.is_tensor() ? t.elem_type : DataType::kUndefined;
}

bool SameShape(const Graph& g, int a, int b) {
  const TypeInfo& ta = g.value(a).type;
  const TypeInfo& tb = g.value(b).type;
  if (!ta.is_tensor() || !tb.is_tensor() || !ta.shape || !tb.shape) return false;
  if (ta.shape->dims.size() != tb.shape->dims.size()) return false;
  for (size_t i = 0; i < ta.shape->dims.size(); ++i) {
    const Dim& x = ta.shape->dims[i];
    const Dim& y = tb.shape->dims[i];
    if (x.known() && y.known() && x.value == y.value) continue;
    if (!x.known() && !y.known() && !x.symbol.empty() && x.symbol == y.symbol) continue;
    return false;
  }
  return true;
}

std::optional<std::vector<int64_t>> ConstantInts(const Graph& g, int v) {
  const Tensor* t = ConstantOf(g, v);
  if (t == nullptr || t->dims().size() > 1) return std::nullopt;
  std::vector<int64_t> out(t->numel());
  if (t->dtype() == DataType::kInt64) {
    for (int64_t i = 0; i < t->numel(); ++i) out[i] = t->data<int64_t>()[i];
  } else if (t->dtype() == DataType::kInt32) {
    for (int64_t i = 0; i < t->numel(); ++i) out[i] = t->data<int32_t>()[i];
  } else {
    return std::nullopt;
  }
  return out;
}

std::optional<double> ConstantScalar(const Graph& g, int v) {
  const Tensor* t = ConstantOf(g, v);
  if (t == nullptr || t->numel() != 1) return std::nullopt;
  switch (t->dtype()) {
    case DataType::kFloat:
      return t->data<float>()[0];
    case DataType::kDouble:
      return t->data<double>()[0];
    case DataType::kFloat16:
      return ToFloat(t->data<Float16>()[0]);
    case DataType::kBFloat16:
      return ToFloat(t->data<BFloat16>()[0]);
    default:
      return std::nullopt;
  }
}

int64_t AttrInt(const Node& n, const std::string& name, int64_t def) {
  const Attribute* a = n.FindAttribute(name);
  return a && a->type == AttrType::kInt ? a->i : def;
}

float AttrFloat(const Node& n, const std::string& name, float def) {
  const Attribute* a = n.FindAttribute(name);
  return a && a->type == AttrType::kFloat ? a->f : def;
}

std::string AttrString(const Node& n, const std::string& name, const std::string& def) {
  const Attribute* a = n.FindAttribute(name);
  return a && a->type == AttrType::kString ? a->s : def;
}

std::vector<int64_t> AttrInts(const Node& n, const std::string& name) {
  const Attribute* a = n.FindAttribute(name);
  return a && a->type == AttrType::kInts ? a->ints : std::vector<int64_t>{};
}

int AddNodeTo(Graph& g, const std::string& name, const std::string& op_type,
              const std::string& domain, int opset, std::vector<int> inputs,
              std::vector<int> outputs, std::vector<Attribute> attributes) {
  Node n;
  n.name = name;
  n.op_type = op_type;
  n.domain = domain;
  n.opset = opset;
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  n.attributes = std::move(attributes);
  return g.AddNode(std::move(n)).value();
}

}  // namespace kiln
