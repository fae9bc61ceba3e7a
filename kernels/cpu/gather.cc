// Indexing CPU kernels: gathers, scatters and data-dependent selections.
//   Gather 1+, GatherElements 11+, GatherND 11+ (batch_dims 12+), ScatterElements 11+ (reduction
//   add/mul 16+, max/min 18+), ScatterND 11+ (same reductions), Scatter 9-10, Compress 9+,
//   NonZero 9+, TopK 1+ (k attribute before 10, input from 10; largest/sorted 11+), Unique 11+.
// Negative indices count from the end; out-of-range indices are errors naming the node. TopK and
// Unique break ties by the lower index.
#include <cmath>
#include <limits>
#include <numeric>

#include "kernels/cpu/register.h"
#include "kernels/ops/element_copy.h"
#include "kernels/ops/movement_params.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

// Reads index tensor values, normalizing negatives against `dim` and checking bounds.
StatusOr<std::vector<int64_t>> ReadIndices(const KernelContext& ctx, const Tensor& t, int64_t dim,
                                           const char* what) {
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadInts(ctx, t, what));
  for (int64_t& i : v) {
    if (i < -dim || i >= dim) {
      return ctx.InvalidArgument(std::string(what) + " value " + std::to_string(i) +
                                 " is out of range [" + std::to_string(-dim) + ", " +
                                 std::to_string(dim - 1) + "]");
    }
    if (i < 0) i += dim;
  }
  return v;
}

// A comparable key for an element: float for the 16-bit floats, the value itself otherwise.
template <typename T>
inline decltype(auto) Key(const T& v) {
  if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    return ToFloat(v);
  } else {
    return v;
  }
}

// A strict weak order on keys that places NaN after every number (as numpy's sort does), so that
// sorting never sees an inconsistent comparison; NaNs compare equal to each other.
template <typename K>
inline bool KeyLess(const K& a, const K& b) {
  if constexpr (std::is_floating_point_v<K>) {
    if (std::isnan(b)) return !std::isnan(a);
    if (std::isnan(a)) return false;
  }
  return a < b;
}

// ---------------------------------------------------------------------------------------------
// Gather

class GatherKernel : public Kernel {
 public:
  explicit GatherKernel(const KernelInfo& info) : axis_(info.GetInt("axis", 0)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const Tensor& ind = *ctx.Input(1);
    KILN_ASSIGN_OR_RETURN(GatherPlan p, PlanGather(ctx, axis_, x, ind));
    const int64_t dim = x.dim(p.axis), outer = p.outer, inner = p.inner;
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadIndices(ctx, ind, dim, "indices"));
    const Tensor in = UnpackedView(x);
    KILN_ASSIGN_OR_RETURN(StagedOutput y, StageOutput(ctx, 0, x.dtype(), p.dims));
    bool ok = DispatchCopy(in.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = in.data<T>();
      T* dst = y.buf.data<T>();
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i : idx) {
          CopyN(dst, src + (o * dim + i) * inner, inner);
          dst += inner;
        }
      }
    });
    if (!ok) return UnsupportedType(ctx, x);
    y.Finish();
    return Status::Ok();
  }

 private:
  int64_t axis_;
};

// ---------------------------------------------------------------------------------------------
// GatherElements / ScatterElements / Scatter share the element addressing: for each position p
// of `indices` (same rank as data, dims no larger), the data offset is p with the axis
// coordinate replaced by the index.

StatusOr<std::vector<int64_t>> ElementOffsets(const KernelContext& ctx, const Tensor& x,
                                              const Tensor& ind, int axis) {
  if (ind.rank() != x.rank()) {
    return ctx.InvalidArgument("indices " + ind.TypeString() + " must have the rank of data " +
                               x.TypeString());
  }
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadIndices(ctx, ind, x.dim(axis), "indices"));
  const int r = x.rank();
  const std::vector<int64_t> xs = ContiguousStrides(x.dims());
  std::vector<int64_t> offs(idx.size());
  if (idx.empty()) return offs;
  std::vector<int64_t> pos(r, 0);
  int64_t base = 0;
  for (size_t k = 0; k < idx.size(); ++k) {
    offs[k] = base + idx[k] * xs[axis];
    for (int d = r - 1; d >= 0; --d) {
      if (d != axis) base += xs[d];
      if (++pos[d] < ind.dim(d)) break;
      if (d != axis) base -= xs[d] * ind.dim(d);
      pos[d] = 0;
    }
  }
  return offs;
}

