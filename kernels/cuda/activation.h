// Host side of the CUDA activation epilogue (activation.cuh): parses kiln's fused operators'
// `activation` / `activation_params` attributes (docs/kiln_ops.md) once at kernel creation, with
// the same names, parameter counts and error messages as kernels/cpu/activation.h; and maps
// element types to FloatElem.
#pragma once

#include <string>
#include <vector>

#include "kernels/cuda/activation.cuh"
#include "runtime/kernel.h"

namespace kiln::cuda {

// Reads `activation` (string, default "") and `activation_params` (floats, default empty). An
// unknown name, a wrong number of params or a mistyped attribute is a model error naming the node.
inline StatusOr<FusedActivation> ParseCudaActivation(const KernelInfo& info) {
  struct Spec {
    const char* name;
    FusedActivationKind kind;
    const char* params;  // the params it takes, comma-separated ("" for none)
    int num_params;
  };
  static constexpr Spec kSpecs[] = {
      {"", FusedActivationKind::kNone, "", 0},
      {"Relu", FusedActivationKind::kRelu, "", 0},
      {"LeakyRelu", FusedActivationKind::kLeakyRelu, "alpha", 1},
      {"Clip", FusedActivationKind::kClip, "min, max", 2},
      {"Sigmoid", FusedActivationKind::kSigmoid, "", 0},
      {"Tanh", FusedActivationKind::kTanh, "", 0},
      {"HardSigmoid", FusedActivationKind::kHardSigmoid, "alpha, beta", 2},
      {"HardSwish", FusedActivationKind::kHardSwish, "", 0},
      {"Gelu", FusedActivationKind::kGelu, "", 0},
      {"GeluTanh", FusedActivationKind::kGeluTanh, "", 0},
  };
  const std::string name = info.GetString("activation", "");
  const std::vector<float> params = info.GetFloats("activation_params");
  if (!info.status().ok()) return info.status();
  const Spec* spec = nullptr;
  for (const Spec& s : kSpecs) {
    if (name == s.name) spec = &s;
  }
  if (spec == nullptr) {
    std::string known;
    for (const Spec& s : kSpecs) {
      if (s.name[0] == '\0') continue;
      known += known.empty() ? "" : ", ";
      known += s.name;
    }
    return info.InvalidModel("unknown activation '" + name + "' (expected one of " + known +
                             ", or empty for none)");
  }
  if (static_cast<int>(params.size()) != spec->num_params) {
    const std::string what = name.empty() ? std::string("no activation") : name;
    std::string want = std::to_string(spec->num_params);
    if (spec->num_params > 0) want += std::string(" (") + spec->params + ")";
    return info.InvalidModel("activation_params has " + std::to_string(params.size()) +
                             " values; " + what + " takes " + want);
  }
  FusedActivation act;
  act.kind = spec->kind;
  if (!params.empty()) act.alpha = params[0];
  if (params.size() > 1) act.beta = params[1];
  return act;
}

// The FloatElem of a float32 / float16 / bfloat16 tensor; false for any other type.
inline bool ToFloatElem(DataType dt, FloatElem* elem) {
  switch (dt) {
    case DataType::kFloat:
      *elem = FloatElem::kFloat;
      return true;
    case DataType::kFloat16:
      *elem = FloatElem::kHalf;
      return true;
    case DataType::kBFloat16:
      *elem = FloatElem::kBFloat16;
      return true;
    default:
      return false;
  }
}

}  // namespace kiln::cuda
