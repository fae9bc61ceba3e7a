// The machine's float32 FMA peak, for the benchmark table's share-of-peak columns (bench/cpu.py):
// register-resident fused multiply-adds, 12 independent accumulators per thread (enough to cover
// the FMA latency on every x86 core of the last decade), AVX-512 where the CPU has it, else AVX2.
//   kiln_peak_fma [THREADS...]   prints "threads N: X GFLOP/s" per thread count (default 1 2)
#include <immintrin.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

constexpr int kIters = 1 << 22;

__attribute__((target("avx2,fma"))) float Avx2Loop(float seed) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(seed + i);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int it = 0; it < kIters; ++it) {
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
  float out[8], s = 0;
  for (int i = 0; i < 12; ++i) {
    _mm256_storeu_ps(out, acc[i]);
    s += out[0];
  }
  return s;
}

__attribute__((target("avx512f"))) float Avx512Loop(float seed) {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(seed + i);
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int it = 0; it < kIters; ++it) {
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  float out[16], s = 0;
  for (int i = 0; i < 12; ++i) {  // every accumulator is read, so none of the chains is dead
    _mm512_storeu_ps(out, acc[i]);
    s += out[0];
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> counts;
  for (int i = 1; i < argc; ++i) counts.push_back(std::atoi(argv[i]));
  if (counts.empty()) counts = {1, 2};
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f");
  if (!avx512 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
    std::printf("no AVX2/FMA\n");
    return 1;
  }
  const double flops_per_thread = 2.0 * 12 * (avx512 ? 16 : 8) * kIters;
  std::printf("isa: %s\n", avx512 ? "avx512f" : "avx2+fma");
  for (int n : counts) {
    double best = 0;
    for (int rep = 0; rep < 3; ++rep) {
      std::atomic<float> sink{0};
      const auto t0 = std::chrono::steady_clock::now();
      std::vector<std::thread> ts;
      for (int t = 0; t < n; ++t) {
        ts.emplace_back([&, t] {
          const float seed = static_cast<float>(t);
          const float r = avx512 ? Avx512Loop(seed) : Avx2Loop(seed);
          sink.store(sink.load() + r);
        });
      }
      for (auto& t : ts) t.join();
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      best = std::max(best, flops_per_thread * n / s / 1e9);
    }
    std::printf("threads %d: %.1f GFLOP/s\n", n, best);
  }
  return 0;
}
