// Matrix-product kernels (CPU). float32 products run on oneDNN's sgemm (its JIT kernels for the
// machine's widest vector ISA, picked at run time: AVX-512 brgemm where the CPU has it, AVX2
// elsewhere; threaded on the calling thread's OpenMP kernel threads). Every other type runs on
// Eigen's blocked GEMM, threaded with OpenMP too (this file is compiled with -fopenmp,
// kernels/cpu/CMakeLists.txt). Measured at BERT/ViT shapes on the AVX-512 machine of
// docs/benchmarks.md: sgemm 95-113 GFLOP/s on one core and 190-224 on two, Eigen (AVX2 code)
// 83-103 and 149-192; on the earlier AVX2-only machine the two were level.
//   MatMul         1+  (float16, float, double, bfloat16, int32, int64, uint32, uint64; numpy batch
//                       broadcasting, 1-D operands)
//   Gemm           1+  (transA, transB, alpha, beta; C optional from 11, unidirectional broadcast;
//                       opsets < 7 accept the `broadcast` attribute and always broadcast)
//   MatMulInteger  10+ (uint8/int8 operands, scalar or per-row/per-column zero points, int32 out)
//   QLinearMatMul  10+ (uint8/int8; scalar or per-row/per-column scales and zero points)
// float16 and bfloat16 are computed in float. RunMatMul and RunGemm (matmul.h) are also the core
// of kiln's FusedMatMul and FusedGemm (fused.cc).
#include "kernels/cpu/matmul.h"

#include <Eigen/Core>
#include <dnnl.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cpu/register.h"
#include "kernels/ops/common.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

template <typename T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// c = alpha * op(a) * op(b) + (accumulate ? c : 0); row-major, op(a) is [m, k], op(b) is [k, n].
template <typename T>
void Gemm2D(const T* a, const T* b, T* c, int64_t m, int64_t k, int64_t n, bool trans_a,
            bool trans_b, T alpha, bool accumulate) {
  Eigen::Map<RowMat<T>> cm(c, m, n);
  if (k == 0) {
    if (!accumulate) cm.setZero();
    return;
  }
  if (m == 0 || n == 0) return;
  if constexpr (std::is_same_v<T, float>) {
    // Row-major sgemm: C = alpha * op(A) * op(B) + beta * C; beta 0 does not read C.
    const dnnl_status_t st =
        dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, trans_a ? m : k, b,
                   trans_b ? k : n, accumulate ? 1.0f : 0.0f, c, n);
    if (st == dnnl_success) return;
  }
  // One product form per transpose combination (Eigen's `=` of a large product zeroes C and
  // accumulates too): each form is a separate, heavy instantiation of Eigen's GEMM.
  if (!accumulate) cm.setZero();
  auto run = [&](const auto& am, const auto& bm) { cm.noalias() += alpha * (am * bm); };
  Eigen::Map<const RowMat<T>> a_n(a, m, k), a_t(a, k, m);
  Eigen::Map<const RowMat<T>> b_n(b, k, n), b_t(b, n, k);
  if (!trans_a && !trans_b) run(a_n, b_n);
  if (!trans_a && trans_b) run(a_n, b_t.transpose());
  if (trans_a && !trans_b) run(a_t.transpose(), b_n);
  if (trans_a && trans_b) run(a_t.transpose(), b_t.transpose());
}

template <typename T>
std::vector<float> ToFloatVector(const T* p, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(ToDouble(p[i]));
  return v;
}

