// CUDA data-movement kernels (movement.cc, resize.cc) against the CPU kernels: Transpose, Concat,
// Split, Slice, Gather, Expand, Tile, Pad (exact, every element size the test helpers make) and
// Resize (float types, tolerances per type). Skipped where there is no GPU.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_test_util.h"
#include "runtime/session.h"

namespace kiln {
namespace {

using Dims = std::vector<int64_t>;

// Element types of every size the test helpers can make: 1, 2, 4 and 8 bytes.
const std::vector<DataType> kTypes = {DataType::kFloat, DataType::kFloat16, DataType::kBFloat16,
                                      DataType::kDouble, DataType::kInt8,   DataType::kUint8,
                                      DataType::kInt32, DataType::kInt64,   DataType::kBool};

Tensor Data(DataType dt, Dims dims, uint32_t seed) {
  if (IsFloatingPoint(dt)) return cuda_test::Random(dt, std::move(dims), seed);
  return cuda_test::Random(dt, std::move(dims), seed, 0, 100);
}

Tensor I64(std::vector<int64_t> v) { return Tensor::FromVector(v); }
Tensor I32(std::vector<int32_t> v, Dims dims) { return Tensor::FromVector(v, std::move(dims)); }
Tensor I64(std::vector<int64_t> v, Dims dims) { return Tensor::FromVector(v, std::move(dims)); }
Tensor F32(std::vector<float> v) { return Tensor::FromVector(v); }

// Data movement must be exact.
void Exact(const std::string& op, int opset, const std::vector<Tensor>& in,
           const std::vector<Attribute>& attrs = {}, int outputs = 1) {
  SCOPED_TRACE(op + " opset " + std::to_string(opset) + " " +
               (in.empty() ? std::string() : in[0].TypeString()));
  cuda_test::ExpectCudaMatchesCpu(op, opset, in, attrs, 0, 0, outputs);
}

TEST(CudaMovement, Transpose) {
  KILN_REQUIRE_CUDA();
  struct Case {
    Dims dims;
    std::vector<int64_t> perm;  // empty: the default (reverse)
  };
  const std::vector<Case> cases = {
      {{2, 3, 4}, {2, 0, 1}},
      {{4, 5}, {}},
      {{40, 33}, {1, 0}},                  // tiled, partial tiles
      {{2, 64, 7, 9}, {0, 2, 3, 1}},       // NCHW -> NHWC (tiled)
      {{2, 35, 40, 48}, {0, 3, 1, 2}},     // NHWC -> NCHW (tiled)
      {{3, 1, 5, 1, 2, 4}, {5, 3, 1, 0, 2, 4}},
      {{2, 3, 4, 5}, {0, 1, 3, 2}},
      {{2, 3, 4, 5}, {0, 1, 2, 3}},        // identity: a plain copy
      {{1, 17, 1, 3}, {-1, 1, 0, 2}},      // negative perm entries
      {{0, 3}, {1, 0}},                    // empty
      {{}, {}},                            // scalar
  };
  uint32_t seed = 1;
  for (DataType dt : kTypes) {
    for (const Case& c : cases) {
      std::vector<Attribute> attrs;
      if (!c.perm.empty()) attrs.push_back(IntsAttr("perm", c.perm));
      Exact("Transpose", 13, {Data(dt, c.dims, seed++)}, attrs);
    }
  }
}

TEST(CudaMovement, Concat) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 100;
  for (DataType dt : kTypes) {
    Exact("Concat", 13, {Data(dt, {2, 3}, seed++), Data(dt, {5, 3}, seed++)},
          {IntAttr("axis", 0)});
    Exact("Concat", 13,
          {Data(dt, {2, 1, 4}, seed++), Data(dt, {2, 0, 4}, seed++), Data(dt, {2, 7, 4}, seed++)},
          {IntAttr("axis", 1)});
    Exact("Concat", 13, {Data(dt, {3, 2, 5}, seed++), Data(dt, {3, 2, 3}, seed++)},
          {IntAttr("axis", -1)});
    Exact("Concat", 13, {Data(dt, {7}, seed++)}, {IntAttr("axis", 0)});
  }
  // Many inputs, odd byte widths per row.
  std::vector<Tensor> many;
  for (int i = 0; i < 20; ++i) many.push_back(Data(DataType::kInt8, {3, 1 + i % 4, 3}, seed++));
  Exact("Concat", 13, many, {IntAttr("axis", 1)});
  // Before opset 4 the axis defaults to 1.
  Exact("Concat", 1, {Data(DataType::kFloat, {2, 3}, seed++), Data(DataType::kFloat, {2, 4}, 9)});
  Exact("Concat", 13, {Data(DataType::kFloat, {0, 3}, 1), Data(DataType::kFloat, {0, 3}, 2)},
        {IntAttr("axis", 0)});
}

TEST(CudaMovement, Split) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 200;
  for (DataType dt : kTypes) {
    Exact("Split", 13, {Data(dt, {6, 4}, seed++)}, {IntAttr("axis", 0)}, 3);
    Exact("Split", 13, {Data(dt, {2, 7, 3}, seed++), I64({2, 0, 5})}, {IntAttr("axis", 1)}, 3);
    Exact("Split", 11, {Data(dt, {3, 5}, seed++)},
          {IntAttr("axis", -1), IntsAttr("split", {1, 4})}, 2);
    Exact("Split", 18, {Data(dt, {7, 2}, seed++)}, {IntAttr("num_outputs", 3)}, 3);
  }
  Exact("Split", 1, {Data(DataType::kFloat, {5, 2}, seed++), I64({3, 2})}, {}, 2);
  Exact("Split", 18, {Data(DataType::kFloat, {2, 3, 8}, seed++)},
        {IntAttr("axis", 2), IntAttr("num_outputs", 4)}, 4);
}

