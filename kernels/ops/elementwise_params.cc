#include "kernels/ops/elementwise_params.h"

#include <string>

namespace kiln::cpu {

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

}  // namespace kiln::cpu
