#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ir/float16.h"
#include "kernels/cpu/kernel_test_util.h"
#include "runtime/session.h"

namespace kiln {
namespace {

using namespace ::kiln::test;  // NOLINT


TEST(ShapeKernels, ReshapeZeroAndInfer) {
  Tensor x = T_<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor y = Run1("Reshape", 14, {x, I64({0, -1})});
  EXPECT_EQ(y.dims(), (Dims{2, 3}));
  y = Run1("Reshape", 14, {x, I64({-1})});
  EXPECT_EQ(y.dims(), (Dims{6}));
  EXPECT_EQ(Values<float>(y), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  // allowzero: 0 is a real zero dim.
  Tensor e = T_<float>({}, {0, 3});
  y = Run1("Reshape", 14, {e, I64({3, 0})}, {IntAttr("allowzero", 1)});
  EXPECT_EQ(y.dims(), (Dims{3, 0}));
  // Opset 1 takes the shape attribute.
  y = Run1("Reshape", 1, {x}, {IntsAttr("shape", {3, 2})});
  EXPECT_EQ(y.dims(), (Dims{3, 2}));
  // Rank 0.
  y = Run1("Reshape", 14, {T_<float>({7}, {1, 1}), I64({})});
  EXPECT_EQ(y.rank(), 0);
}

TEST(ShapeKernels, ReshapeErrors) {
  Tensor x = T_<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(RunErr("Reshape", 14, {x, I64({4, -1})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunErr("Reshape", 14, {x, I64({-1, -1})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunErr("Reshape", 14, {x, I64({0, -1})}, {IntAttr("allowzero", 1)}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_NE(RunErr("Reshape", 14, {x, I64({7})}).message().find("node"), std::string::npos);
}

TEST(ShapeKernels, FlattenSqueezeUnsqueeze) {
  Tensor x(DataType::kFloat, {2, 3, 4});
  EXPECT_EQ(Run1("Flatten", 13, {x}, {IntAttr("axis", -1)}).dims(), (Dims{6, 4}));
  EXPECT_EQ(Run1("Flatten", 13, {x}, {IntAttr("axis", 0)}).dims(), (Dims{1, 24}));
  EXPECT_EQ(Run1("Flatten", 13, {x}, {IntAttr("axis", 3)}).dims(), (Dims{24, 1}));
  Tensor s(DataType::kFloat, {1, 3, 1});
  EXPECT_EQ(Run1("Squeeze", 13, {s}).dims(), (Dims{3}));
  EXPECT_EQ(Run1("Squeeze", 13, {s, I64({-1})}).dims(), (Dims{1, 3}));
  EXPECT_EQ(Run1("Squeeze", 11, {s}, {IntsAttr("axes", {0})}).dims(), (Dims{3, 1}));
  EXPECT_EQ(RunErr("Squeeze", 13, {s, I64({1})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Run1("Unsqueeze", 13, {s, I64({-1, 0})}).dims(), (Dims{1, 1, 3, 1, 1}));
  EXPECT_EQ(Run1("Unsqueeze", 1, {Tensor::Scalar<float>(1)}, {IntsAttr("axes", {0})}).dims(),
            (Dims{1}));
  EXPECT_EQ(RunErr("Unsqueeze", 13, {s, I64({0, 0})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunErr("Unsqueeze", 13, {s, I64({5})}).code(), StatusCode::kInvalidArgument);
}

TEST(ShapeKernels, ShapeSizeIdentity) {
  Tensor x(DataType::kString, {2, 3, 4});
  EXPECT_EQ(Values<int64_t>(Run1("Shape", 15, {x})), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(Values<int64_t>(Run1("Shape", 15, {x}, {IntAttr("start", -2)})),
            (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(Values<int64_t>(Run1("Shape", 15, {x}, {IntAttr("start", 1), IntAttr("end", -1)})),
            (std::vector<int64_t>{3}));
  EXPECT_EQ(Run1("Shape", 15, {x}, {IntAttr("start", 5)}).numel(), 0);
  EXPECT_EQ(Run1("Size", 13, {x}).data<int64_t>()[0], 24);
  x.data<std::string>()[5] = "hi";
  Tensor y = Run1("Identity", 16, {x});
  EXPECT_EQ(y.data<std::string>()[5], "hi");
}

TEST(ShapeKernels, ExpandBroadcasts) {
  Tensor y = Run1("Expand", 13, {T_<int32_t>({1, 2, 3}, {3, 1}), I64({2, 1, 2})});
  EXPECT_EQ(y.dims(), (Dims{2, 3, 2}));
  EXPECT_EQ(Values<int32_t>(y), (std::vector<int32_t>{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}));
  // The shape may be smaller than the input.
  y = Run1("Expand", 13, {T_<int32_t>({1, 2, 3}, {3, 1}), I64({1})});
  EXPECT_EQ(y.dims(), (Dims{3, 1}));
  EXPECT_EQ(RunErr("Expand", 13, {T_<int32_t>({1, 2, 3}, {3}), I64({2})}).code(),
            StatusCode::kInvalidArgument);
  // Packed int4 elements.
  Tensor p(DataType::kInt4, {2});
  p.data<uint8_t>()[0] = 0x73;  // elements 3, 7
  y = Run1("Expand", 13, {p, I64({2, 2})});
  EXPECT_EQ(y.dtype(), DataType::kInt4);
  EXPECT_EQ(y.data<uint8_t>()[0], 0x73);
  EXPECT_EQ(y.data<uint8_t>()[1], 0x73);
}

TEST(ShapeKernels, ConstantOfShapeAndConstant) {
  Tensor y =
      Run1("ConstantOfShape", 20, {I64({2, 2})}, {TensorAttr("value", T_<int32_t>({5}, {1}))});
  EXPECT_EQ(Values<int32_t>(y), (std::vector<int32_t>{5, 5, 5, 5}));
  y = Run1("ConstantOfShape", 20, {I64({})});
  EXPECT_EQ(y.rank(), 0);
  EXPECT_EQ(y.data<float>()[0], 0.0f);
  EXPECT_EQ(Run1("ConstantOfShape", 20, {I64({0, 3})}).dims(), (Dims{0, 3}));
  y = Run1("Constant", 13, {}, {IntsAttr("value_ints", {1, 2})});
  EXPECT_EQ(Values<int64_t>(y), (std::vector<int64_t>{1, 2}));
  y = Run1("Constant", 13, {}, {FloatAttr("value_float", 2.5f)});
  EXPECT_EQ(y.rank(), 0);
  EXPECT_EQ(y.data<float>()[0], 2.5f);
  Attribute sparse;
  sparse.name = "sparse_value";
  sparse.type = AttrType::kSparseTensor;
  auto r = RunSingleNode("Constant", 13, {}, {sparse});
  EXPECT_FALSE(r.ok());
}

TEST(ShapeKernels, Range) {
  EXPECT_EQ(Values<int32_t>(Run1("Range", 11,
                                 {Tensor::Scalar<int32_t>(10), Tensor::Scalar<int32_t>(4),
                                  Tensor::Scalar<int32_t>(-3)})),
            (std::vector<int32_t>{10, 7}));
  EXPECT_EQ(Values<float>(Run1("Range", 11,
                               {Tensor::Scalar<float>(1), Tensor::Scalar<float>(2),
                                Tensor::Scalar<float>(0.25f)})),
            (std::vector<float>{1, 1.25f, 1.5f, 1.75f}));
  EXPECT_EQ(
      Run1("Range", 11,
           {Tensor::Scalar<int64_t>(5), Tensor::Scalar<int64_t>(1), Tensor::Scalar<int64_t>(1)})
          .numel(),
      0);
  EXPECT_EQ(
      RunErr("Range", 11,
             {Tensor::Scalar<int64_t>(0), Tensor::Scalar<int64_t>(1), Tensor::Scalar<int64_t>(0)})
          .code(),
      StatusCode::kInvalidArgument);
}

TEST(ShapeKernels, DropoutInferenceAndTraining) {
  Tensor x = T_<float>({1, 2, 3, 4}, {4});
  auto outs = RunN("Dropout", 13, {x}, {}, 2);
  EXPECT_EQ(Values<float>(outs[0].tensor), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(outs[1].tensor.dtype(), DataType::kBool);
  EXPECT_TRUE(outs[1].tensor.data<bool>()[3]);
  // Training with a seed is deterministic; kept elements are scaled by 1 / (1 - ratio).
  Tensor big(DataType::kFloat, {1000});
  for (int i = 0; i < 1000; ++i) big.data<float>()[i] = 1.0f;
  auto a = RunN("Dropout", 13, {big, Tensor::Scalar<float>(0.5f), Tensor::Scalar<bool>(true)},
                {IntAttr("seed", 0)}, 2);
  auto b = RunN("Dropout", 13, {big, Tensor::Scalar<float>(0.5f), Tensor::Scalar<bool>(true)},
                {IntAttr("seed", 0)}, 2);
  int kept = 0;
  for (int i = 0; i < 1000; ++i) {
    const float v = a[0].tensor.data<float>()[i];
    EXPECT_TRUE(v == 0.0f || v == 2.0f);
    EXPECT_EQ(v == 2.0f, a[1].tensor.data<bool>()[i]);
    EXPECT_EQ(v, b[0].tensor.data<float>()[i]);
    kept += v == 2.0f;
  }
  EXPECT_GT(kept, 400);
  EXPECT_LT(kept, 600);
}

TEST(ShapeKernels, EyeLikeTriluOneHot) {
  Tensor y = Run1("EyeLike", 9, {Tensor(DataType::kInt32, {2, 3})}, {IntAttr("k", 1)});
  EXPECT_EQ(Values<int32_t>(y), (std::vector<int32_t>{0, 1, 0, 0, 0, 1}));
  y = Run1("EyeLike", 9, {Tensor(DataType::kInt32, {2, 2})},
           {IntAttr("dtype", static_cast<int>(DataType::kFloat))});
  EXPECT_EQ(Values<float>(y), (std::vector<float>{1, 0, 0, 1}));
  Tensor m = T_<int64_t>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3});
  EXPECT_EQ(Values<int64_t>(Run1("Trilu", 14, {m})),
            (std::vector<int64_t>{1, 2, 3, 0, 5, 6, 0, 0, 9}));
  EXPECT_EQ(
      Values<int64_t>(Run1("Trilu", 14, {m, Tensor::Scalar<int64_t>(-1)}, {IntAttr("upper", 0)})),
      (std::vector<int64_t>{0, 0, 0, 4, 0, 0, 7, 8, 0}));
  EXPECT_EQ(Values<int64_t>(Run1("Trilu", 14, {m, Tensor::Scalar<int64_t>(5)})),
            (std::vector<int64_t>(9, 0)));
  y = Run1("OneHot", 11,
           {T_<int64_t>({0, -1, 5}, {3}), Tensor::Scalar<float>(3), T_<float>({0, 1}, {2})});
  EXPECT_EQ(y.dims(), (Dims{3, 3}));
  EXPECT_EQ(Values<float>(y), (std::vector<float>{1, 0, 0, 0, 0, 1, 0, 0, 0}));
  y = Run1("OneHot", 11,
           {T_<int64_t>({0, 2}, {2}), Tensor::Scalar<int64_t>(3), T_<int32_t>({5, 9}, {2})},
           {IntAttr("axis", 0)});
  EXPECT_EQ(y.dims(), (Dims{3, 2}));
  EXPECT_EQ(Values<int32_t>(y), (std::vector<int32_t>{9, 5, 5, 5, 5, 9}));
}

}  // namespace
}  // namespace kiln
