// CUDA data-movement kernels: ops that copy elements to new positions without arithmetic.
//   Transpose 1+, Concat 1+ (axis defaults to 1 before 4), Split 1+ (split input in 1, attribute
//   2-12, input from 13, num_outputs 18+), Slice 1+ (attributes before 10, inputs with steps from
//   10; negative steps), Gather 1+ (int32 / int64 indices on the device), Expand 8+, Tile 1+
//   (tiles/axis inputs before 6, repeats from 6), Pad 1+ (paddings/pads attributes before 11,
//   inputs from 11, axes 18+; constant, reflect, edge, wrap). Resize lives in resize.cc.
// Shape-like inputs (split, starts/ends/axes/steps, shape, repeats, pads/value/axes) are host
// inputs. Every element type of 1, 2, 4, 8 or 16 bytes is supported (not strings or packed
// sub-byte types): elements move as bytes.
// Gather cannot check device indices without a host sync: an index outside [-dim, dim) yields a
// zero slice instead of the CPU's error (memory outside the input is never read).
#include "kernels/cuda/movement.cuh"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/register.h"
#include "kernels/ops/element_copy.h"
#include "kernels/ops/movement_params.h"

namespace kiln::cuda {
namespace {

using ops::ContiguousStrides;

// Element types moved by size: every type of 1, 2, 4, 8 or 16 bytes.
std::vector<DataType> MovableTypes() {
  std::vector<DataType> v;
  for (DataType t : kAllTensorTypes) {
    const int bits = DataTypeBits(t);
    if (bits == 8 || bits == 16 || bits == 32 || bits == 64 || bits == 128) v.push_back(t);
  }
  return v;
}

// Bytes per element of a movable type; an error for the others.
StatusOr<int> ElemBytes(const KernelContext& ctx, const Tensor& t) {
  const int bits = DataTypeBits(t.dtype());
  if (bits == 8 || bits == 16 || bits == 32 || bits == 64 || bits == 128) return bits / 8;
  return ctx.Unsupported(std::string("element type ") + DataTypeName(t.dtype()) +
                         " is not supported on CUDA");
}

const char* At(const void* p, int64_t bytes) { return static_cast<const char*>(p) + bytes; }
char* At(void* p, int64_t bytes) { return static_cast<char*>(p) + bytes; }

// Allocates output `i` of x's type with `out_dims` and fills it on the device from x's element
// `offset`, reading element (i0, i1, ...) of `iter_dims` at offset + sum(ik * strides[k]).
Status EmitStrided(KernelContext& ctx, int i, const Tensor& x, int64_t offset,
                   const std::vector<int64_t>& out_dims, const std::vector<int64_t>& iter_dims,
                   const std::vector<int64_t>& strides) {
  KILN_ASSIGN_OR_RETURN(int esize, ElemBytes(ctx, x));
  KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(i, x.dtype(), out_dims));
  if (y->numel() == 0) return Status::Ok();
  // Coalesce: drop size-1 dims, merge a dim into the previous one when they are contiguous.
  StridedCopyShape shape;
  std::vector<int64_t> dims, st;
  for (size_t k = 0; k < iter_dims.size(); ++k) {
    if (iter_dims[k] == 1) continue;
    if (!dims.empty() && st.back() == strides[k] * iter_dims[k]) {
      dims.back() *= iter_dims[k];
      st.back() = strides[k];
    } else {
      dims.push_back(iter_dims[k]);
      st.push_back(strides[k]);
    }
  }
  if (static_cast<int>(dims.size()) > kMaxCopyDims) {
    return ctx.Unsupported("the copy needs " + std::to_string(dims.size()) +
                           " dims after merging, at most " + std::to_string(kMaxCopyDims) +
                           " are supported on CUDA");
  }
  shape.rank = static_cast<int>(dims.size());
  for (int k = 0; k < shape.rank; ++k) {
    shape.dims[k] = dims[k];
    shape.strides[k] = st[k];
  }
  return CudaStatus(LaunchStridedCopy(y->raw_data(), At(x.raw_data(), offset * esize), esize,
                                      shape, y->numel(), Stream(ctx).stream()),
                    ctx, "LaunchStridedCopy");
}

// EmitStrided over a shared plan.
Status EmitPlan(KernelContext& ctx, const Tensor& x, const ops::StridedPlan& p) {
  return EmitStrided(ctx, 0, x, p.offset, p.out_dims, p.iter_dims, p.strides);
}

PadKind PadKindOf(ops::PadMode mode) {
  switch (mode) {
    case ops::PadMode::kReflect: return PadKind::kReflect;
    case ops::PadMode::kEdge: return PadKind::kEdge;
    case ops::PadMode::kWrap: return PadKind::kWrap;
    default: return PadKind::kConstant;
  }
}

// ---------------------------------------------------------------------------------------------
// Transpose

class TransposeKernel : public Kernel {
 public:
  explicit TransposeKernel(const KernelInfo& info) : attrs_(ops::ReadTransposeAttrs(info)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    KILN_ASSIGN_OR_RETURN(ops::StridedPlan p, ops::PlanTranspose(ctx, attrs_, x));
    return EmitPlan(ctx, x, p);
  }

