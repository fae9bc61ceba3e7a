// OpenMP's per-thread nthreads setting (omp.h is the compiler's; no OpenMP pragma is compiled
// here, only the runtime calls, linked from libgomp, the runtime oneDNN's OpenMP build uses).
#include "kernels/cpu/threads.h"

#include <omp.h>

namespace kiln::cpu {

int KernelThreads() { return omp_get_max_threads(); }

int SetKernelThreads(int threads) {
  const int previous = omp_get_max_threads();
  if (threads >= 1) omp_set_num_threads(threads);
  return previous;
}

}  // namespace kiln::cpu