// Calls fn(batch_index, a_matrix_index, b_matrix_index) for every output matrix.
template <typename Fn>
void ForEachBatch(const MatMulPlan& p, Fn&& fn) {
  if (p.batch == 0) return;
  const int rank = static_cast<int>(p.batch_dims.size());
  std::vector<int64_t> sa = BroadcastStrides(p.a_batch, p.batch_dims);
  std::vector<int64_t> sb = BroadcastStrides(p.b_batch, p.batch_dims);
  std::vector<int64_t> idx(rank, 0);
  int64_t ia = 0, ib = 0;
  for (int64_t i = 0; i < p.batch; ++i) {
    fn(i, ia, ib);
    for (int d = rank - 1; d >= 0; --d) {
      ++idx[d];
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < p.batch_dims[d]) break;
      ia -= sa[d] * p.batch_dims[d];
      ib -= sb[d] * p.batch_dims[d];
      idx[d] = 0;
    }
  }
}

// Multiply-adds below which a batch of products runs on one thread.
constexpr int64_t kParallelBatchWork = int64_t{1} << 17;

// Batched product of typed buffers (C = A * B per batch). A single product is threaded inside
// Eigen's GEMM (OpenMP, the calling thread's kernel threads); a batch of products (attention's
// 4-D MatMuls) is split across those threads one product each.
template <typename T>
void BatchedMatMul(const MatMulPlan& p, const T* a, const T* b, T* c) {
  const int64_t a_size = p.m * p.k, b_size = p.k * p.n, c_size = p.m * p.n;
  const int64_t a_count = ProductOfDims(p.a_batch, 0, static_cast<int>(p.a_batch.size()));
  const int64_t b_count = ProductOfDims(p.b_batch, 0, static_cast<int>(p.b_batch.size()));
  // B shared by every batch and A contiguous: one tall product.
  if (b_count == 1 && a_count == p.batch) {
    Gemm2D<T>(a, b, c, p.batch * p.m, p.k, p.n, false, false, T(1), false);
    return;
  }
  std::vector<std::pair<int64_t, int64_t>> offsets;  // (A matrix, B matrix) of each product
  offsets.reserve(static_cast<size_t>(p.batch));
  ForEachBatch(p, [&](int64_t, int64_t ia, int64_t ib) { offsets.emplace_back(ia, ib); });
  const int64_t batch = p.batch;
  const bool parallel = batch > 1 && batch * a_size * p.n >= kParallelBatchWork;
  (void)parallel;  // unused in builds without OpenMP (ThreadSanitizer's)
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (parallel)
#endif
  for (int64_t i = 0; i < batch; ++i) {
    Gemm2D<T>(a + offsets[i].first * a_size, b + offsets[i].second * b_size, c + i * c_size, p.m,
              p.k, p.n, false, false, T(1), false);
  }
}

}  // namespace

Status RunMatMul(KernelContext& ctx, Tensor** out) {
  const Tensor* a = ctx.Input(0);
  const Tensor* b = ctx.Input(1);
  if (a == nullptr || b == nullptr) return ctx.InvalidArgument("MatMul needs inputs A and B");
  if (a->dtype() != b->dtype()) {
    return ctx.InvalidArgument(std::string("A and B types differ: ") + DataTypeName(a->dtype()) +
                               " vs " + DataTypeName(b->dtype()));
  }
  MatMulPlan p;
  KILN_RETURN_IF_ERROR(PlanMatMul(ctx, a->dims(), b->dims(), &p));
  KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, a->dtype(), p.out_dims));
  *out = y;
  if (y->numel() == 0) return Status::Ok();
  bool done =
      Dispatch<float, double, int32_t, int64_t, uint32_t, uint64_t>(a->dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        BatchedMatMul<T>(p, a->data<T>(), b->data<T>(), y->data<T>());
      });
  if (!done) {
    done = Dispatch<Float16, BFloat16>(a->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      std::vector<float> af = ToFloatVector(a->data<T>(), a->numel());
      std::vector<float> bf = ToFloatVector(b->data<T>(), b->numel());
      std::vector<float> yf(static_cast<size_t>(y->numel()));
      BatchedMatMul<float>(p, af.data(), bf.data(), yf.data());
      T* out = y->data<T>();
      for (int64_t i = 0; i < y->numel(); ++i) out[i] = FromDouble<T>(yf[i]);
    });
  }
  if (!done) return ctx.Unsupported(std::string("MatMul: type ") + DataTypeName(a->dtype()));
  return Status::Ok();
}

