// CUDA Cast and CastLike (cast.cc) against the CPU kernels: every pair of registered types, older
// versions, and the special values (NaN, infinities, out-of-range, wide integers).
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

const std::vector<Dims> kShapes = {{2, 3, 4}, {1025}, {}, {0, 5}};

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

TEST(CudaCast, EveryPair) {
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

TEST(CudaCast, SpecialValues) {
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
