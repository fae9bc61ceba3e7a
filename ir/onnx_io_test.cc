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

TEST(OnnxIoTest, RepeatedOpsetImport) {
  Model m;
  m.ir_version = 8;
  m.opset_imports[""] = 17;
  m.graph = std::make_unique<Graph>();
  Graph& g = *m.graph;
  g.name = "g";
  Shape s;
  s.dims = {Dim::Known(2)};
  int x = *g.AddValue("x", TypeInfo::Tensor(DataType::kFloat, s));
  int y = *g.AddValue("y", TypeInfo::Tensor(DataType::kFloat, s));
  g.AddInput(x);
  Node n;
  n.op_type = "Relu";
  n.opset = 17;
  n.inputs = {x};
  n.outputs = {y};
  ASSERT_TRUE(g.AddNode(n).ok());
  g.AddOutput(y);
  auto bytes = SerializeModel(m);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  // A serialized field appended to a message adds one more element of a repeated field:
  // opset_import (field 8) = {version (field 2): 17}, as skl2onnx writes the default domain twice.
  auto same = ParseModel(*bytes + std::string("\x42\x02\x10\x11", 4), "", "twice");
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(same->OpsetFor(""), 17);
  // Two different versions of one domain are an error naming both.
  auto differ = ParseModel(*bytes + std::string("\x42\x02\x10\x0f", 4), "", "differ");
  ASSERT_FALSE(differ.ok());
  EXPECT_NE(differ.status().message().find("imported twice, as 17 and 15"), std::string::npos)
      << differ.status().ToString();
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
