#include "kernels/ops/normalization_params.h"

#include <string>

#include "kernels/ops/common.h"

namespace kiln::ops {
namespace {

bool IsFloatType(DataType dt) {
  return dt == DataType::kFloat || dt == DataType::kDouble || dt == DataType::kFloat16 ||
         dt == DataType::kBFloat16;
}

}  // namespace

Status GetNCSInput(const KernelContext& ctx, const char* name, const Tensor** x, int64_t* n,
                   int64_t* c, int64_t* s) {
  *x = ctx.Input(0);
  if (*x == nullptr) return ctx.InvalidArgument(std::string("input '") + name + "' is missing");
  const Tensor& t = **x;
  if (t.rank() < 2) {
    return ctx.InvalidArgument(std::string("input '") + name +
                               "' must have rank >= 2 ([N, C, ...]), got shape " +
                               DimsToString(t.dims()));
  }
  *n = t.dim(0);
  *c = t.dim(1);
  *s = ProductOfDims(t.dims(), 2, t.rank());
  return Status::Ok();
}

StatusOr<const Tensor*> CountedParam(const KernelContext& ctx, int index, const char* what,
                                     int64_t count) {
  const Tensor* t = ctx.Input(index);
  if (t == nullptr) return ctx.InvalidArgument(std::string("input '") + what + "' is missing");
  if (t->numel() != count) {
    return ctx.InvalidArgument(std::string("input '") + what + "' must have " +
                               std::to_string(count) + " elements (one per channel), got shape " +
                               DimsToString(t->dims()));
  }
  return t;
}

StatusOr<std::vector<int64_t>> FitParamDims(const KernelContext& ctx, const Tensor& t,
                                            const std::vector<int64_t>& target, const char* what) {
  std::vector<int64_t> td = t.dims();
  while (td.size() > target.size() && td.front() == 1) td.erase(td.begin());
  bool fits = td.size() <= target.size();
  for (size_t i = 0; fits && i < td.size(); ++i) {
    const int64_t want = target[target.size() - td.size() + i];
    fits = td[i] == want || td[i] == 1;
  }
  if (!fits) {
    return ctx.InvalidArgument(std::string("input '") + what + "' of shape " +
                               DimsToString(t.dims()) + " cannot be broadcast to " +
                               DimsToString(target));
  }
  return td;
}

BatchNormAttrs ReadBatchNormAttrs(const KernelInfo& info) {
  BatchNormAttrs a;
  a.epsilon = info.GetFloat("epsilon", 1e-5f);
  a.momentum = info.GetFloat("momentum", 0.9f);
  const int opset = info.opset();
  if (opset >= 14) {
    a.training = info.GetInt("training_mode", 0) != 0;
  } else {
    // Before 14, training mode is signalled by the extra outputs (and is_test = 0 before 7).
    const bool is_test = opset < 7 ? info.GetInt("is_test", 0) != 0 : false;
    a.training = !is_test && info.has_output(1);
  }
  a.spatial = opset < 9 ? info.GetInt("spatial", 1) != 0 : true;
  return a;
}

const char* const kBatchNormParamNames[4] = {"scale", "B", "mean", "var"};

StatusOr<const Tensor*> BatchNormParam(const KernelContext& ctx, const Tensor& x, int i,
                                       int64_t per) {
  const char* name = kBatchNormParamNames[i];
  const Tensor* t = ctx.Input(i + 1);
  if (t == nullptr) return ctx.InvalidArgument(std::string("input '") + name + "' is missing");
  if (t->numel() != per) {
    return ctx.InvalidArgument(std::string("input '") + name + "' must have " +
                               std::to_string(per) + " elements for X of shape " +
                               DimsToString(x.dims()) + ", got shape " + DimsToString(t->dims()));
  }
  return t;
}

GroupNormAttrs ReadGroupNormAttrs(const KernelInfo& info) {
  GroupNormAttrs a;
  a.epsilon = info.GetFloat("epsilon", 1e-5f);
  a.num_groups = info.GetInt("num_groups", 0);
  return a;
}

StatusOr<GroupNormPlan> PlanGroupNorm(const KernelContext& ctx, const GroupNormAttrs& attrs,
                                      int64_t c) {
  const int64_t g = attrs.num_groups;
  if (g <= 0 || c % g != 0) {
    return ctx.InvalidArgument("num_groups " + std::to_string(g) +
                               " must be positive and divide the channel count " +
                               std::to_string(c));
  }
  const Tensor* st = ctx.Input(1);
  const Tensor* bt = ctx.Input(2);
  if (st == nullptr || bt == nullptr) {
    return ctx.InvalidArgument("inputs 'scale' and 'bias' are required");
  }
  GroupNormPlan p;
  p.groups = g;
  p.per_group = c / g;
  // Opset 18 gives one scale / bias per group, opset 21 one per channel.
  p.per_channel = ctx.opset() >= 21 || st->numel() != g;
  p.param_count = p.per_channel ? c : g;
  return p;
}

RowNormAttrs ReadRowNormAttrs(const KernelInfo& info) {
  RowNormAttrs a;
  a.axis = info.GetInt("axis", -1);
  a.epsilon = info.GetFloat("epsilon", 1e-5f);
  const int64_t stash = info.GetInt("stash_type", 1);
  for (int i = 0; i < 2; ++i) {
    const TypeInfo& t = info.output_type(i + 1);
    a.stat_types[i] = t.is_tensor() && IsFloatType(t.elem_type)
                          ? t.elem_type
                          : (stash == 1 ? DataType::kFloat : DataType::kUndefined);
  }
  return a;
}

StatusOr<RowNormPlan> PlanRowNorm(const KernelContext& ctx, const RowNormAttrs& attrs,
                                  const Tensor& x, const Tensor& scale, const Tensor* bias) {
  const int rank = x.rank();
  if (rank == 0) return ctx.InvalidArgument("input 'X' must have rank >= 1, got a scalar");
  RowNormPlan p;
  KILN_ASSIGN_OR_RETURN(p.axis, NormalizeAxis(attrs.axis, rank, ctx.node()));
  const std::vector<int64_t>& d = x.dims();
  p.rows = ProductOfDims(d, 0, p.axis);
  p.cols = ProductOfDims(d, p.axis, rank);
  p.tail.assign(d.begin() + p.axis, d.end());
  for (const Tensor* t : {&scale, bias}) {
    if (t == nullptr) continue;
    size_t lead = 0;
    while (lead < t->dims().size() && t->dims()[lead] == 1) ++lead;
    if (t->dims().size() - lead > p.tail.size()) p.full = true;
  }
  p.stat_dims.assign(d.begin(), d.begin() + p.axis);
  p.stat_dims.resize(rank, 1);
  return p;
}

LrnAttrs ReadLrnAttrs(const KernelInfo& info) {
  LrnAttrs a;
  a.alpha = info.GetFloat("alpha", 1e-4f);
  a.beta = info.GetFloat("beta", 0.75f);
  a.bias = info.GetFloat("bias", 1.0f);
  a.size = info.GetInt("size", 0);
  return a;
}

Status CheckLrnAttrs(const KernelContext& ctx, const LrnAttrs& attrs) {
  if (attrs.size <= 0) {
    return ctx.InvalidArgument("attribute 'size' must be positive, got " +
                               std::to_string(attrs.size));
  }
  return Status::Ok();
}

}  // namespace kiln::ops
