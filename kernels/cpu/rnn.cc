// Recurrent-network kernels (CPU), gate matrix products on oneDNN's sgemm for float (a GEMV at
// batch 1, its JIT kernels, threaded), Eigen for double:
//   RNN   1+  (opset 14+ adds `layout`; handled for every version, absent = 0)
//   GRU   1+  (linear_before_reset)
//   LSTM  1+  (peepholes P, input_forget)
// All: direction forward/reverse/bidirectional, activations with activation_alpha/beta, clip,
// sequence_lens (steps past a batch entry's length give zero Y; Y_h/Y_c hold its last valid
// step), initial_h/initial_c, layout 0/1, optional outputs. float and double are computed in
// their own type; float16 and bfloat16 in float.
#include <Eigen/Dense>
#include <dnnl.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/cpu/register.h"
#include "kernels/cpu/vec_math.h"
#include "kernels/ops/common.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

template <typename T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// c[m, n] (row stride ldc) = a[m, k] (row stride lda) * b[n, k]^T (row stride ldb): the gate
// products, x * W^T and h * R^T. float runs on sgemm (oneDNN picks its GEMV kernels when m is 1,
// the usual batch; Eigen's GEMM would repack R on every step), double on Eigen.
template <typename C>
void MatMulNT(const C* a, int64_t lda, const C* b, int64_t ldb, C* c, int64_t ldc, int64_t m,
              int64_t n, int64_t k) {
  if (m == 0 || n == 0) return;
  if constexpr (std::is_same_v<C, float>) {
    if (dnnl_sgemm('N', 'T', m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc) == dnnl_success) return;
  }
  using Stride = Eigen::OuterStride<>;
  Eigen::Map<const RowMat<C>, 0, Stride> am(a, m, k, Stride(lda));
  Eigen::Map<const RowMat<C>, 0, Stride> bm(b, n, k, Stride(ldb));
  Eigen::Map<RowMat<C>, 0, Stride> cm(c, m, n, Stride(ldc));
  if (k == 0) {
    cm.setZero();
  } else {
    cm.noalias() = am * bm.transpose();
  }
}

enum class CellKind { kRnn, kGru, kLstm };

enum class ActKind {
  kRelu,
  kTanh,
  kSigmoid,
  kAffine,
  kLeakyRelu,
  kThresholdedRelu,
  kScaledTanh,
  kHardSigmoid,
  kElu,
  kSoftsign,
  kSoftplus
};

struct Activation {
  ActKind kind = ActKind::kTanh;
  float alpha = 0.f;
  float beta = 0.f;
};

// Applies `a` to x[0, n) in place; the switch is outside the element loops.
template <typename C>
void ApplyActivation(const Activation& a, C* x, int64_t n) {
  const C alpha = static_cast<C>(a.alpha), beta = static_cast<C>(a.beta);
  switch (a.kind) {
    case ActKind::kRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] > C(0) ? x[i] : C(0);
      break;
    case ActKind::kTanh:
      if constexpr (std::is_same_v<C, float>) {  // vectorized (vec_math.h)
        for (int64_t i = 0; i < n; ++i) x[i] = VecTanh(x[i]);
        break;
      }
      for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
      break;
    case ActKind::kSigmoid:
      if constexpr (std::is_same_v<C, float>) {
        for (int64_t i = 0; i < n; ++i) x[i] = VecLogistic(x[i]);
        break;
      }
      for (int64_t i = 0; i < n; ++i) {
        x[i] = x[i] >= C(0) ? C(1) / (C(1) + std::exp(-x[i]))
                            : std::exp(x[i]) / (C(1) + std::exp(x[i]));
      }
      break;
    case ActKind::kAffine:
      for (int64_t i = 0; i < n; ++i) x[i] = alpha * x[i] + beta;
      break;
    case ActKind::kLeakyRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] >= C(0) ? x[i] : alpha * x[i];
      break;
    case ActKind::kThresholdedRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] >= alpha ? x[i] : C(0);
      break;
    case ActKind::kScaledTanh:
      for (int64_t i = 0; i < n; ++i) x[i] = alpha * std::tanh(beta * x[i]);
      break;
    case ActKind::kHardSigmoid:
      for (int64_t i = 0; i < n; ++i) {
        x[i] = std::min(std::max(alpha * x[i] + beta, C(0)), C(1));
      }
      break;
    case ActKind::kElu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] >= C(0) ? x[i] : alpha * (std::exp(x[i]) - C(1));
      break;
    case ActKind::kSoftsign:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] / (C(1) + std::abs(x[i]));
      break;
    case ActKind::kSoftplus:
      for (int64_t i = 0; i < n; ++i) {
        // log(1 + e^x), stable for large |x|.
        x[i] = x[i] > C(0) ? x[i] + std::log1p(std::exp(-x[i])) : std::log1p(std::exp(x[i]));
      }
      break;
  }
}

