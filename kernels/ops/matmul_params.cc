#include "kernels/ops/matmul_params.h"

#include <string>

#include "kernels/ops/common.h"

namespace kiln::ops {

Status PlanMatMul(const KernelContext& ctx, const std::vector<int64_t>& ad,
                  const std::vector<int64_t>& bd, MatMulPlan* p) {
  if (ad.empty() || bd.empty()) {
    return ctx.InvalidArgument("MatMul operands must have rank >= 1, got A " + DimsToString(ad) +
                               " and B " + DimsToString(bd));
  }
  std::vector<int64_t> a = ad, b = bd;
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), 1);
  if (b_vec) b.push_back(1);
  p->m = a[a.size() - 2];
  p->k = a[a.size() - 1];
  p->n = b[b.size() - 1];
  if (b[b.size() - 2] != p->k) {
    return ctx.InvalidArgument("MatMul inner dimensions differ: A " + DimsToString(ad) + ", B " +
                               DimsToString(bd));
  }
  p->a_batch.assign(a.begin(), a.end() - 2);
  p->b_batch.assign(b.begin(), b.end() - 2);
  auto bs = BroadcastShapes({p->a_batch, p->b_batch});
  if (!bs.ok()) return ctx.InvalidArgument("MatMul batch dims: " + bs.status().message());
  p->batch_dims = *bs;
  p->batch = ProductOfDims(p->batch_dims, 0, static_cast<int>(p->batch_dims.size()));
  p->out_dims = p->batch_dims;
  if (!a_vec) p->out_dims.push_back(p->m);
  if (!b_vec) p->out_dims.push_back(p->n);
  return Status::Ok();
}

GemmAttrs ReadGemmAttrs(const KernelInfo& info) {
  GemmAttrs g;
  g.trans_a = info.GetInt("transA", 0) != 0;
  g.trans_b = info.GetInt("transB", 0) != 0;
  g.alpha = info.GetFloat("alpha", 1.0f);
  g.beta = info.GetFloat("beta", 1.0f);
  return g;
}

Status CheckGemmInputs(const KernelContext& ctx, const Tensor* a, const Tensor* b,
                       const Tensor* c) {
  if (a == nullptr || b == nullptr) return ctx.InvalidArgument("Gemm needs inputs A and B");
  if (a->rank() != 2 || b->rank() != 2) {
    return ctx.InvalidArgument("Gemm expects 2-D A and B, got " + DimsToString(a->dims()) +
                               " and " + DimsToString(b->dims()));
  }
  if (a->dtype() != b->dtype() || (c != nullptr && c->dtype() != a->dtype())) {
    return ctx.InvalidArgument("Gemm inputs must share one element type");
  }
  return Status::Ok();
}

StatusOr<GemmShape> PlanGemm(const KernelContext& ctx, const GemmAttrs& attrs, const Tensor& a,
                             const Tensor& b, const Tensor* c) {
  const bool trans_a = attrs.trans_a, trans_b = attrs.trans_b;
  GemmShape s;
  s.m = trans_a ? a.dim(1) : a.dim(0);
  s.k = trans_a ? a.dim(0) : a.dim(1);
  const int64_t kb = trans_b ? b.dim(1) : b.dim(0);
  s.n = trans_b ? b.dim(0) : b.dim(1);
  if (s.k != kb) {
    return ctx.InvalidArgument("Gemm inner dimensions differ: A " + DimsToString(a.dims()) +
                               (trans_a ? " (transposed)" : "") + ", B " + DimsToString(b.dims()) +
                               (trans_b ? " (transposed)" : ""));
  }
  s.out_dims = {s.m, s.n};
  s.use_c = c != nullptr && attrs.beta != 0.0f;
  if (c != nullptr) {
    bool ok = c->rank() <= 2;
    for (int i = 0; ok && i < c->rank(); ++i) {
      const int64_t want = s.out_dims[2 - c->rank() + i];
      ok = c->dim(i) == want || c->dim(i) == 1;
    }
    if (!ok) {
      return ctx.InvalidArgument("Gemm: C " + DimsToString(c->dims()) + " cannot be broadcast to " +
                                 DimsToString(s.out_dims));
    }
    if (c->rank() == 2) s.c_rows = c->dim(0);
    if (c->rank() >= 1) s.c_cols = c->dim(c->rank() - 1);
  }
  return s;
}

}  // namespace kiln::ops