 private:
  ops::TransposeAttrs attrs_;
};

// ---------------------------------------------------------------------------------------------
// Concat: one pitched row copy per input into its column band of the output.

class ConcatKernel : public Kernel {
 public:
  explicit ConcatKernel(const KernelInfo& info) : attrs_(ops::ReadConcatAttrs(info)) {}
  Status Run(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(ops::ConcatPlan p, ops::PlanConcat(ctx, attrs_));
    const Tensor& first = *p.inputs[0];
    KILN_ASSIGN_OR_RETURN(int esize, ElemBytes(ctx, first));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, first.dtype(), p.dims));
    if (y->numel() == 0) return Status::Ok();
    const int64_t inner_bytes = p.inner * esize;
    const int64_t out_pitch = p.dims[p.axis] * inner_bytes;
    int64_t col = 0;  // bytes into an output row
    for (const Tensor* t : p.inputs) {
      const int64_t chunk = t->dim(p.axis) * inner_bytes;
      if (chunk > 0) {
        KILN_CUDA_RETURN_IF_ERROR(CudaStatus(
            LaunchCopyRows(At(y->raw_data(), col), out_pitch, t->raw_data(), chunk, p.outer,
                           chunk, Stream(ctx).stream()),
            ctx, "LaunchCopyRows"));
      }
      col += chunk;
    }
    return Status::Ok();
  }

 private:
  ops::ConcatAttrs attrs_;
};

// ---------------------------------------------------------------------------------------------
// Split: one pitched row copy per output.

class SplitKernel : public Kernel {
 public:
  explicit SplitKernel(const KernelInfo& info) : attrs_(ops::ReadSplitAttrs(info)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    KILN_ASSIGN_OR_RETURN(ops::SplitPlan p, ops::PlanSplit(ctx, attrs_, x));
    KILN_ASSIGN_OR_RETURN(int esize, ElemBytes(ctx, x));
    const int64_t dim = x.dim(p.axis);
    const int64_t inner_bytes = p.inner * esize;
    int64_t start = 0;
    for (int i = 0; i < ctx.num_outputs(); ++i) {
      std::vector<int64_t> dims = x.dims();
      dims[p.axis] = p.split[i];
      if (ctx.output_requested(i)) {
        KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(i, x.dtype(), dims));
        const int64_t chunk = p.split[i] * inner_bytes;
        if (y->numel() > 0) {
          KILN_CUDA_RETURN_IF_ERROR(
              CudaStatus(LaunchCopyRows(y->raw_data(), chunk, At(x.raw_data(), start * inner_bytes),
                                        dim * inner_bytes, p.outer, chunk, Stream(ctx).stream()),
                         ctx, "LaunchCopyRows"));
        }
      }
      start += p.split[i];
    }
    return Status::Ok();
  }

 private:
  ops::SplitAttrs attrs_;
};

// ---------------------------------------------------------------------------------------------
// Slice

class SliceKernel : public Kernel {
 public:
  explicit SliceKernel(const KernelInfo& info) : attrs_(ops::ReadSliceAttrs(info)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    KILN_ASSIGN_OR_RETURN(ops::StridedPlan p, ops::PlanSlice(ctx, attrs_, x));
    return EmitPlan(ctx, x, p);
  }

 private:
  ops::SliceAttrs attrs_;
};

// ---------------------------------------------------------------------------------------------
// Gather

class GatherKernel : public Kernel {
 public:
  explicit GatherKernel(const KernelInfo& info) : axis_(info.GetInt("axis", 0)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const Tensor& ind = *ctx.Input(1);  // on the device
    if (ind.dtype() != DataType::kInt32 && ind.dtype() != DataType::kInt64) {
      return ctx.InvalidArgument("indices must be int32 or int64, got " + ind.TypeString());
    }
    KILN_ASSIGN_OR_RETURN(ops::GatherPlan p, ops::PlanGather(ctx, axis_, x, ind));
    KILN_ASSIGN_OR_RETURN(int esize, ElemBytes(ctx, x));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x.dtype(), p.dims));
    if (y->numel() == 0) return Status::Ok();
    return CudaStatus(LaunchGather(y->raw_data(), x.raw_data(), ind.raw_data(),
                                   ind.dtype() == DataType::kInt64, esize, p.outer,
                                   x.dim(p.axis), ind.numel(), p.inner, Stream(ctx).stream()),
                      ctx, "LaunchGather");
  }

 private:
  int64_t axis_;
};

