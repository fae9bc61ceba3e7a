// CUDA convolution kernels (cuDNN), float32 / float16 / bfloat16:
//   Conv            1+  (group, dilations, strides, pads, auto_pad NOTSET / SAME_UPPER /
//                        SAME_LOWER / VALID, kernel_shape; 1-3 spatial dims)
//   ConvTranspose   1+  (as Conv, plus output_padding and output_shape)
//   kiln FusedConv  1   (float32: activation(Conv(X, W, B?) + Z?), Z of Y's shape; Y may share
//                        Z's buffer)
// Attributes, geometry and their errors: kernels/ops/conv_pool_params.h, shared with the CPU.
//
// Conv runs cudnnConvolutionForward (4-D / 5-D descriptors: a 1-D convolution is a 2-D one with
// height 1); ConvTranspose runs cudnnConvolutionBackwardData, the adjoint of the convolution from
// Y to X. What depends on the input shapes (descriptors, the path, cuDNN's ranked algorithms of
// its heuristics cudnnGet*Algorithm_v7 whose workspace fits kMaxWorkspaceBytes, no benchmarking)
// is a ConvPlan made once per shape by Kernel::Prepare and read by later runs without a lock; a
// run without one (memory planning off) makes its own. The workspace is kernel scratch (planned
// in the session's arena). cuDNN takes symmetric pads
// only: a Conv with pad_begin != pad_end runs on a zero-padded copy of X (scratch), and a
// ConvTranspose whose pads cuDNN cannot express (asymmetric, negative from output_shape, or an
// output_padding cuDNN refuses) computes the unpadded result into scratch and crops it. Compute
// type is float; math type: CUDNN_FMA_MATH for float32 (no TF32) unless the session allows TF32
// (CUDNN_DEFAULT_MATH), CUDNN_TENSOR_OP_MATH for float16 / bfloat16. Where cuDNN reports a
// configuration as unsupported (or a tensor exceeds its 32-bit sizes), a direct CUDA kernel
// computes the same result, slowly. Bias, the residual Z (through the convolution's beta = 1) and
// the activation follow in one epilogue kernel.
#include "kernels/cuda/conv.cuh"

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cuda/activation.h"
#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/register.h"
#include "kernels/ops/conv_pool_params.h"

namespace kiln::cuda {
namespace {

constexpr size_t kMaxWorkspaceBytes = size_t{512} << 20;

size_t ElemSize(FloatElem e) { return e == FloatElem::kFloat ? 4 : 2; }

using ops::ConvAttrs;
using ops::ConvShape;
using ops::Geometry;

// ---- cuDNN plumbing --------------------------------------------------------------------------

class TensorDesc {
 public:
  TensorDesc() = default;
  ~TensorDesc() {
    if (d_ != nullptr) cudnnDestroyTensorDescriptor(d_);
  }
  TensorDesc(const TensorDesc&) = delete;
  TensorDesc& operator=(const TensorDesc&) = delete;
  cudnnStatus_t Create() { return cudnnCreateTensorDescriptor(&d_); }
  cudnnTensorDescriptor_t get() const { return d_; }

 private:
  cudnnTensorDescriptor_t d_ = nullptr;
};

class FilterDesc {
 public:
  FilterDesc() = default;
  ~FilterDesc() {
    if (d_ != nullptr) cudnnDestroyFilterDescriptor(d_);
  }
  FilterDesc(const FilterDesc&) = delete;
  FilterDesc& operator=(const FilterDesc&) = delete;
  cudnnStatus_t Create() { return cudnnCreateFilterDescriptor(&d_); }
  cudnnFilterDescriptor_t get() const { return d_; }

 private:
  cudnnFilterDescriptor_t d_ = nullptr;
};

class ConvDesc {
 public:
  ConvDesc() = default;
  ~ConvDesc() {
    if (d_ != nullptr) cudnnDestroyConvolutionDescriptor(d_);
  }
  ConvDesc(const ConvDesc&) = delete;
  ConvDesc& operator=(const ConvDesc&) = delete;
  cudnnStatus_t Create() { return cudnnCreateConvolutionDescriptor(&d_); }
  cudnnConvolutionDescriptor_t get() const { return d_; }

