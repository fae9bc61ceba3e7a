// The pass pipeline: IR -> IR transforms run by every Session before compilation, and by
// `kiln optimize`. Levels: 0 none; 1 basic clean-ups (shape inference, constant folding, shape
// folding, identity and dead-code elimination, common subexpressions); 2 adds the fusions that
// stay standard ONNX (conv-bn, matmul-add -> Gemm, transpose/reshape chains, Gelu and
// LayerNormalization patterns); 3 adds fusions into kiln's own ops (docs/kiln_ops.md).
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/status.h"
#include "passes/pass.h"

namespace kiln {

constexpr int kMaxOptimizationLevel = 3;

struct PassOptions {
  int level = kMaxOptimizationLevel;
  std::vector<std::string> disabled;  // pass names to skip (see PassNames)
  NodeEvaluator evaluator;            // for constant folding (the runtime provides it)
  KernelQuery has_kernel;             // which ops the session's devices can run
  bool allow_kiln_ops = true;         // see PassContext
  bool cpu_layouts = false;           // see PassContext
  bool verify = true;                 // Graph::Verify after every pass that rewrote something
  int max_iterations = 8;             // rounds of the fixpoint loop
};

struct PassReport {
  struct Entry {
    std::string pass;
    int rewrites = 0;
  };
  std::vector<Entry> entries;  // every pass that ran, in pipeline order, rewrites summed
  int iterations = 0;
  int64_t nodes_before = 0;  // including nested subgraphs
  int64_t nodes_after = 0;
  // Shape inference after the last round: how many values got a type, and why others did not.
  int values_typed = 0;
  std::vector<std::string> untyped;  // "value 'x': reason"
  std::vector<std::string> notes;    // e.g. graph inputs nothing reads
  int total() const;
};

// Runs the passes of `options.level` to a fixpoint (or max_iterations rounds). Errors: an unknown
// name in `disabled`; a pass that breaks the graph's invariants (Internal, naming the pass).
StatusOr<PassReport> RunPasses(Model& model, const PassOptions& options);

// Names of every pass (and "shape-inference"), in pipeline order.
std::vector<std::string> PassNames();

}  // namespace kiln
