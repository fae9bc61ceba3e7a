// Control flow: If (1+), Loop (1+), Scan (8, 9+). Bodies run through KernelContext::RunSubgraph,
// which gives them the enclosing graph's values as outer scope.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/cpu/register.h"

namespace kiln::cpu {
namespace {

// Element bytes of a non-packed, non-string type.
size_t ElementBytes(DataType t) { return static_cast<size_t>(DataTypeBits(t) / 8); }

Status CheckSliceable(const KernelContext& ctx, const Tensor& t, const char* what) {
  if (IsPacked(t.dtype()) || t.dtype() == DataType::kUndefined) {
    return ctx.Unsupported(std::string(what) + " of element type " + DataTypeName(t.dtype()) +
                           " is not supported");
  }
  return Status::Ok();
}

// Copies `count` elements from src[src_off] to dst[dst_off] (element offsets).
void CopyElements(const Tensor& src, int64_t src_off, Tensor& dst, int64_t dst_off, int64_t count) {
  if (src.dtype() == DataType::kString) {
    const std::string* s = src.data<std::string>() + src_off;
    std::string* d = dst.data<std::string>() + dst_off;
    for (int64_t i = 0; i < count; ++i) d[i] = s[i];
    return;
  }
  size_t es = ElementBytes(src.dtype());
  std::memcpy(static_cast<char*>(dst.raw_data()) + dst_off * es,
              static_cast<const char*>(src.raw_data()) + src_off * es, count * es);
}

// Slice `index` of `t` along `axis`, with that axis removed.
Tensor SliceAxis(const Tensor& t, int axis, int64_t index) {
  std::vector<int64_t> dims = t.dims();
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= dims[i];
  for (int i = axis + 1; i < t.rank(); ++i) inner *= dims[i];
  int64_t n = dims[axis];
  dims.erase(dims.begin() + axis);
  Tensor out(t.dtype(), dims);
  for (int64_t o = 0; o < outer; ++o) CopyElements(t, (o * n + index) * inner, out, o * inner, inner);
  return out;
}

// Stacks equally shaped tensors along a new `axis` (in order).
StatusOr<Tensor> Stack(const KernelContext& ctx, const std::vector<Tensor>& items, int axis,
                       const std::string& what) {
  const Tensor& first = items[0];
  for (const Tensor& t : items) {
    if (t.dims() != first.dims() || t.dtype() != first.dtype()) {
      return ctx.InvalidArgument(what + ": iterations produced " + first.TypeString() + " and " +
                                 t.TypeString() + "; scan outputs must keep one type and shape");
    }
  }
  KILN_RETURN_IF_ERROR(CheckSliceable(ctx, first, what.c_str()));
  std::vector<int64_t> dims = first.dims();
  if (axis < 0 || axis > first.rank()) {
    return ctx.InvalidArgument(what + ": axis " + std::to_string(axis) + " out of range");
  }
  const int64_t n = static_cast<int64_t>(items.size());
  dims.insert(dims.begin() + axis, n);
  KILN_ASSIGN_OR_RETURN(Tensor out, Tensor::Create(first.dtype(), dims));
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= first.dim(i);
  for (int i = axis; i < first.rank(); ++i) inner *= first.dim(i);
  for (int64_t k = 0; k < n; ++k) {
    for (int64_t o = 0; o < outer; ++o) CopyElements(items[k], o * inner, out, (o * n + k) * inner, inner);
  }
  return out;
}

bool ReadBool(const Tensor& t) {
  if (t.numel() < 1) return false;
  if (t.dtype() == DataType::kBool) return t.data<bool>()[0];
  return false;
}

// ---- If ----
class IfKernel : public Kernel {
 public:
  explicit IfKernel(const KernelInfo& info)
      : then_(info.GetGraph("then_branch")), else_(info.GetGraph("else_branch")) {}
  Status Run(KernelContext& ctx) const override {
    if (then_ == nullptr || else_ == nullptr) {
      return ctx.Error(StatusCode::kInvalidModel, "needs then_branch and else_branch graphs");
    }
    const Tensor* cond = ctx.Input(0);
    if (cond == nullptr || cond->dtype() != DataType::kBool || cond->numel() != 1) {
      return ctx.InvalidArgument("cond must be a bool tensor with one element");
    }
    const Graph& g = ReadBool(*cond) ? *then_ : *else_;
    KILN_ASSIGN_OR_RETURN(auto outs, ctx.RunSubgraph(g, {}));
    if (static_cast<int>(outs.size()) != ctx.num_outputs()) {
      return ctx.InvalidArgument("branch '" + g.name + "' produced " + std::to_string(outs.size()) +
                                 " outputs, the node has " + std::to_string(ctx.num_outputs()));
    }
    for (int i = 0; i < ctx.num_outputs(); ++i) KILN_RETURN_IF_ERROR(ctx.SetOutput(i, std::move(outs[i])));
    return Status::Ok();
  }

