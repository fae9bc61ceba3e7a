#include "ir/graph.h"

#include <algorithm>
#include <queue>
#include <set>

namespace kiln {

std::string Dim::ToString() const {
  if (known()) return std::to_string(value);
  if (!symbol.empty()) return symbol;
  return "?";
}

std::string Shape::ToString() const {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    s += dims[i].ToString();
  }
  return s + "]";
}

std::string TypeInfo::ToString() const {
  switch (kind) {
    case Kind::kUnknown:
      return "unknown";
    case Kind::kTensor:
    case Kind::kSparseTensor: {
      std::string s = kind == Kind::kSparseTensor ? "sparse " : "";
      s += DataTypeName(elem_type);
      s += shape ? shape->ToString() : "[...]";
      return s;
    }
    case Kind::kSequence:
      return "seq(" + (inner ? inner->ToString() : "?") + ")";
    case Kind::kOptional:
      return "optional(" + (inner ? inner->ToString() : "?") + ")";
    case Kind::kMap: {
      // A map's values are scalars in every op that uses maps: print "map(int64,float)".
      std::string v = !inner ? "?"
                      : inner->kind == Kind::kTensor && !inner->shape
                          ? DataTypeName(inner->elem_type)
                          : inner->ToString();
      return std::string("map(") + DataTypeName(elem_type) + "," + v + ")";
    }
  }
  return "?";
}

const char* AttrTypeName(AttrType t) {
  switch (t) {
    case AttrType::kUndefined:
      return "undefined";
    case AttrType::kFloat:
      return "float";
    case AttrType::kInt:
      return "int";
    case AttrType::kString:
      return "string";
    case AttrType::kTensor:
      return "tensor";
    case AttrType::kGraph:
      return "graph";
    case AttrType::kFloats:
      return "floats";
    case AttrType::kInts:
      return "ints";
    case AttrType::kStrings:
      return "strings";
    case AttrType::kTensors:
      return "tensors";
    case AttrType::kGraphs:
      return "graphs";
    case AttrType::kSparseTensor:
      return "sparse_tensor";
    case AttrType::kSparseTensors:
      return "sparse_tensors";
    case AttrType::kTypeProto:
      return "type_proto";
    case AttrType::kTypeProtos:
      return "type_protos";
  }
  return "?";
}

const Attribute* Node::FindAttribute(const std::string& attr_name) const {
  for (const auto& a : attributes) {
    if (a.name == attr_name) return &a;
  }
  return nullptr;
}

Attribute* Node::FindAttribute(const std::string& attr_name) {
  for (auto& a : attributes) {
    if (a.name == attr_name) return &a;
  }
  return nullptr;
}

std::vector<Graph*> Node::Subgraphs() const {
  std::vector<Graph*> subs;
  for (const auto& a : attributes) {
    if (a.g) subs.push_back(a.g.get());
    for (const auto& g : a.graphs) subs.push_back(g.get());
  }
  return subs;
}

std::string Node::Describe() const {
  std::string s = name.empty() ? "#" + std::to_string(id) : "'" + name + "'";
  s += " (";
  if (!domain.empty() && domain != "ai.onnx") s += domain + "::";
  s += op_type + ", opset " + std::to_string(opset) + ")";
  return s;
}

StatusOr<int> Graph::AddValue(const std::string& value_name, TypeInfo type) {
  if (!value_name.empty() && by_name_.count(value_name)) {
    return InvalidModel("graph '" + name + "': value name '" + value_name + "' is defined twice");
  }
  Value v;
  v.id = static_cast<int>(values_.size());
  v.name = value_name;
  v.type = std::move(type);
  if (!value_name.empty()) by_name_[value_name] = v.id;
  values_.push_back(std::move(v));
  return values_.back().id;
}

int Graph::FindValue(const std::string& value_name) const {
  auto it = by_name_.find(value_name);
  return it == by_name_.end() ? -1 : it->second;
}