 private:
  cudnnConvolutionDescriptor_t d_ = nullptr;
};

// Statuses after which a direct kernel (or the next algorithm) is tried instead of failing.
bool CudnnRefused(cudnnStatus_t s) {
  return CUDNN_STATUS_CATEGORY(s) == CUDNN_STATUS_NOT_SUPPORTED ||
         s == CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER;
}

cudnnDataType_t CudnnType(FloatElem e) {
  switch (e) {
    case FloatElem::kFloat:
      return CUDNN_DATA_FLOAT;
    case FloatElem::kHalf:
      return CUDNN_DATA_HALF;
    case FloatElem::kBFloat16:
      return CUDNN_DATA_BFLOAT16;
  }
  return CUDNN_DATA_FLOAT;
}

cudnnMathType_t ConvMathType(FloatElem e, bool allow_tf32) {
  if (e == FloatElem::kFloat) return allow_tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
  return CUDNN_TENSOR_OP_MATH;
}

// A convolution as cuDNN sees it: from `x` [N, C, in...] with filter `w` [K, C/g, k...] to `y`
// [N, K, out...], symmetric pads; 1-D promoted to 2-D. For ConvTranspose, x is the op's output
// (cuDNN's dx) and y its input (dy).
struct CudnnConv {
  int nb = 0;  // tensor rank: 4 or 5
  int x[5] = {}, w[5] = {}, y[5] = {};
  int pad[3] = {}, stride[3] = {}, dilation[3] = {};
  int group = 1;
};

bool ToInt(int64_t v, int* out) {
  if (v < 0 || v > std::numeric_limits<int>::max()) return false;
  *out = static_cast<int>(v);
  return true;
}

bool Representable(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d > std::numeric_limits<int>::max()) return false;
    n *= d;
    if (n > std::numeric_limits<int>::max()) return false;
  }
  return true;
}

// False when a size exceeds cuDNN's 32-bit limits.
bool MakeCudnnConv(const std::vector<int64_t>& x, const std::vector<int64_t>& w,
                   const std::vector<int64_t>& y, const std::vector<int64_t>& pad,
                   const Geometry& g, int64_t group, CudnnConv* c) {
  if (!Representable(x) || !Representable(w) || !Representable(y)) return false;
  const int nd = g.nd;
  const int sd = nd < 2 ? 2 : nd;  // cuDNN's spatial dims
  const int shift = sd - nd;
  c->nb = sd + 2;
  for (int i = 0; i < 2; ++i) {
    if (!ToInt(x[i], &c->x[i]) || !ToInt(w[i], &c->w[i]) || !ToInt(y[i], &c->y[i])) return false;
  }
  for (int i = 0; i < sd; ++i) {
    const int j = i - shift;
    const bool real = j >= 0;
    if (!ToInt(real ? x[2 + j] : 1, &c->x[2 + i]) || !ToInt(real ? w[2 + j] : 1, &c->w[2 + i]) ||
        !ToInt(real ? y[2 + j] : 1, &c->y[2 + i]) || !ToInt(real ? pad[j] : 0, &c->pad[i]) ||
        !ToInt(real ? g.stride[j] : 1, &c->stride[i]) ||
        !ToInt(real ? g.dilation[j] : 1, &c->dilation[i])) {
      return false;
    }
  }
  return ToInt(group, &c->group);
}

// The descriptors of one CudnnConv.
struct CudnnDescs {
  TensorDesc x, y;
  FilterDesc w;
  ConvDesc conv;
};

cudnnStatus_t SetTensor(const TensorDesc& d, cudnnDataType_t t, int nb, const int* dims) {
  int strides[5];
  strides[nb - 1] = 1;
  for (int i = nb - 2; i >= 0; --i) strides[i] = strides[i + 1] * dims[i + 1];
  return cudnnSetTensorNdDescriptor(d.get(), t, nb, dims, strides);
}