TEST(CudaMovement, Slice) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 300;
  for (DataType dt : kTypes) {
    const Tensor x = Data(dt, {5, 6, 7}, seed++);
    Exact("Slice", 13, {x, I64({1, 0}), I64({4, 6})});
    Exact("Slice", 13, {x, I64({-1, 5}), I64({-100, 0}), I64({0, 2}), I64({-1, -2})});
    Exact("Slice", 13, {x, I64({0, 1, 2}), I64({5, 6, 7}), I64({0, 1, 2}), I64({2, 3, 2})});
    Exact("Slice", 13, {x, I64({3}), I64({1000}), I64({-2})});
    Exact("Slice", 13, {x, I64({6}), I64({-1000}), I64({2}), I64({-3})});
    Exact("Slice", 13, {x, I64({2}), I64({2}), I64({0})});  // empty
    Exact("Slice", 9, {x}, {IntsAttr("starts", {1, -3}), IntsAttr("ends", {100, -1}),
                            IntsAttr("axes", {0, 2})});
  }
  const Tensor x = Data(DataType::kFloat, {4, 9}, seed++);
  Exact("Slice", 13, {x, I32({1}, {1}), I32({8}, {1}), I32({1}, {1}), I32({3}, {1})});
  Exact("Slice", 1, {x}, {IntsAttr("starts", {1, 2}), IntsAttr("ends", {3, 5})});
}

TEST(CudaMovement, Gather) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 400;
  for (DataType dt : kTypes) {
    const Tensor x = Data(dt, {5, 4, 3}, seed++);
    Exact("Gather", 13, {x, I64({0, 4, -1, 2}, {2, 2})}, {IntAttr("axis", 0)});
    Exact("Gather", 13, {x, I32({3, -4, 1}, {3})}, {IntAttr("axis", 1)});
    Exact("Gather", 13, {x, I64({-3}, {})}, {IntAttr("axis", -1)});
    Exact("Gather", 13, {x, I64({}, {0})}, {IntAttr("axis", 0)});
  }
  // Odd inner widths (row copies in narrow units) and a large gather.
  Exact("Gather", 11, {Data(DataType::kInt8, {6, 5}, seed++), I32({5, 0, 3}, {3})});
  std::vector<int64_t> idx;
  for (int i = 0; i < 300; ++i) idx.push_back((i * 37) % 512 - 256);
  Exact("Gather", 13, {Data(DataType::kFloat16, {512, 64}, seed++), I64(idx, {300})});
  Exact("Gather", 1, {Data(DataType::kFloat, {3, 8}, seed++), I64({2, 0}, {2})},
        {IntAttr("axis", 1)});
}

