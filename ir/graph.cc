#include "ir/graph.h"

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
    case Kind::kUnknown: return "unknown";
    case Kind::kTensor:
    case Kind::kSparseTensor: {
      std::string s = kind == Kind::kSparseTensor ? "sparse " : "";
      s += DataTypeName(elem_type);
      s += shape ? shape->ToString() : "[...]";
      return s;
    }
    case Kind::kSequence: return "seq(" + (inner ? inner->ToString() : "?") + ")";
    case Kind::kOptional: return "optional(" + (inner ? inner->ToString() : "?") + ")";
    case Kind::kMap:
      return std::string("map(") + DataTypeName(elem_type) + "," + (inner ? inner->ToString() : "?") +
             ")";
  }
  return "?";
}

const char* AttrTypeName(AttrType t) {
  switch (t) {
    case AttrType::kUndefined: return "undefined";
    case AttrType::kFloat: return "float";
    case AttrType::kInt: return "int";
    case AttrType::kString: return "string";
    case AttrType::kTensor: return "tensor";
    case AttrType::kGraph: return "graph";
    case AttrType::kFloats: return "floats";
    case AttrType::kInts: return "ints";
    case AttrType::kStrings: return "strings";
    case AttrType::kTensors: return "tensors";
    case AttrType::kGraphs: return "graphs";
    case AttrType::kSparseTensor: return "sparse_tensor";
    case AttrType::kSparseTensors: return "sparse_tensors";
    case AttrType::kTypeProto: return "type_proto";
    case AttrType::kTypeProtos: return "type_protos";
  }
  return "?";
}

const Attribute* Node::FindAttribute(const std::string& attr_name) const {
  for (const auto& a : attributes) {
    if (a.name == attr_name) return &a;
  }
  return nullptr;
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
  for (int i = 0; i < n; ++i) {
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
  if (static_cast<int>(order.size()) != n) {
    for (int i = 0; i < n; ++i) {
      if (pending[i] > 0) {
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
    if (value.producer < 0 && !value.is_graph_input && !value.is_initializer && !value.outer_scope) {
      return InvalidModel("graph output '" + value.name + "' is not produced by any node");
    }
  }
  return TopologicalOrder().status();
}

int64_t Graph::CountNodesRecursive() const {
  int64_t n = static_cast<int64_t>(nodes_.size());
  for (const Node& node : nodes_) {
    for (const Attribute& a : node.attributes) {
      if (a.g) n += a.g->CountNodesRecursive();
      for (const auto& g : a.graphs) n += g->CountNodesRecursive();
    }
  }
  return n;
}

int64_t Model::OpsetFor(const std::string& d) const {
  std::string key = d == "ai.onnx" ? "" : d;
  auto it = opset_imports.find(key);
  return it == opset_imports.end() ? 0 : it->second;
}

}  // namespace kiln