 private:
  const Graph* then_;
  const Graph* else_;
};

// ---- Loop ----
class LoopKernel : public Kernel {
 public:
  explicit LoopKernel(const KernelInfo& info) : body_(info.GetGraph("body")) {}
  Status Run(KernelContext& ctx) const override {
    if (body_ == nullptr) return ctx.Error(StatusCode::kInvalidModel, "needs a body graph");
    const int n_carried = ctx.num_inputs() - 2;
    if (n_carried < 0) return ctx.InvalidArgument("Loop needs at least the M and cond inputs");
    const int n_scan = static_cast<int>(body_->outputs().size()) - 1 - n_carried;
    if (n_scan < 0 || static_cast<int>(body_->inputs().size()) != 2 + n_carried) {
      return ctx.Error(StatusCode::kInvalidModel,
                       "body takes " + std::to_string(body_->inputs().size()) + " inputs and gives " +
                           std::to_string(body_->outputs().size()) + " outputs; with " +
                           std::to_string(n_carried) + " loop-carried values it needs " +
                           std::to_string(2 + n_carried) + " inputs and at least " +
                           std::to_string(1 + n_carried) + " outputs");
    }
    int64_t max_trips = INT64_MAX;
    if (const Tensor* m = ctx.Input(0)) {
      if (m->dtype() != DataType::kInt64 || m->numel() != 1) {
        return ctx.InvalidArgument("M must be an int64 scalar");
      }
      max_trips = m->data<int64_t>()[0];
    }
    bool cond = true;
    if (const Tensor* c = ctx.Input(1)) {
      if (c->dtype() != DataType::kBool || c->numel() != 1) {
        return ctx.InvalidArgument("cond must be a bool scalar");
      }
      cond = ReadBool(*c);
    }
    std::vector<AnyValue> carried;
    for (int i = 0; i < n_carried; ++i) {
      const AnyValue* v = ctx.InputValue(2 + i);
      carried.push_back(v ? *v : AnyValue::None());
    }
    std::vector<std::vector<Tensor>> scans(n_scan);
    for (int64_t it = 0; it < max_trips && cond; ++it) {
      std::vector<AnyValue> ins;
      ins.emplace_back(Tensor::Scalar<int64_t>(it));
      ins.emplace_back(Tensor::Scalar<bool>(cond));
      for (auto& c : carried) ins.push_back(c);
      KILN_ASSIGN_OR_RETURN(auto outs, ctx.RunSubgraph(*body_, ins));
      if (!outs[0].is_tensor() || outs[0].tensor.dtype() != DataType::kBool ||
          outs[0].tensor.numel() != 1) {
        return ctx.InvalidArgument("body's cond output must be a bool scalar");
      }
      cond = ReadBool(outs[0].tensor);
      for (int i = 0; i < n_carried; ++i) carried[i] = std::move(outs[1 + i]);
      for (int k = 0; k < n_scan; ++k) {
        if (!outs[1 + n_carried + k].is_tensor()) {
          return ctx.Unsupported("scan output " + std::to_string(k) + " is not a tensor");
        }
        scans[k].push_back(std::move(outs[1 + n_carried + k].tensor));
      }
    }
    for (int i = 0; i < n_carried && i < ctx.num_outputs(); ++i) {
      KILN_RETURN_IF_ERROR(ctx.SetOutput(i, std::move(carried[i])));
    }
    for (int k = 0; k < n_scan && n_carried + k < ctx.num_outputs(); ++k) {
      if (scans[k].empty()) {
        // No iteration ran: an empty tensor of the body output's declared type.
        const TypeInfo& t = body_->value(body_->outputs()[1 + n_carried + k]).type;
        DataType dt = t.elem_type == DataType::kUndefined ? DataType::kFloat : t.elem_type;
        std::vector<int64_t> dims = {0};
        if (t.shape) {
          for (const Dim& d : t.shape->dims) dims.push_back(d.known() ? d.value : 0);
        }
        KILN_RETURN_IF_ERROR(ctx.Output(n_carried + k, dt, dims).status());
        continue;
      }
      KILN_ASSIGN_OR_RETURN(Tensor s, Stack(ctx, scans[k], 0, "scan output " + std::to_string(k)));
      KILN_RETURN_IF_ERROR(ctx.SetOutput(n_carried + k, AnyValue(std::move(s))));
    }
    return Status::Ok();
  }

