#include "kernels/cpu/register.h"

namespace kiln {

void RegisterCpuKernels(KernelRegistry& r) {
  cpu::RegisterBinaryKernels(r);
  cpu::RegisterUnaryKernels(r);
  cpu::RegisterCastKernels(r);
  cpu::RegisterQuantizeKernels(r);
  cpu::RegisterMatMulKernels(r);
  cpu::RegisterConvKernels(r);
  cpu::RegisterPoolKernels(r);
  cpu::RegisterNormalizationKernels(r);
  cpu::RegisterSoftmaxKernels(r);
  cpu::RegisterReduceKernels(r);
  cpu::RegisterShapeKernels(r);
  cpu::RegisterMovementKernels(r);
  cpu::RegisterGatherKernels(r);
  cpu::RegisterControlFlowKernels(r);
  cpu::RegisterSequenceKernels(r);
  cpu::RegisterStringKernels(r);
  cpu::RegisterResizeKernels(r);
  cpu::RegisterGridSampleKernels(r);
  cpu::RegisterRoiKernels(r);
  cpu::RegisterCol2ImKernels(r);
  cpu::RegisterImageDecoderKernels(r);
  cpu::RegisterRnnKernels(r);
  cpu::RegisterLinalgKernels(r);
  cpu::RegisterSignalKernels(r);
  cpu::RegisterDetectionKernels(r);
  cpu::RegisterMlKernels(r);
  cpu::RegisterAttentionKernels(r);
  cpu::RegisterFusedKernels(r);
  cpu::RegisterTrainingKernels(r);
  cpu::RegisterRandomKernels(r);
  cpu::RegisterLinearAttentionKernels(r);
  cpu::RegisterMlLinearKernels(r);
  cpu::RegisterMlSvmKernels(r);
  cpu::RegisterMlTreeKernels(r);
  cpu::RegisterMlMapKernels(r);
}

}  // namespace kiln
