// CUDA matrix products (matmul.cc) against the CPU kernels: MatMul (1-D operands, batches,
// broadcast batch dims, empty and k = 0 products), Gemm (transposes, alpha, beta, every C
// broadcast), kiln FusedMatMul and FusedGemm (bias, every activation). float32, float16 and
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

// Tolerances (atol, rtol) per element type: float32 differs by summation order only.
double Atol(DataType dt) { return dt == DataType::kFloat ? 1e-5 : 2e-2; }
double Rtol(DataType dt) {
  return dt == DataType::kFloat ? 1e-5 : (dt == DataType::kFloat16 ? 1e-2 : 2e-2);
}

void Check(const std::string& op, int opset, DataType dt, const std::vector<Tensor>& in,
           const std::vector<Attribute>& attrs = {}, const std::string& domain = "") {
  cuda_test::ExpectCudaMatchesCpu(op, opset, in, attrs, Atol(dt), Rtol(dt), 1, domain);
}

TEST(CudaMatMul, Shapes) {
  KILN_REQUIRE_CUDA();
  struct Case {
    Dims a, b;
  };
  const std::vector<Case> cases = {
      {{3, 4}, {4, 5}},
      {{17, 33}, {33, 9}},        // odd sizes
      {{4}, {4, 5}},              // 1-D A
      {{3, 4}, {4}},              // 1-D B
      {{7}, {7}},                 // dot product: a scalar
      {{2, 3, 4}, {2, 4, 5}},     // batched
      {{5, 3, 4}, {4, 6}},        // B shared: one tall product
      {{2, 3, 4}, {1, 4, 5}},     // B shared through a size-1 batch dim
      {{3, 4}, {5, 4, 6}},        // A shared: stride 0
      {{2, 1, 3, 4}, {3, 4, 5}},  // both broadcast: looped strided calls
      {{2, 1, 3, 4}, {1, 3, 4, 5}},
      {{3, 1, 2, 3, 4}, {1, 2, 1, 4, 5}},  // mixed broadcast over 3 batch dims
      {{4}, {2, 3, 4, 5}},                 // 1-D A against a batch
      {{2, 3, 4}, {4}},                    // batch against 1-D B
      {{0, 4}, {4, 5}},                    // empty output
      {{2, 0, 3, 4}, {4, 5}},              // empty batch
      {{3, 0}, {0, 5}},                    // k = 0: zeros
      {{2, 3, 0}, {2, 0, 4}},              // batched k = 0
  };
  uint32_t seed = 1;
  for (DataType dt : kTypes) {
    for (const Case& c : cases) {
      SCOPED_TRACE(DimsToString(c.a) + " x " + DimsToString(c.b) + " " + DataTypeName(dt));
      Check("MatMul", 13, dt,
            {cuda_test::Random(dt, c.a, seed), cuda_test::Random(dt, c.b, seed + 1)});
      seed += 2;
    }
  }
}

TEST(CudaMatMul, Errors) {
  KILN_REQUIRE_CUDA();
  SessionOptions gpu;
  gpu.devices = {Device::kCuda};
  gpu.strict_placement = true;
  auto r = RunSingleNodeWith(gpu, "MatMul", 13,
                             {cuda_test::Random(DataType::kFloat, {3, 4}, 1),
                              cuda_test::Random(DataType::kFloat, {5, 6}, 2)},
                             {});
  EXPECT_FALSE(r.ok());
  r = RunSingleNodeWith(gpu, "MatMul", 13,
                        {cuda_test::Random(DataType::kFloat, {2, 3, 4}, 1),
                         cuda_test::Random(DataType::kFloat, {3, 4, 5}, 2)},
                        {});
  EXPECT_FALSE(r.ok());
}

