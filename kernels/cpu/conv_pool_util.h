// Helpers shared by conv.cc and pool.cc: sliding-window geometry (kernel, strides, dilations,
// pads, auto_pad, ceil_mode), a shape-keyed cache for oneDNN primitives and the oneDNN engine.
// Only kernels/cpu/{conv,pool}.cc include this.
#pragma once

#include <algorithm>
#include <cstdint>
#include <dnnl.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kernels/cpu/common.h"

namespace kiln::cpu {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

// Window attributes as written on the node (empty vectors: attribute absent).
struct WindowAttrs {
  AutoPad auto_pad = AutoPad::kNotSet;
  std::vector<int64_t> kernel_shape, strides, dilations, pads;
  bool ceil_mode = false;
};

// Reads auto_pad, kernel_shape, strides, dilations, pads and ceil_mode; errors name the node.
inline Status ParseWindowAttrs(const KernelInfo& info, WindowAttrs* w) {
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

// Resolved window geometry over `nd` spatial dims.
struct Geometry {
  int nd = 0;
  std::vector<int64_t> in, kernel, stride, dilation, pad_begin, pad_end, out;
  int64_t EffectiveKernel(int d) const { return (kernel[d] - 1) * dilation[d] + 1; }
};

// Resolves the geometry of a window over input spatial dims `in`. `kernel` is the kernel's
// spatial shape (from kernel_shape or the weights). `allow_ceil`: pooling's ceil_mode.
inline Status ResolveGeometry(const KernelContext& ctx, const WindowAttrs& w,
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
  auto take = [&](const std::vector<int64_t>& v, size_t want, int64_t def, const char* name,
                  std::vector<int64_t>* out) -> Status {
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
  };
  KILN_RETURN_IF_ERROR(take(w.strides, nd, 1, "strides", &g->stride));
  KILN_RETURN_IF_ERROR(take(w.dilations, nd, 1, "dilations", &g->dilation));
  std::vector<int64_t> pads;
  KILN_RETURN_IF_ERROR(take(w.pads, 2 * nd, 0, "pads", &pads));
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

// A cache of per-input-shape state (oneDNN primitives), safe to use from concurrent Run calls.
template <typename Entry>
class ShapeCache {
 public:
  // Returns the entry for `key`, building it with make() (returning shared_ptr<Entry>) on a miss.
  template <typename Make>
  std::shared_ptr<const Entry> Get(const std::vector<int64_t>& key, Make&& make) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it != map_.end()) return it->second;
    std::shared_ptr<const Entry> e = make();
    if (map_.size() < kMaxEntries) map_.emplace(key, e);
    return e;
  }

 private:
  static constexpr size_t kMaxEntries = 64;
  mutable std::mutex mu_;
  mutable std::map<std::vector<int64_t>, std::shared_ptr<const Entry>> map_;
};

// The process-wide oneDNN CPU engine (thread-safe to share).
inline const dnnl::engine& DnnlEngine() {
  static const dnnl::engine* engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

// A oneDNN memory of descriptor `md` in kernel scratch (KernelContext::Scratch: the session's
// arena in steady state). `holder` keeps the bytes alive while oneDNN uses them. False when the
// scratch cannot be had.
inline bool DnnlScratch(KernelContext& ctx, const dnnl::memory::desc& md, Tensor* holder,
                        dnnl::memory* mem) {
  const size_t bytes = md.get_size();
  if (bytes == 0) {
    *mem = dnnl::memory(md, DnnlEngine());
    return true;
  }
  auto t = ctx.Scratch(bytes);
  if (!t.ok()) return false;
  *holder = std::move(t).value();
  *mem = dnnl::memory(md, DnnlEngine(), holder->raw_data());
  return true;
}

inline dnnl::memory::dims ToDnnlDims(const std::vector<int64_t>& v) {
  return dnnl::memory::dims(v.begin(), v.end());
}

// The plain (row-major) format tag for a tensor of rank 3, 4 or 5.
inline dnnl::memory::format_tag PlainTag(size_t rank) {
  using tag = dnnl::memory::format_tag;
  return rank == 3 ? tag::ncw : rank == 4 ? tag::nchw : tag::ncdhw;
}

}  // namespace kiln::cpu