Status CheckIndexDims(const KernelContext& ctx, const Tensor& x, const Tensor& ind, int axis) {
  for (int d = 0; d < x.rank(); ++d) {
    if (d != axis && ind.dim(d) > x.dim(d)) {
      return ctx.InvalidArgument("indices " + ind.TypeString() + " exceed data " + x.TypeString() +
                                 " on axis " + std::to_string(d));
    }
  }
  return Status::Ok();
}

class GatherElementsKernel : public Kernel {
 public:
  explicit GatherElementsKernel(const KernelInfo& info) : axis_(info.GetInt("axis", 0)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const Tensor& ind = *ctx.Input(1);
    if (x.rank() == 0) return ctx.InvalidArgument("data must have rank >= 1");
    KILN_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_, x.rank(), ctx.node()));
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> offs, ElementOffsets(ctx, x, ind, axis));
    KILN_RETURN_IF_ERROR(CheckIndexDims(ctx, x, ind, axis));
    const Tensor in = UnpackedView(x);
    KILN_ASSIGN_OR_RETURN(StagedOutput y, StageOutput(ctx, 0, x.dtype(), ind.dims()));
    bool ok = DispatchCopy(in.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = in.data<T>();
      T* dst = y.buf.data<T>();
      for (size_t k = 0; k < offs.size(); ++k) dst[k] = src[offs[k]];
    });
    if (!ok) return UnsupportedType(ctx, x);
    y.Finish();
    return Status::Ok();
  }

 private:
  int64_t axis_;
};

// ---------------------------------------------------------------------------------------------
// Scatter reductions

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

StatusOr<Reduction> ParseReduction(const KernelInfo& info) {
  const std::string s = info.GetString("reduction", "none");
  if (s == "none") return Reduction::kNone;
  if (s == "add") return Reduction::kAdd;
  if (s == "mul") return Reduction::kMul;
  if (s == "max") return Reduction::kMax;
  if (s == "min") return Reduction::kMin;
  return info.InvalidModel("unknown reduction '" + s + "'");
}

template <typename T>
inline void Reduce(T& dst, const T& v, Reduction r) {
  if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    float a = ToFloat(dst), b = ToFloat(v);
    switch (r) {
      case Reduction::kAdd:
        a += b;
        break;
      case Reduction::kMul:
        a *= b;
        break;
      case Reduction::kMax:
        a = std::max(a, b);
        break;
      case Reduction::kMin:
        a = std::min(a, b);
        break;
      case Reduction::kNone:
        a = b;
        break;
    }
    dst = FromDouble<T>(a);
  } else {
    switch (r) {
      case Reduction::kAdd:
        dst = static_cast<T>(dst + v);
        break;
      case Reduction::kMul:
        dst = static_cast<T>(dst * v);
        break;
      case Reduction::kMax:
        dst = std::max(dst, v);
        break;
      case Reduction::kMin:
        dst = std::min(dst, v);
        break;
      case Reduction::kNone:
        dst = v;
        break;
    }
  }
}

