// CUDA unary element-wise kernels (unary.cc) against the CPU kernels: math and activation ops on
// every registered type, Not, IsNaN / IsInf, Clip (attributes and host inputs), Cast and CastLike.
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

using cuda_test::kFloatTols;
using cuda_test::Tol;

Tensor Values(DataType type, Dims dims, const std::vector<double>& v) {
  Tensor t(type, std::move(dims));
  for (int64_t i = 0; i < t.numel(); ++i) cuda_test::SetElement(t, i, v[i]);
  return t;
}

const std::vector<Dims> kShapes = {{2, 3, 4}, {1025}, {}, {0, 5}};

struct UnaryCase {
  const char* op;
  int opset;
  double lo, hi;  // input range
  std::vector<Attribute> attrs;
};

TEST(CudaUnary, FloatOps) {
  KILN_REQUIRE_CUDA();
  const std::vector<UnaryCase> cases = {
      {"Abs", 13, -3, 3, {}},
      {"Neg", 13, -3, 3, {}},
      {"Sign", 13, -3, 3, {}},
      {"Relu", 14, -3, 3, {}},
      {"Reciprocal", 13, 0.25, 4, {}},
      {"Sqrt", 13, 0, 4, {}},
      {"Exp", 13, -5, 5, {}},
      {"Log", 13, 0.01, 10, {}},
      {"Ceil", 13, -3, 3, {}},
      {"Floor", 13, -3, 3, {}},
      {"Round", 11, -5, 5, {}},
      {"Sigmoid", 13, -10, 10, {}},
      {"Tanh", 13, -4, 4, {}},
      {"Erf", 13, -3, 3, {}},
      {"Sin", 7, -4, 4, {}},
      {"Cos", 7, -4, 4, {}},
      {"Tan", 7, -1.2, 1.2, {}},
      {"Asin", 7, -0.99, 0.99, {}},
      {"Acos", 7, -0.99, 0.99, {}},
      {"Atan", 7, -4, 4, {}},
      {"Sinh", 9, -3, 3, {}},
      {"Cosh", 9, -3, 3, {}},
      {"Asinh", 9, -4, 4, {}},
      {"Acosh", 9, 1, 5, {}},
      {"Atanh", 9, -0.95, 0.95, {}},
      {"LeakyRelu", 16, -3, 3, {}},
      {"LeakyRelu", 16, -3, 3, {FloatAttr("alpha", 0.3f)}},
      {"Elu", 6, -3, 3, {}},
      {"Elu", 6, -3, 3, {FloatAttr("alpha", 0.5f)}},
      {"Selu", 6, -3, 3, {}},
      {"Selu", 6, -3, 3, {FloatAttr("alpha", 1.5f), FloatAttr("gamma", 2.0f)}},
      {"Celu", 12, -3, 3, {}},
      {"Celu", 12, -3, 3, {FloatAttr("alpha", 0.7f)}},
      {"HardSigmoid", 6, -5, 5, {}},
      {"HardSigmoid", 6, -5, 5, {FloatAttr("alpha", 0.3f), FloatAttr("beta", 0.4f)}},
      {"HardSwish", 14, -5, 5, {}},
      {"Softplus", 1, -20, 20, {}},
      {"Softsign", 1, -5, 5, {}},
      {"ThresholdedRelu", 10, -3, 3, {}},
      {"ThresholdedRelu", 10, -3, 3, {FloatAttr("alpha", 0.5f)}},
      {"Gelu", 20, -4, 4, {}},
      {"Gelu", 20, -4, 4, {StringAttr("approximate", "tanh")}},
      {"Mish", 18, -5, 5, {}},
      {"Swish", 24, -5, 5, {}},
      {"Swish", 24, -5, 5, {FloatAttr("alpha", 1.7f)}},
  };
  for (const UnaryCase& c : cases) {
    for (const Tol& tol : kFloatTols) {
      uint32_t seed = 1;
      for (const Dims& dims : kShapes) {
        SCOPED_TRACE(std::string(c.op) + " " + DataTypeName(tol.type) + " " + DimsToString(dims) +
                     " attrs " + std::to_string(c.attrs.size()));
        ExpectCudaMatchesCpu(c.op, c.opset, {Random(tol.type, dims, seed++, c.lo, c.hi)}, c.attrs,
                             tol.atol, tol.rtol);
      }
    }
  }
}

TEST(CudaUnary, IntegerOps) {
  KILN_REQUIRE_CUDA();
  for (DataType t : {DataType::kInt32, DataType::kInt64}) {
    const double lowest = t == DataType::kInt32
                              ? static_cast<double>(std::numeric_limits<int32_t>::min())
                              : -9223372036854775808.0;
    Tensor edge = Values(t, {5}, {lowest, -1, 0, 1, 12345});
    for (const char* op : {"Abs", "Neg", "Sign", "Relu"}) {
      SCOPED_TRACE(std::string(op) + " " + DataTypeName(t));
      ExpectCudaMatchesCpu(op, 14, {Random(t, {2, 3, 7}, 3, -100, 100)}, {}, 0, 0);
      ExpectCudaMatchesCpu(op, 14, {edge}, {}, 0, 0);  // Abs / Neg of INT_MIN wrap
    }
  }
}

