// Bridges to onnx's C++ library: the checker, the function inliner and the operator schemas.
// Internal to ir/ except ListOnnxSchemas (declared in onnx_io.h).
#pragma once

#include <string>

#include "ir/onnx_io.h"
#include "ir/onnx_proto.h"

namespace kiln {

// Runs onnx's model checker (not the full shape-inference check) with external data looked up in
// `model_dir`; errors are InvalidModel. Ops without a schema are left to the session, which lists
// every unsupported op at once.
Status CheckModelProto(const onnx::ModelProto& mp, const std::string& model_dir,
                       const std::string& label);

// Inlines every model-local function, and every call in the main graph of a function-defined op
// that `has_kernel` says the runtime cannot run directly. Returns whether `mp` changed.
StatusOr<bool> InlineFunctions(onnx::ModelProto& mp, const KernelQuery& has_kernel,
                       const std::string& label);

}  // namespace kiln