TEST(CudaGemm, TransposesAlphaBetaAndC) {
  KILN_REQUIRE_CUDA();
  const int64_t m = 5, k = 7, n = 6;
  const std::vector<Dims> c_shapes = {{}, {1}, {n}, {m, 1}, {1, n}, {m, n}, {1, 1}};
  uint32_t seed = 100;
  for (DataType dt : kTypes) {
    for (int ta = 0; ta < 2; ++ta) {
      for (int tb = 0; tb < 2; ++tb) {
        const Dims ad = ta ? Dims{k, m} : Dims{m, k};
        const Dims bd = tb ? Dims{n, k} : Dims{k, n};
        const Tensor a = cuda_test::Random(dt, ad, ++seed);
        const Tensor b = cuda_test::Random(dt, bd, ++seed);
        const std::vector<Attribute> attrs = {IntAttr("transA", ta), IntAttr("transB", tb),
                                              FloatAttr("alpha", 0.75f), FloatAttr("beta", -1.5f)};
        SCOPED_TRACE(std::string(DataTypeName(dt)) + " transA " + std::to_string(ta) + " transB " +
                     std::to_string(tb));
        Check("Gemm", 13, dt, {a, b}, attrs);  // no C
        for (const Dims& cd : c_shapes) {
          SCOPED_TRACE("C " + DimsToString(cd));
          Check("Gemm", 13, dt, {a, b, cuda_test::Random(dt, cd, ++seed)}, attrs);
        }
      }
    }
    // Defaults (alpha = beta = 1), beta = 0 with a C, opset 6 with broadcast.
    const Tensor a = cuda_test::Random(dt, {4, 3}, ++seed),
                 b = cuda_test::Random(dt, {3, 2}, ++seed);
    const Tensor c = cuda_test::Random(dt, {2}, ++seed);
    Check("Gemm", 13, dt, {a, b, c});
    Check("Gemm", 13, dt, {a, b, c}, {FloatAttr("beta", 0.0f)});
    Check("Gemm", 6, dt, {a, b, c}, {IntAttr("broadcast", 1)});
    // Odd, larger sizes.
    Check("Gemm", 13, dt,
          {cuda_test::Random(dt, {33, 65}, ++seed), cuda_test::Random(dt, {17, 65}, ++seed),
           cuda_test::Random(dt, {33, 17}, ++seed)},
          {IntAttr("transB", 1)});
  }
}

TEST(CudaGemm, EmptyAndZeroK) {
  KILN_REQUIRE_CUDA();
  for (DataType dt : kTypes) {
    SCOPED_TRACE(DataTypeName(dt));
    // k = 0: Y = beta * C, or zeros without C.
    const Tensor a = cuda_test::Random(dt, {3, 0}, 1), b = cuda_test::Random(dt, {0, 4}, 2);
    Check("Gemm", 13, dt, {a, b});
    Check("Gemm", 13, dt, {a, b, cuda_test::Random(dt, {3, 4}, 3)}, {FloatAttr("beta", 2.0f)});
    Check("Gemm", 13, dt, {a, b, cuda_test::Random(dt, {4}, 4)}, {FloatAttr("beta", 0.0f)});
    // Empty output.
    Check("Gemm", 13, dt, {cuda_test::Random(dt, {0, 3}, 5), cuda_test::Random(dt, {3, 4}, 6)});
  }
}

TEST(CudaFusedMatMul, BiasAndActivations) {
  KILN_REQUIRE_CUDA();
  const DataType f32 = DataType::kFloat;
  struct Case {
    Dims a, b;
  };
  const std::vector<Case> cases = {
      {{5, 7}, {7, 6}}, {{2, 3, 7}, {7, 6}}, {{2, 1, 3, 4}, {3, 4, 5}},
      {{4}, {2, 4, 3}}, {{3, 4}, {4}},
  };
  uint32_t seed = 200;
  for (const Case& c : cases) {
    const Tensor a = cuda_test::Random(f32, c.a, ++seed);
    const Tensor b = cuda_test::Random(f32, c.b, ++seed);
    const int64_t n = c.b.size() >= 2 ? c.b.back() : c.a[c.a.size() - 2];
    const Tensor bias = cuda_test::Random(f32, {n}, ++seed);
    for (const ActCase& act : AllActivations()) {
      SCOPED_TRACE(DimsToString(c.a) + " x " + DimsToString(c.b) + " activation '" + act.name +
                   "'");
      Check("FusedMatMul", 1, f32, {a, b, bias}, WithActivation({}, act), "kiln");
      Check("FusedMatMul", 1, f32, {a, b}, WithActivation({}, act), "kiln");
    }
  }
}

TEST(CudaFusedGemm, Activations) {
  KILN_REQUIRE_CUDA();
  const DataType f32 = DataType::kFloat;
  const Tensor a = cuda_test::Random(f32, {7, 5}, 300), b = cuda_test::Random(f32, {6, 7}, 301);
  const Tensor c = cuda_test::Random(f32, {6}, 302);
  const std::vector<Attribute> base = {IntAttr("transA", 1), IntAttr("transB", 1),
                                       FloatAttr("alpha", 1.25f), FloatAttr("beta", 0.5f)};
  for (const ActCase& act : AllActivations()) {
    SCOPED_TRACE("activation '" + act.name + "'");
    Check("FusedGemm", 1, f32, {a, b, c}, WithActivation(base, act), "kiln");
    Check("FusedGemm", 1, f32, {a, b}, WithActivation(base, act), "kiln");
  }
}

}  // namespace
}  // namespace kiln
