// CUDA softmax family (Softmax, LogSoftmax, Hardmax) against the CPU kernels.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_test_util.h"

namespace kiln {
namespace {

using cuda_test::ExpectCudaMatchesCpu;
using cuda_test::Random;

const DataType kTypes[] = {DataType::kFloat, DataType::kFloat16, DataType::kBFloat16};

double Atol(DataType t) {
  return t == DataType::kFloat ? 1e-6 : (t == DataType::kFloat16 ? 1e-4 : 1e-3);
}
double Rtol(DataType t) {
  return t == DataType::kFloat ? 1e-5 : (t == DataType::kFloat16 ? 1e-2 : 2e-2);
}

struct Case {
  std::vector<int64_t> dims;
  int64_t axis;
};

void CheckAll(const std::string& op, int opset, const std::vector<Case>& cases, bool exact) {
  uint32_t seed = 1;
  for (DataType t : kTypes) {
    for (const Case& c : cases) {
      SCOPED_TRACE(op + " opset " + std::to_string(opset) + " " + DataTypeName(t) + " " +
                   DimsToString(c.dims) + " axis " + std::to_string(c.axis));
      Tensor x = Random(t, c.dims, seed++, -4, 4);
      ExpectCudaMatchesCpu(op, opset, {x}, {IntAttr("axis", c.axis)}, exact ? 0 : Atol(t),
                           exact ? 0 : Rtol(t));
    }
  }
}

const std::vector<Case> kCases13 = {
    {{4, 7}, -1},       {{3, 1}, -1},      {{2, 3, 5}, 1},    {{2, 3, 5}, 0},
    {{5, 33}, 1},       {{3, 2000}, -1},   {{2, 1500, 3}, 1}, {{0, 5}, -1},
    {{2, 0, 4}, 1},     {{7}, 0},          {{64, 1024}, -1},  {{2, 4, 1025}, 2},
};

const std::vector<Case> kCases11 = {
    {{4, 7}, 1}, {{2, 3, 5}, 1}, {{2, 3, 5}, 0}, {{2, 3, 5}, 2}, {{3, 40, 30}, 1}, {{0, 3}, 1},
};

TEST(CudaSoftmaxTest, SoftmaxMatchesCpu) {
  KILN_REQUIRE_CUDA();
  CheckAll("Softmax", 13, kCases13, false);
  CheckAll("Softmax", 11, kCases11, false);
  CheckAll("Softmax", 1, {{{3, 4}, 1}}, false);
}

TEST(CudaSoftmaxTest, LogSoftmaxMatchesCpu) {
  KILN_REQUIRE_CUDA();
  CheckAll("LogSoftmax", 13, kCases13, false);
  CheckAll("LogSoftmax", 11, kCases11, false);
}

TEST(CudaSoftmaxTest, HardmaxMatchesCpu) {
  KILN_REQUIRE_CUDA();
  CheckAll("Hardmax", 13, kCases13, true);
  CheckAll("Hardmax", 11, kCases11, true);
}

TEST(CudaSoftmaxTest, DefaultAxes) {
  KILN_REQUIRE_CUDA();
  Tensor x = Random(DataType::kFloat, {2, 3, 4}, 7);
  ExpectCudaMatchesCpu("Softmax", 13, {x}, {}, 1e-6, 1e-5);  // axis -1
  ExpectCudaMatchesCpu("Softmax", 11, {x}, {}, 1e-6, 1e-5);  // axis 1, flattened
}

TEST(CudaSoftmaxTest, InfinitiesAndNaN) {
  KILN_REQUIRE_CUDA();
  // Row 0 has a -inf (weight 0), row 1 a NaN (all NaN), row 2 only -inf (NaN as on the CPU).
  Tensor x = Tensor::FromVector<float>(
      {1, -std::numeric_limits<float>::infinity(), 2, 0, std::nanf(""), 1,
       -std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
       -std::numeric_limits<float>::infinity()},
      {3, 3});
  ExpectCudaMatchesCpu("Softmax", 13, {x}, {}, 1e-6, 1e-5);
  ExpectCudaMatchesCpu("LogSoftmax", 13, {x}, {}, 1e-6, 1e-5);
  ExpectCudaMatchesCpu("Hardmax", 13, {x}, {}, 0, 0);
  ExpectCudaMatchesCpu("Softmax", 13, {x}, {IntAttr("axis", 0)}, 1e-6, 1e-5);
  ExpectCudaMatchesCpu("Hardmax", 13, {x}, {IntAttr("axis", 0)}, 0, 0);
}

TEST(CudaSoftmaxTest, HardmaxTiesPickFirst) {
  KILN_REQUIRE_CUDA();
  Tensor x = Tensor::FromVector<float>({1, 3, 3, 0, 2, 2, 2, 2}, {2, 4});
  ExpectCudaMatchesCpu("Hardmax", 13, {x}, {}, 0, 0);
  ExpectCudaMatchesCpu("Hardmax", 13, {x}, {IntAttr("axis", 0)}, 0, 0);
  Tensor big = Random(DataType::kInt32, {3, 2000}, 3, -2, 2);
  // Many ties over a long row (values -2..1 as floats): the block kernel's first maximum.
  Tensor xf(DataType::kFloat, {3, 2000});
  for (int64_t i = 0; i < xf.numel(); ++i) xf.data<float>()[i] = big.data<int32_t>()[i];
  ExpectCudaMatchesCpu("Hardmax", 13, {xf}, {}, 0, 0);
}

}  // namespace
}  // namespace kiln
