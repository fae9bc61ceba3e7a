#include "ir/float8.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace kiln {
namespace {

const float kInf = std::numeric_limits<float>::infinity();
const float kNan = std::numeric_limits<float>::quiet_NaN();

// Every finite code decodes and re-encodes to itself.
template <typename T, typename Enc>
void CheckRoundTrip(Enc enc) {
  for (int c = 0; c < 256; ++c) {
    T v{static_cast<uint8_t>(c)};
    float f = ToFloat(v);
    if (std::isnan(f) || std::isinf(f)) continue;
    EXPECT_EQ(enc(f).bits, c) << "code " << c << " value " << f;
    EXPECT_EQ(enc(static_cast<double>(f)).bits, c) << "code " << c;
  }
}

TEST(Float8Test, RoundTripAllCodes) {
  CheckRoundTrip<Float8E4M3FN>([](auto f) { return ToFloat8E4M3FN(f); });
  CheckRoundTrip<Float8E4M3FNUZ>([](auto f) { return ToFloat8E4M3FNUZ(f); });
  CheckRoundTrip<Float8E5M2>([](auto f) { return ToFloat8E5M2(f); });
  CheckRoundTrip<Float8E5M2FNUZ>([](auto f) { return ToFloat8E5M2FNUZ(f); });
  for (uint8_t c = 0; c < 16; ++c) EXPECT_EQ(ToFloat4E2M1(Float4E2M1ToFloat(c)), c);
}

TEST(Float8Test, Decode) {
  EXPECT_EQ(ToFloat(Float8E4M3FN{0x7E}), 448.0f);
  EXPECT_TRUE(std::isnan(ToFloat(Float8E4M3FN{0x7F})));
  EXPECT_TRUE(std::isnan(ToFloat(Float8E4M3FN{0xFF})));
  EXPECT_EQ(ToFloat(Float8E4M3FN{0x01}), 0.001953125f);  // smallest subnormal 2^-9
  EXPECT_EQ(ToFloat(Float8E4M3FNUZ{0x7F}), 240.0f);
  EXPECT_TRUE(std::isnan(ToFloat(Float8E4M3FNUZ{0x80})));
  EXPECT_EQ(ToFloat(Float8E5M2{0x7B}), 57344.0f);
  EXPECT_EQ(ToFloat(Float8E5M2{0x7C}), kInf);
  EXPECT_EQ(ToFloat(Float8E5M2{0xFC}), -kInf);
  EXPECT_TRUE(std::isnan(ToFloat(Float8E5M2{0x7E})));
  EXPECT_EQ(ToFloat(Float8E5M2FNUZ{0x7F}), 57344.0f);
  EXPECT_TRUE(std::isnan(ToFloat(Float8E5M2FNUZ{0x80})));
  EXPECT_EQ(ToFloat(Float8E8M0{127}), 1.0f);
  EXPECT_EQ(ToFloat(Float8E8M0{130}), 8.0f);
  EXPECT_TRUE(std::isnan(ToFloat(Float8E8M0{255})));
  EXPECT_EQ(Float4E2M1ToFloat(0x7), 6.0f);
  EXPECT_EQ(Float4E2M1ToFloat(0xF), -6.0f);
  EXPECT_EQ(Float4E2M1ToFloat(0x1), 0.5f);
}

TEST(Float8Test, SaturateAndSpecials) {
  // saturate (default)
  EXPECT_EQ(ToFloat8E4M3FN(1e6f).bits, 0x7E);
  EXPECT_EQ(ToFloat8E4M3FN(-kInf).bits, 0xFE);
  EXPECT_EQ(ToFloat8E4M3FN(kNan).bits, 0x7F);
  EXPECT_EQ(ToFloat8E4M3FN(-0.0f).bits, 0x80);
  EXPECT_EQ(ToFloat8E4M3FNUZ(-0.0f).bits, 0x00);
  EXPECT_EQ(ToFloat8E4M3FNUZ(-1e-7f).bits, 0x00);  // underflow to zero has no sign in fnuz
  EXPECT_EQ(ToFloat8E4M3FNUZ(kInf).bits, 0x7F);
  EXPECT_EQ(ToFloat8E5M2(kInf).bits, 0x7B);
  EXPECT_EQ(ToFloat8E5M2FNUZ(-kInf).bits, 0xFF);
  // saturate = false
  EXPECT_EQ(ToFloat8E4M3FN(1e6f, false).bits, 0x7F);
  EXPECT_EQ(ToFloat8E4M3FN(-kInf, false).bits, 0xFF);
  EXPECT_EQ(ToFloat8E4M3FNUZ(kInf, false).bits, 0x80);
  EXPECT_EQ(ToFloat8E5M2(-1e6f, false).bits, 0xFC);
  EXPECT_EQ(ToFloat8E5M2(kNan, false).bits, 0x7E);
  EXPECT_EQ(ToFloat8E5M2FNUZ(kInf, false).bits, 0x80);
  // round to nearest even: 0.4789 -> 0.46875 (e4m3fn), 464 (between 448 and 480) -> 448
  EXPECT_EQ(ToFloat8E4M3FN(0.47892547f).bits, 0x2F);
  EXPECT_EQ(ToFloat8E4M3FN(464.0f).bits, 0x7E);
  EXPECT_EQ(ToFloat8E5M2(0.47892547f).bits, 0x38);
  // float4e2m1: ties to even, saturation, NaN -> 0x8
  EXPECT_EQ(ToFloat4E2M1(0.25f), 0x0);
  EXPECT_EQ(ToFloat4E2M1(-3.5f), 0xE);
  EXPECT_EQ(ToFloat4E2M1(9.0f), 0x7);
  EXPECT_EQ(ToFloat4E2M1(-kInf), 0xF);
  EXPECT_EQ(ToFloat4E2M1(kNan), 0x8);
  // exact double -> float16 / bfloat16
  EXPECT_EQ(DoubleToFloat16(1.0).bits, 0x3C00);
  EXPECT_EQ(DoubleToFloat16(1e6).bits, 0x7C00);
  EXPECT_EQ(DoubleToFloat16(-65504.0).bits, 0xFBFF);
  EXPECT_EQ(DoubleToFloat16(5.960464477539063e-08).bits, 0x0001);
  EXPECT_EQ(DoubleToBFloat16(1.0).bits, 0x3F80);
}

TEST(Float8Test, E8M0Rounding) {
  EXPECT_EQ(ToFloat8E8M0(1.0f).bits, 127);
  EXPECT_EQ(ToFloat8E8M0(1.1f).bits, 128);  // up
  EXPECT_EQ(ToFloat8E8M0(1.1f, true, E8M0Rounding::kDown).bits, 127);
  EXPECT_EQ(ToFloat8E8M0(1.4f, true, E8M0Rounding::kNearest).bits, 127);
  EXPECT_EQ(ToFloat8E8M0(1.6f, true, E8M0Rounding::kNearest).bits, 128);
  EXPECT_EQ(ToFloat8E8M0(0.0f).bits, 0);
  EXPECT_EQ(ToFloat8E8M0(kNan).bits, 255);
  EXPECT_EQ(ToFloat8E8M0(kInf).bits, 255);
  EXPECT_EQ(ToFloat8E8M0(3e38f).bits, 254);         // saturate: stays at the largest exponent
  EXPECT_EQ(ToFloat8E8M0(3e38f, false).bits, 255);  // no saturate: rounds up into NaN
}

TEST(Float8Test, Packing) {
  uint8_t buf[2] = {0, 0};
  SetNibble(buf, 0, 0x7);
  SetNibble(buf, 1, 0x8);
  SetNibble(buf, 2, 0xF);
  EXPECT_EQ(buf[0], 0x87);
  EXPECT_EQ(buf[1], 0x0F);
  EXPECT_EQ(GetNibble(buf, 1), 0x8);
  EXPECT_EQ(SignExtend4(0x8), -8);
  EXPECT_EQ(SignExtend4(0x7), 7);
  EXPECT_EQ(SignExtend2(0x2), -2);
  EXPECT_EQ(SignExtend2(0x1), 1);

  const int8_t vals[5] = {1, -2, -1, 0, 1};
  uint8_t packed[2] = {0xFF, 0xFF};
  PackInts(DataType::kInt2, vals, 5, packed, 0);
  EXPECT_EQ(packed[0], 0x39);
  int8_t back[5];
  UnpackInts(DataType::kInt2, packed, 0, 5, back);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(back[i], vals[i]);
  UnpackInts(DataType::kUint2, packed, 1, 2, back);
  EXPECT_EQ(back[0], 2);
  EXPECT_EQ(back[1], 3);
}

}  // namespace
}  // namespace kiln
