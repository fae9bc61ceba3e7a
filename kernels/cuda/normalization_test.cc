// CUDA normalization family (LayerNormalization, RMSNormalization, BatchNormalization,
// InstanceNormalization, GroupNormalization) against the CPU kernels.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_test_util.h"

namespace kiln {
namespace {

using cuda_test::ExpectCudaMatchesCpu;
using cuda_test::Random;

const DataType kTypes[] = {DataType::kFloat, DataType::kFloat16, DataType::kBFloat16};

double Atol(DataType t) {
  return t == DataType::kFloat ? 1e-5 : (t == DataType::kFloat16 ? 1e-2 : 5e-2);
}
double Rtol(DataType t) {
  return t == DataType::kFloat ? 1e-5 : (t == DataType::kFloat16 ? 1e-2 : 2e-2);
}

std::vector<int64_t> Tail(const std::vector<int64_t>& d, int64_t axis) {
  if (axis < 0) axis += static_cast<int64_t>(d.size());
  return std::vector<int64_t>(d.begin() + axis, d.end());
}

TEST(CudaNormalizationTest, LayerNormMatchesCpu) {
  KILN_REQUIRE_CUDA();
  const std::vector<std::pair<std::vector<int64_t>, int64_t>> cases = {
      {{4, 8}, -1},     {{2, 3, 16}, -1}, {{2, 3, 16}, 1}, {{3, 2000}, -1},
      {{5, 7}, 0},      {{2, 1, 33}, -1}, {{0, 8}, -1},    {{64, 768}, -1},
      {{2, 4, 1500}, 2},
  };
  uint32_t seed = 1;
  for (DataType t : kTypes) {
    for (const auto& [dims, axis] : cases) {
      for (bool with_bias : {true, false}) {
        SCOPED_TRACE(std::string(DataTypeName(t)) + " " + DimsToString(dims) + " axis " +
                     std::to_string(axis) + (with_bias ? " bias" : ""));
        Tensor x = Random(t, dims, seed++, -2, 3);
        Tensor scale = Random(t, Tail(dims, axis), seed++, 0.5, 1.5);
        std::vector<Tensor> inputs = {x, scale};
        if (with_bias) inputs.push_back(Random(t, Tail(dims, axis), seed++));
        const std::vector<Attribute> attrs = {IntAttr("axis", axis), FloatAttr("epsilon", 1e-4f)};
        ExpectCudaMatchesCpu("LayerNormalization", 17, inputs, attrs, Atol(t), Rtol(t));
        // With the Mean and InvStdDev outputs (float: stash_type 1).
        ExpectCudaMatchesCpu("LayerNormalization", 17, inputs, attrs, Atol(t), Rtol(t), 3);
      }
    }
  }
}

TEST(CudaNormalizationTest, LayerNormBroadcastParameters) {
  KILN_REQUIRE_CUDA();
  Tensor x = Random(DataType::kFloat, {2, 3, 4, 5}, 11);
  // Over the tail [4, 5]: a scalar, a row, a column; over all of X: [3, 1, 1] and [2, 3, 4, 5].
  const std::vector<std::vector<int64_t>> shapes = {
      {1}, {5}, {1, 5}, {4, 1}, {1, 1, 4, 5}, {3, 1, 1}, {2, 3, 4, 5}};
  uint32_t seed = 20;
  for (const auto& s : shapes) {
    SCOPED_TRACE(DimsToString(s));
    Tensor scale = Random(DataType::kFloat, s, seed++, 0.5, 1.5);
    Tensor bias = Random(DataType::kFloat, s, seed++);
    ExpectCudaMatchesCpu("LayerNormalization", 17, {x, scale, bias}, {IntAttr("axis", 2)}, 1e-5,
                         1e-5, 3);
  }
}

TEST(CudaNormalizationTest, RmsNormMatchesCpu) {
  KILN_REQUIRE_CUDA();
  const std::vector<std::pair<std::vector<int64_t>, int64_t>> cases = {
      {{4, 8}, -1}, {{2, 3, 16}, -1}, {{2, 3, 16}, 1}, {{3, 4096}, -1}, {{0, 8}, -1}};
  uint32_t seed = 40;
  for (DataType t : kTypes) {
    for (DataType st : kTypes) {
      for (const auto& [dims, axis] : cases) {
        SCOPED_TRACE(std::string(DataTypeName(t)) + " scale " + DataTypeName(st) + " " +
                     DimsToString(dims));
        Tensor x = Random(t, dims, seed++, -2, 2);
        Tensor scale = Random(st, Tail(dims, axis), seed++, 0.5, 1.5);
        ExpectCudaMatchesCpu("RMSNormalization", 23, {x, scale},
                             {IntAttr("axis", axis), FloatAttr("epsilon", 1e-5f)}, Atol(t),
                             Rtol(t));
      }
    }
  }
}

TEST(CudaNormalizationTest, BatchNormInferenceMatchesCpu) {
  KILN_REQUIRE_CUDA();
  const std::vector<std::vector<int64_t>> shapes = {{2, 3, 4, 5}, {4, 6}, {1, 8, 17}, {0, 3, 2}};
  uint32_t seed = 60;
  for (int opset : {7, 9, 14, 15}) {
    for (DataType t : kTypes) {
      for (const auto& dims : shapes) {
        SCOPED_TRACE("opset " + std::to_string(opset) + " " + DataTypeName(t) + " " +
                     DimsToString(dims));
        // From opset 15 the parameters may have their own types: use float for them.
        const DataType pt = opset >= 15 ? DataType::kFloat : t;
        const int64_t c = dims[1];
        std::vector<Tensor> in = {Random(t, dims, seed++), Random(pt, {c}, seed++, 0.5, 1.5),
                                  Random(pt, {c}, seed++), Random(pt, {c}, seed++),
                                  Random(pt, {c}, seed++, 0.5, 2)};
        ExpectCudaMatchesCpu("BatchNormalization", opset, in, {FloatAttr("epsilon", 1e-3f)},
                             Atol(t), Rtol(t));
      }
    }
  }
}

TEST(CudaNormalizationTest, BatchNormNonSpatial) {
  KILN_REQUIRE_CUDA();
  // Opset 7: spatial = 0 takes one parameter per (channel, position).
  std::vector<Tensor> in = {Random(DataType::kFloat, {2, 3, 4}, 70),
                            Random(DataType::kFloat, {3, 4}, 71, 0.5, 1.5),
                            Random(DataType::kFloat, {3, 4}, 72),
                            Random(DataType::kFloat, {3, 4}, 73),
                            Random(DataType::kFloat, {3, 4}, 74, 0.5, 2)};
  ExpectCudaMatchesCpu("BatchNormalization", 7, in, {IntAttr("spatial", 0)}, 1e-5, 1e-5);
}

TEST(CudaNormalizationTest, BatchNormTrainingMatchesCpu) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 80;
  for (DataType t : kTypes) {
    for (const auto& dims : std::vector<std::vector<int64_t>>{{4, 3, 5, 6}, {8, 5}, {2, 4, 1000}}) {
      SCOPED_TRACE(std::string(DataTypeName(t)) + " " + DimsToString(dims));
      const int64_t c = dims[1];
      std::vector<Tensor> in = {Random(t, dims, seed++, -1, 3), Random(t, {c}, seed++, 0.5, 1.5),
                                Random(t, {c}, seed++), Random(t, {c}, seed++),
                                Random(t, {c}, seed++, 0.5, 2)};
      ExpectCudaMatchesCpu("BatchNormalization", 15, in,
                           {IntAttr("training_mode", 1), FloatAttr("momentum", 0.8f)}, Atol(t),
                           Rtol(t), 3);
      // Opset 9: training is signalled by the extra outputs (all five).
      ExpectCudaMatchesCpu("BatchNormalization", 9, in, {}, Atol(t), Rtol(t), 5);
    }
  }
}

TEST(CudaNormalizationTest, InstanceNormMatchesCpu) {
  KILN_REQUIRE_CUDA();
  const std::vector<std::vector<int64_t>> shapes = {
      {2, 3, 4, 5}, {1, 4, 3000}, {3, 2, 1}, {0, 3, 4}, {2, 3, 0}};
  uint32_t seed = 100;
  for (int opset : {6, 22}) {
    for (DataType t : kTypes) {
      for (const auto& dims : shapes) {
        SCOPED_TRACE("opset " + std::to_string(opset) + " " + DataTypeName(t) + " " +
                     DimsToString(dims));
        const int64_t c = dims[1];
        std::vector<Tensor> in = {Random(t, dims, seed++, -1, 2),
                                  Random(t, {c}, seed++, 0.5, 1.5), Random(t, {c}, seed++)};
        ExpectCudaMatchesCpu("InstanceNormalization", opset, in, {FloatAttr("epsilon", 1e-4f)},
                             Atol(t), Rtol(t));
      }
    }
  }
}

TEST(CudaNormalizationTest, GroupNormMatchesCpu) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 120;
  for (DataType t : kTypes) {
    for (const auto& [dims, groups] : std::vector<std::pair<std::vector<int64_t>, int64_t>>{
             {{2, 6, 4, 5}, 3}, {{1, 8, 300}, 2}, {{2, 4, 3}, 4}, {{3, 4, 7}, 1}}) {
      const int64_t c = dims[1];
      SCOPED_TRACE(std::string(DataTypeName(t)) + " " + DimsToString(dims) + " groups " +
                   std::to_string(groups));
      Tensor x = Random(t, dims, seed++, -1, 2);
      // Opset 18: one scale / bias per group; opset 21: one per channel.
      ExpectCudaMatchesCpu(
          "GroupNormalization", 18,
          {x, Random(t, {groups}, seed++, 0.5, 1.5), Random(t, {groups}, seed++)},
          {IntAttr("num_groups", groups)}, Atol(t), Rtol(t));
      ExpectCudaMatchesCpu("GroupNormalization", 21,
                           {x, Random(t, {c}, seed++, 0.5, 1.5), Random(t, {c}, seed++)},
                           {IntAttr("num_groups", groups)}, Atol(t), Rtol(t));
    }
  }
}

TEST(CudaNormalizationTest, LrnMatchesCpu) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 900;
  for (DataType t : kTypes) {
    for (int64_t size : {1, 2, 3, 5}) {
      for (const std::vector<int64_t>& dims :
           {std::vector<int64_t>{2, 7, 5, 4}, std::vector<int64_t>{1, 3, 11},
            std::vector<int64_t>{3, 16}}) {
        Tensor x = cuda_test::Random(t, dims, seed++, -2, 2);
        std::vector<Attribute> attrs = {IntAttr("size", size), FloatAttr("alpha", 0.3f),
                                        FloatAttr("beta", 0.75f), FloatAttr("bias", 1.5f)};
        ExpectCudaMatchesCpu("LRN", 13, {x}, attrs, Atol(t), Rtol(t));
      }
    }
  }
  ExpectCudaMatchesCpu("LRN", 1, {cuda_test::Random(DataType::kFloat, {1, 4, 3, 3}, 7)},
                       {IntAttr("size", 3)}, 1e-6, 1e-5);
}

}  // namespace
}  // namespace kiln
