// Recurrent-state sequence kernels (CPU), ai.onnx opset 27+:
//   LinearAttention      27+  (query, key, value, past_state?, decay?, beta?) -> (output,
//                             present_state)
//   CausalConvWithState  27+  (input, weight, bias?, past_state?) -> (output, present_state)
//
// LinearAttention. query [B, T, Hq * dk], key [B, T, Hkv * dk], value [B, T, Hkv * dv] (heads
// packed into the last axis); past_state [B, Hkv, dk, dv] (zeros when omitted); decay, in log
// space, [B, T, Hkv] (one gate per head) or [B, T, Hkv * dk] (one per key dimension); beta
// [B, T, Hkv] or [B, T, 1]. Attributes: update_rule (linear, gated, delta, gated_delta; default
// gated_delta), q_num_heads and kv_num_heads (required; Hq a positive multiple of Hkv: GQA, MQA
// when Hkv = 1; query head h reads the state of kv head h / (Hq / Hkv)), scale (0, the default:
// 1 / sqrt(dk)), chunk_size (a tuning hint, ignored: the recurrence is evaluated token by token,
// which gives the reference's result by definition). Per (batch, kv head) and token t, with the
// state S a dk x dv matrix (rows indexed by key dimension):
//   gated rules:  S <- diag(exp(g_t)) S
//   delta rules:  w = beta_t * (v_t - S^T k_t)   (S already decayed), else w = v_t
//   all rules:    S <- S + k_t w^T;   o_t = scale * q_t^T S   (for each query head of the group)
// decay is required by the gated rules and forbidden otherwise, beta likewise for the delta
// rules. output is [B, T, Hq * dv]; present_state (the final S) is [B, Hkv, dk, dv].
// The decay/retrieve pass and the write/read pass each walk S once per token, row by row over
// contiguous dv-long rows.
//
// CausalConvWithState. input [B, C, L], weight [C, 1, k] (depthwise, the Conv group = C layout),
// bias [C], past_state [B, C, k - 1] (zeros when omitted); activation none, silu or swish (silu
// and swish are the same function x * sigmoid(x)). With P = concat(past_state, input) along the
// last axis: output[b, c, l] = act(bias[c] + sum_j weight[c, 0, j] * P[b, c, l + j]), and
// present_state = the last k - 1 positions of P (values copied exactly).
//
// Element types: LinearAttention T (query, key, value, decay, beta, output) and S (past_state,
// present_state) are each float, float16 or bfloat16, independently; CausalConvWithState has one
// T over float, float16 and bfloat16. (double is not in either schema.) 16-bit inputs are
// converted once into float32 scratch; everything accumulates in float32, as the onnx reference
// does, and is rounded to the output type at the end. present_state of LinearAttention takes
// past_state's type, or the query's when past_state is omitted. CausalConvWithState rounds like
// the reference: the convolution sum is rounded to T, the bias added and rounded again, and the
// activation evaluated in float32 on that value and rounded once more.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cpu/register.h"
#include "kernels/ops/common.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

const std::vector<DataType> kLaFloatTypes = {DataType::kFloat, DataType::kFloat16,
                                             DataType::kBFloat16};

bool IsLaFloat(DataType dt) {
  return dt == DataType::kFloat || dt == DataType::kFloat16 || dt == DataType::kBFloat16;
}

template <typename T>
inline float Load(T v) {
  if constexpr (std::is_same_v<T, float>) {
    return v;
  } else {
    return ToFloat(v);
  }
}
template <typename T>
inline T Store(float v) {
  if constexpr (std::is_same_v<T, Float16>) {
    return ToFloat16(v);
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    return ToBFloat16(v);
  } else {
    return v;
  }
}
// v rounded to T and back.
template <typename T>
inline float RoundThrough(float v) {
  return Load<T>(Store<T>(v));
}

