// The CPU kernels' thread count. The multithreaded CPU kernels (oneDNN's convolutions, pooling and
// normalizations) run on oneDNN's OpenMP pool, which sizes each parallel region by the calling
// thread's OpenMP setting: these read and set that setting for the calling thread only.
#pragma once

namespace kiln::cpu {

// The threads a CPU kernel called from this thread may use.
int KernelThreads();
// Sets them for this thread (threads >= 1) and returns the previous count.
int SetKernelThreads(int threads);

}  // namespace kiln::cpu
