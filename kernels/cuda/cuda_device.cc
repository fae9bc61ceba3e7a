// The CUDA device: backend (availability, allocation), streams with pinned staging for copies,
// and the checked-call helpers of cuda_common.h.
#include <algorithm>
#include <cstring>
#include <mutex>

#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/register.h"

namespace kiln::cuda {

const std::vector<DataType> kCudaFloatTypes = {DataType::kFloat, DataType::kFloat16,
                                               DataType::kBFloat16};

Status CudaStatus(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return Status::Ok();
  return Status(StatusCode::kDeviceError,
                std::string(what) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")");
}

Status CublasStatus(cublasStatus_t e, const char* what) {
  if (e == CUBLAS_STATUS_SUCCESS) return Status::Ok();
  return Status(StatusCode::kDeviceError,
                std::string(what) + ": " + cublasGetStatusName(e) + " (" +
                    cublasGetStatusString(e) + ")");
}

Status CudnnStatus(cudnnStatus_t e, const char* what) {
  if (e == CUDNN_STATUS_SUCCESS) return Status::Ok();
  return Status(StatusCode::kDeviceError, std::string(what) + ": " + cudnnGetErrorString(e));
}

Status CudaStatus(cudaError_t e, const KernelContext& ctx, const char* what) {
  if (e == cudaSuccess) return Status::Ok();
  return CudaStatus(e, what).WithPrefix("node " + ctx.node().Describe());
}

Status CublasStatus(cublasStatus_t e, const KernelContext& ctx, const char* what) {
  if (e == CUBLAS_STATUS_SUCCESS) return Status::Ok();
  return CublasStatus(e, what).WithPrefix("node " + ctx.node().Describe());
}

Status CudnnStatus(cudnnStatus_t e, const KernelContext& ctx, const char* what) {
  if (e == CUDNN_STATUS_SUCCESS) return Status::Ok();
  return CudnnStatus(e, what).WithPrefix("node " + ctx.node().Describe());
}

StatusOr<std::unique_ptr<CudaStream>> CudaStream::Create(int device) {
  std::unique_ptr<CudaStream> s(new CudaStream());
  s->device_ = device;
  KILN_RETURN_IF_ERROR(CudaStatus(cudaSetDevice(device), "cudaSetDevice"));
  KILN_RETURN_IF_ERROR(
      CudaStatus(cudaStreamCreateWithFlags(&s->stream_, cudaStreamNonBlocking), "cudaStreamCreate"));
  KILN_RETURN_IF_ERROR(CudaStatus(cudaMallocHost(&s->staging_, kStagingBytes), "cudaMallocHost"));
  KILN_RETURN_IF_ERROR(CudaStatus(
      cudaEventCreateWithFlags(&s->staging_free_, cudaEventDisableTiming), "cudaEventCreate"));
  KILN_RETURN_IF_ERROR(CudaStatus(cudaEventRecord(s->staging_free_, s->stream_), "cudaEventRecord"));
  KILN_RETURN_IF_ERROR(CudaStatus(cudaMalloc(&s->lt_workspace_, kLtWorkspaceBytes), "cudaMalloc"));
  KILN_RETURN_IF_ERROR(CublasStatus(cublasCreate(&s->cublas_), "cublasCreate"));
  KILN_RETURN_IF_ERROR(CublasStatus(cublasSetStream(s->cublas_, s->stream_), "cublasSetStream"));
  // Pointer mode host: alpha and beta are host scalars. Math mode is set per call (TF32 opt-in).
  KILN_RETURN_IF_ERROR(CublasStatus(
      cublasSetWorkspace(s->cublas_, s->lt_workspace_, kLtWorkspaceBytes), "cublasSetWorkspace"));
  KILN_RETURN_IF_ERROR(CublasStatus(cublasLtCreate(&s->cublas_lt_), "cublasLtCreate"));
  KILN_RETURN_IF_ERROR(CudnnStatus(cudnnCreate(&s->cudnn_), "cudnnCreate"));
  KILN_RETURN_IF_ERROR(CudnnStatus(cudnnSetStream(s->cudnn_, s->stream_), "cudnnSetStream"));
  return s;
}

CudaStream::~CudaStream() {
  if (capturing_) {
    cudaGraph_t g = nullptr;
    if (cudaStreamEndCapture(stream_, &g) == cudaSuccess && g != nullptr) cudaGraphDestroy(g);
    cudaGetLastError();
  }
  for (void* p : capture_buffers_) cudaFreeHost(p);
  if (stream_ != nullptr) cudaStreamSynchronize(stream_);
  if (cudnn_ != nullptr) cudnnDestroy(cudnn_);
  if (cublas_lt_ != nullptr) cublasLtDestroy(cublas_lt_);
  if (cublas_ != nullptr) cublasDestroy(cublas_);
  if (lt_workspace_ != nullptr) cudaFree(lt_workspace_);
  if (staging_free_ != nullptr) cudaEventDestroy(staging_free_);
  if (staging_ != nullptr) cudaFreeHost(staging_);
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

// Host to device through the pinned staging buffer, chunk by chunk: the caller's memory is free
// again when this returns, and the copy stays asynchronous to the host unless it is larger than
// the staging buffer.
Status CudaStream::CopyToDevice(void* dst, const void* src, size_t bytes) {
  if (capturing_) {
    // The graph reads these bytes on every replay: a pinned copy of them that the graph owns.
    if (bytes == 0) return Status::Ok();
    void* pinned = nullptr;
    KILN_RETURN_IF_ERROR(CudaStatus(cudaMallocHost(&pinned, bytes), "cudaMallocHost (capture)"));
    capture_buffers_.push_back(pinned);
    std::memcpy(pinned, src, bytes);
    return CudaStatus(cudaMemcpyAsync(dst, pinned, bytes, cudaMemcpyHostToDevice, stream_),
                      "cudaMemcpyAsync (host to device, captured)");
  }
  for (size_t done = 0; done < bytes;) {
    const size_t n = std::min(kStagingBytes, bytes - done);
    KILN_RETURN_IF_ERROR(CudaStatus(cudaEventSynchronize(staging_free_), "cudaEventSynchronize"));
    std::memcpy(staging_, static_cast<const char*>(src) + done, n);
    KILN_RETURN_IF_ERROR(CudaStatus(cudaMemcpyAsync(static_cast<char*>(dst) + done, staging_, n,
                                                    cudaMemcpyHostToDevice, stream_),
                                    "cudaMemcpyAsync (host to device)"));
    KILN_RETURN_IF_ERROR(CudaStatus(cudaEventRecord(staging_free_, stream_), "cudaEventRecord"));
    done += n;
  }
  return Status::Ok();
}

Status CudaStream::CopyToHost(void* dst, const void* src, size_t bytes) {
  if (capturing_) {
    return Unsupported("a copy to the host while capturing a CUDA graph (the host cannot wait for "
                       "work that has not run)");
  }
  for (size_t done = 0; done < bytes;) {
    const size_t n = std::min(kStagingBytes, bytes - done);
    KILN_RETURN_IF_ERROR(CudaStatus(cudaMemcpyAsync(staging_, static_cast<const char*>(src) + done,
                                                    n, cudaMemcpyDeviceToHost, stream_),
                                    "cudaMemcpyAsync (device to host)"));
    KILN_RETURN_IF_ERROR(CudaStatus(cudaStreamSynchronize(stream_), "cudaStreamSynchronize"));
    std::memcpy(static_cast<char*>(dst) + done, staging_, n);
    done += n;
  }
  return Status::Ok();
}

Status CudaStream::CopyOnDevice(void* dst, const void* src, size_t bytes) {
  return CudaStatus(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_),
                    "cudaMemcpyAsync (device to device)");
}

Status CudaStream::Fill(void* dst, uint8_t value, size_t bytes) {
  return CudaStatus(cudaMemsetAsync(dst, value, bytes, stream_), "cudaMemsetAsync");
}

Status CudaStream::Synchronize() {
  if (capturing_) return Unsupported("a stream synchronization while capturing a CUDA graph");
  return CudaStatus(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
}

namespace {

// An instantiated CUDA graph and the pinned buffers its uploads read.
class CudaGraph final : public DeviceGraph {
 public:
  CudaGraph(cudaGraphExec_t exec, std::vector<void*> buffers)
      : exec_(exec), buffers_(std::move(buffers)) {}
  ~CudaGraph() override {
    if (exec_ != nullptr) cudaGraphExecDestroy(exec_);
    for (void* p : buffers_) cudaFreeHost(p);
  }
  Status Launch(DeviceStream& stream) override {
    return CudaStatus(cudaGraphLaunch(exec_, static_cast<CudaStream&>(stream).stream()),
                      "cudaGraphLaunch");
  }

 private:
  cudaGraphExec_t exec_;
  std::vector<void*> buffers_;
};

}  // namespace

Status CudaStream::BeginCapture() {
  if (capturing_) return Internal("BeginCapture while capturing");
  // Copies queued before the capture read the staging buffer: they must not be overtaken.
  KILN_RETURN_IF_ERROR(CudaStatus(cudaEventSynchronize(staging_free_), "cudaEventSynchronize"));
  KILN_RETURN_IF_ERROR(CudaStatus(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeRelaxed),
                                  "cudaStreamBeginCapture"));
  capturing_ = true;
  return Status::Ok();
}

StatusOr<std::unique_ptr<DeviceGraph>> CudaStream::EndCapture() {
  if (!capturing_) return Internal("EndCapture without BeginCapture");
  capturing_ = false;
  std::vector<void*> buffers = std::move(capture_buffers_);
  capture_buffers_.clear();
  auto free_buffers = [&buffers] {
    for (void* p : buffers) cudaFreeHost(p);
  };
  cudaGraph_t graph = nullptr;
  Status ended = CudaStatus(cudaStreamEndCapture(stream_, &graph), "cudaStreamEndCapture");
  if (!ended.ok()) {
    cudaGetLastError();
    free_buffers();
    return ended;
  }
  cudaGraphExec_t exec = nullptr;
  Status made = CudaStatus(cudaGraphInstantiate(&exec, graph, 0), "cudaGraphInstantiate");
  cudaGraphDestroy(graph);
  if (!made.ok()) {
    free_buffers();
    return made;
  }
  return std::unique_ptr<DeviceGraph>(new CudaGraph(exec, std::move(buffers)));
}

bool MakeBroadcastShape(const std::vector<std::vector<int64_t>>& inputs,
                        const std::vector<int64_t>& out, BroadcastShape* shape) {
  const int rank = static_cast<int>(out.size());
  const int n = static_cast<int>(inputs.size());
  if (n > 3) return false;
  // Per input, per output dim: the input's extent there (1 when broadcast or missing).
  std::vector<std::vector<int64_t>> ext(n, std::vector<int64_t>(rank, 1));
  for (int k = 0; k < n; ++k) {
    const int r = static_cast<int>(inputs[k].size());
    for (int d = 0; d < r; ++d) ext[k][rank - r + d] = inputs[k][d];
  }
  // Merge adjacent output dims where every input is either full on both or broadcast on both.
  std::vector<int64_t> dims;
  std::vector<std::vector<int64_t>> e(n);
  for (int d = 0; d < rank; ++d) {
    if (out[d] == 1) continue;  // size-1 dims change no index
    bool merge = !dims.empty();
    for (int k = 0; k < n && merge; ++k) {
      const bool full_now = ext[k][d] != 1;
      const bool full_prev = e[k].back() != 1;
      merge = full_now == full_prev;
    }
    if (merge) {
      dims.back() *= out[d];
      for (int k = 0; k < n; ++k) e[k].back() *= ext[k][d];
    } else {
      dims.push_back(out[d]);
      for (int k = 0; k < n; ++k) e[k].push_back(ext[k][d]);
    }
  }
  if (static_cast<int>(dims.size()) > kMaxDims) return false;
  *shape = BroadcastShape();
  shape->rank = static_cast<int>(dims.size());
  for (int d = 0; d < shape->rank; ++d) shape->out_dims[d] = dims[d];
  for (int k = 0; k < n; ++k) {
    int64_t stride = 1;
    for (int d = shape->rank - 1; d >= 0; --d) {
      shape->strides[k][d] = e[k][d] == 1 ? 0 : stride;
      stride *= e[k][d];
    }
  }
  return true;
}

namespace {

class CudaBackend final : public DeviceBackend {
 public:
  Device device() const override { return Device::kCuda; }