// ---------------------------------------------------------------------------------------------
// Expand, Tile

Status ExpandRun(KernelContext& ctx) {
  const Tensor& x = *ctx.Input(0);
  KILN_ASSIGN_OR_RETURN(ops::StridedPlan p, ops::PlanExpand(ctx, x));
  return EmitPlan(ctx, x, p);
}

Status TileRun(KernelContext& ctx) {
  const Tensor& x = *ctx.Input(0);
  KILN_ASSIGN_OR_RETURN(ops::StridedPlan p, ops::PlanTile(ctx, x));
  return EmitPlan(ctx, x, p);
}

// ---------------------------------------------------------------------------------------------
// Pad

class PadKernel : public Kernel {
 public:
  explicit PadKernel(const KernelInfo& info) : attrs_(ops::ReadPadAttrs(info)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const int r = x.rank();
    KILN_ASSIGN_OR_RETURN(ops::PadSpec spec, ops::ReadPads(ctx, attrs_, x));
    if (r > kMaxPadDims) {
      return ctx.Unsupported("input " + x.TypeString() + " has rank above " +
                             std::to_string(kMaxPadDims) + ", the most Pad supports on CUDA");
    }
    KILN_ASSIGN_OR_RETURN(std::vector<ops::PadAxis> axes, ops::PlanPadAxes(ctx, attrs_, spec, x));
    PadShape shape;
    shape.rank = r;
    std::vector<int64_t> out_dims(r);
    const std::vector<int64_t> xs = ContiguousStrides(x.dims());
    for (int d = 0; d < r; ++d) {
      out_dims[d] = axes[d].out;
      shape.out_dims[d] = axes[d].out;
      shape.in_strides[d] = xs[d];
      shape.pad_begin[d] = axes[d].before;
      shape.lo[d] = axes[d].lo;
      shape.len[d] = axes[d].len;
    }
    KILN_ASSIGN_OR_RETURN(int esize, ElemBytes(ctx, x));
    // The fill value's bytes, in x's type.
    KILN_ASSIGN_OR_RETURN(Tensor value, ops::PadFillValue(ctx, attrs_, x));
    unsigned char fill[16] = {};
    std::memcpy(fill, value.raw_data(), static_cast<size_t>(esize));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x.dtype(), out_dims));
    if (y->numel() == 0) return Status::Ok();
    return CudaStatus(LaunchPad(y->raw_data(), x.raw_data(), esize, shape, PadKindOf(spec.mode),
                                fill, y->numel(), Stream(ctx).stream()),
                      ctx, "LaunchPad");
  }

 private:
  ops::PadAttrs attrs_;
};

}  // namespace

void RegisterMovementKernels(KernelRegistry& r) {
  const std::vector<DataType> types = MovableTypes();
  const std::vector<DataType> index_types = {DataType::kInt32, DataType::kInt64};
  const Device cuda = Device::kCuda;
  r.Register(KernelDef("Transpose").Opsets(1).OnDevice(cuda).Types("T", {0}, types),
             MakeKernel<TransposeKernel>());
  r.Register(KernelDef("Concat").Opsets(1).OnDevice(cuda).Types("T", {-1}, types),
             MakeKernel<ConcatKernel>());
  r.Register(KernelDef("Split").Opsets(1).OnDevice(cuda).Types("T", {0}, types).HostInputs({1}),
             MakeKernel<SplitKernel>());
  r.Register(KernelDef("Slice")
                 .Opsets(1)
                 .OnDevice(cuda)
                 .Types("T", {0}, types)
                 .Types("Tind", {1, 2, 3, 4}, index_types)
                 .HostInputs({1, 2, 3, 4}),
             MakeKernel<SliceKernel>());
  r.Register(KernelDef("Gather")
                 .Opsets(1)
                 .OnDevice(cuda)
                 .Types("T", {0}, types)
                 .Types("Tind", {1}, index_types),
             MakeKernel<GatherKernel>());
  r.Register(KernelDef("Expand")
                 .Opsets(8)
                 .OnDevice(cuda)
                 .Types("T", {0}, types)
                 .Types("shape", {1}, {DataType::kInt64})
                 .HostInputs({1}),
             Stateless(ExpandRun));
  r.Register(KernelDef("Tile").Opsets(1).OnDevice(cuda).Types("T", {0}, types).HostInputs({1, 2}),
             Stateless(TileRun));
  r.Register(
      KernelDef("Pad").Opsets(1).OnDevice(cuda).Types("T", {0}, types).HostInputs({1, 2, 3}),
      MakeKernel<PadKernel>());
  RegisterResizeKernels(r);
}

}  // namespace kiln::cuda
