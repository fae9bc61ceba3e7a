// CUDA reductions (ReduceSum ... ReduceLogSumExp, ArgMax, ArgMin) against the CPU kernels.
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

const DataType kFloats[] = {DataType::kFloat, DataType::kFloat16, DataType::kBFloat16};

double Atol(DataType t) {
  return t == DataType::kFloat ? 1e-4 : (t == DataType::kFloat16 ? 1e-2 : 5e-2);
}
double Rtol(DataType t) {
  return t == DataType::kFloat ? 1e-5 : (t == DataType::kFloat16 ? 1e-2 : 2e-2);
}

struct Case {
  std::vector<int64_t> dims;
  std::vector<int64_t> axes;  // empty: all axes (no attribute / no input)
  int64_t keepdims;
};

// Shapes that exercise each kernel path: inner reductions short (warp per output) and long
// (block per output), kept inner dims (column groups), non-contiguous axes, size-1 and empty dims.
const std::vector<Case> kCases = {
    {{3, 4, 5}, {1}, 1},     {{3, 4, 5}, {2}, 0},      {{3, 4, 5}, {0}, 1},
    {{3, 4, 5}, {0, 2}, 0},  {{3, 4, 5}, {-1, -2}, 1}, {{3, 4, 5}, {}, 0},
    {{6, 300}, {1}, 1},      {{4, 5000}, {-1}, 0},     {{3000, 5}, {0}, 1},
    {{2, 3, 1, 4, 5}, {1, 3}, 1}, {{2, 1, 70}, {1, 2}, 0}, {{7}, {0}, 0},
    {{2, 3, 4, 5, 6}, {0, 2, 4}, 0}, {{0, 3}, {0}, 1}, {{3, 0}, {1}, 0},
    {{0, 3}, {1}, 1},
};

// Runs `op` on `x` with the axes as attribute (opset < axes_since) or input (opset >= since).
void Check(const std::string& op, int opset, int axes_since, const Tensor& x, const Case& c,
           double atol, double rtol) {
  std::vector<Attribute> attrs = {IntAttr("keepdims", c.keepdims)};
  std::vector<Tensor> inputs = {x};
  if (!c.axes.empty()) {
    if (opset >= axes_since) {
      inputs.push_back(Tensor::FromVector<int64_t>(c.axes));
    } else {
      attrs.push_back(IntsAttr("axes", c.axes));
    }
  }
  SCOPED_TRACE(op + " opset " + std::to_string(opset) + " " + DataTypeName(x.dtype()) + " " +
               DimsToString(x.dims()) + " axes " + DimsToString(c.axes) + " keepdims " +
               std::to_string(c.keepdims));
  ExpectCudaMatchesCpu(op, opset, inputs, attrs, atol, rtol);
}

struct OpInfo {
  const char* name;
  int axes_since;
  double lo, hi;  // input range
  bool ints;
};

const OpInfo kOps[] = {
    {"ReduceSum", 13, -1, 1, true},         {"ReduceMean", 18, -1, 1, true},
    {"ReduceMax", 18, -1, 1, true},         {"ReduceMin", 18, -1, 1, true},
    {"ReduceProd", 18, 0.9, 1.1, true},     {"ReduceL1", 18, -1, 1, true},
    {"ReduceL2", 18, -1, 1, false},         {"ReduceSumSquare", 18, -1, 1, true},
    {"ReduceLogSum", 18, 0.1, 1, false},    {"ReduceLogSumExp", 18, -3, 3, false},
};

TEST(CudaReduceTest, FloatOpsMatchCpu) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 1;
  for (const OpInfo& op : kOps) {
    for (int opset : {11, op.axes_since}) {
      for (DataType t : kFloats) {
        if (t == DataType::kBFloat16 && opset < 13) continue;
        for (const Case& c : kCases) {
          // Products of thousands of elements under/overflow differently in float and double.
          if (std::string(op.name) == "ReduceProd" && c.dims.size() == 2 && c.dims[1] == 5000) {
            continue;
          }
          Tensor x = Random(t, c.dims, seed++, op.lo, op.hi);
          double atol = Atol(t), rtol = Rtol(t);
          if (std::string(op.name) == "ReduceProd") {
            atol = 0;
            rtol = t == DataType::kFloat ? 1e-3 : rtol * 5;
          }
          Check(op.name, opset, op.axes_since, x, c, atol, rtol);
        }
      }
    }
  }
}

TEST(CudaReduceTest, IntegerOpsMatchCpuExactly) {
  KILN_REQUIRE_CUDA();
  uint32_t seed = 100;
  for (const OpInfo& op : kOps) {
    if (!op.ints) continue;
    const bool prod = std::string(op.name) == "ReduceProd";
    for (DataType t : {DataType::kInt32, DataType::kInt64}) {
      for (const Case& c : kCases) {
        // Integer products wrap around; keep them small enough to compare exactly anyway.
        Tensor x = Random(t, c.dims, seed++, prod ? -2 : -50, prod ? 3 : 50);
        Check(op.name, op.axes_since, op.axes_since, x, c, 0, 0);
      }
    }
  }
}

