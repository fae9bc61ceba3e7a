#include "kernels/ops/activation_attrs.h"

#include <vector>

namespace kiln::ops {

StatusOr<Activation> ParseActivation(const KernelInfo& info) {
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

}  // namespace kiln::ops
