#include "kernels/ops/elementwise_params.h"

#include <limits>
#include <string>

namespace kiln::ops {

Status GetTensorInput(const KernelContext& ctx, int i, const Tensor** t) {
  *t = ctx.Input(i);
  if (*t == nullptr) return ctx.InvalidArgument("input " + std::to_string(i) + " must be a tensor");
  return Status::Ok();
}

Status GetWhereInputs(const KernelContext& ctx, const Tensor** c, const Tensor** x,
                      const Tensor** y) {
  KILN_RETURN_IF_ERROR(GetTensorInput(ctx, 0, c));
  KILN_RETURN_IF_ERROR(GetTensorInput(ctx, 1, x));
  KILN_RETURN_IF_ERROR(GetTensorInput(ctx, 2, y));
  if ((*c)->dtype() != DataType::kBool) {
    return ctx.InvalidArgument(std::string("condition must be bool, got ") +
                               DataTypeName((*c)->dtype()));
  }
  if ((*x)->dtype() != (*y)->dtype()) {
    return ctx.InvalidArgument(std::string("X and Y must have the same type, got ") +
                               DataTypeName((*x)->dtype()) + " and " + DataTypeName((*y)->dtype()));
  }
  return Status::Ok();
}

ClipAttrs::ClipAttrs(const KernelInfo& info)
    : from_attributes(info.opset() < 11),
      min(info.GetFloat("min", std::numeric_limits<float>::lowest())),
      max(info.GetFloat("max", std::numeric_limits<float>::max())) {}

Status GetClipBoundInputs(const KernelContext& ctx, const Tensor& x, const Tensor* bounds[2]) {
  for (int k = 0; k < 2; ++k) {
    bounds[k] = nullptr;
    if (!ctx.has_input(k + 1)) continue;
    const char* name = k == 0 ? "min" : "max";
    bounds[k] = ctx.Input(k + 1);
    if (bounds[k] == nullptr) return ctx.InvalidArgument(std::string(name) + " must be a tensor");
    if (bounds[k]->numel() != 1) {
      return ctx.InvalidArgument(std::string(name) + " must be a scalar, got " +
                                 DimsToString(bounds[k]->dims()));
    }
    if (bounds[k]->dtype() != x.dtype()) {
      return ctx.InvalidArgument(std::string(name) + " has type " +
                                 DataTypeName(bounds[k]->dtype()) + ", input has " +
                                 DataTypeName(x.dtype()));
    }
  }
  return Status::Ok();
}

}  // namespace kiln::ops
