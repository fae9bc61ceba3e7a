// CUDA kernels of the attention family (host side; device code in attention.cu):
//   Attention  23, 24 (adds nonpad_kv_seqlen), 25+ (adds left/right_window_size), one registration
//              23+ as on the CPU.
// Scaled dot-product attention over 3-D ([B, S, heads * head]) or 4-D ([B, heads, S, head]) Q/K/V,
// with GQA/MQA head broadcasting, bool or additive attn_mask (right-aligned broadcast, a short last
// dimension padded as masked), offset-aware causal masking, internal (past/present) and external
// (nonpad_kv_seqlen) KV caches, sliding windows, softcap and the optional qk_matmul_output (modes
// 0-3). A fully masked query row gives a zero output row. softmax_precision is validated and
// otherwise ignored: the softmax always runs in float.
// Element types: Q/K/V/past float, float16, bfloat16 (one type for all; computed in float);
// attn_mask bool, float, float16, bfloat16; nonpad_kv_seqlen int64 (read on the device).
#include "kernels/cuda/attention.cuh"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/register.h"
#include "kernels/ops/attention_params.h"
#include "kernels/ops/common.h"

namespace kiln::cuda {
namespace {

bool IsCudaFloat(DataType dt) {
  return dt == DataType::kFloat || dt == DataType::kFloat16 || dt == DataType::kBFloat16;
}

class AttentionKernel : public Kernel {
 public:
  explicit AttentionKernel(const ops::AttentionAttrs& a) : a_(a) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* q = ctx.Input(0);
    const Tensor* k = ctx.Input(1);
    const Tensor* v = ctx.Input(2);
    KILN_RETURN_IF_ERROR(ops::CheckAttentionInputs(ctx, q, k, v));
    if (!IsCudaFloat(q->dtype())) {
      return ctx.Unsupported(std::string("element type ") + DataTypeName(q->dtype()) +
                             " is not supported on cuda");
    }
    AttentionArgs p;
    p.dtype = q->dtype();
    ops::AttentionDims g;
    KILN_RETURN_IF_ERROR(ops::ResolveAttentionHeads(ctx, a_, *q, *k, *v, &g));
    const int64_t D = g.head, Dv = g.v_head;
    if (D + Dv > kAttentionMaxHeadSum) {
      return ctx.Unsupported("head sizes " + std::to_string(D) + " + " + std::to_string(Dv) +
                             " exceed the cuda kernel's limit of " +
                             std::to_string(kAttentionMaxHeadSum));
    }

    // Caches.
    KILN_RETURN_IF_ERROR(ops::ResolveAttentionCaches(ctx, *q, &g));
    if (g.past_k != nullptr) {
      p.past_k = g.past_k->raw_data();
      p.past_v = g.past_v->raw_data();
    }
    const int64_t B = g.batch, Hq = g.q_heads, Hkv = g.kv_heads, Sq = g.q_len, St = g.total_len;
    if (const Tensor* nonpad = g.nonpad) {
      if (nonpad->dtype() != DataType::kInt64) {
        return ctx.Unsupported(std::string("nonpad_kv_seqlen of type ") +
                               DataTypeName(nonpad->dtype()) + " is not supported on cuda");
      }
      p.nonpad = static_cast<const int64_t*>(nonpad->raw_data());
    }

    // Mask: right-aligned broadcast to [B, Hq, Sq, Lm]; positions j >= Lm are masked.
    if (const Tensor* mask = ctx.Input(3)) {
      if (mask->dtype() != DataType::kBool && !IsCudaFloat(mask->dtype())) {
        return ctx.Unsupported(std::string("attn_mask of type ") + DataTypeName(mask->dtype()) +
                               " is not supported on cuda");
      }
      KILN_RETURN_IF_ERROR(ops::ResolveAttentionMask(ctx, *mask, g, p.mask_strides, &p.mask_len));
      p.mask = mask->raw_data();
      p.mask_dtype = mask->dtype();
    }
    switch (a_.softmax_precision) {
      case 0:
      case 1:
      case 10:
      case 11:
      case 16: break;
      default: return ctx.InvalidArgument("unsupported softmax_precision");
    }

    // Outputs.
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, q->dtype(), ops::AttentionOutputDims(g)));
    void* present_k = nullptr;
    void* present_v = nullptr;
    if (ctx.output_requested(1)) {
      KILN_ASSIGN_OR_RETURN(Tensor * o, ctx.Output(1, q->dtype(), {B, Hkv, St, D}));
      present_k = o->raw_data();
    }
    if (ctx.output_requested(2)) {
      KILN_ASSIGN_OR_RETURN(Tensor * o, ctx.Output(2, q->dtype(), {B, Hkv, St, Dv}));
      present_v = o->raw_data();
    }
    if (ctx.output_requested(3)) {
      KILN_RETURN_IF_ERROR(ops::CheckQkOutputMode(ctx, a_));
      KILN_ASSIGN_OR_RETURN(Tensor * o, ctx.Output(3, q->dtype(), {B, Hq, Sq, St}));
      p.qk_out = o->raw_data();
      p.qk_mode = static_cast<int>(a_.qk_mode);
    }

    p.q = q->raw_data();
    p.k = k->raw_data();
    p.v = v->raw_data();
    p.y = y->raw_data();
    p.batch = B;
    p.q_heads = Hq;
    p.kv_heads = Hkv;
    p.q_len = Sq;
    p.kv_len = g.kv_len;
    p.past_len = g.past_len;
    p.head = D;
    p.v_head = Dv;
    p.three_d = g.rank == 3;
    // The reference scales Q and K by sqrt(scale) each (a negative scale gives NaN there too).
    const double scale = ops::AttentionScale(a_, D);
    p.sqrt_scale = static_cast<float>(std::sqrt(scale));
    p.softcap = a_.softcap;
    p.is_causal = a_.is_causal;
    if (ctx.opset() >= 25) {
      p.left_window = a_.left_window;
      p.right_window = a_.right_window;
    }
    cudaStream_t stream = Stream(ctx).stream();
    if (present_k != nullptr || present_v != nullptr) {
      KILN_RETURN_IF_ERROR(CudaStatus(LaunchAttentionPresent(p, present_k, present_v, stream),
                                      ctx, "LaunchAttentionPresent"));
    }
    return CudaStatus(LaunchAttention(p, stream), ctx, "LaunchAttention");
  }

 private:
  ops::AttentionAttrs a_;
};

StatusOr<std::unique_ptr<Kernel>> AttentionFactory(const KernelInfo& info) {
  KILN_ASSIGN_OR_RETURN(const ops::AttentionAttrs a, ops::ReadAttentionAttrs(info));
  return std::unique_ptr<Kernel>(new AttentionKernel(a));
}

}  // namespace

void RegisterAttentionKernels(KernelRegistry& r) {
  r.Register(KernelDef("Attention")
                 .Opsets(23)
                 .OnDevice(Device::kCuda)
                 .Types("T1", {0, 1, 4}, kCudaFloatTypes)
                 .Types("T2", {2, 5}, kCudaFloatTypes)
                 .Types("U", {3},
                        {DataType::kBool, DataType::kFloat, DataType::kFloat16,
                         DataType::kBFloat16})
                 .Types("I", {6}, {DataType::kInt64}),
             AttentionFactory);
}

}  // namespace kiln::cuda
