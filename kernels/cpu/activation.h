// The activation epilogue of kiln's fused operators (docs/kiln_ops.md): the parsed `activation` /
// `activation_params` attributes (activation_attrs.h, shared with the CUDA kernels), and
// ApplyActivation, which runs the chosen function over a float buffer in place. Only kernels/cpu
// includes this.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <unsupported/Eigen/SpecialFunctions>

#include "kernels/api/kernel.h"
#include "kernels/ops/activation_attrs.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels

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
