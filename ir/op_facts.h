// Facts about ONNX ops that more than one layer asks (passes, placement, graph capture): kept here,
// with the op, rather than as lists in each layer.
//
// Nondeterministic ops: their outputs are random or depend on more than their inputs, so passes
// never evaluate them ahead of time or merge two of them, and a recorded device graph cannot
// replay them (it would replay the values drawn at capture).
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
