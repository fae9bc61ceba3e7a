// Finding and loading device plugins. The plugin of device D is libkiln_D.so (libkiln_cuda.so),
// looked for, in order: the file $KILN_CUDA_PLUGIN names; beside the module holding this code (the
// kiln executable, a test binary, later a Python extension), in lib/ beside it and in ../lib from
// it (build/bin/kiln finds build/lib/, an install's bin/ finds its lib/); then the dynamic
// loader's own search path. dlopen'd RTLD_LOCAL and never closed (device runtimes do not unload
// cleanly); its kernels' code stays mapped for the life of the process.
#include "kernels/builtin/plugins.h"

#include <dlfcn.h>

#include <cctype>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "kernels/api/plugin.h"

namespace kiln {

namespace {

struct LoadedPlugin {
  Status status;  // why it could not be loaded
  PluginRegisterFn register_fn = nullptr;
};

std::string DirectoryOfThisModule() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&PluginBuilt), &info) == 0 || info.dli_fname == nullptr) {
    return "";
  }
  std::string path = info.dli_fname;
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

LoadedPlugin Load(Device device) {
  LoadedPlugin p;
  const std::string name = std::string("libkiln_") + DeviceName(device) + ".so";
  std::vector<std::string> candidates;
  std::string env_name = std::string("KILN_") + DeviceName(device) + "_PLUGIN";
  for (char& c : env_name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (const char* env = std::getenv(env_name.c_str()); env != nullptr && *env != '\0') {
    candidates.push_back(env);
  } else {
    const std::string dir = DirectoryOfThisModule();
    if (!dir.empty()) {
      candidates.push_back(dir + "/" + name);
      candidates.push_back(dir + "/lib/" + name);
      candidates.push_back(dir + "/../lib/" + name);
    }
    candidates.push_back(name);  // the dynamic loader's search path
  }
  std::string tried;
  for (const std::string& path : candidates) {
    dlerror();
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* err = dlerror();
      tried += "\n  " + path + ": " + (err != nullptr ? err : "not loadable");
      continue;
    }
    auto abi_fn = reinterpret_cast<PluginAbiFn>(dlsym(handle, kPluginAbiSymbol));
    auto register_fn = reinterpret_cast<PluginRegisterFn>(dlsym(handle, kPluginRegisterSymbol));
    if (abi_fn == nullptr || register_fn == nullptr) {
      p.status = Unsupported(std::string(DeviceName(device)) + ": " + path +
                             " is not a kiln device plugin (no " + kPluginAbiSymbol + " and " +
                             kPluginRegisterSymbol + ")");
      return p;
    }
    PluginAbi theirs;
    abi_fn(&theirs);
    const PluginAbi ours = PluginAbi::Current();
    if (!(theirs == ours)) {
      p.status = Unsupported(std::string(DeviceName(device)) + ": the plugin " + path +
                             " was built from other kiln sources (" + theirs.ToString() +
                             ", this program: " + ours.ToString() + ")");
      return p;
    }
    p.register_fn = register_fn;
    return p;
  }
  p.status = Unsupported(std::string(DeviceName(device)) + ": its plugin " + name +
                         " could not be loaded; tried:" + tried);
  return p;
}

const LoadedPlugin& PluginOf(Device device) {
  // One device has a plugin today; a table keyed by device when a second comes.
  static std::once_flag once;
  static LoadedPlugin cuda;
  std::call_once(once, [] { cuda = Load(Device::kCuda); });
  (void)device;
  return cuda;
}

}  // namespace

bool PluginBuilt(Device device) {
#if defined(KILN_WITH_CUDA)
  return device == Device::kCuda;
#else
  (void)device;
  return false;
#endif
}

Status RegisterPlugin(Device device, KernelRegistry& r, bool with_device) {
  if (!PluginBuilt(device)) {
    return Unsupported(std::string(DeviceName(device)) + ": not compiled into this build");
  }
  const LoadedPlugin& p = PluginOf(device);
  if (!p.status.ok()) return p.status;
  p.register_fn(&r, with_device ? 1 : 0);
  return Status::Ok();
}

}  // namespace kiln
