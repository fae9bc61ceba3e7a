// CUDA shape kernels (shape.cc) against the CPU kernels: the views Reshape, Flatten, Squeeze,
// Unsqueeze, Identity and the host-output Shape and Size. Skipped where there is no GPU.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_test_util.h"
#include "runtime/session.h"

namespace kiln {
namespace {

using Dims = std::vector<int64_t>;

const std::vector<DataType> kTypes = {DataType::kFloat, DataType::kFloat16, DataType::kBFloat16,
                                      DataType::kDouble, DataType::kInt8,   DataType::kUint8,
                                      DataType::kInt32, DataType::kInt64,   DataType::kBool};

Tensor Data(DataType dt, Dims dims, uint32_t seed) {
  if (IsFloatingPoint(dt)) return cuda_test::Random(dt, std::move(dims), seed);
  return cuda_test::Random(dt, std::move(dims), seed, 0, 100);
}

Tensor I64(std::vector<int64_t> v) { return Tensor::FromVector(v); }

void Exact(const std::string& op, int opset, const std::vector<Tensor>& in,
           const std::vector<Attribute>& attrs = {}) {
  SCOPED_TRACE(op + " opset " + std::to_string(opset) + " " + in[0].TypeString());
  cuda_test::ExpectCudaMatchesCpu(op, opset, in, attrs, 0, 0);
}

TEST(CudaShape, Reshape) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 1;
  for (DataType dt : kTypes) {
    const Tensor x = Data(dt, {2, 3, 4}, seed++);
    Exact("Reshape", 13, {x, I64({4, -1})});
    Exact("Reshape", 13, {x, I64({0, 12})});  // 0 copies the input dim
    Exact("Reshape", 13, {x, I64({24})});
    Exact("Reshape", 14, {x, I64({2, 0, 4, -1})});
  }
  Exact("Reshape", 14, {Data(DataType::kFloat, {0, 3}, seed++), I64({3, 0})},
        {IntAttr("allowzero", 1)});
  Exact("Reshape", 1, {Data(DataType::kFloat, {2, 6}, seed++)}, {IntsAttr("shape", {3, 4})});
  Exact("Reshape", 5, {Data(DataType::kInt64, {1}, seed++), I64({})});  // to a scalar
}

TEST(CudaShape, Flatten) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 100;
  for (DataType dt : kTypes) {
    const Tensor x = Data(dt, {2, 3, 4, 5}, seed++);
    for (int64_t axis : {0, 1, 2, 4, -1, -4}) Exact("Flatten", 13, {x}, {IntAttr("axis", axis)});
  }
  Exact("Flatten", 1, {Data(DataType::kFloat, {3, 2, 2}, seed++)});
}

TEST(CudaShape, SqueezeUnsqueeze) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 200;
  for (DataType dt : kTypes) {
    const Tensor x = Data(dt, {1, 3, 1, 4}, seed++);
    Exact("Squeeze", 13, {x});
    Exact("Squeeze", 13, {x, I64({0, -2})});
    Exact("Squeeze", 11, {x}, {IntsAttr("axes", {2})});
    Exact("Squeeze", 1, {x});
    Exact("Unsqueeze", 13, {x, I64({0, -1})});
    Exact("Unsqueeze", 11, {x}, {IntsAttr("axes", {1, 5})});
  }
  Exact("Unsqueeze", 13, {Data(DataType::kFloat, {}, seed++), I64({0})});
}

TEST(CudaShape, Identity) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 300;
  for (DataType dt : kTypes) {
    Exact("Identity", 16, {Data(dt, {3, 5}, seed++)});
    Exact("Identity", 1, {Data(dt, {}, seed++)});
  }
  Exact("Identity", 13, {Data(DataType::kFloat, {0, 4}, seed++)});
}

TEST(CudaShape, ShapeAndSize) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 400;
  for (DataType dt : kTypes) {
    const Tensor x = Data(dt, {2, 3, 4, 5}, seed++);
    Exact("Shape", 13, {x});
    Exact("Size", 13, {x});
    Exact("Shape", 15, {x}, {IntAttr("start", 1)});
    Exact("Shape", 15, {x}, {IntAttr("start", -3), IntAttr("end", -1)});
    Exact("Shape", 15, {x}, {IntAttr("start", 3), IntAttr("end", 1)});  // empty
    Exact("Shape", 19, {x}, {IntAttr("start", -100), IntAttr("end", 100)});
  }
  Exact("Shape", 1, {Data(DataType::kFloat, {}, seed++)});
  Exact("Size", 1, {Data(DataType::kFloat, {0, 7}, seed++)});
}

// Shape and Size leave their int64 result on the host: the input is the only device value.
TEST(CudaShape, ShapeOutputStaysOnHost) {
  KILN_REQUIRE_CUDA();
  SessionOptions gpu;
  gpu.devices = {Device::kCuda};
  gpu.strict_placement = true;
  auto r = RunSingleNodeWith(gpu, "Shape", 15, {Data(DataType::kFloat, {4, 1, 6}, 7)}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Tensor& y = (*r)[0].tensor;
  ASSERT_EQ(y.device(), Device::kCpu);
  ASSERT_EQ(y.dims(), (Dims{3}));
  EXPECT_EQ(y.data<int64_t>()[0], 4);
  EXPECT_EQ(y.data<int64_t>()[1], 1);
  EXPECT_EQ(y.data<int64_t>()[2], 6);
}

}  // namespace
}  // namespace kiln

namespace kiln {
namespace {

TEST(CudaShape, ConstantOfShape) {
  KILN_REQUIRE_CUDA();
  for (const Dims& dims : {Dims{2, 3}, Dims{1000, 77}, Dims{0, 4}, Dims{}, Dims{5}}) {
    cuda_test::ExpectCudaMatchesCpu("ConstantOfShape", 20, {Tensor::FromVector(dims)}, {}, 0, 0);
    cuda_test::ExpectCudaMatchesCpu("ConstantOfShape", 20, {Tensor::FromVector(dims)},
                                    {TensorAttr("value", Tensor::FromVector<float>({2.5f}, {1}))},
                                    0, 0);
    cuda_test::ExpectCudaMatchesCpu(
        "ConstantOfShape", 9, {Tensor::FromVector(dims)},
        {TensorAttr("value", Tensor::FromVector<int32_t>({-7}, {1}))}, 0, 0);
  }
}

}  // namespace
}  // namespace kiln
