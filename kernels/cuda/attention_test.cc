// CUDA Attention (opset 23+) against the CPU kernel.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_test_util.h"

namespace kiln {
namespace {

using cuda_test::ExpectCudaMatchesCpu;
using cuda_test::Random;

const DataType kTypes[] = {DataType::kFloat, DataType::kFloat16, DataType::kBFloat16};

double Atol(DataType t) {
  return t == DataType::kFloat ? 1e-5 : (t == DataType::kFloat16 ? 1e-3 : 5e-3);
}
double Rtol(DataType t) {
  return t == DataType::kFloat ? 1e-4 : (t == DataType::kFloat16 ? 1e-2 : 2e-2);
}

struct Geometry {
  int64_t b, hq, hkv, s, t, d, dv;
};

const Geometry kGeometries[] = {
    {1, 1, 1, 1, 1, 8, 8},     {2, 4, 4, 5, 7, 16, 16},  {2, 4, 2, 3, 9, 8, 12},
    {1, 8, 1, 4, 130, 64, 64}, {1, 2, 2, 70, 70, 32, 32}, {1, 2, 1, 2, 300, 128, 96},
    {2, 3, 3, 1, 65, 5, 3},
};

std::string Name(const Geometry& g, DataType t) {
  return std::string(DataTypeName(t)) + " B" + std::to_string(g.b) + " H" + std::to_string(g.hq) +
         "/" + std::to_string(g.hkv) + " S" + std::to_string(g.s) + " T" + std::to_string(g.t) +
         " D" + std::to_string(g.d) + "/" + std::to_string(g.dv);
}

TEST(CudaAttentionTest, FourDMatchesCpu) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 1;
  for (DataType t : kTypes) {
    for (const Geometry& g : kGeometries) {
      SCOPED_TRACE(Name(g, t));
      Tensor q = Random(t, {g.b, g.hq, g.s, g.d}, seed++);
      Tensor k = Random(t, {g.b, g.hkv, g.t, g.d}, seed++);
      Tensor v = Random(t, {g.b, g.hkv, g.t, g.dv}, seed++);
      ExpectCudaMatchesCpu("Attention", 23, {q, k, v}, {}, Atol(t), Rtol(t));
      ExpectCudaMatchesCpu("Attention", 23, {q, k, v}, {IntAttr("is_causal", 1)}, Atol(t),
                           Rtol(t));
      ExpectCudaMatchesCpu("Attention", 23, {q, k, v}, {FloatAttr("scale", 0.7f)}, Atol(t),
                           Rtol(t));
    }
  }
}

TEST(CudaAttentionTest, MasksMatchCpu) {
  KILN_REQUIRE_CUDA();
  const Geometry g = {2, 4, 2, 5, 70, 16, 16};
  uint32_t seed = 100;
  for (DataType t : kTypes) {
    Tensor q = Random(t, {g.b, g.hq, g.s, g.d}, seed++);
    Tensor k = Random(t, {g.b, g.hkv, g.t, g.d}, seed++);
    Tensor v = Random(t, {g.b, g.hkv, g.t, g.dv}, seed++);
    // Additive masks of several broadcast shapes, in the element type and in float; a bool mask;
    // a mask whose last axis is shorter than the keys (the rest is masked).
    const std::vector<std::vector<int64_t>> shapes = {
        {g.t}, {g.s, g.t}, {g.b, 1, g.s, g.t}, {1, g.hq, 1, g.t}, {g.b, g.hq, g.s, g.t},
        {g.s, 40}};
    for (const auto& ms : shapes) {
      for (DataType mt : {t, DataType::kFloat, DataType::kBool}) {
        SCOPED_TRACE(std::string(DataTypeName(t)) + " mask " + DataTypeName(mt) + " " +
                     DimsToString(ms));
        Tensor mask = Random(mt, ms, seed++, -2, 1);
        if (mt == DataType::kFloat) {
          // Some -inf entries.
          for (int64_t i = 0; i < mask.numel(); i += 7) {
            mask.data<float>()[i] = -std::numeric_limits<float>::infinity();
          }
        }
        ExpectCudaMatchesCpu("Attention", 23, {q, k, v, mask}, {}, Atol(t), Rtol(t));
        ExpectCudaMatchesCpu("Attention", 23, {q, k, v, mask}, {IntAttr("is_causal", 1)},
                             Atol(t), Rtol(t));
      }
    }
  }
}

TEST(CudaAttentionTest, FullyMaskedRowsAreZero) {
  KILN_REQUIRE_CUDA();
  Tensor q = Random(DataType::kFloat, {1, 2, 3, 4}, 200);
  Tensor k = Random(DataType::kFloat, {1, 2, 5, 4}, 201);
  Tensor v = Random(DataType::kFloat, {1, 2, 5, 4}, 202);
  Tensor mask(DataType::kBool, {3, 5});
  for (int64_t i = 0; i < mask.numel(); ++i) mask.data<bool>()[i] = i / 5 != 1;  // row 1 masked
  for (int64_t mode : {0, 1, 2, 3}) {
    ExpectCudaMatchesCpu("Attention", 23, {q, k, v, mask},
                         {IntAttr("qk_matmul_output_mode", mode)}, 1e-5, 1e-4, 4);
  }
  Tensor fmask(DataType::kFloat, {3, 5});
  for (int64_t i = 0; i < fmask.numel(); ++i) {
    fmask.data<float>()[i] = i / 5 == 2 ? -std::numeric_limits<float>::infinity() : 0.5f;
  }
  ExpectCudaMatchesCpu("Attention", 23, {q, k, v, fmask}, {}, 1e-5, 1e-4);
}

TEST(CudaAttentionTest, ThreeDWithHeads) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 300;
  for (DataType t : kTypes) {
    for (const Geometry& g : kGeometries) {
      SCOPED_TRACE(Name(g, t));
      Tensor q = Random(t, {g.b, g.s, g.hq * g.d}, seed++);
      Tensor k = Random(t, {g.b, g.t, g.hkv * g.d}, seed++);
      Tensor v = Random(t, {g.b, g.t, g.hkv * g.dv}, seed++);
      const std::vector<Attribute> attrs = {IntAttr("q_num_heads", g.hq),
                                            IntAttr("kv_num_heads", g.hkv),
                                            IntAttr("is_causal", 1)};
      // With the present K / V outputs.
      ExpectCudaMatchesCpu("Attention", 23, {q, k, v}, attrs, Atol(t), Rtol(t), 3);
    }
  }
}

