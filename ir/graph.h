// kiln's IR: models, graphs, nodes, values and attributes, independent of protobuf.
//
// The graph is SSA: every Value has at most one producer (a node, or none for graph inputs,
// initializers and outer-scope references) and a use list that Graph's mutation API keeps in sync.
// Nodes and values live in vectors addressed by integer ids; passes remove nodes by marking them
// and Compact() renumbers both densely afterwards. Subgraphs
// (If/Loop/Scan bodies) are Graphs owned by attributes; a value a subgraph reads from an enclosing
// graph appears in the subgraph as a Value with `outer_scope` set, resolved by name at run time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/dtype.h"
#include "ir/status.h"
#include "ir/tensor.h"

namespace kiln {

// One dimension: a known size, a named symbol ("batch"), or unknown.
struct Dim {
  int64_t value = -1;  // >= 0 when known
  std::string symbol;  // non-empty for a named symbolic dim
  static Dim Known(int64_t v) { return Dim{v, {}}; }
  static Dim Symbol(std::string s) { return Dim{-1, std::move(s)}; }
  bool known() const { return value >= 0; }
  std::string ToString() const;  // "3", "batch", "?"
};

struct Shape {
  std::vector<Dim> dims;
  std::string ToString() const;  // "[batch,3,224,224]"
};

// A value's type: a tensor (element type and optional shape), a sequence or optional of another
// type, or a map.
struct TypeInfo {
  enum class Kind { kUnknown, kTensor, kSparseTensor, kSequence, kOptional, kMap };
  Kind kind = Kind::kUnknown;
  DataType elem_type = DataType::kUndefined;  // tensors; key type for maps
  std::optional<Shape> shape;                 // tensors: absent when the rank is unknown
  std::shared_ptr<TypeInfo> inner;            // sequence / optional element; map value

  static TypeInfo Tensor(DataType t, std::optional<Shape> s = std::nullopt) {
    TypeInfo ti;
    ti.kind = Kind::kTensor;
    ti.elem_type = t;
    ti.shape = std::move(s);
    return ti;
  }
  static TypeInfo Sequence(const TypeInfo& element) { return Wrap(Kind::kSequence, element); }
  static TypeInfo Optional(const TypeInfo& element) { return Wrap(Kind::kOptional, element); }
  // map(key, value): values are scalars of `value` (the form every map-using op has).
  static TypeInfo Map(DataType key, DataType value) {
    TypeInfo ti = Wrap(Kind::kMap, Tensor(value));
    ti.elem_type = key;
    return ti;
  }
  bool is_tensor() const { return kind == Kind::kTensor; }
  std::string ToString() const;  // "float[N,3]", "seq(float[?])", "optional(int64)"

 private:
  static TypeInfo Wrap(Kind k, const TypeInfo& element) {
    TypeInfo ti;
    ti.kind = k;
    ti.inner = std::make_shared<TypeInfo>(element);
    return ti;
  }
};

class Graph;

enum class AttrType {
  kUndefined = 0,
  kFloat = 1,
  kInt = 2,
  kString = 3,
  kTensor = 4,
  kGraph = 5,
  kFloats = 6,
  kInts = 7,
  kStrings = 8,
  kTensors = 9,
  kGraphs = 10,
  kSparseTensor = 11,
  kSparseTensors = 12,
  kTypeProto = 13,
  kTypeProtos = 14,
};
const char* AttrTypeName(AttrType t);

struct Attribute {
  std::string name;
  AttrType type = AttrType::kUndefined;
  std::string ref_attr_name;  // inside functions: refers to an attribute of the calling node
  float f = 0;
  int64_t i = 0;
  std::string s;
  Tensor t;
  std::shared_ptr<Graph> g;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<Tensor> tensors;
  std::vector<std::shared_ptr<Graph>> graphs;
  TypeInfo tp;
  std::vector<TypeInfo> tps;
};

constexpr int kNoValue = -1;  // an omitted optional input or output

struct Node {
  int id = -1;
  std::string name;
  std::string op_type;
  std::string domain;        // "" is ai.onnx
  int opset = 0;             // the domain's version imported by the model
  std::vector<int> inputs;   // value ids; kNoValue for an omitted optional input
  std::vector<int> outputs;  // value ids; kNoValue for an omitted optional output
  std::vector<Attribute> attributes;
  std::string doc_string;
  bool removed = false;  // set by Graph::RemoveNode; Graph::Compact drops the node

  const Attribute* FindAttribute(const std::string& attr_name) const;
  Attribute* FindAttribute(const std::string& attr_name);
  // The subgraphs held by this node's attributes (If branches, Loop/Scan bodies, ...).
  std::vector<Graph*> Subgraphs() const;
  // "'conv1' (Conv, opset 13)" or "#3 (Conv, opset 13)" when unnamed; domain shown if not ai.onnx.
  std::string Describe() const;
};

struct Value {
  int id = -1;
  std::string name;
  TypeInfo type;
  int producer = -1;      // node id; -1 for inputs, initializers, outer-scope values
  std::vector<int> uses;  // node ids reading this value, in insertion order (may repeat)
  bool is_graph_input = false;
  bool is_initializer = false;
  bool outer_scope = false;  // defined in an enclosing graph
};

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  std::string name;
  std::string doc_string;

