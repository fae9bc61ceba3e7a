// Which ops passes must never evaluate ahead of time or merge: their outputs are random or
// depend on more than their inputs.
#pragma once

#include <string>

#include "ir/graph.h"

namespace kiln {

inline bool IsNondeterministic(const Node& n) {
  static const char* kOps[] = {
      "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
      "Multinomial",  "Bernoulli",     "Dropout"};
  if (!n.domain.empty() && n.domain != "ai.onnx") return false;
  for (const char* op : kOps) {
    if (n.op_type == op) return true;
  }
  return false;
}

}  // namespace kiln
