// ONNX import and export: ModelProto <-> kiln IR, TensorProto/SequenceProto/OptionalProto <-> values.
// These are the only files that see protobuf types.
#pragma once

#include <string>

#include "ir/graph.h"
#include "ir/status.h"
#include "ir/tensor.h"

namespace kiln {

// Newest opset of each standard domain that this build knows (from the pinned onnx release).
constexpr int64_t kMaxOnnxOpset = 28;
constexpr int64_t kMaxOnnxMlOpset = 5;

// Reads and imports an ONNX model file. External data files are read relative to the model's
// folder; paths that escape it (absolute, or with "..") are rejected.
StatusOr<Model> LoadModel(const std::string& path);
// Imports a serialized ModelProto. `base_dir` is where external data lives ("" disallows external
// data); `label` names the model in errors (usually its path).
StatusOr<Model> ParseModel(const std::string& bytes, const std::string& base_dir,
                           const std::string& label);

// Serializes an IR model back to a ModelProto (initializers inline).
StatusOr<std::string> SerializeModel(const Model& model);

// Decodes a serialized TensorProto (e.g. a backend test's input_0.pb).
StatusOr<Tensor> ParseTensor(const std::string& bytes, const std::string& label);
// Encodes a tensor as a serialized TensorProto.
StatusOr<std::string> SerializeTensor(const Tensor& t, const std::string& name);

// Reads a value file: a TensorProto, SequenceProto or OptionalProto, chosen by `type` (a tensor
// when the type is unknown).
StatusOr<AnyValue> LoadValueFile(const std::string& path, const TypeInfo& type);

// Reads a whole file.
StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace kiln
