// OpenMP's per-thread nthreads setting and the kernels' parallel loop. This file is compiled with
// -fopenmp (not under ThreadSanitizer, where ParallelForRanges runs serially): libgomp is the
// runtime oneDNN's OpenMP build uses, so kiln's own loops and oneDNN's share one pool.
#include "kernels/cpu/threads.h"

#include <omp.h>

#include <algorithm>

namespace kiln::cpu {

int KernelThreads() { return omp_get_max_threads(); }

int SetKernelThreads(int threads) {
  const int previous = omp_get_max_threads();
  if (threads >= 1) omp_set_num_threads(threads);
  return previous;
}

void ParallelForRanges(int64_t n, int64_t grain, void (*fn)(void*, int64_t, int64_t), void* ctx) {
  if (n <= 0) return;
  const int64_t by_grain = std::max<int64_t>(1, n / std::max<int64_t>(grain, 1));
  const int chunks = static_cast<int>(std::min<int64_t>(KernelThreads(), by_grain));
#ifdef _OPENMP
  if (chunks > 1 && !omp_in_parallel()) {
#pragma omp parallel num_threads(chunks)
    {
      const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
      const int64_t begin = n * t / nt, end = n * (t + 1) / nt;
      if (begin < end) fn(ctx, begin, end);
    }
    return;
  }
#endif
  (void)chunks;
  fn(ctx, 0, n);
}

}  // namespace kiln::cpu