// Converts n elements of a float/float16/bfloat16 buffer to float.
void ToFloatBuffer(DataType dt, const void* src, int64_t n, float* dst) {
  Dispatch<float, Float16, BFloat16>(dt, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* s = static_cast<const T*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = Load<T>(s[i]);
  });
}
// Converts n floats to a float/float16/bfloat16 buffer.
void FromFloatBuffer(const float* src, int64_t n, DataType dt, void* dst) {
  Dispatch<float, Float16, BFloat16>(dt, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* d = static_cast<T*>(dst);
    for (int64_t i = 0; i < n; ++i) d[i] = Store<T>(src[i]);
  });
}

// Float32 scratch of n elements (held by *hold for the rest of Run).
StatusOr<float*> FloatScratch(KernelContext& ctx, int64_t n, Tensor* hold) {
  KILN_ASSIGN_OR_RETURN(*hold,
                        ctx.Scratch(static_cast<size_t>(std::max<int64_t>(n, 1)) * sizeof(float)));
  return static_cast<float*>(hold->raw_data());
}

// A float32 view of a float/float16/bfloat16 tensor: its own data when it is float, else a copy
// converted once into scratch held by *hold.
StatusOr<const float*> FloatView(KernelContext& ctx, const Tensor& t, Tensor* hold) {
  if (t.dtype() == DataType::kFloat) return t.data<float>();
  KILN_ASSIGN_OR_RETURN(float* buf, FloatScratch(ctx, t.numel(), hold));
  ToFloatBuffer(t.dtype(), t.raw_data(), t.numel(), buf);
  return static_cast<const float*>(buf);
}

// "[2, 3, 4]"
std::string Shape(const Tensor& t) { return DimsToString(t.dims()); }

// ---------------------------------------------------------------------------------------------
// LinearAttention

enum class UpdateRule { kLinear, kGated, kDelta, kGatedDelta };

struct LinearAttentionAttrs {
  UpdateRule rule = UpdateRule::kGatedDelta;
  std::string rule_name = "gated_delta";
  int64_t q_heads = 0;
  int64_t kv_heads = 0;
  float scale = 0.0f;  // 0: 1 / sqrt(dk)
  bool gated() const { return rule == UpdateRule::kGated || rule == UpdateRule::kGatedDelta; }
  bool delta() const { return rule == UpdateRule::kDelta || rule == UpdateRule::kGatedDelta; }
};

class LinearAttentionKernel : public Kernel {
 public:
  explicit LinearAttentionKernel(const LinearAttentionAttrs& a) : a_(a) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* q = ctx.Input(0);
    const Tensor* k = ctx.Input(1);
    const Tensor* v = ctx.Input(2);
    if (!q || !k || !v) return ctx.InvalidArgument("query, key and value are required tensors");
    const Tensor* past = ctx.Input(3);
    const Tensor* decay = ctx.Input(4);
    const Tensor* beta = ctx.Input(5);
    const DataType dt = q->dtype();
    if (!IsLaFloat(dt)) {
      return ctx.Unsupported("query has element type " + std::string(DataTypeName(dt)) +
                             "; expected float, float16 or bfloat16");
    }
    for (const auto& [name, t] : {std::pair<const char*, const Tensor*>{"key", k},
                                  {"value", v},
                                  {"decay", decay},
                                  {"beta", beta}}) {
      if (t && t->dtype() != dt) {
        return ctx.InvalidArgument(std::string(name) + " has element type " +
                                   DataTypeName(t->dtype()) + "; expected the query's type " +
                                   DataTypeName(dt));
      }
    }
    if (past && !IsLaFloat(past->dtype())) {
      return ctx.Unsupported("past_state has element type " +
                             std::string(DataTypeName(past->dtype())) +
                             "; expected float, float16 or bfloat16");
    }