// Copies data into output 0, then applies `fn(dst, upd)` (typed) with `blocks` of `block`
// elements: update block k goes to output offset offs[k].
Status ScatterBlocks(KernelContext& ctx, const Tensor& x, const Tensor& upd,
                     const std::vector<int64_t>& offs, int64_t block, Reduction red) {
  if (upd.dtype() != x.dtype()) {
    return ctx.InvalidArgument("updates " + upd.TypeString() + " must have the type of data " +
                               x.TypeString());
  }
  const Tensor in = UnpackedView(x);
  const Tensor up = UnpackedView(upd);
  KILN_ASSIGN_OR_RETURN(StagedOutput y, StageOutput(ctx, 0, x.dtype(), x.dims()));
  bool ok;
  if (red == Reduction::kNone) {
    ok = DispatchCopy(in.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* dst = y.buf.data<T>();
      CopyN(dst, in.data<T>(), in.numel());
      const T* u = up.data<T>();
      for (size_t k = 0; k < offs.size(); ++k) CopyN(dst + offs[k], u + k * block, block);
    });
  } else {
    ok = Dispatch<KILN_NUMERIC_TYPES>(in.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* dst = y.buf.data<T>();
      CopyN(dst, in.data<T>(), in.numel());
      const T* u = up.data<T>();
      for (size_t k = 0; k < offs.size(); ++k) {
        for (int64_t j = 0; j < block; ++j) Reduce(dst[offs[k] + j], u[k * block + j], red);
      }
    });
  }
  if (!ok) return UnsupportedType(ctx, x);
  y.Finish();
  return Status::Ok();
}

class ScatterElementsKernel : public Kernel {
 public:
  ScatterElementsKernel(const KernelInfo& info, Reduction red)
      : axis_(info.GetInt("axis", 0)), reduction_(red) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const Tensor& ind = *ctx.Input(1);
    const Tensor& upd = *ctx.Input(2);
    if (x.rank() == 0) return ctx.InvalidArgument("data must have rank >= 1");
    if (upd.dims() != ind.dims()) {
      return ctx.InvalidArgument("updates " + upd.TypeString() +
                                 " must have the shape of indices " + ind.TypeString());
    }
    KILN_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_, x.rank(), ctx.node()));
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> offs, ElementOffsets(ctx, x, ind, axis));
    KILN_RETURN_IF_ERROR(CheckIndexDims(ctx, x, ind, axis));
    return ScatterBlocks(ctx, x, upd, offs, 1, reduction_);
  }

 private:
  int64_t axis_;
  Reduction reduction_;
};

// ---------------------------------------------------------------------------------------------
// GatherND / ScatterND

// Offsets (in data elements) of the slices addressed by the index tuples of `ind`, and the slice
// size. With batch_dims b, tuple t of batch n addresses data[n, t...].
struct NdAddressing {
  std::vector<int64_t> offs;
  int64_t slice = 1;
  std::vector<int64_t> out_dims;
};

StatusOr<NdAddressing> NdOffsets(const KernelContext& ctx, const Tensor& x, const Tensor& ind,
                                 int64_t batch_dims) {
  const int r = x.rank(), q = ind.rank();
  if (q < 1) return ctx.InvalidArgument("indices must have rank >= 1");
  if (batch_dims < 0 || batch_dims >= std::min(q, r)) {
    return ctx.InvalidArgument("batch_dims " + std::to_string(batch_dims) +
                               " is out of range for data " + x.TypeString() + " and indices " +
                               ind.TypeString());
  }
  const int b = static_cast<int>(batch_dims);
  const int64_t k = ind.dim(q - 1);
  if (k < 1 || k > r - b) {
    return ctx.InvalidArgument("indices " + ind.TypeString() + " last dim must be in [1, " +
                               std::to_string(r - b) + "] for data " + x.TypeString());
  }
  for (int d = 0; d < b; ++d) {
    if (ind.dim(d) != x.dim(d)) {
      return ctx.InvalidArgument("batch dims of indices " + ind.TypeString() + " and data " +
                                 x.TypeString() + " differ");
    }
  }
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> raw, ReadInts(ctx, ind, "indices"));
  NdAddressing a;
  a.out_dims.assign(ind.dims().begin(), ind.dims().end() - 1);
  a.out_dims.insert(a.out_dims.end(), x.dims().begin() + b + k, x.dims().end());
  a.slice = ProductOfDims(x.dims(), b + static_cast<int>(k), r);
  const std::vector<int64_t> xs = ContiguousStrides(x.dims());
  const int64_t batches = ProductOfDims(x.dims(), 0, b);
  const int64_t batch_stride = ProductOfDims(x.dims(), b, r);
  const int64_t tuples = batches == 0 ? 0 : static_cast<int64_t>(raw.size()) / k / batches;
  a.offs.resize(static_cast<size_t>(tuples * batches));
  for (int64_t n = 0; n < batches; ++n) {
    for (int64_t t = 0; t < tuples; ++t) {
      const int64_t* tup = raw.data() + (n * tuples + t) * k;
      int64_t off = n * batch_stride;
      for (int64_t j = 0; j < k; ++j) {
        const int64_t dim = x.dim(b + static_cast<int>(j));
        int64_t i = tup[j];
        if (i < -dim || i >= dim) {
          return ctx.InvalidArgument("index " + std::to_string(i) + " is out of range for axis " +
                                     std::to_string(b + j) + " of data " + x.TypeString());
        }
        if (i < 0) i += dim;
        off += i * xs[b + j];
      }
      a.offs[n * tuples + t] = off;
    }
  }
  return a;
}

