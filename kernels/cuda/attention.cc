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
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/common.h"
#include "kernels/cuda/attention.cuh"
#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/register.h"

namespace kiln::cuda {
namespace {

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

bool IsCudaFloat(DataType dt) {
  return dt == DataType::kFloat || dt == DataType::kFloat16 || dt == DataType::kBFloat16;
}

class AttentionKernel : public Kernel {
 public:
  explicit AttentionKernel(const AttentionAttrs& a) : a_(a) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* q = ctx.Input(0);
    const Tensor* k = ctx.Input(1);
    const Tensor* v = ctx.Input(2);
    if (!q || !k || !v) return ctx.InvalidArgument("Q, K and V are required tensors");
    if (k->dtype() != q->dtype() || v->dtype() != q->dtype()) {
      return ctx.Unsupported("Q, K and V must have the same element type");
    }
    if (!IsCudaFloat(q->dtype())) {
      return ctx.Unsupported(std::string("element type ") + DataTypeName(q->dtype()) +
                             " is not supported on cuda");
    }
    AttentionArgs p;
    p.dtype = q->dtype();
    const int rank = q->rank();
    if ((rank != 3 && rank != 4) || k->rank() != rank || v->rank() != rank) {
      return ctx.InvalidArgument("Q, K and V must all be 3-D or all be 4-D");
    }
    const std::vector<int64_t>& qd = q->dims();
    const std::vector<int64_t>& kd = k->dims();
    const std::vector<int64_t>& vd = v->dims();
    const int64_t B = qd[0];
    int64_t Hq, Hkv, Sq, Skv, D, Dk, Dv;
    if (rank == 3) {
      if (a_.q_num_heads <= 0 || a_.kv_num_heads <= 0) {
        return ctx.InvalidArgument("3-D inputs need positive q_num_heads and kv_num_heads");
      }
      Hq = a_.q_num_heads;
      Hkv = a_.kv_num_heads;
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
      if (ctx.opset() >= 25 && (a_.q_num_heads > 0 || a_.kv_num_heads > 0)) {
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
    if (D + Dv > kAttentionMaxHeadSum) {
      return ctx.Unsupported("head sizes " + std::to_string(D) + " + " + std::to_string(Dv) +
                             " exceed the cuda kernel's limit of " +
                             std::to_string(kAttentionMaxHeadSum));
    }

    // Caches.
    const Tensor* past_k = ctx.Input(4);
    const Tensor* past_v = ctx.Input(5);
    const Tensor* nonpad = ctx.opset() >= 24 ? ctx.Input(6) : nullptr;
    if ((past_k == nullptr) != (past_v == nullptr)) {
      return ctx.InvalidArgument("past_key and past_value must be given together");
    }
    if (nonpad && past_k) {
      return ctx.InvalidArgument("nonpad_kv_seqlen cannot be combined with past_key/past_value");
    }
    int64_t Sp = 0;
    if (past_k) {
      if (past_k->dtype() != q->dtype() || past_v->dtype() != q->dtype()) {
        return ctx.InvalidArgument("past_key/past_value element type differs from Q");
      }
      const std::vector<int64_t>& pkd = past_k->dims();
      const std::vector<int64_t>& pvd = past_v->dims();
      if (past_k->rank() != 4 || past_v->rank() != 4 || pkd[0] != B || pkd[1] != Hkv ||
          pkd[3] != D || pvd[0] != B || pvd[1] != Hkv || pvd[3] != Dv || pvd[2] != pkd[2]) {
        return ctx.InvalidArgument("past_key/past_value shapes do not match K/V");
      }
      Sp = pkd[2];
      p.past_k = past_k->raw_data();
      p.past_v = past_v->raw_data();
    }
    const int64_t St = Sp + Skv;
    if (nonpad) {
      if (nonpad->rank() != 1 || nonpad->dims()[0] != B) {
        return ctx.InvalidArgument("nonpad_kv_seqlen must have shape [batch_size]");
      }
      if (nonpad->dtype() != DataType::kInt64) {
        return ctx.Unsupported(std::string("nonpad_kv_seqlen of type ") +
                               DataTypeName(nonpad->dtype()) + " is not supported on cuda");
      }
      p.nonpad = static_cast<const int64_t*>(nonpad->raw_data());
    }

    // Mask: right-aligned broadcast to [B, Hq, Sq, Lm]; positions j >= Lm are masked.
    if (const Tensor* mask = ctx.Input(3)) {
      const int mr = mask->rank();
      if (mr < 1 || mr > 4) return ctx.InvalidArgument("attn_mask must have rank 1 to 4");
      if (mask->dtype() != DataType::kBool && !IsCudaFloat(mask->dtype())) {
        return ctx.Unsupported(std::string("attn_mask of type ") + DataTypeName(mask->dtype()) +
                               " is not supported on cuda");
      }
      const int64_t Lm = mask->dims()[mr - 1];
      if (Lm > St) return ctx.InvalidArgument("attn_mask's last dimension exceeds the kv length");
      const int64_t full[4] = {B, Hq, Sq, Lm};
      const std::vector<int64_t> strides = cpu::ContiguousStrides(mask->dims());
      for (int ax = 0; ax < mr; ++ax) {
        const int o = 4 - mr + ax;
        const int64_t dim = mask->dims()[ax];
        if (dim != 1 && dim != full[o]) {
          return ctx.InvalidArgument("attn_mask shape does not broadcast to the attention shape");
        }
        p.mask_strides[o] = dim == 1 ? 0 : strides[ax];
      }
      p.mask = mask->raw_data();
      p.mask_dtype = mask->dtype();
      p.mask_len = Lm;
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
    const std::vector<int64_t> ydims = rank == 3 ? std::vector<int64_t>{B, Sq, Hq * Dv}
                                                 : std::vector<int64_t>{B, Hq, Sq, Dv};
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, q->dtype(), ydims));
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
      if (a_.qk_mode < 0 || a_.qk_mode > 3) {
        return ctx.InvalidArgument("qk_matmul_output_mode must be 0, 1, 2 or 3");
      }
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
    p.kv_len = Skv;
    p.past_len = Sp;
    p.head = D;
    p.v_head = Dv;
    p.three_d = rank == 3;
    // The reference scales Q and K by sqrt(scale) each (a negative scale gives NaN there too).
    const double scale = a_.has_scale ? a_.scale : 1.0 / std::sqrt(static_cast<double>(D));
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
  AttentionAttrs a_;
};

StatusOr<std::unique_ptr<Kernel>> AttentionFactory(const KernelInfo& info) {
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