TEST(CudaUnary, SpecialValues) {
  KILN_REQUIRE_CUDA();
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::nan("");
  // Round is half to even; NaN, infinities and signed zeros pass through the other ops.
  for (const Tol& tol : kFloatTols) {
    Tensor halves =
        Values(tol.type, {12}, {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.25, 1.75, 3.0, -0.0, inf, nan});
    ExpectCudaMatchesCpu("Round", 11, {halves}, {}, 0, 0);
    Tensor special = Values(tol.type, {6}, {nan, inf, -inf, -0.0, 0.0, -1.0});
    // (Ops the CPU computes with Eigen's vectorised functions are left out: their NaN handling is
    // Eigen's, not the function's.)
    for (const char* op : {"Relu", "Abs", "Neg", "Sign", "Softplus", "HardSwish", "LeakyRelu"}) {
      SCOPED_TRACE(std::string(op) + " " + DataTypeName(tol.type));
      ExpectCudaMatchesCpu(op, 14, {special}, {}, tol.atol, tol.rtol);
    }
  }
}

TEST(CudaUnary, NotIsNaNIsInf) {
  KILN_REQUIRE_CUDA();
  ExpectCudaMatchesCpu("Not", 1, {Random(DataType::kBool, {3, 5, 7}, 1)}, {}, 0, 0);
  ExpectCudaMatchesCpu("Not", 1, {Random(DataType::kBool, {0}, 1)}, {}, 0, 0);
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::nan("");
  for (const Tol& tol : kFloatTols) {
    Tensor x = Values(tol.type, {2, 4}, {nan, inf, -inf, 0, -1, 65000, -nan, 1e-3});
    ExpectCudaMatchesCpu("IsNaN", 13, {x}, {}, 0, 0);
    for (int pos : {0, 1}) {
      for (int neg : {0, 1}) {
        ExpectCudaMatchesCpu("IsInf", 10, {x},
                             {IntAttr("detect_positive", pos), IntAttr("detect_negative", neg)}, 0,
                             0);
      }
    }
  }
}

TEST(CudaUnary, Clip) {
  KILN_REQUIRE_CUDA();
  for (const Tol& tol : kFloatTols) {
    SCOPED_TRACE(DataTypeName(tol.type));
    Tensor x = Random(tol.type, {3, 5, 7}, 1, -3, 3);
    // Opset 6: attributes (absent: no bound).
    ExpectCudaMatchesCpu("Clip", 6, {x}, {FloatAttr("min", -1.0f), FloatAttr("max", 0.5f)}, 0, 0);
    ExpectCudaMatchesCpu("Clip", 6, {x}, {FloatAttr("max", 0.5f)}, 0, 0);
    ExpectCudaMatchesCpu("Clip", 6, {x}, {}, 0, 0);
    // Opset 11+: optional scalar inputs.
    Tensor lo = Values(tol.type, {}, {-1.25});
    Tensor hi = Values(tol.type, {}, {0.75});
    ExpectCudaMatchesCpu("Clip", 13, {x, lo, hi}, {}, 0, 0);
    ExpectCudaMatchesCpu("Clip", 13, {x, lo}, {}, 0, 0);
    ExpectCudaMatchesCpu("Clip", 13, {x, Tensor(), hi}, {}, 0, 0);
    ExpectCudaMatchesCpu("Clip", 11, {x}, {}, 0, 0);
    ExpectCudaMatchesCpu("Clip", 13, {x, hi, lo}, {}, 0, 0);  // min > max: every element is max
    ExpectCudaMatchesCpu("Clip", 13, {Values(tol.type, {1}, {std::nan("")}), lo, hi}, {}, 0, 0);
    ExpectCudaMatchesCpu("Clip", 13, {Random(tol.type, {0, 3}, 2), lo, hi}, {}, 0, 0);
  }
  for (DataType t : {DataType::kInt32, DataType::kInt64}) {
    SCOPED_TRACE(DataTypeName(t));
    Tensor x = Random(t, {4, 9}, 3, -100, 100);
    ExpectCudaMatchesCpu("Clip", 13, {x, Values(t, {}, {-20}), Values(t, {}, {30})}, {}, 0, 0);
    ExpectCudaMatchesCpu("Clip", 13, {x, Tensor(), Values(t, {}, {5})}, {}, 0, 0);
    ExpectCudaMatchesCpu("Clip", 13, {x}, {}, 0, 0);
  }
  // A non-scalar bound is an error.
  SessionOptions gpu;
  gpu.devices = {Device::kCuda};
  gpu.strict_placement = true;
  auto r = RunSingleNodeWith(
      gpu, "Clip", 13, {Random(DataType::kFloat, {3}, 1), Values(DataType::kFloat, {2}, {0, 1})},
      {});
  EXPECT_FALSE(r.ok());
}

