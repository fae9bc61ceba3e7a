// What kiln takes from onnx's C++ library (built from the pinned release's source distribution):
// the model checker, the inliner for function-defined ops and model-local functions, and the list
// of operator schemas for coverage reports (per-node shape inference: schema_inference.cc).
#include "ir/onnx_schemas.h"

#include <algorithm>
#include <exception>
#include <set>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "onnx/checker.h"
#include "onnx/defs/schema.h"
#include "onnx/inliner/inliner.h"
#pragma GCC diagnostic pop

namespace kiln {
namespace {

std::string Domain(const std::string& d) { return d == "ai.onnx" ? "" : d; }

int64_t ImportedVersion(const onnx::ModelProto& mp, const std::string& domain) {
  for (const auto& oi : mp.opset_import()) {
    if (Domain(oi.domain()) == Domain(domain)) return oi.version();
  }
  return 0;
}

// The ops to inline: those the runtime cannot run whose schema at the imported opset defines a
// function body.
class MissingKernelSet : public onnx::inliner::FunctionIdSet {
 public:
  MissingKernelSet(const onnx::ModelProto& mp, const KernelQuery& has_kernel)
      : mp_(mp), has_kernel_(has_kernel) {}
  bool Contains(const std::string& domain, const std::string& name) const override {
    int64_t version = ImportedVersion(mp_, domain);
    return !has_kernel_(Domain(domain), name, version);
  }

