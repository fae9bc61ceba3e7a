// Conversions between kiln IR pieces and onnx protobuf messages, shared by the ir/ files that see
// protobuf (import, export, schema inference). Not a public header: nothing outside ir/ includes
// it.
#pragma once

#include <string>

#include "ir/graph.h"
#include "ir/onnx_proto.h"
#include "ir/status.h"
#include "ir/tensor.h"

namespace kiln {

// kiln -> onnx (onnx_export.cc).
Status ExportTensor(const Tensor& t, const std::string& name, onnx::TensorProto* tp);
void ExportType(const TypeInfo& t, onnx::TypeProto* tp);
Status ExportAttribute(const Attribute& a, onnx::AttributeProto* ap);
Status ExportGraph(const Graph& g, onnx::GraphProto* gp);
Status ExportNode(const Graph& g, const Node& n, onnx::NodeProto* np);

// onnx -> kiln (onnx_io.cc). `where` prefixes errors.
StatusOr<TypeInfo> TypeFromProto(const onnx::TypeProto& tp, const std::string& where);
// A tensor with its data inline or in the proto's typed fields (no external data).
StatusOr<Tensor> TensorFromProto(const onnx::TensorProto& tp, const std::string& where);

}  // namespace kiln
