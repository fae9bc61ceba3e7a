// The entry points of libkiln_cuda.so (kernels/api/plugin.h): the only symbols it exports
// (plugin.map).
#include "kernels/api/plugin.h"

#include "kernels/cuda/register.h"

extern "C" {

__attribute__((visibility("default"))) void kiln_plugin_abi(kiln::PluginAbi* out) {
  *out = kiln::PluginAbi::Current();
}

__attribute__((visibility("default"))) void kiln_plugin_register(kiln::KernelRegistry* r,
                                                                 int with_device) {
  if (with_device != 0) {
    kiln::RegisterCudaKernels(*r);
  } else {
    kiln::RegisterCudaKernelFamilies(*r);
  }
}

}  // extern "C"
