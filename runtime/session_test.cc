#include "runtime/session.h"

#include <gtest/gtest.h>

#include "tests/support/single_node.h"

namespace kiln {
namespace {

// x: float[N,3] -> Relu -> y
Model ReluModel() {
  Model m;
  m.ir_version = 8;
  m.opset_imports[""] = 17;
  m.graph = std::make_unique<Graph>();
  Graph& g = *m.graph;
  g.name = "relu";
  Shape s;
  s.dims = {Dim::Symbol("N"), Dim::Known(3)};
  int x = *g.AddValue("x", TypeInfo::Tensor(DataType::kFloat, s));
  int y = *g.AddValue("y", TypeInfo::Tensor(DataType::kFloat));
  g.AddInput(x);
  Node n;
  n.name = "relu";
  n.op_type = "Relu";
  n.opset = 17;
  n.inputs = {x};
  n.outputs = {y};
  EXPECT_TRUE(g.AddNode(n).ok());
  g.AddOutput(y);
  return m;
}

TEST(SessionTest, RunsAndChecksInputs) {
  auto s = Session::Create(ReluModel());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Tensor x = Tensor::FromVector<float>({-1, 2, -3, 4, -5, 6}, {2, 3});
  auto out = (*s)->Run({{"x", x}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].value.tensor.data<float>()[1], 2.0f);
  EXPECT_EQ((*out)[0].value.tensor.data<float>()[0], 0.0f);

  auto missing = (*s)->Run({});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing input 'x'"), std::string::npos);

  auto extra = (*s)->Run({{"x", x}, {"z", x}});
  ASSERT_FALSE(extra.ok());
  EXPECT_NE(extra.status().message().find("unknown input 'z'"), std::string::npos);

  auto wrong_type = (*s)->Run({{"x", Tensor::FromVector<int64_t>({1, 2, 3}, {1, 3})}});
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_EQ(wrong_type.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong_type.status().message().find("expected float[N,3], got int64[1,3]"),
            std::string::npos)
      << wrong_type.status().message();

  auto wrong_rank = (*s)->Run({{"x", Tensor::FromVector<float>({1, 2, 3})}});
  ASSERT_FALSE(wrong_rank.ok());
  EXPECT_NE(wrong_rank.status().message().find("got float[3]"), std::string::npos);
}

TEST(SessionTest, UnknownOpsAreListedTogether) {
  Model m = ReluModel();
  m.graph->mutable_node(0).op_type = "NoSuchOp";
  auto s = Session::Create(std::move(m));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(s.status().message().find("1 unsupported op: NoSuchOp@opset 17"), std::string::npos)
      << s.status().message();
}

TEST(SessionTest, TopologicalOrderIsDeterministicAndDetectsCycles) {
  Graph g;
  int a = *g.AddValue("a");
  int b = *g.AddValue("b");
  int c = *g.AddValue("c");
  g.AddInput(a);
  Node n1;
  n1.op_type = "Relu";
  n1.inputs = {b};
  n1.outputs = {c};
  Node n0;
  n0.op_type = "Relu";
  n0.inputs = {a};
  n0.outputs = {b};
  ASSERT_TRUE(g.AddNode(n1).ok());
  ASSERT_TRUE(g.AddNode(n0).ok());
  auto order = g.TopologicalOrder();
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(*order, (std::vector<int>{1, 0}));
  EXPECT_TRUE(g.Verify().ok());
  // A second producer of the same value is rejected.
  Node dup;
  dup.op_type = "Relu";
  dup.inputs = {a};
  dup.outputs = {c};
  EXPECT_FALSE(g.AddNode(dup).ok());
}

TEST(RegistryTest, OverlapIsAnErrorAndLookupExplains) {
  KernelRegistry r;
  auto f = Stateless([](KernelContext&) { return Status::Ok(); });
  r.Register(KernelDef("Foo").Opsets(1, 12), f);
  r.Register(KernelDef("Foo").Opsets(13), f);
  EXPECT_TRUE(r.status().ok());
  EXPECT_TRUE(r.Find("", "Foo", 13, Device::kCpu).ok());
  EXPECT_TRUE(r.Find("ai.onnx", "Foo", 5, Device::kCpu).ok());
  auto miss = r.Find("", "Foo", 5, Device::kCuda);
  ASSERT_FALSE(miss.ok());
  EXPECT_NE(miss.status().message().find("other device"), std::string::npos);
  r.Register(KernelDef("Foo").Opsets(10, 14), f);
  EXPECT_FALSE(r.status().ok());
  EXPECT_NE(r.status().message().find("overlaps"), std::string::npos);
}

TEST(RegistryTest, DefaultRegistryIsConsistent) {
  EXPECT_TRUE(DefaultRegistry().status().ok()) << DefaultRegistry().status().ToString();
  EXPECT_GT(DefaultRegistry().Sorted().size(), 50u);
}

}  // namespace
}  // namespace kiln

namespace kiln {
namespace {

TEST(SessionTest, AttributeOfTheWrongTypeNamesTheNode) {
  Tensor x = Tensor::FromVector<float>({1, 2, 3});
  auto r = RunSingleNode("Softmax", 13, {x}, {FloatAttr("axis", 1.5f)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidModel);
  EXPECT_NE(r.status().message().find("'node' (Softmax, opset 13): attribute 'axis' has type "
                                      "float, expected int"),
            std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace kiln