    // Presence of decay / beta against the update rule.
    if (a_.gated() && !decay) {
      return ctx.InvalidArgument("update_rule '" + a_.rule_name + "' requires the decay input");
    }
    if (!a_.gated() && decay) {
      return ctx.InvalidArgument("update_rule '" + a_.rule_name +
                                 "' forbids the decay input (only 'gated' and 'gated_delta' take "
                                 "one)");
    }
    if (a_.delta() && !beta) {
      return ctx.InvalidArgument("update_rule '" + a_.rule_name + "' requires the beta input");
    }
    if (!a_.delta() && beta) {
      return ctx.InvalidArgument("update_rule '" + a_.rule_name +
                                 "' forbids the beta input (only 'delta' and 'gated_delta' take "
                                 "one)");
    }

    // Shapes.
    for (const auto& [name, t] : {std::pair<const char*, const Tensor*>{"query", q},
                                  {"key", k},
                                  {"value", v},
                                  {"decay", decay},
                                  {"beta", beta}}) {
      if (t && t->rank() != 3) {
        return ctx.InvalidArgument(std::string(name) + " must be rank 3 (B, T, heads * dim), got " +
                                   Shape(*t));
      }
    }
    const int64_t B = q->dims()[0], T = q->dims()[1];
    for (const auto& [name, t] : {std::pair<const char*, const Tensor*>{"key", k},
                                  {"value", v},
                                  {"decay", decay},
                                  {"beta", beta}}) {
      if (t && (t->dims()[0] != B || t->dims()[1] != T)) {
        return ctx.InvalidArgument(std::string(name) + " shape " + Shape(*t) +
                                   " does not match the query's batch and sequence length (" +
                                   std::to_string(B) + ", " + std::to_string(T) + ")");
      }
    }
    const int64_t Hq = a_.q_heads, Hkv = a_.kv_heads;
    if (q->dims()[2] % Hq != 0) {
      return ctx.InvalidArgument("query's last dimension " + std::to_string(q->dims()[2]) +
                                 " is not divisible by q_num_heads " + std::to_string(Hq));
    }
    if (k->dims()[2] % Hkv != 0) {
      return ctx.InvalidArgument("key's last dimension " + std::to_string(k->dims()[2]) +
                                 " is not divisible by kv_num_heads " + std::to_string(Hkv));
    }
    if (v->dims()[2] % Hkv != 0) {
      return ctx.InvalidArgument("value's last dimension " + std::to_string(v->dims()[2]) +
                                 " is not divisible by kv_num_heads " + std::to_string(Hkv));
    }
    const int64_t dk = q->dims()[2] / Hq;
    const int64_t dv = v->dims()[2] / Hkv;
    if (k->dims()[2] / Hkv != dk) {
      return ctx.InvalidArgument("key head size " + std::to_string(k->dims()[2] / Hkv) + " (key " +
                                 Shape(*k) + " / kv_num_heads " + std::to_string(Hkv) +
                                 ") differs from the query head size " + std::to_string(dk) +
                                 " (query " + Shape(*q) + " / q_num_heads " + std::to_string(Hq) +
                                 ")");
    }
    bool per_key_decay = false;
    if (decay) {
      const int64_t last = decay->dims()[2];
      if (last == Hkv) {
        per_key_decay = false;
      } else if (last == Hkv * dk) {
        per_key_decay = true;
      } else {
        return ctx.InvalidArgument("decay's last dimension must be kv_num_heads (" +
                                   std::to_string(Hkv) + ") or kv_num_heads * d_k (" +
                                   std::to_string(Hkv * dk) + "), got " + Shape(*decay));
      }
    }
    int64_t beta_last = 0;
    if (beta) {
      beta_last = beta->dims()[2];
      if (beta_last != Hkv && beta_last != 1) {
        return ctx.InvalidArgument("beta's last dimension must be kv_num_heads (" +
                                   std::to_string(Hkv) + ") or 1, got " + Shape(*beta));
      }
    }
    const std::vector<int64_t> state_dims = {B, Hkv, dk, dv};
    if (past && past->dims() != state_dims) {
      return ctx.InvalidArgument("past_state must have shape (B, kv_num_heads, d_k, d_v) = " +
                                 DimsToString(state_dims) + ", got " + Shape(*past));
    }

