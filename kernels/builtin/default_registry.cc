// The default registries (kernels/api/default_registry.h): the CPU kernels, linked in, and the
// device plugins, loaded on demand.
#include "kernels/api/default_registry.h"

#include "kernels/builtin/plugins.h"
#include "kernels/cpu/register.h"
#include "kernels/cpu/threads.h"

namespace kiln {

namespace {

struct Registries {
  KernelRegistry registry;
  Status plugin_status;  // the first device plugin that failed to load, and why
};

const KernelRegistry& CpuRegistry() {
  static const KernelRegistry* registry = [] {
    auto* r = new KernelRegistry();
    RegisterCpuKernels(*r);
    return r;
  }();
  return *registry;
}

const Registries& AllRegistries() {
  static const Registries* all = [] {
    auto* a = new Registries();
    RegisterCpuKernels(a->registry);
    for (Device d : {Device::kCuda}) {
      if (!PluginBuilt(d)) continue;
      Status s = RegisterPlugin(d, a->registry);
      if (!s.ok() && a->plugin_status.ok()) a->plugin_status = s;
    }
    return a;
  }();
  return *all;
}

}  // namespace

const KernelRegistry& DefaultRegistry() { return AllRegistries().registry; }

const KernelRegistry& DefaultRegistryFor(const std::vector<Device>& devices) {
  for (Device d : devices) {
    if (d != Device::kCpu) return DefaultRegistry();
  }
  return CpuRegistry();
}

Status DeviceStatus(Device device) {
  if (device == Device::kCpu) return Status::Ok();
  if (!PluginBuilt(device)) {
    return Unsupported(std::string(DeviceName(device)) + ": not compiled into this build");
  }
  const Registries& all = AllRegistries();
  const DeviceBackend* b = all.registry.Backend(device);
  if (b == nullptr) return all.plugin_status;
  return b->Available();
}

std::string DeviceDescription(Device device) {
  if (device == Device::kCpu) return "cpu";
  if (!PluginBuilt(device)) return std::string(DeviceName(device)) + " (not compiled in)";
  const DeviceBackend* b = AllRegistries().registry.Backend(device);
  return b == nullptr ? std::string(DeviceName(device)) + " (its plugin did not load)"
                      : b->Describe();
}

int CpuKernelThreads() { return cpu::KernelThreads(); }

int SetCpuKernelThreads(int threads) { return cpu::SetKernelThreads(threads); }

int DefaultCpuKernelThreads() { return cpu::DefaultKernelThreads(); }

}  // namespace kiln
