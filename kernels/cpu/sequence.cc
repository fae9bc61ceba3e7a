// Sequence and optional CPU kernels:
//   SequenceEmpty 11+ (dtype attribute, default float), SequenceConstruct 11+, SequenceAt 11+,
//   SequenceInsert 11+ (position optional: append), SequenceErase 11+ (position optional: last),
//   SequenceLength 11+, SplitToSequence 11+ (split absent / scalar / 1-D; keepdims; axis),
//   ConcatFromSequence 11+ (axis, new_axis), SequenceMap 17+ (body run once per item),
//   Optional 15+ (type attribute; no input gives None), OptionalHasElement 15+ (from 18 the input
//   may be omitted or a plain tensor / sequence), OptionalGetElement 15+ (from 18 a plain tensor
//   or sequence passes through).
// Sequence items are tensor views: building or taking apart a sequence shares storage, only
// SplitToSequence and ConcatFromSequence copy elements.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cpu/register.h"
#include "kernels/ops/element_copy.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

const std::vector<DataType> kPositionTypes = {DataType::kInt32, DataType::kInt64};

// Input i as a sequence, or an error naming what was given instead.
StatusOr<const AnyValue*> SequenceInput(const KernelContext& ctx, int i) {
  const AnyValue* v = ctx.InputValue(i);
  if (v == nullptr) return ctx.InvalidArgument("input " + std::to_string(i) + " is missing");
  if (v->kind != AnyValue::Kind::kSequence) {
    return ctx.InvalidArgument("input " + std::to_string(i) + " must be a sequence, got " +
                               v->TypeString());
  }
  return v;
}

// Reads a scalar position tensor (int32 or int64, one element).
StatusOr<int64_t> ReadPosition(const KernelContext& ctx, int i) {
  const Tensor* t = ctx.Input(i);
  if (t == nullptr) {
    return ctx.InvalidArgument("position (input " + std::to_string(i) + ") must be a tensor");
  }
  if (t->numel() != 1 || t->rank() > 1) {
    return ctx.InvalidArgument("position must be a scalar, got " + t->TypeString());
  }
  if (t->dtype() == DataType::kInt32) return static_cast<int64_t>(t->data<int32_t>()[0]);
  if (t->dtype() == DataType::kInt64) return t->data<int64_t>()[0];
  return ctx.InvalidArgument("position must be int32 or int64, got " + t->TypeString());
}

// Maps a position in [-n, n - 1] (or [-n, n] when `allow_end`) to [0, n].
StatusOr<int64_t> NormalizePosition(const KernelContext& ctx, int64_t pos, int64_t n,
                                    bool allow_end) {
  const int64_t hi = allow_end ? n : n - 1;
  if (pos < -n || pos > hi) {
    return ctx.InvalidArgument("position " + std::to_string(pos) +
                               " is out of range for a sequence of length " + std::to_string(n) +
                               " (accepted: [" + std::to_string(-n) + ", " + std::to_string(hi) +
                               "])");
  }
  return pos < 0 ? pos + n : pos;
}

// The element type of a sequence: its declared type, else its first item's.
DataType ElemType(const AnyValue& seq) {
  if (seq.sequence_elem_type != DataType::kUndefined) return seq.sequence_elem_type;
  for (const AnyValue& v : seq.sequence) {
    if (v.is_tensor()) return v.tensor.dtype();
  }
  return DataType::kUndefined;
}

// A sequence output value (never marked optional).
AnyValue MakeSequence(std::vector<AnyValue> items, DataType elem) {
  for (AnyValue& v : items) v.optional = false;
  return AnyValue::Sequence(std::move(items), elem);
}

