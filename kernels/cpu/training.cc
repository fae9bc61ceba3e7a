// Optimizer-step CPU kernels (domain ai.onnx.preview.training, opset 1):
//   Adagrad   inputs R, T, X_1..X_n, G_1..G_n, H_1..H_n         -> X_new_1..n, H_new_1..n
//   Adam      inputs R, T, X_1..X_n, G_1..G_n, V_1..V_n, H_1..n -> X_new, V_new, H_new (each 1..n)
//   Momentum  inputs R, T, X_1..X_n, G_1..G_n, V_1..V_n         -> X_new_1..n, V_new_1..n
//             (mode "standard" or "nesterov")
// Element types: R and the optimized tensors float or double (each may differ), T int64. R and T
// are scalars (any shape with one element). Every G/V/H has the shape of its X; the math runs in
// double per element and rounds once into the output type.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/register.h"
#include "kernels/ops/common.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

const char kTrainingDomain[] = "ai.onnx.preview.training";

enum class Algo { kAdagrad, kAdam, kMomentum, kNesterov };

// The hyper-parameters of all three ops (each op reads its own).
struct Hyper {
  double norm_coefficient = 0;
  double decay_factor = 0;           // Adagrad
  double epsilon = 1e-6;             // Adagrad, Adam
  double alpha = 0.9;                // Adam, Momentum
  double beta = 0.999;               // Adam, Momentum
  double norm_coefficient_post = 0;  // Adam
};

// Number of per-variable tensor groups: inputs after R and T are `groups` blocks of n tensors;
// outputs are `groups - 1` blocks (the gradients G have no output).
int InputGroups(Algo a) {
  switch (a) {
    case Algo::kAdagrad:
      return 3;  // X, G, H
    case Algo::kAdam:
      return 4;  // X, G, V, H
    default:
      return 3;  // X, G, V
  }
}

StatusOr<double> ReadScalar(KernelContext& ctx, int i, const char* name) {
  const Tensor* t = ctx.Input(i);
  if (t == nullptr) return ctx.InvalidArgument(std::string("input '") + name + "' is missing");
  if (t->numel() != 1) {
    return ctx.InvalidArgument(std::string("input '") + name + "' must hold one element, got " +
                               t->TypeString());
  }
  double v = 0;
  bool ok = Dispatch<float, double, int64_t>(t->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    v = static_cast<double>(t->data<T>()[0]);
  });
  if (!ok) {
    return ctx.InvalidArgument(std::string("input '") + name + "': unsupported type " +
                               t->TypeString());
  }
  return v;
}

class OptimizerKernel : public Kernel {
 public:
  OptimizerKernel(Algo algo, Hyper h) : algo_(algo), h_(h) {}

  Status Run(KernelContext& ctx) const override {
    const int groups = InputGroups(algo_);
    const int tensors = ctx.num_inputs() - 2;
    if (tensors <= 0 || tensors % groups != 0) {
      return ctx.InvalidArgument("expected R, T and " + std::to_string(groups) +
                                 " tensors per optimized variable, got " +
                                 std::to_string(ctx.num_inputs()) + " inputs");
    }
    const int n = tensors / groups;
    if (ctx.num_outputs() != n * (groups - 1)) {
      return ctx.InvalidArgument("expected " + std::to_string(n * (groups - 1)) + " outputs for " +
                                 std::to_string(n) + " optimized variable(s), got " +
                                 std::to_string(ctx.num_outputs()));
    }
    KILN_ASSIGN_OR_RETURN(const double r, ReadScalar(ctx, 0, "R"));
    if (ctx.Input(1) == nullptr || ctx.Input(1)->dtype() != DataType::kInt64) {
      return ctx.InvalidArgument("input 'T' must be an int64 scalar");
    }
    KILN_ASSIGN_OR_RETURN(const double t, ReadScalar(ctx, 1, "T"));

    for (int v = 0; v < n; ++v) {
      // ins[g]: group g's tensor for variable v; outs[k]: output block k's tensor.
      std::vector<const Tensor*> ins(groups);
      for (int g = 0; g < groups; ++g) {
        ins[g] = ctx.Input(2 + g * n + v);
        if (ins[g] == nullptr) {
          return ctx.InvalidArgument("input " + std::to_string(2 + g * n + v) + " is missing");
        }
        if (ins[g]->dtype() != ins[0]->dtype() || ins[g]->dims() != ins[0]->dims()) {
          return ctx.InvalidArgument("input " + std::to_string(2 + g * n + v) + " is " +
                                     ins[g]->TypeString() + ", expected " + ins[0]->TypeString() +
                                     " like its variable (input " + std::to_string(2 + v) + ")");
        }
      }
      const DataType dt = ins[0]->dtype();
      if (dt != DataType::kFloat && dt != DataType::kDouble) {
        return ctx.Unsupported("optimized tensors must be float or double, got " +
                               ins[0]->TypeString());
      }
      std::vector<Tensor*> outs(groups - 1);
      for (int k = 0; k < groups - 1; ++k) {
        KILN_ASSIGN_OR_RETURN(outs[k], ctx.Output(k * n + v, dt, ins[0]->dims()));
      }
      Dispatch<float, double>(dt, [&](auto tag) {
        using T = typename decltype(tag)::type;
        Step<T>(ins, outs, r, t, ins[0]->numel());
      });
    }
    return Status::Ok();
  }