// Parses an activation name (case-insensitive); defaults follow the ONNX operators of that name.
bool ParseActivation(const std::string& name, Activation* a, bool* uses_alpha, bool* uses_beta) {
  std::string n;
  for (char c : name) n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  struct Entry {
    const char* name;
    ActKind kind;
    bool alpha, beta;
    float da, db;
  };
  static const Entry kEntries[] = {
      {"relu", ActKind::kRelu, false, false, 0.f, 0.f},
      {"tanh", ActKind::kTanh, false, false, 0.f, 0.f},
      {"sigmoid", ActKind::kSigmoid, false, false, 0.f, 0.f},
      {"affine", ActKind::kAffine, true, true, 1.f, 0.f},
      {"leakyrelu", ActKind::kLeakyRelu, true, false, 0.01f, 0.f},
      {"thresholdedrelu", ActKind::kThresholdedRelu, true, false, 1.f, 0.f},
      {"scaledtanh", ActKind::kScaledTanh, true, true, 1.f, 1.f},
      {"hardsigmoid", ActKind::kHardSigmoid, true, true, 0.2f, 0.5f},
      {"elu", ActKind::kElu, true, false, 1.f, 0.f},
      {"softsign", ActKind::kSoftsign, false, false, 0.f, 0.f},
      {"softplus", ActKind::kSoftplus, false, false, 0.f, 0.f},
  };
  for (const Entry& e : kEntries) {
    if (n == e.name) {
      a->kind = e.kind;
      a->alpha = e.da;
      a->beta = e.db;
      *uses_alpha = e.alpha;
      *uses_beta = e.beta;
      return true;
    }
  }
  return false;
}

int NumGates(CellKind k) { return k == CellKind::kRnn ? 1 : k == CellKind::kGru ? 3 : 4; }
int NumActivations(CellKind k) { return k == CellKind::kRnn ? 1 : k == CellKind::kGru ? 2 : 3; }

// Input indices common to the three ops.
constexpr int kX = 0, kW = 1, kR = 2, kB = 3, kSeqLens = 4, kInitH = 5, kInitC = 6, kP = 7;