// Copies `rows` rows of `n` elements from src (row stride src_stride) to dst (row stride
// dst_stride). Element offsets and strides count elements of the (unpacked) tensors.
Status CopyRows(const KernelContext& ctx, const Tensor& src, int64_t src_offset, int64_t src_stride,
                Tensor& dst, int64_t dst_offset, int64_t dst_stride, int64_t rows, int64_t n) {
  if (rows == 0 || n == 0) return Status::Ok();
  bool ok = DispatchCopy(src.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* s = src.data<T>() + src_offset;
    T* d = dst.data<T>() + dst_offset;
    for (int64_t r = 0; r < rows; ++r) CopyN(d + r * dst_stride, s + r * src_stride, n);
  });
  if (!ok) return UnsupportedType(ctx, src);
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// SequenceEmpty, SequenceConstruct, SequenceLength

class SequenceEmptyKernel : public Kernel {
 public:
  explicit SequenceEmptyKernel(DataType dtype) : dtype_(dtype) {}
  Status Run(KernelContext& ctx) const override {
    return ctx.SetOutput(0, MakeSequence({}, dtype_));
  }

 private:
  DataType dtype_;
};

StatusOr<std::unique_ptr<Kernel>> SequenceEmptyFactory(const KernelInfo& info) {
  const int64_t dtype = info.GetInt("dtype", static_cast<int64_t>(DataType::kFloat));
  if (dtype < 1 || dtype > kMaxDataType) {
    return info.InvalidModel("dtype " + std::to_string(dtype) + " is not a valid element type");
  }
  return std::unique_ptr<Kernel>(new SequenceEmptyKernel(static_cast<DataType>(dtype)));
}

Status SequenceConstructRun(KernelContext& ctx) {
  std::vector<AnyValue> items;
  items.reserve(ctx.num_inputs());
  DataType elem = DataType::kUndefined;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor* t = ctx.Input(i);
    if (t == nullptr) {
      return ctx.InvalidArgument("input " + std::to_string(i) + " must be a tensor");
    }
    if (elem == DataType::kUndefined) elem = t->dtype();
    items.emplace_back(*t);
  }
  if (items.empty()) return ctx.InvalidArgument("needs at least one input");
  return ctx.SetOutput(0, MakeSequence(std::move(items), elem));
}

Status SequenceLengthRun(KernelContext& ctx) {
  KILN_ASSIGN_OR_RETURN(const AnyValue* seq, SequenceInput(ctx, 0));
  KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kInt64, {}));
  y->data<int64_t>()[0] = static_cast<int64_t>(seq->sequence.size());
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// SequenceAt, SequenceInsert, SequenceErase

Status SequenceAtRun(KernelContext& ctx) {
  KILN_ASSIGN_OR_RETURN(const AnyValue* seq, SequenceInput(ctx, 0));
  KILN_ASSIGN_OR_RETURN(int64_t pos, ReadPosition(ctx, 1));
  const int64_t n = static_cast<int64_t>(seq->sequence.size());
  KILN_ASSIGN_OR_RETURN(int64_t p, NormalizePosition(ctx, pos, n, /*allow_end=*/false));
  AnyValue item = seq->sequence[p];
  item.optional = false;
  return ctx.SetOutput(0, std::move(item));
}

Status SequenceInsertRun(KernelContext& ctx) {
  KILN_ASSIGN_OR_RETURN(const AnyValue* seq, SequenceInput(ctx, 0));
  const Tensor* t = ctx.Input(1);
  if (t == nullptr) return ctx.InvalidArgument("input 1 (tensor) must be a tensor");
  DataType elem = ElemType(*seq);
  if (elem != DataType::kUndefined && elem != t->dtype()) {
    return ctx.InvalidArgument(std::string("cannot insert a ") + DataTypeName(t->dtype()) +
                               " tensor into a sequence of " + DataTypeName(elem));
  }
  const int64_t n = static_cast<int64_t>(seq->sequence.size());
  int64_t p = n;
  if (ctx.has_input(2)) {
    KILN_ASSIGN_OR_RETURN(int64_t pos, ReadPosition(ctx, 2));
    KILN_ASSIGN_OR_RETURN(p, NormalizePosition(ctx, pos, n, /*allow_end=*/true));
  }
  std::vector<AnyValue> items;
  items.reserve(n + 1);
  items.insert(items.end(), seq->sequence.begin(), seq->sequence.begin() + p);
  items.emplace_back(*t);
  items.insert(items.end(), seq->sequence.begin() + p, seq->sequence.end());
  return ctx.SetOutput(0, MakeSequence(std::move(items), t->dtype()));
}

