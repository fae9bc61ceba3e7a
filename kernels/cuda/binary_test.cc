// CUDA binary element-wise kernels (binary.cc) against the CPU kernels: broadcasting binary ops,
// comparisons, logical ops, Where, the variadic ops, PRelu, Pow, Mod and the legacy (opset < 7)
// broadcast attributes. The unary ops and Clip are in unary_test.cc, Cast in cast_test.cc.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cuda/cuda_test_util.h"

namespace kiln {
namespace {

using Dims = std::vector<int64_t>;
using cuda_test::ExpectCudaMatchesCpu;
using cuda_test::Random;
using cuda_test::SetElement;
using cuda_test::Values;

using cuda_test::kFloatTols;
using cuda_test::Tol;
const Tol kArithTols[] = {{DataType::kFloat, 1e-6, 1e-5},
                          {DataType::kFloat16, 1e-2, 1e-2},
                          {DataType::kBFloat16, 2e-2, 2e-2},
                          {DataType::kInt32, 0, 0},
                          {DataType::kInt64, 0, 0}};

bool IsFloatType(DataType t) {
  return t == DataType::kFloat || t == DataType::kFloat16 || t == DataType::kBFloat16 ||
         t == DataType::kDouble;
}

// Integer values in [lo, hi) of any numeric type (so that comparisons see equal elements).
Tensor Ints(DataType t, Dims dims, uint32_t seed, double lo, double hi) {
  Tensor r = Random(t, std::move(dims), seed, lo, hi);
  if (IsFloatType(t)) {
    for (int64_t i = 0; i < r.numel(); ++i) {
      SetElement(r, i, std::floor(cuda_test::ElementAsDouble(r, i)));
    }
  }
  return r;
}

// `t` with every zero replaced by `v` (divisors).
Tensor NonZero(Tensor t, double v = 3) {
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (cuda_test::ElementAsDouble(t, i) == 0) SetElement(t, i, v);
  }
  return t;
}

// Shape pairs: equal, trailing / middle / two-sided broadcast, scalars, odd and empty sizes, and
// a rank-7 alternating broadcast that stays rank 7 after merging.
const std::vector<std::pair<Dims, Dims>> kShapePairs = {
    {{2, 3, 4}, {2, 3, 4}},
    {{2, 3, 4}, {4}},
    {{2, 3, 4}, {3, 1}},
    {{2, 1, 4}, {1, 3, 1}},
    {{}, {5}},
    {{5}, {}},
    {{}, {}},
    {{1025}, {1025}},
    {{3, 1, 1, 7}, {1, 5, 6, 1}},
    {{2, 1, 3, 1, 2, 1, 2}, {1, 2, 1, 2, 1, 2, 1}},
    {{0, 3}, {3}},
    {{4, 0}, {1}},
};

TEST(CudaBinary, ArithmeticBroadcasts) {
  KILN_REQUIRE_CUDA();
  for (const char* op : {"Add", "Sub", "Mul", "Max", "Min"}) {
    for (const Tol& tol : kArithTols) {
      uint32_t seed = 1;
      for (const auto& [ad, bd] : kShapePairs) {
        SCOPED_TRACE(std::string(op) + " " + DataTypeName(tol.type) + " " + DimsToString(ad) + " " +
                     DimsToString(bd));
        const bool f = IsFloatType(tol.type);
        Tensor a = f ? Random(tol.type, ad, seed, -4, 4) : Ints(tol.type, ad, seed, -100, 100);
        Tensor b =
            f ? Random(tol.type, bd, seed + 1, -4, 4) : Ints(tol.type, bd, seed + 1, -100, 100);
        seed += 2;
        ExpectCudaMatchesCpu(op, 14, {a, b}, {}, tol.atol, tol.rtol);
      }
    }
  }
}

TEST(CudaBinary, Div) {
  KILN_REQUIRE_CUDA();
  for (const Tol& tol : kArithTols) {
    uint32_t seed = 100;
    for (const auto& [ad, bd] : kShapePairs) {
      SCOPED_TRACE(std::string(DataTypeName(tol.type)) + " " + DimsToString(ad) + " " +
                   DimsToString(bd));
      Tensor a, b;
      if (IsFloatType(tol.type)) {
        a = Random(tol.type, ad, seed++, -4, 4);
        b = Random(tol.type, bd, seed++, 0.5, 2);
      } else {
        a = Ints(tol.type, ad, seed++, -1000, 1000);
        b = NonZero(Ints(tol.type, bd, seed++, -10, 10));  // negative divisors truncate too
      }
      ExpectCudaMatchesCpu("Div", 14, {a, b}, {}, tol.atol, tol.rtol);
    }
  }
}

TEST(CudaBinary, IntegerEdgeCases) {
  KILN_REQUIRE_CUDA();
  const double kMin32 = std::numeric_limits<int32_t>::min();
  const double kMax32 = std::numeric_limits<int32_t>::max();
  // Wrap-around, INT_MIN / -1 and INT_MIN % -1, as on the CPU.
  Tensor a = Values(DataType::kInt32, {4}, {kMax32, kMin32, kMin32, 7});
  Tensor b = Values(DataType::kInt32, {4}, {1, -1, -1, -2});
  for (const char* op : {"Add", "Sub", "Mul", "Div"})
    ExpectCudaMatchesCpu(op, 14, {a, b}, {}, 0, 0);
  ExpectCudaMatchesCpu("Mod", 13, {a, b}, {}, 0, 0);
  ExpectCudaMatchesCpu("Mod", 13, {a, b}, {IntAttr("fmod", 1)}, 0, 0);
}

// Integer division and modulo by zero give 0 on the GPU (the CPU reports an error, so this
// checks the GPU result directly).
TEST(CudaBinary, IntegerDivisionByZeroIsZero) {
  KILN_REQUIRE_CUDA();
  SessionOptions gpu;
  gpu.devices = {Device::kCuda};
  gpu.strict_placement = true;
  for (DataType t : {DataType::kInt32, DataType::kInt64}) {
    Tensor a = Values(t, {4}, {7, -7, 5, 9});
    Tensor b = Values(t, {4}, {0, 2, -1, 0});
    for (const char* op : {"Div", "Mod"}) {
      auto got = RunSingleNodeWith(gpu, op, 13, {a, b}, {});
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      const Tensor& y = (*got)[0].tensor;
      ASSERT_EQ(y.numel(), 4);
      const bool div = std::string(op) == "Div";
      const std::vector<double> want =
          div ? std::vector<double>{0, -3, -5, 0} : std::vector<double>{0, 1, 0, 0};
      for (int64_t i = 0; i < 4; ++i) {
        EXPECT_EQ(cuda_test::ElementAsDouble(y, i), want[i]) << op << " element " << i;
      }
    }
  }
}

TEST(CudaBinary, Mod) {
  KILN_REQUIRE_CUDA();
  for (const Tol& tol : kArithTols) {
    for (int64_t fmod : {0, 1}) {
      uint32_t seed = 200;
      for (const auto& [ad, bd] : kShapePairs) {
        SCOPED_TRACE(std::string(DataTypeName(tol.type)) + " fmod " + std::to_string(fmod) + " " +
                     DimsToString(ad) + " " + DimsToString(bd));
        Tensor a, b;
        if (IsFloatType(tol.type)) {
          a = Random(tol.type, ad, seed++, -10, 10);
          b = NonZero(Ints(tol.type, bd, seed++, -4, 4));
        } else {
          a = Ints(tol.type, ad, seed++, -100, 100);
          b = NonZero(Ints(tol.type, bd, seed++, -7, 7));
        }
        ExpectCudaMatchesCpu("Mod", 13, {a, b}, {IntAttr("fmod", fmod)}, tol.atol, tol.rtol);
      }
    }
  }
}

TEST(CudaBinary, Pow) {
  KILN_REQUIRE_CUDA();
  for (const Tol& tol : kFloatTols) {
    uint32_t seed = 300;
    for (const auto& [ad, bd] : kShapePairs) {
      SCOPED_TRACE(std::string(DataTypeName(tol.type)) + " " + DimsToString(ad) + " " +
                   DimsToString(bd));
      Tensor base = Random(tol.type, ad, seed++, 0.5, 2);
      ExpectCudaMatchesCpu("Pow", 15, {base, Random(tol.type, bd, seed++, -2, 2)}, {}, tol.atol,
                           tol.rtol);
      // Exponents of another type: float32, int32, int64.
      ExpectCudaMatchesCpu("Pow", 15, {base, Random(DataType::kFloat, bd, seed++, -2, 2)}, {},
                           tol.atol, tol.rtol);
      for (DataType et : {DataType::kInt32, DataType::kInt64}) {
        ExpectCudaMatchesCpu("Pow", 15, {base, Ints(et, bd, seed++, -3, 4)}, {}, tol.atol,
                             tol.rtol);
      }
    }
    // Negative bases with integral exponents, and the x^2 scalar fast path.
    Tensor neg = Random(tol.type, {3, 5}, 7, -2, 2);
    ExpectCudaMatchesCpu("Pow", 15, {neg, Values(tol.type, {}, {3})}, {}, tol.atol, tol.rtol);
    ExpectCudaMatchesCpu("Pow", 15, {neg, Values(tol.type, {}, {2})}, {}, tol.atol, tol.rtol);
    ExpectCudaMatchesCpu("Pow", 15, {neg, Values(tol.type, {5}, {2, 2, 0, 1, -1})}, {}, tol.atol,
                         tol.rtol);
  }
}

TEST(CudaBinary, Comparisons) {
  KILN_REQUIRE_CUDA();
  for (const char* op : {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"}) {
    for (const Tol& tol : kArithTols) {
      uint32_t seed = 400;
      for (const auto& [ad, bd] : kShapePairs) {
        SCOPED_TRACE(std::string(op) + " " + DataTypeName(tol.type) + " " + DimsToString(ad) + " " +
                     DimsToString(bd));
        ExpectCudaMatchesCpu(op, 16,
                             {Ints(tol.type, ad, seed, -3, 3), Ints(tol.type, bd, seed + 1, -3, 3)},
                             {}, 0, 0);
        seed += 2;
      }
    }
  }
  // Equal on bool; comparisons with NaN are false; Max / Min keep a NaN first operand only.
  ExpectCudaMatchesCpu(
      "Equal", 13, {Random(DataType::kBool, {3, 4}, 1), Random(DataType::kBool, {4}, 2)}, {}, 0, 0);
  const double nan = std::nan("");
  for (const Tol& tol : kFloatTols) {
    Tensor a = Values(tol.type, {4}, {nan, 1, nan, -0.0});
    Tensor b = Values(tol.type, {4}, {nan, nan, 1, 0.0});
    for (const char* op : {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"}) {
      ExpectCudaMatchesCpu(op, 16, {a, b}, {}, 0, 0);
    }
    for (const char* op : {"Max", "Min"}) {
      ExpectCudaMatchesCpu(op, 13, {a, b}, {}, 0, 0);
      ExpectCudaMatchesCpu(op, 13, {b, a}, {}, 0, 0);
    }
  }
}

TEST(CudaBinary, Logical) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 500;
  for (const char* op : {"And", "Or", "Xor"}) {
    for (const auto& [ad, bd] : kShapePairs) {
      SCOPED_TRACE(std::string(op) + " " + DimsToString(ad) + " " + DimsToString(bd));
      ExpectCudaMatchesCpu(
          op, 7, {Random(DataType::kBool, ad, seed), Random(DataType::kBool, bd, seed + 1)}, {}, 0,
          0);
      seed += 2;
    }
  }
}

TEST(CudaBinary, Where) {
  KILN_REQUIRE_CUDA();
  const std::vector<std::vector<Dims>> shapes = {
      {{2, 3, 4}, {2, 3, 4}, {2, 3, 4}}, {{3, 1}, {4}, {}},  {{}, {2, 5}, {2, 5}},
      {{2, 1, 3, 1}, {1, 4, 1, 5}, {5}}, {{0, 2}, {2}, {1}}, {{1025}, {1}, {1025}}};
  for (DataType t :
       {DataType::kFloat, DataType::kFloat16, DataType::kBFloat16, DataType::kDouble,
        DataType::kInt32, DataType::kInt64, DataType::kInt8, DataType::kUint8, DataType::kBool}) {
    uint32_t seed = 600;
    for (const auto& s : shapes) {
      SCOPED_TRACE(std::string(DataTypeName(t)) + " " + DimsToString(s[0]) + " " +
                   DimsToString(s[1]) + " " + DimsToString(s[2]));
      const double lo = t == DataType::kUint8 ? 0 : -100, hi = 100;
      ExpectCudaMatchesCpu("Where", 16,
                           {Random(DataType::kBool, s[0], seed), Random(t, s[1], seed + 1, lo, hi),
                            Random(t, s[2], seed + 2, lo, hi)},
                           {}, 0, 0);
      seed += 3;
    }
  }
}

TEST(CudaBinary, Variadic) {
  KILN_REQUIRE_CUDA();
  // The first two inputs broadcast to less than the output: the fold writes the full shape.
  const std::vector<Dims> shapes = {{3}, {1, 3}, {2, 1, 3}, {2, 4, 1}};
  for (const char* op : {"Max", "Min", "Sum", "Mean"}) {
    const bool arith = std::string(op) == "Max" || std::string(op) == "Min";  // + int32, int64
    for (const Tol& tol : kArithTols) {
      if (!arith && !IsFloatType(tol.type)) continue;
      for (size_t n = 1; n <= shapes.size(); ++n) {
        SCOPED_TRACE(std::string(op) + " " + DataTypeName(tol.type) + " " + std::to_string(n));
        std::vector<Tensor> in;
        for (size_t k = 0; k < n; ++k) {
          in.push_back(IsFloatType(tol.type)
                           ? Random(tol.type, shapes[k], 700 + static_cast<uint32_t>(k), -3, 3)
                           : Ints(tol.type, shapes[k], 700 + static_cast<uint32_t>(k), -50, 50));
        }
        ExpectCudaMatchesCpu(op, 13, in, {}, tol.atol, tol.rtol);
      }
    }
  }
  // Empty output.
  ExpectCudaMatchesCpu(
      "Max", 13, {Random(DataType::kFloat, {0, 3}, 1), Random(DataType::kFloat, {3}, 2)}, {}, 0, 0);
}

TEST(CudaBinary, PRelu) {
  KILN_REQUIRE_CUDA();
  for (const Tol& tol : kFloatTols) {
    Tensor x = Random(tol.type, {2, 3, 4, 5}, 1, -2, 2);
    for (const Dims& sd : std::vector<Dims>{{5}, {3, 1, 1}, {4, 5}, {1}, {2, 3, 4, 5}}) {
      SCOPED_TRACE(std::string(DataTypeName(tol.type)) + " slope " + DimsToString(sd));
      ExpectCudaMatchesCpu("PRelu", 16, {x, Random(tol.type, sd, 2, -1, 1)}, {}, tol.atol,
                           tol.rtol);
    }
    // Opset 6: a 1-D slope of size C applies per channel.
    ExpectCudaMatchesCpu("PRelu", 6, {x, Random(tol.type, {3}, 3, -1, 1)}, {}, tol.atol, tol.rtol);
  }
}

TEST(CudaBinary, LegacyBroadcastAttributes) {
  KILN_REQUIRE_CUDA();
  Tensor a = Random(DataType::kFloat, {2, 3, 4, 5}, 1);
  ExpectCudaMatchesCpu("Add", 6, {a, Random(DataType::kFloat, {3, 4}, 2)},
                       {IntAttr("broadcast", 1), IntAttr("axis", 1)}, 1e-6, 1e-5);
  ExpectCudaMatchesCpu("Mul", 6, {a, Random(DataType::kFloat, {5}, 3)}, {IntAttr("broadcast", 1)},
                       1e-6, 1e-5);
  ExpectCudaMatchesCpu("Sub", 6, {a, Random(DataType::kFloat, {2, 3, 4, 5}, 4)}, {}, 1e-6, 1e-5);
  ExpectCudaMatchesCpu("Div", 6, {a, Random(DataType::kFloat, {2}, 5, 0.5, 2)},
                       {IntAttr("broadcast", 1), IntAttr("axis", 0)}, 1e-6, 1e-5);
  ExpectCudaMatchesCpu(
      "Equal", 1, {Ints(DataType::kInt32, {2, 3}, 6, -2, 2), Ints(DataType::kInt32, {3}, 7, -2, 2)},
      {IntAttr("broadcast", 1)}, 0, 0);
}

TEST(CudaBinary, ErrorsMatchTheCpu) {
  KILN_REQUIRE_CUDA();
  SessionOptions gpu;
  gpu.devices = {Device::kCuda};
  gpu.strict_placement = true;
  // Shapes that do not broadcast.
  auto r = RunSingleNodeWith(
      gpu, "Add", 14, {Random(DataType::kFloat, {2}, 1), Random(DataType::kFloat, {3}, 2)}, {});
  EXPECT_FALSE(r.ok());
  // Opset 6 without broadcast needs equal shapes.
  r = RunSingleNodeWith(
      gpu, "Add", 6, {Random(DataType::kFloat, {2, 3}, 1), Random(DataType::kFloat, {3}, 2)}, {});
  EXPECT_FALSE(r.ok());
  // A slope that does not broadcast to X.
  r = RunSingleNodeWith(gpu, "PRelu", 16,
                        {Random(DataType::kFloat, {3}, 1), Random(DataType::kFloat, {2, 3}, 2)},
                        {});
  EXPECT_FALSE(r.ok());
  // Mod's fmod must be 0 or 1.
  r = RunSingleNodeWith(gpu, "Mod", 13,
                        {Random(DataType::kFloat, {3}, 1), Random(DataType::kFloat, {3}, 2)},
                        {IntAttr("fmod", 2)});
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace kiln
