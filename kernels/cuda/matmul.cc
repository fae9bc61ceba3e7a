// CUDA matrix-product kernels (cuBLAS), float32 / float16 / bfloat16:
//   MatMul              1+  (numpy semantics: 1-D operands, batched, broadcast batch dims)
//   Gemm                1+  (transA, transB, alpha, beta; C optional, unidirectionally broadcast
//                            to [M, N]; opsets < 7's `broadcast` attribute is ignored: C always
//                            broadcasts, as on the CPU)
//   kiln FusedMatMul    1   (float32: activation(MatMul(A, B) + Bias?), Bias [N])
//   kiln FusedGemm      1   (float32: activation(alpha * op(A) * op(B) + beta * C?))
// Semantics and error messages follow kernels/cpu/matmul.cc and kernels/cpu/fused.cc.
//
// Row-major products on column-major cuBLAS: C = op(A) op(B) is computed as C^T = op(B)^T op(A)^T,
// i.e. cuBLAS sees B first. Compute type is CUBLAS_COMPUTE_32F (FAST_TF32 for float32 only when
// the session allows TF32); half types accumulate in float and never use reduced-precision
// split-K reductions. Batches use one cublasGemmStridedBatchedEx call over the innermost batch
// dims that a single stride per operand describes (stride 0 for a broadcast operand) and loop
// over the remaining outer batch dims; no allocation. Gemm copies (broadcasts) C into Y with a
// small kernel and runs the GEMM with beta. kiln's FusedMatMul runs as one cuBLASLt matmul with
// its bias and ReLU / tanh-GELU as the epilogue when the product is a single GEMM (2-D, or a batch
// sharing B) and the pointers are 256-byte aligned: the layouts and cuBLASLt's algorithm are an
// LtPlan made once per shape by Prepare. Otherwise (other activations, broadcast batches, no plan,
// cuBLASLt finding no algorithm) the fused ops run one bias + activation kernel after the GEMM
// (activation.cuh).
#include "kernels/cuda/matmul.cuh"

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cuda/activation.h"
#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/register.h"
#include "kernels/ops/common.h"
#include "kernels/ops/matmul_params.h"

namespace kiln::cuda {
namespace {

using ops::GemmAttrs;
using ops::MatMulPlan;
using ops::ReadGemmAttrs;

size_t ElemSize(FloatElem e) { return e == FloatElem::kFloat ? 4 : 2; }

cudaDataType_t CublasType(FloatElem e) {
  switch (e) {
    case FloatElem::kFloat:
      return CUDA_R_32F;
    case FloatElem::kHalf:
      return CUDA_R_16F;
    case FloatElem::kBFloat16:
      return CUDA_R_16BF;
  }
  return CUDA_R_32F;
}

bool FitsInt(int64_t v) { return v >= 0 && v <= std::numeric_limits<int>::max(); }

const char* At(const void* p, int64_t elems, FloatElem e) {
  return static_cast<const char*>(p) + elems * static_cast<int64_t>(ElemSize(e));
}
char* At(void* p, int64_t elems, FloatElem e) {
  return static_cast<char*>(p) + elems * static_cast<int64_t>(ElemSize(e));
}

// One cuBLAS configuration for a node: the handle (bound to the run's stream), element type and
// TF32 policy. Set() applies the math mode; call it before the products of a Run.
class Blas {
 public:
  Blas(const KernelContext& ctx, FloatElem elem, bool allow_tf32)
      : ctx_(ctx),
        handle_(Stream(ctx).cublas()),
        elem_(elem),
        tf32_(allow_tf32 && elem == FloatElem::kFloat) {}

  Status SetMathMode() const {
    cublasMath_t mode = CUBLAS_DEFAULT_MATH;
    if (elem_ == FloatElem::kFloat) {
      mode = tf32_ ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH;
    } else {
      // Accumulate in float throughout: no split-K reductions in the output type.
      mode = static_cast<cublasMath_t>(CUBLAS_DEFAULT_MATH |
                                       CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION);
    }
    return CublasStatus(cublasSetMathMode(handle_, mode), ctx_, "cublasSetMathMode");
  }

