// The convolution and pooling families' semantics shared by the CPU and CUDA kernels
// (kernels/cpu/{conv,pool}.cc, kernels/cuda/{conv,pool}.cc): the sliding-window attributes
// (kernel_shape, strides, dilations, pads, auto_pad, ceil_mode) and the geometry they resolve to,
// ConvTranspose's output size, the Conv and pooling attributes and the checks of a convolution's
// inputs. Plain C++ on kernels/api/kernel.h; errors as the CPU kernels have always written them.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/api/kernel.h"

namespace kiln::ops {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

// Window attributes as written on the node (empty vectors: attribute absent).
struct WindowAttrs {
  AutoPad auto_pad = AutoPad::kNotSet;
  std::vector<int64_t> kernel_shape, strides, dilations, pads;
  bool ceil_mode = false;
};

// Reads auto_pad, kernel_shape, strides, dilations, pads and ceil_mode; errors name the node.
Status ParseWindowAttrs(const KernelInfo& info, WindowAttrs* w);

// Resolved window geometry over `nd` spatial dims.
struct Geometry {
  int nd = 0;
  std::vector<int64_t> in, kernel, stride, dilation, pad_begin, pad_end, out;
  int64_t EffectiveKernel(int d) const { return (kernel[d] - 1) * dilation[d] + 1; }
};

// `v` (an attribute that must have `want` values) or `want` copies of `def` when absent.
Status TakeWindowValues(const KernelContext& ctx, const std::vector<int64_t>& v, size_t want,
                        int64_t def, const char* name, std::vector<int64_t>* out);

// Resolves the geometry of a window over input spatial dims `in`. `kernel` is the kernel's
// spatial shape (from kernel_shape or the weights). w.ceil_mode applies with auto_pad NOTSET.
Status ResolveGeometry(const KernelContext& ctx, const WindowAttrs& w,
                       const std::vector<int64_t>& in, const std::vector<int64_t>& kernel,
                       Geometry* g);

// Conv / ConvTranspose / ConvInteger / QLinearConv attributes.
struct ConvAttrs {
  WindowAttrs window;  // ceil_mode always false
  int64_t group = 1;
  std::vector<int64_t> output_padding, output_shape;  // ConvTranspose's
};

// Reads the window attributes, group (>= 1), output_padding and output_shape.
Status ParseConvAttrs(const KernelInfo& info, ConvAttrs* a);

// ConvTranspose over input spatial dims `in`: resolves the pads (from output_shape or auto_pad
// when given) and the output size, g->out.
Status ResolveTransposeGeometry(const KernelContext& ctx, const ConvAttrs& a,
                                const std::vector<int64_t>& in, const std::vector<int64_t>& kernel,
                                Geometry* g);

// The shape of one (transposed) convolution.
struct ConvShape {
  int64_t n = 0, c = 0, m = 0;  // batch, input channels, output channels
  Geometry g;                   // for ConvTranspose the window of the adjoint conv; g.out is Y's
  std::vector<int64_t> y_dims;  // [n, m, g.out...]
};

// Checks X [N, C, spatial...] (1-3 spatial dims), W and the optional bias B [M] against each other
// and the attributes, and resolves the geometry and Y's dims.
Status ResolveConvShape(const KernelContext& ctx, const ConvAttrs& a, bool transpose,
                        const Tensor* x, const Tensor* wt, const Tensor* b, ConvShape* s);

// The element-type checks of a float Conv / ConvTranspose and, for kiln's FusedConv (`fused`),
// float32 only and the residual Z (may be null) of Y's shape.
Status CheckFloatConvInputs(const KernelContext& ctx, bool fused, const Tensor& x, const Tensor& wt,
                            const Tensor* b, const Tensor* z, const std::vector<int64_t>& y_dims);

// MaxPool / AveragePool / LpPool and their Global forms.
enum class PoolKind { kMax, kAvg, kLp };

struct PoolAttrs {
  PoolKind kind = PoolKind::kMax;
  bool global = false;
  WindowAttrs window;  // not read for the global forms
  bool count_include_pad = false;
  int64_t storage_order = 0;
  double p = 2.0;  // LpPool: a float attribute at opset 1, an int from 2
};

// Reads the pooling attributes: kernel_shape required (but for the global forms), storage_order
// 0 or 1, p positive.
Status ParsePoolAttrs(const KernelInfo& info, PoolKind kind, bool global, PoolAttrs* a);

// A pooling's X: present, a tensor of rank >= 3 ([N, C, spatial...]).
Status GetPoolInput(const KernelContext& ctx, const Tensor** x);

// A non-global pooling over X [N, C, spatial...] (rank >= 3, checked by the caller): checks
// kernel_shape against X's spatial dims (at most 3), resolves the geometry and Y's dims.
Status ResolvePoolShape(const KernelContext& ctx, const PoolAttrs& a,
                        const std::vector<int64_t>& x_dims, Geometry* g,
                        std::vector<int64_t>* y_dims);

}  // namespace kiln::ops
