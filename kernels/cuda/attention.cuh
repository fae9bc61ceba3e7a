// Launchers of the CUDA attention kernels (attention.cu): ONNX Attention (opset 23+) as one fused
// kernel per query row with an online (running maximum and sum) softmax, so the key length has no
// bound. Element types float, float16, bfloat16 for Q / K / V / past / outputs (computed in float);
// masks bool (1 byte per element), float, float16 or bfloat16. A launcher queues work on `stream`
// and returns cudaGetLastError(); it never synchronizes; unsupported types or sizes give
// cudaErrorInvalidValue.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "ir/dtype.h"

namespace kiln::cuda {

// The largest head + v_head the kernel takes (the query row and the output accumulator live in
// shared memory).
constexpr int64_t kAttentionMaxHeadSum = 8192;

// Geometry: Q is 4-D [B, Hq, Sq, D] or 3-D [B, Sq, Hq * D]; K / V the same with Hkv heads, Skv
// rows and D / Dv columns; past_k / past_v (optional) are 4-D [B, Hkv, Sp, D / Dv]. Key j of the
// St = Sp + Skv keys is past row j for j < Sp, else row j - Sp of K / V. Query head h reads key
// head h / (Hq / Hkv).
struct AttentionArgs {
  DataType dtype = DataType::kFloat;  // of Q, K, V, past_k, past_v, Y and qk_out
  const void* q = nullptr;
  const void* k = nullptr;
  const void* v = nullptr;
  const void* past_k = nullptr;  // nullptr: no past (past_len must be 0)
  const void* past_v = nullptr;
  void* y = nullptr;  // 4-D [B, Hq, Sq, Dv] or 3-D [B, Sq, Hq * Dv], like Q
  int64_t batch = 0, q_heads = 0, kv_heads = 0, q_len = 0, kv_len = 0, past_len = 0;
  int64_t head = 0, v_head = 0;
  bool three_d = false;
  // Scores are (sqrt_scale * q) . (sqrt_scale * k), as the reference scales Q and K.
  float sqrt_scale = 1.0f;
  float softcap = 0.0f;  // > 0: score = softcap * tanh(score / softcap)
  bool is_causal = false;
  int64_t left_window = -1;   // >= 0: keys before p - left_window are masked
  int64_t right_window = -1;  // >= 0: keys after p + right_window are masked
  // Optional mask, right-aligned broadcast to [B, Hq, Sq, mask_len]; keys at or past mask_len are
  // masked. Bool: false masks; otherwise the value is added to the score.
  const void* mask = nullptr;
  DataType mask_dtype = DataType::kFloat;
  int64_t mask_len = 0;
  int64_t mask_strides[4] = {0, 0, 0, 0};  // over (b, h, query, key); 0 on broadcast axes
  // Optional per-batch valid key count (device, int64 [B]): keys at or past it are masked, and the
  // causal position of query i is nonpad[b] - Sq + i. Without it the position is past_len + i.
  const int64_t* nonpad = nullptr;
  // Optional scores output [B, Hq, Sq, St]: mode 0 and 1 the (softcapped) scores, 2 the scores
  // plus the bias, 3 the softmax probabilities.
  void* qk_out = nullptr;
  int qk_mode = 0;
};

// Y (and qk_out). A query row whose keys are all masked gives a zero output row.
cudaError_t LaunchAttention(const AttentionArgs& args, cudaStream_t stream);

// present_k [B, Hkv, St, D] / present_v [B, Hkv, St, Dv]: past rows then the new K / V rows
// (either pointer may be null).
cudaError_t LaunchAttentionPresent(const AttentionArgs& args, void* present_k, void* present_v,
                                   cudaStream_t stream);

}  // namespace kiln::cuda
