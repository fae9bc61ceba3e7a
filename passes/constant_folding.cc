// constant-folding: a node whose inputs are all constants (initializers that are not graph
// inputs; or no inputs, like Constant) is replaced by initializers holding its outputs, computed
// by the runtime's kernels through PassContext::evaluator.
// Fires when: the op is deterministic (no Random*, Multinomial, Bernoulli, Dropout), has no
// subgraph, is in ai.onnx, ai.onnx.ml or kiln, no output is a graph output, every output is a
// tensor, the evaluation succeeds (a failing node is left for the run to report), and each output
// is at most max_fold_bytes or no larger than the inputs together (so ConstantOfShape, Expand,
// Tile or Range never inflate the model).
#include <algorithm>
#include <limits>

#include "ir/op_facts.h"
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace kiln {
namespace {

bool MayGrow(const std::string& op) {
  return op == "ConstantOfShape" || op == "Expand" || op == "Tile" || op == "Range" ||
         op == "Resize" || op == "Upsample" || op == "Pad" || op == "OneHot" || op == "EyeLike";
}

class ConstantFolding : public Pass {
 public:
  std::string name() const override { return "constant-folding"; }
  int level() const override { return 1; }

  StatusOr<int> Run(Graph& g, PassContext& ctx) override {
    if (!ctx.evaluator) return 0;
    int rewrites = 0;
    KILN_ASSIGN_OR_RETURN(std::vector<int> order, g.TopologicalOrder());
    for (int nid : order) {
      const Node& node = g.node(nid);
      if (!Foldable(g, ctx, node)) continue;
      std::vector<const Tensor*> inputs;
      int64_t input_bytes = 0;
      for (int in : node.inputs) {
        inputs.push_back(in == kNoValue ? nullptr : ConstantOf(g, in));
        if (in != kNoValue) input_bytes += inputs.back()->nbytes();
      }
      // A Constant node only moves its tensor into an initializer.
      const int64_t limit = node.op_type == "Constant"
                                ? std::numeric_limits<int64_t>::max()
                                : std::max<int64_t>(ctx.max_fold_bytes, input_bytes);
      bool too_big = false;
      bool all_known = true;
      for (int out : node.outputs) {
        if (out == kNoValue) continue;
        auto dims = StaticShape(g, out);
        if (!dims) {
          all_known = false;
          continue;
        }
        int64_t bytes = std::max(1, DataTypeBits(ElemType(g, out)) / 8);
        for (int64_t d : *dims) bytes = d > 0 && bytes > limit ? bytes : bytes * d;
        too_big = too_big || bytes > limit;
      }
      if (too_big || (!all_known && MayGrow(node.op_type))) continue;
      auto result = ctx.evaluator(g, node, inputs);
      if (!result.ok() || result->size() != node.outputs.size()) continue;
      bool fits = true;
      for (size_t i = 0; i < node.outputs.size(); ++i) {
        const Tensor& t = (*result)[i];
        if (node.outputs[i] == kNoValue) continue;
        fits = fits && t.defined() && static_cast<int64_t>(t.nbytes()) <= limit;
      }
      if (!fits) continue;
      std::vector<int> outs = node.outputs;
      g.RemoveNode(nid);
      for (size_t i = 0; i < outs.size(); ++i) {
        if (outs[i] == kNoValue) continue;
        Tensor t = std::move((*result)[i]);
        TypeInfo type = TypeInfo::Tensor(t.dtype(), Shape{});
        for (int64_t d : t.dims()) type.shape->dims.push_back(Dim::Known(d));
        g.mutable_value(outs[i]).type = type;
        g.SetInitializer(outs[i], std::move(t));
      }
      ++rewrites;
    }
    return rewrites;
  }

 private:
  static bool Foldable(const Graph& g, const PassContext& ctx, const Node& node) {
    if (!node.domain.empty() && node.domain != "ai.onnx" && node.domain != "ai.onnx.ml" &&
        node.domain != "kiln") {
      return false;
    }
    if (IsNondeterministic(node) || !node.Subgraphs().empty()) return false;
    for (int in : node.inputs) {
      if (in != kNoValue && ConstantOf(g, in) == nullptr) return false;
    }
    for (int out : node.outputs) {
      if (out == kNoValue) continue;
      if (g.IsOutput(out)) return false;
      const TypeInfo& t = g.value(out).type;
      if (t.kind != TypeInfo::Kind::kUnknown && t.kind != TypeInfo::Kind::kTensor) return false;
    }
    (void)ctx;
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeConstantFolding() { return std::make_unique<ConstantFolding>(); }

}  // namespace kiln