// ---- Gemm ------------------------------------------------------------------------------------

Status RunGemm(KernelContext& ctx, const GemmAttrs& attrs, Tensor** out) {
  const Tensor* a = ctx.Input(0);
  const Tensor* b = ctx.Input(1);
  const Tensor* c = ctx.Input(2);
  KILN_RETURN_IF_ERROR(CheckGemmInputs(ctx, a, b, c));
  KILN_ASSIGN_OR_RETURN(const GemmShape g, PlanGemm(ctx, attrs, *a, *b, c));
  const bool trans_a = attrs.trans_a, trans_b = attrs.trans_b;
  const int64_t m = g.m, k = g.k, n = g.n;
  const std::vector<int64_t>& out_dims = g.out_dims;
  const bool use_c = g.use_c;
  KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, a->dtype(), out_dims));
  *out = y;
  if (y->numel() == 0) return Status::Ok();
  auto compute = [&](auto* tag_ptr, const auto* ap, const auto* bp, const auto* cp, auto* yp) {
    using T = std::remove_pointer_t<decltype(tag_ptr)>;
    if (use_c) {
      const T beta = static_cast<T>(attrs.beta);
      ForEachBroadcastRun<1>(out_dims, {c->dims()},
                             [&](int64_t o, const std::array<int64_t, 1>& in, int64_t len,
                                 const std::array<int64_t, 1>& st) {
                               for (int64_t j = 0; j < len; ++j) {
                                 yp[o + j] = beta * cp[in[0] + j * st[0]];
                               }
                             });
    }
    Gemm2D<T>(ap, bp, yp, m, k, n, trans_a, trans_b, static_cast<T>(attrs.alpha), use_c);
  };
  bool done =
      Dispatch<float, double, int32_t, int64_t, uint32_t, uint64_t>(a->dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        compute(static_cast<T*>(nullptr), a->data<T>(), b->data<T>(),
                use_c ? c->data<T>() : static_cast<const T*>(nullptr), y->data<T>());
      });
  if (!done) {
    done = Dispatch<Float16, BFloat16>(a->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      std::vector<float> af = ToFloatVector(a->data<T>(), a->numel());
      std::vector<float> bf = ToFloatVector(b->data<T>(), b->numel());
      std::vector<float> cf =
          use_c ? ToFloatVector(c->data<T>(), c->numel()) : std::vector<float>();
      std::vector<float> yf(static_cast<size_t>(y->numel()));
      compute(static_cast<float*>(nullptr), af.data(), bf.data(), cf.data(), yf.data());
      T* o = y->data<T>();
      for (int64_t i = 0; i < y->numel(); ++i) o[i] = FromDouble<T>(yf[i]);
    });
  }
  if (!done) return ctx.Unsupported(std::string("Gemm: type ") + DataTypeName(a->dtype()));
  return Status::Ok();
}