Status SequenceEraseRun(KernelContext& ctx) {
  KILN_ASSIGN_OR_RETURN(const AnyValue* seq, SequenceInput(ctx, 0));
  const int64_t n = static_cast<int64_t>(seq->sequence.size());
  if (n == 0) return ctx.InvalidArgument("cannot erase from an empty sequence");
  int64_t p = n - 1;
  if (ctx.has_input(1)) {
    KILN_ASSIGN_OR_RETURN(int64_t pos, ReadPosition(ctx, 1));
    KILN_ASSIGN_OR_RETURN(p, NormalizePosition(ctx, pos, n, /*allow_end=*/false));
  }
  std::vector<AnyValue> items;
  items.reserve(n - 1);
  for (int64_t i = 0; i < n; ++i) {
    if (i != p) items.push_back(seq->sequence[i]);
  }
  return ctx.SetOutput(0, MakeSequence(std::move(items), ElemType(*seq)));
}

// ---------------------------------------------------------------------------------------------
// SplitToSequence

class SplitToSequenceKernel : public Kernel {
 public:
  explicit SplitToSequenceKernel(const KernelInfo& info)
      : axis_(info.GetInt("axis", 0)), keepdims_(info.GetInt("keepdims", 1) != 0) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* xp = ctx.Input(0);
    if (xp == nullptr) return ctx.InvalidArgument("input 0 must be a tensor");
    const Tensor& x = *xp;
    const int rank = x.rank();
    if (rank == 0) return ctx.InvalidArgument("input must have rank >= 1, got a scalar");
    if (axis_ < -rank || axis_ >= rank) {
      return ctx.InvalidArgument("axis " + std::to_string(axis_) + " is out of range for rank " +
                                 std::to_string(rank));
    }
    const int axis = static_cast<int>(axis_ < 0 ? axis_ + rank : axis_);
    const int64_t dim = x.dim(axis);

    std::vector<int64_t> sizes;
    bool squeeze = false;
    if (!ctx.has_input(1)) {
      sizes.assign(dim, 1);
      squeeze = !keepdims_;
    } else {
      const Tensor* sp = ctx.Input(1);
      if (sp == nullptr) return ctx.InvalidArgument("split (input 1) must be a tensor");
      KILN_ASSIGN_OR_RETURN(std::vector<int64_t> split, ReadInts(ctx, *sp, "split"));
      if (sp->rank() == 0) {
        const int64_t chunk = split[0];
        if (chunk <= 0) {
          return ctx.InvalidArgument("scalar split must be positive, got " + std::to_string(chunk));
        }
        for (int64_t done = 0; done < dim; done += chunk)
          sizes.push_back(std::min(chunk, dim - done));
      } else if (sp->rank() == 1) {
        int64_t total = 0;
        for (int64_t s : split) {
          if (s < 0) return ctx.InvalidArgument("split has a negative size " + std::to_string(s));
          total += s;
        }
        if (total != dim) {
          return ctx.InvalidArgument("split sizes sum to " + std::to_string(total) +
                                     " but input dimension " + std::to_string(axis) + " of " +
                                     DimsToString(x.dims()) + " is " + std::to_string(dim));
        }
        sizes = std::move(split);
      } else {
        return ctx.InvalidArgument("split must be a scalar or 1-D, got " + sp->TypeString());
      }
    }