StatusOr<int> Graph::AddNode(Node node) {
  node.id = static_cast<int>(nodes_.size());
  const int nvalues = static_cast<int>(values_.size());
  for (int in : node.inputs) {
    if (in != kNoValue && (in < 0 || in >= nvalues)) {
      return Internal("node " + node.Describe() + " reads value id " + std::to_string(in) +
                      " which does not exist");
    }
  }
  for (int out : node.outputs) {
    if (out == kNoValue) continue;
    if (out < 0 || out >= nvalues) {
      return Internal("node " + node.Describe() + " writes value id " + std::to_string(out) +
                      " which does not exist");
    }
    const Value& v = values_[out];
    if (v.producer >= 0 || v.is_graph_input || v.is_initializer || v.outer_scope) {
      return InvalidModel("node " + node.Describe() + " writes '" + v.name +
                          "', which is already defined" +
                          (v.producer >= 0 ? " by node " + nodes_[v.producer].Describe() : ""));
    }
  }
  for (int in : node.inputs) {
    if (in != kNoValue) values_[in].uses.push_back(node.id);
  }
  for (int out : node.outputs) {
    if (out != kNoValue) values_[out].producer = node.id;
  }
  nodes_.push_back(std::move(node));
  return nodes_.back().id;
}

Status Graph::RenameValue(int id, const std::string& new_name) {
  if (id < 0 || id >= static_cast<int>(values_.size())) return Internal("RenameValue: bad value id");
  if (values_[id].name == new_name) return Status::Ok();
  if (!new_name.empty() && by_name_.count(new_name)) {
    return InvalidModel("graph '" + name + "': value name '" + new_name + "' is defined twice");
  }
  if (!values_[id].name.empty()) by_name_.erase(values_[id].name);
  values_[id].name = new_name;
  if (!new_name.empty()) by_name_[new_name] = id;
  return Status::Ok();
}

std::string Graph::UniqueName(const std::string& prefix) const {
  if (!prefix.empty() && !by_name_.count(prefix)) return prefix;
  for (size_t i = values_.size();; ++i) {
    std::string n = prefix + "_" + std::to_string(i);
    if (!by_name_.count(n)) return n;
  }
}

int Graph::AddInitializer(const std::string& prefix, Tensor t) {
  TypeInfo type = TypeInfo::Tensor(t.dtype(), Shape{});
  for (int64_t d : t.dims()) type.shape->dims.push_back(Dim::Known(d));
  int id = AddValue(UniqueName(prefix), std::move(type)).value();
  SetInitializer(id, std::move(t));
  return id;
}

void Graph::RemoveInitializer(int value_id) {
  values_[value_id].is_initializer = false;
  initializers_.erase(value_id);
}

namespace {
void EraseOneUse(std::vector<int>& uses, int node_id) {
  auto it = std::find(uses.begin(), uses.end(), node_id);
  if (it != uses.end()) uses.erase(it);
}
void InsertUse(std::vector<int>& uses, int node_id) {
  uses.insert(std::upper_bound(uses.begin(), uses.end(), node_id), node_id);
}
}  // namespace

void Graph::RemoveNode(int node_id) {
  Node& n = nodes_[node_id];
  if (n.removed) return;
  for (int in : n.inputs) {
    if (in != kNoValue) EraseOneUse(values_[in].uses, node_id);
  }
  for (int out : n.outputs) {
    if (out != kNoValue && values_[out].producer == node_id) values_[out].producer = -1;
  }
  n.inputs.clear();
  n.outputs.clear();
  n.removed = true;
}

void Graph::SetNodeInput(int node_id, size_t index, int value_id) {
  Node& n = nodes_[node_id];
  if (index >= n.inputs.size()) n.inputs.resize(index + 1, kNoValue);
  if (n.inputs[index] != kNoValue) EraseOneUse(values_[n.inputs[index]].uses, node_id);
  n.inputs[index] = value_id;
  if (value_id != kNoValue) InsertUse(values_[value_id].uses, node_id);
}

void Graph::SetNodeOutput(int node_id, size_t index, int value_id) {
  Node& n = nodes_[node_id];
  if (index >= n.outputs.size()) n.outputs.resize(index + 1, kNoValue);
  int old = n.outputs[index];
  if (old != kNoValue && values_[old].producer == node_id) values_[old].producer = -1;
  n.outputs[index] = value_id;
  if (value_id != kNoValue) values_[value_id].producer = node_id;
}

void Graph::ReplaceUses(int from, int to) {
  if (from == to) return;
  std::vector<int> readers = values_[from].uses;
  readers.erase(std::unique(readers.begin(), readers.end()), readers.end());
  for (int nid : readers) {
    Node& n = nodes_[nid];
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (n.inputs[i] == from) SetNodeInput(nid, i, to);
    }
  }
}

