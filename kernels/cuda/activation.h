// Host side of the CUDA activation epilogue (activation.cuh): kiln's fused operators'
// `activation` / `activation_params` attributes (docs/kiln_ops.md), parsed once at kernel creation
// by kernels/ops/activation_attrs.h and mapped to FusedActivation; and element types mapped to
// FloatElem.
#pragma once

#include "kernels/api/kernel.h"
#include "kernels/cuda/activation.cuh"
#include "kernels/ops/activation_attrs.h"

namespace kiln::cuda {

// Reads `activation` and `activation_params` as kernels/ops/activation_attrs.h does (same names,
// parameter counts and errors naming the node).
inline StatusOr<FusedActivation> ParseCudaActivation(const KernelInfo& info) {
  KILN_ASSIGN_OR_RETURN(ops::Activation parsed, ops::ParseActivation(info));
  FusedActivation act;
  act.kind = parsed.kind;
  act.alpha = parsed.alpha;
  act.beta = parsed.beta;
  return act;
}

// The FloatElem of a float32 / float16 / bfloat16 tensor; false for any other type.
inline bool ToFloatElem(DataType dt, FloatElem* elem) {
  switch (dt) {
    case DataType::kFloat:
      *elem = FloatElem::kFloat;
      return true;
    case DataType::kFloat16:
      *elem = FloatElem::kHalf;
      return true;
    case DataType::kBFloat16:
      *elem = FloatElem::kBFloat16;
      return true;
    default:
      return false;
  }
}

}  // namespace kiln::cuda
