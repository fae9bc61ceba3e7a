// Sessions whose graph inputs and outputs are maps and sequences of maps: type checks of fed
// values, and map values flowing through kernels to the outputs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/session.h"

namespace kiln {
namespace {

// features: map(string,float) -> DictVectorizer -> y: float[1,3]; features is an output too.
std::unique_ptr<Session> DictVectorizerSession() {
  Model m;
  m.ir_version = 10;
  m.opset_imports[""] = 17;
  m.opset_imports["ai.onnx.ml"] = 1;
  m.graph = std::make_unique<Graph>();
  Graph& g = *m.graph;
  g.name = "dv";
  int x = *g.AddValue("features", TypeInfo::Map(DataType::kString, DataType::kFloat));
  int y = *g.AddValue("y");
  g.AddInput(x);
  Node n;
  n.name = "dv";
  n.op_type = "DictVectorizer";
  n.domain = "ai.onnx.ml";
  n.opset = 1;
  n.inputs = {x};
  n.outputs = {y};
  n.attributes = {StringsAttr("string_vocabulary", {"age", "height", "weight"})};
  EXPECT_TRUE(g.AddNode(n).ok());
  g.AddOutput(y);
  g.AddOutput(x);
  auto s = Session::Create(std::move(m));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

TEST(MapSessionTest, MapInputAndOutput) {
  auto s = DictVectorizerSession();
  ASSERT_NE(s, nullptr);
  AnyValue features = *AnyValue::Map(Tensor::FromVector<std::string>({"weight", "age"}),
                                     Tensor::FromVector<float>({70.5f, 41}));
  for (int run = 0; run < 2; ++run) {
    auto out = s->Run({{"features", features}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    const Tensor& y = (*out)[0].value.tensor;
    EXPECT_EQ(y.TypeString(), "float[1,3]");
    EXPECT_EQ(std::vector<float>(y.data<float>(), y.data<float>() + 3),
              (std::vector<float>{41, 0, 70.5f}));
    const AnyValue& echo = (*out)[1].value;
    ASSERT_TRUE(echo.is_map());
    EXPECT_EQ(echo.TypeString(), "map(string,float)");
    EXPECT_EQ(echo.map_values.data<float>()[0], 70.5f);
  }
}

TEST(MapSessionTest, MapInputsAreTypeChecked) {
  auto s = DictVectorizerSession();
  ASSERT_NE(s, nullptr);
  auto expect = [&](const AnyValue& v, const std::string& want) {
    auto out = s->Run({{"features", v}});
    ASSERT_FALSE(out.ok()) << want;
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(out.status().message().find(want), std::string::npos) << out.status().message();
  };
  expect(AnyValue(Tensor::FromVector<float>({1, 2})),
         "input 'features': expected map(string,float), got float[2]");
  expect(*AnyValue::Map(Tensor::FromVector<int64_t>({1}), Tensor::FromVector<float>({1})),
         "expected map(string,float), got map(int64,float)");
  expect(*AnyValue::Map(Tensor::FromVector<std::string>({"age"}), Tensor::FromVector<double>({1})),
         "got map(string,double)");
  expect(AnyValue::Sequence({}, DataType::kFloat), "got seq(float)");
}

// zs: seq(map(int64,float)) -> SequenceAt(pos) -> row: map(int64,float)
std::unique_ptr<Session> SequenceAtSession() {
  Model m;
  m.ir_version = 10;
  m.opset_imports[""] = 17;
  m.graph = std::make_unique<Graph>();
  Graph& g = *m.graph;
  g.name = "at";
  const TypeInfo map_t = TypeInfo::Map(DataType::kInt64, DataType::kFloat);
  int zs = *g.AddValue("zs", TypeInfo::Sequence(map_t));
  int pos = *g.AddValue("pos", TypeInfo::Tensor(DataType::kInt64, Shape{}));
  int row = *g.AddValue("row", map_t);
  g.AddInput(zs);
  g.AddInput(pos);
  Node n;
  n.name = "at";
  n.op_type = "SequenceAt";
  n.opset = 17;
  n.inputs = {zs, pos};
  n.outputs = {row};
  EXPECT_TRUE(g.AddNode(n).ok());
  g.AddOutput(row);
  auto s = Session::Create(std::move(m));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

TEST(MapSessionTest, SequenceOfMapsInMapOut) {
  auto s = SequenceAtSession();
  ASSERT_NE(s, nullptr);
  AnyValue a =
      *AnyValue::Map(Tensor::FromVector<int64_t>({0, 1}), Tensor::FromVector<float>({1, 2}));
  AnyValue b =
      *AnyValue::Map(Tensor::FromVector<int64_t>({0, 1}), Tensor::FromVector<float>({3, 4}));
  AnyValue zs = AnyValue::Sequence({a, b}, DataType::kFloat);
  auto out = s->Run({{"zs", zs}, {"pos", Tensor::Scalar<int64_t>(-1)}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const AnyValue& row = (*out)[0].value;
  ASSERT_TRUE(row.is_map());
  EXPECT_EQ(row.map_values.data<float>()[1], 4.0f);

  AnyValue bad_item =
      *AnyValue::Map(Tensor::FromVector<int64_t>({0}), Tensor::FromVector<double>({1}));
  auto mixed = s->Run({{"zs", AnyValue::Sequence({a, bad_item}, DataType::kFloat)},
                       {"pos", Tensor::Scalar<int64_t>(0)}});
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("input 'zs': expected seq(map(int64,float)), got "
                                          "seq(map(int64,float)) (item 1 is map(int64,double))"),
            std::string::npos)
      << mixed.status().message();
  auto not_seq = s->Run({{"zs", a}, {"pos", Tensor::Scalar<int64_t>(0)}});
  ASSERT_FALSE(not_seq.ok());
  EXPECT_NE(not_seq.status().message().find("got map(int64,float)"), std::string::npos)
      << not_seq.status().message();
}

}  // namespace
}  // namespace kiln