 private:
  const Graph* body_;
};

// ---- Scan ----
class ScanKernel : public Kernel {
 public:
  explicit ScanKernel(const KernelInfo& info)
      : body_(info.GetGraph("body")),
        num_scan_inputs_(info.GetInt("num_scan_inputs", 0)),
        opset8_(info.opset() < 9),
        directions_(info.GetInts(info.opset() < 9 ? "directions" : "scan_input_directions")),
        input_axes_(info.GetInts("scan_input_axes")),
        output_directions_(info.GetInts("scan_output_directions")),
        output_axes_(info.GetInts("scan_output_axes")) {}

  Status Run(KernelContext& ctx) const override {
    if (body_ == nullptr) return ctx.Error(StatusCode::kInvalidModel, "needs a body graph");
    const int first = opset8_ ? 1 : 0;  // opset 8: input 0 is sequence_lens
    const int m = static_cast<int>(num_scan_inputs_);
    const int n_state = ctx.num_inputs() - first - m;
    const int k_out = static_cast<int>(body_->outputs().size()) - n_state;
    if (m <= 0 || n_state < 0 || k_out < 0) {
      return ctx.Error(StatusCode::kInvalidModel, "num_scan_inputs " + std::to_string(m) +
                                                      " does not fit the node's inputs");
    }
    if (opset8_) {
      if (ctx.has_input(0)) return ctx.Unsupported("Scan-8 with sequence_lens is not supported");
      // Batch axis 0: run each batch entry as a Scan-9 over axis 0 of the entry.
      const Tensor* probe = ctx.Input(first + n_state);
      if (probe == nullptr || probe->rank() < 1) return ctx.InvalidArgument("scan inputs need a batch axis");
      const int64_t batch = probe->dim(0);
      std::vector<std::vector<Tensor>> per_output(n_state + k_out);
      for (int64_t b = 0; b < batch; ++b) {
        std::vector<Tensor> state, scan_in;
        for (int i = 0; i < n_state; ++i) state.push_back(SliceAxis(*ctx.Input(first + i), 0, b));
        for (int i = 0; i < m; ++i) scan_in.push_back(SliceAxis(*ctx.Input(first + n_state + i), 0, b));
        std::vector<Tensor> outs;
        KILN_RETURN_IF_ERROR(ScanOnce(ctx, state, scan_in, n_state, k_out, outs));
        for (size_t j = 0; j < outs.size(); ++j) per_output[j].push_back(std::move(outs[j]));
      }
      for (int j = 0; j < n_state + k_out && j < ctx.num_outputs(); ++j) {
        KILN_ASSIGN_OR_RETURN(Tensor s, Stack(ctx, per_output[j], 0, "output " + std::to_string(j)));
        KILN_RETURN_IF_ERROR(ctx.SetOutput(j, AnyValue(std::move(s))));
      }
      return Status::Ok();
    }
    std::vector<Tensor> state, scan_in;
    for (int i = 0; i < n_state; ++i) {
      const Tensor* t = ctx.Input(i);
      if (t == nullptr) return ctx.InvalidArgument("state input " + std::to_string(i) + " is missing");
      state.push_back(*t);
    }
    for (int i = 0; i < m; ++i) {
      const Tensor* t = ctx.Input(n_state + i);
      if (t == nullptr) return ctx.InvalidArgument("scan input " + std::to_string(i) + " is missing");
      scan_in.push_back(*t);
    }
    std::vector<Tensor> outs;
    KILN_RETURN_IF_ERROR(ScanOnce(ctx, state, scan_in, n_state, k_out, outs));
    for (int j = 0; j < n_state + k_out && j < ctx.num_outputs(); ++j) {
      KILN_RETURN_IF_ERROR(ctx.SetOutput(j, AnyValue(std::move(outs[j]))));
    }
    return Status::Ok();
  }