void Graph::ReplaceOutput(int from, int to) {
  for (int& o : outputs_) {
    if (o == from) o = to;
  }
}

bool Graph::IsOutput(int value_id) const {
  return std::find(outputs_.begin(), outputs_.end(), value_id) != outputs_.end();
}

void Graph::Compact() {
  std::vector<bool> keep(values_.size(), false);
  for (int id : inputs_) keep[id] = true;
  for (int id : outputs_) keep[id] = true;
  for (const auto& [id, t] : initializers_) keep[id] = true;
  for (const Value& v : values_) {
    if (!v.uses.empty()) keep[v.id] = true;
  }
  std::vector<int> node_map(nodes_.size(), -1);
  std::vector<Node> nodes;
  for (Node& n : nodes_) {
    if (n.removed) continue;
    node_map[n.id] = static_cast<int>(nodes.size());
    for (int out : n.outputs) {
      if (out != kNoValue) keep[out] = true;
    }
    nodes.push_back(std::move(n));
  }
  std::vector<int> value_map(values_.size(), -1);
  std::vector<Value> values;
  by_name_.clear();
  for (Value& v : values_) {
    if (!keep[v.id]) continue;
    value_map[v.id] = static_cast<int>(values.size());
    v.id = value_map[v.id];
    if (v.producer >= 0) v.producer = node_map[v.producer];
    for (int& u : v.uses) u = node_map[u];
    if (!v.name.empty()) by_name_[v.name] = v.id;
    values.push_back(std::move(v));
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    Node& n = nodes[i];
    n.id = static_cast<int>(i);
    for (int& in : n.inputs) {
      if (in != kNoValue) in = value_map[in];
    }
    for (int& out : n.outputs) {
      if (out != kNoValue) out = value_map[out];
    }
  }
  for (int& id : inputs_) id = value_map[id];
  for (int& id : outputs_) id = value_map[id];
  std::map<int, Tensor> inits;
  for (auto& [id, t] : initializers_) inits[value_map[id]] = std::move(t);
  initializers_ = std::move(inits);
  nodes_ = std::move(nodes);
  values_ = std::move(values);
}

int64_t Graph::CountNodes() const {
  int64_t n = 0;
  for (const Node& node : nodes_) n += !node.removed;
  return n;
}

std::vector<std::string> Graph::CapturedNames() const {
  std::set<std::string> names;
  std::vector<const Graph*> stack;
  for (const Node& n : nodes_) {
    for (Graph* sg : n.Subgraphs()) stack.push_back(sg);
  }
  while (!stack.empty()) {
    const Graph* sub = stack.back();
    stack.pop_back();
    for (const Value& v : sub->values()) {
      if (v.outer_scope && FindValue(v.name) >= 0) names.insert(v.name);
    }
    for (const Node& n : sub->nodes()) {
      for (Graph* sg : n.Subgraphs()) stack.push_back(sg);
    }
  }
  return {names.begin(), names.end()};
}

void Graph::RemoveInput(int value_id) {
  values_[value_id].is_graph_input = false;
  inputs_.erase(std::remove(inputs_.begin(), inputs_.end(), value_id), inputs_.end());
}

void Graph::AddInput(int value_id) {
  values_[value_id].is_graph_input = true;
  inputs_.push_back(value_id);
}

void Graph::SetInitializer(int value_id, Tensor t) {
  values_[value_id].is_initializer = true;
  initializers_[value_id] = std::move(t);
}

const Tensor* Graph::initializer(int value_id) const {
  auto it = initializers_.find(value_id);
  return it == initializers_.end() ? nullptr : &it->second;
}

