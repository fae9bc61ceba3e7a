// CUDA shape kernels: host-only code, no device work.
//   Reshape 1+ (shape attribute before 5, shape input from 5 read on the host, allowzero 14+),
//   Flatten 1+, Squeeze 1+ and Unsqueeze 1+ (axes attribute before 13, input read on the host
//   from 13), Identity 1+: views of the device input (Tensor::Reshaped), no bytes move.
//   Shape 1+ (start/end 15+) and Size 1+: the input stays on the device (only its dims are read);
//   the int64 result is written in host memory (HostOutputs).
//   ConstantOfShape 9+ (shape read on the host): the one value is copied to the device and
//   doubled by device-to-device copies (log2 of the size of them), so no kernel is needed.
// Every element type except string (a device tensor never holds strings).
#include <algorithm>
#include <string>
#include <vector>

#include "kernels/cuda/register.h"
#include "kernels/ops/element_copy.h"
#include "kernels/ops/shape_params.h"

namespace kiln::cuda {
namespace {

// Element types a view kernel accepts: all but string.
std::vector<DataType> ViewTypes() {
  std::vector<DataType> v;
  for (DataType t : kAllTensorTypes) {
    if (t != DataType::kString) v.push_back(t);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Reshape

class ReshapeKernel : public Kernel {
 public:
  explicit ReshapeKernel(const KernelInfo& info) : attrs_(ops::ReadReshapeAttrs(info)) {}
  Status Run(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(Tensor y, ops::ReshapeView(ctx, attrs_, *ctx.Input(0)));
    return ctx.SetOutput(0, AnyValue(std::move(y)));
  }

 private:
  ops::ReshapeAttrs attrs_;
};

// ---------------------------------------------------------------------------------------------
// Flatten

class FlattenKernel : public Kernel {
 public:
  explicit FlattenKernel(const KernelInfo& info) : axis_(info.GetInt("axis", 1)) {}
  Status Run(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(Tensor y, ops::FlattenView(ctx, axis_, *ctx.Input(0)));
    return ctx.SetOutput(0, AnyValue(std::move(y)));
  }

 private:
  int64_t axis_;
};

// ---------------------------------------------------------------------------------------------
// Squeeze / Unsqueeze: axes from the attribute (before 13) or the host input 1.

class SqueezeKernel : public Kernel {
 public:
  explicit SqueezeKernel(const KernelInfo& info) : attrs_(ops::ReadSqueezeAxesAttrs(info)) {}
  Status Run(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(Tensor y, ops::SqueezeView(ctx, attrs_, *ctx.Input(0)));
    return ctx.SetOutput(0, AnyValue(std::move(y)));
  }

 private:
  ops::SqueezeAxesAttrs attrs_;
};

class UnsqueezeKernel : public Kernel {
 public:
  explicit UnsqueezeKernel(const KernelInfo& info) : attrs_(ops::ReadSqueezeAxesAttrs(info)) {}
  Status Run(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(Tensor y, ops::UnsqueezeView(ctx, attrs_, *ctx.Input(0)));
    return ctx.SetOutput(0, AnyValue(std::move(y)));
  }

 private:
  ops::SqueezeAxesAttrs attrs_;
};

// ---------------------------------------------------------------------------------------------
// Shape, Size (host outputs: only the input's dims are read), Identity

class ShapeKernel : public Kernel {
 public:
  explicit ShapeKernel(const KernelInfo& info) : attrs_(ops::ReadShapeAttrs(info)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const auto [b, e] = ops::ShapeRange(attrs_, x.rank());
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kInt64, {e - b}));
    if (y->device() != Device::kCpu) {
      return ctx.Error(StatusCode::kInternal, "Shape's output must be in host memory");
    }
    for (int64_t i = b; i < e; ++i) y->data<int64_t>()[i - b] = x.dim(static_cast<int>(i));
    return Status::Ok();
  }

 private:
  ops::ShapeAttrs attrs_;
};

Status SizeRun(KernelContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kInt64, {}));
  if (y->device() != Device::kCpu) {
    return ctx.Error(StatusCode::kInternal, "Size's output must be in host memory");
  }
  *y->data<int64_t>() = ctx.Input(0)->numel();
  return Status::Ok();
}

