// The runtime's device-neutral pieces: tensor copies through a DeviceStream, and the copy kernels
// MemcpyToDevice / MemcpyToHost that placement inserts at device boundaries.
#include "kernels/api/device.h"

#include "kernels/api/kernel.h"

namespace kiln {

StatusOr<Tensor> CopyTensorToHost(const Tensor& t, DeviceStream& stream) {
  KILN_ASSIGN_OR_RETURN(Tensor host, Tensor::Create(t.dtype(), t.dims()));
  if (t.nbytes() > 0) {
    KILN_RETURN_IF_ERROR(stream.CopyToHost(host.raw_data(), t.raw_data(), t.nbytes()));
  }
  return host;
}

namespace {

StatusOr<Tensor> NewDeviceTensor(const Tensor& like, const DeviceBackend& backend) {
  if (like.dtype() == DataType::kString) {
    return Unsupported(std::string("string tensors cannot live on ") +
                       DeviceName(backend.device()));
  }
  KILN_ASSIGN_OR_RETURN(std::shared_ptr<Storage> storage, backend.Allocate(like.nbytes()));
  return Tensor::View(std::move(storage), 0, like.dtype(), like.dims());
}

}  // namespace

StatusOr<Tensor> CopyTensorToDevice(const Tensor& t, const DeviceBackend& backend,
                                    DeviceStream& stream) {
  KILN_ASSIGN_OR_RETURN(Tensor d, NewDeviceTensor(t, backend));
  if (t.nbytes() > 0) KILN_RETURN_IF_ERROR(stream.CopyToDevice(d.raw_data(), t.raw_data(), t.nbytes()));
  return d;
}

StatusOr<Tensor> CopyTensorOnDevice(const Tensor& t, const DeviceBackend& backend,
                                    DeviceStream& stream) {
  KILN_ASSIGN_OR_RETURN(Tensor d, NewDeviceTensor(t, backend));
  if (t.nbytes() > 0) KILN_RETURN_IF_ERROR(stream.CopyOnDevice(d.raw_data(), t.raw_data(), t.nbytes()));
  return d;
}

namespace {

// MemcpyToDevice(X) -> Y: X on the host, Y (planned like any output) on the kernel's device.
class MemcpyToDeviceKernel : public Kernel {
 public:
  explicit MemcpyToDeviceKernel(const KernelInfo&) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("input is not a tensor");
    if (x->device() != Device::kCpu) {
      return ctx.Error(StatusCode::kInternal, std::string("input is on ") +
                                                  DeviceName(x->device()) + ", expected cpu");
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->dims()));
    if (x->nbytes() == 0) return Status::Ok();
    Status s = ctx.stream()->CopyToDevice(y->raw_data(), x->raw_data(), x->nbytes());
    return s.ok() ? s : s.WithPrefix("node " + ctx.node().Describe());
  }
};

// MemcpyToHost(X) -> Y: X on the kernel's device, Y on the host (a host synchronization).
class MemcpyToHostKernel : public Kernel {
 public:
  explicit MemcpyToHostKernel(const KernelInfo&) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("input is not a tensor");
    if (x->device() != ctx.device()) {
      return ctx.Error(StatusCode::kInternal, std::string("input is on ") +
                                                  DeviceName(x->device()) + ", expected " +
                                                  DeviceName(ctx.device()));
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->dims()));
    if (x->nbytes() == 0) return Status::Ok();
    Status s = ctx.stream()->CopyToHost(y->raw_data(), x->raw_data(), x->nbytes());
    return s.ok() ? s : s.WithPrefix("node " + ctx.node().Describe());
  }
};

std::vector<DataType> CopyableTypes() {
  std::vector<DataType> v;
  for (DataType t : kAllTensorTypes) {
    if (t != DataType::kString) v.push_back(t);
  }
  return v;
}

}  // namespace

void RegisterCopyKernels(KernelRegistry& r, Device device) {
  r.Register(KernelDef(kMemcpyToDevice, kKilnDomain)
                 .Opsets(1)
                 .OnDevice(device)
                 .Types("T", {0}, CopyableTypes())
                 .HostInputs({0}),
             MakeKernel<MemcpyToDeviceKernel>());
  r.Register(KernelDef(kMemcpyToHost, kKilnDomain)
                 .Opsets(1)
                 .OnDevice(device)
                 .Types("T", {0}, CopyableTypes())
                 .HostOutputs({0}),
             MakeKernel<MemcpyToHostKernel>());
}

}  // namespace kiln