// Creates and sets the descriptors; a refusal (unsupported type or layout) returns its status.
cudnnStatus_t MakeDescs(const CudnnConv& c, FloatElem elem, bool allow_tf32, CudnnDescs* d) {
  const cudnnDataType_t t = CudnnType(elem);
  cudnnStatus_t s;
  if ((s = d->x.Create()) != CUDNN_STATUS_SUCCESS) return s;
  if ((s = d->y.Create()) != CUDNN_STATUS_SUCCESS) return s;
  if ((s = d->w.Create()) != CUDNN_STATUS_SUCCESS) return s;
  if ((s = d->conv.Create()) != CUDNN_STATUS_SUCCESS) return s;
  if ((s = SetTensor(d->x, t, c.nb, c.x)) != CUDNN_STATUS_SUCCESS) return s;
  if ((s = SetTensor(d->y, t, c.nb, c.y)) != CUDNN_STATUS_SUCCESS) return s;
  s = cudnnSetFilterNdDescriptor(d->w.get(), t, CUDNN_TENSOR_NCHW, c.nb, c.w);
  if (s != CUDNN_STATUS_SUCCESS) return s;
  s = cudnnSetConvolutionNdDescriptor(d->conv.get(), c.nb - 2, c.pad, c.stride, c.dilation,
                                      CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT);
  if (s != CUDNN_STATUS_SUCCESS) return s;
  if ((s = cudnnSetConvolutionGroupCount(d->conv.get(), c.group)) != CUDNN_STATUS_SUCCESS) {
    return s;
  }
  return cudnnSetConvolutionMathType(d->conv.get(), ConvMathType(elem, allow_tf32));
}

// The descriptors of a CudnnConv and cuDNN's ranked algorithms for it whose workspace fits
// kMaxWorkspaceBytes (forward, or backward data for ConvTranspose). Empty `algos`: cuDNN refuses
// the configuration and the direct kernel runs.
struct CudnnChoice {
  std::unique_ptr<CudnnDescs> descs;
  std::vector<std::pair<int, size_t>> algos;  // (algorithm, workspace bytes), best first
};

// Checks cuDNN's output shape of `d` (the forward convolution from c.x) against c.y.
Status CheckOutputDims(const KernelContext& ctx, const CudnnConv& c, const CudnnDescs& d) {
  int out[5] = {};
  KILN_CUDA_RETURN_IF_ERROR(CudnnStatus(
      cudnnGetConvolutionNdForwardOutputDim(d.conv.get(), d.x.get(), d.w.get(), c.nb, out), ctx,
      "cudnnGetConvolutionNdForwardOutputDim"));
  for (int i = 0; i < c.nb; ++i) {
    if (out[i] != c.y[i]) {
      return ctx.Error(StatusCode::kInternal,
                       "cuDNN's convolution output dim " + std::to_string(i) + " is " +
                           std::to_string(out[i]) + ", expected " + std::to_string(c.y[i]));
    }
  }
  return Status::Ok();
}

// Appends to choice->algos the algorithms of cuDNN's ranking `perf` that succeed and whose
// workspace (`workspace(algo, &bytes)`, a cudnnGet*WorkspaceSize call) fits kMaxWorkspaceBytes.
template <typename Perf, typename WorkspaceFn>
Status KeepFitting(const KernelContext& ctx, const Perf* perf, int returned, WorkspaceFn workspace,
                   const char* what, CudnnChoice* choice) {
  for (int i = 0; i < returned; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS || perf[i].memory > kMaxWorkspaceBytes) continue;
    size_t ws = 0;
    const cudnnStatus_t s = workspace(perf[i].algo, &ws);
    if (CudnnRefused(s)) continue;
    KILN_CUDA_RETURN_IF_ERROR(CudnnStatus(s, ctx, what));
    if (ws <= kMaxWorkspaceBytes) choice->algos.emplace_back(static_cast<int>(perf[i].algo), ws);
  }
  return Status::Ok();
}

