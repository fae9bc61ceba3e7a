// CUDA unary element-wise kernels (unary.cc) against the CPU kernels: math and activation ops on
// every registered type, Not, IsNaN / IsInf, Clip (attributes and host inputs).
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
using cuda_test::Values;

using cuda_test::kFloatTols;
using cuda_test::Tol;

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

}  // namespace
}  // namespace kiln
