// CUDA kernels of the normalization family (host side; device code in normalization.cu):
//   BatchNormalization     1-5, 6, 7-8, 9-13, 14, 15+ (inference; training mode computes the batch
//                          statistics and the running mean / variance outputs, spatial only)
//   InstanceNormalization  1-5, 6-21, 22+
//   LayerNormalization     17+ (axis, epsilon, stash_type; optional Mean / InvStdDev outputs)
//   GroupNormalization     18-20 (scale / bias per group), 21+ (per channel)
//   RMSNormalization       23+
//   LRN                    1-12, 13+
// Element types: float, float16, bfloat16 (statistics and per-element math in float).
#include "kernels/cuda/normalization.cuh"

#include <memory>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/register.h"
#include "kernels/ops/common.h"
#include "kernels/ops/normalization_params.h"

namespace kiln::cuda {
namespace {

bool IsCudaFloat(DataType dt) {
  return dt == DataType::kFloat || dt == DataType::kFloat16 || dt == DataType::kBFloat16;
}

Status CheckType(const KernelContext& ctx, const Tensor& t, const char* what) {
  if (IsCudaFloat(t.dtype())) return Status::Ok();
  return ctx.Unsupported(std::string("input '") + what + "': element type " +
                         DataTypeName(t.dtype()) + " is not supported on cuda");
}

// A parameter with exactly `count` elements (one per channel or group); the caller sets its mode.
StatusOr<NormParam> CountParam(const KernelContext& ctx, int index, const char* what,
                               int64_t count) {
  KILN_ASSIGN_OR_RETURN(const Tensor* t, ops::CountedParam(ctx, index, what, count));
  KILN_RETURN_IF_ERROR(CheckType(ctx, *t, what));
  NormParam p;
  p.data = t->raw_data();
  p.dtype = t->dtype();
  return p;
}

// A parameter broadcast (unidirectionally) to `target` (the normalized tail of X, or all of X when
// `full`). Leading 1-dims of the parameter beyond target's rank are ignored.
StatusOr<NormParam> BroadcastParam(const KernelContext& ctx, const Tensor& t,
                                   const std::vector<int64_t>& target, bool full,
                                   const char* what) {
  KILN_ASSIGN_OR_RETURN(const std::vector<int64_t> td, ops::FitParamDims(ctx, t, target, what));
  KILN_RETURN_IF_ERROR(CheckType(ctx, t, what));
  NormParam p;
  p.data = t.raw_data();
  p.dtype = t.dtype();
  p.full = full;
  if (!full && td == target) {
    p.mode = NormParam::kPerColumn;
    return p;
  }
  BroadcastShape shape;
  if (!MakeBroadcastShape({td}, target, &shape) || shape.rank > kNormMaxDims) {
    return ctx.Unsupported(std::string("input '") + what + "' of shape " +
                           DimsToString(t.dims()) + " broadcasts to " + DimsToString(target) +
                           " with too many dimensions for the cuda kernel");
  }
  p.mode = NormParam::kBroadcast;
  p.rank = shape.rank;
  for (int d = 0; d < shape.rank; ++d) {
    p.dims[d] = shape.out_dims[d];
    p.strides[d] = shape.strides[0][d];
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// BatchNormalization.

class BatchNormKernel : public Kernel {
 public:
  explicit BatchNormKernel(const KernelInfo& info) : attrs_(ops::ReadBatchNormAttrs(info)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x;
    BatchNormArgs a;
    KILN_RETURN_IF_ERROR(ops::GetNCSInput(ctx, "X", &x, &a.n, &a.c, &a.s));
    KILN_RETURN_IF_ERROR(CheckType(ctx, *x, "X"));
    a.spatial = attrs_.spatial;
    a.epsilon = attrs_.epsilon;
    a.dtype = x->dtype();
    const int64_t per = attrs_.spatial ? a.c : a.c * a.s;
    const Tensor* p[4];
    for (int i = 0; i < 4; ++i) {
      KILN_ASSIGN_OR_RETURN(p[i], ops::BatchNormParam(ctx, *x, i, per));
      KILN_RETURN_IF_ERROR(CheckType(ctx, *p[i], ops::kBatchNormParamNames[i]));
    }
    if (attrs_.training && !attrs_.spatial) {
      return ctx.Unsupported("training mode with spatial = 0 is not supported");
    }
    a.scale = p[0]->raw_data();
    a.scale_dtype = p[0]->dtype();
    a.bias = p[1]->raw_data();
    a.bias_dtype = p[1]->dtype();
    a.mean = p[2]->raw_data();
    a.mean_dtype = p[2]->dtype();
    a.var = p[3]->raw_data();
    a.var_dtype = p[3]->dtype();
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->dims()));
    a.y = y->raw_data();
    a.x = x->raw_data();
    cudaStream_t stream = Stream(ctx).stream();

    float* stats = nullptr;
    Tensor stats_t;
    if (attrs_.training) {
      KILN_ASSIGN_OR_RETURN(stats_t, ctx.Scratch(sizeof(float) * 2 * static_cast<size_t>(a.c)));
      stats = static_cast<float*>(stats_t.raw_data());
      KILN_RETURN_IF_ERROR(
          CudaStatus(LaunchBatchNormStats(a, stats, stream), ctx, "LaunchBatchNormStats"));
    }
    if (x->numel() > 0) {
      KILN_ASSIGN_OR_RETURN(Tensor coef_t,
                            ctx.Scratch(sizeof(float) * 3 * static_cast<size_t>(per)));
      float* coef = static_cast<float*>(coef_t.raw_data());
      KILN_RETURN_IF_ERROR(CudaStatus(LaunchBatchNormCoefficients(a, stats, coef, stream), ctx,
                                      "LaunchBatchNormCoefficients"));
      KILN_RETURN_IF_ERROR(
          CudaStatus(LaunchBatchNormApply(a, coef, stream), ctx, "LaunchBatchNormApply"));
    }
    if (!attrs_.training) {
      // Inference with extra outputs requested (old opsets): pass the statistics through.
      for (int i = 1; i < 5; ++i) {
        if (!ctx.output_requested(i)) continue;
        const Tensor* src = ctx.Input(i < 3 ? i + 2 : i);
        KILN_ASSIGN_OR_RETURN(Tensor * o, ctx.Output(i, src->dtype(), src->dims()));
        if (src->nbytes() == 0) continue;
        KILN_RETURN_IF_ERROR(CudaStatus(cudaMemcpyAsync(o->raw_data(), src->raw_data(),
                                                        src->nbytes(), cudaMemcpyDeviceToDevice,
                                                        stream),
                                        ctx, "cudaMemcpyAsync"));
      }
      return Status::Ok();
    }
    void* outs[4] = {nullptr, nullptr, nullptr, nullptr};
    DataType out_types[4] = {DataType::kFloat, DataType::kFloat, DataType::kFloat,
                             DataType::kFloat};
    for (int i = 1; i < 5; ++i) {
      if (!ctx.output_requested(i)) continue;
      const Tensor* like = p[i % 2 == 1 ? 2 : 3];
      KILN_ASSIGN_OR_RETURN(Tensor * o, ctx.Output(i, like->dtype(), like->dims()));
      outs[i - 1] = o->raw_data();
      out_types[i - 1] = like->dtype();
    }
    return CudaStatus(
        LaunchBatchNormTrainingOutputs(a, stats, attrs_.momentum, outs, out_types, stream), ctx,
        "LaunchBatchNormTrainingOutputs");
  }

 private:
  ops::BatchNormAttrs attrs_;
};

// ---------------------------------------------------------------------------------------------
// InstanceNormalization and GroupNormalization: normalize contiguous chunks of X.

Status LaunchRows(const KernelContext& ctx, const RowNormArgs& a) {
  return CudaStatus(LaunchRowNorm(a, Stream(ctx).stream()), ctx, "LaunchRowNorm");
}

class InstanceNormKernel : public Kernel {
 public:
  explicit InstanceNormKernel(const KernelInfo& info) {
    epsilon_ = info.GetFloat("epsilon", 1e-5f);
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x;
    int64_t n, c, s;
    KILN_RETURN_IF_ERROR(ops::GetNCSInput(ctx, "input", &x, &n, &c, &s));
    KILN_RETURN_IF_ERROR(CheckType(ctx, *x, "input"));
    RowNormArgs a;
    KILN_ASSIGN_OR_RETURN(a.scale, CountParam(ctx, 1, "scale", c));
    KILN_ASSIGN_OR_RETURN(a.bias, CountParam(ctx, 2, "B", c));
    a.scale.mode = a.bias.mode = NormParam::kPerRow;
    a.scale.modulus = a.bias.modulus = c;
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->dims()));
    if (x->numel() == 0) return Status::Ok();
    a.dtype = x->dtype();
    a.x = x->raw_data();
    a.y = y->raw_data();
    a.rows = n * c;
    a.cols = s;
    a.epsilon = epsilon_;
    return LaunchRows(ctx, a);
  }