// The descriptors and algorithms of `c`: heuristics (cudnnGet*Algorithm_v7), no benchmarking.
Status ChooseCudnn(const KernelContext& ctx, const CudnnConv& c, FloatElem elem, bool allow_tf32,
                   bool backward_data, CudnnChoice* choice) {
  cudnnHandle_t h = Stream(ctx).cudnn();
  auto d = std::make_unique<CudnnDescs>();
  cudnnStatus_t s = MakeDescs(c, elem, allow_tf32, d.get());
  if (CudnnRefused(s)) return Status::Ok();
  KILN_CUDA_RETURN_IF_ERROR(CudnnStatus(s, ctx, "cuDNN convolution descriptors"));
  KILN_CUDA_RETURN_IF_ERROR(CheckOutputDims(ctx, c, *d));
  const CudnnDescs& k = *d;
  if (!backward_data) {
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int returned = 0;
    s = cudnnGetConvolutionForwardAlgorithm_v7(h, k.x.get(), k.w.get(), k.conv.get(), k.y.get(),
                                               CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned, perf);
    if (CudnnRefused(s)) return Status::Ok();
    KILN_CUDA_RETURN_IF_ERROR(CudnnStatus(s, ctx, "cudnnGetConvolutionForwardAlgorithm_v7"));
    KILN_CUDA_RETURN_IF_ERROR(KeepFitting(
        ctx, perf, returned,
        [&](cudnnConvolutionFwdAlgo_t algo, size_t* ws) {
          return cudnnGetConvolutionForwardWorkspaceSize(h, k.x.get(), k.w.get(), k.conv.get(),
                                                         k.y.get(), algo, ws);
        },
        "cudnnGetConvolutionForwardWorkspaceSize", choice));
  } else {
    cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    int returned = 0;
    s = cudnnGetConvolutionBackwardDataAlgorithm_v7(h, k.w.get(), k.y.get(), k.conv.get(),
                                                    k.x.get(), CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT,
                                                    &returned, perf);
    if (CudnnRefused(s)) return Status::Ok();
    KILN_CUDA_RETURN_IF_ERROR(CudnnStatus(s, ctx, "cudnnGetConvolutionBackwardDataAlgorithm_v7"));
    KILN_CUDA_RETURN_IF_ERROR(KeepFitting(
        ctx, perf, returned,
        [&](cudnnConvolutionBwdDataAlgo_t algo, size_t* ws) {
          return cudnnGetConvolutionBackwardDataWorkspaceSize(h, k.w.get(), k.y.get(),
                                                              k.conv.get(), k.x.get(), algo, ws);
        },
        "cudnnGetConvolutionBackwardDataWorkspaceSize", choice));
  }
  if (!choice->algos.empty()) choice->descs = std::move(d);
  return Status::Ok();
}

// Runs the first algorithm of `choice` cuDNN accepts: y = conv(x, w) + beta * y (forward), or
// dx = conv_transpose(dy, w) (backward data: `in` is dy, `out` is dx, beta 0). *done is false
// (and nothing was written) when cuDNN refuses them all.
Status RunCudnn(KernelContext& ctx, const CudnnChoice& choice, bool backward_data, const void* in,
                const void* w, void* out, float beta, bool* done) {
  *done = false;
  if (choice.descs == nullptr) return Status::Ok();
  cudnnHandle_t h = Stream(ctx).cudnn();
  const CudnnDescs& d = *choice.descs;
  const float alpha = 1.0f;
  for (const auto& [algo, ws_bytes] : choice.algos) {
    Tensor ws;
    if (ws_bytes > 0) {
      KILN_ASSIGN_OR_RETURN(ws, ctx.Scratch(ws_bytes));
    }
    void* ws_ptr = ws_bytes > 0 ? ws.raw_data() : nullptr;
    cudnnStatus_t s;
    if (!backward_data) {
      s = cudnnConvolutionForward(h, &alpha, d.x.get(), in, d.w.get(), w, d.conv.get(),
                                  static_cast<cudnnConvolutionFwdAlgo_t>(algo), ws_ptr, ws_bytes,
                                  &beta, d.y.get(), out);
    } else {
      s = cudnnConvolutionBackwardData(h, &alpha, d.w.get(), w, d.y.get(), in, d.conv.get(),
                                       static_cast<cudnnConvolutionBwdDataAlgo_t>(algo), ws_ptr,
                                       ws_bytes, &beta, d.x.get(), out);
    }
    if (CudnnRefused(s)) continue;
    KILN_CUDA_RETURN_IF_ERROR(CudnnStatus(
        s, ctx, backward_data ? "cudnnConvolutionBackwardData" : "cudnnConvolutionForward"));
    *done = true;
    return Status::Ok();
  }
  return Status::Ok();
}

