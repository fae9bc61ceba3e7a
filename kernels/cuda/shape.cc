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
#include <limits>
#include <string>
#include <vector>

#include "kernels/cpu/element_copy.h"
#include "kernels/cuda/register.h"

namespace kiln::cuda {
namespace {

using cpu::NormalizeAxes;
using cpu::ProductOfDims;
using cpu::ReadInts;

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

Status ReshapeRun(KernelContext& ctx, const std::vector<int64_t>& spec, bool allowzero) {
  const Tensor& x = *ctx.Input(0);
  std::vector<int64_t> dims(spec.size());
  int infer = -1;
  int64_t known = 1;
  bool has_zero = false;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t d = spec[i];
    if (d == -1) {
      if (infer >= 0) return ctx.InvalidArgument("shape has more than one -1 dimension");
      infer = static_cast<int>(i);
      continue;
    }
    if (d < -1) return ctx.InvalidArgument("shape has invalid dimension " + std::to_string(d));
    if (d == 0) {
      has_zero = true;
      if (!allowzero) {
        if (static_cast<int>(i) >= x.rank()) {
          return ctx.InvalidArgument("shape dimension " + std::to_string(i) +
                                     " is 0 (copy) but the input " + x.TypeString() +
                                     " has rank " + std::to_string(x.rank()));
        }
        d = x.dim(static_cast<int>(i));
      }
    }
    dims[i] = d;
    if (d != 0 && known > std::numeric_limits<int64_t>::max() / d) {
      return ctx.InvalidArgument("shape " + DimsToString(spec) + " overflows");
    }
    known *= d;
  }
  if (infer >= 0) {
    if (allowzero && has_zero) {
      return ctx.InvalidArgument("shape " + DimsToString(spec) +
                                 " has both 0 and -1 with allowzero=1");
    }
    if (known == 0 || x.numel() % known != 0) {
      return ctx.InvalidArgument("cannot reshape " + x.TypeString() + " to " + DimsToString(spec));
    }
    dims[infer] = x.numel() / known;
  }
  auto y = x.Reshaped(dims);
  if (!y.ok()) {
    return ctx.InvalidArgument("cannot reshape " + x.TypeString() + " to " + DimsToString(spec) +
                               " (resolved " + DimsToString(dims) + ")");
  }
  return ctx.SetOutput(0, AnyValue(std::move(y).value()));
}

class ReshapeKernel : public Kernel {
 public:
  explicit ReshapeKernel(const KernelInfo& info)
      : allowzero_(info.GetInt("allowzero", 0) != 0),
        shape_attr_(info.opset() < 5),
        shape_(info.GetInts("shape")) {}
  Status Run(KernelContext& ctx) const override {
    if (shape_attr_) return ReshapeRun(ctx, shape_, false);
    const Tensor* s = ctx.Input(1);  // a host input
    if (s == nullptr) return ctx.InvalidArgument("input 'shape' is missing");
    if (s->rank() != 1) return ctx.InvalidArgument("shape must be 1-D, got " + s->TypeString());
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> spec, ReadInts(ctx, *s, "shape"));
    return ReshapeRun(ctx, spec, allowzero_);
  }

 private:
  bool allowzero_;
  bool shape_attr_;
  std::vector<int64_t> shape_;
};

// ---------------------------------------------------------------------------------------------
// Flatten

class FlattenKernel : public Kernel {
 public:
  explicit FlattenKernel(const KernelInfo& info) : axis_(info.GetInt("axis", 1)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const int r = x.rank();
    if (axis_ < -r || axis_ > r) {
      return ctx.InvalidArgument("axis " + std::to_string(axis_) + " is out of range for " +
                                 x.TypeString());
    }
    const int a = static_cast<int>(axis_ < 0 ? axis_ + r : axis_);
    KILN_ASSIGN_OR_RETURN(
        Tensor y, x.Reshaped({ProductOfDims(x.dims(), 0, a), ProductOfDims(x.dims(), a, r)}));
    return ctx.SetOutput(0, AnyValue(std::move(y)));
  }

 private:
  int64_t axis_;
};

// ---------------------------------------------------------------------------------------------
// Squeeze / Unsqueeze: axes from the attribute (before 13) or the host input 1.

class AxesKernel : public Kernel {
 public:
  explicit AxesKernel(const KernelInfo& info)
      : from_attr_(info.opset() < 13),
        has_attr_(info.HasAttr("axes")),
        axes_(info.GetInts("axes")) {}

