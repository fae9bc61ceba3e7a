#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/session.h"

namespace kiln {
namespace {

struct TestNode {
  std::string op;
  std::vector<std::string> inputs;  // "" is an omitted input
  std::vector<std::string> outputs;
  std::vector<Attribute> attrs;
};

// Runs a small graph at `opset`: tensor graph inputs "in0", "in1", ... fed from `feeds`, nodes in
// order, graph outputs `outputs`.
StatusOr<std::vector<AnyValue>> RunGraph(int opset, const std::vector<Tensor>& feeds,
                                         const std::vector<TestNode>& nodes,
                                         const std::vector<std::string>& outputs) {
  Model m;
  m.ir_version = 10;
  m.opset_imports[""] = opset;
  m.graph = std::make_unique<Graph>();
  Graph& g = *m.graph;
  std::vector<NamedValue> named;
  for (size_t i = 0; i < feeds.size(); ++i) {
    std::string name = "in" + std::to_string(i);
    KILN_ASSIGN_OR_RETURN(int id, g.AddValue(name, TypeInfo::Tensor(feeds[i].dtype())));
    g.AddInput(id);
    named.push_back({name, AnyValue(feeds[i])});
  }
  int k = 0;
  for (const TestNode& tn : nodes) {
    Node n;
    n.name = "n" + std::to_string(k++);
    n.op_type = tn.op;
    n.opset = opset;
    n.attributes = tn.attrs;
    for (const std::string& in : tn.inputs) {
      n.inputs.push_back(in.empty() ? kNoValue : g.FindValue(in));
    }
    for (const std::string& out : tn.outputs) {
      int id = g.FindValue(out);
      if (id < 0) {
        KILN_ASSIGN_OR_RETURN(id, g.AddValue(out));
      }
      n.outputs.push_back(id);
    }
    KILN_RETURN_IF_ERROR(g.AddNode(std::move(n)).status());
  }
  for (const std::string& o : outputs) g.AddOutput(g.FindValue(o));
  KILN_ASSIGN_OR_RETURN(auto session, Session::Create(std::move(m)));
  KILN_ASSIGN_OR_RETURN(auto outs, session->Run(named));
  std::vector<AnyValue> result;
  for (auto& o : outs) result.push_back(std::move(o.value));
  return result;
}

std::vector<float> Floats(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
}

Tensor I64(int64_t v) { return Tensor::Scalar<int64_t>(v); }

TEST(SequenceKernelTest, ConstructAtLength) {
  Tensor a = Tensor::FromVector<float>({1, 2});
  Tensor b = Tensor::FromVector<float>({3, 4, 5});
  auto r = RunGraph(11, {a, b, I64(-1)},
                    {{"SequenceConstruct", {"in0", "in1"}, {"s"}, {}},
                     {"SequenceAt", {"s", "in2"}, {"y"}, {}},
                     {"SequenceLength", {"s"}, {"n"}, {}}},
                    {"s", "y", "n"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)[0].kind, AnyValue::Kind::kSequence);
  EXPECT_EQ((*r)[0].sequence.size(), 2u);
  EXPECT_EQ(Floats((*r)[1].tensor), (std::vector<float>{3, 4, 5}));
  EXPECT_EQ((*r)[2].tensor.rank(), 0);
  EXPECT_EQ((*r)[2].tensor.data<int64_t>()[0], 2);
}

TEST(SequenceKernelTest, AtOutOfRangeIsAnError) {
  Tensor a = Tensor::FromVector<float>({1});
  auto r = RunGraph(
      11, {a, I64(2)},
      {{"SequenceConstruct", {"in0", "in0"}, {"s"}, {}}, {"SequenceAt", {"s", "in1"}, {"y"}, {}}},
      {"y"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("out of range"), std::string::npos);
  auto neg = RunGraph(
      11, {a, I64(-3)},
      {{"SequenceConstruct", {"in0", "in0"}, {"s"}, {}}, {"SequenceAt", {"s", "in1"}, {"y"}, {}}},
      {"y"});
  EXPECT_FALSE(neg.ok());
}

TEST(SequenceKernelTest, ConstructRejectsMixedTypes) {
  auto r = RunGraph(11, {Tensor::FromVector<float>({1}), Tensor::FromVector<int64_t>({1})},
                    {{"SequenceConstruct", {"in0", "in1"}, {"s"}, {}}}, {"s"});
  EXPECT_FALSE(r.ok());
}

TEST(SequenceKernelTest, EmptyInsertErase) {
  Tensor a = Tensor::FromVector<int32_t>({1});
  Tensor b = Tensor::FromVector<int32_t>({2});
  Tensor c = Tensor::FromVector<int32_t>({3});
  // [] -> [a] -> [a, b] -> [c, a, b] -> erase(1) -> [c, b] -> erase() -> [c]
  auto r = RunGraph(11, {a, b, c, I64(0), I64(1)},
                    {{"SequenceEmpty", {}, {"e"}, {IntAttr("dtype", 6)}},
                     {"SequenceInsert", {"e", "in0"}, {"s1"}, {}},
                     {"SequenceInsert", {"s1", "in1"}, {"s2"}, {}},
                     {"SequenceInsert", {"s2", "in2", "in3"}, {"s3"}, {}},
                     {"SequenceErase", {"s3", "in4"}, {"s4"}, {}},
                     {"SequenceErase", {"s4"}, {"s5"}, {}}},
                    {"e", "s3", "s4", "s5"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE((*r)[0].sequence.empty());
  EXPECT_EQ((*r)[0].sequence_elem_type, DataType::kInt32);
  auto firsts = [](const AnyValue& s) {
    std::vector<int32_t> v;
    for (const AnyValue& t : s.sequence) v.push_back(t.tensor.data<int32_t>()[0]);
    return v;
  };
  EXPECT_EQ(firsts((*r)[1]), (std::vector<int32_t>{3, 1, 2}));
  EXPECT_EQ(firsts((*r)[2]), (std::vector<int32_t>{3, 2}));
  EXPECT_EQ(firsts((*r)[3]), (std::vector<int32_t>{3}));
}

TEST(SequenceKernelTest, InsertTypeMismatchAndEraseEmpty) {
  auto r = RunGraph(11, {Tensor::FromVector<int64_t>({1})},
                    {{"SequenceEmpty", {}, {"e"}, {}},  // float
                     {"SequenceInsert", {"e", "in0"}, {"s"}, {}}},
                    {"s"});
  EXPECT_FALSE(r.ok());
  auto e = RunGraph(11, {}, {{"SequenceEmpty", {}, {"e"}, {}}, {"SequenceErase", {"e"}, {"s"}, {}}},
                    {"s"});
  EXPECT_FALSE(e.ok());
}

TEST(SequenceKernelTest, SplitToSequenceDefaultAndKeepdims) {
  Tensor x = Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  auto r =
      RunGraph(11, {x},
               {{"SplitToSequence", {"in0"}, {"s"}, {IntAttr("axis", -1)}},
                {"SplitToSequence", {"in0"}, {"t"}, {IntAttr("axis", 1), IntAttr("keepdims", 0)}}},
               {"s", "t"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)[0].sequence.size(), 3u);
  EXPECT_EQ((*r)[0].sequence[1].tensor.dims(), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(Floats((*r)[0].sequence[1].tensor), (std::vector<float>{2, 5}));
  EXPECT_EQ((*r)[1].sequence[2].tensor.dims(), (std::vector<int64_t>{2}));
  EXPECT_EQ(Floats((*r)[1].sequence[2].tensor), (std::vector<float>{3, 6}));
}

TEST(SequenceKernelTest, SplitToSequenceScalarAndList) {
  Tensor x = Tensor::FromVector<float>({1, 2, 3, 4, 5});
  auto r = RunGraph(11, {x, I64(2), Tensor::FromVector<int64_t>({1, 4})},
                    {{"SplitToSequence", {"in0", "in1"}, {"s"}, {IntAttr("keepdims", 0)}},
                     {"SplitToSequence", {"in0", "in2"}, {"t"}, {}}},
                    {"s", "t"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)[0].sequence.size(), 3u);  // 2, 2, 1; keepdims ignored with split
  EXPECT_EQ(Floats((*r)[0].sequence[2].tensor), (std::vector<float>{5}));
  EXPECT_EQ((*r)[0].sequence[2].tensor.dims(), (std::vector<int64_t>{1}));
  ASSERT_EQ((*r)[1].sequence.size(), 2u);
  EXPECT_EQ(Floats((*r)[1].sequence[1].tensor), (std::vector<float>{2, 3, 4, 5}));
  auto bad = RunGraph(11, {x, Tensor::FromVector<int64_t>({1, 1})},
                      {{"SplitToSequence", {"in0", "in1"}, {"s"}, {}}}, {"s"});
  EXPECT_FALSE(bad.ok());
  auto axis = RunGraph(11, {x}, {{"SplitToSequence", {"in0"}, {"s"}, {IntAttr("axis", 1)}}}, {"s"});
  EXPECT_FALSE(axis.ok());
}

TEST(SequenceKernelTest, ConcatFromSequenceConcatAndStack) {
  Tensor a = Tensor::FromVector<float>({1, 2, 3, 4}, {2, 2});
  Tensor b = Tensor::FromVector<float>({5, 6}, {2, 1});
  auto r = RunGraph(11, {a, b},
                    {{"SequenceConstruct", {"in0", "in1"}, {"s"}, {}},
                     {"ConcatFromSequence", {"s"}, {"y"}, {IntAttr("axis", -1)}}},
                    {"y"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Floats((*r)[0].tensor), (std::vector<float>{1, 2, 5, 3, 4, 6}));

  auto st =
      RunGraph(11, {a},
               {{"SequenceConstruct", {"in0", "in0"}, {"s"}, {}},
                {"ConcatFromSequence", {"s"}, {"y"}, {IntAttr("axis", 2), IntAttr("new_axis", 1)}}},
               {"y"});
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ((*st)[0].tensor.dims(), (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(Floats((*st)[0].tensor), (std::vector<float>{1, 1, 2, 2, 3, 3, 4, 4}));

  auto bad = RunGraph(11, {a, b},
                      {{"SequenceConstruct", {"in0", "in1"}, {"s"}, {}},
                       {"ConcatFromSequence", {"s"}, {"y"}, {IntAttr("axis", 0)}}},
                      {"y"});
  EXPECT_FALSE(bad.ok());
  auto noaxis = RunGraph(
      11, {a},
      {{"SequenceConstruct", {"in0"}, {"s"}, {}}, {"ConcatFromSequence", {"s"}, {"y"}, {}}}, {"y"});
  EXPECT_FALSE(noaxis.ok());
}

TEST(SequenceKernelTest, SplitThenConcatRoundTripsStrings) {
  Tensor x(DataType::kString, {2, 2});
  const char* words[] = {"a", "b", "c", "d"};
  for (int i = 0; i < 4; ++i) x.data<std::string>()[i] = words[i];
  auto r = RunGraph(11, {x},
                    {{"SplitToSequence", {"in0"}, {"s"}, {IntAttr("axis", 1)}},
                     {"ConcatFromSequence", {"s"}, {"y"}, {IntAttr("axis", 1)}}},
                    {"y"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ((*r)[0].tensor.data<std::string>()[2], "c");
}

TEST(SequenceKernelTest, OptionalOps) {
  Tensor x = Tensor::FromVector<float>({7});
  Attribute type;
  type.name = "type";
  type.type = AttrType::kTypeProto;
  type.tp = TypeInfo::Tensor(DataType::kFloat);
  auto r = RunGraph(18, {x},
                    {{"Optional", {"in0"}, {"o"}, {}},
                     {"Optional", {}, {"none"}, {type}},
                     {"OptionalHasElement", {"o"}, {"h1"}, {}},
                     {"OptionalHasElement", {"none"}, {"h2"}, {}},
                     {"OptionalHasElement", {}, {"h3"}, {}},
                     {"OptionalHasElement", {"in0"}, {"h4"}, {}},
                     {"OptionalGetElement", {"o"}, {"g"}, {}},
                     {"OptionalGetElement", {"in0"}, {"g2"}, {}}},
                    {"none", "h1", "h2", "h3", "h4", "g", "g2"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].kind, AnyValue::Kind::kNone);
  EXPECT_TRUE((*r)[1].tensor.data<bool>()[0]);
  EXPECT_FALSE((*r)[2].tensor.data<bool>()[0]);
  EXPECT_FALSE((*r)[3].tensor.data<bool>()[0]);
  EXPECT_TRUE((*r)[4].tensor.data<bool>()[0]);
  EXPECT_EQ(Floats((*r)[5].tensor), (std::vector<float>{7}));
  EXPECT_EQ(Floats((*r)[6].tensor), (std::vector<float>{7}));

  auto empty = RunGraph(
      18, {}, {{"Optional", {}, {"none"}, {type}}, {"OptionalGetElement", {"none"}, {"g"}, {}}},
      {"g"});
  EXPECT_FALSE(empty.ok());
  auto notype = RunGraph(15, {}, {{"Optional", {}, {"none"}, {}}}, {"none"});
  EXPECT_FALSE(notype.ok());
}

TEST(SequenceKernelTest, SequenceMapRunsBodyPerItem) {
  // body(x, t) = (Shape(x), Add(x, t))
  auto body = std::make_shared<Graph>();
  int x = body->AddValue("x", TypeInfo::Tensor(DataType::kFloat)).value();
  int t = body->AddValue("t", TypeInfo::Tensor(DataType::kFloat)).value();
  body->AddInput(x);
  body->AddInput(t);
  int shape = body->AddValue("shape").value();
  int sum = body->AddValue("sum").value();
  Node n1;
  n1.op_type = "Shape";
  n1.opset = 17;
  n1.inputs = {x};
  n1.outputs = {shape};
  ASSERT_TRUE(body->AddNode(n1).ok());
  Node n2;
  n2.op_type = "Add";
  n2.opset = 17;
  n2.inputs = {x, t};
  n2.outputs = {sum};
  ASSERT_TRUE(body->AddNode(n2).ok());
  body->AddOutput(shape);
  body->AddOutput(sum);
  Attribute battr;
  battr.name = "body";
  battr.type = AttrType::kGraph;
  battr.g = body;
  Tensor a = Tensor::FromVector<float>({1, 2});
  Tensor b = Tensor::FromVector<float>({3});
  Tensor ten = Tensor::FromVector<float>({10});
  auto r = RunGraph(17, {a, b, ten},
                    {{"SequenceConstruct", {"in0", "in1"}, {"s"}, {}},
                     {"SequenceMap", {"s", "in2"}, {"shapes", "sums"}, {battr}}},
                    {"shapes", "sums"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)[0].sequence.size(), 2u);
  EXPECT_EQ((*r)[0].sequence[0].tensor.data<int64_t>()[0], 2);
  EXPECT_EQ((*r)[0].sequence[1].tensor.data<int64_t>()[0], 1);
  EXPECT_EQ(Floats((*r)[1].sequence[0].tensor), (std::vector<float>{11, 12}));
  EXPECT_EQ(Floats((*r)[1].sequence[1].tensor), (std::vector<float>{13}));
}

}  // namespace
}  // namespace kiln