Status IdentityRun(KernelContext& ctx) {
  const AnyValue* v = ctx.InputValue(0);
  if (v == nullptr) return ctx.InvalidArgument("input is missing");
  return ctx.SetOutput(0, *v);
}

// ---------------------------------------------------------------------------------------------
// ConstantOfShape

class ConstantOfShapeKernel : public Kernel {
 public:
  explicit ConstantOfShapeKernel(const KernelInfo& info) {
    value_ = ops::ConstantOfShapeValue(info);
    if (value_.numel() != 1) {
      init_ = info.InvalidModel("attribute 'value' must have one element, got " +
                                value_.TypeString());
    } else if (value_.dtype() == DataType::kString || IsPacked(value_.dtype())) {
      init_ = info.Unsupported(std::string("a ") + DataTypeName(value_.dtype()) +
                               " value on CUDA");
    }
  }
  const Status& init_status() const { return init_; }

  Status Run(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> dims, ops::ConstantOfShapeDims(ctx, *ctx.Input(0)));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, value_.dtype(), dims));
    const size_t total = y->nbytes();
    if (total == 0) return Status::Ok();
    char* p = static_cast<char*>(y->raw_data());
    const size_t elem = value_.nbytes();
    Status st = ctx.stream()->CopyToDevice(p, value_.raw_data(), elem);
    for (size_t done = elem; st.ok() && done < total;) {
      const size_t n = std::min(done, total - done);
      st = ctx.stream()->CopyOnDevice(p + done, p, n);
      done += n;
    }
    return st.ok() ? st : st.WithPrefix("node " + ctx.node().Describe());
  }

 private:
  Tensor value_;
  Status init_;
};

StatusOr<std::unique_ptr<Kernel>> MakeConstantOfShape(const KernelInfo& info) {
  return CreateChecked<ConstantOfShapeKernel>(info);
}

}  // namespace

void RegisterShapeKernels(KernelRegistry& r) {
  const std::vector<DataType> types = ViewTypes();
  const Device cuda = Device::kCuda;
  r.Register(KernelDef("Reshape")
                 .Opsets(1)
                 .OnDevice(cuda)
                 .Types("T", {0}, types)
                 .Alias(0, 0)
                 .HostInputs({1}),
             MakeKernel<ReshapeKernel>());
  r.Register(KernelDef("Flatten").Opsets(1).OnDevice(cuda).Types("T", {0}, types).Alias(0, 0),
             MakeKernel<FlattenKernel>());
  r.Register(KernelDef("Squeeze")
                 .Opsets(1)
                 .OnDevice(cuda)
                 .Types("T", {0}, types)
                 .Alias(0, 0)
                 .HostInputs({1}),
             MakeKernel<SqueezeKernel>());
  r.Register(KernelDef("Unsqueeze")
                 .Opsets(1)
                 .OnDevice(cuda)
                 .Types("T", {0}, types)
                 .Alias(0, 0)
                 .HostInputs({1}),
             MakeKernel<UnsqueezeKernel>());
  r.Register(KernelDef("Shape").Opsets(1).OnDevice(cuda).Types("T", {0}, types).HostOutputs({0}),
             MakeKernel<ShapeKernel>());
  r.Register(KernelDef("Size").Opsets(1).OnDevice(cuda).Types("T", {0}, types).HostOutputs({0}),
             Stateless(SizeRun));
  r.Register(KernelDef("ConstantOfShape")
                 .Opsets(9)
                 .OnDevice(cuda)
                 .Types("T1", {0}, {DataType::kInt64})
                 .HostInputs({0}),
             MakeConstantOfShape);
  r.Register(KernelDef("Identity").Opsets(1).OnDevice(cuda).Types("V", {0}, types).Alias(0, 0),
             Stateless(IdentityRun));
}

}  // namespace kiln::cuda
