// Helpers for kernel unit tests: build small tensors, run one node, read values back.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/session.h"
#include "tests/support/single_node.h"

namespace kiln::test {

using Dims = std::vector<int64_t>;

template <typename T>
Tensor T_(std::vector<T> v, Dims dims) {
  return Tensor::FromVector(v, std::move(dims));
}
inline Tensor I64(std::vector<int64_t> v) { return Tensor::FromVector(v); }
inline Tensor I64(std::vector<int64_t> v, Dims dims) {
  return Tensor::FromVector(v, std::move(dims));
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}
template <typename T>
std::vector<T> Values(const AnyValue& v) {
  return Values<T>(v.tensor);
}

// Runs one node and expects success; on failure records a test failure and returns empty values.
inline std::vector<AnyValue> RunN(const std::string& op, int opset, const std::vector<Tensor>& in,
                                  const std::vector<Attribute>& attrs, int outputs) {
  auto r = RunSingleNode(op, opset, in, attrs, outputs);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return std::vector<AnyValue>(outputs);
  return r.value();
}
inline Tensor Run1(const std::string& op, int opset, const std::vector<Tensor>& in,
                   const std::vector<Attribute>& attrs = {}) {
  return RunN(op, opset, in, attrs, 1)[0].tensor;
}
// Runs one node and returns its status (for the error paths).
inline Status RunErr(const std::string& op, int opset, const std::vector<Tensor>& in,
                     const std::vector<Attribute>& attrs = {}, int outputs = 1) {
  auto r = RunSingleNode(op, opset, in, attrs, outputs);
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace kiln::test