    const int64_t outer = ProductOfDims(x.dims(), 0, axis);
    const int64_t inner = ProductOfDims(x.dims(), axis + 1, rank);
    const Tensor in = UnpackedView(x);
    std::vector<AnyValue> items;
    items.reserve(sizes.size());
    int64_t start = 0;
    for (int64_t s : sizes) {
      std::vector<int64_t> dims = x.dims();
      dims[axis] = s;
      KILN_ASSIGN_OR_RETURN(Tensor piece, Tensor::Create(x.dtype(), dims));
      Tensor buf = IsPacked(x.dtype()) ? Tensor(DataType::kUint8, dims) : piece;
      KILN_RETURN_IF_ERROR(
          CopyRows(ctx, in, start * inner, dim * inner, buf, 0, s * inner, outer, s * inner));
      if (IsPacked(x.dtype())) PackInto(buf, &piece);
      if (squeeze) {
        dims.erase(dims.begin() + axis);
        KILN_ASSIGN_OR_RETURN(piece, piece.Reshaped(dims));
      }
      items.emplace_back(std::move(piece));
      start += s;
    }
    return ctx.SetOutput(0, MakeSequence(std::move(items), x.dtype()));
  }

 private:
  int64_t axis_;
  bool keepdims_;
};

// ---------------------------------------------------------------------------------------------
// ConcatFromSequence

class ConcatFromSequenceKernel : public Kernel {
 public:
  ConcatFromSequenceKernel(int64_t axis, bool new_axis) : axis_(axis), new_axis_(new_axis) {}

  Status Run(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(const AnyValue* seq, SequenceInput(ctx, 0));
    const std::vector<AnyValue>& items = seq->sequence;
    if (items.empty()) return ctx.InvalidArgument("the input sequence is empty");
    for (size_t k = 0; k < items.size(); ++k) {
      if (!items[k].is_tensor()) {
        return ctx.InvalidArgument("sequence item " + std::to_string(k) + " is not a tensor");
      }
    }
    const Tensor& first = items[0].tensor;
    const int rank = first.rank();
    const int out_rank = new_axis_ ? rank + 1 : rank;
    if (out_rank == 0) return ctx.InvalidArgument("cannot concatenate scalars without new_axis");
    if (axis_ < -out_rank || axis_ >= out_rank) {
      return ctx.InvalidArgument("axis " + std::to_string(axis_) + " is out of range for " +
                                 (new_axis_ ? "stacking rank " : "rank ") + std::to_string(rank) +
                                 " tensors");
    }
    const int axis = static_cast<int>(axis_ < 0 ? axis_ + out_rank : axis_);

    // Each item viewed with the output's rank (a 1 inserted at `axis` when stacking).
    auto view_dims = [&](const Tensor& t) {
      std::vector<int64_t> d = t.dims();
      if (new_axis_) d.insert(d.begin() + axis, 1);
      return d;
    };
    std::vector<int64_t> out_dims = view_dims(first);
    out_dims[axis] = 0;
    for (size_t k = 0; k < items.size(); ++k) {
      const Tensor& t = items[k].tensor;
      if (t.dtype() != first.dtype()) {
        return ctx.InvalidArgument("sequence items 0 and " + std::to_string(k) +
                                   " have different element types (" + first.TypeString() + ", " +
                                   t.TypeString() + ")");
      }
      std::vector<int64_t> d = t.rank() == rank ? view_dims(t) : std::vector<int64_t>{};
      bool match = t.rank() == rank;
      for (int i = 0; match && i < out_rank; ++i) {
        if (i != axis && d[i] != out_dims[i]) match = false;
      }
      if (!match) {
        return ctx.InvalidArgument("sequence items 0 and " + std::to_string(k) +
                                   " have incompatible shapes " + DimsToString(first.dims()) +
                                   " and " + DimsToString(t.dims()) + " for axis " +
                                   std::to_string(axis_) + (new_axis_ ? " (new_axis)" : ""));
      }
      out_dims[axis] += d[axis];
    }

    KILN_ASSIGN_OR_RETURN(StagedOutput y, StageOutput(ctx, 0, first.dtype(), out_dims));
    const int64_t outer = ProductOfDims(out_dims, 0, axis);
    const int64_t inner = ProductOfDims(out_dims, axis + 1, out_rank);
    const int64_t out_row = out_dims[axis] * inner;
    int64_t offset = 0;
    for (const AnyValue& item : items) {
      const Tensor in = UnpackedView(item.tensor);
      const int64_t a = new_axis_ ? 1 : item.tensor.dim(axis);
      KILN_RETURN_IF_ERROR(
          CopyRows(ctx, in, 0, a * inner, y.buf, offset, out_row, outer, a * inner));
      offset += a * inner;
    }
    y.Finish();
    return Status::Ok();
  }

