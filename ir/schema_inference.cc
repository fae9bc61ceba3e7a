// SchemaInferencer: see schema_inference.h. Wraps onnx's per-node InferenceContextImpl and
// DataPropagationContextImpl; kiln keeps its own maps of known types, small constants and
// propagated shape values across the nodes of a walk.
#include "ir/schema_inference.h"

#include <exception>
#include <unordered_map>

#include "ir/onnx_convert.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "onnx/defs/schema.h"
#include "onnx/shape_inference/implementation.h"
#pragma GCC diagnostic pop

namespace kiln {

namespace si = onnx::shape_inference;

namespace {
// Constants larger than this are not handed to inference functions (they only read small ones:
// shapes, axes, pads, scales).
constexpr int64_t kMaxConstantElements = 1 << 16;
}  // namespace

struct SchemaInferencer::Impl {
  std::unordered_map<std::string, int> opsets;
  int64_t ir_version = 0;
  std::unordered_map<std::string, std::unique_ptr<onnx::TypeProto>> owned_types;
  std::unordered_map<std::string, onnx::TypeProto*> types;
  std::unordered_map<std::string, std::unique_ptr<onnx::TensorProto>> owned_data;
  std::unordered_map<std::string, const onnx::TensorProto*> data;
  si::DataValueMap generated;
  si::SymbolTableImpl symbols;

  void Put(const std::string& name, const onnx::TypeProto& tp) {
    auto& slot = owned_types[name];
    if (!slot) slot = std::make_unique<onnx::TypeProto>();
    *slot = tp;
    types[name] = slot.get();
  }
};

SchemaInferencer::SchemaInferencer(const std::map<std::string, int64_t>& opsets, int64_t ir_version)
    : impl_(std::make_unique<Impl>()) {
  for (const auto& [d, v] : opsets) impl_->opsets[d] = static_cast<int>(v);
  impl_->ir_version = ir_version;
}

SchemaInferencer::~SchemaInferencer() = default;

void SchemaInferencer::SetType(const std::string& name, const TypeInfo& type) {
  if (name.empty() || type.kind == TypeInfo::Kind::kUnknown) return;
  onnx::TypeProto tp;
  ExportType(type, &tp);
  impl_->Put(name, tp);
}

void SchemaInferencer::SetConstant(const std::string& name, const Tensor& t) {
  if (name.empty() || !t.defined() || t.numel() > kMaxConstantElements) return;
  auto tp = std::make_unique<onnx::TensorProto>();
  if (!ExportTensor(t, name, tp.get()).ok()) return;
  impl_->data[name] = tp.get();
  impl_->owned_data[name] = std::move(tp);
}

StatusOr<std::vector<TypeInfo>> SchemaInferencer::Infer(const Graph& graph, const Node& node) {
  Impl& im = *impl_;
  std::string domain = node.domain == "ai.onnx" ? "" : node.domain;
  const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(node.op_type, node.opset, domain);
  if (schema == nullptr) {
    return Unsupported("node " + node.Describe() + ": onnx has no schema for this op and opset");
  }
  std::vector<TypeInfo> result(node.outputs.size());
  if (!schema->has_type_and_shape_inference_function()) return result;

  onnx::NodeProto np;
  KILN_RETURN_IF_ERROR(ExportNode(graph, node, &np));
  onnx::ShapeInferenceOptions options(/*check_type=*/false, /*error_mode=*/0,
                                      /*data_prop=*/true);
  std::unique_ptr<si::GraphInferenceContext> gctx;
  if (!node.Subgraphs().empty()) {
    gctx = std::make_unique<si::GraphInferenceContext>(
        im.types, im.opsets, &im.symbols, si::ModelLocalFunctionsMap{},
        onnx::OpSchemaRegistry::Instance(), &im.generated, im.ir_version);
  }
  si::InferenceContextImpl ctx(np, im.types, im.data, {}, options, &im.generated, gctx.get());
  try {
    schema->GetTypeAndShapeInferenceFunction()(ctx);
  } catch (const std::exception& e) {
    return InvalidModel("node " + node.Describe() + ": " + e.what());
  }
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    if (node.outputs[i] == kNoValue) continue;
    onnx::TypeProto* tp = ctx.getOutputType(i);
    if (tp == nullptr || tp->value_case() == onnx::TypeProto::VALUE_NOT_SET) continue;
    try {
      si::MaterializeSymbolicShape(tp, im.symbols);
    } catch (const std::exception&) {
    }
    auto t = TypeFromProto(*tp, "node " + node.Describe());
    if (!t.ok()) continue;
    result[i] = std::move(t).value();
    im.Put(graph.value(node.outputs[i]).name, *tp);
  }
  if (schema->has_data_propagation_function()) {
    si::DataPropagationContextImpl dctx(np, im.types, im.data, im.generated);
    try {
      schema->GetDataPropagationFunction()(dctx);
    } catch (const std::exception&) {
      // Propagation is best effort: a failure only means the value stays unknown.
    }
  }
  return result;
}

bool SchemaInferencer::PartialValue(const std::string& name, std::vector<Dim>* dims) const {
  auto it = impl_->generated.find(name);
  if (it == impl_->generated.end()) return false;
  dims->clear();
  for (const auto& d : it->second.dim()) {
    if (d.has_dim_value()) {
      dims->push_back(Dim::Known(d.dim_value()));
    } else if (d.has_dim_param()) {
      dims->push_back(Dim::Symbol(d.dim_param()));
    } else {
      dims->push_back(Dim{});
    }
  }
  return true;
}

}  // namespace kiln
