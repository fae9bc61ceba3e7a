// The CPU kernels' threads. Every multithreaded CPU kernel runs on one pool: OpenMP's (libgomp),
// the one oneDNN's OpenMP build uses, which sizes each parallel region by the calling thread's
// OpenMP setting. KernelThreads / SetKernelThreads read and set that setting for the calling
// thread only (SessionOptions::intra_op_threads is applied per run); ParallelFor splits a kernel's
// own loop over that many threads.
#pragma once

#include <cstdint>
#include <utility>

namespace kiln::cpu {

// The fewest elements of a cheap element-wise loop worth a thread of their own: about 10 us of
// work, several times what starting a parallel region costs.
inline constexpr int64_t kElementwiseGrain = 16384;

// The threads a CPU kernel called from this thread may use.
int KernelThreads();
// The cores this process may use: its CPU affinity mask, capped by its cgroup's CPU quota
// (cgroup v2 cpu.max, or v1 cpu.cfs_quota_us / cpu.cfs_period_us), rounded up; at least 1.
// Computed once. 0 when the environment sets OMP_NUM_THREADS (the user's choice stands).
int DefaultKernelThreads();
// Sets them for this thread (threads >= 1) and returns the previous count.
int SetKernelThreads(int threads);

// Calls fn(ctx, begin, end) over [0, n) in contiguous chunks, one per thread, on at most
// KernelThreads() threads and with no chunk under `grain` items; a single call on the calling
// thread when that leaves one chunk, inside another parallel region, or in builds without OpenMP
// (ThreadSanitizer's). fn must not throw.
void ParallelForRanges(int64_t n, int64_t grain, void (*fn)(void* ctx, int64_t begin, int64_t end),
                       void* ctx);

// ParallelForRanges with a callable body(begin, end).
template <typename Body>
void ParallelFor(int64_t n, int64_t grain, Body&& body) {
  using B = std::remove_reference_t<Body>;
  ParallelForRanges(
      n, grain,
      [](void* ctx, int64_t begin, int64_t end) { (*static_cast<B*>(ctx))(begin, end); },
      const_cast<void*>(static_cast<const void*>(&body)));
}

}  // namespace kiln::cpu
