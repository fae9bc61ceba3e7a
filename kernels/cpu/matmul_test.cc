#include <gtest/gtest.h>

#include <vector>

#include "ir/float16.h"
#include "kernels/cpu/kernel_test_util.h"
#include "runtime/session.h"

namespace kiln {
namespace {

using ::kiln::test::Values;

TEST(MatMulKernelTest, TwoByTwo) {
  Tensor a = Tensor::FromVector<float>({1, 2, 3, 4}, {2, 2});
  Tensor b = Tensor::FromVector<float>({5, 6, 7, 8}, {2, 2});
  auto r = RunSingleNode("MatMul", 13, {a, b}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{19, 22, 43, 50}));
}

TEST(MatMulKernelTest, OneDimensionalOperands) {
  Tensor v = Tensor::FromVector<float>({1, 2, 3});
  auto dot = RunSingleNode("MatMul", 13, {v, v}, {});
  ASSERT_TRUE(dot.ok()) << dot.status().ToString();
  EXPECT_EQ((*dot)[0].tensor.rank(), 0);
  EXPECT_EQ(Values<float>((*dot)[0])[0], 14.0f);
  // [3] x [2, 3, 2] -> [2, 2]
  Tensor b = Tensor::FromVector<float>({1, 0, 0, 1, 1, 1, 2, 0, 0, 2, 1, 1}, {2, 3, 2});
  auto r = RunSingleNode("MatMul", 13, {v, b}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{4, 5, 5, 7}));
  // [2, 3] x [3] -> [2]
  Tensor a = Tensor::FromVector<float>({1, 1, 1, 0, 1, 0}, {2, 3});
  auto r2 = RunSingleNode("MatMul", 13, {a, v}, {});
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(Values<float>((*r2)[0]), (std::vector<float>{6, 2}));
}

TEST(MatMulKernelTest, BatchBroadcast) {
  // A [2, 1, 1, 2] x B [3, 2, 1] -> [2, 3, 1, 1]
  Tensor a = Tensor::FromVector<double>({1, 2, 3, 4}, {2, 1, 1, 2});
  Tensor b = Tensor::FromVector<double>({1, 1, 1, 0, 0, 1}, {3, 2, 1});
  auto r = RunSingleNode("MatMul", 13, {a, b}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{2, 3, 1, 1}));
  EXPECT_EQ(Values<double>((*r)[0]), (std::vector<double>{3, 1, 2, 7, 3, 4}));
}

TEST(MatMulKernelTest, IntegerAndHalfTypes) {
  Tensor a = Tensor::FromVector<int64_t>({1, 2, 3, 4}, {2, 2});
  auto r = RunSingleNode("MatMul", 13, {a, a}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<int64_t>((*r)[0]), (std::vector<int64_t>{7, 10, 15, 22}));
  Tensor h(DataType::kFloat16, {2, 2});
  for (int i = 0; i < 4; ++i) h.data<Float16>()[i] = ToFloat16(static_cast<float>(i + 1));
  auto rh = RunSingleNode("MatMul", 13, {h, h}, {});
  ASSERT_TRUE(rh.ok()) << rh.status().ToString();
  EXPECT_EQ(ToFloat((*rh)[0].tensor.data<Float16>()[3]), 22.0f);
}

TEST(MatMulKernelTest, EmptyAndErrors) {
  Tensor a(DataType::kFloat, {0, 3});
  Tensor b(DataType::kFloat, {3, 4});
  auto r = RunSingleNode("MatMul", 13, {a, b}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{0, 4}));
  // K == 0 gives zeros.
  auto z = RunSingleNode("MatMul", 13,
                         {Tensor(DataType::kFloat, {2, 0}), Tensor(DataType::kFloat, {0, 2})}, {});
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(Values<float>((*z)[0]), (std::vector<float>{0, 0, 0, 0}));
  auto bad = RunSingleNode("MatMul", 13, {b, b}, {});
  EXPECT_FALSE(bad.ok());
  auto bad_type = RunSingleNode(
      "MatMul", 13, {Tensor(DataType::kInt8, {1, 1}), Tensor(DataType::kInt8, {1, 1})}, {});
  EXPECT_FALSE(bad_type.ok());
}