class GatherNDKernel : public Kernel {
 public:
  explicit GatherNDKernel(const KernelInfo& info) : batch_dims_(info.GetInt("batch_dims", 0)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    KILN_ASSIGN_OR_RETURN(NdAddressing a, NdOffsets(ctx, x, *ctx.Input(1), batch_dims_));
    const Tensor in = UnpackedView(x);
    KILN_ASSIGN_OR_RETURN(StagedOutput y, StageOutput(ctx, 0, x.dtype(), a.out_dims));
    bool ok = DispatchCopy(in.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* dst = y.buf.data<T>();
      for (size_t k = 0; k < a.offs.size(); ++k) {
        CopyN(dst + k * a.slice, in.data<T>() + a.offs[k], a.slice);
      }
    });
    if (!ok) return UnsupportedType(ctx, x);
    y.Finish();
    return Status::Ok();
  }

 private:
  int64_t batch_dims_;
};

class ScatterNDKernel : public Kernel {
 public:
  ScatterNDKernel(const KernelInfo& info, Reduction red) : reduction_(red) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const Tensor& upd = *ctx.Input(2);
    KILN_ASSIGN_OR_RETURN(NdAddressing a, NdOffsets(ctx, x, *ctx.Input(1), 0));
    if (upd.dims() != a.out_dims) {
      return ctx.InvalidArgument("updates " + upd.TypeString() + " must have shape " +
                                 DimsToString(a.out_dims));
    }
    return ScatterBlocks(ctx, x, upd, a.offs, a.slice, reduction_);
  }

 private:
  Reduction reduction_;
};

// A factory for the scatter kernels, which parse `reduction` at create time.
template <typename K>
KernelFactory ScatterFactory() {
  return [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    KILN_ASSIGN_OR_RETURN(Reduction red, ParseReduction(info));
    if ((red == Reduction::kMax || red == Reduction::kMin) && info.opset() < 18) {
      return info.InvalidModel("reduction max/min needs opset 18");
    }
    return std::unique_ptr<Kernel>(new K(info, red));
  };
}

// ---------------------------------------------------------------------------------------------
// Compress