// The direct kernels' parameters (3 promoted spatial dims). `in` / `out` are the op's input and
// output spatial dims.
ConvDirectParams DirectParams(int64_t n, int64_t c, int64_t m, int64_t group,
                              const std::vector<int64_t>& in, const std::vector<int64_t>& out,
                              const Geometry& g) {
  ConvDirectParams p;
  p.n = n;
  p.c = c;
  p.m = m;
  p.group = group;
  const int shift = 3 - g.nd;
  for (int i = 0; i < 3; ++i) {
    const int j = i - shift;
    if (j < 0) continue;
    p.in[i] = in[j];
    p.out[i] = out[j];
    p.k[i] = g.kernel[j];
    p.s[i] = g.stride[j];
    p.d[i] = g.dilation[j];
    p.pb[i] = g.pad_begin[j];
  }
  return p;
}

// A window copy over `planes` planes of 1-3 spatial dims (promoted to 3).
WindowCopy MakeWindowCopy(int64_t planes, const std::vector<int64_t>& src,
                          const std::vector<int64_t>& dst, const std::vector<int64_t>& offset) {
  WindowCopy w;
  w.planes = planes;
  const int nd = static_cast<int>(src.size());
  for (int j = 0; j < nd; ++j) {
    w.src_dims[3 - nd + j] = src[j];
    w.dst_dims[3 - nd + j] = dst[j];
    w.offset[3 - nd + j] = offset[j];
  }
  return w;
}

int64_t Product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t x : v) p *= x;
  return p;
}

// ---- The kernel ------------------------------------------------------------------------------

// What a Conv / ConvTranspose does for one set of input shapes: decided by Prepare on the run the
// memory plan records, then read by later runs with those shapes (no lock, no cuDNN query).
struct ConvPlan final : KernelState {
  ConvShape shape;
  FloatElem elem = FloatElem::kFloat;
  bool empty = false;  // Y has no elements: nothing to compute
  // Conv: X padded into scratch of src_dims first (pads cuDNN cannot express); ConvTranspose:
  // the unpadded result computed into scratch of full_dims and cropped (`crop`).
  bool pad_x = false;
  std::vector<int64_t> src_dims;
  bool crop = false;
  std::vector<int64_t> full;       // spatial dims of the unpadded ConvTranspose result
  std::vector<int64_t> full_dims;  // [n, m, full...]
  CudnnChoice cudnn;               // no algorithms: the direct kernel
};

class ConvKernel : public Kernel {
 public:
  // `fused`: kiln's FusedConv (residual input 3 and `act`).
  ConvKernel(const KernelInfo& info, bool transpose, bool fused, FusedActivation act)
      : transpose_(transpose), fused_(fused), allow_tf32_(info.allow_tf32()), act_(act) {
    init_ = ops::ParseConvAttrs(info, &attrs_);
    // Channels-last FusedConv (the CPU's layout-propagation pass) has no CUDA kernel.
    if (init_.ok() && fused && info.GetInt("channels_last", 0) != 0) {
      init_ = info.Unsupported("channels_last = 1 (CPU only)");
    }
  }
  const Status& init_status() const { return init_; }

