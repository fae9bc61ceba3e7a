// What conv.cc offers other CPU kernel families: the float32 Conv kernel with a fused epilogue,
// which kernels/cpu/fused.cc registers as kiln's FusedConv. Only kernels/cpu includes this.
#pragma once

#include <memory>

#include "kernels/api/kernel.h"
#include "kernels/cpu/activation.h"

namespace kiln::cpu {

// Creates the float32 Conv kernel (Conv's attributes and oneDNN primitive, shared with Conv) that
// computes Y = activation(Conv(X, W, B) + Z), with the optional residual Z (Y's shape) at input 3.
// The residual sum and, where oneDNN has the eltwise, the activation run as oneDNN post-ops of the
// one convolution primitive. Y may share Z's buffer. Attribute errors name the node.
StatusOr<std::unique_ptr<Kernel>> CreateFusedConvKernel(const KernelInfo& info,
                                                        const Activation& activation);

}  // namespace kiln::cpu
