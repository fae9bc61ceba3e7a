// Attention family kernels (CPU):
//   Attention  23, 24 (adds nonpad_kv_seqlen), 25+ (adds left/right_window_size)
// Scaled dot-product attention over 3-D ([B, S, heads * head]) or 4-D ([B, heads, S, head]) Q/K/V,
// with GQA/MQA head broadcasting, bool or additive attn_mask (right-aligned broadcast, a short last
// dimension padded as masked), offset-aware causal masking, internal (past/present) and external
// (nonpad_kv_seqlen) KV caches, sliding windows, softcap, softmax_precision and the optional
// qk_matmul_output (modes 0-3). A fully masked query row gives a zero output row.
// Element types: float, double, float16, bfloat16 (16-bit types computed in float, with the
// intermediates rounded to the element type the way the onnx reference computes them).
// float without caches, softcap, sliding windows, a 16-bit softmax_precision or the optional
// outputs, and with no mask or an additive float mask spanning the keys, takes a fast path: two
// Eigen GEMMs per (batch, head) around a vectorised row softmax.
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cpu/register.h"
#include "kernels/ops/attention_params.h"
#include "kernels/ops/common.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

template <typename T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstStridedMat = Eigen::Map<const RowMat<float>, 0, Eigen::OuterStride<>>;
using StridedMat = Eigen::Map<RowMat<float>, 0, Eigen::OuterStride<>>;

// How an intermediate value is rounded: to nothing (compute type), float, float16, bfloat16.
enum class Round { kNone, kFloat, kHalf, kBFloat };

template <typename C>
inline C RoundTo(Round r, C v) {
  switch (r) {
    case Round::kNone: return v;
    case Round::kFloat: return static_cast<C>(static_cast<float>(v));
    case Round::kHalf: return static_cast<C>(ToFloat(ToFloat16(static_cast<float>(v))));
    case Round::kBFloat: return static_cast<C>(ToFloat(ToBFloat16(static_cast<float>(v))));
  }
  return v;
}

template <typename T>
Round RoundOf() {
  if constexpr (std::is_same_v<T, Float16>) return Round::kHalf;
  if constexpr (std::is_same_v<T, BFloat16>) return Round::kBFloat;
  return Round::kNone;  // float and double are their own compute types
}

// The geometry of a call the float fast path takes. Tensors are addressed per (batch, head) as
// row-major matrices whose rows are `*_row` elements apart: 4-D [B, H, L, E] has rows E apart and
// heads L * E apart; 3-D [B, L, H * E] has rows H * E apart and heads E apart.
struct FastPlan {
  int64_t batch = 0, q_heads = 0, kv_heads = 0, q_len = 0, kv_len = 0, head = 0, v_head = 0;
  bool three_d = false;
  const float* mask = nullptr;         // additive, last axis contiguous and kv_len long
  int64_t mask_stride[3] = {0, 0, 0};  // over (batch, head, query); 0 on broadcast axes
};

// Offset of head (b, h) of a tensor with `heads` heads, `len` rows of `width` per head.
inline int64_t HeadOffset(bool three_d, int64_t b, int64_t h, int64_t heads, int64_t len,
                          int64_t width) {
  return three_d ? b * len * heads * width + h * width : (b * heads + h) * len * width;
}

// Softmax of one score row with the general path's guards (NaN-propagating maximum, -inf maximum
// taken as 0, zero sum taken as 1), for the rare rows whose maximum is not finite: keys at or past
// `visible` are causally masked, `mask` (may be null) is the additive mask row. A row whose bias
// is -inf everywhere becomes zeros; returns whether it was one.
bool SoftmaxRowGeneral(float* x, const float* mask, int64_t visible, int64_t n) {
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  bool all_masked = true;
  for (int64_t j = 0; j < n && all_masked; ++j) {
    const float bias = j >= visible ? kNegInf : (mask ? mask[j] : 0.0f);
    if (!(bias == kNegInf)) all_masked = false;
  }
  if (all_masked) {
    std::fill(x, x + n, 0.0f);
    return true;
  }
  float mx = kNegInf;
  for (int64_t j = 0; j < n; ++j) {
    if (x[j] > mx || std::isnan(x[j])) mx = x[j];
  }
  if (mx == kNegInf) mx = 0;
  float sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    x[j] = std::exp(x[j] - mx);
    sum += x[j];
  }
  if (sum == 0) sum = 1;
  for (int64_t j = 0; j < n; ++j) x[j] /= sum;
  return false;
}

