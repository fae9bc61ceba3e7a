#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernels/cpu/kernel_test_util.h"
#include "runtime/session.h"

namespace kiln {
namespace {

using ::kiln::test::Values;

StatusOr<std::vector<AnyValue>> Einsum(const std::string& eq, const std::vector<Tensor>& ins) {
  return RunSingleNode("Einsum", 12, ins, {StringAttr("equation", eq)});
}

TEST(EinsumKernelTest, MatMulExplicitAndImplicit) {
  Tensor a = Tensor::FromVector<float>({1, 2, 3, 4}, {2, 2});
  Tensor b = Tensor::FromVector<float>({5, 6, 7, 8}, {2, 2});
  for (const char* eq : {"ij,jk->ik", "ij,jk", "i j , j k -> i k"}) {
    auto r = Einsum(eq, {a, b});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{19, 22, 43, 50})) << eq;
  }
  // Implicit output is sorted: "ji" means "ji->ij", a transpose; so does "ij->ji".
  auto r = Einsum("ji", {a});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1, 3, 2, 4}));
  r = Einsum("ij->ji", {a});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1, 3, 2, 4}));
}

TEST(EinsumKernelTest, TraceDiagonalAndSums) {
  Tensor a = Tensor::FromVector<int64_t>({1, 2, 3, 4}, {2, 2});
  auto r = Einsum("ii", {a});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.rank(), 0);
  EXPECT_EQ(Values<int64_t>((*r)[0]), (std::vector<int64_t>{5}));
  r = Einsum("ii->i", {a});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Values<int64_t>((*r)[0]), (std::vector<int64_t>{1, 4}));
  r = Einsum("ij->", {a});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Values<int64_t>((*r)[0]), (std::vector<int64_t>{10}));
  r = Einsum("ij->j", {a});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Values<int64_t>((*r)[0]), (std::vector<int64_t>{4, 6}));
}

TEST(EinsumKernelTest, EllipsisBroadcastAndThreeOperands) {
  // [2, 1, 2] x [3, 2, 1] over "...ij,...jk->...ik" -> [2, 3, 1, 1]... with i = 1, k = 1.
  Tensor a = Tensor::FromVector<double>({1, 2, 3, 4}, {2, 1, 1, 2});
  Tensor b = Tensor::FromVector<double>({1, 1, 1, 0, 0, 1}, {3, 2, 1});
  auto r = Einsum("...ij,...jk->...ik", {a, b});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{2, 3, 1, 1}));
  EXPECT_EQ(Values<double>((*r)[0]), (std::vector<double>{3, 1, 2, 7, 3, 4}));
  Tensor v = Tensor::FromVector<float>({1, 2});
  r = Einsum("i,i,i->", {v, v, v});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{9}));
  // Empty contraction gives zeros.
  Tensor e(DataType::kFloat, {2, 0});
  r = Einsum("ij->i", {e});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{0, 0}));
}

TEST(EinsumKernelTest, Errors) {
  Tensor a = Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_FALSE(Einsum("ij,ij->i", {a, Tensor::FromVector<float>({1, 2}, {1, 2})}).ok());
  EXPECT_FALSE(Einsum("ijk", {a}).ok());
  EXPECT_FALSE(Einsum("ij,jk", {a}).ok());
  EXPECT_FALSE(Einsum("ij->k", {a}).ok());
  EXPECT_FALSE(Einsum("i1", {a}).ok());
}

TEST(DetKernelTest, BatchedSingularAndEmpty) {
  Tensor a = Tensor::FromVector<float>({1, 2, 3, 4, 1, 2, 2, 4}, {2, 2, 2});
  auto r = RunSingleNode("Det", 11, {a}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{2}));
  auto v = Values<float>((*r)[0]);
  EXPECT_NEAR(v[0], -2.0f, 1e-5);
  EXPECT_NEAR(v[1], 0.0f, 1e-6);
  Tensor z(DataType::kDouble, {0, 3, 3});
  r = RunSingleNode("Det", 11, {z}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{0}));
  Tensor m0(DataType::kDouble, {0, 0});
  r = RunSingleNode("Det", 11, {m0}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Values<double>((*r)[0]), (std::vector<double>{1}));
  EXPECT_FALSE(RunSingleNode("Det", 11, {Tensor::FromVector<float>({1, 2})}, {}).ok());
  EXPECT_FALSE(
      RunSingleNode("Det", 11, {Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {2, 3})}, {}).ok());
}

}  // namespace
}  // namespace kiln