 protected:
  // Sets *given false when no axes are given.
  StatusOr<std::vector<int64_t>> Axes(const KernelContext& ctx, bool* given) const {
    if (from_attr_) {
      *given = has_attr_;
      return axes_;
    }
    const Tensor* a = ctx.Input(1);
    *given = a != nullptr;
    if (a == nullptr) return std::vector<int64_t>{};
    if (a->rank() > 1) return ctx.InvalidArgument("axes must be 1-D, got " + a->TypeString());
    return ReadInts(ctx, *a, "axes");
  }

 private:
  bool from_attr_;
  bool has_attr_;
  std::vector<int64_t> axes_;
};

class SqueezeKernel : public AxesKernel {
 public:
  using AxesKernel::AxesKernel;
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    bool given = false;
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> axes, Axes(ctx, &given));
    std::vector<bool> drop(x.rank(), false);
    if (!given) {
      for (int i = 0; i < x.rank(); ++i) drop[i] = x.dim(i) == 1;
    } else {
      KILN_ASSIGN_OR_RETURN(std::vector<int> norm, NormalizeAxes(ctx, axes, x.rank()));
      for (int a : norm) {
        if (x.dim(a) != 1) {
          return ctx.InvalidArgument("cannot squeeze axis " + std::to_string(a) + " of " +
                                     x.TypeString() + ": its size is not 1");
        }
        drop[a] = true;
      }
    }
    std::vector<int64_t> dims;
    for (int i = 0; i < x.rank(); ++i) {
      if (!drop[i]) dims.push_back(x.dim(i));
    }
    KILN_ASSIGN_OR_RETURN(Tensor y, x.Reshaped(dims));
    return ctx.SetOutput(0, AnyValue(std::move(y)));
  }
};

class UnsqueezeKernel : public AxesKernel {
 public:
  using AxesKernel::AxesKernel;
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    bool given = false;
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> axes, Axes(ctx, &given));
    if (!given) return ctx.InvalidArgument("axes are required");
    const int out_rank = x.rank() + static_cast<int>(axes.size());
    KILN_ASSIGN_OR_RETURN(std::vector<int> norm, NormalizeAxes(ctx, axes, out_rank));
    std::vector<bool> inserted(out_rank, false);
    for (int a : norm) inserted[a] = true;
    std::vector<int64_t> dims;
    int k = 0;
    for (int i = 0; i < out_rank; ++i) dims.push_back(inserted[i] ? 1 : x.dim(k++));
    KILN_ASSIGN_OR_RETURN(Tensor y, x.Reshaped(dims));
    return ctx.SetOutput(0, AnyValue(std::move(y)));
  }
};

// ---------------------------------------------------------------------------------------------
// Shape, Size (host outputs: only the input's dims are read), Identity

class ShapeKernel : public Kernel {
 public:
  explicit ShapeKernel(const KernelInfo& info)
      : start_(info.GetInt("start", 0)),
        end_(info.GetInt("end", std::numeric_limits<int64_t>::max())) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const int64_t r = x.rank();
    auto clamp = [r](int64_t v) {
      if (v < 0) v += r;
      return std::min(std::max<int64_t>(v, 0), r);
    };
    const int64_t b = clamp(start_);
    const int64_t e = std::max(clamp(end_), b);
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kInt64, {e - b}));
    if (y->device() != Device::kCpu) {
      return ctx.Error(StatusCode::kInternal, "Shape's output must be in host memory");
    }
    for (int64_t i = b; i < e; ++i) y->data<int64_t>()[i - b] = x.dim(static_cast<int>(i));
    return Status::Ok();
  }

 private:
  int64_t start_;
  int64_t end_;
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
    const Tensor* v = info.GetTensor("value");
    value_ = v != nullptr ? *v : Tensor::Scalar<float>(0.0f);
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
    const Tensor& s = *ctx.Input(0);
    if (s.rank() != 1) return ctx.InvalidArgument("input must be 1-D, got " + s.TypeString());
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> dims, ReadInts(ctx, s, "input"));
    for (int64_t d : dims) {
      if (d < 0) return ctx.InvalidArgument("shape " + DimsToString(dims) + " has a negative dim");
    }
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
  auto k = std::make_unique<ConstantOfShapeKernel>(info);
  if (!k->init_status().ok()) return k->init_status();
  return std::unique_ptr<Kernel>(std::move(k));
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
