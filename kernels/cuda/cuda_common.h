// What every CUDA kernel family file shares: the stream class behind KernelContext::stream(), the
// checked-call helpers whose errors name the node, and launch helpers. Host-side code (.cc) and
// device code (.cu) both include it; only kernels/cuda/ sees CUDA, cuBLAS and cuDNN headers.
//
// A CUDA op family is three files (DESIGN.md section 3): foo.cc (definitions, registration, host
// side of Run), foo.cuh (launcher declarations: plain pointers, sizes and a cudaStream_t) and
// foo.cu (the __global__ kernels and the launchers). A launcher queues work and returns
// cudaGetLastError(); it never synchronizes.
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ir/status.h"
#include "kernels/api/device.h"
#include "kernels/api/kernel.h"

namespace kiln::cuda {

// Element types the CUDA kernels compute in.
extern const std::vector<DataType> kCudaFloatTypes;  // float, float16, bfloat16

// One run's queue on the GPU with the library handles bound to it. Created by CudaBackend; a
// kernel reaches it as Stream(ctx).
class CudaStream final : public DeviceStream {
 public:
  static StatusOr<std::unique_ptr<CudaStream>> Create(int device);
  ~CudaStream() override;

  Status CopyToDevice(void* dst, const void* src, size_t bytes) override;
  Status CopyToHost(void* dst, const void* src, size_t bytes) override;
  Status CopyOnDevice(void* dst, const void* src, size_t bytes) override;
  Status Fill(void* dst, uint8_t value, size_t bytes) override;
  Status Synchronize() override;
  // CUDA graph capture (relaxed mode: other threads' allocations stay legal). Host-to-device
  // copies while capturing read from pinned buffers the graph keeps.
  Status BeginCapture() override;
  StatusOr<std::unique_ptr<DeviceGraph>> EndCapture() override;
  bool capturing() const { return capturing_; }

  cudaStream_t stream() const { return stream_; }
  cublasHandle_t cublas() const { return cublas_; }
  cublasLtHandle_t cublas_lt() const { return cublas_lt_; }
  cudnnHandle_t cudnn() const { return cudnn_; }
  int device() const { return device_; }
  // Workspace for cuBLASLt matmuls on this stream (bytes of device memory), fixed at creation so a
  // run allocates nothing.
  void* lt_workspace() const { return lt_workspace_; }
  size_t lt_workspace_bytes() const { return kLtWorkspaceBytes; }

 private:
  CudaStream() = default;
  static constexpr size_t kStagingBytes = size_t{8} << 20;
  static constexpr size_t kLtWorkspaceBytes = size_t{32} << 20;
  int device_ = 0;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  cublasLtHandle_t cublas_lt_ = nullptr;
  cudnnHandle_t cudnn_ = nullptr;
  void* staging_ = nullptr;               // pinned host memory for copies
  cudaEvent_t staging_free_ = nullptr;    // recorded after each copy that reads or writes it
  void* lt_workspace_ = nullptr;
  bool capturing_ = false;
  std::vector<void*> capture_buffers_;  // pinned copies of the bytes the capture uploads
};

// The stream of the run a CUDA kernel is in.
inline CudaStream& Stream(const KernelContext& ctx) {
  return *static_cast<CudaStream*>(ctx.stream());
}

// Status of a CUDA runtime / cuBLAS / cuDNN call; errors read
// "node 'conv1' (Conv, opset 11): cudnnConvolutionForward: CUDNN_STATUS_BAD_PARAM".
Status CudaStatus(cudaError_t e, const KernelContext& ctx, const char* what);
Status CublasStatus(cublasStatus_t e, const KernelContext& ctx, const char* what);
Status CudnnStatus(cudnnStatus_t e, const KernelContext& ctx, const char* what);
// The same without a node (device set-up, load time).
Status CudaStatus(cudaError_t e, const char* what);
Status CublasStatus(cublasStatus_t e, const char* what);
Status CudnnStatus(cudnnStatus_t e, const char* what);

#define KILN_CUDA_RETURN_IF_ERROR(expr)      \
  do {                                       \
    ::kiln::Status _kiln_cuda_s = (expr);    \
    if (!_kiln_cuda_s.ok()) return _kiln_cuda_s; \
  } while (0)

// Broadcast helper for element-wise kernels: up to kMaxDims dims; for each input the strides (in
// elements) of the output index space (0 on broadcast dims). Passed by value to kernels.
constexpr int kMaxDims = 8;
struct BroadcastShape {
  int rank = 0;
  int64_t out_dims[kMaxDims] = {};
  int64_t strides[3][kMaxDims] = {};  // up to 3 inputs (Where)
};
// Numpy broadcasting of `inputs` to `out` (right-aligned); false when the rank exceeds kMaxDims
// after merging dims.
bool MakeBroadcastShape(const std::vector<std::vector<int64_t>>& inputs,
                        const std::vector<int64_t>& out, BroadcastShape* shape);

}  // namespace kiln::cuda
