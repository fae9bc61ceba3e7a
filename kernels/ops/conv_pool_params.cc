#include "kernels/ops/conv_pool_params.h"

#include <algorithm>
#include <string>

namespace kiln::ops {
namespace {

// Floor division by 2 (output_shape can make the total padding negative).
int64_t FloorDiv2(int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }

}  // namespace

Status ParseWindowAttrs(const KernelInfo& info, WindowAttrs* w) {
  const std::string ap = info.GetString("auto_pad", "NOTSET");
  if (ap == "NOTSET" || ap.empty()) {
    w->auto_pad = AutoPad::kNotSet;
  } else if (ap == "SAME_UPPER") {
    w->auto_pad = AutoPad::kSameUpper;
  } else if (ap == "SAME_LOWER") {
    w->auto_pad = AutoPad::kSameLower;
  } else if (ap == "VALID") {
    w->auto_pad = AutoPad::kValid;
  } else {
    return info.InvalidModel("unknown auto_pad '" + ap + "'");
  }
  w->kernel_shape = info.GetInts("kernel_shape");
  w->strides = info.GetInts("strides");
  w->dilations = info.GetInts("dilations");
  w->pads = info.GetInts("pads");
  w->ceil_mode = info.GetInt("ceil_mode", 0) != 0;
  for (int64_t v : w->kernel_shape) {
    if (v <= 0) return info.InvalidModel("kernel_shape values must be positive");
  }
  for (int64_t v : w->strides) {
    if (v <= 0) return info.InvalidModel("strides must be positive");
  }
  for (int64_t v : w->dilations) {
    if (v <= 0) return info.InvalidModel("dilations must be positive");
  }
  for (int64_t v : w->pads) {
    if (v < 0) return info.InvalidModel("pads must be non-negative");
  }
  return info.status();
}

Status TakeWindowValues(const KernelContext& ctx, const std::vector<int64_t>& v, size_t want,
                        int64_t def, const char* name, std::vector<int64_t>* out) {
  if (v.empty()) {
    out->assign(want, def);
    return Status::Ok();
  }
  if (v.size() != want) {
    return ctx.InvalidArgument(std::string(name) + " has " + std::to_string(v.size()) +
                               " values, expected " + std::to_string(want));
  }
  *out = v;
  return Status::Ok();
}

Status ResolveGeometry(const KernelContext& ctx, const WindowAttrs& w,
                       const std::vector<int64_t>& in, const std::vector<int64_t>& kernel,
                       Geometry* g) {
  const int nd = static_cast<int>(in.size());
  g->nd = nd;
  g->in = in;
  g->kernel = kernel;
  if (static_cast<int>(kernel.size()) != nd) {
    return ctx.InvalidArgument("kernel has " + std::to_string(kernel.size()) +
                               " spatial dims, input has " + std::to_string(nd));
  }
  KILN_RETURN_IF_ERROR(TakeWindowValues(ctx, w.strides, nd, 1, "strides", &g->stride));
  KILN_RETURN_IF_ERROR(TakeWindowValues(ctx, w.dilations, nd, 1, "dilations", &g->dilation));
  std::vector<int64_t> pads;
  KILN_RETURN_IF_ERROR(TakeWindowValues(ctx, w.pads, 2 * nd, 0, "pads", &pads));
  g->pad_begin.assign(pads.begin(), pads.begin() + nd);
  g->pad_end.assign(pads.begin() + nd, pads.end());
  g->out.assign(nd, 0);
  for (int d = 0; d < nd; ++d) {
    const int64_t k = g->EffectiveKernel(d), s = g->stride[d];
    switch (w.auto_pad) {
      case AutoPad::kSameUpper:
      case AutoPad::kSameLower: {
        g->out[d] = (in[d] + s - 1) / s;
        const int64_t total = std::max<int64_t>(0, (g->out[d] - 1) * s + k - in[d]);
        const int64_t small = total / 2;
        g->pad_begin[d] = w.auto_pad == AutoPad::kSameUpper ? small : total - small;
        g->pad_end[d] = total - g->pad_begin[d];
        break;
      }
      case AutoPad::kValid:
        g->pad_begin[d] = g->pad_end[d] = 0;
        [[fallthrough]];
      case AutoPad::kNotSet: {
        const int64_t span = in[d] + g->pad_begin[d] + g->pad_end[d] - k;
        if (span < 0) {
          return ctx.InvalidArgument("window (effective size " + std::to_string(k) +
                                     ") is larger than the padded input along spatial dim " +
                                     std::to_string(d) + " (input " + DimsToString(in) + ")");
        }
        if (w.ceil_mode && w.auto_pad == AutoPad::kNotSet) {
          g->out[d] = (span + s - 1) / s + 1;
          // The last window must start inside the input or its leading padding.
          if ((g->out[d] - 1) * s >= in[d] + g->pad_begin[d]) --g->out[d];
        } else {
          g->out[d] = span / s + 1;
        }
        break;
      }
    }
  }
  return Status::Ok();
}

Status ParseConvAttrs(const KernelInfo& info, ConvAttrs* a) {
  Status s = ParseWindowAttrs(info, &a->window);
  a->window.ceil_mode = false;
  a->group = info.GetInt("group", 1);
  a->output_padding = info.GetInts("output_padding");
  a->output_shape = info.GetInts("output_shape");
  if (s.ok()) s = info.status();
  if (s.ok() && a->group < 1) s = info.InvalidModel("group must be >= 1");
  return s;
}

Status ResolveTransposeGeometry(const KernelContext& ctx, const ConvAttrs& a,
                                const std::vector<int64_t>& in, const std::vector<int64_t>& kernel,
                                Geometry* g) {
  const WindowAttrs& w = a.window;
  const int nd = static_cast<int>(in.size());
  g->nd = nd;
  g->in = in;
  g->kernel = kernel;
  std::vector<int64_t> pads, out_pad, out_shape;
  KILN_RETURN_IF_ERROR(TakeWindowValues(ctx, w.strides, nd, 1, "strides", &g->stride));
  KILN_RETURN_IF_ERROR(TakeWindowValues(ctx, w.dilations, nd, 1, "dilations", &g->dilation));
  KILN_RETURN_IF_ERROR(TakeWindowValues(ctx, w.pads, 2 * nd, 0, "pads", &pads));
  KILN_RETURN_IF_ERROR(TakeWindowValues(ctx, a.output_padding, nd, 0, "output_padding", &out_pad));
  if (!a.output_shape.empty()) {
    out_shape = a.output_shape;
    if (static_cast<int>(out_shape.size()) == nd + 2) {
      out_shape.erase(out_shape.begin(), out_shape.begin() + 2);
    }
    if (static_cast<int>(out_shape.size()) != nd) {
      return ctx.InvalidArgument("output_shape " + DimsToString(a.output_shape) + " must have " +
                                 std::to_string(nd) + " spatial values");
    }
  }
  g->pad_begin.assign(pads.begin(), pads.begin() + nd);
  g->pad_end.assign(pads.begin() + nd, pads.end());
  g->out.assign(nd, 0);
  const bool same = w.auto_pad == AutoPad::kSameUpper || w.auto_pad == AutoPad::kSameLower;
  for (int d = 0; d < nd; ++d) {
    const int64_t full = g->stride[d] * (in[d] - 1) + out_pad[d] + g->EffectiveKernel(d);
    if (!out_shape.empty() || same) {
      const int64_t target = out_shape.empty() ? in[d] * g->stride[d] : out_shape[d];
      const int64_t total = full - target;
      if (w.auto_pad == AutoPad::kSameUpper) {
        g->pad_begin[d] = FloorDiv2(total);
        g->pad_end[d] = total - g->pad_begin[d];
      } else {
        g->pad_end[d] = FloorDiv2(total);
        g->pad_begin[d] = total - g->pad_end[d];
      }
    } else if (w.auto_pad == AutoPad::kValid) {
      g->pad_begin[d] = g->pad_end[d] = 0;
    }
    g->out[d] = full - g->pad_begin[d] - g->pad_end[d];
    if (g->out[d] < 0) {
      return ctx.InvalidArgument("ConvTranspose output size along spatial dim " +
                                 std::to_string(d) + " is negative");
    }
  }
  return Status::Ok();
}

Status ResolveConvShape(const KernelContext& ctx, const ConvAttrs& a, bool transpose,
                        const Tensor* x, const Tensor* wt, const Tensor* b, ConvShape* s) {
  if (x == nullptr || wt == nullptr) return ctx.InvalidArgument("missing input X or W");
  if (x->rank() < 3 || wt->rank() != x->rank()) {
    return ctx.InvalidArgument("X " + DimsToString(x->dims()) + " and W " +
                               DimsToString(wt->dims()) +
                               " must have the same rank >= 3 ([N, C, spatial...])");
  }
  const int nd = x->rank() - 2;
  if (nd > 3) return ctx.Unsupported("convolution over more than 3 spatial dims");
  const int64_t group = a.group;
  s->n = x->dim(0);
  s->c = x->dim(1);
  s->m = transpose ? wt->dim(1) * group : wt->dim(0);
  const int64_t w_in_channels = transpose ? wt->dim(0) : wt->dim(1) * group;
  if (w_in_channels != s->c || (!transpose && s->m % group != 0)) {
    return ctx.InvalidArgument("X " + DimsToString(x->dims()) + " and W " +
                               DimsToString(wt->dims()) + " disagree on channels (group " +
                               std::to_string(group) + ")");
  }
  if (b != nullptr && (b->rank() != 1 || b->dim(0) != s->m)) {
    return ctx.InvalidArgument("B " + DimsToString(b->dims()) + " must be [" +
                               std::to_string(s->m) + "]");
  }
  const std::vector<int64_t> kernel(wt->dims().begin() + 2, wt->dims().end());
  if (!a.window.kernel_shape.empty() && a.window.kernel_shape != kernel) {
    return ctx.InvalidArgument("kernel_shape " + DimsToString(a.window.kernel_shape) +
                               " differs from W's spatial dims " + DimsToString(kernel));
  }
  const std::vector<int64_t> in(x->dims().begin() + 2, x->dims().end());
  if (transpose) {
    KILN_RETURN_IF_ERROR(ResolveTransposeGeometry(ctx, a, in, kernel, &s->g));
  } else {
    KILN_RETURN_IF_ERROR(ResolveGeometry(ctx, a.window, in, kernel, &s->g));
  }
  s->y_dims = {s->n, s->m};
  s->y_dims.insert(s->y_dims.end(), s->g.out.begin(), s->g.out.end());
  return Status::Ok();
}

Status CheckFloatConvInputs(const KernelContext& ctx, bool fused, const Tensor& x, const Tensor& wt,
                            const Tensor* b, const Tensor* z, const std::vector<int64_t>& y_dims) {
  if (x.dtype() != wt.dtype() || (b != nullptr && b->dtype() != x.dtype())) {
    return ctx.InvalidArgument("X, W and B must share one element type");
  }
  if (fused) {
    if (x.dtype() != DataType::kFloat || (z != nullptr && z->dtype() != DataType::kFloat)) {
      return ctx.Unsupported("FusedConv supports float32 only");
    }
    if (z != nullptr && z->dims() != y_dims) {
      return ctx.InvalidArgument("Z " + DimsToString(z->dims()) + " must have Y's shape " +
                                 DimsToString(y_dims));
    }
  }
  return Status::Ok();
}

Status GetPoolInput(const KernelContext& ctx, const Tensor** x) {
  *x = ctx.Input(0);
  if (*x == nullptr) return ctx.InvalidArgument("missing input X");
  if ((*x)->rank() < 3) {
    return ctx.InvalidArgument("X must have rank >= 3 ([N, C, spatial...]), got " +
                               DimsToString((*x)->dims()));
  }
  return Status::Ok();
}

Status ParsePoolAttrs(const KernelInfo& info, PoolKind kind, bool global, PoolAttrs* a) {
  a->kind = kind;
  a->global = global;
  a->count_include_pad = info.GetInt("count_include_pad", 0) != 0;
  a->storage_order = info.GetInt("storage_order", 0);
  if (kind == PoolKind::kLp) {
    a->p = info.opset() < 2 ? info.GetFloat("p", 2.0f) : static_cast<double>(info.GetInt("p", 2));
  }
  Status s;
  if (!global) s = ParseWindowAttrs(info, &a->window);
  if (s.ok()) s = info.status();
  if (s.ok() && !global && a->window.kernel_shape.empty()) {
    s = info.InvalidModel("kernel_shape is required");
  }
  if (s.ok() && a->storage_order != 0 && a->storage_order != 1) {
    s = info.InvalidModel("storage_order must be 0 or 1");
  }
  if (s.ok() && kind == PoolKind::kLp && !(a->p > 0)) s = info.InvalidModel("p must be positive");
  return s;
}

Status ResolvePoolShape(const KernelContext& ctx, const PoolAttrs& a,
                        const std::vector<int64_t>& x_dims, Geometry* g,
                        std::vector<int64_t>* y_dims) {
  const int nd = static_cast<int>(x_dims.size()) - 2;
  const std::vector<int64_t>& kernel = a.window.kernel_shape;
  if (static_cast<int>(kernel.size()) != nd) {
    return ctx.InvalidArgument("kernel_shape has " + std::to_string(kernel.size()) +
                               " dims but X " + DimsToString(x_dims) + " has " +
                               std::to_string(nd) + " spatial dims");
  }
  if (nd > 3) return ctx.Unsupported("pooling over more than 3 spatial dims");
  const std::vector<int64_t> in(x_dims.begin() + 2, x_dims.end());
  KILN_RETURN_IF_ERROR(ResolveGeometry(ctx, a.window, in, kernel, g));
  *y_dims = {x_dims[0], x_dims[1]};
  y_dims->insert(y_dims->end(), g->out.begin(), g->out.end());
  return Status::Ok();
}

}  // namespace kiln::ops
