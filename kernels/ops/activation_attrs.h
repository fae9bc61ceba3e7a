// The activation epilogue's attributes of kiln's fused operators (docs/kiln_ops.md): the
// `activation` and `activation_params` attributes parsed once at kernel creation, shared by the CPU
// (activation.h) and CUDA (kernels/cuda/activation.h) kernels. Plain C++ on kernels/api/kernel.h.
#pragma once

#include <string>

#include "kernels/ops/activation_kind.h"
#include "kernels/api/kernel.h"

namespace kiln::ops {

// A parsed activation. The meaning of alpha and beta depends on the kind: LeakyRelu (alpha),
// Clip (alpha = min, beta = max), HardSigmoid (alpha, beta); the other kinds ignore them.
struct Activation {
  ActivationKind kind = ActivationKind::kNone;
  float alpha = 0.0f;
  float beta = 0.0f;
  std::string name;  // as written on the node ("" for none)

  bool none() const { return kind == ActivationKind::kNone; }
};

// Reads `activation` (string, default "") and `activation_params` (floats, default empty). An
// unknown name, a wrong number of params or a mistyped attribute is a model error naming the node.
StatusOr<Activation> ParseActivation(const KernelInfo& info);

}  // namespace kiln::ops