// An index outside [-dim, dim) is an error on the CPU; on CUDA its slice reads as zeros.
TEST(CudaMovement, GatherOutOfRangeGivesZeros) {
  KILN_REQUIRE_CUDA();
  SessionOptions gpu;
  gpu.devices = {Device::kCuda};
  gpu.strict_placement = true;
  const Tensor x = Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {3, 2});
  auto r = RunSingleNodeWith(gpu, "Gather", 13, {x, I64({1, 3, -4, -3}, {4})}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Tensor& y = (*r)[0].tensor;
  ASSERT_EQ(y.dims(), (Dims{4, 2}));
  const std::vector<float> want = {3, 4, 0, 0, 0, 0, 1, 2};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(y.data<float>()[i], want[i]) << i;
}

TEST(CudaMovement, Expand) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 500;
  for (DataType dt : kTypes) {
    Exact("Expand", 13, {Data(dt, {3, 1}, seed++), I64({2, 3, 4})});
    Exact("Expand", 13, {Data(dt, {1}, seed++), I64({5})});
    Exact("Expand", 13, {Data(dt, {2, 1, 4}, seed++), I64({3, 1})});  // shape of lower rank
    Exact("Expand", 13, {Data(dt, {1, 3, 1, 2}, seed++), I64({4, 3, 5, 2})});
  }
  Exact("Expand", 8, {Data(DataType::kFloat, {0, 1}, seed++), I64({0, 6})});
}

TEST(CudaMovement, Tile) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 600;
  for (DataType dt : kTypes) {
    Exact("Tile", 13, {Data(dt, {2, 3, 4}, seed++), I64({2, 1, 3})});
    Exact("Tile", 13, {Data(dt, {5}, seed++), I64({4})});
    Exact("Tile", 13, {Data(dt, {2, 3}, seed++), I64({0, 2})});
  }
  Exact("Tile", 6, {Data(DataType::kFloat, {1, 2, 1, 2, 1, 2, 1, 2}, seed++),
                    I64({2, 1, 2, 1, 2, 1, 2, 1})});
  Exact("Tile", 1, {Data(DataType::kFloat, {2, 3}, seed++), I64({3}, {}), I64({1}, {})});
}

TEST(CudaMovement, Pad) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 700;
  const std::vector<std::string> modes = {"constant", "reflect", "edge", "wrap"};
  for (DataType dt : kTypes) {
    const Tensor x = Data(dt, {3, 4, 5}, seed++);
    for (const std::string& m : modes) {
      const std::vector<Attribute> a = {StringAttr("mode", m)};
      Exact("Pad", 19, {x, I64({1, 0, 2, 2, 3, 1})}, a);
      Exact("Pad", 19, {x, I64({0, -1, 2, 1, 2, -2})}, a);        // crops
      Exact("Pad", 19, {x, I64({2, 7}), Tensor(), I64({-1})}, a);  // axes; pads wider than dim
      Exact("Pad", 13, {Data(dt, {1, 6}, seed++), I64({0, 3, 0, 4})}, a);
    }
    Exact("Pad", 13, {x, I64({1, 1, 1, 1, 1, 1}), Data(dt, {}, seed++)});  // constant_value
  }
  Exact("Pad", 2, {Data(DataType::kFloat, {2, 3}, seed++)},
        {IntsAttr("pads", {1, 2, 0, 1}), FloatAttr("value", 1.5f)});
  Exact("Pad", 2, {Data(DataType::kInt32, {2, 3}, seed++)},
        {IntsAttr("pads", {1, 2, 0, 1}), FloatAttr("value", 7.0f), StringAttr("mode", "constant")});
  Exact("Pad", 1, {Data(DataType::kFloat, {2, 3}, seed++)},
        {IntsAttr("paddings", {0, 1, 2, 0}), StringAttr("mode", "edge")});
  Exact("Pad", 11, {Data(DataType::kFloat, {0, 3}, seed++), I64({1, 0, 1, 0})});  // empty input
  Exact("Pad", 11, {Data(DataType::kFloat, {}, seed++), I64({})});                 // scalar
}