TEST(GemmKernelTest, TransposeAlphaBetaBroadcastC) {
  Tensor a = Tensor::FromVector<float>({1, 3, 2, 4}, {2, 2});  // A^T = [[1,2],[3,4]]
  Tensor b = Tensor::FromVector<float>({5, 7, 6, 8}, {2, 2});  // B^T = [[5,6],[7,8]]
  Tensor c = Tensor::FromVector<float>({1, 2}, {2});
  auto r = RunSingleNode("Gemm", 13, {a, b, c},
                         {IntAttr("transA", 1), IntAttr("transB", 1), FloatAttr("alpha", 2.0f),
                          FloatAttr("beta", 10.0f)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{48, 64, 96, 120}));
  // Column vector C [2, 1], no C, scalar C.
  Tensor col = Tensor::FromVector<float>({1, 2}, {2, 1});
  auto rc = RunSingleNode("Gemm", 13, {a, b, col}, {IntAttr("transA", 1), IntAttr("transB", 1)});
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(Values<float>((*rc)[0]), (std::vector<float>{20, 23, 45, 52}));
  auto rn = RunSingleNode("Gemm", 13, {a, b}, {IntAttr("transA", 1), IntAttr("transB", 1)});
  ASSERT_TRUE(rn.ok()) << rn.status().ToString();
  EXPECT_EQ(Values<float>((*rn)[0]), (std::vector<float>{19, 22, 43, 50}));
  auto rs = RunSingleNode("Gemm", 13, {a, b, Tensor::Scalar<float>(1.0f)},
                          {IntAttr("transA", 1), IntAttr("transB", 1)});
  ASSERT_TRUE(rs.ok());
  EXPECT_EQ(Values<float>((*rs)[0]), (std::vector<float>{20, 23, 44, 51}));
}

TEST(GemmKernelTest, Errors) {
  Tensor a = Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  auto r = RunSingleNode("Gemm", 13, {a, a}, {});
  EXPECT_FALSE(r.ok());
  Tensor b = Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {3, 2});
  Tensor c = Tensor::FromVector<float>({1, 2, 3}, {3});
  auto rc = RunSingleNode("Gemm", 13, {a, b, c}, {});
  EXPECT_FALSE(rc.ok());
  auto r3 = RunSingleNode("Gemm", 13, {Tensor(DataType::kFloat, {1, 2, 3}), b}, {});
  EXPECT_FALSE(r3.ok());
}

TEST(MatMulIntegerKernelTest, ZeroPoints) {
  Tensor a = Tensor::FromVector<uint8_t>({11, 12, 13, 14}, {2, 2});
  Tensor b = Tensor::FromVector<int8_t>({1, -1, 2, 0}, {2, 2});
  auto r = RunSingleNode("MatMulInteger", 10, {a, b, Tensor::Scalar<uint8_t>(10)}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<int32_t>((*r)[0]), (std::vector<int32_t>{5, -1, 11, -3}));
  // Per-column B zero point.
  Tensor bz = Tensor::FromVector<int8_t>({1, -1}, {2});
  auto r2 = RunSingleNode("MatMulInteger", 10, {a, b, Tensor::Scalar<uint8_t>(10), bz}, {});
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(Values<int32_t>((*r2)[0]), (std::vector<int32_t>{2, 2, 4, 4}));
}

TEST(QLinearMatMulKernelTest, Requantizes) {
  Tensor a = Tensor::FromVector<uint8_t>({2, 4}, {1, 2});
  Tensor b = Tensor::FromVector<uint8_t>({1, 3}, {2, 1});
  auto r = RunSingleNode(
      "QLinearMatMul", 10,
      {a, Tensor::Scalar<float>(0.5f), Tensor::Scalar<uint8_t>(0), b, Tensor::Scalar<float>(1.0f),
       Tensor::Scalar<uint8_t>(1), Tensor::Scalar<float>(0.25f), Tensor::Scalar<uint8_t>(100)},
      {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // (2*0 + 4*2) * 0.5 / 0.25 + 100 = 116
  EXPECT_EQ(Values<uint8_t>((*r)[0]), (std::vector<uint8_t>{116}));
}

}  // namespace
}  // namespace kiln
