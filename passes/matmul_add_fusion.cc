// matmul-add-fusion: MatMul(A, B) -> Add(., C) becomes Gemm(A, B, C) when A and B are 2-D.
// Fires when: the model's opset is at least 7 (Gemm's C broadcasts), A and B have known rank 2,
// the product is read only by the Add and is not pinned, the element type is float, double or
// float16, and C's shape is known and broadcasts to [M, N] one way: [N], [1|M, 1|N] or a scalar.
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace kiln {
namespace {

bool DimIs(const Dim& d, const Dim& want) {
  if (d.known() && d.value == 1) return true;
  if (d.known() && want.known()) return d.value == want.value;
  return !d.known() && !want.known() && !d.symbol.empty() && d.symbol == want.symbol;
}

class MatMulAddFusion : public Pass {
 public:
  std::string name() const override { return "matmul-add-fusion"; }
  int level() const override { return 2; }

  StatusOr<int> Run(Graph& g, PassContext& ctx) override {
    int rewrites = 0;
    const size_t n = g.nodes().size();
    for (size_t i = 0; i < n; ++i) {
      const Node& mm = g.node(static_cast<int>(i));
      if (mm.removed || mm.op_type != "MatMul" || !IsStd(mm) || mm.opset < 7) continue;
      if (mm.inputs.size() != 2 || mm.outputs.size() != 1) continue;
      const int a = mm.inputs[0], b = mm.inputs[1], y = mm.outputs[0];
      if (Rank(g, a) != 2 || Rank(g, b) != 2 || Rank(g, y) != 2) continue;
      DataType dt = ElemType(g, y);
      if (dt != DataType::kFloat && dt != DataType::kDouble && dt != DataType::kFloat16) continue;
      const int add_id = SoleConsumer(g, ctx, y);
      if (add_id < 0) continue;
      const Node& add = g.node(add_id);
      if (add.op_type != "Add" || !IsStd(add) || add.opset < 7 || add.inputs.size() != 2) continue;
      const int c = add.inputs[0] == y ? add.inputs[1] : add.inputs[0];
      if (c == y || ElemType(g, c) != dt || Rank(g, c) < 0 || Rank(g, c) > 2) continue;
      const std::vector<Dim>& out = g.value(y).type.shape->dims;
      const std::vector<Dim>& cd = g.value(c).type.shape->dims;
      bool ok = cd.size() == 0 || (cd.size() == 1 && DimIs(cd[0], out[1])) ||
                (cd.size() == 2 && DimIs(cd[0], out[0]) && DimIs(cd[1], out[1]));
      if (!ok || !ctx.HasKernel("", "Gemm", mm.opset)) continue;
      const int z = add.outputs[0];
      const std::string name = mm.name;
      const int opset = mm.opset;
      g.RemoveNode(add_id);
      g.RemoveNode(mm.id);
      AddNodeTo(g, name, "Gemm", "", opset, {a, b, c}, {z}, {});
      ++rewrites;
    }
    return rewrites;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeMatMulAddFusion() { return std::make_unique<MatMulAddFusion>(); }

}  // namespace kiln