 private:
  float epsilon_;
};

class GroupNormKernel : public Kernel {
 public:
  explicit GroupNormKernel(const KernelInfo& info) : attrs_(ops::ReadGroupNormAttrs(info)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x;
    int64_t n, c, s;
    KILN_RETURN_IF_ERROR(ops::GetNCSInput(ctx, "X", &x, &n, &c, &s));
    KILN_RETURN_IF_ERROR(CheckType(ctx, *x, "X"));
    KILN_ASSIGN_OR_RETURN(const ops::GroupNormPlan gp, ops::PlanGroupNorm(ctx, attrs_, c));
    const int64_t g = gp.groups, cpg = gp.per_group;
    const bool per_channel = gp.per_channel;
    RowNormArgs a;
    KILN_ASSIGN_OR_RETURN(a.scale, CountParam(ctx, 1, "scale", gp.param_count));
    KILN_ASSIGN_OR_RETURN(a.bias, CountParam(ctx, 2, "bias", gp.param_count));
    for (NormParam* p : {&a.scale, &a.bias}) {
      p->mode = per_channel ? NormParam::kGroupChannel : NormParam::kPerRow;
      p->modulus = g;
      p->per_group = cpg;
      p->spatial = s;
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->dims()));
    if (x->numel() == 0) return Status::Ok();
    a.dtype = x->dtype();
    a.x = x->raw_data();
    a.y = y->raw_data();
    a.rows = n * g;
    a.cols = cpg * s;
    a.epsilon = attrs_.epsilon;
    return LaunchRows(ctx, a);
  }

 private:
  ops::GroupNormAttrs attrs_;
};

