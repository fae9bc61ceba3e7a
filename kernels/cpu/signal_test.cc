#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <vector>

#include "runtime/session.h"
#include "tests/support/single_node.h"

namespace kiln {
namespace {

// Reference DFT of a real signal.
std::vector<std::complex<double>> NaiveDft(const std::vector<float>& x, int n) {
  std::vector<std::complex<double>> y(n);
  const double pi = std::acos(-1.0);
  for (int k = 0; k < n; ++k) {
    for (int t = 0; t < static_cast<int>(x.size()) && t < n; ++t) {
      y[k] += static_cast<double>(x[t]) * std::polar(1.0, -2 * pi * k * t / n);
    }
  }
  return y;
}

void ExpectSpectrum(const Tensor& t, const std::vector<std::complex<double>>& want, int count) {
  ASSERT_GE(t.numel(), 2 * count);
  for (int k = 0; k < count; ++k) {
    EXPECT_NEAR(t.data<float>()[2 * k], want[k].real(), 1e-4) << "bin " << k;
    EXPECT_NEAR(t.data<float>()[2 * k + 1], want[k].imag(), 1e-4) << "bin " << k;
  }
}

const std::vector<float> kSignal = {1, 2, -1, 0.5f, 3, -2, 0.25f};  // length 7 (direct path)

TEST(DftTest, ForwardRealNonPowerOfTwoAndPadding) {
  auto x = Tensor::FromVector(kSignal, {1, 7, 1});
  auto r = RunSingleNode("DFT", 20, {x}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{1, 7, 2}));
  ExpectSpectrum((*r)[0].tensor, NaiveDft(kSignal, 7), 7);
  // dft_length 8 zero-pads (radix-2 path); onesided keeps 5 bins.
  auto r8 = RunSingleNode("DFT", 20, {x, Tensor::Scalar<int64_t>(8)}, {IntAttr("onesided", 1)});
  ASSERT_TRUE(r8.ok()) << r8.status().ToString();
  EXPECT_EQ((*r8)[0].tensor.dims(), (std::vector<int64_t>{1, 5, 2}));
  ExpectSpectrum((*r8)[0].tensor, NaiveDft(kSignal, 8), 5);
  // dft_length 4 truncates.
  auto r4 = RunSingleNode("DFT", 20, {x, Tensor::Scalar<int32_t>(4)}, {});
  ASSERT_TRUE(r4.ok()) << r4.status().ToString();
  ExpectSpectrum((*r4)[0].tensor, NaiveDft(kSignal, 4), 4);
}

TEST(DftTest, InverseRoundTripsAndIrfft) {
  auto x = Tensor::FromVector(kSignal, {1, 7, 1});
  for (int n : {7, 8}) {
    auto fwd = RunSingleNode("DFT", 20, {x, Tensor::Scalar<int64_t>(n)}, {});
    ASSERT_TRUE(fwd.ok());
    auto inv = RunSingleNode("DFT", 20, {(*fwd)[0].tensor}, {IntAttr("inverse", 1)});
    ASSERT_TRUE(inv.ok()) << inv.status().ToString();
    const Tensor& t = (*inv)[0].tensor;
    for (int i = 0; i < n; ++i) {
      EXPECT_NEAR(t.data<float>()[2 * i], i < 7 ? kSignal[i] : 0.f, 1e-5);
      EXPECT_NEAR(t.data<float>()[2 * i + 1], 0.f, 1e-5);
    }
  }
  // One-sided forward then IRFFT with the default length 2 * (bins - 1) = 8.
  auto half = RunSingleNode("DFT", 20, {x, Tensor::Scalar<int64_t>(8)}, {IntAttr("onesided", 1)});
  ASSERT_TRUE(half.ok());
  auto back = RunSingleNode("DFT", 20, {(*half)[0].tensor},
                            {IntAttr("onesided", 1), IntAttr("inverse", 1)});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  const Tensor& t = (*back)[0].tensor;
  ASSERT_EQ(t.dims(), (std::vector<int64_t>{1, 8, 1}));
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(t.data<float>()[i], i < 7 ? kSignal[i] : 0.f, 1e-5);
}

TEST(DftTest, BluesteinLengthMatchesDirectAndRoundTrips) {
  std::vector<float> sig(100);
  for (int i = 0; i < 100; ++i) sig[i] = std::sin(0.3f * i) + 0.01f * static_cast<float>(i % 7);
  auto x = Tensor::FromVector(sig, {1, 100, 1});
  auto r = RunSingleNode("DFT", 20, {x, Tensor::Scalar<int64_t>(101)}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectSpectrum((*r)[0].tensor, NaiveDft(sig, 101), 101);
  auto inv = RunSingleNode("DFT", 20, {(*r)[0].tensor}, {IntAttr("inverse", 1)});
  ASSERT_TRUE(inv.ok()) << inv.status().ToString();
  for (int i = 0; i < 101; ++i) {
    EXPECT_NEAR((*inv)[0].tensor.data<float>()[2 * i], i < 100 ? sig[i] : 0.f, 1e-5);
  }
}

TEST(DftTest, AxisAttributeAndInput) {
  // [2, 3, 1]: transform along axis 0 (opset 17 attribute) and along axis -2 = 1 (opset 20).
  auto x = Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {2, 3, 1});
  auto r17 = RunSingleNode("DFT", 17, {x}, {IntAttr("axis", 0)});
  ASSERT_TRUE(r17.ok()) << r17.status().ToString();
  const Tensor& a = (*r17)[0].tensor;
  EXPECT_EQ(a.dims(), (std::vector<int64_t>{2, 3, 2}));
  EXPECT_NEAR(a.data<float>()[0], 5, 1e-5);   // bin 0, column 0: 1 + 4
  EXPECT_NEAR(a.data<float>()[6], -3, 1e-5);  // bin 1, column 0: 1 - 4
  auto r20 = RunSingleNode("DFT", 20, {x, Tensor(), Tensor::Scalar<int64_t>(-2)}, {});
  ASSERT_TRUE(r20.ok()) << r20.status().ToString();
  EXPECT_NEAR((*r20)[0].tensor.data<float>()[0], 6, 1e-5);
  EXPECT_NEAR((*r20)[0].tensor.data<float>()[6], 15, 1e-5);
}

TEST(DftTest, DoubleAndEmpty) {
  auto x = Tensor::FromVector<double>({1, 0, 0, 0}, {4, 1});
  auto r = RunSingleNode("DFT", 20, {x, Tensor(), Tensor::Scalar<int64_t>(0)}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (int k = 0; k < 4; ++k) EXPECT_DOUBLE_EQ((*r)[0].tensor.data<double>()[2 * k], 1.0);
  auto e = RunSingleNode("DFT", 20, {Tensor(DataType::kFloat, {0, 4, 1})}, {});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)[0].tensor.dims(), (std::vector<int64_t>{0, 4, 2}));
}

