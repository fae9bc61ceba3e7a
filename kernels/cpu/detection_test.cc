#include <gtest/gtest.h>

#include <vector>

#include "runtime/session.h"
#include "tests/support/single_node.h"

namespace kiln {
namespace {

std::vector<int64_t> Selected(const Tensor& t) {
  return std::vector<int64_t>(t.data<int64_t>(), t.data<int64_t>() + t.numel());
}

// Six boxes in [y1, x1, y2, x2] form; 0-2 overlap heavily, 3-5 are spread out.
Tensor Boxes() {
  return Tensor::FromVector<float>({0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, -0.1f, 1, 0.9f,
                                    0, 10, 1, 11, 0, 10.1f, 1, 11.1f, 0, 100, 1, 101},
                                   {1, 6, 4});
}
Tensor Scores() {
  return Tensor::FromVector<float>({0.9f, 0.75f, 0.6f, 0.95f, 0.5f, 0.3f}, {1, 1, 6});
}

TEST(NonMaxSuppressionTest, SuppressByIouAndScore) {
  auto r = RunSingleNode("NonMaxSuppression", 11,
                         {Boxes(), Scores(), Tensor::FromVector<int64_t>({3}),
                          Tensor::FromVector<float>({0.5f}), Tensor::FromVector<float>({0.4f})},
                         {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Tensor& t = (*r)[0].tensor;
  ASSERT_EQ(t.dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Selected(t), (std::vector<int64_t>{0, 0, 3, 0, 0, 0}));
}

TEST(NonMaxSuppressionTest, OmittedOptionalInputsSelectNothing) {
  auto r = RunSingleNode("NonMaxSuppression", 10, {Boxes(), Scores()}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{0, 3}));
}

TEST(NonMaxSuppressionTest, CenterPointAndTies) {
  // Two identical boxes with equal scores: the lower index wins; the other is suppressed.
  auto boxes = Tensor::FromVector<float>({0.5f, 0.5f, 1, 1, 0.5f, 0.5f, 1, 1}, {1, 2, 4});
  auto scores = Tensor::FromVector<float>({0.5f, 0.5f}, {1, 1, 2});
  auto r = RunSingleNode("NonMaxSuppression", 11,
                         {boxes, scores, Tensor::Scalar<int64_t>(10), Tensor::Scalar(0.5f)},
                         {IntAttr("center_point_box", 1)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Selected((*r)[0].tensor), (std::vector<int64_t>{0, 0, 0}));
}

TEST(NonMaxSuppressionTest, EmptyBoxes) {
  auto r = RunSingleNode("NonMaxSuppression", 11,
                         {Tensor(DataType::kFloat, {2, 0, 4}), Tensor(DataType::kFloat, {2, 3, 0}),
                          Tensor::Scalar<int64_t>(5)},
                         {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{0, 3}));
}

TEST(NonMaxSuppressionTest, Errors) {
  auto bad_boxes = RunSingleNode("NonMaxSuppression", 11,
                                 {Tensor(DataType::kFloat, {1, 2, 3}), Tensor(DataType::kFloat, {1, 1, 2})},
                                 {});
  EXPECT_FALSE(bad_boxes.ok());
  auto mismatch = RunSingleNode("NonMaxSuppression", 11,
                                {Tensor(DataType::kFloat, {1, 2, 4}), Tensor(DataType::kFloat, {1, 1, 3})},
                                {});
  EXPECT_FALSE(mismatch.ok());
  auto bad_attr = RunSingleNode("NonMaxSuppression", 11, {Boxes(), Scores()},
                                {IntAttr("center_point_box", 2)});
  EXPECT_FALSE(bad_attr.ok());
}

}  // namespace
}  // namespace kiln
