// The Attention op's semantics shared by the CPU and CUDA kernels (kernels/cpu/attention.cc,
// kernels/cuda/attention.cc): the attributes with their defaults and checks, the geometry of a
// call (batch, heads, lengths, head sizes) from Q/K/V and the caches, the attn_mask broadcast
// and the output shapes. Plain C++ on kernels/api/kernel.h.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/api/kernel.h"

namespace kiln::ops {

struct AttentionAttrs {
  bool has_scale = false;
  float scale = 0;
  bool is_causal = false;
  int64_t q_num_heads = 0;  // 0: absent
  int64_t kv_num_heads = 0;
  int64_t softmax_precision = 0;  // 0: absent
  float softcap = 0;
  int64_t qk_mode = 0;
  int64_t left_window = -1;
  int64_t right_window = -1;
};

// Reads the attributes (the windows from opset 25); InvalidModel for out-of-range windows or
// qk_matmul_output_mode, or the info's own error.
StatusOr<AttentionAttrs> ReadAttentionAttrs(const KernelInfo& info);

// Q, K and V given, of one element type.
Status CheckAttentionInputs(const KernelContext& ctx, const Tensor* q, const Tensor* k,
                            const Tensor* v);

// The geometry of one call.
struct AttentionDims {
  int rank = 4;  // of Q, K and V (3 or 4)
  int64_t batch = 0, q_heads = 0, kv_heads = 0, q_len = 0, kv_len = 0, head = 0, v_head = 0;
  int64_t past_len = 0;   // past_key / past_value's sequence length (0 without them)
  int64_t total_len = 0;  // past_len + kv_len
  const Tensor* past_k = nullptr;
  const Tensor* past_v = nullptr;
  const Tensor* nonpad = nullptr;  // nonpad_kv_seqlen (opset 24+), shape-checked
};

// Q, K and V's ranks and shapes against each other and the head attributes; fills rank, batch,
// heads, lengths and head sizes.
Status ResolveAttentionHeads(const KernelContext& ctx, const AttentionAttrs& attrs, const Tensor& q,
                             const Tensor& k, const Tensor& v, AttentionDims* d);

// The caches (inputs 4-6) after ResolveAttentionHeads: past_key / past_value together, of Q's
// element type and matching K/V; nonpad_kv_seqlen [batch], not with the past. Fills past_len,
// total_len and the tensors.
Status ResolveAttentionCaches(const KernelContext& ctx, const Tensor& q, AttentionDims* d);

// attn_mask's right-aligned broadcast to [batch, q_heads, q_len, mask_len]: its last dimension
// (mask_len, at most total_len; keys from there on are masked) and element strides over the four
// axes (0 on broadcast axes).
Status ResolveAttentionMask(const KernelContext& ctx, const Tensor& mask, const AttentionDims& d,
                            int64_t strides[4], int64_t* mask_len);

// Y's dims: [B, Sq, Hq * Dv] (3-D) or [B, Hq, Sq, Dv].
std::vector<int64_t> AttentionOutputDims(const AttentionDims& d);

// The check before output 3 (qk_matmul_output) is written.
Status CheckQkOutputMode(const KernelContext& ctx, const AttentionAttrs& attrs);

// The softmax scale: the attribute, else 1 / sqrt(head size).
double AttentionScale(const AttentionAttrs& attrs, int64_t head);

}  // namespace kiln::ops