  // Row-major c[i] (m x n, ldc n) = alpha * op(a[i]) op(b[i]) + beta * c[i] for i < batch, the
  // matrices of each operand `stride_*` elements apart (0: the same matrix for every i). op(a) is
  // [m, k] (a stored [k, m] when trans_a), op(b) is [k, n] (b stored [n, k] when trans_b). k > 0.
  Status Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
              const void* a, int64_t stride_a, const void* b, int64_t stride_b, float beta, void* c,
              int64_t stride_c, int64_t batch) const {
    if (!FitsInt(m) || !FitsInt(n) || !FitsInt(k) || !FitsInt(batch)) {
      return ctx_.Unsupported("matrix product of [" + std::to_string(m) + ", " + std::to_string(k) +
                              "] x [" + std::to_string(k) + ", " + std::to_string(n) + "] (batch " +
                              std::to_string(batch) + ") exceeds cuBLAS's 32-bit sizes");
    }
    const int lda = static_cast<int>(trans_a ? m : k);
    const int ldb = static_cast<int>(trans_b ? k : n);
    const int ldc = static_cast<int>(n);
    const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cudaDataType_t t = CublasType(elem_);
    const cublasComputeType_t compute = tf32_ ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    if (batch == 1) {
      return CublasStatus(cublasGemmEx(handle_, op_b, op_a, static_cast<int>(n),
                                       static_cast<int>(m), static_cast<int>(k), &alpha, b, t, ldb,
                                       a, t, lda, &beta, c, t, ldc, compute, CUBLAS_GEMM_DEFAULT),
                          ctx_, "cublasGemmEx");
    }
    return CublasStatus(
        cublasGemmStridedBatchedEx(handle_, op_b, op_a, static_cast<int>(n), static_cast<int>(m),
                                   static_cast<int>(k), &alpha, b, t, ldb, stride_b, a, t, lda,
                                   stride_a, &beta, c, t, ldc, stride_c, static_cast<int>(batch),
                                   compute, CUBLAS_GEMM_DEFAULT),
        ctx_, "cublasGemmStridedBatchedEx");
  }

