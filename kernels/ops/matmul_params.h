// MatMul's and Gemm's semantics shared by the CPU and CUDA kernels (kernels/cpu/matmul.cc,
// kernels/cuda/matmul.cc): Gemm's attributes, the checks on the operands (with their error
// messages) and the shapes of a product: numpy batch broadcasting for MatMul, op(A) op(B) and
// C's broadcast for Gemm. Plain C++ on kernels/api/kernel.h.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/api/kernel.h"

namespace kiln::ops {

// Batch layout of a (possibly broadcast) batched matrix product.
struct MatMulPlan {
  int64_t m = 0, k = 0, n = 0;
  std::vector<int64_t> out_dims;          // final output dims (1-D operands' dims removed)
  std::vector<int64_t> batch_dims;        // broadcast batch dims
  std::vector<int64_t> a_batch, b_batch;  // operand batch dims (before broadcasting)
  int64_t batch = 1;
};

// The last dim of MatMul(A, B)'s result (1 when the result is a scalar), from the operands' shapes
// (the length of FusedMatMul's bias).
inline int64_t MatMulLastDim(const Tensor& a, const Tensor& b) {
  if (b.rank() >= 2) return b.dim(b.rank() - 1);
  if (a.rank() >= 2) return a.dim(a.rank() - 2);
  return 1;
}

// MatMul(A, B) of operand dims ad and bd with numpy semantics (1-D operands, broadcast batch
// dims); an error names mismatched inner or batch dims.
Status PlanMatMul(const KernelContext& ctx, const std::vector<int64_t>& ad,
                  const std::vector<int64_t>& bd, MatMulPlan* p);

// Gemm's attributes.
struct GemmAttrs {
  bool trans_a = false;
  bool trans_b = false;
  float alpha = 1.0f;
  float beta = 1.0f;
};

// Reads transA, transB, alpha and beta (Gemm's defaults when absent).
GemmAttrs ReadGemmAttrs(const KernelInfo& info);

// A and B given and 2-D; A, B and C (when given) of one element type.
Status CheckGemmInputs(const KernelContext& ctx, const Tensor* a, const Tensor* b, const Tensor* c);

// The shape of Y = alpha * op(A) * op(B) + beta * C.
struct GemmShape {
  int64_t m = 0, k = 0, n = 0;
  std::vector<int64_t> out_dims;   // [m, n]
  bool use_c = false;              // C given and beta != 0
  int64_t c_rows = 1, c_cols = 1;  // C's dims as a (broadcast) [rows, cols] matrix
};

// After CheckGemmInputs: op(A)'s and op(B)'s inner dims agree and C (may be null) broadcasts
// (unidirectionally) to [m, n].
StatusOr<GemmShape> PlanGemm(const KernelContext& ctx, const GemmAttrs& attrs, const Tensor& a,
                             const Tensor& b, const Tensor* c);

}  // namespace kiln::ops
