// The entry points of a device plugin: a shared library (libkiln_cuda.so) that registers its
// device and kernels into a KernelRegistry of the program that loads it (kernels/builtin/).
//
// The plugin carries its own copy of the plain-C++ layers it is built on (ir/ values, this kernel
// interface, kernels/ops/), hidden behind its two exported symbols; objects cross between the two
// copies only as the interface's classes (Kernel, KernelDef, DeviceBackend, DeviceStream,
// Storage), so both sides must be built from the same sources: PluginAbi says which, and a plugin
// whose ABI differs is refused with both descriptions.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

#include "ir/tensor.h"
#include "kernels/api/device.h"
#include "kernels/api/kernel.h"

namespace kiln {

// Bumped whenever a class of the kernel interface changes in a way sizes do not show.
constexpr int kPluginAbiVersion = 1;

struct PluginAbi {
  int version = 0;
  size_t registry = 0, kernel_def = 0, kernel_context = 0, kernel_info = 0, tensor = 0,
         any_value = 0, node = 0;

  static PluginAbi Current() {
    PluginAbi a;
    a.version = kPluginAbiVersion;
    a.registry = sizeof(KernelRegistry);
    a.kernel_def = sizeof(KernelDef);
    a.kernel_context = sizeof(KernelContext);
    a.kernel_info = sizeof(KernelInfo);
    a.tensor = sizeof(Tensor);
    a.any_value = sizeof(AnyValue);
    a.node = sizeof(Node);
    return a;
  }
  bool operator==(const PluginAbi& o) const {
    return version == o.version && registry == o.registry && kernel_def == o.kernel_def &&
           kernel_context == o.kernel_context && kernel_info == o.kernel_info &&
           tensor == o.tensor && any_value == o.any_value && node == o.node;
  }
  std::string ToString() const {
    char buf[160];
    std::snprintf(buf, sizeof buf, "abi %d (sizes %zu/%zu/%zu/%zu/%zu/%zu/%zu)", version, registry,
                  kernel_def, kernel_context, kernel_info, tensor, any_value, node);
    return buf;
  }
};

// extern "C" void kiln_plugin_abi(PluginAbi* out): the plugin's PluginAbi::Current().
constexpr char kPluginAbiSymbol[] = "kiln_plugin_abi";
using PluginAbiFn = void (*)(PluginAbi*);
// extern "C" void kiln_plugin_register(KernelRegistry* r, int with_device): registers the
// plugin's kernels into `r`, and its device backend too when with_device is nonzero (tests pair
// the kernels with a stand-in device instead).
constexpr char kPluginRegisterSymbol[] = "kiln_plugin_register";
using PluginRegisterFn = void (*)(KernelRegistry*, int);

}  // namespace kiln
