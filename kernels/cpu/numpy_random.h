// numpy's legacy random generator (numpy.random.RandomState), bit for bit: MT19937 seeded by
// init_genrand (an integer seed) or init_by_array, random_sample() doubles, the polar standard
// normal with its cached second value, and binomial(1, p). Random ops (random.cc) and Dropout's
// training mask (shape.cc) use it so that seeded outputs equal onnx's reference evaluator, which
// draws from numpy. The state is 2.5 KiB: keep one per run, on the stack.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace kiln::cpu {

// Returns v unchanged but hides it from the optimizer, so that a product feeding an addition is not
// contracted into a fused multiply-add (numpy rounds the product first).
template <typename F>
inline F NoContract(F v) {
#if defined(__GNUC__) && defined(__x86_64__)
  __asm__("" : "+x"(v));
#elif defined(__GNUC__) && defined(__aarch64__)
  __asm__("" : "+w"(v));
#else
  volatile F t = v;
  v = t;
#endif
  return v;
}

// MT19937 (Matsumoto & Nishimura) with numpy RandomState's double and Gaussian on top.
class NumpyRandomState {
 public:
  // init_genrand: numpy's seeding for an integer seed.
  void Seed(uint32_t s) {
    mt_[0] = s;
    for (int i = 1; i < kN; ++i) {
      mt_[i] = 1812433253u * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<uint32_t>(i);
    }
    pos_ = kN;
    has_gauss_ = false;
  }

  // init_by_array: seeding from several 32-bit words.
  void SeedByArray(const uint32_t* key, int len) {
    Seed(19650218u);
    int i = 1, j = 0;
    for (int k = std::max(kN, len); k > 0; --k) {
      mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525u)) + key[j] +
               static_cast<uint32_t>(j);
      if (++i >= kN) {
        mt_[0] = mt_[kN - 1];
        i = 1;
      }
      if (++j >= len) j = 0;
    }
    for (int k = kN - 1; k > 0; --k) {
      mt_[i] =
          (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941u)) - static_cast<uint32_t>(i);
      if (++i >= kN) {
        mt_[0] = mt_[kN - 1];
        i = 1;
      }
    }
    mt_[0] = 0x80000000u;
    pos_ = kN;
    has_gauss_ = false;
  }

  uint32_t NextU32() {
    if (pos_ >= kN) Regenerate();
    uint32_t y = mt_[pos_++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
  }

  // random_sample(): a double in [0, 1) with 53 random bits.
  double NextDouble() {
    const uint32_t a = NextU32() >> 5;
    const uint32_t b = NextU32() >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

  // standard_normal() of the legacy RandomState: the polar method with a cached second value.
  double NextGauss() {
    if (has_gauss_) {
      has_gauss_ = false;
      return gauss_;
    }
    double x1, x2, r2;
    do {
      x1 = 2.0 * NextDouble() - 1.0;
      x2 = 2.0 * NextDouble() - 1.0;
      r2 = NoContract(x1 * x1) + NoContract(x2 * x2);
    } while (r2 >= 1.0 || r2 == 0.0);
    const double f = std::sqrt(-2.0 * std::log(r2) / r2);
    gauss_ = f * x1;
    has_gauss_ = true;
    return f * x2;
  }

  // binomial(1, p) of the legacy RandomState (p in [0, 1]): inversion, mirrored through 1 - p
  // for p > 0.5, and with no shortcut for p == 0 (one double is drawn regardless).
  int64_t NextBernoulli(double p) {
    if (p <= 0.5) return BinomialInversion1(p);
    return 1 - BinomialInversion1(1.0 - p);
  }

 private:
  static constexpr int kN = 624;
  static constexpr int kM = 397;

  void Regenerate() {
    auto twist = [](uint32_t upper, uint32_t lower) {
      const uint32_t y = (upper & 0x80000000u) | (lower & 0x7fffffffu);
      return (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
    };
    int i = 0;
    for (; i < kN - kM; ++i) mt_[i] = mt_[i + kM] ^ twist(mt_[i], mt_[i + 1]);
    for (; i < kN - 1; ++i) mt_[i] = mt_[i + kM - kN] ^ twist(mt_[i], mt_[i + 1]);
    mt_[kN - 1] = mt_[kM - 1] ^ twist(mt_[kN - 1], mt_[0]);
    pos_ = 0;
  }

  // numpy's legacy binomial inversion for n = 1 (p <= 0.5): X counts up while U exceeds the
  // running probability mass; past the bound (min(n, np + 10 sqrt(npq + 1)) = 1) it restarts.
  int64_t BinomialInversion1(double p) {
    constexpr int64_t n = 1;
    const double q = 1.0 - p;
    const double qn = std::exp(n * std::log(q));
    constexpr int64_t bound = 1;
    int64_t x = 0;
    double px = qn;
    double u = NextDouble();
    while (u > px) {
      ++x;
      if (x > bound) {
        x = 0;
        px = qn;
        u = NextDouble();
      } else {
        u -= px;
        px = ((n - x + 1) * p * px) / (x * q);
      }
    }
    return x;
  }

  uint32_t mt_[kN];
  int pos_ = kN;
  bool has_gauss_ = false;
  double gauss_ = 0.0;
};

}  // namespace kiln::cpu
