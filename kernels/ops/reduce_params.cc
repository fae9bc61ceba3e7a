#include "kernels/ops/reduce_params.h"

#include <algorithm>

#include "kernels/ops/common.h"

namespace kiln::ops {

ReduceAttrs ReadReduceAttrs(const KernelInfo& info, int axes_input_since) {
  ReduceAttrs a;
  a.axes_input_since = axes_input_since;
  a.keepdims = info.GetInt("keepdims", 1) != 0;
  a.noop_with_empty_axes = info.GetInt("noop_with_empty_axes", 0) != 0;
  a.has_axes_attr = info.HasAttr("axes");
  a.axes_attr = info.GetInts("axes");
  return a;
}

StatusOr<ReducePlan> PlanReduce(const KernelContext& ctx, const ReduceAttrs& attrs,
                                const Tensor& x) {
  const int rank = x.rank();
  std::vector<int64_t> axes = attrs.axes_attr;
  if (!attrs.has_axes_attr && ctx.opset() >= attrs.axes_input_since && ctx.has_input(1)) {
    const Tensor* t = ctx.Input(1);
    if (t == nullptr || t->rank() > 1) {
      return ctx.InvalidArgument("input 'axes' must be a 1-D int64 tensor");
    }
    if (t->dtype() == DataType::kInt64) {
      axes.assign(t->data<int64_t>(), t->data<int64_t>() + t->numel());
    } else if (t->dtype() == DataType::kInt32) {
      axes.assign(t->data<int32_t>(), t->data<int32_t>() + t->numel());
    } else {
      return ctx.InvalidArgument(std::string("input 'axes' must be int64, got ") +
                                 DataTypeName(t->dtype()));
    }
  }
  ReducePlan p;
  p.reduced.assign(rank, false);
  if (axes.empty()) {
    // noop_with_empty_axes exists only where axes is an input.
    const bool noop = attrs.noop_with_empty_axes && ctx.opset() >= attrs.axes_input_since;
    if (!noop) std::fill(p.reduced.begin(), p.reduced.end(), true);
  } else {
    for (int64_t a : axes) {
      if (a < -rank || a >= rank) {
        return ctx.InvalidArgument("axis " + std::to_string(a) + " is out of range for rank " +
                                   std::to_string(rank) + " (input " + DimsToString(x.dims()) +
                                   ")");
      }
      const int n = static_cast<int>(a < 0 ? a + rank : a);
      if (p.reduced[n]) {
        return ctx.InvalidArgument("axis " + std::to_string(a) + " appears more than once");
      }
      p.reduced[n] = true;
    }
  }
  p.kept = x.dims();
  for (int i = 0; i < rank; ++i) {
    if (p.reduced[i]) {
      p.count *= x.dim(i);
      p.kept[i] = 1;
      if (attrs.keepdims) p.out_dims.push_back(1);
    } else {
      p.out_dims.push_back(x.dim(i));
    }
  }
  return p;
}

ArgReduceAttrs ReadArgReduceAttrs(const KernelInfo& info) {
  ArgReduceAttrs a;
  a.axis = info.GetInt("axis", 0);
  a.keepdims = info.GetInt("keepdims", 1) != 0;
  a.select_last_index = info.GetInt("select_last_index", 0) != 0;
  return a;
}

StatusOr<ArgReducePlan> PlanArgReduce(const KernelContext& ctx, const ArgReduceAttrs& attrs,
                                      bool is_max, const Tensor& x) {
  const int rank = x.rank();
  if (rank == 0) return ctx.InvalidArgument("input must have rank >= 1, got a scalar");
  ArgReducePlan p;
  KILN_ASSIGN_OR_RETURN(p.axis, NormalizeAxis(attrs.axis, rank, ctx.node()));
  const std::vector<int64_t>& d = x.dims();
  p.outer = ProductOfDims(d, 0, p.axis);
  p.n = d[p.axis];
  p.inner = ProductOfDims(d, p.axis + 1, rank);
  for (int i = 0; i < rank; ++i) {
    if (i != p.axis) {
      p.out_dims.push_back(d[i]);
    } else if (attrs.keepdims) {
      p.out_dims.push_back(1);
    }
  }
  if (p.n == 0 && p.outer * p.inner > 0) {
    return ctx.InvalidArgument("cannot take the arg" + std::string(is_max ? "max" : "min") +
                               " of an empty axis " + std::to_string(p.axis) + " (input " +
                               DimsToString(d) + ")");
  }
  return p;
}

void RegisterReduceVersions(KernelRegistry& r, const std::string& op,
                            const std::vector<int>& versions, Device device,
                            const std::function<KernelDef(KernelDef, int)>& decorate,
                            const KernelFactory& factory) {
  for (size_t i = 0; i < versions.size(); ++i) {
    const int end = i + 1 < versions.size() ? versions[i + 1] - 1 : kMaxOpset;
    r.Register(decorate(KernelDef(op).Opsets(versions[i], end).OnDevice(device), versions[i]),
               factory);
  }
}

}  // namespace kiln::ops
