// Per-node type and shape inference through the operator schemas of the pinned onnx release,
// with onnx's partial data propagation for shape tensors (Shape -> Gather -> Concat -> Reshape on
// symbolic dims). passes/shape_inference.cc drives it node by node and adds kiln's own rules.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/status.h"

namespace kiln {

// One inferencer per graph walk; not thread-safe. Values are identified by name (names are
// unique within a graph; nested subgraphs see their enclosing graphs' names).
class SchemaInferencer {
 public:
  // `opsets` are the model's opset imports ("" is ai.onnx).
  explicit SchemaInferencer(const std::map<std::string, int64_t>& opsets, int64_t ir_version);
  ~SchemaInferencer();
  SchemaInferencer(const SchemaInferencer&) = delete;
  SchemaInferencer& operator=(const SchemaInferencer&) = delete;

  // Declares the type of a value visible to later nodes (graph inputs, initializers, outer-scope
  // values). Tensor initializers up to a small size also give their data to inference functions
  // that read constant inputs.
  void SetType(const std::string& name, const TypeInfo& type);
  void SetConstant(const std::string& name, const Tensor& t);

  // Infers the output types of `node` as if it were `op_type` in `domain` at `opset` (normally
  // the node's own). Returns one TypeInfo per output (Kind::kUnknown where onnx infers nothing),
  // records them for later nodes, and runs data propagation. Unsupported: no onnx schema.
  // InvalidModel: the inference function rejected the node (message names it).
  StatusOr<std::vector<TypeInfo>> Infer(const Graph& graph, const Node& node);

  // The statically known value of an integer tensor computed from shapes (each element a known
  // dim, a symbol, or unknown), as propagated so far; false if none.
  bool PartialValue(const std::string& name, std::vector<Dim>* dims) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln
