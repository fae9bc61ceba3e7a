// The backend-test runner on map values: CompareValues of maps, and a whole case whose expected
// output is a seq(map) (a ZipMap) read from a SequenceProto file.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ir/onnx_io.h"
#include "tools/backend_runner.h"

namespace kiln {
namespace {

AnyValue IntMap(std::vector<int64_t> keys, std::vector<float> values) {
  return *AnyValue::Map(Tensor::FromVector(keys), Tensor::FromVector(values));
}

TEST(CompareMapsTest, KeysAnyOrderValuesWithinTolerance) {
  AnyValue e = IntMap({1, 5, 3}, {0.5f, 100.0f, NAN});
  EXPECT_EQ(CompareValues(e, IntMap({3, 1, 5}, {NAN, 0.5f, 100.05f}), 1e-3, 1e-7), "");
  EXPECT_EQ(CompareValues(e, IntMap({1, 5, 3}, {0.5f, 100.2f, NAN}), 1e-3, 1e-7),
            "1 of 3 map values differ (rtol 0.001, atol 1e-07); first at key 5: got 100.199997, "
            "expected 100");
  EXPECT_EQ(CompareValues(e, IntMap({1, 5}, {0.5f, 100}), 1e-3, 1e-7),
            "map has no key 3 (2 entries, expected 3)");
  EXPECT_EQ(CompareValues(e, IntMap({1, 5, 3, 9}, {0.5f, 100, NAN, 1}), 1e-3, 1e-7),
            "map has unexpected key 9 (4 entries, expected 3)");
  AnyValue d = *AnyValue::Map(Tensor::FromVector<int64_t>({1, 5, 3}),
                              Tensor::FromVector<double>({0.5, 100, NAN}));
  EXPECT_EQ(CompareValues(e, d, 1e-3, 1e-7), "got map(int64,double), expected map(int64,float)");
  // Maps and tensors do not compare.
  EXPECT_EQ(CompareValues(e, Tensor::FromVector<float>({0.5f}), 1e-3, 1e-7),
            "got float[1], expected map(int64,float)");
  // String keys and values: exactly.
  AnyValue s = *AnyValue::Map(Tensor::FromVector<std::string>({"a", "b"}),
                              Tensor::FromVector<std::string>({"x", "y"}));
  AnyValue s2 = *AnyValue::Map(Tensor::FromVector<std::string>({"b", "a"}),
                               Tensor::FromVector<std::string>({"y", "X"}));
  EXPECT_EQ(CompareValues(s, s2, 1e-3, 1e-7),
            "1 of 2 map values differ; first at key 'a': got "
            "'X', expected 'x'");
  // Inside sequences.
  AnyValue q1 = AnyValue::Sequence({e, e}, DataType::kFloat);
  AnyValue q2 = AnyValue::Sequence({e, IntMap({1, 5}, {0.5f, 100})}, DataType::kFloat);
  EXPECT_EQ(CompareValues(q1, q2, 1e-3, 1e-7),
            "sequence item 1: map has no key 3 (2 entries, expected 3)");
}

// A case folder in a fresh temporary directory, removed at the end.
class MapCaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kiln_map_case_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_EQ(mkdir((dir_ + "/test_data_set_0").c_str(), 0755), 0);
  }
  void TearDown() override {
    if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "'").c_str());
  }
  void Write(const std::string& name, const std::string& bytes) {
    std::FILE* f = std::fopen((dir_ + "/" + name).c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
    std::fclose(f);
  }
  std::string dir_;
};

TEST_F(MapCaseTest, ZipMapCaseWithSeqOfMapOutput) {
  Model m;
  m.ir_version = 10;
  m.opset_imports[""] = 17;
  m.opset_imports["ai.onnx.ml"] = 1;
  m.graph = std::make_unique<Graph>();
  Graph& g = *m.graph;
  g.name = "zipmap";
  Shape s;
  s.dims = {Dim::Symbol("N"), Dim::Known(2)};
  int x = *g.AddValue("x", TypeInfo::Tensor(DataType::kFloat, s));
  TypeInfo map_t;
  map_t.kind = TypeInfo::Kind::kMap;
  map_t.elem_type = DataType::kString;
  map_t.inner = std::make_shared<TypeInfo>(TypeInfo::Tensor(DataType::kFloat));
  TypeInfo seq_t;
  seq_t.kind = TypeInfo::Kind::kSequence;
  seq_t.inner = std::make_shared<TypeInfo>(map_t);
  int z = *g.AddValue("z", seq_t);
  g.AddInput(x);
  Node n;
  n.name = "zip";
  n.op_type = "ZipMap";
  n.domain = "ai.onnx.ml";
  n.opset = 1;
  n.inputs = {x};
  n.outputs = {z};
  n.attributes = {StringsAttr("classlabels_strings", {"no", "yes"})};
  ASSERT_TRUE(g.AddNode(n).ok());
  g.AddOutput(z);
  auto model = SerializeModel(m);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  Write("model.onnx", *model);
  Write("test_data_set_0/input_0.pb",
        *SerializeTensor(Tensor::FromVector<float>({0.25f, 0.75f, 1, 0}, {2, 2}), "x"));
  AnyValue row0 = *AnyValue::Map(Tensor::FromVector<std::string>({"yes", "no"}),
                                 Tensor::FromVector<float>({0.75f, 0.25f}));
  AnyValue row1 = *AnyValue::Map(Tensor::FromVector<std::string>({"no", "yes"}),
                                 Tensor::FromVector<float>({1, 0}));
  AnyValue expected = AnyValue::Sequence({row0, row1}, DataType::kFloat);
  Write("test_data_set_0/output_0.pb", *SerializeValue(expected, "z"));
  BackendTestOptions o;
  o.poison = true;
  EXPECT_EQ(RunBackendCase(dir_, o), "");

  // A wrong expectation is reported with the item and key.
  AnyValue wrong_row = *AnyValue::Map(Tensor::FromVector<std::string>({"no", "yes"}),
                                      Tensor::FromVector<float>({1, 0.5f}));
  Write("test_data_set_0/output_0.pb",
        *SerializeValue(AnyValue::Sequence({row0, wrong_row}, DataType::kFloat), "z"));
  EXPECT_EQ(RunBackendCase(dir_, o),
            "test_data_set_0: output 0 'z': sequence item 1: 1 of 2 map values differ (rtol "
            "0.001, atol 1e-07); first at key 'yes': got 0, expected 0.5");
}

}  // namespace
}  // namespace kiln
