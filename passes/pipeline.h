// The pass pipeline: IR -> IR transforms run by every Session before compilation. Level 0 runs
// nothing; the optimizer issue adds the passes of levels 1-3.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/status.h"

namespace kiln {

struct PassOptions {
  int level = 0;
  std::vector<std::string> disabled;  // pass names to skip
};

// Runs the passes of `options.level` to a fixpoint; returns the total number of rewrites.
StatusOr<int> RunPasses(Model& model, const PassOptions& options);

}  // namespace kiln