 private:
  int64_t axis_;
  bool new_axis_;
};

StatusOr<std::unique_ptr<Kernel>> ConcatFromSequenceFactory(const KernelInfo& info) {
  if (!info.HasAttr("axis")) return info.InvalidModel("attribute 'axis' is required");
  const int64_t axis = info.GetInt("axis", 0);
  const int64_t new_axis = info.GetInt("new_axis", 0);
  if (new_axis != 0 && new_axis != 1) {
    return info.InvalidModel("new_axis must be 0 or 1, got " + std::to_string(new_axis));
  }
  return std::unique_ptr<Kernel>(new ConcatFromSequenceKernel(axis, new_axis == 1));
}

// ---------------------------------------------------------------------------------------------
// Optional, OptionalHasElement, OptionalGetElement

Status OptionalRun(KernelContext& ctx) {
  const AnyValue* v = ctx.InputValue(0);
  if (v == nullptr) return ctx.SetOutput(0, AnyValue::None());
  AnyValue out = *v;
  out.optional = true;
  return ctx.SetOutput(0, std::move(out));
}

StatusOr<std::unique_ptr<Kernel>> OptionalFactory(const KernelInfo& info) {
  if (!info.has_input(0)) {
    const Attribute* type = info.node().FindAttribute("type");
    if (type == nullptr || type->type != AttrType::kTypeProto) {
      return info.InvalidModel("an Optional without input needs the 'type' attribute");
    }
  }
  return std::unique_ptr<Kernel>(new FunctionKernel(OptionalRun));
}

Status OptionalHasElementRun(KernelContext& ctx) {
  const AnyValue* v = ctx.InputValue(0);
  if (v == nullptr && ctx.opset() < 18) {
    return ctx.InvalidArgument("the input is required before opset 18");
  }
  KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kBool, {}));
  y->data<bool>()[0] = v != nullptr && v->kind != AnyValue::Kind::kNone;
  return Status::Ok();
}

Status OptionalGetElementRun(KernelContext& ctx) {
  const AnyValue* v = ctx.InputValue(0);
  if (v == nullptr) return ctx.InvalidArgument("input 0 is missing");
  if (v->kind == AnyValue::Kind::kNone) {
    return ctx.InvalidArgument("the optional input is empty (None)");
  }
  AnyValue out = *v;
  out.optional = false;
  return ctx.SetOutput(0, std::move(out));
}

// ---------------------------------------------------------------------------------------------
// SequenceMap

class SequenceMapKernel : public Kernel {
 public:
  explicit SequenceMapKernel(const Graph* body) : body_(body) {}