// ---------------------------------------------------------------------------------------------
// Resize

using cuda_test::Tol;
const std::vector<Tol> kResizeTols = {{DataType::kFloat, 1e-5, 1e-5},
                                      {DataType::kFloat16, 1e-2, 1e-2},
                                      {DataType::kBFloat16, 2e-2, 2e-2}};

TEST(CudaMovement, ResizeNearest) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 800;
  const std::vector<std::string> nearest = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                            "ceil"};
  const std::vector<std::string> coords = {"half_pixel", "pytorch_half_pixel", "align_corners",
                                           "asymmetric"};
  for (const Tol& t : kResizeTols) {
    const Tensor x = Data(t.type, {1, 2, 5, 7}, seed++);
    for (const std::string& nm : nearest) {
      for (const std::string& ct : coords) {
        const std::vector<Attribute> a = {StringAttr("mode", "nearest"),
                                          StringAttr("nearest_mode", nm),
                                          StringAttr("coordinate_transformation_mode", ct)};
        // Nearest copies elements: exact.
        cuda_test::ExpectCudaMatchesCpu("Resize", 13,
                                        {x, Tensor(), F32({1, 1, 2.0f, 1.5f})}, a, 0, 0);
        cuda_test::ExpectCudaMatchesCpu("Resize", 13,
                                        {x, Tensor(), F32({1, 1, 0.6f, 0.43f})}, a, 0, 0);
        cuda_test::ExpectCudaMatchesCpu("Resize", 13, {x, Tensor(), Tensor(), I64({2, 1, 9, 4})},
                                        a, 0, 0);
      }
    }
    cuda_test::ExpectCudaMatchesCpu(
        "Resize", 11, {x, F32({}), F32({1, 1, 3, 3})},
        {StringAttr("coordinate_transformation_mode", "tf_half_pixel_for_nn")}, 0, 0);
    cuda_test::ExpectCudaMatchesCpu("Resize", 10, {x, F32({1, 1, 2.5f, 0.5f})}, {}, 0, 0);
    cuda_test::ExpectCudaMatchesCpu(
        "Resize", 13, {x, F32({0, 0, -0.3f, 0.15f, 1, 1, 0.9f, 1.2f}), Tensor(), I64({1, 2, 7, 6})},
        {StringAttr("coordinate_transformation_mode", "tf_crop_and_resize"),
         FloatAttr("extrapolation_value", -2.0f)},
        0, 0);
    cuda_test::ExpectCudaMatchesCpu(
        "Resize", 19, {x, Tensor(), F32({1, 1, 1.7f, 0.6f})},
        {StringAttr("coordinate_transformation_mode", "half_pixel_symmetric")}, 0, 0);
    // Rank 3 and 5.
    cuda_test::ExpectCudaMatchesCpu("Resize", 13,
                                    {Data(t.type, {3, 4, 5}, seed++), Tensor(), F32({2, 0.5f, 3})},
                                    {}, 0, 0);
    cuda_test::ExpectCudaMatchesCpu(
        "Resize", 13, {Data(t.type, {1, 2, 3, 4, 5}, seed++), Tensor(), Tensor(),
                       I64({1, 2, 6, 2, 7})},
        {}, 0, 0);
  }
}