    // Outputs.
    const DataType state_dt = past ? past->dtype() : dt;
    KILN_ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, dt, {B, T, Hq * dv}));
    Tensor* present = nullptr;
    if (ctx.output_requested(1)) {
      KILN_ASSIGN_OR_RETURN(present, ctx.Output(1, state_dt, state_dims));
    }

    // Float32 views of the inputs and the working state (the present_state output itself when
    // it is float).
    Tensor hq, hk, hv, hdecay, hbeta, hstate, hacc, hwrite;
    KILN_ASSIGN_OR_RETURN(const float* qf, FloatView(ctx, *q, &hq));
    KILN_ASSIGN_OR_RETURN(const float* kf, FloatView(ctx, *k, &hk));
    KILN_ASSIGN_OR_RETURN(const float* vf, FloatView(ctx, *v, &hv));
    const float* decayf = nullptr;
    const float* betaf = nullptr;
    if (decay) {
      KILN_ASSIGN_OR_RETURN(decayf, FloatView(ctx, *decay, &hdecay));
    }
    if (beta) {
      KILN_ASSIGN_OR_RETURN(betaf, FloatView(ctx, *beta, &hbeta));
    }
    const int64_t state_n = B * Hkv * dk * dv;
    float* state = nullptr;
    if (present && state_dt == DataType::kFloat) {
      state = present->data<float>();
    } else {
      KILN_ASSIGN_OR_RETURN(state, FloatScratch(ctx, state_n, &hstate));
    }
    if (past) {
      ToFloatBuffer(past->dtype(), past->raw_data(), state_n, state);
    } else {
      std::fill(state, state + state_n, 0.0f);
    }
    const int64_t group = Hq / Hkv;
    KILN_ASSIGN_OR_RETURN(float* acc, FloatScratch(ctx, group * dv, &hacc));
    KILN_ASSIGN_OR_RETURN(float* write, FloatScratch(ctx, dv, &hwrite));

    // The scale is applied in double and the product rounded to float (exact for an explicit
    // float scale; the reference's 1 / sqrt(d_k) is a float64 scalar).
    const double scale =
        a_.scale != 0.0f ? static_cast<double>(a_.scale) : 1.0 / std::sqrt(static_cast<double>(dk));

    Dispatch<float, Float16, BFloat16>(dt, [&](auto tag) {
      using OT = typename decltype(tag)::type;
      OT* y = out->template data<OT>();
      Recur<OT>(qf, kf, vf, decayf, per_key_decay, betaf, beta_last, state, acc, write, y, B, T, Hq,
                Hkv, dk, dv, scale);
    });

    if (present && state != present->raw_data()) {
      FromFloatBuffer(state, state_n, state_dt, present->raw_data());
    }
    return Status::Ok();
  }

 private:
  template <typename OT>
  void Recur(const float* q, const float* k, const float* v, const float* decay, bool per_key_decay,
             const float* beta, int64_t beta_last, float* state, float* acc, float* write, OT* y,
             int64_t B, int64_t T, int64_t Hq, int64_t Hkv, int64_t dk, int64_t dv,
             double scale) const {
    const bool gated = a_.gated(), delta = a_.delta();
    const int64_t group = Hq / Hkv;
    const int64_t decay_row = per_key_decay ? Hkv * dk : Hkv;
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t hk = 0; hk < Hkv; ++hk) {
        float* S = state + (b * Hkv + hk) * dk * dv;
        for (int64_t t = 0; t < T; ++t) {
          const int64_t bt = b * T + t;
          const float* kt = k + bt * Hkv * dk + hk * dk;
          const float* vt = v + bt * Hkv * dv + hk * dv;
          const float* qt = q + bt * Hq * dk + hk * group * dk;  // the group's first query head
          // Decay gates of this token: one per key dimension, or one for the head.
          const float* gt = nullptr;
          float head_gate = 1.0f;
          if (gated) {
            gt = decay + bt * decay_row + (per_key_decay ? hk * dk : hk);
            if (!per_key_decay) head_gate = std::exp(gt[0]);
          }
          // Pass 1 (delta rules): decay S in place and retrieve S^T k; the write row is
          // w = beta * (v - S^T k).
          const float* w = vt;
          bool decayed = !gated;
          if (delta) {
            std::fill(write, write + dv, 0.0f);
            for (int64_t i = 0; i < dk; ++i) {
              float* row = S + i * dv;
              if (gated) {
                const float e = per_key_decay ? std::exp(gt[i]) : head_gate;
                for (int64_t m = 0; m < dv; ++m) row[m] *= e;
              }
              const float ki = kt[i];
              for (int64_t m = 0; m < dv; ++m) write[m] += ki * row[m];
            }
            decayed = true;
            const float bv = beta[bt * beta_last + (beta_last == 1 ? 0 : hk)];
            for (int64_t m = 0; m < dv; ++m) write[m] = bv * (vt[m] - write[m]);
            w = write;
          }
          // Pass 2: (decay and) write S += k w^T, and read o_h = q_h^T S for the group's heads.
          std::fill(acc, acc + group * dv, 0.0f);
          for (int64_t i = 0; i < dk; ++i) {
            float* row = S + i * dv;
            const float ki = kt[i];
            if (decayed) {
              for (int64_t m = 0; m < dv; ++m) row[m] += ki * w[m];
            } else {
              const float e = per_key_decay ? std::exp(gt[i]) : head_gate;
              for (int64_t m = 0; m < dv; ++m) row[m] = row[m] * e + ki * w[m];
            }
            for (int64_t g = 0; g < group; ++g) {
              const float qi = qt[g * dk + i];
              float* o = acc + g * dv;
              for (int64_t m = 0; m < dv; ++m) o[m] += qi * row[m];
            }
          }
          OT* yt = y + bt * Hq * dv + hk * group * dv;
          for (int64_t j = 0; j < group * dv; ++j) {
            yt[j] = Store<OT>(static_cast<float>(static_cast<double>(acc[j]) * scale));
          }
        }
      }
    }
  }

  LinearAttentionAttrs a_;
};