 private:
  template <typename T>
  void Step(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out, double r,
            double t, int64_t count) const {
    const T* x = in[0]->data<T>();
    const T* g = in[1]->data<T>();
    T* x_new = out[0]->data<T>();
    const double nc = h_.norm_coefficient;
    switch (algo_) {
      case Algo::kAdagrad: {
        const T* h = in[2]->data<T>();
        T* h_new = out[1]->data<T>();
        const double rate = r / (1 + t * h_.decay_factor);
        for (int64_t i = 0; i < count; ++i) {
          const double gr = nc * x[i] + g[i];
          const double hn = h[i] + gr * gr;
          x_new[i] = static_cast<T>(x[i] - rate * gr / (std::sqrt(hn) + h_.epsilon));
          h_new[i] = static_cast<T>(hn);
        }
        break;
      }
      case Algo::kAdam: {
        const T* vin = in[2]->data<T>();
        const T* h = in[3]->data<T>();
        T* v_new = out[1]->data<T>();
        T* h_new = out[2]->data<T>();
        const double a = h_.alpha, b = h_.beta;
        const double rate = t > 0 ? r * std::sqrt(1 - std::pow(b, t)) / (1 - std::pow(a, t)) : r;
        for (int64_t i = 0; i < count; ++i) {
          const double gr = nc * x[i] + g[i];
          const double vn = a * vin[i] + (1 - a) * gr;
          const double hn = b * h[i] + (1 - b) * gr * gr;
          const double xn = x[i] - rate * vn / (std::sqrt(hn) + h_.epsilon);
          x_new[i] = static_cast<T>((1 - h_.norm_coefficient_post) * xn);
          v_new[i] = static_cast<T>(vn);
          h_new[i] = static_cast<T>(hn);
        }
        break;
      }
      case Algo::kMomentum:
      case Algo::kNesterov: {
        const T* vin = in[2]->data<T>();
        T* v_new = out[1]->data<T>();
        const double a = h_.alpha, b = t > 0 ? h_.beta : 1.0;
        const bool nesterov = algo_ == Algo::kNesterov;
        for (int64_t i = 0; i < count; ++i) {
          const double gr = nc * x[i] + g[i];
          const double vn = a * vin[i] + b * gr;
          x_new[i] = static_cast<T>(nesterov ? x[i] - r * (gr + a * vn) : x[i] - r * vn);
          v_new[i] = static_cast<T>(vn);
        }
        break;
      }
    }
  }

  Algo algo_;
  Hyper h_;
};

StatusOr<std::unique_ptr<Kernel>> AdagradFactory(const KernelInfo& info) {
  Hyper h;
  h.norm_coefficient = info.GetFloat("norm_coefficient", 0.0f);
  h.decay_factor = info.GetFloat("decay_factor", 0.0f);
  h.epsilon = info.GetFloat("epsilon", 1e-6f);
  KILN_RETURN_IF_ERROR(info.status());
  return std::unique_ptr<Kernel>(new OptimizerKernel(Algo::kAdagrad, h));
}

StatusOr<std::unique_ptr<Kernel>> AdamFactory(const KernelInfo& info) {
  Hyper h;
  h.norm_coefficient = info.GetFloat("norm_coefficient", 0.0f);
  h.norm_coefficient_post = info.GetFloat("norm_coefficient_post", 0.0f);
  h.epsilon = info.GetFloat("epsilon", 1e-6f);
  h.alpha = info.GetFloat("alpha", 0.9f);
  h.beta = info.GetFloat("beta", 0.999f);
  KILN_RETURN_IF_ERROR(info.status());
  return std::unique_ptr<Kernel>(new OptimizerKernel(Algo::kAdam, h));
}

StatusOr<std::unique_ptr<Kernel>> MomentumFactory(const KernelInfo& info) {
  // The schema gives these four attributes no defaults: each is required.
  for (const char* name : {"alpha", "beta", "norm_coefficient", "mode"}) {
    if (!info.HasAttr(name)) {
      return info.InvalidModel(std::string("required attribute '") + name + "' is missing");
    }
  }
  Hyper h;
  h.alpha = info.GetFloat("alpha", 0.0f);
  h.beta = info.GetFloat("beta", 0.0f);
  h.norm_coefficient = info.GetFloat("norm_coefficient", 0.0f);
  const std::string mode = info.GetString("mode", "");
  KILN_RETURN_IF_ERROR(info.status());
  if (mode != "standard" && mode != "nesterov") {
    return info.InvalidModel("attribute 'mode' must be \"standard\" or \"nesterov\", got \"" +
                             mode + "\"");
  }
  return std::unique_ptr<Kernel>(
      new OptimizerKernel(mode == "nesterov" ? Algo::kNesterov : Algo::kMomentum, h));
}

}  // namespace

void RegisterTrainingKernels(KernelRegistry& r) {
  const std::vector<DataType> real = {DataType::kFloat, DataType::kDouble};
  r.Register(KernelDef("Adagrad", kTrainingDomain).Opsets(1).Types("T1", {0}, real),
             AdagradFactory);
  r.Register(KernelDef("Adam", kTrainingDomain).Opsets(1).Types("T1", {0}, real), AdamFactory);
  r.Register(KernelDef("Momentum", kTrainingDomain).Opsets(1).Types("T1", {0}, real),
             MomentumFactory);
}

}  // namespace kiln::cpu
