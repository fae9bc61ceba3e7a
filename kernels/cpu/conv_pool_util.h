// oneDNN helpers shared by conv.cc and pool.cc: a shape-keyed cache for oneDNN primitives and the
// oneDNN engine. The sliding-window geometry they share with the CUDA kernels is in
// conv_pool_params.h. Only kernels/cpu/{conv,pool}.cc include this.
#pragma once

#include <cstdint>
#include <dnnl.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "kernels/ops/common.h"
#include "kernels/ops/conv_pool_params.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels

// A bounded cache of per-input-shape state (oneDNN primitives), safe to use from concurrent calls.
// Kernel::Prepare fills it and hands the entry to the memory plan as the kernel's KernelState, so
// planned runs read it without the lock; runs without a state for their shapes (memory planning
// off, or data-dependent shapes that differ from the prepared ones) look their shape up here.
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