  Status Run(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(const AnyValue* seq, SequenceInput(ctx, 0));
    const size_t n = seq->sequence.size();
    // Additional inputs: sequences are iterated with the first one, tensors are passed whole.
    for (int i = 1; i < ctx.num_inputs(); ++i) {
      const AnyValue* v = ctx.InputValue(i);
      if (v == nullptr) return ctx.InvalidArgument("input " + std::to_string(i) + " is missing");
      if (v->kind == AnyValue::Kind::kSequence && v->sequence.size() != n) {
        return ctx.InvalidArgument("input sequence " + std::to_string(i) + " has " +
                                   std::to_string(v->sequence.size()) +
                                   " items, input sequence 0 has " + std::to_string(n));
      }
      if (v->kind == AnyValue::Kind::kNone) {
        return ctx.InvalidArgument("input " + std::to_string(i) + " is None");
      }
    }
    const int num_out = ctx.num_outputs();
    if (static_cast<int>(body_->outputs().size()) != num_out) {
      return ctx.InvalidArgument("the body has " + std::to_string(body_->outputs().size()) +
                                 " outputs, the node " + std::to_string(num_out));
    }
    std::vector<std::vector<AnyValue>> results(num_out);
    std::vector<AnyValue> ins(ctx.num_inputs());
    for (size_t k = 0; k < n; ++k) {
      ins[0] = seq->sequence[k];
      for (int i = 1; i < ctx.num_inputs(); ++i) {
        const AnyValue* v = ctx.InputValue(i);
        ins[i] = v->kind == AnyValue::Kind::kSequence ? v->sequence[k] : *v;
      }
      KILN_ASSIGN_OR_RETURN(std::vector<AnyValue> outs, ctx.RunSubgraph(*body_, ins));
      if (static_cast<int>(outs.size()) != num_out) {
        return ctx.InvalidArgument("the body returned " + std::to_string(outs.size()) +
                                   " values, expected " + std::to_string(num_out));
      }
      for (int o = 0; o < num_out; ++o) {
        if (!outs[o].is_tensor()) {
          return ctx.InvalidArgument("body output " + std::to_string(o) +
                                     " must be a tensor, got " + outs[o].TypeString());
        }
        results[o].push_back(std::move(outs[o]));
      }
    }
    for (int o = 0; o < num_out; ++o) {
      DataType elem = body_->value(body_->outputs()[o]).type.elem_type;
      if (!results[o].empty()) elem = results[o][0].tensor.dtype();
      KILN_RETURN_IF_ERROR(ctx.SetOutput(o, MakeSequence(std::move(results[o]), elem)));
    }
    return Status::Ok();
  }

 private:
  const Graph* body_;  // owned by the node's attribute, which outlives the kernel
};

StatusOr<std::unique_ptr<Kernel>> SequenceMapFactory(const KernelInfo& info) {
  const Graph* body = info.GetGraph("body");
  if (body == nullptr) return info.InvalidModel("attribute 'body' is required");
  if (static_cast<int>(body->inputs().size()) != info.num_inputs()) {
    return info.InvalidModel("the body has " + std::to_string(body->inputs().size()) +
                             " inputs, the node " + std::to_string(info.num_inputs()));
  }
  return std::unique_ptr<Kernel>(new SequenceMapKernel(body));
}

}  // namespace

void RegisterSequenceKernels(KernelRegistry& r) {
  r.Register(KernelDef("SequenceEmpty").Opsets(11), SequenceEmptyFactory);
  r.Register(KernelDef("SequenceConstruct").Opsets(11).Types("T", {-1}, kAllTensorTypes),
             Stateless(SequenceConstructRun));
  r.Register(KernelDef("SequenceLength").Opsets(11), Stateless(SequenceLengthRun));
  r.Register(KernelDef("SequenceAt").Opsets(11).Types("I", {1}, kPositionTypes),
             Stateless(SequenceAtRun));
  r.Register(KernelDef("SequenceInsert")
                 .Opsets(11)
                 .Types("T", {1}, kAllTensorTypes)
                 .Types("I", {2}, kPositionTypes),
             Stateless(SequenceInsertRun));
  r.Register(KernelDef("SequenceErase").Opsets(11).Types("I", {1}, kPositionTypes),
             Stateless(SequenceEraseRun));
  r.Register(KernelDef("SplitToSequence")
                 .Opsets(11)
                 .Types("T", {0}, kAllTensorTypes)
                 .Types("I", {1}, kPositionTypes),
             MakeKernel<SplitToSequenceKernel>());
  r.Register(KernelDef("ConcatFromSequence").Opsets(11), ConcatFromSequenceFactory);
  r.Register(KernelDef("SequenceMap").Opsets(17), SequenceMapFactory);
  r.Register(KernelDef("Optional").Opsets(15), OptionalFactory);
  r.Register(KernelDef("OptionalHasElement").Opsets(15), Stateless(OptionalHasElementRun));
  r.Register(KernelDef("OptionalGetElement").Opsets(15), Stateless(OptionalGetElementRun));
}

}  // namespace kiln::cpu