  // Adds a value named `name` (names are unique within a graph; "" is allowed for anonymous ones).
  StatusOr<int> AddValue(const std::string& value_name, TypeInfo type = {});
  // Finds a value by name; -1 if absent.
  int FindValue(const std::string& value_name) const;
  // Gives value `id` the name `new_name`, which no other value of this graph may have. Subgraphs
  // that read the old name from the outer scope are not updated.
  Status RenameValue(int id, const std::string& new_name);
  // A value name not used in this graph, built from `prefix`.
  std::string UniqueName(const std::string& prefix) const;
  // Adds a new initializer value named UniqueName(prefix) holding `t`; returns its id.
  int AddInitializer(const std::string& prefix, Tensor t);
  // Adds a node; its input and output value ids must exist. Sets producers and uses.
  StatusOr<int> AddNode(Node node);
  // Marks a value as a graph input / output, or attaches an initializer.
  void AddInput(int value_id);
  void RemoveInput(int value_id);
  void AddOutput(int value_id) { outputs_.push_back(value_id); }
  void SetInitializer(int value_id, Tensor t);
  // Detaches an initializer from its value (the value then has no definition).
  void RemoveInitializer(int value_id);

  // --- Mutation for passes. Use lists stay sorted by node id. Removed nodes keep their id until
  // Compact(); every reader of the graph outside a pass sees a compacted graph.
  // Detaches a node from its inputs and outputs (the outputs then have no producer).
  void RemoveNode(int node_id);
  // Makes input `index` of a node read `value_id` (or kNoValue).
  void SetNodeInput(int node_id, size_t index, int value_id);
  // Makes output `index` of a node write `value_id`, which must have no other definition.
  void SetNodeOutput(int node_id, size_t index, int value_id);
  // Makes every node that reads `from` read `to` instead. Graph outputs are not touched.
  void ReplaceUses(int from, int to);
  // Replaces graph output `from` (every occurrence) by `to`.
  void ReplaceOutput(int from, int to);
  bool IsOutput(int value_id) const;
  // Drops removed nodes and values nothing refers to, renumbering ids densely (order kept).
  void Compact();
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<Value>& values() const { return values_; }
  const Node& node(int id) const { return nodes_[id]; }
  Node& mutable_node(int id) { return nodes_[id]; }
  const Value& value(int id) const { return values_[id]; }
  Value& mutable_value(int id) { return values_[id]; }
  const std::vector<int>& inputs() const { return inputs_; }
  const std::vector<int>& outputs() const { return outputs_; }
  const std::map<int, Tensor>& initializers() const { return initializers_; }
  const Tensor* initializer(int value_id) const;

  // Node ids in a deterministic topological order (Kahn's algorithm, ties broken by node id), or
  // an error naming a node on a cycle.
  StatusOr<std::vector<int>> TopologicalOrder() const;
  // Checks every invariant: ids in range, one producer per value, use lists in sync, values read
  // before definition, outputs defined, no cycles. Recurses into subgraphs.
  Status Verify() const;
  // Number of nodes, including those of nested subgraphs.
  int64_t CountNodesRecursive() const;
  // Number of live (not removed) nodes of this graph.
  int64_t CountNodes() const;
  // Names of this graph's values that nested subgraphs read as outer-scope values.
  std::vector<std::string> CapturedNames() const;

 private:
  std::vector<Node> nodes_;
  std::vector<Value> values_;
  std::vector<int> inputs_;
  std::vector<int> outputs_;
  std::map<int, Tensor> initializers_;
  std::unordered_map<std::string, int> by_name_;
};

// A model-local function (FunctionProto).
struct Function {
  std::string name;
  std::string domain;
  std::string overload;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<std::string> attributes;        // attribute names without defaults
  std::vector<Attribute> attribute_defaults;  // attributes with defaults
  std::map<std::string, int64_t> opset_imports;
  // The body, as a graph whose inputs and outputs are the function's formal parameters.
  std::shared_ptr<Graph> body;
};

// Attribute builders (passes, tests, tools).
Attribute IntAttr(const std::string& name, int64_t v);
Attribute FloatAttr(const std::string& name, float v);
Attribute StringAttr(const std::string& name, const std::string& v);
Attribute IntsAttr(const std::string& name, std::vector<int64_t> v);
Attribute FloatsAttr(const std::string& name, std::vector<float> v);
Attribute StringsAttr(const std::string& name, std::vector<std::string> v);
Attribute TensorAttr(const std::string& name, Tensor t);

struct Model {
  int64_t ir_version = 0;
  std::string producer_name;
  std::string producer_version;
  std::string domain;
  int64_t model_version = 0;
  bool has_model_version = false;  // the file sets model_version (ONNX Runtime reports it only then)
  std::string doc_string;
  std::map<std::string, int64_t> opset_imports;  // "" is ai.onnx
  std::vector<std::pair<std::string, std::string>> metadata;
  std::unique_ptr<Graph> graph;
  std::vector<Function> functions;

  // The imported version of `domain` ("ai.onnx" and "" are the same); 0 when not imported.
  int64_t OpsetFor(const std::string& domain) const;
};

}  // namespace kiln
