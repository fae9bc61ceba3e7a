// The CPU kernel families. Each family file defines its RegisterXKernels; register.cc calls them
// all. This is the one place that lists every CPU op family.
#pragma once

#include "kernels/api/kernel.h"

namespace kiln::cpu {

void RegisterBinaryKernels(KernelRegistry& r);         // binary.cc
void RegisterUnaryKernels(KernelRegistry& r);          // unary.cc
void RegisterCastKernels(KernelRegistry& r);           // cast.cc
void RegisterQuantizeKernels(KernelRegistry& r);       // quantize.cc
void RegisterMatMulKernels(KernelRegistry& r);         // matmul.cc
void RegisterConvKernels(KernelRegistry& r);           // conv.cc
void RegisterPoolKernels(KernelRegistry& r);           // pool.cc (MaxUnpool too)
void RegisterNormalizationKernels(KernelRegistry& r);  // normalization.cc
void RegisterSoftmaxKernels(KernelRegistry& r);        // softmax.cc
void RegisterReduceKernels(KernelRegistry& r);         // reduce.cc
void RegisterShapeKernels(KernelRegistry& r);          // shape.cc
void RegisterMovementKernels(KernelRegistry& r);       // movement.cc
void RegisterGatherKernels(KernelRegistry& r);         // gather.cc
void RegisterControlFlowKernels(KernelRegistry& r);    // control_flow.cc
void RegisterSequenceKernels(KernelRegistry& r);       // sequence.cc
void RegisterStringKernels(KernelRegistry& r);         // strings.cc
void RegisterResizeKernels(KernelRegistry& r);         // resize.cc: Resize, Upsample
void RegisterGridSampleKernels(KernelRegistry& r);     // grid_sample.cc
void RegisterRoiKernels(KernelRegistry& r);            // roi.cc: RoiAlign, MaxRoiPool
void RegisterCol2ImKernels(KernelRegistry& r);         // col2im.cc
void RegisterImageDecoderKernels(KernelRegistry& r);   // image_decoder.cc
void RegisterRnnKernels(KernelRegistry& r);            // rnn.cc
void RegisterLinalgKernels(KernelRegistry& r);         // linalg.cc
void RegisterSignalKernels(KernelRegistry& r);         // signal.cc
void RegisterDetectionKernels(KernelRegistry& r);      // detection.cc
void RegisterMlKernels(KernelRegistry& r);             // ml.cc (ai.onnx.ml domain)
void RegisterAttentionKernels(KernelRegistry& r);      // attention.cc
void RegisterFusedKernels(KernelRegistry& r);          // fused.cc (kiln domain)
void RegisterTrainingKernels(KernelRegistry& r);       // training.cc (ai.onnx.preview.training)
void RegisterRandomKernels(KernelRegistry& r);         // random.cc
void RegisterLinearAttentionKernels(KernelRegistry& r);  // linear_attention.cc
void RegisterMlLinearKernels(KernelRegistry& r);       // ml_linear.cc (ai.onnx.ml, tensor ops)
void RegisterMlSvmKernels(KernelRegistry& r);          // ml_svm.cc (ai.onnx.ml)
void RegisterMlTreeKernels(KernelRegistry& r);         // ml_tree.cc (ai.onnx.ml)
void RegisterMlMapKernels(KernelRegistry& r);          // ml_map.cc (ai.onnx.ml, map values)

}  // namespace kiln::cpu

namespace kiln {
// Registers every CPU kernel.
void RegisterCpuKernels(KernelRegistry& r);
}  // namespace kiln