 private:
  const KernelContext& ctx_;
  cublasHandle_t handle_;
  FloatElem elem_;
  bool tf32_;
};

// ---- MatMul ----------------------------------------------------------------------------------

// Y = A x B per the plan, onto y (every element written).
Status RunBatchedMatMul(KernelContext& ctx, const MatMulPlan& p, FloatElem elem, bool allow_tf32,
                        const void* a, const void* b, void* y) {
  const int64_t total = p.batch * p.m * p.n;
  if (total == 0) return Status::Ok();
  cudaStream_t stream = Stream(ctx).stream();
  if (p.k == 0) {
    return CudaStatus(cudaMemsetAsync(y, 0, static_cast<size_t>(total) * ElemSize(elem), stream),
                      ctx, "cudaMemsetAsync");
  }
  Blas blas(ctx, elem, allow_tf32);
  KILN_CUDA_RETURN_IF_ERROR(blas.SetMathMode());
  const int64_t a_size = p.m * p.k, b_size = p.k * p.n, c_size = p.m * p.n;
  const int64_t a_count = ops::ProductOfDims(p.a_batch, 0, static_cast<int>(p.a_batch.size()));
  const int64_t b_count = ops::ProductOfDims(p.b_batch, 0, static_cast<int>(p.b_batch.size()));
  // B shared by every batch and A not broadcast: one tall [batch * m, k] x [k, n] product.
  if (b_count == 1 && a_count == p.batch && FitsInt(p.batch * p.m)) {
    return blas.Gemm(false, false, p.batch * p.m, p.n, p.k, 1.0f, a, 0, b, 0, 0.0f, y, 0, 1);
  }
  // Operand batch dims right-aligned to the broadcast batch dims.
  const int rank = static_cast<int>(p.batch_dims.size());
  std::vector<int64_t> ad(rank, 1), bd(rank, 1);
  for (size_t i = 0; i < p.a_batch.size(); ++i) ad[rank - p.a_batch.size() + i] = p.a_batch[i];
  for (size_t i = 0; i < p.b_batch.size(); ++i) bd[rank - p.b_batch.size() + i] = p.b_batch[i];
  // The longest suffix of batch dims [split, rank) over which each operand is either fully
  // present (its matrices are consecutive) or fully broadcast (one matrix): one strided call.
  int split = rank;
  bool a_full = false, a_bcast = false, b_full = false, b_bcast = false;
  while (split > 0) {
    const int d = split - 1;
    bool af = a_full, ab = a_bcast, bf = b_full, bb = b_bcast;
    if (p.batch_dims[d] != 1) {
      (ad[d] == p.batch_dims[d] ? af : ab) = true;
      (bd[d] == p.batch_dims[d] ? bf : bb) = true;
    }
    if ((af && ab) || (bf && bb)) break;
    a_full = af, a_bcast = ab, b_full = bf, b_bcast = bb;
    split = d;
  }
  const int64_t inner = ops::ProductOfDims(p.batch_dims, split, rank);
  const int64_t outer = ops::ProductOfDims(p.batch_dims, 0, split);
  const int64_t stride_a = a_full ? a_size : 0, stride_b = b_full ? b_size : 0;
  // Outer batch dims: matrix-index strides of each operand (0 on broadcast dims).
  std::vector<int64_t> sa(rank, 0), sb(rank, 0);
  int64_t ma = 1, mb = 1;
  for (int d = rank - 1; d >= 0; --d) {
    sa[d] = ad[d] == 1 ? 0 : ma;
    sb[d] = bd[d] == 1 ? 0 : mb;
    ma *= ad[d];
    mb *= bd[d];
  }
  std::vector<int64_t> idx(split, 0);
  for (int64_t o = 0; o < outer; ++o) {
    int64_t ia = 0, ib = 0;
    for (int d = 0; d < split; ++d) {
      ia += idx[d] * sa[d];
      ib += idx[d] * sb[d];
    }
    KILN_CUDA_RETURN_IF_ERROR(blas.Gemm(false, false, p.m, p.n, p.k, 1.0f, At(a, ia * a_size, elem),
                                        stride_a, At(b, ib * b_size, elem), stride_b, 0.0f,
                                        At(y, o * inner * c_size, elem), c_size, inner));
    for (int d = split - 1; d >= 0; --d) {
      if (++idx[d] < p.batch_dims[d]) break;
      idx[d] = 0;
    }
  }
  return Status::Ok();
}

// ---- FusedMatMul through cuBLASLt --------------------------------------------------------------

// The cuBLASLt epilogue for a bias (or none) and `act`; false when it has none that computes the
// same (cuBLASLt's GELU is the tanh approximation, so only kiln's gelu_tanh maps to it).
bool LtEpilogue(bool bias, FusedActivationKind act, cublasLtEpilogue_t* e) {
  switch (act) {
    case FusedActivationKind::kNone:
      *e = CUBLASLT_EPILOGUE_BIAS;
      return bias;
    case FusedActivationKind::kRelu:
      *e = bias ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_RELU;
      return true;
    case FusedActivationKind::kGeluTanh:
      *e = bias ? CUBLASLT_EPILOGUE_GELU_BIAS : CUBLASLT_EPILOGUE_GELU;
      return true;
    default:
      return false;
  }
}

// Row-major Y [rows, n] = A [rows, k] x B [k, n] (+ bias [n], activation) as cuBLASLt sees it,
// column-major: Y^T [n, rows] = B^T [n, k] x A^T [k, rows], bias along Y^T's rows.
struct LtPlan final : KernelState {
  ~LtPlan() override {
    if (layout_b != nullptr) cublasLtMatrixLayoutDestroy(layout_b);
    if (layout_a != nullptr) cublasLtMatrixLayoutDestroy(layout_a);
    if (layout_y != nullptr) cublasLtMatrixLayoutDestroy(layout_y);
  }
  bool usable = false;  // false: the GEMM and the separate epilogue kernel
  cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_DEFAULT;
  cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  cublasLtMatrixLayout_t layout_b = nullptr, layout_a = nullptr, layout_y = nullptr;
  cublasLtMatmulAlgo_t algo = {};
};

// A matmul descriptor for `plan` with `bias` (set per run: descriptors are cheap, and the bias
// pointer is a run's value).
class LtDesc {
 public:
  ~LtDesc() {
    if (d_ != nullptr) cublasLtMatmulDescDestroy(d_);
  }
  cublasStatus_t Create(const LtPlan& plan, const void* bias) {
    cublasStatus_t s = cublasLtMatmulDescCreate(&d_, plan.compute, CUDA_R_32F);
    if (s != CUBLAS_STATUS_SUCCESS) return s;
    const cublasOperation_t op = CUBLAS_OP_N;
    s = cublasLtMatmulDescSetAttribute(d_, CUBLASLT_MATMUL_DESC_TRANSA, &op, sizeof(op));
    if (s != CUBLAS_STATUS_SUCCESS) return s;
    s = cublasLtMatmulDescSetAttribute(d_, CUBLASLT_MATMUL_DESC_TRANSB, &op, sizeof(op));
    if (s != CUBLAS_STATUS_SUCCESS) return s;
    s = cublasLtMatmulDescSetAttribute(d_, CUBLASLT_MATMUL_DESC_EPILOGUE, &plan.epilogue,
                                       sizeof(plan.epilogue));
    if (s != CUBLAS_STATUS_SUCCESS || bias == nullptr) return s;
    return cublasLtMatmulDescSetAttribute(d_, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias,
                                          sizeof(bias));
  }
  cublasLtMatmulDesc_t get() const { return d_; }

