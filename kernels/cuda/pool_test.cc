// CUDA pooling (pool.cc) against the CPU kernels: MaxPool (with and without Indices, both
// storage orders, int8 / uint8), AveragePool (count_include_pad), LpPool (p = 1, 2, 3), over 1-3
// spatial dims with pads, strides, dilations, ceil_mode and auto_pad; GlobalMaxPool,
// GlobalAveragePool and GlobalLpPool. float32, float16 and bfloat16 with tolerances per type.
// Skipped where there is no GPU.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_test_util.h"
#include "runtime/session.h"

namespace kiln {
namespace {

using Dims = std::vector<int64_t>;

const std::vector<DataType> kTypes = {DataType::kFloat, DataType::kFloat16, DataType::kBFloat16};

double Atol(DataType dt) { return dt == DataType::kFloat ? 1e-5 : 1e-2; }
double Rtol(DataType dt) {
  return dt == DataType::kFloat ? 1e-5 : (dt == DataType::kFloat16 ? 1e-2 : 2e-2);
}

struct WindowCase {
  std::string label;
  Dims x;
  std::vector<Attribute> attrs;
};

std::vector<WindowCase> WindowCases() {
  return {
      {"2-D 3x3 stride 2 pads",
       {2, 3, 9, 8},
       {IntsAttr("kernel_shape", {3, 3}), IntsAttr("strides", {2, 2}),
        IntsAttr("pads", {1, 1, 1, 1})}},
      {"2-D asymmetric pads",
       {1, 2, 7, 6},
       {IntsAttr("kernel_shape", {3, 2}), IntsAttr("pads", {0, 1, 2, 0})}},
      {"2-D ceil_mode",
       {1, 3, 8, 7},
       {IntsAttr("kernel_shape", {3, 3}), IntsAttr("strides", {2, 2}), IntAttr("ceil_mode", 1)}},
      {"2-D ceil_mode with pads",
       {2, 2, 6, 6},
       {IntsAttr("kernel_shape", {2, 2}), IntsAttr("strides", {2, 2}),
        IntsAttr("pads", {1, 1, 1, 1}), IntAttr("ceil_mode", 1)}},
      {"2-D dilations",
       {1, 2, 9, 9},
       {IntsAttr("kernel_shape", {3, 3}), IntsAttr("dilations", {2, 3}),
        IntsAttr("pads", {2, 1, 1, 2})}},
      {"2-D SAME_UPPER",
       {1, 3, 7, 6},
       {IntsAttr("kernel_shape", {2, 3}), IntsAttr("strides", {2, 2}),
        StringAttr("auto_pad", "SAME_UPPER")}},
      {"2-D SAME_LOWER",
       {1, 3, 7, 6},
       {IntsAttr("kernel_shape", {2, 2}), StringAttr("auto_pad", "SAME_LOWER")}},
      {"2-D VALID",
       {1, 3, 7, 6},
       {IntsAttr("kernel_shape", {3, 3}), StringAttr("auto_pad", "VALID"),
        IntsAttr("strides", {2, 1})}},
      {"1-D",
       {2, 4, 13},
       {IntsAttr("kernel_shape", {4}), IntsAttr("strides", {3}), IntsAttr("pads", {1, 2})}},
      {"3-D",
       {1, 2, 5, 6, 4},
       {IntsAttr("kernel_shape", {2, 3, 2}), IntsAttr("strides", {1, 2, 2}),
        IntsAttr("pads", {1, 0, 1, 0, 1, 1})}},
      {"global-sized window", {2, 3, 4, 5}, {IntsAttr("kernel_shape", {4, 5})}},
      {"empty batch", {0, 3, 5, 5}, {IntsAttr("kernel_shape", {2, 2})}},
  };
}

TEST(CudaPool, MaxPool) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 1;
  for (DataType dt : kTypes) {
    for (const WindowCase& c : WindowCases()) {
      SCOPED_TRACE(c.label + " " + DataTypeName(dt));
      const Tensor x = cuda_test::Random(dt, c.x, ++seed);
      // Max is exact: the GPU picks the same element.
      cuda_test::ExpectCudaMatchesCpu("MaxPool", 12, {x}, c.attrs, 0, 0);
      cuda_test::ExpectCudaMatchesCpu("MaxPool", 12, {x}, c.attrs, 0, 0, /*num_outputs=*/2);
      std::vector<Attribute> col = c.attrs;
      col.push_back(IntAttr("storage_order", 1));
      cuda_test::ExpectCudaMatchesCpu("MaxPool", 12, {x}, col, 0, 0, /*num_outputs=*/2);
    }
  }
  // Older opsets (no dilations / ceil_mode) read the same attributes.
  const Tensor x = cuda_test::Random(DataType::kFloat, {1, 2, 6, 6}, 99);
  cuda_test::ExpectCudaMatchesCpu("MaxPool", 1, {x}, {IntsAttr("kernel_shape", {2, 2})}, 0, 0);
  cuda_test::ExpectCudaMatchesCpu("MaxPool", 8, {x}, {IntsAttr("kernel_shape", {3, 3})}, 0, 0, 2);
}

TEST(CudaPool, MaxPoolInt8AndUint8) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 200;
  for (const WindowCase& c : WindowCases()) {
    SCOPED_TRACE(c.label);
    const Tensor s8 = cuda_test::Random(DataType::kInt8, c.x, ++seed, -128, 128);
    const Tensor u8 = cuda_test::Random(DataType::kUint8, c.x, ++seed, 0, 256);
    cuda_test::ExpectCudaMatchesCpu("MaxPool", 12, {s8}, c.attrs, 0, 0);
    cuda_test::ExpectCudaMatchesCpu("MaxPool", 12, {u8}, c.attrs, 0, 0);
  }
}

