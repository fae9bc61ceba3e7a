// Linear-algebra kernels (CPU):
//   Einsum  12+  (explicit and implicit output, ellipsis with broadcasting, repeated subscripts
//                 (diagonals), sums; every numeric type; floats accumulate in double)
//   Det     11+  (batched [*, M, M]; full-pivot LU on Eigen in double; float16, float, double,
//                 bfloat16)
#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cpu/register.h"
#include "kernels/ops/common.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

// ---------------------------------------------------------------------------------------------
// Einsum

constexpr int kNumLetters = 52;  // 'A'-'Z' -> 0..25, 'a'-'z' -> 26..51 (ASCII order)
constexpr int kEllipsis = -1;

int LetterId(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return 26 + (c - 'a');
  return -2;
}

// One term of the equation: letter ids with at most one kEllipsis marker.
struct Term {
  std::vector<int> tokens;
  int letters = 0;
  bool has_ellipsis = false;
};

bool ParseTerm(const std::string& s, Term* t, std::string* err) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (s.compare(i, 3, "...") != 0 || t->has_ellipsis) {
        *err = "bad ellipsis in term '" + s + "'";
        return false;
      }
      t->has_ellipsis = true;
      t->tokens.push_back(kEllipsis);
      i += 2;
      continue;
    }
    const int id = LetterId(s[i]);
    if (id < 0) {
      *err = std::string("bad subscript '") + s[i] + "' in term '" + s + "'";
      return false;
    }
    t->tokens.push_back(id);
    ++t->letters;
  }
  return true;
}

// The einsum as loops: output labels then contracted labels, each operand's strides per label.
struct EinsumPlan {
  std::vector<int64_t> out_dims;
  std::vector<int64_t> k_dims;
  std::vector<std::vector<int64_t>> out_strides;  // [operand][output label]
  std::vector<std::vector<int64_t>> k_strides;    // [operand][contracted label]
};