 private:
  cublasLtMatmulDesc_t d_ = nullptr;
};

bool Aligned256(const void* p) { return reinterpret_cast<uintptr_t>(p) % 256 == 0; }

// The LtPlan of FusedMatMul over `p` with or without a bias; unusable (not an error) when the
// product is not one GEMM, the activation has no cuBLASLt epilogue or cuBLASLt has no algorithm.
StatusOr<std::shared_ptr<LtPlan>> MakeLtPlan(const KernelContext& ctx, const MatMulPlan& p,
                                             const void* bias, FusedActivationKind act,
                                             bool allow_tf32) {
  const bool has_bias = bias != nullptr;
  auto plan = std::make_shared<LtPlan>();
  const int64_t a_count = ops::ProductOfDims(p.a_batch, 0, static_cast<int>(p.a_batch.size()));
  const int64_t b_count = ops::ProductOfDims(p.b_batch, 0, static_cast<int>(p.b_batch.size()));
  const bool one_gemm = p.batch == 1 || (b_count == 1 && a_count == p.batch);
  if (!one_gemm || p.k == 0 || p.batch * p.m * p.n == 0 ||
      !LtEpilogue(has_bias, act, &plan->epilogue)) {
    return plan;
  }
  const uint64_t rows = static_cast<uint64_t>(p.batch * p.m);
  const uint64_t n = static_cast<uint64_t>(p.n), k = static_cast<uint64_t>(p.k);
  plan->compute = allow_tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  KILN_CUDA_RETURN_IF_ERROR(CublasStatus(
      cublasLtMatrixLayoutCreate(&plan->layout_b, CUDA_R_32F, n, k, static_cast<int64_t>(n)), ctx,
      "cublasLtMatrixLayoutCreate"));
  KILN_CUDA_RETURN_IF_ERROR(CublasStatus(
      cublasLtMatrixLayoutCreate(&plan->layout_a, CUDA_R_32F, k, rows, static_cast<int64_t>(k)),
      ctx, "cublasLtMatrixLayoutCreate"));
  KILN_CUDA_RETURN_IF_ERROR(CublasStatus(
      cublasLtMatrixLayoutCreate(&plan->layout_y, CUDA_R_32F, n, rows, static_cast<int64_t>(n)),
      ctx, "cublasLtMatrixLayoutCreate"));
  if (has_bias && !Aligned256(bias)) return plan;
  LtDesc desc;
  KILN_CUDA_RETURN_IF_ERROR(CublasStatus(desc.Create(*plan, bias), ctx, "cublasLtMatmulDescCreate"));
  cublasLtMatmulPreference_t pref = nullptr;
  KILN_CUDA_RETURN_IF_ERROR(
      CublasStatus(cublasLtMatmulPreferenceCreate(&pref), ctx, "cublasLtMatmulPreferenceCreate"));
  const uint64_t ws = Stream(ctx).lt_workspace_bytes();
  cublasStatus_t s = cublasLtMatmulPreferenceSetAttribute(
      pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws));
  cublasLtMatmulHeuristicResult_t result = {};
  int returned = 0;
  if (s == CUBLAS_STATUS_SUCCESS) {
    s = cublasLtMatmulAlgoGetHeuristic(Stream(ctx).cublas_lt(), desc.get(), plan->layout_b,
                                       plan->layout_a, plan->layout_y, plan->layout_y, pref, 1,
                                       &result, &returned);
  }
  cublasLtMatmulPreferenceDestroy(pref);
  if (s == CUBLAS_STATUS_NOT_SUPPORTED || (s == CUBLAS_STATUS_SUCCESS && returned == 0)) {
    return plan;  // no algorithm: the separate epilogue kernel
  }
  KILN_CUDA_RETURN_IF_ERROR(CublasStatus(s, ctx, "cublasLtMatmulAlgoGetHeuristic"));
  plan->algo = result.algo;
  plan->usable = true;
  return plan;
}