// ---------------------------------------------------------------------------------------------
// LayerNormalization and RMSNormalization: normalize over the trailing axes [axis, rank).

class RowNormKernel : public Kernel {
 public:
  RowNormKernel(const KernelInfo& info, bool rms)
      : rms_(rms), attrs_(ops::ReadRowNormAttrs(info)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    const Tensor* scale_t = ctx.Input(1);
    if (x == nullptr || scale_t == nullptr) {
      return ctx.InvalidArgument("inputs 'X' and 'Scale' are required");
    }
    KILN_RETURN_IF_ERROR(CheckType(ctx, *x, "X"));
    const std::vector<int64_t>& d = x->dims();
    // Parameters broadcast over the normalized axes (the common case) or over all of X.
    const Tensor* bias_t = rms_ ? nullptr : ctx.Input(2);
    KILN_ASSIGN_OR_RETURN(const ops::RowNormPlan plan,
                          ops::PlanRowNorm(ctx, attrs_, *x, *scale_t, bias_t));
    RowNormArgs a;
    a.dtype = x->dtype();
    a.rows = plan.rows;
    a.cols = plan.cols;
    a.epsilon = attrs_.epsilon;
    a.rms = rms_;
    const bool full = plan.full;
    const std::vector<int64_t>& target = full ? d : plan.tail;
    KILN_ASSIGN_OR_RETURN(a.scale, BroadcastParam(ctx, *scale_t, target, full, "Scale"));
    if (bias_t != nullptr) {
      KILN_ASSIGN_OR_RETURN(a.bias, BroadcastParam(ctx, *bias_t, target, full, "B"));
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), d));
    a.x = x->raw_data();
    a.y = y->raw_data();
    if (!rms_) {
      for (int i = 0; i < 2; ++i) {
        if (!ctx.output_requested(i + 1)) continue;
        const DataType st = attrs_.stat_types[i];
        const DataType dt = st == DataType::kUndefined ? x->dtype() : st;
        KILN_ASSIGN_OR_RETURN(Tensor * o, ctx.Output(i + 1, dt, plan.stat_dims));
        (i == 0 ? a.mean_out : a.inv_out) = o->raw_data();
        (i == 0 ? a.mean_dtype : a.inv_dtype) = dt;
      }
    }
    return LaunchRows(ctx, a);
  }

 private:
  bool rms_;
  ops::RowNormAttrs attrs_;
};