TEST(CudaAttentionTest, PastKeyValueAndPresent) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 400;
  for (DataType t : kTypes) {
    for (int64_t past : {0, 1, 70}) {
      SCOPED_TRACE(std::string(DataTypeName(t)) + " past " + std::to_string(past));
      const int64_t b = 2, hq = 4, hkv = 2, s = 3, d = 16, dv = 8;
      Tensor q = Random(t, {b, hq, s, d}, seed++);
      Tensor k = Random(t, {b, hkv, s, d}, seed++);
      Tensor v = Random(t, {b, hkv, s, dv}, seed++);
      Tensor pk = Random(t, {b, hkv, past, d}, seed++);
      Tensor pv = Random(t, {b, hkv, past, dv}, seed++);
      Tensor mask = Random(DataType::kBool, {s, past + s}, seed++);
      for (int64_t causal : {0, 1}) {
        ExpectCudaMatchesCpu("Attention", 23, {q, k, v, Tensor(), pk, pv},
                             {IntAttr("is_causal", causal)}, Atol(t), Rtol(t), 3);
        ExpectCudaMatchesCpu("Attention", 23, {q, k, v, mask, pk, pv},
                             {IntAttr("is_causal", causal)}, Atol(t), Rtol(t), 3);
      }
      // 3-D new K / V with a 4-D cache.
      Tensor q3 = Random(t, {b, s, hq * d}, seed++);
      Tensor k3 = Random(t, {b, s, hkv * d}, seed++);
      Tensor v3 = Random(t, {b, s, hkv * dv}, seed++);
      ExpectCudaMatchesCpu("Attention", 23, {q3, k3, v3, Tensor(), pk, pv},
                           {IntAttr("q_num_heads", hq), IntAttr("kv_num_heads", hkv),
                            IntAttr("is_causal", 1)},
                           Atol(t), Rtol(t), 3);
    }
  }
}