// Y = act(A x B + bias) in one cuBLASLt call; *done false when the pointers do not have the
// alignment the plan was made for (nothing was queued).
Status RunLt(KernelContext& ctx, const LtPlan& plan, const void* a, const void* b,
             const void* bias, void* y, bool* done) {
  *done = false;
  if (!Aligned256(a) || !Aligned256(b) || !Aligned256(y) ||
      (bias != nullptr && !Aligned256(bias))) {
    return Status::Ok();
  }
  LtDesc desc;
  KILN_CUDA_RETURN_IF_ERROR(CublasStatus(desc.Create(plan, bias), ctx, "cublasLtMatmulDescCreate"));
  const float alpha = 1.0f, beta = 0.0f;
  CudaStream& st = Stream(ctx);
  KILN_CUDA_RETURN_IF_ERROR(CublasStatus(
      cublasLtMatmul(st.cublas_lt(), desc.get(), &alpha, b, plan.layout_b, a, plan.layout_a, &beta,
                     y, plan.layout_y, y, plan.layout_y, &plan.algo, st.lt_workspace(),
                     st.lt_workspace_bytes(), st.stream()),
      ctx, "cublasLtMatmul"));
  *done = true;
  return Status::Ok();
}

class MatMulKernel : public Kernel {
 public:
  // `fused`: kiln's FusedMatMul (optional Bias at input 2, then `act`).
  MatMulKernel(const KernelInfo& info, bool fused, FusedActivation act)
      : fused_(fused), allow_tf32_(info.allow_tf32()), act_(act) {}