namespace {

// ---- Integer products ------------------------------------------------------------------------

// Reads a quantized tensor as int32 values.
std::vector<int32_t> ToInt32(const Tensor& t) {
  std::vector<int32_t> v(static_cast<size_t>(t.numel()));
  if (t.dtype() == DataType::kUint8) {
    const uint8_t* p = t.data<uint8_t>();
    for (int64_t i = 0; i < t.numel(); ++i) v[i] = p[i];
  } else {
    const int8_t* p = t.data<int8_t>();
    for (int64_t i = 0; i < t.numel(); ++i) v[i] = p[i];
  }
  return v;
}

// A zero point or scale that is a scalar (per tensor) or a vector along one matrix axis.
// Returns the number of values (1 or `len`) or an error.
StatusOr<int64_t> PerAxisCount(const KernelContext& ctx, const Tensor* t, int64_t len,
                               const char* what) {
  if (t == nullptr) return int64_t{1};
  if (t->numel() == 1) return int64_t{1};
  if (t->numel() == len) return len;
  return ctx.InvalidArgument(std::string(what) + " has shape " + DimsToString(t->dims()) +
                             ", expected a scalar or " + std::to_string(len) + " values");
}

// (A - a_zp) * (B - b_zp) in int32 with MatMul broadcasting. a_zp applies per row of A, b_zp per
// column of B when they are vectors.
Status IntegerMatMul(KernelContext& ctx, const Tensor& a, const Tensor& b, const Tensor* a_zp,
                     const Tensor* b_zp, MatMulPlan* p, std::vector<int32_t>* acc) {
  KILN_RETURN_IF_ERROR(PlanMatMul(ctx, a.dims(), b.dims(), p));
  if (a_zp != nullptr && a_zp->dtype() != a.dtype()) {
    return ctx.InvalidArgument("a_zero_point type differs from A");
  }
  if (b_zp != nullptr && b_zp->dtype() != b.dtype()) {
    return ctx.InvalidArgument("b_zero_point type differs from B");
  }
  KILN_ASSIGN_OR_RETURN(int64_t na, PerAxisCount(ctx, a_zp, p->m, "a_zero_point"));
  KILN_ASSIGN_OR_RETURN(int64_t nb, PerAxisCount(ctx, b_zp, p->n, "b_zero_point"));
  std::vector<int32_t> av = ToInt32(a), bv = ToInt32(b);
  if (a_zp != nullptr) {
    std::vector<int32_t> z = ToInt32(*a_zp);
    const int64_t k = p->k;
    for (size_t i = 0; i < av.size(); ++i) av[i] -= z[na == 1 ? 0 : (i / k) % p->m];
  }
  if (b_zp != nullptr) {
    std::vector<int32_t> z = ToInt32(*b_zp);
    for (size_t i = 0; i < bv.size(); ++i) bv[i] -= z[nb == 1 ? 0 : i % p->n];
  }
  acc->assign(static_cast<size_t>(p->batch * p->m * p->n), 0);
  if (!acc->empty()) BatchedMatMul<int32_t>(*p, av.data(), bv.data(), acc->data());
  return Status::Ok();
}

Status MatMulIntegerRun(KernelContext& ctx) {
  const Tensor* a = ctx.Input(0);
  const Tensor* b = ctx.Input(1);
  if (a == nullptr || b == nullptr) return ctx.InvalidArgument("MatMulInteger needs A and B");
  MatMulPlan p;
  std::vector<int32_t> acc;
  KILN_RETURN_IF_ERROR(IntegerMatMul(ctx, *a, *b, ctx.Input(2), ctx.Input(3), &p, &acc));
  KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kInt32, p.out_dims));
  if (!acc.empty()) std::memcpy(y->data<int32_t>(), acc.data(), acc.size() * sizeof(int32_t));
  return Status::Ok();
}

StatusOr<std::vector<float>> ReadScale(const KernelContext& ctx, const Tensor* t,
                                       const char* what) {
  if (t == nullptr) return ctx.InvalidArgument(std::string("missing ") + what);
  std::vector<float> v(static_cast<size_t>(t->numel()));
  bool ok = Dispatch<float, Float16, BFloat16, double>(t->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (int64_t i = 0; i < t->numel(); ++i) v[i] = static_cast<float>(ToDouble(t->data<T>()[i]));
  });
  if (!ok) return ctx.Unsupported(std::string(what) + " of type " + DataTypeName(t->dtype()));
  return v;
}

