// shape-folding: an integer value whose contents shape inference knows exactly becomes an
// initializer, e.g. Shape of a static tensor, Gather of static dims out of a partially symbolic
// shape ([batch,seq,768][2] = 768), Concat or arithmetic of such values. Readers then use the
// constant; the producing chain dies in dead-code elimination.
// Fires when: the value is an int32/int64 tensor of known rank 0 or 1 that some node reads, is
// not pinned and not already constant, and every element of its propagated value is a known dim.
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace kiln {
namespace {

class ShapeFolding : public Pass {
 public:
  std::string name() const override { return "shape-folding"; }
  int level() const override { return 1; }

  StatusOr<int> Run(Graph& g, PassContext& ctx) override {
    if (ctx.inference == nullptr) return 0;
    int rewrites = 0;
    const size_t n = g.nodes().size();
    for (size_t nid = 0; nid < n; ++nid) {
      const Node& node = g.node(static_cast<int>(nid));
      if (node.removed || node.op_type == "Constant") continue;
      std::vector<int> outs = node.outputs;
      for (int out : outs) {
        if (out == kNoValue || g.value(out).uses.empty() || IsPinned(g, ctx, out)) continue;
        DataType dt = ElemType(g, out);
        int rank = Rank(g, out);
        if ((dt != DataType::kInt64 && dt != DataType::kInt32) || rank < 0 || rank > 1) continue;
        std::vector<Dim> dims;
        if (!ctx.inference->PartialValue(g.value(out).name, &dims)) continue;
        bool all_known = !dims.empty();
        for (const Dim& d : dims) all_known = all_known && d.known();
        if (!all_known) continue;
        Dim len = g.value(out).type.shape->dims.empty() ? Dim::Known(1)
                                                        : g.value(out).type.shape->dims[0];
        if (rank == 0 ? dims.size() != 1 : !(len.known() && len.value == (int64_t)dims.size())) {
          continue;
        }
        std::vector<int64_t> shape;
        if (rank == 1) shape.push_back(static_cast<int64_t>(dims.size()));
        Tensor t = Tensor::Create(dt, shape).value();
        for (size_t i = 0; i < dims.size(); ++i) {
          if (dt == DataType::kInt64) {
            t.data<int64_t>()[i] = dims[i].value;
          } else {
            t.data<int32_t>()[i] = static_cast<int32_t>(dims[i].value);
          }
        }
        int c = g.AddInitializer(g.value(out).name + "_folded", std::move(t));
        g.ReplaceUses(out, c);
        ++rewrites;
      }
    }
    return rewrites;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeShapeFolding() { return std::make_unique<ShapeFolding>(); }

}  // namespace kiln