  // FusedMatMul: the cuBLASLt plan for these shapes (invalid inputs: no plan; Run reports them).
  StatusOr<std::shared_ptr<const KernelState>> Prepare(KernelContext& ctx) const override {
    const Tensor* a = ctx.Input(0);
    const Tensor* b = ctx.Input(1);
    if (!fused_ || a == nullptr || b == nullptr || a->dtype() != DataType::kFloat ||
        b->dtype() != DataType::kFloat) {
      return std::shared_ptr<const KernelState>();
    }
    MatMulPlan p;
    if (!ops::PlanMatMul(ctx, a->dims(), b->dims(), &p).ok()) {
      return std::shared_ptr<const KernelState>();
    }
    const Tensor* bias = ctx.Input(2);
    KILN_ASSIGN_OR_RETURN(std::shared_ptr<LtPlan> lt,
                          MakeLtPlan(ctx, p, bias != nullptr ? bias->raw_data() : nullptr,
                                     act_.kind, allow_tf32_));
    return std::shared_ptr<const KernelState>(std::move(lt));
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor* a = ctx.Input(0);
    const Tensor* b = ctx.Input(1);
    const Tensor* bias = fused_ ? ctx.Input(2) : nullptr;
    if (a == nullptr || b == nullptr) {
      return ctx.InvalidArgument(fused_ ? "FusedMatMul needs A and B"
                                        : "MatMul needs inputs A and B");
    }
    if (bias != nullptr && a->rank() >= 1 && b->rank() >= 1) {
      const int64_t n = ops::MatMulLastDim(*a, *b);
      if (bias->rank() != 1 || bias->dim(0) != n) {
        return ctx.InvalidArgument("Bias " + DimsToString(bias->dims()) + " must be [" +
                                   std::to_string(n) + "] (the last dim of A " +
                                   DimsToString(a->dims()) + " x B " + DimsToString(b->dims()) +
                                   ")");
      }
    }
    if (a->dtype() != b->dtype()) {
      return ctx.InvalidArgument(std::string("A and B types differ: ") + DataTypeName(a->dtype()) +
                                 " vs " + DataTypeName(b->dtype()));
    }
    FloatElem elem;
    if (!ToFloatElem(a->dtype(), &elem)) {
      return ctx.Unsupported(std::string("MatMul: type ") + DataTypeName(a->dtype()));
    }
    if (fused_ &&
        (elem != FloatElem::kFloat || (bias != nullptr && bias->dtype() != DataType::kFloat))) {
      return ctx.Unsupported("FusedMatMul supports float32 only");
    }
    MatMulPlan p;
    KILN_CUDA_RETURN_IF_ERROR(ops::PlanMatMul(ctx, a->dims(), b->dims(), &p));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, a->dtype(), p.out_dims));
    if (y->numel() == 0) return Status::Ok();
    const LtPlan* lt = fused_ ? ctx.state<LtPlan>() : nullptr;
    if (lt != nullptr && lt->usable) {
      bool done = false;
      KILN_CUDA_RETURN_IF_ERROR(RunLt(ctx, *lt, a->raw_data(), b->raw_data(),
                                      bias != nullptr ? bias->raw_data() : nullptr, y->raw_data(),
                                      &done));
      if (done) return Status::Ok();
    }
    KILN_CUDA_RETURN_IF_ERROR(
        RunBatchedMatMul(ctx, p, elem, allow_tf32_, a->raw_data(), b->raw_data(), y->raw_data()));
    if (!fused_ || (bias == nullptr && act_.kind == FusedActivationKind::kNone))
      return Status::Ok();
    return CudaStatus(
        LaunchMatMulBiasActivation(elem, y->raw_data(),
                                   bias != nullptr ? bias->raw_data() : nullptr, y->numel(),
                                   bias != nullptr ? bias->dim(0) : 1, act_, Stream(ctx).stream()),
        ctx, "LaunchMatMulBiasActivation");
  }

 private:
  bool fused_;
  bool allow_tf32_;
  FusedActivation act_;
};

// ---- Gemm ------------------------------------------------------------------------------------

