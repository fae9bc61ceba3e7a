// Factories of the built-in passes, one per file (the file names the pattern it rewrites).
#pragma once

#include <memory>

#include "passes/pass.h"

namespace kiln {

// Level 1: basic clean-ups.
std::unique_ptr<Pass> MakeConstantFolding();
std::unique_ptr<Pass> MakeShapeFolding();
std::unique_ptr<Pass> MakeIdentityElimination();
std::unique_ptr<Pass> MakeCommonSubexpressionElimination();
std::unique_ptr<Pass> MakeDeadCodeElimination();
// Level 2: fusions that stay standard ONNX.
std::unique_ptr<Pass> MakeConvBnFusion();
std::unique_ptr<Pass> MakeMatMulAddFusion();
std::unique_ptr<Pass> MakeTransposeReshapeFolding();
std::unique_ptr<Pass> MakeGeluFusion();
std::unique_ptr<Pass> MakeLayerNormFusion();
std::unique_ptr<Pass> MakeAttentionFusion();
// Level 3: fusions into kiln's own ops.
std::unique_ptr<Pass> MakeActivationFusion();
std::unique_ptr<Pass> MakeLayoutPropagation();

}  // namespace kiln
