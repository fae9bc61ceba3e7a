// Helpers for pass unit tests: build a small model by value names, run one pass, compare the
// outputs of the original and the rewritten model on seeded random inputs.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "passes/pipeline.h"
#include "runtime/session.h"
#include "tests/support/single_node.h"

namespace kiln::test {

class ModelBuilder {
 public:
  explicit ModelBuilder(int opset = 17) {
    m_.ir_version = 8;
    m_.opset_imports[""] = opset;
    m_.graph = std::make_unique<Graph>();
    m_.graph->name = "test";
    opset_ = opset;
  }
  // A graph input; a negative dim is the symbol "N".
  ModelBuilder& Input(const std::string& name, std::vector<int64_t> dims,
                      DataType dt = DataType::kFloat) {
    Shape s;
    for (int64_t d : dims) s.dims.push_back(d < 0 ? Dim::Symbol("N") : Dim::Known(d));
    int id = g().AddValue(name, TypeInfo::Tensor(dt, s)).value();
    g().AddInput(id);
    return *this;
  }
  ModelBuilder& Init(const std::string& name, Tensor t) {
    int id = g().AddValue(name).value();
    g().SetInitializer(id, std::move(t));
    return *this;
  }
  // A float initializer of `dims` with seeded values in [lo, hi).
  ModelBuilder& RandomInit(const std::string& name, std::vector<int64_t> dims, float lo = -1,
                           float hi = 1) {
    Tensor t = Tensor::Create(DataType::kFloat, dims).value();
    std::uniform_real_distribution<float> u(lo, hi);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng_);
    return Init(name, std::move(t));
  }
  // A node reading and writing values by name ("" is an omitted input).
  ModelBuilder& Node(const std::string& op, std::vector<std::string> in,
                     std::vector<std::string> out, std::vector<Attribute> attrs = {},
                     const std::string& domain = "", int opset = 0) {
    kiln::Node n;
    n.name = op + "_" + std::to_string(g().nodes().size());
    n.op_type = op;
    n.domain = domain;
    n.opset = opset ? opset : (domain.empty() ? opset_ : 1);
    for (const auto& name : in) n.inputs.push_back(name.empty() ? kNoValue : Find(name));
    for (const auto& name : out) {
      int id = g().FindValue(name);
      n.outputs.push_back(id >= 0 ? id : g().AddValue(name).value());
    }
    n.attributes = std::move(attrs);
    EXPECT_TRUE(g().AddNode(std::move(n)).ok());
    return *this;
  }
  ModelBuilder& Output(const std::string& name) {
    g().AddOutput(Find(name));
    return *this;
  }
  Model Build() { return std::move(m_); }
  Graph& g() { return *m_.graph; }

 private:
  int Find(const std::string& name) {
    int id = g().FindValue(name);
    EXPECT_GE(id, 0) << "no value " << name;
    return id;
  }
  Model m_;
  int opset_;
  std::mt19937 rng_{7};
};

// Tensors for test models: float data with dims, an int64 vector, a bool scalar true.
inline Tensor F(std::vector<float> v, std::vector<int64_t> dims) {
  return Tensor::FromVector(v, dims);
}
inline Tensor I(std::vector<int64_t> v) { return Tensor::FromVector(v); }
inline Tensor True() {
  Tensor t = Tensor::Create(DataType::kBool, {}).value();
  t.data<bool>()[0] = true;
  return t;
}

// Runs `pass` alone (after shape inference) at the top level; returns the report.
inline PassReport RunOnly(Model& m, const std::string& pass, bool allow_kiln_ops = true) {
  PassOptions po = PassOptionsFor(SessionOptions{});
  po.allow_kiln_ops = allow_kiln_ops;
  for (const auto& n : PassNames()) {
    if (n != pass && n != "shape-inference") po.disabled.push_back(n);
  }
  auto r = RunPasses(m, po);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(m.graph->Verify().ok());
  return r.ok() ? *r : PassReport{};
}

inline int CountOp(const Model& m, const std::string& op) {
  int n = 0;
  for (const auto& node : m.graph->nodes()) n += node.op_type == op;
  return n;
}

inline int Rewrites(const PassReport& r, const std::string& pass) {
  for (const auto& e : r.entries) {
    if (e.pass == pass) return e.rewrites;
  }
  return -1;
}

// Runs both models (without further optimization) on the same seeded inputs (symbol "N" = 2)
// and expects outputs equal within `tol` relative to the largest magnitude.
inline void ExpectSameOutputs(Model original, Model rewritten, double tol = 1e-5) {
  SessionOptions so;
  so.optimization_level = 0;
  auto a = Session::Create(std::move(original), so);
  auto b = Session::Create(std::move(rewritten), so);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  std::mt19937 rng(11);
  std::vector<NamedValue> feeds;
  const Graph& g = *(*a)->model().graph;
  for (int id : (*a)->required_inputs()) {
    const Value& v = g.value(id);
    std::vector<int64_t> dims;
    for (const Dim& d : v.type.shape->dims) dims.push_back(d.known() ? d.value : 2);
    Tensor t = Tensor::Create(v.type.elem_type, dims).value();
    std::uniform_real_distribution<float> u(-2, 2);
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (t.dtype() == DataType::kFloat) t.data<float>()[i] = u(rng);
    }
    feeds.push_back({v.name, AnyValue(t)});
  }
  auto ra = (*a)->Run(feeds);
  auto rb = (*b)->Run(feeds);
  ASSERT_TRUE(ra.ok()) << ra.status().ToString();
  ASSERT_TRUE(rb.ok()) << rb.status().ToString();
  ASSERT_EQ(ra->size(), rb->size());
  for (size_t i = 0; i < ra->size(); ++i) {
    const Tensor& x = (*ra)[i].value.tensor;
    const Tensor& y = (*rb)[i].value.tensor;
    ASSERT_EQ(x.dims(), y.dims()) << (*ra)[i].name;
    ASSERT_EQ(x.dtype(), y.dtype());
    if (x.dtype() != DataType::kFloat) continue;
    double scale = 1e-30, diff = 0;
    for (int64_t k = 0; k < x.numel(); ++k) {
      scale = std::max(scale, std::fabs(double(x.data<float>()[k])));
      diff = std::max(diff, std::fabs(double(x.data<float>()[k]) - y.data<float>()[k]));
    }
    EXPECT_LE(diff, tol * std::max(1.0, scale)) << "output " << (*ra)[i].name;
  }
}

}  // namespace kiln::test
