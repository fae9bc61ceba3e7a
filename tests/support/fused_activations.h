// Test support: the activations of kiln's fused ops (docs/kiln_ops.md's table), as the CPU and
// CUDA tests of FusedConv, FusedGemm and FusedMatMul run them, and the attributes naming one.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"

namespace kiln::test {

// One row of the activation table: `name` ("" is none) and its activation_params.
struct ActCase {
  std::string name;
  std::vector<float> params;
};

// Every activation, with parameters that exercise it (Clip also with min > max).
inline const std::vector<ActCase>& AllActivations() {
  static const std::vector<ActCase> cases = {
      {"", {}},
      {"Relu", {}},
      {"LeakyRelu", {0.15f}},
      {"Clip", {-0.5f, 0.75f}},
      {"Clip", {0.5f, -0.25f}},  // min > max: every element becomes max
      {"Sigmoid", {}},
      {"Tanh", {}},
      {"HardSigmoid", {0.3f, 0.4f}},
      {"HardSwish", {}},
      {"Gelu", {}},
      {"GeluTanh", {}},
  };
  return cases;
}

// `attrs` plus the `activation` and `activation_params` attributes of `a`.
inline std::vector<Attribute> WithActivation(std::vector<Attribute> attrs, const ActCase& a) {
  if (!a.name.empty()) attrs.push_back(StringAttr("activation", a.name));
  if (!a.params.empty()) attrs.push_back(FloatsAttr("activation_params", a.params));
  return attrs;
}

}  // namespace kiln::test
