#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "ir/float16.h"
#include "kernels/cpu/kernel_test_util.h"
#include "runtime/session.h"

namespace kiln {
namespace {

using namespace ::kiln::test;  // NOLINT


TEST(GatherKernels, Gather) {
  Tensor x = T_<float>({1, 2, 3, 4, 5, 6}, {3, 2});
  Tensor y = Run1("Gather", 13, {x, I64({2, -3}, {2})});
  EXPECT_EQ(y.dims(), (Dims{2, 2}));
  EXPECT_EQ(Values<float>(y), (std::vector<float>{5, 6, 1, 2}));
  y = Run1("Gather", 13, {x, T_<int32_t>({1}, {})}, {IntAttr("axis", -1)});
  EXPECT_EQ(y.dims(), (Dims{3}));
  EXPECT_EQ(Values<float>(y), (std::vector<float>{2, 4, 6}));
  EXPECT_EQ(Run1("Gather", 13, {x, I64({}, {0, 2})}).dims(), (Dims{0, 2, 2}));
  EXPECT_EQ(RunErr("Gather", 13, {x, I64({3}, {1})}).code(), StatusCode::kInvalidArgument);
}

TEST(GatherKernels, GatherElementsAndScatterElements) {
  Tensor x = T_<int32_t>({1, 2, 3, 4}, {2, 2});
  Tensor y = Run1("GatherElements", 13, {x, I64({0, 0, 1, -2}, {2, 2})}, {IntAttr("axis", 1)});
  EXPECT_EQ(Values<int32_t>(y), (std::vector<int32_t>{1, 1, 4, 3}));
  y = Run1("GatherElements", 13, {x, I64({1, 0}, {1, 2})});
  EXPECT_EQ(Values<int32_t>(y), (std::vector<int32_t>{3, 2}));
  EXPECT_EQ(RunErr("GatherElements", 13, {x, I64({2}, {1, 1})}).code(),
            StatusCode::kInvalidArgument);
  Tensor data = T_<float>({1, 2, 3, 4, 5}, {1, 5});
  Tensor ind = I64({1, 3, 1}, {1, 3});
  Tensor upd = T_<float>({10, 20, 30}, {1, 3});
  y = Run1("ScatterElements", 18, {data, ind, upd}, {IntAttr("axis", 1)});
  EXPECT_EQ(Values<float>(y), (std::vector<float>{1, 30, 3, 20, 5}));
  y = Run1("ScatterElements", 18, {data, ind, upd},
           {IntAttr("axis", 1), StringAttr("reduction", "add")});
  EXPECT_EQ(Values<float>(y), (std::vector<float>{1, 42, 3, 24, 5}));
  y = Run1("ScatterElements", 18, {data, ind, upd},
           {IntAttr("axis", 1), StringAttr("reduction", "min")});
  EXPECT_EQ(Values<float>(y), (std::vector<float>{1, 2, 3, 4, 5}));
  y = Run1("Scatter", 10, {data, ind, upd}, {IntAttr("axis", 1)});
  EXPECT_EQ(Values<float>(y), (std::vector<float>{1, 30, 3, 20, 5}));
  EXPECT_EQ(RunErr("ScatterElements", 18, {data, ind, upd},
                   {IntAttr("axis", 1), StringAttr("reduction", "bad")})
                .code(),
            StatusCode::kInvalidModel);
}

TEST(GatherKernels, GatherNDAndScatterND) {
  Tensor x = T_<int32_t>({0, 1, 2, 3, 4, 5, 6, 7}, {2, 2, 2});
  Tensor y = Run1("GatherND", 13, {x, I64({0, 1, 1, 0}, {2, 2})});
  EXPECT_EQ(y.dims(), (Dims{2, 2}));
  EXPECT_EQ(Values<int32_t>(y), (std::vector<int32_t>{2, 3, 4, 5}));
  y = Run1("GatherND", 13, {x, I64({1, 0}, {2, 1})}, {IntAttr("batch_dims", 1)});
  EXPECT_EQ(y.dims(), (Dims{2, 2}));
  EXPECT_EQ(Values<int32_t>(y), (std::vector<int32_t>{2, 3, 4, 5}));
  EXPECT_EQ(RunErr("GatherND", 13, {x, I64({2}, {1})}).code(), StatusCode::kInvalidArgument);
  Tensor data = T_<float>({1, 2, 3, 4}, {4});
  y = Run1("ScatterND", 18, {data, I64({1, 1}, {2, 1}), T_<float>({5, 6}, {2})},
           {StringAttr("reduction", "mul")});
  EXPECT_EQ(Values<float>(y), (std::vector<float>{1, 60, 3, 4}));
  y = Run1("ScatterND", 13,
           {T_<float>({1, 2, 3, 4}, {2, 2}), I64({1}, {1, 1}), T_<float>({7, 8}, {1, 2})});
  EXPECT_EQ(Values<float>(y), (std::vector<float>{1, 2, 7, 8}));
}

TEST(GatherKernels, CompressAndNonZero) {
  Tensor x = T_<int32_t>({1, 2, 3, 4, 5, 6}, {3, 2});
  Tensor y = Run1("Compress", 11, {x, T_<bool>({false, true}, {2})}, {IntAttr("axis", 0)});
  EXPECT_EQ(y.dims(), (Dims{1, 2}));
  EXPECT_EQ(Values<int32_t>(y), (std::vector<int32_t>{3, 4}));
  y = Run1("Compress", 11, {x, T_<bool>({false, true, true}, {3})});
  EXPECT_EQ(Values<int32_t>(y), (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(
      RunErr("Compress", 11, {x, T_<bool>({false, false, false, true}, {4})}, {IntAttr("axis", 0)})
          .code(),
      StatusCode::kInvalidArgument);
  y = Run1("NonZero", 13, {T_<float>({0, 1, -0.0f, 2}, {2, 2})});
  EXPECT_EQ(y.dims(), (Dims{2, 2}));
  EXPECT_EQ(Values<int64_t>(y), (std::vector<int64_t>{0, 1, 1, 1}));
  EXPECT_EQ(Run1("NonZero", 13, {T_<bool>({}, {0, 3})}).dims(), (Dims{2, 0}));
}

TEST(GatherKernels, TopKTiesAndAxis) {
  Tensor x = T_<int64_t>({3, 1, 3, 2, 1, 3}, {2, 3});
  auto outs = RunN("TopK", 11, {x, I64({2}, {1})}, {}, 2);
  EXPECT_EQ(Values<int64_t>(outs[0].tensor), (std::vector<int64_t>{3, 3, 3, 2}));
  EXPECT_EQ(Values<int64_t>(outs[1].tensor), (std::vector<int64_t>{0, 2, 2, 0}));
  outs = RunN("TopK", 11, {x, I64({1}, {1})}, {IntAttr("axis", 0), IntAttr("largest", 0)}, 2);
  EXPECT_EQ(Values<int64_t>(outs[0].tensor), (std::vector<int64_t>{2, 1, 3}));
  EXPECT_EQ(Values<int64_t>(outs[1].tensor), (std::vector<int64_t>{1, 0, 0}));
  outs = RunN("TopK", 1, {T_<float>({1, 5, 2}, {3})}, {IntAttr("k", 1)}, 2);
  EXPECT_EQ(Values<float>(outs[0].tensor), (std::vector<float>{5}));
  EXPECT_EQ(RunErr("TopK", 11, {x, I64({4}, {1})}, {}, 2).code(), StatusCode::kInvalidArgument);
  // NaN sorts above every number.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  outs = RunN("TopK", 11, {T_<float>({1, nan, 3, nan}, {4}), I64({3}, {1})}, {}, 2);
  EXPECT_EQ(Values<int64_t>(outs[1].tensor), (std::vector<int64_t>{1, 3, 2}));
}

TEST(GatherKernels, Unique) {
  Tensor x = T_<int32_t>({2, 1, 1, 3, 4, 3}, {6});
  auto outs = RunN("Unique", 11, {x}, {IntAttr("sorted", 0)}, 4);
  EXPECT_EQ(Values<int32_t>(outs[0].tensor), (std::vector<int32_t>{2, 1, 3, 4}));
  EXPECT_EQ(Values<int64_t>(outs[1].tensor), (std::vector<int64_t>{0, 1, 3, 4}));
  EXPECT_EQ(Values<int64_t>(outs[2].tensor), (std::vector<int64_t>{0, 1, 1, 2, 3, 2}));
  EXPECT_EQ(Values<int64_t>(outs[3].tensor), (std::vector<int64_t>{1, 2, 2, 1}));
  outs = RunN("Unique", 11, {x}, {}, 4);
  EXPECT_EQ(Values<int32_t>(outs[0].tensor), (std::vector<int32_t>{1, 2, 3, 4}));
  EXPECT_EQ(Values<int64_t>(outs[1].tensor), (std::vector<int64_t>{1, 0, 3, 4}));
  EXPECT_EQ(Values<int64_t>(outs[2].tensor), (std::vector<int64_t>{1, 0, 0, 2, 3, 2}));
  Tensor m = T_<int32_t>({1, 0, 0, 1, 0, 0, 2, 3, 4}, {3, 3});
  outs = RunN("Unique", 11, {m}, {IntAttr("axis", 0)}, 4);
  EXPECT_EQ(outs[0].tensor.dims(), (Dims{2, 3}));
  EXPECT_EQ(Values<int32_t>(outs[0].tensor), (std::vector<int32_t>{1, 0, 0, 2, 3, 4}));
  EXPECT_EQ(Values<int64_t>(outs[3].tensor), (std::vector<int64_t>{2, 1}));
  Tensor s(DataType::kString, {3});
  s.data<std::string>()[0] = "b";
  s.data<std::string>()[1] = "a";
  s.data<std::string>()[2] = "b";
  outs = RunN("Unique", 11, {s}, {}, 1);
  EXPECT_EQ(Values<std::string>(outs[0].tensor), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace kiln
