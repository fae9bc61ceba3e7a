// Helpers for CUDA kernel tests: skip (saying why) where there is no GPU, and compare one node run
// on the GPU (strict placement: it must land there) with the same node run on the CPU.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ir/float16.h"
#include "runtime/session.h"
#include "tests/support/single_node.h"

namespace kiln::cuda_test {

// Skips the test with the reason when no CUDA device can be used here.
#define KILN_REQUIRE_CUDA()                                                   \
  do {                                                                        \
    ::kiln::Status _kiln_cuda = ::kiln::DeviceStatus(::kiln::Device::kCuda);  \
    if (!_kiln_cuda.ok()) GTEST_SKIP() << "no GPU here: " << _kiln_cuda.ToString(); \
  } while (0)

// Element i of a numeric or bool tensor as a double.
inline double ElementAsDouble(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::kFloat: return t.data<float>()[i];
    case DataType::kDouble: return t.data<double>()[i];
    case DataType::kFloat16: return ToFloat(t.data<Float16>()[i]);
    case DataType::kBFloat16: return ToFloat(t.data<BFloat16>()[i]);
    case DataType::kInt8: return t.data<int8_t>()[i];
    case DataType::kUint8: return t.data<uint8_t>()[i];
    case DataType::kInt16: return t.data<int16_t>()[i];
    case DataType::kUint16: return t.data<uint16_t>()[i];
    case DataType::kInt32: return t.data<int32_t>()[i];
    case DataType::kUint32: return t.data<uint32_t>()[i];
    case DataType::kInt64: return static_cast<double>(t.data<int64_t>()[i]);
    case DataType::kUint64: return static_cast<double>(t.data<uint64_t>()[i]);
    case DataType::kBool: return t.data<bool>()[i] ? 1 : 0;
    default: ADD_FAILURE() << "ElementAsDouble: unsupported " << DataTypeName(t.dtype()); return 0;
  }
}

// Sets element i of a numeric or bool tensor to `v` (converted as static_cast does).
inline void SetElement(Tensor& t, int64_t i, double v) {
  switch (t.dtype()) {
    case DataType::kFloat:
      t.data<float>()[i] = static_cast<float>(v);
      break;
    case DataType::kDouble:
      t.data<double>()[i] = v;
      break;
    case DataType::kFloat16:
      t.data<Float16>()[i] = ToFloat16(static_cast<float>(v));
      break;
    case DataType::kBFloat16:
      t.data<BFloat16>()[i] = ToBFloat16(static_cast<float>(v));
      break;
    case DataType::kInt32:
      t.data<int32_t>()[i] = static_cast<int32_t>(v);
      break;
    case DataType::kInt64:
      t.data<int64_t>()[i] = static_cast<int64_t>(v);
      break;
    case DataType::kInt8:
      t.data<int8_t>()[i] = static_cast<int8_t>(v);
      break;
    case DataType::kUint8:
      t.data<uint8_t>()[i] = static_cast<uint8_t>(v);
      break;
    case DataType::kBool:
      t.data<bool>()[i] = v != 0;
      break;
    default:
      ADD_FAILURE() << "SetElement: unsupported " << DataTypeName(t.dtype());
  }
}

// A tensor of `dims` holding `v` (row-major), converted as SetElement does.
inline Tensor Values(DataType type, std::vector<int64_t> dims, const std::vector<double>& v) {
  Tensor t(type, std::move(dims));
  for (int64_t i = 0; i < t.numel(); ++i) SetElement(t, i, v[i]);
  return t;
}

// A tensor of `dims` with uniform values in [lo, hi) of element type `dtype` (floats or ints).
inline Tensor Random(DataType dtype, std::vector<int64_t> dims, uint32_t seed, double lo = -1,
                     double hi = 1) {
  Tensor t(dtype, std::move(dims));
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double v = u(gen);
    switch (dtype) {
      case DataType::kFloat: t.data<float>()[i] = static_cast<float>(v); break;
      case DataType::kDouble: t.data<double>()[i] = v; break;
      case DataType::kFloat16: t.data<Float16>()[i] = ToFloat16(static_cast<float>(v)); break;
      case DataType::kBFloat16: t.data<BFloat16>()[i] = ToBFloat16(static_cast<float>(v)); break;
      case DataType::kInt32: t.data<int32_t>()[i] = static_cast<int32_t>(std::floor(v)); break;
      case DataType::kInt64: t.data<int64_t>()[i] = static_cast<int64_t>(std::floor(v)); break;
      case DataType::kInt8: t.data<int8_t>()[i] = static_cast<int8_t>(std::floor(v)); break;
      case DataType::kUint8: t.data<uint8_t>()[i] = static_cast<uint8_t>(std::floor(v)); break;
      case DataType::kBool: t.data<bool>()[i] = v > (lo + hi) / 2; break;
      default: ADD_FAILURE() << "Random: unsupported " << DataTypeName(dtype); return t;
    }
  }
  return t;
}

// Runs one node on the CPU and, with strict placement, on CUDA; expects equal types and shapes
// and |gpu - cpu| <= atol + rtol * |cpu| element by element (NaN matches NaN).
inline void ExpectCudaMatchesCpu(const std::string& op, int opset, const std::vector<Tensor>& inputs,
                                 const std::vector<Attribute>& attrs, double atol, double rtol,
                                 int num_outputs = 1, const std::string& domain = "") {
  SessionOptions cpu;
  SessionOptions gpu;
  gpu.devices = {Device::kCuda};
  gpu.strict_placement = true;
  auto want = RunSingleNodeWith(cpu, op, opset, inputs, attrs, num_outputs, domain);
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  auto got = RunSingleNodeWith(gpu, op, opset, inputs, attrs, num_outputs, domain);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), want->size());
  for (size_t k = 0; k < want->size(); ++k) {
    const Tensor& w = (*want)[k].tensor;
    const Tensor& g = (*got)[k].tensor;
    ASSERT_EQ(g.dtype(), w.dtype()) << op << " output " << k;
    ASSERT_EQ(g.dims(), w.dims()) << op << " output " << k;
    int reported = 0;
    for (int64_t i = 0; i < w.numel(); ++i) {
      const double a = ElementAsDouble(g, i);
      const double b = ElementAsDouble(w, i);
      const bool ok = (std::isnan(a) && std::isnan(b)) || a == b ||
                      std::fabs(a - b) <= atol + rtol * std::fabs(b);
      if (!ok && reported++ < 5) {
        ADD_FAILURE() << op << " output " << k << " element " << i << ": cuda " << a << ", cpu "
                      << b;
      }
    }
  }
}

// Tolerances of a CUDA-against-CPU comparison for one element type.
struct Tol {
  DataType type;
  double atol, rtol;
};
// Those of element-wise and unary kernels (one rounding of the result in the element type).
inline const std::vector<Tol> kFloatTols = {{DataType::kFloat, 1e-6, 1e-5},
                                            {DataType::kFloat16, 1e-2, 1e-2},
                                            {DataType::kBFloat16, 2e-2, 2e-2}};

}  // namespace kiln::cuda_test