Status PlanEinsum(const KernelContext& ctx, const std::string& equation,
                  const std::vector<const Tensor*>& ins, EinsumPlan* plan) {
  std::string eq;
  for (char c : equation) {
    if (c != ' ') eq += c;
  }
  std::string lhs = eq, rhs;
  const size_t arrow = eq.find("->");
  const bool explicit_out = arrow != std::string::npos;
  if (explicit_out) {
    lhs = eq.substr(0, arrow);
    rhs = eq.substr(arrow + 2);
  }
  std::vector<Term> terms;
  std::string err;
  size_t start = 0;
  while (true) {
    const size_t comma = lhs.find(',', start);
    Term t;
    const size_t len = comma == std::string::npos ? std::string::npos : comma - start;
    if (!ParseTerm(lhs.substr(start, len), &t, &err)) {
      return ctx.InvalidArgument("equation '" + equation + "': " + err);
    }
    terms.push_back(std::move(t));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  const int n = static_cast<int>(ins.size());
  if (static_cast<int>(terms.size()) != n) {
    return ctx.InvalidArgument("equation '" + equation + "' has " + std::to_string(terms.size()) +
                               " input terms for " + std::to_string(n) + " inputs");
  }
  // Ellipsis ranks.
  int max_ell = 0;
  std::vector<int> ell(n, 0);
  for (int i = 0; i < n; ++i) {
    const int e = ins[i]->rank() - terms[i].letters;
    if (e < 0 || (e > 0 && !terms[i].has_ellipsis)) {
      return ctx.InvalidArgument("equation '" + equation + "': term " + std::to_string(i) +
                                 " does not match input of shape " +
                                 DimsToString(ins[i]->dims()));
    }
    ell[i] = e;
    max_ell = std::max(max_ell, e);
  }
  const int num_labels = kNumLetters + max_ell;  // ellipsis dims are labels kNumLetters + j
  std::vector<int64_t> size(num_labels, -1);
  std::vector<int> count(num_labels, 0);
  // Per operand: label of each dim.
  std::vector<std::vector<int>> dim_labels(n);
  for (int i = 0; i < n; ++i) {
    for (int tok : terms[i].tokens) {
      if (tok == kEllipsis) {
        for (int j = 0; j < ell[i]; ++j) {
          dim_labels[i].push_back(kNumLetters + max_ell - ell[i] + j);
        }
      } else {
        dim_labels[i].push_back(tok);
      }
    }
    for (int a = 0; a < ins[i]->rank(); ++a) {
      const int l = dim_labels[i][a];
      const int64_t d = ins[i]->dim(a);
      ++count[l];
      if (size[l] < 0 || size[l] == d) {
        size[l] = d;
      } else if (l >= kNumLetters && (size[l] == 1 || d == 1)) {
        size[l] = std::max(size[l], d);  // broadcasting in ellipsis dims
      } else {
        return ctx.InvalidArgument("equation '" + equation + "': subscript sizes differ (" +
                                   std::to_string(size[l]) + " vs " + std::to_string(d) + ")");
      }
    }
  }
  // Output labels.
  std::vector<int> out_labels;
  if (explicit_out) {
    Term t;
    if (!ParseTerm(rhs, &t, &err)) {
      return ctx.InvalidArgument("equation '" + equation + "': " + err);
    }
    std::vector<bool> seen(num_labels, false);
    for (int tok : t.tokens) {
      if (tok == kEllipsis) {
        for (int j = 0; j < max_ell; ++j) out_labels.push_back(kNumLetters + j);
        continue;
      }
      if (count[tok] == 0 || seen[tok]) {
        return ctx.InvalidArgument("equation '" + equation +
                                   "': output subscripts must appear in the inputs, once");
      }
      seen[tok] = true;
      out_labels.push_back(tok);
    }
  } else {
    for (int j = 0; j < max_ell; ++j) out_labels.push_back(kNumLetters + j);
    for (int l = 0; l < kNumLetters; ++l) {
      if (count[l] == 1) out_labels.push_back(l);
    }
  }
  std::vector<bool> is_out(num_labels, false);
  for (int l : out_labels) is_out[l] = true;
  std::vector<int> k_labels;
  for (int l = 0; l < num_labels; ++l) {
    if (count[l] > 0 && !is_out[l]) k_labels.push_back(l);
  }
  // Strides per operand per label (repeated labels add up: diagonals; broadcast dims get 0).
  plan->out_strides.assign(n, {});
  plan->k_strides.assign(n, {});
  for (int i = 0; i < n; ++i) {
    std::vector<int64_t> ls(num_labels, 0);
    const std::vector<int64_t> cs = ContiguousStrides(ins[i]->dims());
    for (int a = 0; a < ins[i]->rank(); ++a) {
      if (ins[i]->dim(a) != 1 || size[dim_labels[i][a]] == 1) ls[dim_labels[i][a]] += cs[a];
    }
    for (int l : out_labels) plan->out_strides[i].push_back(ls[l]);
    for (int l : k_labels) plan->k_strides[i].push_back(ls[l]);
  }
  plan->out_dims.clear();
  plan->k_dims.clear();
  for (int l : out_labels) plan->out_dims.push_back(size[l]);
  for (int l : k_labels) plan->k_dims.push_back(size[l]);
  return Status::Ok();
}

template <typename T>
using AccOf = std::conditional_t<std::is_floating_point_v<T> || std::is_same_v<T, Float16> ||
                                     std::is_same_v<T, BFloat16>,
                                 double,
                                 std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>;

template <typename Acc, typename T>
inline Acc Load(T v) {
  if constexpr (std::is_same_v<Acc, double>) {
    return ToDouble(v);
  } else {
    return static_cast<Acc>(v);
  }
}

// Advances a multi-index over dims, updating per-operand offsets; returns false at the end.
inline bool Advance(const std::vector<int64_t>& dims, const std::vector<std::vector<int64_t>>& st,
                    std::vector<int64_t>* idx, std::vector<int64_t>* offs) {
  const int n = static_cast<int>(offs->size());
  for (int d = static_cast<int>(dims.size()) - 1; d >= 0; --d) {
    ++(*idx)[d];
    for (int i = 0; i < n; ++i) (*offs)[i] += st[i][d];
    if ((*idx)[d] < dims[d]) return true;
    for (int i = 0; i < n; ++i) (*offs)[i] -= st[i][d] * dims[d];
    (*idx)[d] = 0;
  }
  return false;
}

template <typename T>
void RunEinsum(const EinsumPlan& p, const std::vector<const Tensor*>& ins, Tensor* out) {
  using Acc = AccOf<T>;
  const int n = static_cast<int>(ins.size());
  std::vector<const T*> data(n);
  for (int i = 0; i < n; ++i) data[i] = ins[i]->data<T>();
  T* o = out->data<T>();
  const int64_t total_out = out->numel();
  int64_t total_k = 1;
  for (int64_t d : p.k_dims) total_k *= d;
  if (total_out == 0) return;
  // The innermost contracted dim runs as a tight loop.
  const int kr = static_cast<int>(p.k_dims.size());
  const int64_t inner = kr > 0 ? p.k_dims[kr - 1] : 1;
  std::vector<int64_t> inner_st(n, 0);
  std::vector<int64_t> outer_k_dims(p.k_dims.begin(), p.k_dims.end() - (kr > 0 ? 1 : 0));
  std::vector<std::vector<int64_t>> outer_k_st(n);
  for (int i = 0; i < n; ++i) {
    if (kr > 0) inner_st[i] = p.k_strides[i][kr - 1];
    outer_k_st[i].assign(p.k_strides[i].begin(), p.k_strides[i].end() - (kr > 0 ? 1 : 0));
  }
  std::vector<int64_t> oidx(p.out_dims.size(), 0), ooff(n, 0);
  std::vector<int64_t> kidx(outer_k_dims.size()), koff(n);
  for (int64_t e = 0; e < total_out; ++e) {
    Acc acc = Acc(0);
    if (total_k > 0) {
      std::fill(kidx.begin(), kidx.end(), 0);
      koff = ooff;
      do {
        if (n == 1) {
          const T* a = data[0] + koff[0];
          const int64_t sa = inner_st[0];
          for (int64_t j = 0; j < inner; ++j) acc += Load<Acc>(a[j * sa]);
        } else if (n == 2) {
          const T* a = data[0] + koff[0];
          const T* b = data[1] + koff[1];
          const int64_t sa = inner_st[0], sb = inner_st[1];
          for (int64_t j = 0; j < inner; ++j) acc += Load<Acc>(a[j * sa]) * Load<Acc>(b[j * sb]);
        } else {
          for (int64_t j = 0; j < inner; ++j) {
            Acc prod = Acc(1);
            for (int i = 0; i < n; ++i) prod *= Load<Acc>(data[i][koff[i] + j * inner_st[i]]);
            acc += prod;
          }
        }
      } while (Advance(outer_k_dims, outer_k_st, &kidx, &koff));
    }
    if constexpr (std::is_same_v<Acc, double>) {
      o[e] = FromDouble<T>(acc);
    } else {
      o[e] = static_cast<T>(acc);
    }
    Advance(p.out_dims, p.out_strides, &oidx, &ooff);
  }
}

Status EinsumRun(KernelContext& ctx, const std::string& equation) {
  std::vector<const Tensor*> ins;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor* t = ctx.Input(i);
    if (t == nullptr) return ctx.InvalidArgument("input " + std::to_string(i) + " is missing");
    if (!ins.empty() && t->dtype() != ins[0]->dtype()) {
      return ctx.InvalidArgument("all inputs must have the same element type");
    }
    ins.push_back(t);
  }
  if (ins.empty()) return ctx.InvalidArgument("Einsum needs at least one input");
  EinsumPlan plan;
  KILN_RETURN_IF_ERROR(PlanEinsum(ctx, equation, ins, &plan));
  KILN_ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, ins[0]->dtype(), plan.out_dims));
  const bool ok = Dispatch<KILN_NUMERIC_TYPES>(ins[0]->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    RunEinsum<T>(plan, ins, out);
  });
  if (!ok) {
    return ctx.Unsupported(std::string("unsupported element type ") +
                           DataTypeName(ins[0]->dtype()));
  }
  return Status::Ok();
}

