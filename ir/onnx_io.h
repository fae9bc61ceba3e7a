// ONNX import and export: ModelProto <-> kiln IR, TensorProto/SequenceProto/MapProto/OptionalProto
// <-> values.
// These are the only files that see protobuf types.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/status.h"
#include "ir/tensor.h"

namespace kiln {

// Newest opset of each standard domain that this build knows (from the pinned onnx release).
constexpr int64_t kMaxOnnxOpset = 28;
constexpr int64_t kMaxOnnxMlOpset = 5;

// Whether the runtime has a kernel for (domain, op type, opset); domain "" is ai.onnx.
using KernelQuery =
    std::function<bool(const std::string& domain, const std::string& op_type, int64_t opset)>;

struct ImportOptions {
  // Run onnx's model checker before importing.
  bool check = true;
  // Calls of function-defined ops (Gelu, LayerNormalization at some opsets, ...) for which this
  // returns false are replaced by the op's function body from onnx's schemas. Model-local
  // functions are always inlined. Unset: no schema function is inlined.
  KernelQuery has_kernel;
};

// Reads and imports an ONNX model file. External data files are read relative to the model's
// folder; paths that escape it (absolute, or with "..") are rejected.
StatusOr<Model> LoadModel(const std::string& path, const ImportOptions& options = {});
// Imports a serialized ModelProto. `base_dir` is where external data lives ("" disallows external
// data); `label` names the model in errors (usually its path).
StatusOr<Model> ParseModel(const std::string& bytes, const std::string& base_dir,
                           const std::string& label, const ImportOptions& options = {});

// One operator schema of the pinned onnx release.
struct OnnxSchemaInfo {
  std::string domain;  // "" is ai.onnx
  std::string op_type;
  int since_version = 0;
  bool deprecated = false;
  bool has_function = false;  // defined by a function body (kiln can inline it)
};
// Every schema version of every domain the onnx library registers.
std::vector<OnnxSchemaInfo> ListOnnxSchemas();

// Serializes an IR model back to a ModelProto (initializers inline).
StatusOr<std::string> SerializeModel(const Model& model);
// Writes an IR model to `path`. Initializers of the main graph of at least
// `external_threshold_bytes` go to one external data file beside it, named after the model file
// with ".data" appended (a negative threshold keeps everything inline).
Status SaveModel(const Model& model, const std::string& path, int64_t external_threshold_bytes);

// Decodes a serialized TensorProto (e.g. a backend test's input_0.pb).
StatusOr<Tensor> ParseTensor(const std::string& bytes, const std::string& label);
// Encodes a tensor as a serialized TensorProto.
StatusOr<std::string> SerializeTensor(const Tensor& t, const std::string& name);

// Decodes a serialized value: a TensorProto, SequenceProto, MapProto or OptionalProto, chosen by
// `type` (a tensor when the type is unknown); `type` also types empty sequences and maps. Map
// values must be scalars (see AnyValue); a MapProto stores them as a SequenceProto of one tensor
// per key, as onnx.numpy_helper.from_dict writes them. `label` prefixes errors.
StatusOr<AnyValue> ParseValue(const std::string& bytes, const TypeInfo& type,
                              const std::string& label);
// Reads a value file (e.g. a backend test's input_0.pb) with ParseValue.
StatusOr<AnyValue> LoadValueFile(const std::string& path, const TypeInfo& type);
// Encodes a value as the proto ParseValue reads back for its type: a TensorProto, a
// SequenceProto, a MapProto (values as one rank-0 tensor per key), or an OptionalProto for a value
// marked optional and for None.
StatusOr<std::string> SerializeValue(const AnyValue& v, const std::string& name);

// Reads a whole file.
StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace kiln