StatusOr<std::unique_ptr<Kernel>> LinearAttentionFactory(const KernelInfo& info) {
  LinearAttentionAttrs a;
  a.rule_name = info.GetString("update_rule", "gated_delta");
  a.q_heads = info.GetInt("q_num_heads", 0);
  a.kv_heads = info.GetInt("kv_num_heads", 0);
  a.scale = info.GetFloat("scale", 0.0f);
  info.GetInt("chunk_size", 64);  // a tuning hint; read only to check its type
  if (!info.status().ok()) return info.status();
  if (a.rule_name == "linear") {
    a.rule = UpdateRule::kLinear;
  } else if (a.rule_name == "gated") {
    a.rule = UpdateRule::kGated;
  } else if (a.rule_name == "delta") {
    a.rule = UpdateRule::kDelta;
  } else if (a.rule_name == "gated_delta") {
    a.rule = UpdateRule::kGatedDelta;
  } else {
    return info.InvalidModel("unknown update_rule '" + a.rule_name +
                             "' (expected 'linear', 'gated', 'delta' or 'gated_delta')");
  }
  if (!info.HasAttr("q_num_heads") || !info.HasAttr("kv_num_heads")) {
    return info.InvalidModel("q_num_heads and kv_num_heads are required attributes");
  }
  if (a.q_heads <= 0 || a.kv_heads <= 0) {
    return info.InvalidModel("q_num_heads and kv_num_heads must be positive, got " +
                             std::to_string(a.q_heads) + " and " + std::to_string(a.kv_heads));
  }
  if (a.q_heads % a.kv_heads != 0) {
    return info.InvalidModel("q_num_heads (" + std::to_string(a.q_heads) +
                             ") must be a multiple of kv_num_heads (" + std::to_string(a.kv_heads) +
                             ")");
  }
  // Optional inputs the update rule requires or forbids (a structural model error).
  if (a.gated() != info.has_input(4)) {
    return info.InvalidModel("update_rule '" + a.rule_name + "' " +
                             (a.gated() ? "requires" : "forbids") + " the decay input (input 4)");
  }
  if (a.delta() != info.has_input(5)) {
    return info.InvalidModel("update_rule '" + a.rule_name + "' " +
                             (a.delta() ? "requires" : "forbids") + " the beta input (input 5)");
  }
  return std::unique_ptr<Kernel>(new LinearAttentionKernel(a));
}

