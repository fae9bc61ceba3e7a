#include "passes/pipeline.h"

namespace kiln {

StatusOr<int> RunPasses(Model& model, const PassOptions& options) {
  // No passes exist yet: every level is the identity.
  return 0;
}

}  // namespace kiln