TEST(CudaMovement, ResizeLinear) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 900;
  const std::vector<std::string> coords = {"half_pixel", "pytorch_half_pixel", "align_corners",
                                           "asymmetric"};
  for (const Tol& t : kResizeTols) {
    const Tensor x = Data(t.type, {2, 3, 6, 5}, seed++);
    auto check = [&](int opset, const std::vector<Tensor>& in, std::vector<Attribute> a) {
      a.push_back(StringAttr("mode", "linear"));
      cuda_test::ExpectCudaMatchesCpu("Resize", opset, in, a, t.atol, t.rtol);
    };
    for (const std::string& ct : coords) {
      const Attribute c = StringAttr("coordinate_transformation_mode", ct);
      check(13, {x, Tensor(), F32({1, 1, 2.0f, 1.7f})}, {c});
      check(13, {x, Tensor(), F32({1, 1, 0.5f, 0.8f})}, {c});
      check(13, {x, Tensor(), Tensor(), I64({2, 3, 1, 11})}, {c});
      check(13, {x, Tensor(), Tensor(), I64({2, 3, 13, 4})}, {c, IntAttr("exclude_outside", 1)});
    }
    check(19, {x, Tensor(), F32({1, 1, 1.6f, 2.3f})},
          {StringAttr("coordinate_transformation_mode", "half_pixel_symmetric")});
    // tf_crop_and_resize: the roi reaches outside the image (extrapolation_value).
    check(13, {x, F32({0, 0, -0.2f, 0.1f, 1, 1, 1.1f, 0.7f}), Tensor(), I64({2, 3, 8, 9})},
          {StringAttr("coordinate_transformation_mode", "tf_crop_and_resize"),
           FloatAttr("extrapolation_value", 0.25f)});
    // Opset 18: axes and keep_aspect_ratio_policy.
    check(18, {x, Tensor(), Tensor(), I64({9, 7})},
          {IntsAttr("axes", {2, 3}), StringAttr("keep_aspect_ratio_policy", "not_larger")});
    check(18, {x, Tensor(), Tensor(), I64({9, 7})},
          {IntsAttr("axes", {-1, -2}), StringAttr("keep_aspect_ratio_policy", "not_smaller")});
    check(18, {x, Tensor(), F32({0.7f, 3.0f})}, {IntsAttr("axes", {1, 3})});
    // Opset 10: asymmetric; 'bilinear' is accepted as linear.
    cuda_test::ExpectCudaMatchesCpu("Resize", 10, {x, F32({1, 1, 1.5f, 2})},
                                    {StringAttr("mode", "linear")}, t.atol, t.rtol);
    // Every axis resized (trilinear over 3 axes, 8 taps).
    check(13, {Data(t.type, {3, 4, 5}, seed++), Tensor(), F32({1.5f, 0.75f, 2})}, {});
  }
}

TEST(CudaMovement, ResizeRejectsCubicAndAntialias) {
  KILN_REQUIRE_CUDA();
  SessionOptions gpu;
  gpu.devices = {Device::kCuda};
  gpu.strict_placement = true;
  const Tensor x = Data(DataType::kFloat, {1, 1, 4, 4}, 1);
  auto r = RunSingleNodeWith(gpu, "Resize", 13, {x, Tensor(), F32({1, 1, 2, 2})},
                             {StringAttr("mode", "cubic")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported) << r.status().ToString();
  EXPECT_NE(r.status().message().find("'mode'"), std::string::npos) << r.status().ToString();
  r = RunSingleNodeWith(gpu, "Resize", 18, {x, Tensor(), F32({1, 1, 0.5f, 0.5f})},
                        {StringAttr("mode", "linear"), IntAttr("antialias", 1)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported) << r.status().ToString();
  EXPECT_NE(r.status().message().find("'antialias'"), std::string::npos) << r.status().ToString();
}

}  // namespace
}  // namespace kiln
