#include "kernels/ops/attention_params.h"

#include <cmath>

#include "kernels/ops/common.h"

namespace kiln::ops {

StatusOr<AttentionAttrs> ReadAttentionAttrs(const KernelInfo& info) {
  AttentionAttrs a;
  a.has_scale = info.HasAttr("scale");
  a.scale = info.GetFloat("scale", 0);
  a.is_causal = info.GetInt("is_causal", 0) != 0;
  a.q_num_heads = info.GetInt("q_num_heads", 0);
  a.kv_num_heads = info.GetInt("kv_num_heads", 0);
  a.softmax_precision = info.GetInt("softmax_precision", 0);
  a.softcap = info.GetFloat("softcap", 0);
  a.qk_mode = info.GetInt("qk_matmul_output_mode", 0);
  if (info.opset() >= 25) {
    a.left_window = info.GetInt("left_window_size", -1);
    a.right_window = info.GetInt("right_window_size", -1);
    if (a.left_window < -1 || a.right_window < -1) {
      return info.InvalidModel("left_window_size / right_window_size must be -1 or nonnegative");
    }
  }
  if (a.qk_mode < 0 || a.qk_mode > 3) {
    return info.InvalidModel("qk_matmul_output_mode must be 0, 1, 2 or 3");
  }
  if (!info.status().ok()) return info.status();
  return a;
}

Status CheckAttentionInputs(const KernelContext& ctx, const Tensor* q, const Tensor* k,
                            const Tensor* v) {
  if (!q || !k || !v) return ctx.InvalidArgument("Q, K and V are required tensors");
  if (k->dtype() != q->dtype() || v->dtype() != q->dtype()) {
    return ctx.Unsupported("Q, K and V must have the same element type");
  }
  return Status::Ok();
}

Status ResolveAttentionHeads(const KernelContext& ctx, const AttentionAttrs& attrs, const Tensor& q,
                             const Tensor& k, const Tensor& v, AttentionDims* d) {
  const int rank = q.rank();
  if ((rank != 3 && rank != 4) || k.rank() != rank || v.rank() != rank) {
    return ctx.InvalidArgument("Q, K and V must all be 3-D or all be 4-D");
  }
  const std::vector<int64_t>& qd = q.dims();
  const std::vector<int64_t>& kd = k.dims();
  const std::vector<int64_t>& vd = v.dims();
  const int64_t B = qd[0];
  int64_t Hq, Hkv, Sq, Skv, D, Dk, Dv;
  if (rank == 3) {
    if (attrs.q_num_heads <= 0 || attrs.kv_num_heads <= 0) {
      return ctx.InvalidArgument("3-D inputs need positive q_num_heads and kv_num_heads");
    }
    Hq = attrs.q_num_heads;
    Hkv = attrs.kv_num_heads;
    Sq = qd[1];
    Skv = kd[1];
    if (vd[1] != Skv || kd[0] != B || vd[0] != B || qd[2] % Hq != 0 || kd[2] % Hkv != 0 ||
        vd[2] % Hkv != 0) {
      return ctx.InvalidArgument("Q/K/V 3-D shapes do not match the head counts");
    }
    D = qd[2] / Hq;
    Dk = kd[2] / Hkv;
    Dv = vd[2] / Hkv;
  } else {
    if (ctx.opset() >= 25 && (attrs.q_num_heads > 0 || attrs.kv_num_heads > 0)) {
      return ctx.InvalidArgument("q_num_heads / kv_num_heads must not be set for 4-D inputs");
    }
    Hq = qd[1];
    Hkv = kd[1];
    Sq = qd[2];
    Skv = kd[2];
    D = qd[3];
    Dk = kd[3];
    Dv = vd[3];
    if (kd[0] != B || vd[0] != B || vd[1] != Hkv || vd[2] != Skv) {
      return ctx.InvalidArgument("K and V 4-D shapes do not match");
    }
  }
  if (Dk != D) return ctx.InvalidArgument("Q and K head sizes differ");
  if (Hkv <= 0 || Hq % Hkv != 0) {
    return ctx.InvalidArgument("q_num_heads must be a multiple of kv_num_heads");
  }
  d->rank = rank;
  d->batch = B;
  d->q_heads = Hq;
  d->kv_heads = Hkv;
  d->q_len = Sq;
  d->kv_len = Skv;
  d->head = D;
  d->v_head = Dv;
  return Status::Ok();
}

Status ResolveAttentionCaches(const KernelContext& ctx, const Tensor& q, AttentionDims* d) {
  const Tensor* past_k = ctx.Input(4);
  const Tensor* past_v = ctx.Input(5);
  const Tensor* nonpad = ctx.opset() >= 24 ? ctx.Input(6) : nullptr;
  if ((past_k == nullptr) != (past_v == nullptr)) {
    return ctx.InvalidArgument("past_key and past_value must be given together");
  }
  if (nonpad && past_k) {
    return ctx.InvalidArgument("nonpad_kv_seqlen cannot be combined with past_key/past_value");
  }
  const int64_t B = d->batch, Hkv = d->kv_heads;
  int64_t Sp = 0;
  if (past_k) {
    if (past_k->dtype() != q.dtype() || past_v->dtype() != q.dtype()) {
      return ctx.InvalidArgument("past_key/past_value element type differs from Q");
    }
    const std::vector<int64_t>& pkd = past_k->dims();
    const std::vector<int64_t>& pvd = past_v->dims();
    if (past_k->rank() != 4 || past_v->rank() != 4 || pkd[0] != B || pkd[1] != Hkv ||
        pkd[3] != d->head || pvd[0] != B || pvd[1] != Hkv || pvd[3] != d->v_head ||
        pvd[2] != pkd[2]) {
      return ctx.InvalidArgument("past_key/past_value shapes do not match K/V");
    }
    Sp = pkd[2];
  }
  if (nonpad) {
    if (nonpad->rank() != 1 || nonpad->dims()[0] != B) {
      return ctx.InvalidArgument("nonpad_kv_seqlen must have shape [batch_size]");
    }
  }
  d->past_len = Sp;
  d->total_len = Sp + d->kv_len;
  d->past_k = past_k;
  d->past_v = past_v;
  d->nonpad = nonpad;
  return Status::Ok();
}

Status ResolveAttentionMask(const KernelContext& ctx, const Tensor& mask, const AttentionDims& d,
                            int64_t strides[4], int64_t* mask_len) {
  const int mr = mask.rank();
  if (mr < 1 || mr > 4) return ctx.InvalidArgument("attn_mask must have rank 1 to 4");
  const int64_t Lm = mask.dims()[mr - 1];
  if (Lm > d.total_len) {
    return ctx.InvalidArgument("attn_mask's last dimension exceeds the kv length");
  }
  const int64_t full[4] = {d.batch, d.q_heads, d.q_len, Lm};
  const std::vector<int64_t> contiguous = ContiguousStrides(mask.dims());
  for (int ax = 0; ax < mr; ++ax) {
    const int o = 4 - mr + ax;
    const int64_t dim = mask.dims()[ax];
    if (dim != 1 && dim != full[o]) {
      return ctx.InvalidArgument("attn_mask shape does not broadcast to the attention shape");
    }
    strides[o] = dim == 1 ? 0 : contiguous[ax];
  }
  *mask_len = Lm;
  return Status::Ok();
}

std::vector<int64_t> AttentionOutputDims(const AttentionDims& d) {
  if (d.rank == 3) return {d.batch, d.q_len, d.q_heads * d.v_head};
  return {d.batch, d.q_heads, d.q_len, d.v_head};
}

Status CheckQkOutputMode(const KernelContext& ctx, const AttentionAttrs& attrs) {
  if (attrs.qk_mode < 0 || attrs.qk_mode > 3) {
    return ctx.InvalidArgument("qk_matmul_output_mode must be 0, 1, 2 or 3");
  }
  return Status::Ok();
}

double AttentionScale(const AttentionAttrs& attrs, int64_t head) {
  return attrs.has_scale ? attrs.scale : 1.0 / std::sqrt(static_cast<double>(head));
}

}  // namespace kiln::ops
