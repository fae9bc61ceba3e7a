#include "kernels/ops/shape_params.h"

#include <algorithm>
#include <string>

#include "kernels/ops/common.h"
#include "kernels/ops/element_copy.h"

namespace kiln::ops {

ReshapeAttrs ReadReshapeAttrs(const KernelInfo& info) {
  ReshapeAttrs a;
  a.allowzero = info.GetInt("allowzero", 0) != 0;
  a.from_attr = info.opset() < 5;
  a.shape = info.GetInts("shape");
  return a;
}

namespace {

StatusOr<Tensor> ReshapeTo(const KernelContext& ctx, const Tensor& x,
                           const std::vector<int64_t>& spec, bool allowzero) {
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
  return std::move(y).value();
}

}  // namespace

StatusOr<Tensor> ReshapeView(const KernelContext& ctx, const ReshapeAttrs& attrs,
                             const Tensor& x) {
  if (attrs.from_attr) return ReshapeTo(ctx, x, attrs.shape, false);
  const Tensor* s = ctx.Input(1);  // a host input
  if (s == nullptr) return ctx.InvalidArgument("input 'shape' is missing");
  if (s->rank() != 1) return ctx.InvalidArgument("shape must be 1-D, got " + s->TypeString());
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> spec, ReadInts(ctx, *s, "shape"));
  return ReshapeTo(ctx, x, spec, attrs.allowzero);
}

StatusOr<Tensor> FlattenView(const KernelContext& ctx, int64_t axis, const Tensor& x) {
  const int r = x.rank();
  if (axis < -r || axis > r) {
    return ctx.InvalidArgument("axis " + std::to_string(axis) + " is out of range for " +
                               x.TypeString());
  }
  const int a = static_cast<int>(axis < 0 ? axis + r : axis);
  return x.Reshaped({ProductOfDims(x.dims(), 0, a), ProductOfDims(x.dims(), a, r)});
}

SqueezeAxesAttrs ReadSqueezeAxesAttrs(const KernelInfo& info) {
  SqueezeAxesAttrs a;
  a.from_attr = info.opset() < 13;
  a.has_attr = info.HasAttr("axes");
  a.axes = info.GetInts("axes");
  return a;
}

namespace {

// The axes as given; *given is false when there are none.
StatusOr<std::vector<int64_t>> SqueezeAxes(const KernelContext& ctx, const SqueezeAxesAttrs& attrs,
                                           bool* given) {
  if (attrs.from_attr) {
    *given = attrs.has_attr;
    return attrs.axes;
  }
  const Tensor* a = ctx.Input(1);  // a host input
  *given = a != nullptr;
  if (a == nullptr) return std::vector<int64_t>{};
  if (a->rank() > 1) return ctx.InvalidArgument("axes must be 1-D, got " + a->TypeString());
  return ReadInts(ctx, *a, "axes");
}

}  // namespace

StatusOr<Tensor> SqueezeView(const KernelContext& ctx, const SqueezeAxesAttrs& attrs,
                             const Tensor& x) {
  bool given = false;
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> axes, SqueezeAxes(ctx, attrs, &given));
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
  return x.Reshaped(dims);
}

StatusOr<Tensor> UnsqueezeView(const KernelContext& ctx, const SqueezeAxesAttrs& attrs,
                               const Tensor& x) {
  bool given = false;
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> axes, SqueezeAxes(ctx, attrs, &given));
  if (!given) return ctx.InvalidArgument("axes are required");
  const int out_rank = x.rank() + static_cast<int>(axes.size());
  KILN_ASSIGN_OR_RETURN(std::vector<int> norm, NormalizeAxes(ctx, axes, out_rank));
  std::vector<bool> inserted(out_rank, false);
  for (int a : norm) inserted[a] = true;
  std::vector<int64_t> dims;
  int k = 0;
  for (int i = 0; i < out_rank; ++i) dims.push_back(inserted[i] ? 1 : x.dim(k++));
  return x.Reshaped(dims);
}

ShapeAttrs ReadShapeAttrs(const KernelInfo& info) {
  ShapeAttrs a;
  a.start = info.GetInt("start", 0);
  a.end = info.GetInt("end", std::numeric_limits<int64_t>::max());
  return a;
}

std::pair<int64_t, int64_t> ShapeRange(const ShapeAttrs& attrs, int rank) {
  const int64_t r = rank;
  auto clamp = [r](int64_t v) {
    if (v < 0) v += r;
    return std::min(std::max<int64_t>(v, 0), r);
  };
  const int64_t b = clamp(attrs.start);
  return {b, std::max(clamp(attrs.end), b)};
}

Tensor ConstantOfShapeValue(const KernelInfo& info) {
  const Tensor* v = info.GetTensor("value");
  return v != nullptr ? *v : Tensor::Scalar<float>(0.0f);
}

StatusOr<std::vector<int64_t>> ConstantOfShapeDims(const KernelContext& ctx, const Tensor& s) {
  if (s.rank() != 1) return ctx.InvalidArgument("input must be 1-D, got " + s.TypeString());
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> dims, ReadInts(ctx, s, "input"));
  for (int64_t d : dims) {
    if (d < 0) return ctx.InvalidArgument("shape " + DimsToString(dims) + " has a negative dim");
  }
  return dims;
}

}  // namespace kiln::ops
