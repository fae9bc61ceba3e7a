// What matmul.cc offers other CPU kernel families: the MatMul and Gemm computations, which
// kernels/cpu/fused.cc extends with an epilogue (kiln's FusedMatMul and FusedGemm). Only
// kernels/cpu includes this; the shapes and attributes it shares with the CUDA kernels are in
// matmul_params.h.
#pragma once

#include "kernels/api/kernel.h"
#include "kernels/ops/matmul_params.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels

// Y = alpha * op(A) * op(B) + beta * C with A, B, C? the node's inputs 0..2 (C unidirectionally
// broadcast to [M, N]); allocates output 0 and sets *y to it. Any element type Gemm accepts.
// Shape and type errors name the node.
Status RunGemm(KernelContext& ctx, const GemmAttrs& attrs, Tensor** y);

// Y = MatMul(A, B) with numpy semantics (batched, broadcast, 1-D operands) for the node's inputs 0
// and 1; allocates output 0 and sets *y to it. Any element type MatMul accepts.
Status RunMatMul(KernelContext& ctx, Tensor** y);

}  // namespace kiln::cpu
