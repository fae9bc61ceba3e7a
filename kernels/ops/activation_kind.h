// The activations kiln's fused operators apply (docs/kiln_ops.md), as one plain enum that the CPU
// kernels (activation_attrs.h) and the CUDA kernels (kernels/cuda/activation.cuh, compiled by
// nvcc too) share. No dependencies.
#pragma once

namespace kiln::ops {

enum class ActivationKind : int {
  kNone = 0,
  kRelu,
  kLeakyRelu,
  kClip,
  kSigmoid,
  kTanh,
  kHardSigmoid,
  kHardSwish,
  kGelu,
  kGeluTanh,
};

}  // namespace kiln::ops
