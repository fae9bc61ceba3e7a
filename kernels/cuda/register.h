// The CUDA kernel families. Each family file defines its RegisterXKernels; register.cc calls them
// all: the one place that lists every CUDA op family.
#pragma once

#include <memory>

#include "kernels/api/device.h"
#include "kernels/api/kernel.h"

namespace kiln::cuda {

// The CUDA device (cuda_device.cc).
std::shared_ptr<const DeviceBackend> MakeCudaBackend();

void RegisterBinaryKernels(KernelRegistry& r);  // binary.cc: arithmetic, comparison, logical, variadic, Where, PRelu
void RegisterUnaryKernels(KernelRegistry& r);  // unary.cc: math, activations, Not, IsNaN, IsInf, Clip
void RegisterCastKernels(KernelRegistry& r);  // cast.cc: Cast, CastLike
void RegisterMatMulKernels(KernelRegistry& r);  // matmul.cc: MatMul, Gemm, kiln FusedGemm and FusedMatMul (cuBLAS / cuBLASLt)
void RegisterConvKernels(KernelRegistry& r);  // conv.cc: Conv, ConvTranspose, kiln FusedConv (cuDNN)
void RegisterPoolKernels(KernelRegistry& r);  // pool.cc: MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool
void RegisterSoftmaxKernels(KernelRegistry& r);  // softmax.cc: Softmax, LogSoftmax
void RegisterNormalizationKernels(KernelRegistry& r);  // normalization.cc: LayerNormalization, RMSNormalization, BatchNormalization
void RegisterReduceKernels(KernelRegistry& r);  // reduce.cc: ReduceSum, ReduceMean, ReduceMax, ReduceMin, ... ArgMax, ArgMin
void RegisterAttentionKernels(KernelRegistry& r);  // attention.cc: Attention (opset 23)
void RegisterMovementKernels(KernelRegistry& r);  // movement.cc: Transpose, Concat, Split, Slice, Gather, Pad, Expand, Tile, Resize
void RegisterShapeKernels(KernelRegistry& r);  // shape.cc: Reshape, Flatten, Squeeze, Unsqueeze, Identity (views); Shape, Size (host outputs)

}  // namespace kiln::cuda

namespace kiln {
// Registers the CUDA device and every CUDA kernel. The registry then holds them whether or not
// this machine has a GPU: a Session asking for cuda checks DeviceBackend::Available().
void RegisterCudaKernels(KernelRegistry& r);
// The CUDA kernels alone, without the device: tests pair them with a stand-in device to check
// placement on a machine without a GPU.
void RegisterCudaKernelFamilies(KernelRegistry& r);
}  // namespace kiln