 private:
  // One scan over `scan_in` (axes per attributes); fills n_state final states then k_out stacked
  // scan outputs.
  Status ScanOnce(KernelContext& ctx, std::vector<Tensor> state, const std::vector<Tensor>& scan_in,
                  int n_state, int k_out, std::vector<Tensor>& result) const {
    const int m = static_cast<int>(scan_in.size());
    int64_t length = -1;
    std::vector<int> axes(m, 0);
    for (int i = 0; i < m; ++i) {
      KILN_RETURN_IF_ERROR(CheckSliceable(ctx, scan_in[i], "scan input"));
      int64_t axis = (!opset8_ && i < static_cast<int>(input_axes_.size())) ? input_axes_[i] : 0;
      int rank = scan_in[i].rank();
      if (axis < -rank || axis >= rank) {
        return ctx.InvalidArgument("scan_input_axes[" + std::to_string(i) + "] = " +
                                   std::to_string(axis) + " is out of range for rank " +
                                   std::to_string(rank));
      }
      axes[i] = static_cast<int>(axis < 0 ? axis + rank : axis);
      int64_t len = scan_in[i].dim(axes[i]);
      if (length >= 0 && len != length) {
        return ctx.InvalidArgument("scan inputs have different lengths (" + std::to_string(length) +
                                   " and " + std::to_string(len) + ")");
      }
      length = len;
    }
    std::vector<std::vector<Tensor>> scans(k_out);
    for (int64_t t = 0; t < length; ++t) {
      std::vector<AnyValue> ins;
      for (auto& s : state) ins.emplace_back(s);
      for (int i = 0; i < m; ++i) {
        bool reverse = i < static_cast<int>(directions_.size()) && directions_[i] == 1;
        ins.emplace_back(SliceAxis(scan_in[i], axes[i], reverse ? length - 1 - t : t));
      }
      KILN_ASSIGN_OR_RETURN(auto outs, ctx.RunSubgraph(*body_, ins));
      for (int i = 0; i < n_state; ++i) {
        if (!outs[i].is_tensor()) return ctx.Unsupported("non-tensor scan state");
        state[i] = std::move(outs[i].tensor);
      }
      for (int k = 0; k < k_out; ++k) {
        if (!outs[n_state + k].is_tensor()) return ctx.Unsupported("non-tensor scan output");
        scans[k].push_back(std::move(outs[n_state + k].tensor));
      }
    }
    result = std::move(state);
    for (int k = 0; k < k_out; ++k) {
      bool reverse = k < static_cast<int>(output_directions_.size()) && output_directions_[k] == 1;
      if (reverse) std::reverse(scans[k].begin(), scans[k].end());
      if (scans[k].empty()) {
        const TypeInfo& ti = body_->value(body_->outputs()[n_state + k]).type;
        DataType dt = ti.elem_type == DataType::kUndefined ? DataType::kFloat : ti.elem_type;
        result.emplace_back(dt, std::vector<int64_t>{0});
        continue;
      }
      int64_t axis = (!opset8_ && k < static_cast<int>(output_axes_.size())) ? output_axes_[k] : 0;
      int rank = scans[k][0].rank() + 1;
      if (axis < -rank || axis >= rank) {
        return ctx.InvalidArgument("scan_output_axes[" + std::to_string(k) + "] out of range");
      }
      KILN_ASSIGN_OR_RETURN(Tensor s, Stack(ctx, scans[k], static_cast<int>(axis < 0 ? axis + rank : axis),
                                             "scan output " + std::to_string(k)));
      result.push_back(std::move(s));
    }
    return Status::Ok();
  }

  const Graph* body_;
  int64_t num_scan_inputs_;
  bool opset8_;
  std::vector<int64_t> directions_, input_axes_, output_directions_, output_axes_;
};

}  // namespace

void RegisterControlFlowKernels(KernelRegistry& r) {
  r.Register(KernelDef("If").Opsets(1).Types("B", {0}, {DataType::kBool}), MakeKernel<IfKernel>());
  r.Register(KernelDef("Loop").Opsets(1), MakeKernel<LoopKernel>());
  r.Register(KernelDef("Scan").Opsets(8), MakeKernel<ScanKernel>());
}

}  // namespace kiln::cpu