class RecurrentKernel : public Kernel {
 public:
  RecurrentKernel(CellKind kind, int num_directions, bool reverse, int64_t hidden_size,
                  std::vector<Activation> acts, bool has_clip, float clip, int64_t layout,
                  bool linear_before_reset, bool input_forget)
      : kind_(kind),
        num_directions_(num_directions),
        reverse_(reverse),
        hidden_size_(hidden_size),
        acts_(std::move(acts)),
        has_clip_(has_clip),
        clip_(clip),
        layout_(layout),
        linear_before_reset_(linear_before_reset),
        input_forget_(input_forget) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(kX);
    if (x == nullptr) return ctx.InvalidArgument("input X is missing");
    Status st;
    bool ok = Dispatch<float, double, Float16, BFloat16>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
      st = RunTyped<T, C>(ctx);
    });
    if (!ok) return ctx.Unsupported(std::string("unsupported element type ") +
                                    DataTypeName(x->dtype()));
    return st;
  }

 private:
  // Input i as compute-type values: the input's own buffer when T == C, else a converted copy.
  template <typename T, typename C>
  static const C* AsCompute(const Tensor& t, std::vector<C>* buf) {
    if constexpr (std::is_same_v<T, C>) {
      return t.data<T>();
    } else {
      buf->resize(static_cast<size_t>(t.numel()));
      const T* p = t.data<T>();
      for (int64_t i = 0; i < t.numel(); ++i) (*buf)[i] = static_cast<C>(ToDouble(p[i]));
      return buf->data();
    }
  }

  static Status CheckDims(const KernelContext& ctx, const char* name, const Tensor& t,
                          const std::vector<int64_t>& want) {
    if (t.dims() != want) {
      return ctx.InvalidArgument(std::string("input ") + name + " has shape " +
                                 DimsToString(t.dims()) + ", expected " + DimsToString(want));
    }
    return Status::Ok();
  }

  template <typename T, typename C>
  Status RunTyped(KernelContext& ctx) const {
    const Tensor& x = *ctx.Input(kX);
    const Tensor* w = ctx.Input(kW);
    const Tensor* r = ctx.Input(kR);
    if (w == nullptr || r == nullptr) return ctx.InvalidArgument("inputs W and R are required");
    if (x.rank() != 3) {
      return ctx.InvalidArgument("input X must have rank 3, got " + DimsToString(x.dims()));
    }
    const int64_t D = num_directions_;
    const int64_t S = layout_ == 0 ? x.dim(0) : x.dim(1);
    const int64_t B = layout_ == 0 ? x.dim(1) : x.dim(0);
    const int64_t I = x.dim(2);
    if (r->rank() != 3) {
      return ctx.InvalidArgument("input R must have rank 3, got " + DimsToString(r->dims()));
    }
    const int64_t H = hidden_size_ > 0 ? hidden_size_ : r->dim(2);
    const int G = NumGates(kind_);
    const int64_t GH = G * H;
    KILN_RETURN_IF_ERROR(CheckDims(ctx, "W", *w, {D, GH, I}));
    KILN_RETURN_IF_ERROR(CheckDims(ctx, "R", *r, {D, GH, H}));
    const Tensor* b = ctx.Input(kB);
    if (b != nullptr) KILN_RETURN_IF_ERROR(CheckDims(ctx, "B", *b, {D, 2 * GH}));
    const std::vector<int64_t> state_dims = layout_ == 0 ? std::vector<int64_t>{D, B, H}
                                                         : std::vector<int64_t>{B, D, H};
    const Tensor* init_h = ctx.Input(kInitH);
    if (init_h != nullptr) KILN_RETURN_IF_ERROR(CheckDims(ctx, "initial_h", *init_h, state_dims));
    const Tensor* init_c = kind_ == CellKind::kLstm ? ctx.Input(kInitC) : nullptr;
    if (init_c != nullptr) KILN_RETURN_IF_ERROR(CheckDims(ctx, "initial_c", *init_c, state_dims));
    const Tensor* p = kind_ == CellKind::kLstm ? ctx.Input(kP) : nullptr;
    if (p != nullptr) KILN_RETURN_IF_ERROR(CheckDims(ctx, "P", *p, {D, 3 * H}));

    // Sequence lengths.
    std::vector<int64_t> lens(static_cast<size_t>(B), S);
    if (const Tensor* sl = ctx.Input(kSeqLens)) {
      if (sl->dtype() != DataType::kInt32 && sl->dtype() != DataType::kInt64) {
        return ctx.InvalidArgument(std::string("sequence_lens must be int32, got ") +
                                   DataTypeName(sl->dtype()));
      }
      KILN_RETURN_IF_ERROR(CheckDims(ctx, "sequence_lens", *sl, {B}));
      for (int64_t i = 0; i < B; ++i) {
        const int64_t v = sl->dtype() == DataType::kInt32 ? sl->data<int32_t>()[i]
                                                          : sl->data<int64_t>()[i];
        if (v < 0 || v > S) {
          return ctx.InvalidArgument("sequence_lens[" + std::to_string(i) + "] = " +
                                     std::to_string(v) + " is outside [0, " + std::to_string(S) +
                                     "]");
        }
        lens[i] = v;
      }
    }

    // Outputs.
    Tensor* y = nullptr;
    Tensor* y_h = nullptr;
    Tensor* y_c = nullptr;
    const DataType dt = x.dtype();
    if (ctx.output_requested(0)) {
      std::vector<int64_t> yd = layout_ == 0 ? std::vector<int64_t>{S, D, B, H}
                                             : std::vector<int64_t>{B, S, D, H};
      KILN_ASSIGN_OR_RETURN(y, ctx.Output(0, dt, yd));
    }
    if (ctx.output_requested(1)) {
      KILN_ASSIGN_OR_RETURN(y_h, ctx.Output(1, dt, state_dims));
    }
    if (kind_ == CellKind::kLstm && ctx.output_requested(2)) {
      KILN_ASSIGN_OR_RETURN(y_c, ctx.Output(2, dt, state_dims));
    }
    if (B == 0 || H == 0) return Status::Ok();

    std::vector<C> xbuf, wbuf, rbuf, bbuf, hbuf, cbuf, pbuf;
    const C* xd = AsCompute<T, C>(x, &xbuf);
    const C* wd = AsCompute<T, C>(*w, &wbuf);
    const C* rd = AsCompute<T, C>(*r, &rbuf);
    const C* bd = b ? AsCompute<T, C>(*b, &bbuf) : nullptr;
    const C* hd = init_h ? AsCompute<T, C>(*init_h, &hbuf) : nullptr;
    const C* cd = init_c ? AsCompute<T, C>(*init_c, &cbuf) : nullptr;
    const C* pd = p ? AsCompute<T, C>(*p, &pbuf) : nullptr;

    auto state_offset = [&](int64_t d, int64_t bi) {
      return layout_ == 0 ? (d * B + bi) * H : (bi * D + d) * H;
    };
    auto y_offset = [&](int64_t t, int64_t d, int64_t bi) {
      return layout_ == 0 ? ((t * D + d) * B + bi) * H : ((bi * S + t) * D + d) * H;
    };
    auto x_row = [&](int64_t t, int64_t bi) { return layout_ == 0 ? t * B + bi : bi * S + t; };
    auto store = [&](Tensor* out, int64_t off, const C* v) {
      T* o = out->data<T>() + off;
      for (int64_t j = 0; j < H; ++j) o[j] = FromDouble<T>(static_cast<double>(v[j]));
    };

    RowMat<C> xw(S * B, GH);
    RowMat<C> hr(B, GH);
    RowMat<C> h_state(B, H), c_state(B, H);
    RowMat<C> rh = RowMat<C>::Zero(B, H);
    std::vector<C> gates(static_cast<size_t>(GH));
    const int n_act = NumActivations(kind_);

    for (int64_t d = 0; d < D; ++d) {
      const bool rev = reverse_ || d == 1;
      const Activation* act = &acts_[d * n_act];
      // Input projections for every step at once.
      if (S * B > 0) {
        if (I > 0) {
          MatMulNT<C>(xd, I, wd + d * GH * I, I, xw.data(), GH, S * B, GH, I);
        } else {
          xw.setZero();
        }
      }
      // Biases folded into the projections (GRU with linear_before_reset keeps Rbh apart).
      std::vector<C> bias(static_cast<size_t>(GH), C(0));
      const C* rbh = nullptr;
      if (bd != nullptr) {
        const C* wb = bd + d * 2 * GH;
        const C* rb = wb + GH;
        for (int64_t j = 0; j < GH; ++j) bias[j] = wb[j] + rb[j];
        if (kind_ == CellKind::kGru && linear_before_reset_) {
          rbh = rb + 2 * H;
          for (int64_t j = 2 * H; j < GH; ++j) bias[j] = wb[j];
        }
      }
      for (int64_t i = 0; i < S * B; ++i) {
        C* row = xw.data() + i * GH;
        for (int64_t j = 0; j < GH; ++j) row[j] += bias[j];
      }
      for (int64_t bi = 0; bi < B; ++bi) {
        for (int64_t j = 0; j < H; ++j) {
          h_state(bi, j) = hd ? hd[state_offset(d, bi) + j] : C(0);
          c_state(bi, j) = cd ? cd[state_offset(d, bi) + j] : C(0);
        }
      }
      const C* pi = pd ? pd + d * 3 * H : nullptr;
      const C* po = pi ? pi + H : nullptr;
      const C* pf = pi ? pi + 2 * H : nullptr;

      for (int64_t k = 0; k < S; ++k) {
        // Recurrent projection: all gates, or z and r only for GRU without linear_before_reset.
        const C* r_d = rd + d * GH * H;
        if (kind_ == CellKind::kGru && !linear_before_reset_) {
          MatMulNT<C>(h_state.data(), H, r_d, H, hr.data(), GH, B, 2 * H, H);
        } else {
          MatMulNT<C>(h_state.data(), H, r_d, H, hr.data(), GH, B, GH, H);
        }
        if (kind_ == CellKind::kGru && !linear_before_reset_) {
          // (r (.) H) * Rh^T needs r first: compute r for every active entry.
          for (int64_t bi = 0; bi < B; ++bi) {
            if (k >= lens[bi]) continue;
            const int64_t t = rev ? lens[bi] - 1 - k : k;
            const C* xr = xw.data() + x_row(t, bi) * GH;
            C* g = gates.data();
            for (int64_t j = 0; j < H; ++j) g[j] = Clip(xr[H + j] + hr(bi, H + j));
            ApplyActivation(act[0], g, H);
            for (int64_t j = 0; j < H; ++j) rh(bi, j) = g[j] * h_state(bi, j);
          }
          MatMulNT<C>(rh.data(), H, r_d + 2 * H * H, H, hr.data() + 2 * H, GH, B, H, H);
        }
        for (int64_t bi = 0; bi < B; ++bi) {
          if (k >= lens[bi]) continue;
          const int64_t t = rev ? lens[bi] - 1 - k : k;
          const C* xr = xw.data() + x_row(t, bi) * GH;
          const C* hrr = hr.data() + bi * GH;
          C* g = gates.data();
          C* hs = h_state.data() + bi * H;
          C* cs = c_state.data() + bi * H;
          switch (kind_) {
            case CellKind::kRnn: {
              for (int64_t j = 0; j < H; ++j) g[j] = Clip(xr[j] + hrr[j]);
              ApplyActivation(act[0], g, H);
              std::copy(g, g + H, hs);
              break;
            }
            case CellKind::kGru: {
              C* z = g;
              C* rg = g + H;
              C* hh = g + 2 * H;
              for (int64_t j = 0; j < 2 * H; ++j) g[j] = Clip(xr[j] + hrr[j]);
              ApplyActivation(act[0], g, 2 * H);
              if (linear_before_reset_) {
                for (int64_t j = 0; j < H; ++j) {
                  hh[j] = Clip(xr[2 * H + j] + rg[j] * (hrr[2 * H + j] + (rbh ? rbh[j] : C(0))));
                }
              } else {
                for (int64_t j = 0; j < H; ++j) hh[j] = Clip(xr[2 * H + j] + hrr[2 * H + j]);
              }
              ApplyActivation(act[1], hh, H);
              for (int64_t j = 0; j < H; ++j) hs[j] = (C(1) - z[j]) * hh[j] + z[j] * hs[j];
              break;
            }
            case CellKind::kLstm: {
              C* ig = g;
              C* og = g + H;
              C* fg = g + 2 * H;
              C* cg = g + 3 * H;
              for (int64_t j = 0; j < H; ++j) {
                ig[j] = Clip(xr[j] + hrr[j] + (pi ? pi[j] * cs[j] : C(0)));
                fg[j] = Clip(xr[2 * H + j] + hrr[2 * H + j] + (pf ? pf[j] * cs[j] : C(0)));
                cg[j] = Clip(xr[3 * H + j] + hrr[3 * H + j]);
              }
              ApplyActivation(act[0], ig, H);
              if (input_forget_) {
                for (int64_t j = 0; j < H; ++j) fg[j] = C(1) - ig[j];
              } else {
                ApplyActivation(act[0], fg, H);
              }
              ApplyActivation(act[1], cg, H);
              for (int64_t j = 0; j < H; ++j) cs[j] = fg[j] * cs[j] + ig[j] * cg[j];
              for (int64_t j = 0; j < H; ++j) {
                og[j] = Clip(xr[H + j] + hrr[H + j] + (po ? po[j] * cs[j] : C(0)));
              }
              ApplyActivation(act[0], og, H);
              std::copy(cs, cs + H, cg);
              ApplyActivation(act[2], cg, H);
              for (int64_t j = 0; j < H; ++j) hs[j] = og[j] * cg[j];
              break;
            }
          }
          if (y != nullptr) store(y, y_offset(t, d, bi), hs);
        }
      }
      for (int64_t bi = 0; bi < B; ++bi) {
        if (y_h != nullptr) store(y_h, state_offset(d, bi), h_state.data() + bi * H);
        if (y_c != nullptr) store(y_c, state_offset(d, bi), c_state.data() + bi * H);
      }
    }
    return Status::Ok();
  }

  template <typename C>
  C Clip(C v) const {
    if (!has_clip_) return v;
    const C c = static_cast<C>(clip_);
    return v < -c ? -c : (v > c ? c : v);
  }

  CellKind kind_;
  int num_directions_;
  bool reverse_;
  int64_t hidden_size_;
  std::vector<Activation> acts_;  // NumActivations(kind_) per direction
  bool has_clip_;
  float clip_;
  int64_t layout_;
  bool linear_before_reset_;
  bool input_forget_;
};

