// CUDA convolutions (conv.cc) against the CPU kernels: Conv (1-3 spatial dims, group, depthwise,
// dilations, strides, symmetric and asymmetric pads, every auto_pad, bias or none, empty batch),
// ConvTranspose (strides, output_padding, output_shape, asymmetric pads, auto_pad, group,
// dilations) and kiln FusedConv (bias, residual Z, every activation). float32, float16 and
// bfloat16 with tolerances per type. Skipped where there is no GPU.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_test_util.h"
#include "runtime/session.h"
#include "tests/support/fused_activations.h"

namespace kiln {
namespace {

using test::ActCase;
using test::AllActivations;
using test::WithActivation;

using Dims = std::vector<int64_t>;

const std::vector<DataType> kTypes = {DataType::kFloat, DataType::kFloat16, DataType::kBFloat16};

// float32 differs by summation order only (sums of up to a few hundred products).
double Atol(DataType dt) { return dt == DataType::kFloat ? 1e-4 : 2e-2; }
double Rtol(DataType dt) {
  return dt == DataType::kFloat ? 1e-5 : (dt == DataType::kFloat16 ? 1e-2 : 2e-2);
}

struct ConvCase {
  std::string label;
  Dims x, w;
  bool bias;
  std::vector<Attribute> attrs;
};

std::vector<ConvCase> ConvCases() {
  return {
      {"grouped dilated strided asymmetric pads",
       {2, 4, 7, 6},
       {6, 2, 3, 2},
       true,
       {IntAttr("group", 2), IntsAttr("dilations", {2, 1}), IntsAttr("strides", {1, 2}),
        IntsAttr("pads", {1, 0, 2, 1})}},
      {"1-D SAME_LOWER strided, no bias",
       {1, 3, 9},
       {2, 3, 3},
       false,
       {StringAttr("auto_pad", "SAME_LOWER"), IntsAttr("strides", {2})}},
      {"1-D plain", {2, 5, 16}, {4, 5, 5}, true, {IntsAttr("pads", {2, 2})}},
      {"3-D padded",
       {1, 2, 4, 5, 3},
       {3, 2, 2, 3, 1},
       true,
       {IntsAttr("pads", {0, 1, 0, 1, 0, 0})}},
      {"3-D strided symmetric",
       {2, 3, 6, 6, 6},
       {4, 3, 3, 3, 3},
       true,
       {IntsAttr("pads", {1, 1, 1, 1, 1, 1}), IntsAttr("strides", {2, 2, 2})}},
      {"resnet 3x3",
       {2, 16, 8, 8},
       {16, 16, 3, 3},
       true,
       {IntsAttr("kernel_shape", {3, 3}), IntsAttr("pads", {1, 1, 1, 1})}},
      {"1x1 strided", {1, 32, 6, 6}, {16, 32, 1, 1}, true, {IntsAttr("strides", {2, 2})}},
      {"depthwise SAME_UPPER strided",
       {1, 8, 5, 5},
       {8, 1, 3, 3},
       true,
       {IntAttr("group", 8), IntsAttr("strides", {2, 2}), StringAttr("auto_pad", "SAME_UPPER")}},
      {"even kernel SAME_UPPER (asymmetric)",
       {1, 3, 7, 8},
       {5, 3, 4, 2},
       true,
       {StringAttr("auto_pad", "SAME_UPPER")}},
      {"VALID",
       {1, 3, 7, 8},
       {5, 3, 3, 3},
       false,
       {StringAttr("auto_pad", "VALID"), IntsAttr("strides", {2, 3})}},
      {"odd channels", {3, 7, 11, 9}, {5, 7, 3, 3}, true, {IntsAttr("dilations", {2, 2})}},
      {"empty batch", {0, 3, 5, 5}, {4, 3, 3, 3}, true, {}},
  };
}

// Weights scaled so that outputs stay O(1).
Tensor Weights(DataType dt, const Dims& w, uint32_t seed) {
  return cuda_test::Random(dt, w, seed, -0.5, 0.5);
}

TEST(CudaConv, MatchesCpu) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 1;
  for (DataType dt : kTypes) {
    for (const ConvCase& c : ConvCases()) {
      SCOPED_TRACE(c.label + " " + DataTypeName(dt));
      std::vector<Tensor> in = {cuda_test::Random(dt, c.x, ++seed), Weights(dt, c.w, ++seed)};
      if (c.bias) in.push_back(cuda_test::Random(dt, {c.w[0]}, ++seed));
      cuda_test::ExpectCudaMatchesCpu("Conv", 11, in, c.attrs, Atol(dt), Rtol(dt));
    }
    // An old opset with the same attributes.
    const ConvCase& c = ConvCases()[0];
    cuda_test::ExpectCudaMatchesCpu("Conv", 1,
                                    {cuda_test::Random(dt, c.x, ++seed), Weights(dt, c.w, ++seed),
                                     cuda_test::Random(dt, {c.w[0]}, ++seed)},
                                    c.attrs, Atol(dt), Rtol(dt));
  }
}

TEST(CudaConv, Errors) {
  KILN_REQUIRE_CUDA();
  SessionOptions gpu;
  gpu.devices = {Device::kCuda};
  gpu.strict_placement = true;
  const DataType f32 = DataType::kFloat;
  // Channels disagree.
  auto r = RunSingleNodeWith(
      gpu, "Conv", 11,
      {cuda_test::Random(f32, {1, 3, 5, 5}, 1), cuda_test::Random(f32, {2, 4, 3, 3}, 2)}, {});
  EXPECT_FALSE(r.ok());
  // Window larger than the input.
  r = RunSingleNodeWith(
      gpu, "Conv", 11,
      {cuda_test::Random(f32, {1, 3, 2, 2}, 1), cuda_test::Random(f32, {2, 3, 3, 3}, 2)}, {});
  EXPECT_FALSE(r.ok());
}

struct TransposeCase {
  std::string label;
  Dims x, w;  // w is [C, M / group, k...]
  bool bias;
  std::vector<Attribute> attrs;
};

std::vector<TransposeCase> TransposeCases() {
  return {
      {"stride 2", {1, 4, 5, 5}, {4, 3, 3, 3}, true, {IntsAttr("strides", {2, 2})}},
      {"stride 2 symmetric pads",
       {2, 4, 5, 6},
       {4, 3, 3, 3},
       true,
       {IntsAttr("strides", {2, 2}), IntsAttr("pads", {1, 1, 1, 1})}},
      {"output_padding",
       {1, 4, 5, 5},
       {4, 2, 3, 3},
       true,
       {IntsAttr("strides", {2, 3}), IntsAttr("pads", {1, 1, 1, 1}),
        IntsAttr("output_padding", {1, 2})}},
      {"asymmetric pads",
       {1, 3, 4, 6},
       {3, 2, 3, 2},
       false,
       {IntsAttr("strides", {2, 1}), IntsAttr("pads", {0, 1, 2, 0})}},
      {"output_shape",
       {1, 3, 4, 4},
       {3, 2, 3, 3},
       true,
       {IntsAttr("strides", {2, 2}), IntsAttr("output_shape", {10, 8})}},
      {"output_shape larger than the full result (negative pads)",
       {1, 2, 3, 3},
       {2, 2, 2, 2},
       true,
       {IntsAttr("strides", {1, 1}), IntsAttr("output_shape", {6, 5})}},
      {"SAME_UPPER",
       {1, 3, 5, 4},
       {3, 2, 3, 3},
       true,
       {StringAttr("auto_pad", "SAME_UPPER"), IntsAttr("strides", {2, 2})}},
      {"SAME_LOWER",
       {1, 3, 5, 4},
       {3, 2, 4, 3},
       false,
       {StringAttr("auto_pad", "SAME_LOWER"), IntsAttr("strides", {2, 2})}},
      {"group and dilations",
       {2, 4, 5, 5},
       {4, 3, 3, 3},
       true,
       {IntAttr("group", 2), IntsAttr("dilations", {2, 2}), IntsAttr("strides", {2, 1})}},
      {"1-D", {2, 3, 7}, {3, 4, 3}, true, {IntsAttr("strides", {3}), IntsAttr("pads", {1, 1})}},
      {"3-D",
       {1, 2, 3, 4, 3},
       {2, 3, 2, 3, 2},
       true,
       {IntsAttr("strides", {2, 1, 2}), IntsAttr("pads", {0, 1, 1, 0, 1, 0})}},
      {"empty batch", {0, 3, 4, 4}, {3, 2, 3, 3}, true, {}},
  };
}

TEST(CudaConvTranspose, MatchesCpu) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 500;
  for (DataType dt : kTypes) {
    for (const TransposeCase& c : TransposeCases()) {
      SCOPED_TRACE(c.label + " " + DataTypeName(dt));
      int64_t group = 1;
      for (const Attribute& a : c.attrs) {
        if (a.name == "group") group = a.i;
      }
      std::vector<Tensor> in = {cuda_test::Random(dt, c.x, ++seed), Weights(dt, c.w, ++seed)};
      if (c.bias) in.push_back(cuda_test::Random(dt, {c.w[1] * group}, ++seed));
      cuda_test::ExpectCudaMatchesCpu("ConvTranspose", 11, in, c.attrs, Atol(dt), Rtol(dt));
    }
  }
}

