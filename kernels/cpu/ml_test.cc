#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/session.h"
#include "tests/support/single_node.h"

namespace kiln {
namespace {

TEST(MlKernelTest, LabelEncoderIntToFloatWithDefault) {
  Tensor x = Tensor::FromVector<int64_t>({1, 7, 3}, {3});
  auto r = RunSingleNode("LabelEncoder", 2, {x},
                         {IntsAttr("keys_int64s", {1, 3}), FloatsAttr("values_floats", {0.5f, 1.5f}),
                          FloatAttr("default_float", 9.0f)},
                         1, "ai.onnx.ml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const float* y = (*r)[0].tensor.data<float>();
  EXPECT_EQ(y[0], 0.5f);
  EXPECT_EQ(y[1], 9.0f);
  EXPECT_EQ(y[2], 1.5f);
}

TEST(MlKernelTest, LabelEncoderMismatchedLengthsIsError) {
  Tensor x = Tensor::FromVector<int64_t>({1}, {1});
  auto r = RunSingleNode("LabelEncoder", 2, {x},
                         {IntsAttr("keys_int64s", {1, 3}), FloatsAttr("values_floats", {0.5f})},
                         1, "ai.onnx.ml");
  EXPECT_FALSE(r.ok());
}

TEST(MlKernelTest, BinarizerEmpty) {
  Tensor x(DataType::kFloat, {0, 3});
  auto r = RunSingleNode("Binarizer", 1, {x}, {FloatAttr("threshold", 1.0f)}, 1, "ai.onnx.ml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{0, 3}));
}

TEST(MlKernelTest, ArrayFeatureExtractorOutOfRange) {
  Tensor x = Tensor::FromVector<float>({1, 2, 3}, {3});
  Tensor ok_i = Tensor::FromVector<int64_t>({2, 0}, {2});
  auto r = RunSingleNode("ArrayFeatureExtractor", 1, {x, ok_i}, {}, 1, "ai.onnx.ml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ((*r)[0].tensor.data<float>()[0], 3.0f);
  Tensor bad = Tensor::FromVector<int64_t>({3}, {1});
  EXPECT_FALSE(RunSingleNode("ArrayFeatureExtractor", 1, {x, bad}, {}, 1, "ai.onnx.ml").ok());
}

TEST(MlKernelTest, TfIdfStringUnigrams) {
  Tensor x(DataType::kString, {4});
  const char* words[] = {"a", "b", "a", "c"};
  for (int i = 0; i < 4; ++i) x.data<std::string>()[i] = words[i];
  auto r = RunSingleNode("TfIdfVectorizer", 9, {x},
                         {StringAttr("mode", "TF"), IntAttr("min_gram_length", 1),
                          IntAttr("max_gram_length", 1), IntAttr("max_skip_count", 0),
                          IntsAttr("ngram_counts", {0}), IntsAttr("ngram_indexes", {1, 0}),
                          StringsAttr("pool_strings", {"a", "c"})});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const float* y = (*r)[0].tensor.data<float>();
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], 2.0f);
}

TEST(MlKernelTest, TensorScatterLinearOverflowIsError) {
  Tensor past(DataType::kFloat, {1, 3, 2});
  Tensor update(DataType::kFloat, {1, 2, 2});
  Tensor wi = Tensor::FromVector<int64_t>({2}, {1});
  EXPECT_FALSE(RunSingleNode("TensorScatter", 24, {past, update, wi}, {}).ok());
  auto r = RunSingleNode("TensorScatter", 24, {past, update, wi}, {StringAttr("mode", "circular")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{1, 3, 2}));
}

}  // namespace
}  // namespace kiln