 private:
  const onnx::ModelProto& mp_;
  const KernelQuery& has_kernel_;
};

// True if some node of the main graph (the inliner's scope) calls a function op without a kernel.
bool NeedsInlining(const onnx::ModelProto& mp, const KernelQuery& has_kernel) {
  for (const auto& n : mp.graph().node()) {
    std::string d = Domain(n.domain());
    int64_t v = ImportedVersion(mp, d);
    if (has_kernel(d, n.op_type(), v)) continue;
    const auto* schema = onnx::OpSchemaRegistry::Schema(n.op_type(), static_cast<int>(v),
                                                        d.empty() ? onnx::ONNX_DOMAIN : d);
    if (schema != nullptr && (schema->HasFunction() || schema->HasContextDependentFunction())) {
      return true;
    }
  }
  return false;
}

// Gives the main-graph calls that will be inlined every schema attribute default they omit, so
// that attribute references in the function body (e.g. HannWindow's output_datatype) bind.
void AddDefaultAttributes(onnx::ModelProto& mp, const KernelQuery& has_kernel) {
  for (auto& n : *mp.mutable_graph()->mutable_node()) {
    std::string d = Domain(n.domain());
    int64_t v = ImportedVersion(mp, d);
    if (has_kernel(d, n.op_type(), v)) continue;
    const auto* schema = onnx::OpSchemaRegistry::Schema(n.op_type(), static_cast<int>(v),
                                                        d.empty() ? onnx::ONNX_DOMAIN : d);
    if (schema == nullptr) continue;
    std::set<std::string> present;
    for (const auto& a : n.attribute()) present.insert(a.name());
    std::vector<std::string> names;
    for (const auto& [name, attr] : schema->attributes()) {
      if (!present.count(name) && attr.default_value.has_type()) names.push_back(name);
    }
    std::sort(names.begin(), names.end());  // deterministic attribute order
    for (const auto& name : names) {
      auto* a = n.add_attribute();
      *a = schema->attributes().at(name).default_value;
      a->set_name(name);
    }
  }
}

}  // namespace

namespace {

// onnx::checker::check_model on a ModelProto, but with the model's folder set so that external
// data is checked where it lives (onnx's in-memory overload resolves it against the working
// directory).
void CheckModelIn(const onnx::ModelProto& mp, const std::string& model_dir) {
  onnx::checker::CheckerContext ctx;
  ctx.set_model_dir(model_dir);
  if (!mp.ir_version()) fail_check("The model does not have an ir_version set properly.");
  if (mp.ir_version() > onnx::IR_VERSION) {
    fail_check("Your model ir_version ", mp.ir_version(), " is higher than the checker's (",
               onnx::IR_VERSION, ").");
  }
  std::set<std::string> keys;
  for (const auto& entry : mp.metadata_props()) {
    if (!keys.insert(entry.key()).second) fail_check("Your model has duplicate keys in metadata_props.");
  }
  ctx.set_ir_version(static_cast<int>(mp.ir_version()));
  std::unordered_map<std::string, int> opsets;
  for (const auto& oi : mp.opset_import()) opsets[oi.domain()] = static_cast<int>(oi.version());
  if (mp.ir_version() >= 3) {
    if (opsets.empty()) fail_check("model with IR version >= 3 must specify opset_import for ONNX");
  } else if (opsets.empty()) {
    opsets[onnx::ONNX_DOMAIN] = 1;
  } else {
    fail_check("model with IR version < 3 cannot have opset_import specified");
  }
  ctx.set_opset_imports(opsets);
  onnx::checker::LexicalScopeContext lex;
  onnx::checker::check_graph(mp.graph(), ctx, lex);
  if (ctx.get_ir_version() >= 8) onnx::checker::check_model_local_functions(mp, ctx, lex);
}

}  // namespace

Status CheckModelProto(const onnx::ModelProto& mp, const std::string& model_dir,
                       const std::string& label) {
  try {
    CheckModelIn(mp, model_dir.empty() ? model_dir : model_dir + "/");
  } catch (const std::exception& e) {
    std::string msg = e.what();
    // Unknown ops are the session's to report, all of them at once, with their opsets.
    if (msg.rfind("No Op registered for", 0) == 0 || msg.find("No opset import for domain") == 0) {
      return Status::Ok();
    }
    for (char& c : msg) {
      if (c == '\n') c = ' ';
    }
    while (!msg.empty() && msg.back() == ' ') msg.pop_back();
    return InvalidModel(label + ": onnx checker: " + msg);
  }
  return Status::Ok();
}

StatusOr<bool> InlineFunctions(onnx::ModelProto& mp, const KernelQuery& has_kernel,
                               const std::string& label) {
  bool changed = false;
  if (mp.functions_size() > 0) {
    changed = true;
    try {
      onnx::inliner::InlineLocalFunctions(mp, /*convert_version=*/false);
    } catch (const std::exception& e) {
      return InvalidModel(label + ": inlining model-local functions failed: " + e.what());
    }
  }
  if (has_kernel && NeedsInlining(mp, has_kernel)) {
    // Schema functions are an alternative to kernels: when onnx cannot build a body (some
    // context-dependent bodies need types it cannot infer), the model is kept as it was and the
    // ops without kernels are reported as unsupported by the session.
    // The copy kept for that case leaves the weights out: the inliner does not touch them.
    google::protobuf::RepeatedPtrField<onnx::TensorProto> weights;
    weights.Swap(mp.mutable_graph()->mutable_initializer());
    onnx::ModelProto original = mp;
    weights.Swap(mp.mutable_graph()->mutable_initializer());
    try {
      AddDefaultAttributes(mp, has_kernel);
      MissingKernelSet to_inline(mp, has_kernel);
      onnx::inliner::InlineSelectedFunctions(mp, to_inline, nullptr);
      changed = true;
    } catch (const std::exception&) {
      weights.Swap(mp.mutable_graph()->mutable_initializer());
      mp = std::move(original);
      weights.Swap(mp.mutable_graph()->mutable_initializer());
    }
  }
  return changed;
}

std::vector<OnnxSchemaInfo> ListOnnxSchemas() {
  std::vector<OnnxSchemaInfo> out;
  for (const auto& s : onnx::OpSchemaRegistry::get_all_schemas_with_history()) {
    OnnxSchemaInfo info;
    info.domain = Domain(s.domain());
    info.op_type = s.Name();
    info.since_version = s.SinceVersion();
    info.deprecated = s.Deprecated();
    info.has_function = s.HasFunction() || s.HasContextDependentFunction();
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace kiln