template <typename K>
KernelFactory Factory() {
  return [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    auto k = std::make_unique<K>(info);
    if (!info.status().ok()) return info.status();
    return std::unique_ptr<Kernel>(std::move(k));
  };
}

KernelFactory RowNormFactory(bool rms) {
  return [rms](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    auto k = std::make_unique<RowNormKernel>(info, rms);
    if (!info.status().ok()) return info.status();
    return std::unique_ptr<Kernel>(std::move(k));
  };
}

KernelDef CudaDef(const char* op, int since, int end) {
  return KernelDef(op).Opsets(since, end).OnDevice(Device::kCuda);
}

class LrnKernel : public Kernel {
 public:
  explicit LrnKernel(const KernelInfo& info) : attrs_(ops::ReadLrnAttrs(info)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x;
    LrnArgs a;
    KILN_RETURN_IF_ERROR(ops::GetNCSInput(ctx, "X", &x, &a.n, &a.c, &a.s));
    KILN_RETURN_IF_ERROR(CheckType(ctx, *x, "X"));
    KILN_RETURN_IF_ERROR(ops::CheckLrnAttrs(ctx, attrs_));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->dims()));
    a.dtype = x->dtype();
    a.x = x->raw_data();
    a.y = y->raw_data();
    a.before = attrs_.before();
    a.after = attrs_.after();
    a.scale = static_cast<float>(attrs_.scale());
    a.bias = attrs_.bias;
    a.beta = attrs_.beta;
    return CudaStatus(LaunchLrn(a, Stream(ctx).stream()), ctx, "LaunchLrn");
  }

 private:
  ops::LrnAttrs attrs_;
};

}  // namespace

void RegisterNormalizationKernels(KernelRegistry& r) {
  const std::vector<DataType>& f = kCudaFloatTypes;
  // BatchNormalization: T (X, Y), T1 (scale, B) and T2 (mean, var) may differ from opset 15.
  const int bn_versions[] = {1, 6, 7, 9, 14, 15};
  for (size_t i = 0; i < 6; ++i) {
    const int end = i + 1 < 6 ? bn_versions[i + 1] - 1 : kMaxOpset;
    KernelDef def = CudaDef("BatchNormalization", bn_versions[i], end);
    if (bn_versions[i] >= 15) {
      def.Types("T", {0}, f).Types("T1", {1, 2}, f).Types("T2", {3, 4}, f);
    } else {
      def.Types("T", {0, 1, 2, 3, 4}, f);
    }
    r.Register(def, Factory<BatchNormKernel>());
  }
  r.Register(CudaDef("InstanceNormalization", 1, 5).Types("T", {0, 1, 2}, f),
             Factory<InstanceNormKernel>());
  r.Register(CudaDef("InstanceNormalization", 6, 21).Types("T", {0, 1, 2}, f),
             Factory<InstanceNormKernel>());
  r.Register(CudaDef("InstanceNormalization", 22, kMaxOpset).Types("T", {0, 1, 2}, f),
             Factory<InstanceNormKernel>());
  r.Register(CudaDef("LayerNormalization", 17, kMaxOpset).Types("T", {0, 1, 2}, f),
             RowNormFactory(/*rms=*/false));
  r.Register(CudaDef("RMSNormalization", 23, kMaxOpset).Types("T", {0}, f).Types("V", {1}, f),
             RowNormFactory(/*rms=*/true));
  r.Register(CudaDef("GroupNormalization", 18, 20).Types("T", {0, 1, 2}, f),
             Factory<GroupNormKernel>());
  r.Register(CudaDef("GroupNormalization", 21, kMaxOpset).Types("T", {0, 1, 2}, f),
             Factory<GroupNormKernel>());
  r.Register(CudaDef("LRN", 1, 12).Types("T", {0}, f), Factory<LrnKernel>());
  r.Register(CudaDef("LRN", 13, kMaxOpset).Types("T", {0}, f), Factory<LrnKernel>());
}

}  // namespace kiln::cuda