// Reads element i of any numeric / bool tensor as double.
double ReadAsDouble(const Tensor& t, int64_t i) {
  double v = 0;
  Dispatch<KILN_NUMERIC_TYPES, bool>(t.dtype(), [&](auto tag) {
    using M = typename decltype(tag)::type;
    v = static_cast<double>(ToDouble(t.data<M>()[i]));
  });
  return v;
}

class AttentionKernel : public Kernel {
 public:
  explicit AttentionKernel(const AttentionAttrs& a) : a_(a) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* q = ctx.Input(0);
    const Tensor* k = ctx.Input(1);
    const Tensor* v = ctx.Input(2);
    KILN_RETURN_IF_ERROR(CheckAttentionInputs(ctx, q, k, v));
    FastPlan plan;
    if (PlanFast(ctx, *q, *k, *v, &plan)) return RunFast(ctx, *q, *k, *v, plan);
    Status st = Status::Ok();
    bool done = Dispatch<float, double, Float16, BFloat16>(q->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      st = RunTyped<T>(ctx, *q, *k, *v);
    });
    if (!done) return ctx.Unsupported("unsupported element type for Q");
    return st;
  }

 private:
  // Whether the float fast path covers this call; fills *p when it does. Anything it does not
  // cover, malformed inputs included, is left to the general path (which reports the errors).
  bool PlanFast(const KernelContext& ctx, const Tensor& q, const Tensor& k, const Tensor& v,
                FastPlan* p) const {
    if (q.dtype() != DataType::kFloat || k.dtype() != DataType::kFloat ||
        v.dtype() != DataType::kFloat) {
      return false;
    }
    if (ctx.has_input(4) || ctx.has_input(5) || (ctx.opset() >= 24 && ctx.has_input(6))) {
      return false;
    }
    if (a_.softcap > 0 || (a_.softmax_precision != 0 && a_.softmax_precision != 1)) return false;
    if (ctx.opset() >= 25 && (a_.left_window >= 0 || a_.right_window >= 0)) return false;
    if (ctx.output_requested(1) || ctx.output_requested(2) || ctx.output_requested(3)) {
      return false;
    }
    const int rank = q.rank();
    if (k.rank() != rank || v.rank() != rank) return false;
    const std::vector<int64_t>& qd = q.dims();
    const std::vector<int64_t>& kd = k.dims();
    const std::vector<int64_t>& vd = v.dims();
    p->batch = qd[0];
    if (rank == 4) {
      if (ctx.opset() >= 25 && (a_.q_num_heads > 0 || a_.kv_num_heads > 0)) return false;
      p->q_heads = qd[1];
      p->kv_heads = kd[1];
      p->q_len = qd[2];
      p->kv_len = kd[2];
      p->head = qd[3];
      p->v_head = vd[3];
      if (kd[0] != p->batch || kd[3] != p->head || vd[0] != p->batch || vd[1] != p->kv_heads ||
          vd[2] != p->kv_len) {
        return false;
      }
    } else if (rank == 3) {
      if (a_.q_num_heads <= 0 || a_.kv_num_heads <= 0) return false;
      p->three_d = true;
      p->q_heads = a_.q_num_heads;
      p->kv_heads = a_.kv_num_heads;
      p->q_len = qd[1];
      p->kv_len = kd[1];
      if (kd[0] != p->batch || vd[0] != p->batch || vd[1] != p->kv_len || qd[2] % p->q_heads != 0 ||
          kd[2] % p->kv_heads != 0 || vd[2] % p->kv_heads != 0) {
        return false;
      }
      p->head = qd[2] / p->q_heads;
      p->v_head = vd[2] / p->kv_heads;
      if (kd[2] / p->kv_heads != p->head) return false;
    } else {
      return false;
    }
    if (p->kv_heads <= 0 || p->q_heads % p->kv_heads != 0) return false;
    if (p->batch == 0 || p->q_heads == 0 || p->q_len == 0 || p->kv_len == 0 || p->head == 0 ||
        p->v_head == 0) {
      return false;
    }
    if (ctx.has_input(3)) {
      const Tensor* m = ctx.Input(3);
      if (!m || m->dtype() != DataType::kFloat || m->rank() < 1 || m->rank() > 4) return false;
      const int mr = m->rank();
      // A last axis shorter than the keys pads with masked positions: the general path's job.
      if (m->dims()[mr - 1] != p->kv_len) return false;
      const int64_t full[3] = {p->batch, p->q_heads, p->q_len};
      const std::vector<int64_t> strides = ContiguousStrides(m->dims());
      for (int ax = 0; ax + 1 < mr; ++ax) {
        const int o = 3 - (mr - 1) + ax;
        const int64_t dim = m->dims()[ax];
        if (dim != 1 && dim != full[o]) return false;
        p->mask_stride[o] = dim == 1 ? 0 : strides[ax];
      }
      p->mask = m->data<float>();
    }
    return true;
  }

  // Per (batch, head): S = scale * Q K^T (GEMM), S += mask (and -inf on causally hidden keys),
  // row softmax in float, Y = P V (GEMM). Fully masked rows give zero output rows.
  Status RunFast(KernelContext& ctx, const Tensor& q, const Tensor& k, const Tensor& v,
                 const FastPlan& p) const {
    constexpr float kNegInf = -std::numeric_limits<float>::infinity();
    const int64_t S = p.q_len, T = p.kv_len, D = p.head, Dv = p.v_head;
    std::vector<int64_t> ydims = p.three_d ? std::vector<int64_t>{p.batch, S, p.q_heads * Dv}
                                           : std::vector<int64_t>{p.batch, p.q_heads, S, Dv};
    auto y_or = ctx.Output(0, DataType::kFloat, ydims);
    if (!y_or.ok()) return y_or.status();
    float* y = (*y_or)->data<float>();
    const float scale = static_cast<float>(AttentionScale(a_, D));
    const int64_t group = p.q_heads / p.kv_heads;
    const int64_t q_row = p.three_d ? p.q_heads * D : D;
    const int64_t k_row = p.three_d ? p.kv_heads * D : D;
    const int64_t v_row = p.three_d ? p.kv_heads * Dv : Dv;
    const int64_t y_row = p.three_d ? p.q_heads * Dv : Dv;
    const float* qd = q.data<float>();
    const float* kd = k.data<float>();
    const float* vd = v.data<float>();

    // Scores of one head and a flag per fully masked row: kernel scratch (the session's arena).
    KILN_ASSIGN_OR_RETURN(Tensor scores_bytes,
                          ctx.Scratch(static_cast<size_t>(S * T) * sizeof(float)));
    KILN_ASSIGN_OR_RETURN(Tensor zero_bytes, ctx.Scratch(static_cast<size_t>(S)));
    float* scores = static_cast<float*>(scores_bytes.raw_data());
    unsigned char* zero_row = static_cast<unsigned char*>(zero_bytes.raw_data());
    Eigen::Map<RowMat<float>> sm(scores, S, T);
    for (int64_t b = 0; b < p.batch; ++b) {
      for (int64_t h = 0; h < p.q_heads; ++h) {
        const int64_t hk = h / group;
        ConstStridedMat qm(qd + HeadOffset(p.three_d, b, h, p.q_heads, S, D), S, D,
                           Eigen::OuterStride<>(q_row));
        ConstStridedMat km(kd + HeadOffset(p.three_d, b, hk, p.kv_heads, T, D), T, D,
                           Eigen::OuterStride<>(k_row));
        ConstStridedMat vm(vd + HeadOffset(p.three_d, b, hk, p.kv_heads, T, Dv), T, Dv,
                           Eigen::OuterStride<>(v_row));
        StridedMat ym(y + HeadOffset(p.three_d, b, h, p.q_heads, S, Dv), S, Dv,
                      Eigen::OuterStride<>(y_row));
        sm.noalias() = scale * (qm * km.transpose());
        bool any_zero = false;
        for (int64_t i = 0; i < S; ++i) {
          float* x = scores + i * T;
          // Without a cache the causal offset is 0: query i sees keys 0..i.
          const int64_t visible = a_.is_causal ? std::min(i + 1, T) : T;
          const float* mrow =
              p.mask ? p.mask + b * p.mask_stride[0] + h * p.mask_stride[1] + i * p.mask_stride[2]
                     : nullptr;
          Eigen::Map<Eigen::ArrayXf> row(x, T);
          if (mrow) row.head(visible) += Eigen::Map<const Eigen::ArrayXf>(mrow, visible);
          if (visible < T) row.tail(T - visible) += kNegInf;
          const float mx = row.maxCoeff();
          if (std::isfinite(mx)) {
            row = (row - mx).exp();
            row *= 1.0f / row.sum();
            zero_row[i] = 0;
          } else {
            zero_row[i] = SoftmaxRowGeneral(x, mrow, visible, T);
            any_zero = any_zero || zero_row[i];
          }
        }
        ym.noalias() = sm * vm;
        if (any_zero) {
          for (int64_t i = 0; i < S; ++i) {
            if (zero_row[i]) ym.row(i).setZero();
          }
        }
      }
    }
    return Status::Ok();
  }

  template <typename T>
  Status RunTyped(KernelContext& ctx, const Tensor& q, const Tensor& k, const Tensor& v) const {
    using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
    constexpr C kNegInf = -std::numeric_limits<C>::infinity();
    const Round rt = RoundOf<T>();
    AttentionDims g;
    KILN_RETURN_IF_ERROR(ResolveAttentionHeads(ctx, a_, q, k, v, &g));
    KILN_RETURN_IF_ERROR(ResolveAttentionCaches(ctx, q, &g));
    const int rank = g.rank;
    const int64_t B = g.batch, Hq = g.q_heads, Hkv = g.kv_heads, Sq = g.q_len, Skv = g.kv_len;
    const int64_t D = g.head, Dv = g.v_head, Sp = g.past_len, St = g.total_len;
    const int64_t group = Hq / Hkv;
    const Tensor* past_k = g.past_k;
    const Tensor* past_v = g.past_v;
    const Tensor* nonpad = g.nonpad;
    std::vector<int64_t> nonpad_len;
    if (nonpad) {
      nonpad_len.resize(B);
      for (int64_t b = 0; b < B; ++b) {
        nonpad_len[b] = static_cast<int64_t>(ReadAsDouble(*nonpad, b));
      }
    }

    // Present K/V in [B, Hkv, St, D] layout (element type T).
    std::vector<T> pk(B * Hkv * St * D), pv(B * Hkv * St * Dv);
    const T* kd = k.data<T>();
    const T* vd = v.data<T>();
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t h = 0; h < Hkv; ++h) {
        for (int64_t s = 0; s < St; ++s) {
          T* kdst = &pk[((b * Hkv + h) * St + s) * D];
          T* vdst = &pv[((b * Hkv + h) * St + s) * Dv];
          if (s < Sp) {
            const T* ks = past_k->data<T>() + ((b * Hkv + h) * Sp + s) * D;
            const T* vs = past_v->data<T>() + ((b * Hkv + h) * Sp + s) * Dv;
            for (int64_t d = 0; d < D; ++d) kdst[d] = ks[d];
            for (int64_t d = 0; d < Dv; ++d) vdst[d] = vs[d];
          } else {
            const int64_t t = s - Sp;
            const T* ks = rank == 3 ? kd + (b * Skv + t) * Hkv * D + h * D
                                    : kd + ((b * Hkv + h) * Skv + t) * D;
            const T* vs = rank == 3 ? vd + (b * Skv + t) * Hkv * Dv + h * Dv
                                    : vd + ((b * Hkv + h) * Skv + t) * Dv;
            for (int64_t d = 0; d < D; ++d) kdst[d] = ks[d];
            for (int64_t d = 0; d < Dv; ++d) vdst[d] = vs[d];
          }
        }
      }
    }

    // Mask: right-aligned broadcast to [B, Hq, Sq, Lm]; positions j >= Lm are masked.
    const Tensor* mask = ctx.Input(3);
    bool mask_bool = false;
    int64_t Lm = 0;
    int64_t ms[4] = {0, 0, 0, 0};  // strides over (b, h, i, j)
    Round pr = rt;                  // rounding of qk + bias (numpy type promotion with the mask)
    if (mask) {
      KILN_RETURN_IF_ERROR(ResolveAttentionMask(ctx, *mask, g, ms, &Lm));
      mask_bool = mask->dtype() == DataType::kBool;
      if (!mask_bool && mask->dtype() != q.dtype()) pr = Round::kNone;
    }
    Round sr = pr;  // softmax rounding
    bool cast_sp = false;
    if (a_.softmax_precision != 0) {
      cast_sp = true;
      switch (a_.softmax_precision) {
        case 1: sr = std::is_same_v<C, double> ? Round::kFloat : Round::kNone; break;
        case 10: sr = Round::kHalf; break;
        case 11: sr = Round::kNone; break;
        case 16: sr = Round::kBFloat; break;
        default: return ctx.InvalidArgument("unsupported softmax_precision");
      }
    }

    // Outputs.
    auto y_or = ctx.Output(0, q.dtype(), AttentionOutputDims(g));
    if (!y_or.ok()) return y_or.status();
    T* y = (*y_or)->template data<T>();
    if (ctx.output_requested(1)) {
      auto o = ctx.Output(1, q.dtype(), {B, Hkv, St, D});
      if (!o.ok()) return o.status();
      T* p = (*o)->template data<T>();
      for (size_t i = 0; i < pk.size(); ++i) p[i] = pk[i];
    }
    if (ctx.output_requested(2)) {
      auto o = ctx.Output(2, q.dtype(), {B, Hkv, St, Dv});
      if (!o.ok()) return o.status();
      T* p = (*o)->template data<T>();
      for (size_t i = 0; i < pv.size(); ++i) p[i] = pv[i];
    }
    T* qk_out = nullptr;
    if (ctx.output_requested(3)) {
      KILN_RETURN_IF_ERROR(CheckQkOutputMode(ctx, a_));
      auto o = ctx.Output(3, q.dtype(), {B, Hq, Sq, St});
      if (!o.ok()) return o.status();
      qk_out = (*o)->template data<T>();
    }

    // Scale: sqrt(scale) applied to Q and K, rounded to T.
    const double scale = AttentionScale(a_, D);
    const C s = static_cast<C>(ToDouble(FromDouble<T>(std::sqrt(scale))));
    std::vector<C> ks(pk.size()), vs(pv.size());
    for (size_t i = 0; i < pk.size(); ++i) {
      ks[i] = RoundTo<C>(rt, static_cast<C>(ToDouble(pk[i])) * s);
    }
    for (size_t i = 0; i < pv.size(); ++i) vs[i] = static_cast<C>(ToDouble(pv[i]));

    const bool has_window = ctx.opset() >= 25 && (a_.left_window >= 0 || a_.right_window >= 0);
    std::vector<C> qs(D), qk(St), bias(St), x(St), yrow(Dv);
    const T* qd = q.data<T>();
    for (int64_t b = 0; b < B; ++b) {
      int64_t offset = 0;
      if (past_k) {
        offset = Sp;
      } else if (nonpad) {
        offset = nonpad_len[b] - Sq;
      }
      for (int64_t h = 0; h < Hq; ++h) {
        const int64_t hk = h / group;
        const C* kh = &ks[(b * Hkv + hk) * St * D];
        const C* vh = &vs[(b * Hkv + hk) * St * Dv];
        for (int64_t i = 0; i < Sq; ++i) {
          const T* qrow = rank == 3 ? qd + (b * Sq + i) * Hq * D + h * D
                                    : qd + ((b * Hq + h) * Sq + i) * D;
          for (int64_t d = 0; d < D; ++d) {
            qs[d] = RoundTo<C>(rt, static_cast<C>(ToDouble(qrow[d])) * s);
          }
          // Bias.
          bool all_masked = true;
          const int64_t mrow = b * ms[0] + h * ms[1] + i * ms[2];
          const int64_t p = offset + i;
          for (int64_t j = 0; j < St; ++j) {
            C bv = 0;
            if (mask) {
              if (j >= Lm) {
                bv = kNegInf;
              } else {
                const double m = ReadMask(*mask, mrow + j * ms[3]);
                bv = mask_bool ? (m != 0 ? C(0) : kNegInf) : static_cast<C>(m);
              }
            }
            if (a_.is_causal && j > p) bv = kNegInf;
            if (has_window) {
              if (a_.left_window >= 0 && j < p - a_.left_window) bv = kNegInf;
              if (a_.right_window >= 0 && j > p + a_.right_window) bv = kNegInf;
            }
            if (nonpad && j >= nonpad_len[b]) bv = kNegInf;
            bias[j] = bv;
            if (!(bv == kNegInf)) all_masked = false;
          }
          // QK^T (+ softcap).
          for (int64_t j = 0; j < St; ++j) {
            const C* kr = kh + j * D;
            C acc = 0;
            for (int64_t d = 0; d < D; ++d) acc += qs[d] * kr[d];
            C val = RoundTo<C>(rt, acc);
            if (a_.softcap > 0) {
              const C cap = static_cast<C>(ToDouble(FromDouble<T>(a_.softcap)));
              val = RoundTo<C>(rt, RoundTo<C>(rt, std::tanh(RoundTo<C>(rt, val / cap))) * cap);
            }
            qk[j] = val;
          }
          T* qko = qk_out ? qk_out + ((b * Hq + h) * Sq + i) * St : nullptr;
          for (int64_t j = 0; j < St; ++j) {
            const C wb = RoundTo<C>(pr, qk[j] + bias[j]);
            if (qko && a_.qk_mode == 2) qko[j] = FromDouble<T>(wb);
            if (qko && a_.qk_mode < 2) qko[j] = FromDouble<T>(qk[j]);
            x[j] = cast_sp ? RoundTo<C>(sr, wb) : wb;
          }
          // Softmax, guarded for fully masked rows.
          if (all_masked) {
            for (int64_t j = 0; j < St; ++j) x[j] = 0;
          } else {
            C mx = kNegInf;
            for (int64_t j = 0; j < St; ++j) {
              if (x[j] > mx || std::isnan(x[j])) mx = x[j];
            }
            if (mx == kNegInf) mx = 0;
            C sum = 0;
            for (int64_t j = 0; j < St; ++j) {
              x[j] = RoundTo<C>(sr, std::exp(RoundTo<C>(sr, x[j] - mx)));
              sum += x[j];
            }
            sum = RoundTo<C>(sr, sum);
            if (sum == 0) sum = 1;
            for (int64_t j = 0; j < St; ++j) x[j] = RoundTo<C>(rt, RoundTo<C>(sr, x[j] / sum));
          }
          if (qko && a_.qk_mode == 3) {
            for (int64_t j = 0; j < St; ++j) qko[j] = FromDouble<T>(x[j]);
          }
          // P V.
          for (int64_t d = 0; d < Dv; ++d) yrow[d] = 0;
          for (int64_t j = 0; j < St; ++j) {
            const C pj = x[j];
            if (pj == 0) continue;
            const C* vr = vh + j * Dv;
            for (int64_t d = 0; d < Dv; ++d) yrow[d] += pj * vr[d];
          }
          T* yo =
              rank == 3 ? y + (b * Sq + i) * Hq * Dv + h * Dv : y + ((b * Hq + h) * Sq + i) * Dv;
          for (int64_t d = 0; d < Dv; ++d) yo[d] = FromDouble<T>(yrow[d]);
        }
      }
    }
    return Status::Ok();
  }

  static double ReadMask(const Tensor& m, int64_t i) {
    switch (m.dtype()) {
      case DataType::kBool: return m.data<bool>()[i] ? 1 : 0;
      case DataType::kFloat: return m.data<float>()[i];
      case DataType::kFloat16: return ToFloat(m.data<Float16>()[i]);
      case DataType::kDouble: return m.data<double>()[i];
      default: return ReadAsDouble(m, i);
    }
  }

  AttentionAttrs a_;
};

StatusOr<std::unique_ptr<Kernel>> AttentionFactory(const KernelInfo& info) {
  KILN_ASSIGN_OR_RETURN(const AttentionAttrs a, ReadAttentionAttrs(info));
  return std::unique_ptr<Kernel>(new AttentionKernel(a));
}

}  // namespace

void RegisterAttentionKernels(KernelRegistry& r) {
  std::vector<DataType> mask_types = kNumericTypes;
  mask_types.push_back(DataType::kBool);
  r.Register(KernelDef("Attention")
                 .Opsets(23)
                 .Types("T1", {0, 1, 4}, kFloatTypes)
                 .Types("T2", {2, 5}, kFloatTypes)
                 .Types("U", {3}, mask_types)
                 .Types("I", {6}, {DataType::kInt64}),
             AttentionFactory);
}

}  // namespace kiln::cpu