// ---------------------------------------------------------------------------------------------
// CausalConvWithState

class CausalConvKernel : public Kernel {
 public:
  explicit CausalConvKernel(bool silu) : silu_(silu) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    const Tensor* w = ctx.Input(1);
    if (!x || !w) return ctx.InvalidArgument("input and weight are required tensors");
    const Tensor* bias = ctx.Input(2);
    const Tensor* past = ctx.Input(3);
    const DataType dt = x->dtype();
    if (!IsLaFloat(dt)) {
      return ctx.Unsupported("input has element type " + std::string(DataTypeName(dt)) +
                             "; expected float, float16 or bfloat16");
    }
    for (const auto& [name, t] : {std::pair<const char*, const Tensor*>{"weight", w},
                                  {"bias", bias},
                                  {"past_state", past}}) {
      if (t && t->dtype() != dt) {
        return ctx.InvalidArgument(std::string(name) + " has element type " +
                                   DataTypeName(t->dtype()) + "; expected the input's type " +
                                   DataTypeName(dt));
      }
    }
    if (x->rank() != 3) {
      return ctx.InvalidArgument("input must be rank 3 (batch_size, channels, length), got " +
                                 Shape(*x));
    }
    const int64_t B = x->dims()[0], C = x->dims()[1], L = x->dims()[2];
    if (w->rank() != 3 || w->dims()[0] != C || w->dims()[1] != 1) {
      return ctx.InvalidArgument("weight must have shape (channels, 1, k) with channels = " +
                                 std::to_string(C) + ", got " + Shape(*w));
    }
    const int64_t K = w->dims()[2];
    if (K < 1) return ctx.InvalidArgument("kernel size k must be >= 1, got weight " + Shape(*w));
    if (bias && (bias->rank() != 1 || bias->dims()[0] != C)) {
      return ctx.InvalidArgument("bias must have shape (" + std::to_string(C) + "), got " +
                                 Shape(*bias));
    }
    const std::vector<int64_t> state_dims = {B, C, K - 1};
    if (past && past->dims() != state_dims) {
      return ctx.InvalidArgument("past_state must have shape (batch_size, channels, k - 1) = " +
                                 DimsToString(state_dims) + ", got " + Shape(*past));
    }
    KILN_ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, dt, {B, C, L}));
    Tensor* present = nullptr;
    if (ctx.output_requested(1)) {
      KILN_ASSIGN_OR_RETURN(present, ctx.Output(1, dt, state_dims));
    }
    Tensor hw, hb, hrow, hacc;
    KILN_ASSIGN_OR_RETURN(const float* wf, FloatView(ctx, *w, &hw));
    const float* bf = nullptr;
    if (bias) {
      KILN_ASSIGN_OR_RETURN(bf, FloatView(ctx, *bias, &hb));
    }
    KILN_ASSIGN_OR_RETURN(float* row, FloatScratch(ctx, K - 1 + L, &hrow));
    KILN_ASSIGN_OR_RETURN(float* acc, FloatScratch(ctx, L, &hacc));
    Dispatch<float, Float16, BFloat16>(dt, [&](auto tag) {
      using T = typename decltype(tag)::type;
      Compute<T>(*x, wf, bf, past, out, present, row, acc, B, C, L, K);
    });
    return Status::Ok();
  }

 private:
  template <typename T>
  void Compute(const Tensor& x, const float* w, const float* bias, const Tensor* past, Tensor* out,
               Tensor* present, float* row, float* acc, int64_t B, int64_t C, int64_t L,
               int64_t K) const {
    constexpr bool k16 = !std::is_same_v<T, float>;
    const int64_t pad = K - 1;
    const T* xd = x.data<T>();
    const T* pd = past ? past->data<T>() : nullptr;
    T* yd = out->data<T>();
    T* sd = present ? present->data<T>() : nullptr;
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t c = 0; c < C; ++c) {
        const int64_t bc = b * C + c;
        const T* xr = xd + bc * L;
        const T* pr = pd ? pd + bc * pad : nullptr;
        // The padded row P = [past | input] in float.
        if (pr) {
          for (int64_t i = 0; i < pad; ++i) row[i] = Load<T>(pr[i]);
        } else {
          std::fill(row, row + pad, 0.0f);
        }
        for (int64_t i = 0; i < L; ++i) row[pad + i] = Load<T>(xr[i]);
        // acc[l] = sum_j w[j] * P[l + j], one contiguous sweep per tap.
        const float* wc = w + c * K;
        std::fill(acc, acc + L, 0.0f);
        for (int64_t j = 0; j < K; ++j) {
          const float wj = wc[j];
          const float* src = row + j;
          for (int64_t l = 0; l < L; ++l) acc[l] += wj * src[l];
        }
        T* yr = yd + bc * L;
        const float bv = bias ? bias[c] : 0.0f;
        for (int64_t l = 0; l < L; ++l) {
          float s = acc[l];
          if (k16) s = RoundThrough<T>(s);  // the reference rounds the sum before the bias
          if (bias) s += bv;
          if (silu_) {
            if (k16) s = RoundThrough<T>(s);
            s = s * (1.0f / (1.0f + std::exp(-s)));
          }
          yr[l] = Store<T>(s);
        }
        // present_state: the last k - 1 positions of P, copied exactly.
        if (sd && pad > 0) {
          T* sr = sd + bc * pad;
          if (L >= pad) {
            std::memcpy(sr, xr + (L - pad), static_cast<size_t>(pad) * sizeof(T));
          } else {
            const int64_t keep = pad - L;  // positions still taken from the past (or zero pad)
            if (pr) {
              std::memcpy(sr, pr + L, static_cast<size_t>(keep) * sizeof(T));
            } else {
              for (int64_t i = 0; i < keep; ++i) sr[i] = Store<T>(0.0f);
            }
            std::memcpy(sr + keep, xr, static_cast<size_t>(L) * sizeof(T));
          }
        }
      }
    }
  }

  bool silu_;
};

StatusOr<std::unique_ptr<Kernel>> CausalConvFactory(const KernelInfo& info) {
  const std::string act = info.GetString("activation", "none");
  if (!info.status().ok()) return info.status();
  if (act != "none" && act != "silu" && act != "swish") {
    return info.InvalidModel("unknown activation '" + act +
                             "' (expected 'none', 'silu' or 'swish')");
  }
  return std::unique_ptr<Kernel>(new CausalConvKernel(act != "none"));
}

}  // namespace

void RegisterLinearAttentionKernels(KernelRegistry& r) {
  r.Register(KernelDef("LinearAttention")
                 .Opsets(27)
                 .Types("T", {0, 1, 2, 4, 5}, kLaFloatTypes)
                 .Types("S", {3}, kLaFloatTypes),
             LinearAttentionFactory);
  r.Register(KernelDef("CausalConvWithState").Opsets(27).Types("T", {0, 1, 2, 3}, kLaFloatTypes),
             CausalConvFactory);
}

}  // namespace kiln::cpu
