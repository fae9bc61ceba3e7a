// The pass interface. A pass is an IR -> IR transform of one graph (the main graph or a nested
// subgraph; the pipeline calls it on each) that returns how many rewrites it made. Passes never
// link kernels: constant folding evaluates through the evaluator the runtime puts in the context,
// and fusions that create kiln-domain ops ask `has_kernel` first.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/onnx_io.h"
#include "ir/schema_inference.h"
#include "ir/status.h"

namespace kiln {

// Runs one node on constant inputs (a null pointer is an omitted optional input) and
// returns its tensor outputs.
using NodeEvaluator = std::function<StatusOr<std::vector<Tensor>>(
    const Graph& graph, const Node& node, const std::vector<const Tensor*>& inputs)>;

struct PassContext {
  const Model* model = nullptr;
  NodeEvaluator evaluator;  // empty: constant folding does nothing
  KernelQuery has_kernel;   // empty: every op counts as runnable
  // Whether passes may emit ops that only kiln runs (domain "kiln", or a standard op at an opset
  // newer than the model imports). Off for `kiln optimize`, whose output must stay portable.
  bool allow_kiln_ops = true;
  // Whether the session runs on the CPU alone, so passes may pick the CPU kernels' layouts
  // (layout-propagation's channels-last tensors). Off for `kiln optimize` and device sessions.
  bool cpu_layouts = false;
  // Constant folding keeps an output only if it is at most this many bytes, or no larger than its
  // inputs together.
  int64_t max_fold_bytes = 16 << 20;

  // Facts about the graph being rewritten, refreshed by the pipeline before each pass.
  const std::set<std::string>* captured = nullptr;  // names nested subgraphs read
  SchemaInferencer* inference = nullptr;            // partial values of shape computations
  std::vector<std::string>* notes = nullptr;        // messages for the report

  // The model's ai.onnx opset.
  int64_t OnnxOpset() const { return model ? model->OpsetFor("") : 0; }
  bool HasKernel(const std::string& domain, const std::string& op, int64_t opset) const {
    return !has_kernel || has_kernel(domain, op, opset);
  }
  void Note(std::string s) const {
    if (notes) notes->push_back(std::move(s));
  }
};

class Pass {
 public:
  virtual ~Pass() = default;
  virtual std::string name() const = 0;  // kebab-case, e.g. "conv-bn-fusion"
  virtual int level() const = 0;         // 1 basic clean-ups, 2 fusions, 3 kiln-only fusions
  virtual StatusOr<int> Run(Graph& graph, PassContext& ctx) = 0;
};

// Every pass of the pipeline in the order it runs (defined in pipeline.cc).
std::vector<std::unique_ptr<Pass>> AllPasses();

}  // namespace kiln
