// The activation epilogue of kiln's fused operators (docs/kiln_ops.md): the `activation` and
// `activation_params` attributes parsed once at kernel creation, and ApplyActivation, which runs
// the chosen function over a float buffer in place. Only kernels/cpu includes this.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <unsupported/Eigen/SpecialFunctions>
#include <vector>

#include "runtime/kernel.h"

namespace kiln::cpu {

enum class ActivationKind {
  kNone,
  kRelu,
  kLeakyRelu,
  kClip,
  kSigmoid,
  kTanh,
  kHardSigmoid,
  kHardSwish,
  kGelu,
  kGeluTanh,
};

// A parsed activation. The meaning of alpha and beta depends on the kind: LeakyRelu (alpha),
// Clip (alpha = min, beta = max), HardSigmoid (alpha, beta); the other kinds ignore them.
struct Activation {
  ActivationKind kind = ActivationKind::kNone;
  float alpha = 0.0f;
  float beta = 0.0f;
  std::string name;  // as written on the node ("" for none)

  bool none() const { return kind == ActivationKind::kNone; }
};

// Reads `activation` (string, default "") and `activation_params` (floats, default empty). An
// unknown name, a wrong number of params or a mistyped attribute is a model error naming the node.
inline StatusOr<Activation> ParseActivation(const KernelInfo& info) {
  struct Spec {
    const char* name;
    ActivationKind kind;
    const char* params;  // the params it takes, comma-separated ("" for none)
    int num_params;
  };
  static constexpr Spec kSpecs[] = {
      {"", ActivationKind::kNone, "", 0},
      {"Relu", ActivationKind::kRelu, "", 0},
      {"LeakyRelu", ActivationKind::kLeakyRelu, "alpha", 1},
      {"Clip", ActivationKind::kClip, "min, max", 2},
      {"Sigmoid", ActivationKind::kSigmoid, "", 0},
      {"Tanh", ActivationKind::kTanh, "", 0},
      {"HardSigmoid", ActivationKind::kHardSigmoid, "alpha, beta", 2},
      {"HardSwish", ActivationKind::kHardSwish, "", 0},
      {"Gelu", ActivationKind::kGelu, "", 0},
      {"GeluTanh", ActivationKind::kGeluTanh, "", 0},
  };
  Activation act;
  act.name = info.GetString("activation", "");
  const std::vector<float> params = info.GetFloats("activation_params");
  if (!info.status().ok()) return info.status();
  const Spec* spec = nullptr;
  for (const Spec& s : kSpecs) {
    if (act.name == s.name) spec = &s;
  }
  if (spec == nullptr) {
    std::string known;
    for (const Spec& s : kSpecs) {
      if (s.name[0] == '\0') continue;
      known += known.empty() ? "" : ", ";
      known += s.name;
    }
    return info.InvalidModel("unknown activation '" + act.name + "' (expected one of " + known +
                             ", or empty for none)");
  }
  if (static_cast<int>(params.size()) != spec->num_params) {
    const std::string what = act.name.empty() ? std::string("no activation") : act.name;
    std::string want = std::to_string(spec->num_params);
    if (spec->num_params > 0) want += std::string(" (") + spec->params + ")";
    return info.InvalidModel("activation_params has " + std::to_string(params.size()) +
                             " values; " + what + " takes " + want);
  }
  act.kind = spec->kind;
  if (!params.empty()) act.alpha = params[0];
  if (params.size() > 1) act.beta = params[1];
  return act;
}

// y[i] = f(y[i]) for i in [0, n). Piecewise-linear kinds are plain loops the compiler vectorises;
// the transcendental ones use Eigen's vectorised float functions.
inline void ApplyActivation(const Activation& act, float* y, int64_t n) {
  if (n <= 0) return;
  Eigen::Map<Eigen::ArrayXf> a(y, static_cast<Eigen::Index>(n));
  switch (act.kind) {
    case ActivationKind::kNone:
      return;
    case ActivationKind::kRelu:
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] < 0.0f ? 0.0f : y[i];  // NaN stays NaN
      return;
    case ActivationKind::kLeakyRelu: {
      const float alpha = act.alpha;
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] < 0.0f ? alpha * y[i] : y[i];
      return;
    }
    case ActivationKind::kClip: {
      const float lo = act.alpha, hi = act.beta;
      // min(max(x, lo), hi): with lo > hi every element becomes hi, as in ONNX Clip.
      for (int64_t i = 0; i < n; ++i) {
        const float v = y[i] < lo ? lo : y[i];
        y[i] = v > hi ? hi : v;
      }
      return;
    }
    case ActivationKind::kSigmoid:
      a = a.logistic();
      return;
    case ActivationKind::kTanh:
      a = a.tanh();
      return;
    case ActivationKind::kHardSigmoid: {
      const float alpha = act.alpha, beta = act.beta;
      for (int64_t i = 0; i < n; ++i) {
        const float v = alpha * y[i] + beta;
        y[i] = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
      }
      return;
    }
    case ActivationKind::kHardSwish:
      for (int64_t i = 0; i < n; ++i) {
        const float v = y[i] * (1.0f / 6.0f) + 0.5f;
        y[i] *= v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
      }
      return;
    case ActivationKind::kGelu:
      a = (a * 0.5f) * ((a * 0.70710678118654752f).erf() + 1.0f);
      return;
    case ActivationKind::kGeluTanh:
      // sqrt(2 / pi) = 0.7978845608...
      a = (a * 0.5f) * (((a + a.cube() * 0.044715f) * 0.79788456080286536f).tanh() + 1.0f);
      return;
  }
}

}  // namespace kiln::cpu
