// float exp, logistic and tanh written so that a loop over them vectorizes (no calls, no branches:
// selects), accurate to a few ulp: for kernels that apply them per element in hot loops (the
// recurrent cells' gates). Only kernels/cpu includes this.
#pragma once

#include <cstdint>
#include <cstring>

namespace kiln::cpu {

// e^x: Cody-Waite reduction by ln 2 and a degree-6 polynomial on [-ln2/2, ln2/2] (Cephes' expf
// coefficients), scaled by 2^n through the exponent bits. x is clamped to [-87.3, 88.3]: below, the
// result is about 1e-38 instead of a denormal or 0; above, about 2e38 instead of infinity.
inline float VecExp(float in) {
  const float x = in < -87.3f ? -87.3f : (in > 88.3f ? 88.3f : in);
  // n = round(x / ln 2) with the 1.5 * 2^23 trick (exact for |n| < 2^22, round to nearest).
  const float shifter = 12582912.0f;
  const float n = (x * 1.44269504088896341f + shifter) - shifter;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  const float r2 = p * scale;
  return in != in ? in : r2;  // NaN in, NaN out (the clamp may compile to min/max, which drop NaN)
}

// 1 / (1 + e^-x), from t = e^-|x| on both sides (no overflow, no cancellation).
inline float VecLogistic(float x) {
  const float ax = x < 0 ? -x : x;
  const float t = VecExp(-ax);
  const float inv = 1.0f / (1.0f + t);
  const float r = x >= 0 ? inv : t * inv;
  return x != x ? x : r;
}

// tanh(x): Cephes' odd polynomial for |x| < 0.625, 1 - 2 / (e^2|x| + 1) beyond, sign restored.
inline float VecTanh(float x) {
  const float ax = x < 0 ? -x : x;
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * x + x;
  const float e = VecExp(2.0f * (ax < 9.0f ? ax : 9.0f));
  float big = 1.0f - 2.0f / (e + 1.0f);
  big = ax >= 9.0f ? 1.0f : big;
  big = x < 0 ? -big : big;
  const float r = ax < 0.625f ? small : big;
  return x != x ? x : r;
}

}  // namespace kiln::cpu
