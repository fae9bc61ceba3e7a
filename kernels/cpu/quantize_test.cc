#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "ir/float8.h"
#include "runtime/session.h"
#include "tests/support/single_node.h"

namespace kiln {
namespace {

StatusOr<std::vector<AnyValue>> RunQ(const std::string& op, int opset,
                                     const std::vector<Tensor>& inputs,
                                     const std::vector<Attribute>& attrs, int num_outputs = 1) {
  return RunSingleNode(op, opset, inputs, attrs, num_outputs);
}

TEST(QuantizeLinearTest, PerTensorUint8RoundsHalfToEven) {
  auto x = Tensor::FromVector<float>({0, 2, 3, 1000, -254, -1000, 1, 5});
  auto r = RunQ("QuantizeLinear", 10,
                {x, Tensor::Scalar<float>(2.0f), Tensor::Scalar<uint8_t>(128)}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const uint8_t* y = (*r)[0].tensor.data<uint8_t>();
  const uint8_t want[] = {128, 129, 130, 255, 1, 0, 128, 130};  // 0.5 -> 0, 2.5 -> 2
  for (int i = 0; i < 8; ++i) EXPECT_EQ(y[i], want[i]) << i;
}

TEST(QuantizeLinearTest, DefaultsToUint8WithoutZeroPoint) {
  auto r = RunQ("QuantizeLinear", 13,
                {Tensor::FromVector<float>({3.0f, -1.0f}), Tensor::Scalar<float>(1.0f)}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dtype(), DataType::kUint8);
  EXPECT_EQ((*r)[0].tensor.data<uint8_t>()[1], 0);
}

TEST(QuantizeLinearTest, PerAxisNegativeAxis) {
  auto x = Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  auto s = Tensor::FromVector<float>({1, 2, 4});
  auto z = Tensor::FromVector<int8_t>({0, 1, -1});
  auto r = RunQ("QuantizeLinear", 13, {x, s, z}, {IntAttr("axis", -1)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const int8_t* y = (*r)[0].tensor.data<int8_t>();
  const int8_t want[] = {1, 2, 0, 4, 3, 1};  // 5/2 = 2.5 -> 2 + 1; 6/4 = 1.5 -> 2 - 1
  for (int i = 0; i < 6; ++i) EXPECT_EQ(y[i], want[i]) << i;
  auto bad = RunQ("QuantizeLinear", 13, {x, Tensor::FromVector<float>({1, 2}), Tensor()},
                  {IntAttr("axis", 1)});
  EXPECT_FALSE(bad.ok());
  auto bad_axis = RunQ("QuantizeLinear", 13, {x, s, z}, {IntAttr("axis", 2)});
  EXPECT_FALSE(bad_axis.ok());
}

TEST(QuantizeLinearTest, BlockedInt4) {
  // x [2, 3], blocks of 2 along axis 1 -> scale [2, 2]
  auto x = Tensor::FromVector<float>({2, 4, 6, -8, -16, 100}, {2, 3});
  auto s = Tensor::FromVector<float>({2, 1, 4, 8}, {2, 2});
  Tensor z(DataType::kInt4, {2, 2});
  auto r = RunQ("QuantizeLinear", 21, {x, s, z}, {IntAttr("axis", 1), IntAttr("block_size", 2)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Tensor& y = (*r)[0].tensor;
  EXPECT_EQ(y.dtype(), DataType::kInt4);
  const int8_t want[] = {1, 2, 6, -2, -4, 7};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(SignExtend4(GetNibble(y.data<uint8_t>(), i)), want[i]);
  auto bad = RunQ("QuantizeLinear", 21, {x, s, z}, {IntAttr("axis", 1), IntAttr("block_size", 1)});
  EXPECT_FALSE(bad.ok());
}

TEST(QuantizeLinearTest, Float8AndOutputDtype) {
  auto x = Tensor::FromVector<float>({0.5f, 1e6f});
  Tensor z(DataType::kFloat8E4M3FN, {});
  auto r = RunQ("QuantizeLinear", 19, {x, Tensor::Scalar<float>(1.0f), z}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.data<Float8E4M3FN>()[1].bits, 0x7E);
  auto ns =
      RunQ("QuantizeLinear", 19, {x, Tensor::Scalar<float>(1.0f), z}, {IntAttr("saturate", 0)});
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ((*ns)[0].tensor.data<Float8E4M3FN>()[1].bits, 0x7F);
  auto od = RunQ("QuantizeLinear", 21, {x, Tensor::Scalar<float>(1.0f)},
                 {IntAttr("output_dtype", static_cast<int64_t>(DataType::kInt16))});
  ASSERT_TRUE(od.ok()) << od.status().ToString();
  EXPECT_EQ((*od)[0].tensor.dtype(), DataType::kInt16);
  EXPECT_EQ((*od)[0].tensor.data<int16_t>()[1], 32767);
  auto mismatch = RunQ("QuantizeLinear", 21, {x, Tensor::Scalar<float>(1.0f), z},
                       {IntAttr("output_dtype", static_cast<int64_t>(DataType::kInt16))});
  EXPECT_FALSE(mismatch.ok());
}

TEST(DequantizeLinearTest, PerTensorAndPerAxis) {
  auto x = Tensor::FromVector<uint8_t>({0, 3, 128, 255});
  auto r = RunQ("DequantizeLinear", 10,
                {x, Tensor::Scalar<float>(2.0f), Tensor::Scalar<uint8_t>(128)}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const float* y = (*r)[0].tensor.data<float>();
  EXPECT_EQ(y[0], -256.0f);
  EXPECT_EQ(y[3], 254.0f);
  auto xa = Tensor::FromVector<int8_t>({1, 2, 3, 4}, {2, 2});
  auto ra = RunQ("DequantizeLinear", 13,
                 {xa, Tensor::FromVector<float>({1, 10}), Tensor::FromVector<int8_t>({0, 1})},
                 {IntAttr("axis", 0)});
  ASSERT_TRUE(ra.ok()) << ra.status().ToString();
  const float* ya = (*ra)[0].tensor.data<float>();
  EXPECT_EQ(ya[1], 2.0f);
  EXPECT_EQ(ya[2], 20.0f);
  EXPECT_EQ(ya[3], 30.0f);
}

TEST(DequantizeLinearTest, Int4AndFloat16Output) {
  Tensor x(DataType::kInt4, {3});
  x.data<uint8_t>()[0] = 0x87;  // 7, -8
  x.data<uint8_t>()[1] = 0x01;  // 1
  Tensor scale = Tensor::Scalar<Float16>(ToFloat16(0.5f));
  auto r = RunQ("DequantizeLinear", 21, {x, scale}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Tensor& y = (*r)[0].tensor;
  EXPECT_EQ(y.dtype(), DataType::kFloat16);
  EXPECT_EQ(ToFloat(y.data<Float16>()[0]), 3.5f);
  EXPECT_EQ(ToFloat(y.data<Float16>()[1]), -4.0f);
  auto o = RunQ("DequantizeLinear", 23, {x, scale},
                {IntAttr("output_dtype", static_cast<int64_t>(DataType::kFloat))});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ((*o)[0].tensor.dtype(), DataType::kFloat);
  Tensor empty(DataType::kUint8, {0});
  auto e = RunQ("DequantizeLinear", 13, {empty, Tensor::Scalar<float>(1.0f)}, {});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)[0].tensor.numel(), 0);
}

TEST(DynamicQuantizeLinearTest, Example) {
  auto x = Tensor::FromVector<float>({0, 2, -3, -2.5f, 1.34f, 0.5f});
  auto r = RunQ("DynamicQuantizeLinear", 11, {x}, {}, 3);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const uint8_t want[] = {153, 255, 0, 26, 221, 179};
  for (int i = 0; i < 6; ++i) EXPECT_EQ((*r)[0].tensor.data<uint8_t>()[i], want[i]) << i;
  EXPECT_NEAR(*(*r)[1].tensor.data<float>(), 5.0f / 255.0f, 1e-7);
  EXPECT_EQ(*(*r)[2].tensor.data<uint8_t>(), 153);
}

}  // namespace
}  // namespace kiln