class CompressKernel : public Kernel {
 public:
  explicit CompressKernel(const KernelInfo& info)
      : has_axis_(info.HasAttr("axis")), axis_(info.GetInt("axis", 0)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const Tensor& cond = *ctx.Input(1);
    if (cond.rank() != 1)
      return ctx.InvalidArgument("condition must be 1-D, got " + cond.TypeString());
    int axis = 0;
    int64_t outer = 1, dim = x.numel(), inner = 1;
    if (has_axis_) {
      if (x.rank() == 0) return ctx.InvalidArgument("input must have rank >= 1 with an axis");
      KILN_ASSIGN_OR_RETURN(axis, NormalizeAxis(axis_, x.rank(), ctx.node()));
      outer = ProductOfDims(x.dims(), 0, axis);
      dim = x.dim(axis);
      inner = ProductOfDims(x.dims(), axis + 1, x.rank());
    }
    const bool* c = cond.data<bool>();
    std::vector<int64_t> keep;
    for (int64_t i = 0; i < cond.numel(); ++i) {
      if (!c[i]) continue;
      if (i >= dim) {
        return ctx.InvalidArgument("condition " + cond.TypeString() + " selects index " +
                                   std::to_string(i) + " beyond the axis size " +
                                   std::to_string(dim));
      }
      keep.push_back(i);
    }
    std::vector<int64_t> dims = {static_cast<int64_t>(keep.size())};
    if (has_axis_) {
      dims = x.dims();
      dims[axis] = static_cast<int64_t>(keep.size());
    }
    const Tensor in = UnpackedView(x);
    KILN_ASSIGN_OR_RETURN(StagedOutput y, StageOutput(ctx, 0, x.dtype(), dims));
    bool ok = DispatchCopy(in.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = in.data<T>();
      T* dst = y.buf.data<T>();
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i : keep) {
          CopyN(dst, src + (o * dim + i) * inner, inner);
          dst += inner;
        }
      }
    });
    if (!ok) return UnsupportedType(ctx, x);
    y.Finish();
    return Status::Ok();
  }

 private:
  bool has_axis_;
  int64_t axis_;
};

// ---------------------------------------------------------------------------------------------
// NonZero

Status NonZeroRun(KernelContext& ctx) {
  const Tensor& x = *ctx.Input(0);
  std::vector<int64_t> hits;
  bool ok = Dispatch<KILN_NUMERIC_TYPES, bool>(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = x.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      if (Key(p[i]) != 0) hits.push_back(i);
    }
  });
  if (!ok) return UnsupportedType(ctx, x);
  const int r = x.rank();
  const int64_t n = static_cast<int64_t>(hits.size());
  KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kInt64, {r, n}));
  int64_t* dst = y->data<int64_t>();
  for (int64_t k = 0; k < n; ++k) {
    int64_t flat = hits[k];
    for (int d = r - 1; d >= 0; --d) {
      dst[d * n + k] = flat % x.dim(d);
      flat /= x.dim(d);
    }
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// TopK

class TopKKernel : public Kernel {
 public:
  explicit TopKKernel(const KernelInfo& info)
      : axis_(info.GetInt("axis", -1)),
        largest_(info.GetInt("largest", 1) != 0),
        k_attr_(info.GetInt("k", -1)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    if (x.rank() == 0) return ctx.InvalidArgument("input must have rank >= 1");
    KILN_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_, x.rank(), ctx.node()));
    int64_t k = k_attr_;
    if (ctx.opset() >= 10) {
      const Tensor* kt = ctx.Input(1);
      if (kt == nullptr || kt->numel() != 1) {
        return ctx.InvalidArgument("K must be a one-element tensor");
      }
      KILN_ASSIGN_OR_RETURN(std::vector<int64_t> kv, ReadInts(ctx, *kt, "K"));
      k = kv[0];
    }
    const int64_t dim = x.dim(axis);
    if (k < 0 || k > dim) {
      return ctx.InvalidArgument("k " + std::to_string(k) + " is out of range for axis " +
                                 std::to_string(axis) + " of " + x.TypeString());
    }
    std::vector<int64_t> dims = x.dims();
    dims[axis] = k;
    const int64_t outer = ProductOfDims(x.dims(), 0, axis);
    const int64_t inner = ProductOfDims(x.dims(), axis + 1, x.rank());
    KILN_ASSIGN_OR_RETURN(Tensor * values, ctx.Output(0, x.dtype(), dims));
    KILN_ASSIGN_OR_RETURN(Tensor * indices, ctx.Output(1, DataType::kInt64, dims));
    const bool largest = largest_;
    bool ok = Dispatch<KILN_NUMERIC_TYPES>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using K = std::decay_t<decltype(Key(T{}))>;
      const T* src = x.data<T>();
      T* vals = values->data<T>();
      int64_t* idxs = indices->data<int64_t>();
      std::vector<K> keys(dim);
      std::vector<int64_t> order(dim);
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t in = 0; in < inner; ++in) {
          const int64_t base = o * dim * inner + in;
          for (int64_t i = 0; i < dim; ++i) keys[i] = Key(src[base + i * inner]);
          std::iota(order.begin(), order.end(), 0);
          auto cmp = [&](int64_t a, int64_t b) {
            if (KeyLess(keys[a], keys[b])) return !largest;
            if (KeyLess(keys[b], keys[a])) return largest;
            return a < b;
          };
          std::partial_sort(order.begin(), order.begin() + k, order.end(), cmp);
          const int64_t obase = o * k * inner + in;
          for (int64_t j = 0; j < k; ++j) {
            vals[obase + j * inner] = src[base + order[j] * inner];
            idxs[obase + j * inner] = order[j];
          }
        }
      }
    });
    if (!ok) return UnsupportedType(ctx, x);
    return Status::Ok();
  }

 private:
  int64_t axis_;
  bool largest_;
  int64_t k_attr_;
};

