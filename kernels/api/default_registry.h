// The kernels a program gets when it names none (SessionOptions::registry == nullptr): the CPU's,
// linked in, and each other device's from its plugin (libkiln_cuda.so for cuda), loaded the first
// time a registry with that device is asked for. A process that only runs on the CPU maps no
// device library.
//
// Declared here, beside the kernel interface, so that the runtime asks for them without including
// a kernel library; defined by kernels/builtin/ (the kiln_kernels_builtin target, which the kiln
// library links).
#pragma once

#include <string>
#include <vector>

#include "ir/status.h"
#include "kernels/api/kernel.h"

namespace kiln {

// Every kernel this program can have: the CPU's and those of every device plugin that loads
// (`kiln ops`). Loads every plugin of the build. Built once, thread-safe.
const KernelRegistry& DefaultRegistry();
// The kernels for sessions on `devices`: the CPU's alone when every one is the CPU (no plugin is
// loaded), else DefaultRegistry().
const KernelRegistry& DefaultRegistryFor(const std::vector<Device>& devices);

// Whether `device` can run Sessions of the default registry here: Ok, or why not ("cuda: not
// compiled into this build", the plugin that failed to load and why, "no CUDA device found (...)").
Status DeviceStatus(Device device);
// One line naming the device ("cpu", or the GPU's name, compute capability and memory).
std::string DeviceDescription(Device device);

// The threads the default CPU kernels may use when called from this thread (oneDNN's OpenMP pool:
// every core, or OMP_NUM_THREADS, unless set), and setting them for this thread (threads >= 1;
// returns the previous count). SessionOptions::intra_op_threads sets them around each run.
int CpuKernelThreads();
int SetCpuKernelThreads(int threads);
// The thread count of a run whose session sets none: the cores this process may use (CPU
// affinity, capped by the cgroup's CPU quota), or 0 when OMP_NUM_THREADS is set (it stands).
int DefaultCpuKernelThreads();

}  // namespace kiln