Status QLinearMatMulRun(KernelContext& ctx) {
  const Tensor* a = ctx.Input(0);
  const Tensor* b = ctx.Input(3);
  const Tensor* y_zp = ctx.Input(7);
  if (a == nullptr || b == nullptr || y_zp == nullptr) {
    return ctx.InvalidArgument("QLinearMatMul needs a, b and y_zero_point");
  }
  MatMulPlan p;
  std::vector<int32_t> acc;
  KILN_RETURN_IF_ERROR(IntegerMatMul(ctx, *a, *b, ctx.Input(2), ctx.Input(5), &p, &acc));
  KILN_ASSIGN_OR_RETURN(std::vector<float> sa, ReadScale(ctx, ctx.Input(1), "a_scale"));
  KILN_ASSIGN_OR_RETURN(std::vector<float> sb, ReadScale(ctx, ctx.Input(4), "b_scale"));
  KILN_ASSIGN_OR_RETURN(std::vector<float> sy, ReadScale(ctx, ctx.Input(6), "y_scale"));
  KILN_ASSIGN_OR_RETURN(int64_t na, PerAxisCount(ctx, ctx.Input(1), p.m, "a_scale"));
  KILN_ASSIGN_OR_RETURN(int64_t nb, PerAxisCount(ctx, ctx.Input(4), p.n, "b_scale"));
  if (sy.size() != 1 || y_zp->numel() != 1) {
    return ctx.InvalidArgument("y_scale and y_zero_point must be scalars");
  }
  const std::vector<int32_t> zy = ToInt32(*y_zp);
  KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, y_zp->dtype(), p.out_dims));
  const bool u8 = y_zp->dtype() == DataType::kUint8;
  const int32_t lo = u8 ? 0 : -128, hi = u8 ? 255 : 127;
  for (size_t i = 0; i < acc.size(); ++i) {
    const int64_t row = (static_cast<int64_t>(i) / p.n) % p.m, col = i % p.n;
    const float scale = sa[na == 1 ? 0 : row] * sb[nb == 1 ? 0 : col] / sy[0];
    float v = std::nearbyint(static_cast<float>(acc[i]) * scale) + static_cast<float>(zy[0]);
    int32_t q = static_cast<int32_t>(std::min<float>(std::max<float>(v, lo), hi));
    if (u8) {
      y->data<uint8_t>()[i] = static_cast<uint8_t>(q);
    } else {
      y->data<int8_t>()[i] = static_cast<int8_t>(q);
    }
  }
  return Status::Ok();
}

}  // namespace

void RegisterMatMulKernels(KernelRegistry& r) {
  const std::vector<DataType> mm_types = {
      DataType::kFloat, DataType::kDouble, DataType::kFloat16, DataType::kBFloat16,
      DataType::kInt32, DataType::kInt64,  DataType::kUint32,  DataType::kUint64};
  r.Register(KernelDef("MatMul").Opsets(1).Types("T", {0, 1}, mm_types),
             Stateless([](KernelContext& ctx) {
               Tensor* y = nullptr;
               return RunMatMul(ctx, &y);
             }));
  r.Register(KernelDef("Gemm").Opsets(1).Types("T", {0, 1, 2}, mm_types),
             [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
               const GemmAttrs attrs = ReadGemmAttrs(info);
               return std::unique_ptr<Kernel>(new FunctionKernel([attrs](KernelContext& ctx) {
                 Tensor* y = nullptr;
                 return RunGemm(ctx, attrs, &y);
               }));
             });
  const std::vector<DataType> q8 = {DataType::kUint8, DataType::kInt8};
  r.Register(KernelDef("MatMulInteger").Opsets(10).Types("T1", {0, 2}, q8).Types("T2", {1, 3}, q8),
             Stateless(MatMulIntegerRun));
  r.Register(KernelDef("QLinearMatMul")
                 .Opsets(10)
                 .Types("T1", {0, 2}, q8)
                 .Types("T2", {3, 5}, q8)
                 .Types("T3", {7}, q8),
             Stateless(QLinearMatMulRun));
}

}  // namespace kiln::cpu