StatusOr<std::vector<int>> Graph::TopologicalOrder() const {
  const int n = static_cast<int>(nodes_.size());
  std::vector<int> pending(n, 0);
  std::vector<std::vector<int>> consumers(n);
  for (const Node& node : nodes_) {
    if (node.removed) continue;
    std::set<int> producers;
    for (int in : node.inputs) {
      if (in == kNoValue) continue;
      int p = values_[in].producer;
      if (p >= 0) producers.insert(p);
    }
    for (int p : producers) {
      consumers[p].push_back(node.id);
      ++pending[node.id];
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  int live = 0;
  for (int i = 0; i < n; ++i) {
    if (nodes_[i].removed) continue;
    ++live;
    if (pending[i] == 0) ready.push(i);
  }
  std::vector<int> order;
  order.reserve(n);
  while (!ready.empty()) {
    int id = ready.top();
    ready.pop();
    order.push_back(id);
    for (int c : consumers[id]) {
      if (--pending[c] == 0) ready.push(c);
    }
  }
  if (static_cast<int>(order.size()) != live) {
    for (int i = 0; i < n; ++i) {
      if (!nodes_[i].removed && pending[i] > 0) {
        return InvalidModel("graph '" + name + "' has a cycle through node " +
                            nodes_[i].Describe());
      }
    }
  }
  return order;
}

Status Graph::Verify() const {
  const int nvalues = static_cast<int>(values_.size());
  std::vector<std::vector<int>> uses(nvalues);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& node = nodes_[i];
    if (node.id != static_cast<int>(i)) return Internal("node id mismatch at " + node.Describe());
    if (node.removed) continue;
    for (int in : node.inputs) {
      if (in == kNoValue) continue;
      if (in < 0 || in >= nvalues) return Internal("bad input id in " + node.Describe());
      uses[in].push_back(node.id);
    }
    for (int out : node.outputs) {
      if (out == kNoValue) continue;
      if (out < 0 || out >= nvalues) return Internal("bad output id in " + node.Describe());
      if (values_[out].producer != node.id) {
        return Internal("value '" + values_[out].name + "' has a wrong producer");
      }
    }
    for (const Attribute& a : node.attributes) {
      if (a.g) KILN_RETURN_IF_ERROR(a.g->Verify());
      for (const auto& g : a.graphs) KILN_RETURN_IF_ERROR(g->Verify());
    }
  }
  for (int v = 0; v < nvalues; ++v) {
    const Value& value = values_[v];
    if (value.uses != uses[v]) return Internal("use list of value '" + value.name + "' is stale");
    if (value.producer >= 0) {
      const Node& p = nodes_[value.producer];
      if (p.removed || std::find(p.outputs.begin(), p.outputs.end(), v) == p.outputs.end()) {
        return Internal("value '" + value.name + "' names a producer that does not write it");
      }
    }
    int defs = (value.producer >= 0) + value.is_graph_input + value.outer_scope;
    if (value.is_initializer && value.is_graph_input) --defs;  // an input with a default
    defs += value.is_initializer;
    if (defs > 1) return InvalidModel("value '" + value.name + "' is defined more than once");
    if (defs == 0 && !value.uses.empty()) {
      return InvalidModel("node " + nodes_[value.uses[0]].Describe() + " reads '" + value.name +
                          "', which nothing defines");
    }
  }
  for (int out : outputs_) {
    const Value& value = values_[out];
    if (value.producer < 0 && !value.is_graph_input && !value.is_initializer &&
        !value.outer_scope) {
      return InvalidModel("graph output '" + value.name + "' is not produced by any node");
    }
  }
  return TopologicalOrder().status();
}

int64_t Graph::CountNodesRecursive() const {
  int64_t n = 0;
  for (const Node& node : nodes_) {
    if (node.removed) continue;
    ++n;
    for (const Attribute& a : node.attributes) {
      if (a.g) n += a.g->CountNodesRecursive();
      for (const auto& g : a.graphs) n += g->CountNodesRecursive();
    }
  }
  return n;
}

Attribute IntAttr(const std::string& name, int64_t v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kInt;
  a.i = v;
  return a;
}
Attribute FloatAttr(const std::string& name, float v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kFloat;
  a.f = v;
  return a;
}
Attribute StringAttr(const std::string& name, const std::string& v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kString;
  a.s = v;
  return a;
}
Attribute IntsAttr(const std::string& name, std::vector<int64_t> v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kInts;
  a.ints = std::move(v);
  return a;
}
Attribute FloatsAttr(const std::string& name, std::vector<float> v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kFloats;
  a.floats = std::move(v);
  return a;
}
Attribute StringsAttr(const std::string& name, std::vector<std::string> v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kStrings;
  a.strings = std::move(v);
  return a;
}
Attribute TensorAttr(const std::string& name, Tensor t) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kTensor;
  a.t = std::move(t);
  return a;
}

int64_t Model::OpsetFor(const std::string& d) const {
  std::string key = d == "ai.onnx" ? "" : d;
  auto it = opset_imports.find(key);
  return it == opset_imports.end() ? 0 : it->second;
}

}  // namespace kiln