  StatusOr<std::shared_ptr<const KernelState>> Prepare(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(std::shared_ptr<ConvPlan> plan, MakePlan(ctx));
    return std::shared_ptr<const KernelState>(std::move(plan));
  }

  Status Run(KernelContext& ctx) const override {
    const ConvPlan* plan = ctx.state<ConvPlan>();
    std::shared_ptr<ConvPlan> local;
    if (plan == nullptr) {  // no plan for these shapes: decide now, for this run only
      KILN_ASSIGN_OR_RETURN(local, MakePlan(ctx));
      plan = local.get();
    }
    const Tensor* x = ctx.Input(0);
    const Tensor* wt = ctx.Input(1);
    const Tensor* b = ctx.Input(2);
    const Tensor* z = fused_ ? ctx.Input(3) : nullptr;
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), plan->shape.y_dims));
    if (plan->empty) return Status::Ok();
    if (transpose_) {
      KILN_CUDA_RETURN_IF_ERROR(RunTranspose(ctx, *plan, *x, *wt, y));
    } else {
      KILN_CUDA_RETURN_IF_ERROR(RunForward(ctx, *plan, *x, *wt, z, y));
    }
    if (b == nullptr && act_.kind == FusedActivationKind::kNone) return Status::Ok();
    return CudaStatus(LaunchConvBiasActivation(plan->elem, y->raw_data(),
                                               b != nullptr ? b->raw_data() : nullptr, y->numel(),
                                               Product(plan->shape.g.out), plan->shape.m, act_,
                                               Stream(ctx).stream()),
                      ctx, "LaunchConvBiasActivation");
  }

 private:
  // Checks the inputs and decides the path for their shapes.
  StatusOr<std::shared_ptr<ConvPlan>> MakePlan(KernelContext& ctx) const {
    const Tensor* x = ctx.Input(0);
    const Tensor* wt = ctx.Input(1);
    const Tensor* b = ctx.Input(2);
    const Tensor* z = fused_ ? ctx.Input(3) : nullptr;
    auto plan = std::make_shared<ConvPlan>();
    ConvShape& shape = plan->shape;
    KILN_CUDA_RETURN_IF_ERROR(ops::ResolveConvShape(ctx, attrs_, transpose_, x, wt, b, &shape));
    KILN_CUDA_RETURN_IF_ERROR(ops::CheckFloatConvInputs(ctx, fused_, *x, *wt, b, z, shape.y_dims));
    if (!ToFloatElem(x->dtype(), &plan->elem)) {
      return ctx.Unsupported(std::string("type ") + DataTypeName(x->dtype()));
    }
    if (Product(shape.y_dims) == 0) {
      plan->empty = true;
      return plan;
    }
    if (x->numel() == 0 || wt->numel() == 0) {
      return ctx.InvalidArgument("empty X or W with a non-empty output");
    }
    const Geometry& g = shape.g;
    const int64_t n = x->dim(0), c = x->dim(1);
    CudnnConv cc;
    if (!transpose_) {
      bool symmetric = true;
      for (int d = 0; d < g.nd; ++d) symmetric = symmetric && g.pad_begin[d] == g.pad_end[d];
      std::vector<int64_t> pads = g.pad_begin;
      plan->src_dims = x->dims();
      if (!symmetric) {
        // cuDNN pads symmetrically only: convolve a zero-padded copy of X with no padding.
        plan->pad_x = true;
        plan->src_dims = {n, c};
        for (int d = 0; d < g.nd; ++d) {
          plan->src_dims.push_back(g.in[d] + g.pad_begin[d] + g.pad_end[d]);
        }
        pads.assign(g.nd, 0);
      }
      if (MakeCudnnConv(plan->src_dims, wt->dims(), shape.y_dims, pads, g, attrs_.group, &cc)) {
        KILN_CUDA_RETURN_IF_ERROR(ChooseCudnn(ctx, cc, plan->elem, allow_tf32_,
                                              /*backward_data=*/false, &plan->cudnn));
      }
      if (plan->cudnn.algos.empty()) plan->pad_x = false;  // the direct kernel pads itself
      return plan;
    }
    // ConvTranspose: cuDNN's backward data straight into Y when the forward convolution from Y
    // (pads pad_begin) gives back X's size.
    bool direct_fits = true;
    for (int d = 0; d < g.nd; ++d) {
      const int64_t span = g.out[d] + 2 * g.pad_begin[d] - g.EffectiveKernel(d);
      direct_fits = direct_fits && g.pad_begin[d] == g.pad_end[d] && g.pad_begin[d] >= 0 &&
                    span >= 0 && span / g.stride[d] + 1 == g.in[d];
    }
    if (direct_fits) {
      if (MakeCudnnConv(shape.y_dims, wt->dims(), x->dims(), g.pad_begin, g, attrs_.group, &cc)) {
        KILN_CUDA_RETURN_IF_ERROR(ChooseCudnn(ctx, cc, plan->elem, allow_tf32_,
                                              /*backward_data=*/true, &plan->cudnn));
      }
      return plan;
    }
    // Else the unpadded result (spatial stride * (in - 1) + effective kernel) into scratch, then
    // crop [pad_begin, pad_begin + out) out of it (zeros where that leaves it).
    plan->full.resize(g.nd);
    for (int d = 0; d < g.nd; ++d) {
      plan->full[d] = g.stride[d] * (g.in[d] - 1) + g.EffectiveKernel(d);
    }
    plan->full_dims = {n, shape.m};
    plan->full_dims.insert(plan->full_dims.end(), plan->full.begin(), plan->full.end());
    const std::vector<int64_t> zero(g.nd, 0);
    if (MakeCudnnConv(plan->full_dims, wt->dims(), x->dims(), zero, g, attrs_.group, &cc)) {
      KILN_CUDA_RETURN_IF_ERROR(ChooseCudnn(ctx, cc, plan->elem, allow_tf32_,
                                            /*backward_data=*/true, &plan->cudnn));
    }
    plan->crop = !plan->cudnn.algos.empty();
    return plan;
  }

  // Y = conv(X, W) (+ Z when given); no bias.
  Status RunForward(KernelContext& ctx, const ConvPlan& plan, const Tensor& x, const Tensor& wt,
                    const Tensor* z, Tensor* y) const {
    cudaStream_t stream = Stream(ctx).stream();
    const Geometry& g = plan.shape.g;
    float beta = 0.0f;
    if (z != nullptr) {
      // The residual enters through the convolution's beta; Y may already be Z's buffer.
      if (z->raw_data() != y->raw_data()) {
        KILN_CUDA_RETURN_IF_ERROR(
            CudaStatus(cudaMemcpyAsync(y->raw_data(), z->raw_data(), y->nbytes(),
                                       cudaMemcpyDeviceToDevice, stream),
                       ctx, "cudaMemcpyAsync (Z to Y)"));
      }
      beta = 1.0f;
    }
    const int64_t n = x.dim(0), c = x.dim(1);
    const void* src = x.raw_data();
    Tensor padded;
    if (plan.pad_x) {
      const size_t bytes = static_cast<size_t>(Product(plan.src_dims)) * ElemSize(plan.elem);
      KILN_ASSIGN_OR_RETURN(padded, ctx.Scratch(bytes));
      const std::vector<int64_t> sp(plan.src_dims.begin() + 2, plan.src_dims.end());
      KILN_CUDA_RETURN_IF_ERROR(
          CudaStatus(LaunchWindowCopy(plan.elem, padded.raw_data(), x.raw_data(),
                                      MakeWindowCopy(n * c, g.in, sp, g.pad_begin), stream),
                     ctx, "LaunchWindowCopy (pad X)"));
      src = padded.raw_data();
    }
    bool done = false;
    KILN_CUDA_RETURN_IF_ERROR(RunCudnn(ctx, plan.cudnn, /*backward_data=*/false, src,
                                       wt.raw_data(), y->raw_data(), beta, &done));
    if (done) return Status::Ok();
    const ConvDirectParams p = DirectParams(n, c, y->dim(1), attrs_.group, g.in, g.out, g);
    return CudaStatus(LaunchConvDirect(plan.elem, x.raw_data(), wt.raw_data(), y->raw_data(), p,
                                       z != nullptr, stream),
                      ctx, "LaunchConvDirect");
  }

  // Y = conv_transpose(X, W); no bias.
  Status RunTranspose(KernelContext& ctx, const ConvPlan& plan, const Tensor& x, const Tensor& wt,
                      Tensor* y) const {
    cudaStream_t stream = Stream(ctx).stream();
    const Geometry& g = plan.shape.g;
    const int64_t n = x.dim(0), c = x.dim(1), m = y->dim(1);
    bool done = false;
    if (!plan.crop) {
      KILN_CUDA_RETURN_IF_ERROR(RunCudnn(ctx, plan.cudnn, /*backward_data=*/true, x.raw_data(),
                                         wt.raw_data(), y->raw_data(), 0.0f, &done));
    } else {
      const size_t bytes = static_cast<size_t>(Product(plan.full_dims)) * ElemSize(plan.elem);
      KILN_ASSIGN_OR_RETURN(Tensor full_buf, ctx.Scratch(bytes));
      KILN_CUDA_RETURN_IF_ERROR(RunCudnn(ctx, plan.cudnn, /*backward_data=*/true, x.raw_data(),
                                         wt.raw_data(), full_buf.raw_data(), 0.0f, &done));
      if (done) {
        std::vector<int64_t> offset(g.nd);
        for (int d = 0; d < g.nd; ++d) offset[d] = -g.pad_begin[d];
        KILN_CUDA_RETURN_IF_ERROR(
            CudaStatus(LaunchWindowCopy(plan.elem, y->raw_data(), full_buf.raw_data(),
                                        MakeWindowCopy(n * m, plan.full, g.out, offset), stream),
                       ctx, "LaunchWindowCopy (crop Y)"));
      }
    }
    if (done) return Status::Ok();
    const ConvDirectParams p = DirectParams(n, c, m, attrs_.group, g.in, g.out, g);
    return CudaStatus(LaunchConvTransposeDirect(plan.elem, x.raw_data(), wt.raw_data(),
                                                y->raw_data(), p, stream),
                      ctx, "LaunchConvTransposeDirect");
  }

  bool transpose_;
  bool fused_;
  bool allow_tf32_;
  FusedActivation act_;
  ConvAttrs attrs_;
  Status init_;
};

KernelFactory ConvFactory(bool transpose, bool fused) {
  return [transpose, fused](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    FusedActivation act;
    if (fused) {
      KILN_ASSIGN_OR_RETURN(act, ParseCudaActivation(info));
    }
    return CreateChecked<ConvKernel>(info, transpose, fused, act);
  };
}

}  // namespace

void RegisterConvKernels(KernelRegistry& r) {
  r.Register(
      KernelDef("Conv").Opsets(1).OnDevice(Device::kCuda).Types("T", {0, 1, 2}, kCudaFloatTypes),
      ConvFactory(/*transpose=*/false, /*fused=*/false));
  r.Register(KernelDef("ConvTranspose")
                 .Opsets(1)
                 .OnDevice(Device::kCuda)
                 .Types("T", {0, 1, 2}, kCudaFloatTypes),
             ConvFactory(/*transpose=*/true, /*fused=*/false));
  r.Register(KernelDef("FusedConv", kKilnDomain)
                 .Opsets(1)
                 .OnDevice(Device::kCuda)
                 .Types("T", {0, 1, 2, 3}, {DataType::kFloat})
                 .Inplace(3, 0),
             ConvFactory(/*transpose=*/false, /*fused=*/true));
}

}  // namespace kiln::cuda