const std::vector<DataType> kCastTypes = {
    DataType::kFloat, DataType::kFloat16, DataType::kBFloat16, DataType::kDouble, DataType::kInt32,
    DataType::kInt64, DataType::kInt8,    DataType::kUint8,    DataType::kBool};

// Random source values for Cast: fractions and values beyond the narrow integer types for the
// float types, each integer type's own range otherwise.
Tensor CastSource(DataType t, Dims dims, uint32_t seed) {
  switch (t) {
    case DataType::kInt8:
      return Random(t, std::move(dims), seed, -128, 128);
    case DataType::kUint8:
      return Random(t, std::move(dims), seed, 0, 256);
    case DataType::kInt32:
    case DataType::kInt64:
      return Random(t, std::move(dims), seed, -100000, 100000);
    default:
      return Random(t, std::move(dims), seed, -300, 300);
  }
}

TEST(CudaUnary, CastEveryPair) {
  KILN_REQUIRE_CUDA();
  for (DataType from : kCastTypes) {
    for (DataType to : kCastTypes) {
      SCOPED_TRACE(std::string(DataTypeName(from)) + " -> " + DataTypeName(to));
      for (const Dims& dims : kShapes) {
        Tensor x = CastSource(from, dims, 11);
        ExpectCudaMatchesCpu("Cast", 19, {x}, {IntAttr("to", static_cast<int64_t>(to))}, 0, 0);
        ExpectCudaMatchesCpu("CastLike", 19, {x, Random(to, {2}, 12)}, {}, 0, 0);
      }
    }
  }
  // Older versions (no bfloat16 before 13).
  Tensor x = CastSource(DataType::kFloat, {4, 5}, 3);
  ExpectCudaMatchesCpu("Cast", 6, {x}, {IntAttr("to", static_cast<int64_t>(DataType::kInt32))}, 0,
                       0);
  ExpectCudaMatchesCpu("Cast", 13, {x}, {IntAttr("to", static_cast<int64_t>(DataType::kBFloat16))},
                       0, 0);
  ExpectCudaMatchesCpu("CastLike", 15, {x, Random(DataType::kFloat16, {1}, 1)}, {}, 0, 0);
}

TEST(CudaUnary, CastSpecialValues) {
  KILN_REQUIRE_CUDA();
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::nan("");
  // NaN, infinities and out-of-range values to integers (INT64_MIN, then wrap), fractions
  // truncate, large values to 16-bit floats overflow to inf, -0 stays -0, NaN to bool is true.
  const std::vector<double> floats = {
      nan, inf,   -inf,  3e9,   -3e9,  1e20,   -0.0, 0.5,          -0.5,          -1.7,
      2.9, 65504, 70000, 255.9, 256.5, -129.5, 1e19, 2147483648.0, -2147483649.0, 1e-30};
  for (DataType from :
       {DataType::kFloat, DataType::kDouble, DataType::kFloat16, DataType::kBFloat16}) {
    Tensor x = Values(from, {static_cast<int64_t>(floats.size())}, floats);
    for (DataType to : kCastTypes) {
      SCOPED_TRACE(std::string(DataTypeName(from)) + " -> " + DataTypeName(to));
      ExpectCudaMatchesCpu("Cast", 19, {x}, {IntAttr("to", static_cast<int64_t>(to))}, 0, 0);
    }
  }
  // Wide integers to floats round once; to narrow integers they wrap.
  Tensor big(DataType::kInt64, {6});
  const int64_t bigs[] = {(int64_t{1} << 53) + 1,
                          -(int64_t{1} << 62),
                          9223372036854775807,
                          (int64_t{1} << 31) + 5,
                          65520,
                          -65519};
  for (int i = 0; i < 6; ++i) big.data<int64_t>()[i] = bigs[i];
  for (DataType to : kCastTypes) {
    SCOPED_TRACE(std::string("int64 -> ") + DataTypeName(to));
    ExpectCudaMatchesCpu("Cast", 19, {big}, {IntAttr("to", static_cast<int64_t>(to))}, 0, 0);
  }
  Tensor i32 = Values(DataType::kInt32, {4}, {16777217, 2147483647, -2147483647, 2049});
  for (DataType to : {DataType::kFloat, DataType::kFloat16, DataType::kBFloat16}) {
    ExpectCudaMatchesCpu("Cast", 19, {i32}, {IntAttr("to", static_cast<int64_t>(to))}, 0, 0);
  }
}

}  // namespace
}  // namespace kiln
