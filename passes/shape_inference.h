// Shape and type inference for a whole model: every value of every graph gets an element type and
// a (possibly symbolic) shape, or a recorded reason why not. Standard ops use onnx's schema
// functions (ir/schema_inference.h) with partial data propagation; kiln-domain ops are inferred
// as the standard op they extend. Types the model declares are merged with inferred ones.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/schema_inference.h"
#include "ir/status.h"

namespace kiln {

class ShapeInference {
 public:
  // Walks every graph in topological order, updating Value::type. Inference failures are not
  // errors: they leave the values untyped, with the reason recorded.
  Status Run(Model& model);

  // The inferencer that walked `g` (for partial values), or nullptr.
  SchemaInferencer* For(const Graph* g) const;
  int values_typed() const { return typed_; }
  // "value 'x' (graph g): reason" for every value left without a tensor shape or type.
  const std::vector<std::string>& untyped() const { return untyped_; }

 private:
  Status Walk(const Model& model, Graph& g, const std::vector<const Graph*>& scopes);
  std::map<const Graph*, std::unique_ptr<SchemaInferencer>> inferencers_;
  int typed_ = 0;
  std::vector<std::string> untyped_;
};

// Merges an inferred type into a declared one: inferred facts win where the declared type is
// unknown; known declared dims and named symbols are kept where inference has none.
TypeInfo MergeTypes(const TypeInfo& declared, const TypeInfo& inferred);

}  // namespace kiln