// ---------------------------------------------------------------------------------------------
// Unique: items are the slices along the axis (or the elements of the flattened input), compared
// lexicographically in (outer, inner) order.

class UniqueKernel : public Kernel {
 public:
  explicit UniqueKernel(const KernelInfo& info)
      : sorted_(info.GetInt("sorted", 1) != 0),
        has_axis_(info.HasAttr("axis")),
        axis_(info.GetInt("axis", 0)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    int axis = 0;
    int64_t outer = 1, n = x.numel(), inner = 1;
    if (has_axis_) {
      if (x.rank() == 0) return ctx.InvalidArgument("input must have rank >= 1 with an axis");
      KILN_ASSIGN_OR_RETURN(axis, NormalizeAxis(axis_, x.rank(), ctx.node()));
      outer = ProductOfDims(x.dims(), 0, axis);
      n = x.dim(axis);
      inner = ProductOfDims(x.dims(), axis + 1, x.rank());
    }
    std::vector<int64_t> order(n), group_of(n);
    std::vector<int64_t> firsts, counts;
    bool ok = Dispatch<KILN_NUMERIC_TYPES, bool, std::string>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = x.data<T>();
      // -1, 0, 1 comparison of items a and b.
      auto compare = [&](int64_t a, int64_t b) {
        for (int64_t o = 0; o < outer; ++o) {
          const T* pa = src + (o * n + a) * inner;
          const T* pb = src + (o * n + b) * inner;
          for (int64_t j = 0; j < inner; ++j) {
            const auto& ka = Key(pa[j]);
            const auto& kb = Key(pb[j]);
            if (KeyLess(ka, kb)) return -1;
            if (KeyLess(kb, ka)) return 1;
          }
        }
        return 0;
      };
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(),
                       [&](int64_t a, int64_t b) { return compare(a, b) < 0; });
      for (int64_t i = 0; i < n; ++i) {
        if (i == 0 || compare(order[i - 1], order[i]) != 0) {
          firsts.push_back(order[i]);
          counts.push_back(0);
        }
        group_of[order[i]] = static_cast<int64_t>(firsts.size()) - 1;
        ++counts.back();
      }
    });
    if (!ok) return UnsupportedType(ctx, x);
    const int64_t u = static_cast<int64_t>(firsts.size());
    // Output position of each group: sorted order, or order of first occurrence.
    std::vector<int64_t> rank_of(u);
    std::iota(rank_of.begin(), rank_of.end(), 0);
    if (!sorted_) {
      std::vector<int64_t> by_first(u);
      std::iota(by_first.begin(), by_first.end(), 0);
      std::sort(by_first.begin(), by_first.end(),
                [&](int64_t a, int64_t b) { return firsts[a] < firsts[b]; });
      for (int64_t p = 0; p < u; ++p) rank_of[by_first[p]] = p;
    }
    std::vector<int64_t> first_out(u), count_out(u);
    for (int64_t g = 0; g < u; ++g) {
      first_out[rank_of[g]] = firsts[g];
      count_out[rank_of[g]] = counts[g];
    }
    std::vector<int64_t> dims = {u};
    if (has_axis_) {
      dims = x.dims();
      dims[axis] = u;
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x.dtype(), dims));
    DispatchCopy(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = x.data<T>();
      T* dst = y->data<T>();
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t p = 0; p < u; ++p) {
          CopyN(dst + (o * u + p) * inner, src + (o * n + first_out[p]) * inner, inner);
        }
      }
    });
    auto emit = [&](int i, const std::vector<int64_t>& v) -> Status {
      if (!ctx.output_requested(i)) return Status::Ok();
      KILN_ASSIGN_OR_RETURN(Tensor * t,
                            ctx.Output(i, DataType::kInt64, {static_cast<int64_t>(v.size())}));
      std::copy(v.begin(), v.end(), t->data<int64_t>());
      return Status::Ok();
    };
    std::vector<int64_t> inverse(n);
    for (int64_t i = 0; i < n; ++i) inverse[i] = rank_of[group_of[i]];
    KILN_RETURN_IF_ERROR(emit(1, first_out));
    KILN_RETURN_IF_ERROR(emit(2, inverse));
    return emit(3, count_out);
  }

 private:
  bool sorted_;
  bool has_axis_;
  int64_t axis_;
};

}  // namespace