TEST(CudaAttentionTest, ScoresOutputModes) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 500;
  for (DataType t : kTypes) {
    Tensor q = Random(t, {1, 2, 4, 8}, seed++);
    Tensor k = Random(t, {1, 2, 100, 8}, seed++);
    Tensor v = Random(t, {1, 2, 100, 8}, seed++);
    Tensor mask = Random(t, {4, 100}, seed++);
    for (int64_t mode : {0, 1, 2, 3}) {
      SCOPED_TRACE(std::string(DataTypeName(t)) + " mode " + std::to_string(mode));
      ExpectCudaMatchesCpu("Attention", 23, {q, k, v, mask},
                           {IntAttr("qk_matmul_output_mode", mode), IntAttr("is_causal", 1)},
                           Atol(t), Rtol(t), 4);
      ExpectCudaMatchesCpu(
          "Attention", 23, {q, k, v, mask},
          {IntAttr("qk_matmul_output_mode", mode), FloatAttr("softcap", 0.5f)}, Atol(t),
          Rtol(t), 4);
    }
  }
}

TEST(CudaAttentionTest, SoftcapAndSoftmaxPrecision) {
  KILN_REQUIRE_CUDA();
  Tensor q = Random(DataType::kFloat, {2, 2, 3, 16}, 600, -3, 3);
  Tensor k = Random(DataType::kFloat, {2, 2, 90, 16}, 601, -3, 3);
  Tensor v = Random(DataType::kFloat, {2, 2, 90, 16}, 602);
  ExpectCudaMatchesCpu("Attention", 23, {q, k, v}, {FloatAttr("softcap", 2.0f)}, 1e-5, 1e-4);
  ExpectCudaMatchesCpu("Attention", 23, {q, k, v}, {IntAttr("softmax_precision", 1)}, 1e-5,
                       1e-4);
}

TEST(CudaAttentionTest, NonpadKvSeqlen) {
  KILN_REQUIRE_CUDA();
  Tensor q = Random(DataType::kFloat, {3, 2, 2, 8}, 700);
  Tensor k = Random(DataType::kFloat, {3, 2, 10, 8}, 701);
  Tensor v = Random(DataType::kFloat, {3, 2, 10, 8}, 702);
  Tensor lens = Tensor::FromVector<int64_t>({10, 4, 2});
  for (int64_t causal : {0, 1}) {
    ExpectCudaMatchesCpu("Attention", 24, {q, k, v, Tensor(), Tensor(), Tensor(), lens},
                         {IntAttr("is_causal", causal)}, 1e-5, 1e-4);
  }
}

TEST(CudaAttentionTest, SlidingWindows) {
  KILN_REQUIRE_CUDA();
  Tensor q = Random(DataType::kFloat, {1, 2, 20, 8}, 800);
  Tensor k = Random(DataType::kFloat, {1, 2, 20, 8}, 801);
  Tensor v = Random(DataType::kFloat, {1, 2, 20, 8}, 802);
  const std::vector<std::pair<int64_t, int64_t>> windows = {{3, -1}, {-1, 2}, {4, 0}, {0, 0}};
  for (const auto& [left, right] : windows) {
    SCOPED_TRACE(std::to_string(left) + " " + std::to_string(right));
    ExpectCudaMatchesCpu("Attention", 25, {q, k, v},
                         {IntAttr("left_window_size", left), IntAttr("right_window_size", right)},
                         1e-5, 1e-4);
  }
}

TEST(CudaAttentionTest, EmptyShapes) {
  KILN_REQUIRE_CUDA();
  // No queries; no keys (every row fully masked: zeros).
  ExpectCudaMatchesCpu("Attention", 23,
                       {Random(DataType::kFloat, {1, 2, 0, 4}, 900),
                        Random(DataType::kFloat, {1, 2, 3, 4}, 901),
                        Random(DataType::kFloat, {1, 2, 3, 4}, 902)},
                       {}, 1e-5, 1e-4);
  ExpectCudaMatchesCpu("Attention", 23,
                       {Random(DataType::kFloat, {1, 2, 3, 4}, 903),
                        Random(DataType::kFloat, {1, 2, 0, 4}, 904),
                        Random(DataType::kFloat, {1, 2, 0, 4}, 905)},
                       {}, 1e-5, 1e-4);
}

}  // namespace
}  // namespace kiln