KernelFactory EinsumFactory() {
  return [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    if (!info.HasAttr("equation")) return info.InvalidModel("attribute 'equation' is required");
    std::string eq = info.GetString("equation", "");
    return std::unique_ptr<Kernel>(
        new FunctionKernel([eq](KernelContext& ctx) { return EinsumRun(ctx, eq); }));
  };
}

// ---------------------------------------------------------------------------------------------
// Det

Status DetRun(KernelContext& ctx) {
  const Tensor* x = ctx.Input(0);
  if (x == nullptr) return ctx.InvalidArgument("input 0 is missing");
  const int rank = x->rank();
  if (rank < 2 || x->dim(rank - 1) != x->dim(rank - 2)) {
    return ctx.InvalidArgument("input must have shape [*, M, M], got " + DimsToString(x->dims()));
  }
  const int64_t m = x->dim(rank - 1);
  std::vector<int64_t> od(x->dims().begin(), x->dims().end() - 2);
  KILN_ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), od));
  const int64_t batch = out->numel();
  using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const bool ok = Dispatch<KILN_FLOAT_TYPES>(x->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = x->data<T>();
    T* o = out->data<T>();
    Mat a(m, m);
    for (int64_t b = 0; b < batch; ++b) {
      const T* p = in + b * m * m;
      for (int64_t i = 0; i < m * m; ++i) a.data()[i] = ToDouble(p[i]);
      const double det = m == 0 ? 1.0 : a.fullPivLu().determinant();
      o[b] = FromDouble<T>(det);
    }
  });
  if (!ok) return ctx.Unsupported(std::string("unsupported element type ") +
                                  DataTypeName(x->dtype()));
  return Status::Ok();
}

}  // namespace

void RegisterLinalgKernels(KernelRegistry& r) {
  r.Register(KernelDef("Einsum").Opsets(12).Types("T", {-1}, kNumericTypes), EinsumFactory());
  r.Register(KernelDef("Det").Opsets(11).Types("T", {0}, kFloatTypes), Stateless(DetRun));
}

}  // namespace kiln::cpu
