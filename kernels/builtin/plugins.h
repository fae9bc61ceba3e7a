// Device plugins (kernels/api/plugin.h): where they are looked for, loading, and registering
// their kernels. The default registries (default_registry.cc) use them; tests use
// RegisterPluginKernels to pair a plugin's kernels with a stand-in device.
#pragma once

#include <string>

#include "ir/status.h"
#include "kernels/api/kernel.h"

namespace kiln {

// Whether this build made a plugin for `device` (cuda: when the CUDA toolkit was found).
bool PluginBuilt(Device device);
// Registers the kernels of `device`'s plugin into `r`, with its device backend when
// `with_device`. Loads the plugin on first use (dlopen, never unloaded); the error says which
// files were tried and why each failed.
Status RegisterPlugin(Device device, KernelRegistry& r, bool with_device = true);
// As RegisterPlugin without the device: the kernels alone.
inline Status RegisterPluginKernels(Device device, KernelRegistry& r) {
  return RegisterPlugin(device, r, /*with_device=*/false);
}

}  // namespace kiln