TEST(CudaPool, AveragePool) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 300;
  for (DataType dt : kTypes) {
    for (const WindowCase& c : WindowCases()) {
      const Tensor x = cuda_test::Random(dt, c.x, ++seed);
      for (int include_pad : {0, 1}) {
        SCOPED_TRACE(c.label + " " + DataTypeName(dt) + " count_include_pad " +
                     std::to_string(include_pad));
        std::vector<Attribute> attrs = c.attrs;
        attrs.push_back(IntAttr("count_include_pad", include_pad));
        cuda_test::ExpectCudaMatchesCpu("AveragePool", 19, {x}, attrs, Atol(dt), Rtol(dt));
      }
    }
  }
}

TEST(CudaPool, LpPool) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 400;
  for (DataType dt : kTypes) {
    for (const WindowCase& c : WindowCases()) {
      const Tensor x = cuda_test::Random(dt, c.x, ++seed);
      for (int p : {1, 2, 3}) {
        SCOPED_TRACE(c.label + " " + DataTypeName(dt) + " p " + std::to_string(p));
        std::vector<Attribute> attrs = c.attrs;
        attrs.push_back(IntAttr("p", p));
        cuda_test::ExpectCudaMatchesCpu("LpPool", 18, {x}, attrs, Atol(dt), Rtol(dt));
      }
    }
  }
  // Opset 1: p is a float.
  const Tensor x = cuda_test::Random(DataType::kFloat, {1, 2, 5, 5}, 499);
  cuda_test::ExpectCudaMatchesCpu(
      "LpPool", 1, {x}, {IntsAttr("kernel_shape", {2, 2}), FloatAttr("p", 3.0f)}, 1e-5, 1e-5);
}

TEST(CudaPool, GlobalPools) {
  KILN_REQUIRE_CUDA();
  const std::vector<Dims> shapes = {{2, 3, 5, 7}, {1, 4, 9},      {2, 2, 3, 4, 5},
                                    {1, 3, 1, 1}, {3, 2, 33, 31},  // planes larger than a block
                                    {0, 3, 4, 4}};
  uint32_t seed = 600;
  for (DataType dt : kTypes) {
    for (const Dims& d : shapes) {
      SCOPED_TRACE(DimsToString(d) + " " + DataTypeName(dt));
      const Tensor x = cuda_test::Random(dt, d, ++seed);
      cuda_test::ExpectCudaMatchesCpu("GlobalMaxPool", 1, {x}, {}, 0, 0);
      cuda_test::ExpectCudaMatchesCpu("GlobalAveragePool", 1, {x}, {}, Atol(dt), Rtol(dt));
      cuda_test::ExpectCudaMatchesCpu("GlobalLpPool", 2, {x}, {IntAttr("p", 2)}, Atol(dt),
                                      Rtol(dt) * 10);
      cuda_test::ExpectCudaMatchesCpu("GlobalLpPool", 2, {x}, {IntAttr("p", 3)}, Atol(dt),
                                      Rtol(dt) * 10);
    }
  }
}

}  // namespace
}  // namespace kiln