class GemmKernel : public Kernel {
 public:
  // `fused`: kiln's FusedGemm (then `act`).
  GemmKernel(const KernelInfo& info, bool fused, FusedActivation act)
      : attrs_(ReadGemmAttrs(info)), fused_(fused), allow_tf32_(info.allow_tf32()), act_(act) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* a = ctx.Input(0);
    const Tensor* b = ctx.Input(1);
    const Tensor* c = ctx.Input(2);
    KILN_CUDA_RETURN_IF_ERROR(ops::CheckGemmInputs(ctx, a, b, c));
    FloatElem elem;
    if (!ToFloatElem(a->dtype(), &elem)) {
      return ctx.Unsupported(std::string("Gemm: type ") + DataTypeName(a->dtype()));
    }
    if (fused_ && elem != FloatElem::kFloat) {
      return ctx.Unsupported("FusedGemm supports float32 only");
    }
    KILN_ASSIGN_OR_RETURN(const ops::GemmShape g, ops::PlanGemm(ctx, attrs_, *a, *b, c));
    const bool trans_a = attrs_.trans_a, trans_b = attrs_.trans_b;
    const int64_t m = g.m, k = g.k, n = g.n;
    const bool use_c = g.use_c;
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, a->dtype(), g.out_dims));
    if (y->numel() == 0) return Status::Ok();
    cudaStream_t stream = Stream(ctx).stream();
    if (use_c) {
      // Y = C broadcast (k > 0: the GEMM applies beta; k == 0: Y = beta * C and no GEMM).
      KILN_CUDA_RETURN_IF_ERROR(
          CudaStatus(LaunchGemmBroadcastC(elem, y->raw_data(), c->raw_data(), m, n, g.c_rows,
                                          g.c_cols, k == 0 ? attrs_.beta : 1.0f, stream),
                     ctx, "LaunchGemmBroadcastC"));
    } else if (k == 0) {
      KILN_CUDA_RETURN_IF_ERROR(CudaStatus(cudaMemsetAsync(y->raw_data(), 0, y->nbytes(), stream),
                                           ctx, "cudaMemsetAsync"));
    }
    if (k > 0) {
      Blas blas(ctx, elem, allow_tf32_);
      KILN_CUDA_RETURN_IF_ERROR(blas.SetMathMode());
      KILN_CUDA_RETURN_IF_ERROR(blas.Gemm(trans_a, trans_b, m, n, k, attrs_.alpha, a->raw_data(), 0,
                                          b->raw_data(), 0, use_c ? attrs_.beta : 0.0f,
                                          y->raw_data(), 0, 1));
    }
    if (!fused_ || act_.kind == FusedActivationKind::kNone) return Status::Ok();
    return CudaStatus(
        LaunchMatMulBiasActivation(elem, y->raw_data(), nullptr, y->numel(), 1, act_, stream), ctx,
        "LaunchMatMulBiasActivation");
  }

 private:
  GemmAttrs attrs_;
  bool fused_;
  bool allow_tf32_;
  FusedActivation act_;
};

template <typename K>
KernelFactory Factory(bool fused) {
  return [fused](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    FusedActivation act;
    if (fused) {
      KILN_ASSIGN_OR_RETURN(act, ParseCudaActivation(info));
    }
    auto k = std::make_unique<K>(info, fused, act);
    KILN_CUDA_RETURN_IF_ERROR(info.status());
    return std::unique_ptr<Kernel>(std::move(k));
  };
}

}  // namespace

void RegisterMatMulKernels(KernelRegistry& r) {
  const std::vector<DataType> f32 = {DataType::kFloat};
  r.Register(
      KernelDef("MatMul").Opsets(1).OnDevice(Device::kCuda).Types("T", {0, 1}, kCudaFloatTypes),
      Factory<MatMulKernel>(false));
  r.Register(
      KernelDef("Gemm").Opsets(1).OnDevice(Device::kCuda).Types("T", {0, 1, 2}, kCudaFloatTypes),
      Factory<GemmKernel>(false));
  r.Register(KernelDef("FusedMatMul", kKilnDomain)
                 .Opsets(1)
                 .OnDevice(Device::kCuda)
                 .Types("T", {0, 1, 2}, f32),
             Factory<MatMulKernel>(true));
  r.Register(KernelDef("FusedGemm", kKilnDomain)
                 .Opsets(1)
                 .OnDevice(Device::kCuda)
                 .Types("T", {0, 1, 2}, f32),
             Factory<GemmKernel>(true));
}

}  // namespace kiln::cuda