  Status Available() const override {
    Probe();
    return available_;
  }

  std::string Describe() const override {
    Probe();
    return description_;
  }

  size_t alignment() const override { return 256; }

  StatusOr<std::shared_ptr<Storage>> Allocate(size_t bytes) const override {
    KILN_RETURN_IF_ERROR(Available());
    void* p = nullptr;
    if (bytes > 0) {
      cudaError_t e = cudaMalloc(&p, bytes);
      if (e != cudaSuccess) {
        cudaGetLastError();  // clear the sticky-free error state of a failed allocation
        return Status(StatusCode::kOutOfMemory, "cudaMalloc of " + std::to_string(bytes) +
                                                    " bytes: " + cudaGetErrorString(e));
      }
    }
    return Storage::Adopt(p, bytes, Device::kCuda, [](void* q) { cudaFree(q); });
  }

  StatusOr<std::unique_ptr<DeviceStream>> CreateStream() const override {
    KILN_RETURN_IF_ERROR(Available());
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<CudaStream> s, CudaStream::Create(0));
    return std::unique_ptr<DeviceStream>(std::move(s));
  }

 private:
  // Asks the driver once whether a GPU is there.
  void Probe() const {
    std::call_once(probe_once_, [this] {
      int count = 0;
      cudaError_t e = cudaGetDeviceCount(&count);
      if (e != cudaSuccess || count == 0) {
        cudaGetLastError();
        available_ = Status(StatusCode::kUnsupported,
                            std::string("no CUDA device found (cudaGetDeviceCount: ") +
                                (e != cudaSuccess ? cudaGetErrorString(e) : "0 devices") + ")");
        description_ = "none";
        return;
      }
      cudaDeviceProp p;
      e = cudaGetDeviceProperties(&p, 0);
      if (e != cudaSuccess) {
        available_ = CudaStatus(e, "cudaGetDeviceProperties");
        description_ = "none";
        return;
      }
      int driver = 0;
      cudaDriverGetVersion(&driver);
      char buf[256];
      std::snprintf(buf, sizeof(buf), "%s (sm_%d%d, %.1f GiB, driver %d.%d)", p.name, p.major,
                    p.minor, static_cast<double>(p.totalGlobalMem) / (1 << 30), driver / 1000,
                    (driver % 1000) / 10);
      description_ = buf;
    });
  }
  mutable std::once_flag probe_once_;
  mutable Status available_;
  mutable std::string description_;
};

}  // namespace

std::shared_ptr<const DeviceBackend> MakeCudaBackend() { return std::make_shared<CudaBackend>(); }

}  // namespace kiln::cuda