void RegisterGatherKernels(KernelRegistry& r) {
  const std::vector<DataType>& all = kAllTensorTypes;
  const std::vector<DataType> index_types = {DataType::kInt32, DataType::kInt64};
  std::vector<DataType> numeric_bool = kNumericTypes;
  numeric_bool.push_back(DataType::kBool);
  std::vector<DataType> sortable = numeric_bool;
  sortable.push_back(DataType::kString);
  r.Register(KernelDef("Gather").Opsets(1).Types("T", {0}, all).Types("Tind", {1}, index_types),
             MakeKernel<GatherKernel>());
  r.Register(
      KernelDef("GatherElements").Opsets(11).Types("T", {0}, all).Types("Tind", {1}, index_types),
      MakeKernel<GatherElementsKernel>());
  r.Register(KernelDef("GatherND")
                 .Opsets(11)
                 .Types("T", {0}, all)
                 .Types("indices", {1}, {DataType::kInt64}),
             MakeKernel<GatherNDKernel>());
  r.Register(KernelDef("ScatterElements")
                 .Opsets(11)
                 .Types("T", {0, 2}, all)
                 .Types("Tind", {1}, index_types),
             ScatterFactory<ScatterElementsKernel>());
  r.Register(
      KernelDef("Scatter").Opsets(9, 10).Types("T", {0, 2}, all).Types("Tind", {1}, index_types),
      ScatterFactory<ScatterElementsKernel>());
  r.Register(KernelDef("ScatterND")
                 .Opsets(11)
                 .Types("T", {0, 2}, all)
                 .Types("indices", {1}, {DataType::kInt64}),
             ScatterFactory<ScatterNDKernel>());
  r.Register(
      KernelDef("Compress").Opsets(9).Types("T", {0}, all).Types("T1", {1}, {DataType::kBool}),
      MakeKernel<CompressKernel>());
  r.Register(KernelDef("NonZero").Opsets(9).Types("T", {0}, numeric_bool), Stateless(NonZeroRun));
  r.Register(KernelDef("TopK")
                 .Opsets(1)
                 .Types("T", {0}, kNumericTypes)
                 .Types("I", {1}, {DataType::kInt64})
                 .HostInputs({1}),
             MakeKernel<TopKKernel>());
  r.Register(KernelDef("Unique").Opsets(11).Types("T", {0}, sortable), MakeKernel<UniqueKernel>());
}

}  // namespace kiln::cpu
