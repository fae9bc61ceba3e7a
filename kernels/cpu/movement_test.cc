#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "kernels/cpu/kernel_test_util.h"
#include "runtime/session.h"

namespace kiln {
namespace {

using namespace ::kiln::test;  // NOLINT

Tensor Iota(Dims dims) {
  Tensor t(DataType::kFloat, dims);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

TEST(MovementKernels, TransposeMatchesNaive) {
  Tensor x = Iota({3, 17, 19, 2});
  Tensor y = Run1("Transpose", 13, {x}, {IntsAttr("perm", {2, 0, 3, 1})});
  ASSERT_EQ(y.dims(), (Dims{19, 3, 2, 17}));
  for (int a = 0; a < 19; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 2; ++c)
        for (int d = 0; d < 17; ++d) {
          const float want = x.data<float>()[((b * 17 + d) * 19 + a) * 2 + c];
          ASSERT_EQ(y.data<float>()[((a * 3 + b) * 2 + c) * 17 + d], want);
        }
  // Default perm reverses; the tiled 2-D path.
  x = Iota({40, 33});
  y = Run1("Transpose", 13, {x});
  ASSERT_EQ(y.dims(), (Dims{33, 40}));
  for (int i = 0; i < 33; ++i)
    for (int j = 0; j < 40; ++j)
      ASSERT_EQ(y.data<float>()[i * 40 + j], x.data<float>()[j * 33 + i]);
  EXPECT_EQ(Run1("Transpose", 13, {Tensor::Scalar<float>(3)}).data<float>()[0], 3);
  EXPECT_EQ(RunErr("Transpose", 13, {x}, {IntsAttr("perm", {0, 0})}).code(),
            StatusCode::kInvalidArgument);
}

TEST(MovementKernels, TransposeStringsAndBool) {
  Tensor s(DataType::kString, {2, 2});
  const char* v[] = {"a", "b", "c", "d"};
  for (int i = 0; i < 4; ++i) s.data<std::string>()[i] = v[i];
  Tensor y = Run1("Transpose", 13, {s});
  EXPECT_EQ(Values<std::string>(y), (std::vector<std::string>{"a", "c", "b", "d"}));
  Tensor b = T_<bool>({true, false, false, false}, {2, 2});
  EXPECT_EQ(Values<bool>(Run1("Transpose", 13, {b})),
            (std::vector<bool>{true, false, false, false}));
}

TEST(MovementKernels, ConcatAndSplit) {
  Tensor a = T_<int32_t>({1, 2, 3, 4}, {2, 2});
  Tensor b = T_<int32_t>({5, 6}, {2, 1});
  Tensor e = T_<int32_t>({}, {2, 0});
  Tensor y = Run1("Concat", 13, {a, e, b}, {IntAttr("axis", -1)});
  EXPECT_EQ(y.dims(), (Dims{2, 3}));
  EXPECT_EQ(Values<int32_t>(y), (std::vector<int32_t>{1, 2, 5, 3, 4, 6}));
  EXPECT_EQ(RunErr("Concat", 13, {a, b}, {IntAttr("axis", 0)}).code(),
            StatusCode::kInvalidArgument);
  auto outs = RunN("Split", 13, {T_<int32_t>({1, 2, 3, 4, 5, 6}, {6}), I64({1, 0, 5})}, {}, 3);
  EXPECT_EQ(Values<int32_t>(outs[0].tensor), (std::vector<int32_t>{1}));
  EXPECT_EQ(outs[1].tensor.numel(), 0);
  EXPECT_EQ(Values<int32_t>(outs[2].tensor), (std::vector<int32_t>{2, 3, 4, 5, 6}));
  outs = RunN("Split", 18, {T_<int32_t>({1, 2, 3, 4, 5}, {5})}, {IntAttr("num_outputs", 3)}, 3);
  EXPECT_EQ(Values<int32_t>(outs[2].tensor), (std::vector<int32_t>{5}));
  outs = RunN("Split", 11, {a}, {IntAttr("axis", 1)}, 2);
  EXPECT_EQ(Values<int32_t>(outs[1].tensor), (std::vector<int32_t>{2, 4}));
  EXPECT_EQ(RunErr("Split", 13, {T_<int32_t>({1, 2, 3}, {3})}, {}, 2).code(),
            StatusCode::kInvalidArgument);
}

TEST(MovementKernels, SliceStepsAndClamping) {
  Tensor x = Iota({10});
  auto slice = [&](std::vector<int64_t> s, std::vector<int64_t> e, std::vector<int64_t> st) {
    return Values<float>(Run1("Slice", 13, {x, I64(s), I64(e), I64({0}), I64(st)}));
  };
  EXPECT_EQ(slice({2}, {8}, {3}), (std::vector<float>{2, 5}));
  EXPECT_EQ(slice({-1}, {std::numeric_limits<int64_t>::min()}, {-1}),
            (std::vector<float>{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}));
  EXPECT_EQ(slice({20}, {-100}, {-4}), (std::vector<float>{9, 5, 1}));
  EXPECT_EQ(slice({5}, {2}, {1}), (std::vector<float>{}));
  EXPECT_EQ(
      slice({0}, {std::numeric_limits<int64_t>::max()}, {std::numeric_limits<int64_t>::max()}),
      (std::vector<float>{0}));
  Tensor m = Iota({3, 4});
  Tensor y = Run1("Slice", 1, {m}, {IntsAttr("starts", {1, 1}), IntsAttr("ends", {1000, 3})});
  EXPECT_EQ(y.dims(), (Dims{2, 2}));
  EXPECT_EQ(Values<float>(y), (std::vector<float>{5, 6, 9, 10}));
  // int32 indices, negative axis.
  y = Run1("Slice", 13,
           {m, T_<int32_t>({3}, {1}), T_<int32_t>({0}, {1}), T_<int32_t>({-1}, {1}),
            T_<int32_t>({-2}, {1})});
  EXPECT_EQ(Values<float>(y), (std::vector<float>{3, 1, 7, 5, 11, 9}));
  EXPECT_EQ(RunErr("Slice", 13, {x, I64({0}), I64({1}), I64({0}), I64({0})}).code(),
            StatusCode::kInvalidArgument);
}

TEST(MovementKernels, Tile) {
  Tensor y = Run1("Tile", 13, {T_<int32_t>({1, 2, 3, 4}, {2, 2}), I64({2, 1})});
  EXPECT_EQ(y.dims(), (Dims{4, 2}));
  EXPECT_EQ(Values<int32_t>(y), (std::vector<int32_t>{1, 2, 3, 4, 1, 2, 3, 4}));
  y = Run1("Tile", 13, {T_<int32_t>({1, 2}, {2}), I64({3})});
  EXPECT_EQ(Values<int32_t>(y), (std::vector<int32_t>{1, 2, 1, 2, 1, 2}));
  EXPECT_EQ(Run1("Tile", 13, {T_<int32_t>({1, 2}, {2}), I64({0})}).numel(), 0);
  EXPECT_EQ(RunErr("Tile", 13, {T_<int32_t>({1, 2}, {2}), I64({1, 1})}).code(),
            StatusCode::kInvalidArgument);
}

TEST(MovementKernels, PadModes) {
  Tensor x = T_<float>({1, 2, 3}, {3});
  auto pad = [&](const std::string& mode, std::vector<int64_t> pads) {
    return Values<float>(
        Run1("Pad", 19, {x, I64(pads), Tensor::Scalar<float>(9)}, {StringAttr("mode", mode)}));
  };
  EXPECT_EQ(pad("constant", {2, 1}), (std::vector<float>{9, 9, 1, 2, 3, 9}));
  EXPECT_EQ(pad("edge", {2, 1}), (std::vector<float>{1, 1, 1, 2, 3, 3}));
  EXPECT_EQ(pad("reflect", {2, 2}), (std::vector<float>{3, 2, 1, 2, 3, 2, 1}));
  EXPECT_EQ(pad("wrap", {2, 1}), (std::vector<float>{2, 3, 1, 2, 3, 1}));
  EXPECT_EQ(pad("constant", {-1, 1}), (std::vector<float>{2, 3, 9}));
  EXPECT_EQ(pad("edge", {-1, 1}), (std::vector<float>{2, 3, 3}));
  // 2-D with axes, opset 2 attribute form.
  Tensor m = T_<float>({1, 2, 3, 4}, {2, 2});
  Tensor y = Run1("Pad", 18, {m, I64({1, 0}), Tensor(), I64({-1})});
  EXPECT_EQ(y.dims(), (Dims{2, 3}));
  EXPECT_EQ(Values<float>(y), (std::vector<float>{0, 1, 2, 0, 3, 4}));
  y = Run1("Pad", 2, {m}, {IntsAttr("pads", {1, 0, 0, 0}), FloatAttr("value", 5)});
  EXPECT_EQ(Values<float>(y), (std::vector<float>{5, 5, 1, 2, 3, 4}));
  EXPECT_EQ(RunErr("Pad", 19, {x, I64({1})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunErr("Pad", 19, {x, I64({-2, -2})}).code(), StatusCode::kInvalidArgument);
}

TEST(MovementKernels, DepthSpaceRoundTrip) {
  Tensor x = Iota({1, 8, 2, 3});
  for (const char* mode : {"DCR", "CRD"}) {
    Tensor y = Run1("DepthToSpace", 13, {x}, {IntAttr("blocksize", 2), StringAttr("mode", mode)});
    EXPECT_EQ(y.dims(), (Dims{1, 2, 4, 6}));
    Tensor z = Run1("SpaceToDepth", 28, {y}, {IntAttr("blocksize", 2), StringAttr("mode", mode)});
    EXPECT_EQ(Values<float>(z), Values<float>(x)) << mode;
  }
  EXPECT_EQ(RunErr("DepthToSpace", 13, {Iota({1, 3, 2, 2})}, {IntAttr("blocksize", 2)}).code(),
            StatusCode::kInvalidArgument);
}

TEST(MovementKernels, ReverseSequenceAndCenterCropPad) {
  Tensor x = Iota({4, 4});
  Tensor y = Run1("ReverseSequence", 10, {x, I64({1, 2, 3, 4})},
                  {IntAttr("batch_axis", 0), IntAttr("time_axis", 1)});
  EXPECT_EQ(Values<float>(y),
            (std::vector<float>{0, 1, 2, 3, 5, 4, 6, 7, 10, 9, 8, 11, 15, 14, 13, 12}));
  EXPECT_EQ(RunErr("ReverseSequence", 10, {x, I64({1, 2, 3, 5})},
                   {IntAttr("batch_axis", 0), IntAttr("time_axis", 1)})
                .code(),
            StatusCode::kInvalidArgument);
  y = Run1("CenterCropPad", 18, {Iota({3, 3}), I64({1, 5})});
  EXPECT_EQ(y.dims(), (Dims{1, 5}));
  EXPECT_EQ(Values<float>(y), (std::vector<float>{0, 3, 4, 5, 0}));
}

}  // namespace
}  // namespace kiln
