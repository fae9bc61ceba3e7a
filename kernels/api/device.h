// Devices other than the CPU, as the runtime sees them: memory, streams and copies.
//
// A device backend (kernels/cuda/cuda_device.cc; a host-memory stand-in in the runtime's tests)
// registers itself in the KernelRegistry next to its kernels. The runtime never includes a
// device's own headers: it allocates device memory, creates streams and copies bytes through
// these interfaces, and kernels of that device reach their native handles (cudaStream_t, cuBLAS,
// cuDNN) by casting the DeviceStream their KernelContext carries to the backend's own class.
//
// Ownership and threads: a DeviceBackend is shared by every Session of a registry and must be
// thread-safe. A DeviceStream belongs to one run at a time (the Session pools them); its methods
// are called from the thread running that run only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "ir/status.h"
#include "ir/tensor.h"

namespace kiln {

class DeviceStream;

// Device work recorded once and replayed (a CUDA graph): see DeviceStream::BeginCapture.
class DeviceGraph {
 public:
  virtual ~DeviceGraph() = default;
  // Queues the recorded work on `stream`, the stream that recorded it.
  virtual Status Launch(DeviceStream& stream) = 0;
};

// One in-order queue of device work (a CUDA stream) and the per-stream library state.
class DeviceStream {
 public:
  virtual ~DeviceStream() = default;
  // Queues a copy of `bytes` from host memory `src` to device memory `dst`. `src` may be reused
  // as soon as the call returns (the backend stages it).
  virtual Status CopyToDevice(void* dst, const void* src, size_t bytes) = 0;
  // Copies `bytes` from device memory `src` to host memory `dst`, after all work queued before it;
  // returns when the bytes are in `dst` (a host synchronization).
  virtual Status CopyToHost(void* dst, const void* src, size_t bytes) = 0;
  // Queues a device-to-device copy.
  virtual Status CopyOnDevice(void* dst, const void* src, size_t bytes) = 0;
  // Queues setting `bytes` bytes at `dst` to `value`.
  virtual Status Fill(void* dst, uint8_t value, size_t bytes) = 0;
  // Returns when all work queued so far has finished; reports an asynchronous device error.
  virtual Status Synchronize() = 0;

  // Graph capture (SessionOptions::graph_capture). Between BeginCapture and EndCapture the work
  // queued on the stream is recorded, not run; EndCapture returns it as a DeviceGraph whose
  // Launch replays it with the same addresses and parameters. While capturing, CopyToDevice
  // records a copy of the bytes `src` holds at that moment (kept by the graph), and CopyToHost
  // and Synchronize fail: the host cannot wait for work that has not run. EndCapture ends the
  // capture even when it fails. Devices without capture return Unsupported.
  virtual Status BeginCapture() { return Unsupported("this device cannot capture graphs"); }
  virtual StatusOr<std::unique_ptr<DeviceGraph>> EndCapture() {
    return Unsupported("this device cannot capture graphs");
  }
};

class DeviceBackend {
 public:
  virtual ~DeviceBackend() = default;
  virtual Device device() const = 0;
  // Ok when the device can be used in this process; otherwise why not ("no CUDA device found:
  // cudaGetDeviceCount: no CUDA-capable device is detected").
  virtual Status Available() const = 0;
  // One line naming the device: "NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB, driver 13.0)".
  virtual std::string Describe() const = 0;
  // Alignment of every allocation, and of the offsets the planner gives in this device's arena.
  virtual size_t alignment() const = 0;
  // `bytes` of uninitialized device memory, freed when the Storage goes (Storage::Adopt). Not for
  // a steady-state run: arenas come from here once per plan and run slot.
  virtual StatusOr<std::shared_ptr<Storage>> Allocate(size_t bytes) const = 0;
  virtual StatusOr<std::unique_ptr<DeviceStream>> CreateStream() const = 0;
};

// A copy of `t` (a device tensor) in new host memory; waits for the stream.
StatusOr<Tensor> CopyTensorToHost(const Tensor& t, DeviceStream& stream);
// A copy of host tensor `t` in new memory of `backend`'s device, queued on `stream`.
StatusOr<Tensor> CopyTensorToDevice(const Tensor& t, const DeviceBackend& backend,
                                    DeviceStream& stream);
// A copy of device tensor `t` in new memory of the same device, queued on `stream`.
StatusOr<Tensor> CopyTensorOnDevice(const Tensor& t, const DeviceBackend& backend,
                                    DeviceStream& stream);

}  // namespace kiln