TEST(DftTest, Errors) {
  auto x = Tensor::FromVector<float>({1, 2, 3}, {1, 3, 1});
  EXPECT_FALSE(RunSingleNode("DFT", 20, {x, Tensor(), Tensor::Scalar<int64_t>(-1)}, {}).ok());
  EXPECT_FALSE(RunSingleNode("DFT", 20, {x, Tensor(), Tensor::Scalar<int64_t>(2)}, {}).ok());
  EXPECT_FALSE(RunSingleNode("DFT", 20, {x, Tensor::Scalar<int64_t>(0)}, {}).ok());
  EXPECT_FALSE(RunSingleNode("DFT", 20, {Tensor::FromVector<float>({1, 2, 3}, {1, 1, 3})}, {}).ok());
}

TEST(StftTest, FramesAndWindow) {
  std::vector<float> sig(10);
  for (int i = 0; i < 10; ++i) sig[i] = static_cast<float>(i * i % 7);
  auto x = Tensor::FromVector(sig, {1, 10, 1});
  auto window = Tensor::FromVector<float>({0.5f, 1, 1, 0.5f});
  auto r = RunSingleNode("STFT", 17, {x, Tensor::Scalar<int64_t>(3), window}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Tensor& t = (*r)[0].tensor;
  ASSERT_EQ(t.dims(), (std::vector<int64_t>{1, 3, 3, 2}));
  for (int f = 0; f < 3; ++f) {
    std::vector<float> frame(4);
    for (int i = 0; i < 4; ++i) frame[i] = sig[f * 3 + i] * window.data<float>()[i];
    auto want = NaiveDft(frame, 4);
    for (int k = 0; k < 3; ++k) {
      EXPECT_NEAR(t.data<float>()[(f * 3 + k) * 2], want[k].real(), 1e-4);
      EXPECT_NEAR(t.data<float>()[(f * 3 + k) * 2 + 1], want[k].imag(), 1e-4);
    }
  }
  // Two-sided, frame_length given, no window.
  auto r2 = RunSingleNode("STFT", 17, {x, Tensor::Scalar<int64_t>(5), Tensor(),
                                       Tensor::Scalar<int64_t>(5)},
                          {IntAttr("onesided", 0)});
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ((*r2)[0].tensor.dims(), (std::vector<int64_t>{1, 2, 5, 2}));
  // Mismatched window and frame_length; frame longer than the signal.
  EXPECT_FALSE(RunSingleNode("STFT", 17, {x, Tensor::Scalar<int64_t>(3), window,
                                          Tensor::Scalar<int64_t>(5)},
                             {})
                   .ok());
  EXPECT_FALSE(RunSingleNode("STFT", 17, {x, Tensor::Scalar<int64_t>(3), Tensor(),
                                          Tensor::Scalar<int64_t>(11)},
                             {})
                   .ok());
}

TEST(MelWeightMatrixTest, ShapeTypeAndErrors) {
  auto r = RunSingleNode("MelWeightMatrix", 17,
                         {Tensor::Scalar<int32_t>(8), Tensor::Scalar<int32_t>(16),
                          Tensor::Scalar<int32_t>(8192), Tensor::Scalar(0.f),
                          Tensor::Scalar(4096.f)},
                         {IntAttr("output_datatype", 11)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Tensor& t = (*r)[0].tensor;
  EXPECT_EQ(t.dtype(), DataType::kDouble);
  EXPECT_EQ(t.dims(), (std::vector<int64_t>{9, 8}));
  EXPECT_EQ(t.data<double>()[0], 1.0);
  // Upper edge far past Nyquist maps outside the spectrogram.
  EXPECT_FALSE(RunSingleNode("MelWeightMatrix", 17,
                             {Tensor::Scalar<int32_t>(8), Tensor::Scalar<int32_t>(16),
                              Tensor::Scalar<int32_t>(8192), Tensor::Scalar(0.f),
                              Tensor::Scalar(40000.f)},
                             {})
                   .ok());
  EXPECT_FALSE(RunSingleNode("MelWeightMatrix", 17,
                             {Tensor::Scalar<int32_t>(8), Tensor::Scalar<int32_t>(16),
                              Tensor::Scalar<int32_t>(8192), Tensor::Scalar(0.f),
                              Tensor::Scalar(4096.f)},
                             {IntAttr("output_datatype", 8)})
                   .ok());
}

// BitCast lives in cast.cc; its tests are here to keep cast_test.cc untouched.
TEST(BitCastTest, ReinterpretsBits) {
  auto x = Tensor::FromVector<float>({1.0f, -2.0f}, {2});
  auto r = RunSingleNode("BitCast", 26, {x}, {IntAttr("to", static_cast<int64_t>(DataType::kInt32))});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.data<int32_t>()[0], 0x3f800000);
  EXPECT_EQ((*r)[0].tensor.data<uint32_t>()[1], 0xc0000000u);
  auto s = RunSingleNode("BitCast", 26, {Tensor::Scalar<uint8_t>(7)},
                         {IntAttr("to", static_cast<int64_t>(DataType::kBool))});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)[0].tensor.dims().size(), 0u);
  EXPECT_TRUE((*s)[0].tensor.data<bool>()[0]);
  // Width mismatch and string target are errors.
  EXPECT_FALSE(
      RunSingleNode("BitCast", 26, {x}, {IntAttr("to", static_cast<int64_t>(DataType::kInt64))})
          .ok());
  EXPECT_FALSE(
      RunSingleNode("BitCast", 26, {x}, {IntAttr("to", static_cast<int64_t>(DataType::kString))})
          .ok());
}

}  // namespace
}  // namespace kiln
