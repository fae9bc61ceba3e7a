// Test support (the kiln_test_support library, linked by the unit tests only): run one node
// through a Session, the way kernel tests and CPU-versus-CUDA parity tests do.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/status.h"
#include "ir/tensor.h"
#include "runtime/session.h"

namespace kiln {

// Runs one node on CPU without the optimizer: a convenience for kernel tests. Builds a model with
// one node of `op_type` (domain ai.onnx unless `domain` is set) at `opset`, graph inputs "in0",
// "in1", ... (an undefined Tensor in `inputs` is an omitted optional input) and `num_outputs`
// outputs.
StatusOr<std::vector<AnyValue>> RunSingleNode(const std::string& op_type, int opset,
                                              const std::vector<Tensor>& inputs,
                                              const std::vector<Attribute>& attributes,
                                              int num_outputs = 1, const std::string& domain = "");
// As RunSingleNode, with the devices, placement and registry of `options` (its optimization level
// is forced to 0): device kernel tests, CUDA-versus-CPU parity.
StatusOr<std::vector<AnyValue>> RunSingleNodeWith(const SessionOptions& options,
                                                  const std::string& op_type, int opset,
                                                  const std::vector<Tensor>& inputs,
                                                  const std::vector<Attribute>& attributes,
                                                  int num_outputs = 1,
                                                  const std::string& domain = "");

}  // namespace kiln
