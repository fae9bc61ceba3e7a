#include "kernels/cuda/register.h"

namespace kiln {

void RegisterCudaKernels(KernelRegistry& r) {
  r.RegisterDevice(cuda::MakeCudaBackend());
  RegisterCudaKernelFamilies(r);
}

void RegisterCudaKernelFamilies(KernelRegistry& r) {
  cuda::RegisterBinaryKernels(r);
  cuda::RegisterUnaryKernels(r);
  cuda::RegisterCastKernels(r);
  cuda::RegisterMatMulKernels(r);
  cuda::RegisterConvKernels(r);
  cuda::RegisterPoolKernels(r);
  cuda::RegisterSoftmaxKernels(r);
  cuda::RegisterNormalizationKernels(r);
  cuda::RegisterReduceKernels(r);
  cuda::RegisterAttentionKernels(r);
  cuda::RegisterMovementKernels(r);
  cuda::RegisterShapeKernels(r);
}

}  // namespace kiln