TEST(CudaReduceTest, EmptyAxesInput) {
  KILN_REQUIRE_CUDA();
  Tensor x = Random(DataType::kFloat, {3, 4}, 5, 0.1, 2);
  const Tensor no_axes = Tensor::FromVector<int64_t>({});
  for (const OpInfo& op : kOps) {
    const int opset = op.axes_since;
    SCOPED_TRACE(op.name);
    // Empty axes reduce everything, or (noop_with_empty_axes) each element alone.
    ExpectCudaMatchesCpu(op.name, opset, {x, no_axes}, {}, 1e-5, 1e-5);
    ExpectCudaMatchesCpu(op.name, opset, {x, no_axes}, {IntAttr("noop_with_empty_axes", 1)}, 1e-5,
                         1e-5);
    ExpectCudaMatchesCpu(op.name, opset, {x}, {IntAttr("noop_with_empty_axes", 1)}, 1e-5, 1e-5);
  }
}

TEST(CudaReduceTest, NaNAndInfinities) {
  KILN_REQUIRE_CUDA();
  const float inf = std::numeric_limits<float>::infinity();
  Tensor x = Tensor::FromVector<float>({1, std::nanf(""), 3, -inf, 2, 5, inf, 1, -inf, -inf, 0, 4},
                                       {3, 4});
  for (const OpInfo& op : kOps) {
    SCOPED_TRACE(op.name);
    for (int64_t axis : {0, 1}) {
      ExpectCudaMatchesCpu(op.name, 11, {x}, {IntsAttr("axes", {axis})}, 1e-5, 1e-5);
    }
  }
}

TEST(CudaReduceTest, ArgMaxArgMinMatchCpu) {
  KILN_REQUIRE_CUDA();
  const std::vector<std::pair<std::vector<int64_t>, int64_t>> cases = {
      {{3, 4, 5}, 0}, {{3, 4, 5}, 1}, {{3, 4, 5}, 2}, {{3, 4, 5}, -1}, {{6, 1000}, 1},
      {{2, 33}, -1},  {{7}, 0},       {{1000, 3}, 0}, {{0, 4}, 1},     {{4, 1}, 1},
  };
  const DataType types[] = {DataType::kFloat, DataType::kFloat16, DataType::kBFloat16,
                            DataType::kInt32, DataType::kInt64};
  uint32_t seed = 200;
  for (const char* op : {"ArgMax", "ArgMin"}) {
    for (int opset : {11, 12, 13}) {
      for (DataType t : types) {
        if (t == DataType::kBFloat16 && opset < 13) continue;
        for (const auto& [dims, axis] : cases) {
          for (int64_t keepdims : {0, 1}) {
            for (int64_t last : {0, 1}) {
              if (last == 1 && opset < 12) continue;
              // Few distinct values, so ties are common and select_last_index matters.
              Tensor x = Random(t, dims, seed++, -3, 3);
              if (t != DataType::kInt32 && t != DataType::kInt64) {
                Tensor r = Random(DataType::kInt32, dims, seed++, -3, 3);
                x = Tensor(t, dims);
                for (int64_t i = 0; i < x.numel(); ++i) {
                  const float v = static_cast<float>(r.data<int32_t>()[i]);
                  if (t == DataType::kFloat) x.data<float>()[i] = v;
                  if (t == DataType::kFloat16) x.data<Float16>()[i] = ToFloat16(v);
                  if (t == DataType::kBFloat16) x.data<BFloat16>()[i] = ToBFloat16(v);
                }
              }
              std::vector<Attribute> attrs = {IntAttr("axis", axis),
                                              IntAttr("keepdims", keepdims)};
              if (opset >= 12) attrs.push_back(IntAttr("select_last_index", last));
              SCOPED_TRACE(std::string(op) + " opset " + std::to_string(opset) + " " +
                           DataTypeName(t) + " " + DimsToString(dims) + " axis " +
                           std::to_string(axis) + " last " + std::to_string(last));
              ExpectCudaMatchesCpu(op, opset, {x}, attrs, 0, 0);
            }
          }
        }
      }
    }
  }
}

TEST(CudaReduceTest, ArgMaxWithNaN) {
  KILN_REQUIRE_CUDA();
  Tensor x = Tensor::FromVector<float>({1, std::nanf(""), 3, std::nanf(""), 2, 5, 5, 1}, {2, 4});
  for (const char* op : {"ArgMax", "ArgMin"}) {
    for (int64_t last : {0, 1}) {
      for (int64_t axis : {0, 1}) {
        ExpectCudaMatchesCpu(op, 13, {x},
                             {IntAttr("axis", axis), IntAttr("select_last_index", last)}, 0, 0);
      }
    }
  }
}

}  // namespace
}  // namespace kiln
