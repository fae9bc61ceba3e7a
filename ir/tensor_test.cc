#include "ir/tensor.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(TensorTest, CreateZeroedAndView) {
  auto t = Tensor::Create(DataType::kFloat, {2, 3});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->numel(), 6);
  EXPECT_EQ(t->nbytes(), 24u);
  EXPECT_EQ(t->data<float>()[5], 0.0f);
  auto v = t->Reshaped({3, 2});
  ASSERT_TRUE(v.ok());
  v->data<float>()[0] = 7;
  EXPECT_EQ(t->data<float>()[0], 7);  // views share storage
  EXPECT_FALSE(t->Reshaped({4, 2}).ok());
}

TEST(TensorTest, RankZeroAndEmpty) {
  Tensor s = Tensor::Scalar<int64_t>(5);
  EXPECT_EQ(s.rank(), 0);
  EXPECT_EQ(s.numel(), 1);
  EXPECT_EQ(*s.data<int64_t>(), 5);
  auto e = Tensor::Create(DataType::kFloat, {0, 4});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->numel(), 0);
  EXPECT_EQ(e->nbytes(), 0u);
}

TEST(TensorTest, ByteSizeOverflowIsAnError) {
  auto t = Tensor::Create(DataType::kFloat, {int64_t{1} << 40, int64_t{1} << 40});
  EXPECT_FALSE(t.ok());
  auto u = Tensor::Create(DataType::kDouble, {int64_t{1} << 62});
  EXPECT_FALSE(u.ok());
  EXPECT_FALSE(Tensor::Create(DataType::kFloat, {-1}).ok());
}

TEST(TensorTest, PackedAndStringSizes) {
  auto p = Tensor::Create(DataType::kInt4, {5});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->nbytes(), 3u);
  auto s = Tensor::Create(DataType::kString, {2});
  ASSERT_TRUE(s.ok());
  s->data<std::string>()[1] = "hello";
  Tensor c = s->Clone();
  EXPECT_EQ(c.data<std::string>()[1], "hello");
}

}  // namespace
}  // namespace kiln
