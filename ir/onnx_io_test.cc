#include "ir/onnx_io.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(OnnxIoTest, ExportImportRoundTrip) {
  Model m;
  m.ir_version = 8;
  m.producer_name = "test";
  m.opset_imports[""] = 17;
  m.metadata.emplace_back("k", "v");
  m.graph = std::make_unique<Graph>();
  Graph& g = *m.graph;
  g.name = "g";
  Shape s;
  s.dims = {Dim::Symbol("batch"), Dim::Known(2)};
  int x = *g.AddValue("x", TypeInfo::Tensor(DataType::kFloat, s));
  int w = *g.AddValue("w", TypeInfo::Tensor(DataType::kFloat));
  int y = *g.AddValue("y", TypeInfo::Tensor(DataType::kFloat, s));
  g.AddInput(x);
  g.SetInitializer(w, Tensor::FromVector<float>({1.5f, -2.0f}));
  Node n;
  n.name = "add";
  n.op_type = "Add";
  n.opset = 17;
  n.inputs = {x, w};
  n.outputs = {y};
  ASSERT_TRUE(g.AddNode(n).ok());
  Shape ts;
  ts.dims = {Dim::Known(2), Dim::Symbol("batch")};
  int z = *g.AddValue("z", TypeInfo::Tensor(DataType::kFloat, ts));
  Node t;
  t.name = "transpose";
  t.op_type = "Transpose";
  t.opset = 17;
  t.inputs = {y};
  t.outputs = {z};
  Attribute a;
  a.name = "perm";
  a.type = AttrType::kInts;
  a.ints = {1, 0};
  t.attributes.push_back(a);
  ASSERT_TRUE(g.AddNode(t).ok());
  g.AddOutput(z);

  auto bytes = SerializeModel(m);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto back = ParseModel(*bytes, "", "roundtrip");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  const Graph& g2 = *back->graph;
  EXPECT_EQ(back->producer_name, "test");
  EXPECT_EQ(back->OpsetFor(""), 17);
  ASSERT_EQ(g2.nodes().size(), 2u);
  EXPECT_EQ(g2.node(0).op_type, "Add");
  EXPECT_EQ(g2.node(1).FindAttribute("perm")->ints, (std::vector<int64_t>{1, 0}));
  int x2 = g2.FindValue("x");
  ASSERT_GE(x2, 0);
  EXPECT_EQ(g2.value(x2).type.ToString(), "float[batch,2]");
  const Tensor* w2 = g2.initializer(g2.FindValue("w"));
  ASSERT_NE(w2, nullptr);
  EXPECT_EQ(w2->data<float>()[1], -2.0f);
  EXPECT_TRUE(g2.Verify().ok());
}

TEST(OnnxIoTest, TensorRoundTripAndGarbage) {
  Tensor t = Tensor::FromVector<int64_t>({7, 8, 9}, {3, 1});
  auto bytes = SerializeTensor(t, "t");
  ASSERT_TRUE(bytes.ok());
  auto back = ParseTensor(*bytes, "t");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->dims(), (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(back->data<int64_t>()[2], 9);
  EXPECT_FALSE(ParseModel("", "", "empty").ok());
  EXPECT_FALSE(ParseModel(std::string("\xff\xff\xff\xff", 4), "", "junk").ok());
}

}  // namespace
}  // namespace kiln