KernelFactory RecurrentFactory(CellKind kind) {
  return [kind](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    const std::string direction = info.GetString("direction", "forward");
    int num_directions = 1;
    bool reverse = false;
    if (direction == "bidirectional") {
      num_directions = 2;
    } else if (direction == "reverse") {
      reverse = true;
    } else if (direction != "forward") {
      return info.InvalidModel("direction must be forward, reverse or bidirectional, got '" +
                               direction + "'");
    }
    const int64_t hidden_size = info.GetInt("hidden_size", 0);
    if (info.HasAttr("hidden_size") && hidden_size <= 0) {
      return info.InvalidModel("hidden_size must be positive, got " +
                               std::to_string(hidden_size));
    }
    const int64_t layout = info.GetInt("layout", 0);
    if (layout != 0 && layout != 1) {
      return info.InvalidModel("layout must be 0 or 1, got " + std::to_string(layout));
    }
    const int n_act = NumActivations(kind);
    std::vector<std::string> names = info.GetStrings("activations");
    if (names.empty()) {
      if (kind == CellKind::kRnn) names = {"Tanh"};
      if (kind == CellKind::kGru) names = {"Sigmoid", "Tanh"};
      if (kind == CellKind::kLstm) names = {"Sigmoid", "Tanh", "Tanh"};
    }
    if (static_cast<int>(names.size()) == n_act && num_directions == 2) {
      const std::vector<std::string> one = names;
      names.insert(names.end(), one.begin(), one.end());
    }
    if (static_cast<int>(names.size()) != n_act * num_directions) {
      return info.InvalidModel("expected " + std::to_string(n_act * num_directions) +
                               " activations, got " + std::to_string(names.size()));
    }
    const std::vector<float> alphas = info.GetFloats("activation_alpha");
    const std::vector<float> betas = info.GetFloats("activation_beta");
    size_t ai = 0, bi = 0;
    std::vector<Activation> acts(names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      bool ua = false, ub = false;
      if (!ParseActivation(names[i], &acts[i], &ua, &ub)) {
        return info.InvalidModel("unsupported activation '" + names[i] + "'");
      }
      if (ua && ai < alphas.size()) acts[i].alpha = alphas[ai++];
      if (ub && bi < betas.size()) acts[i].beta = betas[bi++];
    }
    const bool has_clip = info.HasAttr("clip");
    const float clip = info.GetFloat("clip", 0.f);
    if (has_clip && !(clip > 0.f)) {
      return info.InvalidModel("clip must be positive, got " + std::to_string(clip));
    }
    const bool lbr = kind == CellKind::kGru && info.GetInt("linear_before_reset", 0) != 0;
    const bool input_forget = kind == CellKind::kLstm && info.GetInt("input_forget", 0) != 0;
    return std::unique_ptr<Kernel>(new RecurrentKernel(kind, num_directions, reverse, hidden_size,
                                                       std::move(acts), has_clip, clip, layout,
                                                       lbr, input_forget));
  };
}

}  // namespace

void RegisterRnnKernels(KernelRegistry& r) {
  const std::vector<DataType> t1 = {DataType::kInt32};
  r.Register(
      KernelDef("RNN").Opsets(1).Types("T", {0, 1, 2, 3, 5}, kFloatTypes).Types("T1", {4}, t1),
      RecurrentFactory(CellKind::kRnn));
  r.Register(
      KernelDef("GRU").Opsets(1).Types("T", {0, 1, 2, 3, 5}, kFloatTypes).Types("T1", {4}, t1),
      RecurrentFactory(CellKind::kGru));
  r.Register(KernelDef("LSTM")
                 .Opsets(1)
                 .Types("T", {0, 1, 2, 3, 5, 6, 7}, kFloatTypes)
                 .Types("T1", {4}, t1),
             RecurrentFactory(CellKind::kLstm));
}

}  // namespace kiln::cpu
