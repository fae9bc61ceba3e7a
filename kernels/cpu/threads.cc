// OpenMP's per-thread nthreads setting and the kernels' parallel loop. This file is compiled with
// -fopenmp (not under ThreadSanitizer, where ParallelForRanges runs serially): libgomp is the
// runtime oneDNN's OpenMP build uses, so kiln's own loops and oneDNN's share one pool.
#include "kernels/cpu/threads.h"

#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace kiln::cpu {

int KernelThreads() { return omp_get_max_threads(); }

namespace {

// The CPU quota of this process's cgroup in cores (fractional), or 0 when there is none.
double CgroupCpuQuota() {
  // cgroup v2: "0::/path" in /proc/self/cgroup, cpu.max = "max 100000" or "200000 100000".
  std::string rel;
  {
    std::ifstream f("/proc/self/cgroup");
    std::string line;
    while (std::getline(f, line)) {
      if (line.rfind("0::", 0) == 0) rel = line.substr(3);
    }
  }
  for (const std::string& path :
       {"/sys/fs/cgroup" + rel + "/cpu.max", std::string("/sys/fs/cgroup/cpu.max")}) {
    std::ifstream f(path);
    std::string quota;
    double period = 0;
    if (f >> quota >> period) {
      if (quota == "max" || period <= 0) return 0;
      return std::atof(quota.c_str()) / period;
    }
  }
  // cgroup v1.
  std::ifstream q("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), p("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
  double quota = 0, period = 0;
  if (q >> quota && p >> period && quota > 0 && period > 0) return quota / period;
  return 0;
}

}  // namespace

int DefaultKernelThreads() {
  static const int threads = [] {
    if (std::getenv("OMP_NUM_THREADS") != nullptr) return 0;
    int n = 0;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) n = CPU_COUNT(&set);
    if (n <= 0) n = omp_get_num_procs();
    const double quota = CgroupCpuQuota();
    if (quota > 0) n = std::min(n, static_cast<int>(std::ceil(quota)));
    return std::max(n, 1);
  }();
  return threads;
}

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
