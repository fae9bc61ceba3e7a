// CUDA kernels of the normalization family (host side; device code in normalization.cu):
//   BatchNormalization     1-5, 6, 7-8, 9-13, 14, 15+ (inference; training mode computes the batch
//                          statistics and the running mean / variance outputs, spatial only)
//   InstanceNormalization  1-5, 6-21, 22+
//   LayerNormalization     17+ (axis, epsilon, stash_type; optional Mean / InvStdDev outputs)
//   GroupNormalization     18-20 (scale / bias per group), 21+ (per channel)
//   RMSNormalization       23+
//   LRN                    1-12, 13+
// Element types: float, float16, bfloat16 (statistics and per-element math in float).
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/common.h"
#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/normalization.cuh"
#include "kernels/cuda/register.h"

namespace kiln::cuda {
namespace {

bool IsCudaFloat(DataType dt) {
  return dt == DataType::kFloat || dt == DataType::kFloat16 || dt == DataType::kBFloat16;
}

bool IsFloatType(DataType dt) { return IsCudaFloat(dt) || dt == DataType::kDouble; }

Status CheckType(const KernelContext& ctx, const Tensor& t, const char* what) {
  if (IsCudaFloat(t.dtype())) return Status::Ok();
  return ctx.Unsupported(std::string("input '") + what + "': element type " +
                         DataTypeName(t.dtype()) + " is not supported on cuda");
}

// Checks X has rank >= 2 ([N, C, ...]); returns N, C and the spatial size.
Status SplitNCS(const KernelContext& ctx, const Tensor& x, int64_t* n, int64_t* c, int64_t* s) {
  if (x.rank() < 2) {
    return ctx.InvalidArgument("input 'X' must have rank >= 2 ([N, C, ...]), got shape " +
                               DimsToString(x.dims()));
  }
  *n = x.dim(0);
  *c = x.dim(1);
  *s = cpu::ProductOfDims(x.dims(), 2, x.rank());
  return Status::Ok();
}

// A parameter with exactly `count` elements (one per channel or group); the caller sets its mode.
StatusOr<NormParam> CountParam(const KernelContext& ctx, int index, const char* what,
                               int64_t count) {
  const Tensor* t = ctx.Input(index);
  if (t == nullptr) return ctx.InvalidArgument(std::string("input '") + what + "' is missing");
  if (t->numel() != count) {
    return ctx.InvalidArgument(std::string("input '") + what + "' must have " +
                               std::to_string(count) + " elements (one per channel), got shape " +
                               DimsToString(t->dims()));
  }
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
  std::vector<int64_t> td = t.dims();
  while (td.size() > target.size() && td.front() == 1) td.erase(td.begin());
  bool fits = td.size() <= target.size();
  for (size_t i = 0; fits && i < td.size(); ++i) {
    const int64_t want = target[target.size() - td.size() + i];
    fits = td[i] == want || td[i] == 1;
  }
  if (!fits) {
    return ctx.InvalidArgument(std::string("input '") + what + "' of shape " +
                               DimsToString(t.dims()) + " cannot be broadcast to " +
                               DimsToString(target));
  }
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
  explicit BatchNormKernel(const KernelInfo& info) {
    epsilon_ = info.GetFloat("epsilon", 1e-5f);
    momentum_ = info.GetFloat("momentum", 0.9f);
    const int opset = info.opset();
    if (opset >= 14) {
      training_ = info.GetInt("training_mode", 0) != 0;
    } else {
      // Before 14, training mode is signalled by the extra outputs (and is_test = 0 before 7).
      const bool is_test = opset < 7 ? info.GetInt("is_test", 0) != 0 : false;
      training_ = !is_test && info.has_output(1);
    }
    spatial_ = opset < 9 ? info.GetInt("spatial", 1) != 0 : true;
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("input 'X' is missing");
    KILN_RETURN_IF_ERROR(CheckType(ctx, *x, "X"));
    BatchNormArgs a;
    KILN_RETURN_IF_ERROR(SplitNCS(ctx, *x, &a.n, &a.c, &a.s));
    a.spatial = spatial_;
    a.epsilon = epsilon_;
    a.dtype = x->dtype();
    const int64_t per = spatial_ ? a.c : a.c * a.s;
    const char* names[4] = {"scale", "B", "mean", "var"};
    const Tensor* p[4];
    for (int i = 0; i < 4; ++i) {
      p[i] = ctx.Input(i + 1);
      if (p[i] == nullptr) {
        return ctx.InvalidArgument(std::string("input '") + names[i] + "' is missing");
      }
      if (p[i]->numel() != per) {
        return ctx.InvalidArgument(std::string("input '") + names[i] + "' must have " +
                                   std::to_string(per) + " elements for X of shape " +
                                   DimsToString(x->dims()) + ", got shape " +
                                   DimsToString(p[i]->dims()));
      }
      KILN_RETURN_IF_ERROR(CheckType(ctx, *p[i], names[i]));
    }
    if (training_ && !spatial_) {
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
    if (training_) {
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
    if (!training_) {
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
    return CudaStatus(LaunchBatchNormTrainingOutputs(a, stats, momentum_, outs, out_types, stream),
                      ctx, "LaunchBatchNormTrainingOutputs");
  }

 private:
  float epsilon_ = 1e-5f;
  float momentum_ = 0.9f;
  bool training_ = false;
  bool spatial_ = true;
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
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("input 'input' is missing");
    KILN_RETURN_IF_ERROR(CheckType(ctx, *x, "input"));
    int64_t n, c, s;
    KILN_RETURN_IF_ERROR(SplitNCS(ctx, *x, &n, &c, &s));
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
  explicit GroupNormKernel(const KernelInfo& info) {
    epsilon_ = info.GetFloat("epsilon", 1e-5f);
    num_groups_ = info.GetInt("num_groups", 0);
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("input 'X' is missing");
    KILN_RETURN_IF_ERROR(CheckType(ctx, *x, "X"));
    int64_t n, c, s;
    KILN_RETURN_IF_ERROR(SplitNCS(ctx, *x, &n, &c, &s));
    const int64_t g = num_groups_;
    if (g <= 0 || c % g != 0) {
      return ctx.InvalidArgument("num_groups " + std::to_string(g) +
                                 " must be positive and divide the channel count " +
                                 std::to_string(c));
    }
    const Tensor* st = ctx.Input(1);
    const Tensor* bt = ctx.Input(2);
    if (st == nullptr || bt == nullptr) {
      return ctx.InvalidArgument("inputs 'scale' and 'bias' are required");
    }
    // Opset 18 gives one scale / bias per group, opset 21 one per channel.
    const bool per_channel = ctx.opset() >= 21 || st->numel() != g;
    const int64_t want = per_channel ? c : g;
    RowNormArgs a;
    KILN_ASSIGN_OR_RETURN(a.scale, CountParam(ctx, 1, "scale", want));
    KILN_ASSIGN_OR_RETURN(a.bias, CountParam(ctx, 2, "bias", want));
    const int64_t cpg = c / g;
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
    a.epsilon = epsilon_;
    return LaunchRows(ctx, a);
  }

 private:
  float epsilon_;
  int64_t num_groups_;
};

// ---------------------------------------------------------------------------------------------
// LayerNormalization and RMSNormalization: normalize over the trailing axes [axis, rank).

class RowNormKernel : public Kernel {
 public:
  RowNormKernel(const KernelInfo& info, bool rms) : rms_(rms) {
    axis_ = info.GetInt("axis", -1);
    epsilon_ = info.GetFloat("epsilon", 1e-5f);
    const int64_t stash = info.GetInt("stash_type", 1);
    // Mean / InvStdDev use the declared output type, else the stash type (float), else X's.
    for (int i = 0; i < 2; ++i) {
      const TypeInfo& t = info.output_type(i + 1);
      stat_types_[i] = t.is_tensor() && IsFloatType(t.elem_type)
                           ? t.elem_type
                           : (stash == 1 ? DataType::kFloat : DataType::kUndefined);
    }
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    const Tensor* scale_t = ctx.Input(1);
    if (x == nullptr || scale_t == nullptr) {
      return ctx.InvalidArgument("inputs 'X' and 'Scale' are required");
    }
    KILN_RETURN_IF_ERROR(CheckType(ctx, *x, "X"));
    const int rank = x->rank();
    if (rank == 0) return ctx.InvalidArgument("input 'X' must have rank >= 1, got a scalar");
    KILN_ASSIGN_OR_RETURN(int axis, cpu::NormalizeAxis(axis_, rank, ctx.node()));
    const std::vector<int64_t>& d = x->dims();
    RowNormArgs a;
    a.dtype = x->dtype();
    a.rows = cpu::ProductOfDims(d, 0, axis);
    a.cols = cpu::ProductOfDims(d, axis, rank);
    a.epsilon = epsilon_;
    a.rms = rms_;
    // Parameters broadcast over the normalized axes (the common case) or over all of X; `full`
    // is decided from both parameters first so they share one layout.
    const std::vector<int64_t> tail(d.begin() + axis, d.end());
    const Tensor* bias_t = rms_ ? nullptr : ctx.Input(2);
    bool full = false;
    for (const Tensor* t : {scale_t, bias_t}) {
      if (t == nullptr) continue;
      size_t lead = 0;
      while (lead < t->dims().size() && t->dims()[lead] == 1) ++lead;
      if (t->dims().size() - lead > tail.size()) full = true;
    }
    KILN_ASSIGN_OR_RETURN(a.scale, BroadcastParam(ctx, *scale_t, full ? d : tail, full, "Scale"));
    if (bias_t != nullptr) {
      KILN_ASSIGN_OR_RETURN(a.bias, BroadcastParam(ctx, *bias_t, full ? d : tail, full, "B"));
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), d));
    a.x = x->raw_data();
    a.y = y->raw_data();
    if (!rms_) {
      std::vector<int64_t> stat_dims(d.begin(), d.begin() + axis);
      stat_dims.resize(rank, 1);
      for (int i = 0; i < 2; ++i) {
        if (!ctx.output_requested(i + 1)) continue;
        const DataType dt = stat_types_[i] == DataType::kUndefined ? x->dtype() : stat_types_[i];
        KILN_ASSIGN_OR_RETURN(Tensor * o, ctx.Output(i + 1, dt, stat_dims));
        (i == 0 ? a.mean_out : a.inv_out) = o->raw_data();
        (i == 0 ? a.mean_dtype : a.inv_dtype) = dt;
      }
    }
    return LaunchRows(ctx, a);
  }

 private:
  bool rms_;
  int64_t axis_;
  float epsilon_;
  DataType stat_types_[2];
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
  explicit LrnKernel(const KernelInfo& info)
      : alpha_(info.GetFloat("alpha", 1e-4f)),
        beta_(info.GetFloat("beta", 0.75f)),
        bias_(info.GetFloat("bias", 1.0f)),
        size_(info.GetInt("size", 0)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("input 'X' is missing");
    KILN_RETURN_IF_ERROR(CheckType(ctx, *x, "X"));
    if (size_ <= 0) {
      return ctx.InvalidArgument("attribute 'size' must be positive, got " + std::to_string(size_));
    }
    LrnArgs a;
    KILN_RETURN_IF_ERROR(SplitNCS(ctx, *x, &a.n, &a.c, &a.s));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->dims()));
    a.dtype = x->dtype();
    a.x = x->raw_data();
    a.y = y->raw_data();
    a.before = (size_ - 1) / 2;
    a.after = size_ / 2;
    a.scale = static_cast<float>(static_cast<double>(alpha_) / static_cast<double>(size_));
    a.bias = bias_;
    a.beta = beta_;
    return CudaStatus(LaunchLrn(a, Stream(ctx).stream()), ctx, "LaunchLrn");
  }

 private:
  float alpha_, beta_, bias_;
  int64_t size_;
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