TEST(CudaFusedConv, BiasResidualActivations) {
  KILN_REQUIRE_CUDA();
  const DataType f32 = DataType::kFloat;
  SessionOptions cpu;
  uint32_t seed = 900;
  for (const ConvCase& c : ConvCases()) {
    const Tensor x = cuda_test::Random(f32, c.x, ++seed);
    const Tensor w = Weights(f32, c.w, ++seed);
    const Tensor b = c.bias ? cuda_test::Random(f32, {c.w[0]}, ++seed) : Tensor();
    // Y's shape for Z, from the CPU's Conv.
    auto conv = RunSingleNodeWith(cpu, "Conv", 11,
                                  c.bias ? std::vector<Tensor>{x, w, b} : std::vector<Tensor>{x, w},
                                  c.attrs);
    ASSERT_TRUE(conv.ok()) << conv.status().ToString();
    const Tensor z = cuda_test::Random(f32, (*conv)[0].tensor.dims(), ++seed);
    for (const ActCase& act : AllActivations()) {
      const std::vector<Attribute> attrs = WithActivation(c.attrs, act);
      for (bool with_z : {false, true}) {
        SCOPED_TRACE(c.label + ", activation '" + act.name + "'" + (with_z ? ", Z" : ""));
        std::vector<Tensor> in = {x, w, b};
        if (with_z) in.push_back(z);
        cuda_test::ExpectCudaMatchesCpu("FusedConv", 1, in, attrs, Atol(f32), Rtol(f32), 1, "kiln");
      }
    }
  }
}

}  // namespace
}  // namespace kiln
