#include "passes/shape_inference.h"

namespace kiln {

TypeInfo MergeTypes(const TypeInfo& declared, const TypeInfo& inferred) {
  if (inferred.kind == TypeInfo::Kind::kUnknown) return declared;
  if (declared.kind == TypeInfo::Kind::kUnknown || declared.kind != inferred.kind) return inferred;
  TypeInfo t = declared;
  if (inferred.elem_type != DataType::kUndefined) t.elem_type = inferred.elem_type;
  if (t.kind == TypeInfo::Kind::kSequence || t.kind == TypeInfo::Kind::kOptional ||
      t.kind == TypeInfo::Kind::kMap) {
    if (inferred.inner) {
      t.inner = std::make_shared<TypeInfo>(
          declared.inner ? MergeTypes(*declared.inner, *inferred.inner) : *inferred.inner);
    }
    return t;
  }
  if (!inferred.shape) return t;
  if (!declared.shape || declared.shape->dims.size() != inferred.shape->dims.size()) {
    t.shape = inferred.shape;
    return t;
  }
  for (size_t i = 0; i < t.shape->dims.size(); ++i) {
    Dim& d = t.shape->dims[i];
    const Dim& x = inferred.shape->dims[i];
    if (x.known()) {
      d = x;
    } else if (!d.known() && d.symbol.empty() && !x.symbol.empty()) {
      d = x;
    }
  }
  return t;
}

namespace {

bool FullyTyped(const TypeInfo& t) {
  switch (t.kind) {
    case TypeInfo::Kind::kUnknown:
      return false;
    case TypeInfo::Kind::kTensor:
    case TypeInfo::Kind::kSparseTensor:
      return t.elem_type != DataType::kUndefined && t.shape;
    default:
      return true;
  }
}

// A kiln-domain op viewed as the standard op it extends (its extra inputs and attributes
// dropped), so that onnx's schema infers its outputs.
bool AsStandardOp(const Node& node, Node* std_node) {
  static const std::map<std::string, std::pair<std::string, size_t>> kBase = {
      {"FusedConv", {"Conv", 3}}, {"FusedGemm", {"Gemm", 3}}, {"FusedMatMul", {"MatMul", 2}}};
  auto it = kBase.find(node.op_type);
  if (node.domain != "kiln" || it == kBase.end()) return false;
  // Channels-last FusedConv: its tensors are [N, H, W, C], not Conv's; layout-propagation types
  // them itself.
  if (const Attribute* cl = node.FindAttribute("channels_last"); cl != nullptr && cl->i != 0) {
    return false;
  }
  *std_node = node;
  std_node->domain = "";
  std_node->op_type = it->second.first;
  std_node->opset = 13;
  if (std_node->inputs.size() > it->second.second) std_node->inputs.resize(it->second.second);
  std::vector<Attribute> attrs;
  for (const Attribute& a : node.attributes) {
    if (a.name != "activation" && a.name != "activation_params") attrs.push_back(a);
  }
  std_node->attributes = std::move(attrs);
  return true;
}

}  // namespace

SchemaInferencer* ShapeInference::For(const Graph* g) const {
  auto it = inferencers_.find(g);
  return it == inferencers_.end() ? nullptr : it->second.get();
}

Status ShapeInference::Run(Model& model) {
  inferencers_.clear();
  typed_ = 0;
  untyped_.clear();
  return Walk(model, *model.graph, {});
}

Status ShapeInference::Walk(const Model& model, Graph& g, const std::vector<const Graph*>& scopes) {
  auto owned = std::make_unique<SchemaInferencer>(model.opset_imports, model.ir_version);
  SchemaInferencer& inf = *owned;
  inferencers_[&g] = std::move(owned);
  for (const Value& v : g.values()) {
    Value& mv = g.mutable_value(v.id);
    if (v.outer_scope) {
      for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
        int id = (*it)->FindValue(v.name);
        if (id >= 0) {
          mv.type = MergeTypes(mv.type, (*it)->value(id).type);
          break;
        }
      }
    }
    if (const Tensor* t = g.initializer(v.id)) {
      // An initializer that is also a graph input is a default the caller may override with a
      // tensor of another shape: only its element type is known.
      TypeInfo tt = TypeInfo::Tensor(t->dtype());
      if (!v.is_graph_input) {
        tt.shape = Shape{};
        for (int64_t d : t->dims()) tt.shape->dims.push_back(Dim::Known(d));
        inf.SetConstant(v.name, *t);
      }
      mv.type = MergeTypes(mv.type, tt);
    }
    if (v.outer_scope || v.is_graph_input || v.is_initializer) inf.SetType(v.name, mv.type);
  }
  KILN_ASSIGN_OR_RETURN(std::vector<int> order, g.TopologicalOrder());
  std::vector<const Graph*> inner_scopes = scopes;
  inner_scopes.push_back(&g);
  for (int nid : order) {
    const Node& node = g.node(nid);
    Node std_node;
    StatusOr<std::vector<TypeInfo>> inferred =
        AsStandardOp(node, &std_node) ? inf.Infer(g, std_node) : inf.Infer(g, node);
    std::string reason;
    if (!inferred.ok()) {
      reason = inferred.status().message();
    } else {
      for (int in : node.inputs) {
        if (in != kNoValue && !FullyTyped(g.value(in).type)) {
          reason = "input '" + g.value(in).name + "' of node " + node.Describe() +
                   " has no known type or shape";
          break;
        }
      }
      if (reason.empty()) reason = "onnx's inference of node " + node.Describe() + " gives none";
    }
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      int out = node.outputs[i];
      if (out == kNoValue) continue;
      Value& v = g.mutable_value(out);
      if (inferred.ok()) {
        v.type = MergeTypes(v.type, (*inferred)[i]);
        inf.SetType(v.name, v.type);
      }
      if (FullyTyped(v.type)) {
        ++typed_;
      } else {
        untyped_.push_back("value '" + v.name + "' (graph '" + g.name + "'): " + reason);
      }
    }
    for (Graph* sub : node.Subgraphs()) KILN_RETURN_IF_ERROR(Walk(model, *sub, inner_scopes));
  }
  return Status::Ok();
}

}  // namespace kiln
