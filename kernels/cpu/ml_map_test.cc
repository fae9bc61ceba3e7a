// ZipMap, DictVectorizer and CastMap (kernels/cpu/ml_map.cc).
//
// Expected values come from ONNX Runtime 1.30.0 (CPUExecutionProvider): one-node models (ir_version
// 10, opsets ai.onnx 17 and ai.onnx.ml 3) built with onnx.helper and run from Python on the same
// inputs, the results printed with "%.9g" and pasted here. ORT's Python binding feeds maps only as
// map(int64|string -> float); the other value types (double, int64, string) are checked against
// the schema's definition and ORT's C++ kernels instead, as noted at each test.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "runtime/session.h"

namespace kiln {
namespace {

const char kMl[] = "ai.onnx.ml";

AnyValue Map(Tensor keys, Tensor values) {
  auto m = AnyValue::Map(std::move(keys), std::move(values));
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : AnyValue();
}

// Runs one ai.onnx.ml node (opset 1) whose input "x" has declared type `x_type` (unknown when
// kind is kUnknown) and is fed `x`; returns its single output.
StatusOr<AnyValue> RunOne(const std::string& op, const TypeInfo& x_type, const AnyValue& x,
                          std::vector<Attribute> attrs) {
  Model m;
  m.ir_version = 10;
  m.opset_imports[""] = 17;
  m.opset_imports[kMl] = 1;
  m.graph = std::make_unique<Graph>();
  Graph& g = *m.graph;
  g.name = "one";
  KILN_ASSIGN_OR_RETURN(int in, g.AddValue("x", x_type));
  g.AddInput(in);
  KILN_ASSIGN_OR_RETURN(int out, g.AddValue("y"));
  Node n;
  n.name = "node";
  n.op_type = op;
  n.domain = kMl;
  n.opset = 1;
  n.inputs = {in};
  n.outputs = {out};
  n.attributes = std::move(attrs);
  KILN_RETURN_IF_ERROR(g.AddNode(std::move(n)).status());
  g.AddOutput(out);
  SessionOptions so;
  so.optimization_level = 0;
  KILN_ASSIGN_OR_RETURN(auto session, Session::Create(std::move(m), so));
  KILN_ASSIGN_OR_RETURN(auto outs, session->Run({{"x", x}}));
  return outs[0].value;
}

// As RunOne, for a map input declared as its own type.
StatusOr<AnyValue> RunOnMap(const std::string& op, const AnyValue& x,
                            std::vector<Attribute> attrs) {
  return RunOne(op, TypeInfo::Map(x.map_keys.dtype(), x.map_values.dtype()), x, std::move(attrs));
}

StatusOr<AnyValue> RunZipMap(const Tensor& x, std::vector<Attribute> attrs) {
  return RunOne("ZipMap", TypeInfo::Tensor(DataType::kFloat), AnyValue(x), std::move(attrs));
}

void ExpectError(const StatusOr<AnyValue>& r, const std::string& want) {
  ASSERT_FALSE(r.ok()) << "expected an error containing: " << want;
  EXPECT_NE(r.status().message().find(want), std::string::npos) << r.status().message();
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

// ---------------------------------------------------------------------------------------------
// ZipMap

TEST(ZipMapTest, Int64LabelsOneMapPerRow) {
  // ORT: [{-7: 0.25, 2: 0.899999976, 5: 0.100000001}, {-7: -1.5, 2: 0.300000012, 5: 0.699999988}]
  Tensor x = Tensor::FromVector<float>({0.1f, 0.9f, 0.25f, 0.7f, 0.3f, -1.5f}, {2, 3});
  auto r = RunZipMap(x, {IntsAttr("classlabels_int64s", {5, 2, -7})});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->TypeString(), "seq(map(int64,float))");
  ASSERT_EQ(r->sequence.size(), 2u);
  const AnyValue& m0 = r->sequence[0];
  ASSERT_TRUE(m0.is_map());
  // Keys ascending, as ORT's std::map iterates them.
  EXPECT_EQ(Values<int64_t>(m0.map_keys), (std::vector<int64_t>{-7, 2, 5}));
  EXPECT_EQ(Values<float>(m0.map_values), (std::vector<float>{0.25f, 0.899999976f, 0.100000001f}));
  EXPECT_EQ(Values<int64_t>(r->sequence[1].map_keys), (std::vector<int64_t>{-7, 2, 5}));
  EXPECT_EQ(Values<float>(r->sequence[1].map_values),
            (std::vector<float>{-1.5f, 0.300000012f, 0.699999988f}));
}

TEST(ZipMapTest, StringLabelsAndOneDimensionalInput) {
  // ORT: a [C] input is one row: [{'no': 0.875, 'yes': 0.125}]
  auto r = RunZipMap(Tensor::FromVector<float>({0.125f, 0.875f}),
                     {StringsAttr("classlabels_strings", {"yes", "no"})});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->TypeString(), "seq(map(string,float))");
  ASSERT_EQ(r->sequence.size(), 1u);
  EXPECT_EQ(Values<std::string>(r->sequence[0].map_keys), (std::vector<std::string>{"no", "yes"}));
  EXPECT_EQ(Values<float>(r->sequence[0].map_values), (std::vector<float>{0.875f, 0.125f}));
}

TEST(ZipMapTest, NoRowsAndRepeatedLabels) {
  // ORT: [] for a [0, 2] input.
  auto empty =
      RunZipMap(Tensor(DataType::kFloat, {0, 2}), {StringsAttr("classlabels_strings", {"b", "a"})});
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->sequence.empty());
  EXPECT_EQ(empty->TypeString(), "seq(map(string,float))");
  // ORT: labels [1, 3, 1] on [[0.5, 0.25, 0.125]] give [{1: 0.125, 3: 0.25}]: the last column wins.
  auto dup = RunZipMap(Tensor::FromVector<float>({0.5f, 0.25f, 0.125f}, {1, 3}),
                       {IntsAttr("classlabels_int64s", {1, 3, 1})});
  ASSERT_TRUE(dup.ok()) << dup.status().ToString();
  ASSERT_EQ(dup->sequence.size(), 1u);
  EXPECT_EQ(Values<int64_t>(dup->sequence[0].map_keys), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(Values<float>(dup->sequence[0].map_values), (std::vector<float>{0.125f, 0.25f}));
}

TEST(ZipMapTest, Errors) {
  Tensor x = Tensor::FromVector<float>({0.1f, 0.9f, 0.3f}, {1, 3});
  ExpectError(RunZipMap(x, {IntsAttr("classlabels_int64s", {1, 2})}),
              "input X float[1,3] has 3 columns, but there are 2 class labels");
  ExpectError(RunZipMap(x, {IntsAttr("classlabels_int64s", {1, 2, 3}),
                            StringsAttr("classlabels_strings", {"a", "b", "c"})}),
              "exactly one of classlabels_strings and classlabels_int64s must be given "
              "(non-empty), got both");
  ExpectError(RunZipMap(x, {}), "got neither");
  ExpectError(RunZipMap(Tensor::Scalar<float>(0.5f), {IntsAttr("classlabels_int64s", {1})}),
              "input X must be 1-D [C] or 2-D [N, C], got float[]");
  ExpectError(
      RunZipMap(Tensor(DataType::kFloat, {1, 1, 2}), {IntsAttr("classlabels_int64s", {1, 2})}),
      "got float[1,1,2]");
  // A double tensor, and a map where the tensor is expected.
  ExpectError(RunOne("ZipMap", TypeInfo::Tensor(DataType::kDouble),
                     AnyValue(Tensor::FromVector<double>({1, 2})),
                     {IntsAttr("classlabels_int64s", {1, 2})}),
              "T accepts float");
  TypeInfo unknown;
  ExpectError(RunOne("ZipMap", unknown,
                     Map(Tensor::FromVector<int64_t>({1}), Tensor::FromVector<float>({1})),
                     {IntsAttr("classlabels_int64s", {1})}),
              "input X must be a float tensor, got map(int64,float)");
}

// ---------------------------------------------------------------------------------------------
// DictVectorizer

TEST(DictVectorizerTest, StringVocabulary) {
  // ORT: float32[1, 4] [4, 8.5, 0, 0]
  auto r = RunOnMap(
      "DictVectorizer",
      Map(Tensor::FromVector<std::string>({"a", "c"}), Tensor::FromVector<float>({4, 8.5f})),
      {StringsAttr("string_vocabulary", {"a", "c", "b", "z"})});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->tensor.TypeString(), "float[1,4]");
  EXPECT_EQ(Values<float>(r->tensor), (std::vector<float>{4, 8.5f, 0, 0}));
  // ORT: a key missing from the vocabulary is ignored: [4, 0, 0, 0]
  auto q =
      RunOnMap("DictVectorizer",
               Map(Tensor::FromVector<std::string>({"a", "q"}), Tensor::FromVector<float>({4, 8})),
               {StringsAttr("string_vocabulary", {"a", "c", "b", "z"})});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(Values<float>(q->tensor), (std::vector<float>{4, 0, 0, 0}));
}

TEST(DictVectorizerTest, Int64VocabularyWithRepeats) {
  // ORT: float32[1, 3] [8.25, 0, 4.5]
  auto r =
      RunOnMap("DictVectorizer",
               Map(Tensor::FromVector<int64_t>({3, 1}), Tensor::FromVector<float>({4.5f, 8.25f})),
               {IntsAttr("int64_vocabulary", {1, 2, 3})});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->tensor.TypeString(), "float[1,3]");
  EXPECT_EQ(Values<float>(r->tensor), (std::vector<float>{8.25f, 0, 4.5f}));
  // ORT: vocabulary [3, 2, 3] on {3: 4.5, 7: 1.0} gives [4.5, 0, 4.5].
  auto d = RunOnMap("DictVectorizer",
                    Map(Tensor::FromVector<int64_t>({3, 7}), Tensor::FromVector<float>({4.5f, 1})),
                    {IntsAttr("int64_vocabulary", {3, 2, 3})});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(Values<float>(d->tensor), (std::vector<float>{4.5f, 0, 4.5f}));
}

TEST(DictVectorizerTest, OtherValueTypesKeepTheirType) {
  // Not feedable through ORT's Python binding; ORT's kernel copies the value type and fills
  // missing keys with T() (0, or the empty string), which is what the schema describes.
  auto d = RunOnMap(
      "DictVectorizer",
      Map(Tensor::FromVector<std::string>({"z", "a"}), Tensor::FromVector<double>({-1e300, 0.5})),
      {StringsAttr("string_vocabulary", {"a", "b", "z"})});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->tensor.TypeString(), "double[1,3]");
  EXPECT_EQ(Values<double>(d->tensor), (std::vector<double>{0.5, 0, -1e300}));
  auto i = RunOnMap("DictVectorizer",
                    Map(Tensor::FromVector<std::string>({"b"}), Tensor::FromVector<int64_t>({-9})),
                    {StringsAttr("string_vocabulary", {"a", "b"})});
  ASSERT_TRUE(i.ok()) << i.status().ToString();
  EXPECT_EQ(i->tensor.TypeString(), "int64[1,2]");
  EXPECT_EQ(Values<int64_t>(i->tensor), (std::vector<int64_t>{0, -9}));
  auto s = RunOnMap("DictVectorizer",
                    Map(Tensor::FromVector<int64_t>({2}), Tensor::FromVector<std::string>({"two"})),
                    {IntsAttr("int64_vocabulary", {1, 2})});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->tensor.TypeString(), "string[1,2]");
  EXPECT_EQ(Values<std::string>(s->tensor), (std::vector<std::string>{"", "two"}));
  // An empty map gives zeros.
  auto e = RunOnMap("DictVectorizer",
                    Map(Tensor::FromVector<int64_t>({}), Tensor::FromVector<float>({})),
                    {IntsAttr("int64_vocabulary", {1, 2})});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(Values<float>(e->tensor), (std::vector<float>{0, 0}));
}

TEST(DictVectorizerTest, Errors) {
  AnyValue m = Map(Tensor::FromVector<std::string>({"a"}), Tensor::FromVector<float>({1}));
  ExpectError(RunOnMap("DictVectorizer", m, {}),
              "exactly one of string_vocabulary and int64_vocabulary must be given (non-empty), "
              "got neither");
  ExpectError(
      RunOnMap("DictVectorizer", m,
               {StringsAttr("string_vocabulary", {"a"}), IntsAttr("int64_vocabulary", {1})}),
      "got both");
  ExpectError(RunOnMap("DictVectorizer", m, {IntsAttr("int64_vocabulary", {1})}),
              "input X is map(string,float), but int64_vocabulary needs int64 keys");
  ExpectError(RunOnMap("DictVectorizer",
                       Map(Tensor::FromVector<int32_t>({1}), Tensor::FromVector<float>({1})),
                       {IntsAttr("int64_vocabulary", {1})}),
              "int64_vocabulary needs int64 keys");
  ExpectError(
      RunOnMap("DictVectorizer",
               Map(Tensor::FromVector<std::string>({"a"}), Tensor::FromVector<int32_t>({1})),
               {StringsAttr("string_vocabulary", {"a"})}),
      "map values must be float, double, int64 or string");
  // A tensor where the map is expected.
  TypeInfo unknown;
  ExpectError(RunOne("DictVectorizer", unknown, AnyValue(Tensor::FromVector<float>({1})),
                     {StringsAttr("string_vocabulary", {"a"})}),
              "input X must be a map, got float[1]");
}

// ---------------------------------------------------------------------------------------------
// CastMap

AnyValue CastInput() {
  return Map(Tensor::FromVector<int64_t>({5, 1, 3}), Tensor::FromVector<float>({1.5f, -2.25f, 7}));
}

TEST(CastMapTest, DenseInKeyOrder) {
  // ORT: float32[1, 3] [-2.25, 7, 1.5]
  auto r = RunOnMap("CastMap", CastInput(), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->tensor.TypeString(), "float[1,3]");
  EXPECT_EQ(Values<float>(r->tensor), (std::vector<float>{-2.25f, 7, 1.5f}));

  // ORT: int64[1, 7] [-2, 2, 0, 0, INT64_MIN, INT64_MIN, INT64_MIN] for
  // {1: -2.7, 2: 2.7, 3: 0.5, 4: -0.5, 5: 1e20, 6: nan, 7: -1e20}
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto i = RunOnMap("CastMap",
                    Map(Tensor::FromVector<int64_t>({1, 2, 3, 4, 5, 6, 7}),
                        Tensor::FromVector<float>({-2.7f, 2.7f, 0.5f, -0.5f, 1e20f, nan, -1e20f})),
                    {StringAttr("cast_to", "TO_INT64")});
  ASSERT_TRUE(i.ok()) << i.status().ToString();
  const int64_t lo = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(Values<int64_t>(i->tensor), (std::vector<int64_t>{-2, 2, 0, 0, lo, lo, lo}));

  // ORT: ['0.100000', '0.000000', '123456792.000000', 'inf', '-0.000000', '3.000000', '-inf']
  const float inf = std::numeric_limits<float>::infinity();
  auto s =
      RunOnMap("CastMap",
               Map(Tensor::FromVector<int64_t>({1, 2, 3, 4, 5, 6, 7}),
                   Tensor::FromVector<float>({0.1f, 1e-7f, 123456789.0f, inf, -0.0f, 3, -inf})),
               {StringAttr("cast_to", "TO_STRING"), StringAttr("map_form", "DENSE")});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->tensor.TypeString(), "string[1,7]");
  EXPECT_EQ(Values<std::string>(s->tensor),
            (std::vector<std::string>{"0.100000", "0.000000", "123456792.000000", "inf",
                                      "-0.000000", "3.000000", "-inf"}));
}

TEST(CastMapTest, Sparse) {
  // ORT, max_map 7: float32 [0, -2.25, 0, 7, 0, 1.5, 0]; int64 [0, -2, 0, 7, 0, 1, 0];
  // string ['0.f', '-2.250000', '0.f', '7.000000', '0.f', '1.500000', '0.f'].
  auto f =
      RunOnMap("CastMap", CastInput(), {StringAttr("map_form", "SPARSE"), IntAttr("max_map", 7)});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->tensor.TypeString(), "float[1,7]");
  EXPECT_EQ(Values<float>(f->tensor), (std::vector<float>{0, -2.25f, 0, 7, 0, 1.5f, 0}));
  auto i = RunOnMap(
      "CastMap", CastInput(),
      {StringAttr("cast_to", "TO_INT64"), StringAttr("map_form", "SPARSE"), IntAttr("max_map", 7)});
  ASSERT_TRUE(i.ok()) << i.status().ToString();
  EXPECT_EQ(Values<int64_t>(i->tensor), (std::vector<int64_t>{0, -2, 0, 7, 0, 1, 0}));
  auto s = RunOnMap("CastMap", CastInput(),
                    {StringAttr("cast_to", "TO_STRING"), StringAttr("map_form", "SPARSE"),
                     IntAttr("max_map", 7)});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(
      Values<std::string>(s->tensor),
      (std::vector<std::string>{"0.f", "-2.250000", "0.f", "7.000000", "0.f", "1.500000", "0.f"}));
  // ORT, max_map 4: keys >= max_map are dropped: [0, -2.25, 0, 7]
  auto short_map =
      RunOnMap("CastMap", CastInput(), {StringAttr("map_form", "SPARSE"), IntAttr("max_map", 4)});
  ASSERT_TRUE(short_map.ok()) << short_map.status().ToString();
  EXPECT_EQ(Values<float>(short_map->tensor), (std::vector<float>{0, -2.25f, 0, 7}));
}

TEST(CastMapTest, StringValues) {
  // Not feedable through ORT's Python binding; ORT's kernel converts with std::stof / std::stoll
  // (a leading number is read) and copies strings.
  AnyValue m =
      Map(Tensor::FromVector<int64_t>({2, 1}), Tensor::FromVector<std::string>({" 7.25e1x", "-3"}));
  auto f = RunOnMap("CastMap", m, {});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(Values<float>(f->tensor), (std::vector<float>{-3, 72.5f}));
  auto i = RunOnMap("CastMap", m, {StringAttr("cast_to", "TO_INT64")});
  ASSERT_TRUE(i.ok()) << i.status().ToString();
  EXPECT_EQ(Values<int64_t>(i->tensor), (std::vector<int64_t>{-3, 7}));
  auto s = RunOnMap("CastMap", m, {StringAttr("cast_to", "TO_STRING")});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(Values<std::string>(s->tensor), (std::vector<std::string>{"-3", " 7.25e1x"}));
  ExpectError(
      RunOnMap("CastMap",
               Map(Tensor::FromVector<int64_t>({4}), Tensor::FromVector<std::string>({"abc"})), {}),
      "the value 'abc' of key 4 is not a number (float)");
  ExpectError(
      RunOnMap("CastMap",
               Map(Tensor::FromVector<int64_t>({4}), Tensor::FromVector<std::string>({"1e99999"})),
               {}),
      "the value '1e99999' of key 4 is out of range for float");
  ExpectError(RunOnMap("CastMap",
                       Map(Tensor::FromVector<int64_t>({4}),
                           Tensor::FromVector<std::string>({"99999999999999999999"})),
                       {StringAttr("cast_to", "TO_INT64")}),
              "of key 4 is out of range for int64");
}

TEST(CastMapTest, Errors) {
  ExpectError(RunOnMap("CastMap", CastInput(), {StringAttr("cast_to", "TO_DOUBLE")}),
              "cast_to must be TO_FLOAT, TO_STRING or TO_INT64, got 'TO_DOUBLE'");
  ExpectError(RunOnMap("CastMap", CastInput(), {StringAttr("map_form", "BOTH")}),
              "map_form must be DENSE or SPARSE, got 'BOTH'");
  ExpectError(
      RunOnMap("CastMap", CastInput(), {StringAttr("map_form", "SPARSE"), IntAttr("max_map", 0)}),
      "max_map must be > 0 when map_form is SPARSE, got 0");
  // ORT: "Negative index values are not permitted".
  ExpectError(RunOnMap("CastMap",
                       Map(Tensor::FromVector<int64_t>({3, -1}), Tensor::FromVector<float>({1, 2})),
                       {StringAttr("map_form", "SPARSE"), IntAttr("max_map", 6)}),
              "SPARSE map_form needs keys in [0, max_map), got key -1");
  ExpectError(
      RunOnMap("CastMap",
               Map(Tensor::FromVector<std::string>({"a"}), Tensor::FromVector<float>({1})), {}),
      "input X must be map(int64,float) or map(int64,string), got map(string,float)");
  ExpectError(RunOnMap("CastMap",
                       Map(Tensor::FromVector<int64_t>({1}), Tensor::FromVector<double>({1})), {}),
              "got map(int64,double)");
  TypeInfo unknown;
  ExpectError(RunOne("CastMap", unknown, AnyValue(Tensor::FromVector<float>({1})), {}),
              "input X must be a map, got float[1]");
}

// ---------------------------------------------------------------------------------------------
// Together: ZipMap -> SequenceAt -> CastMap, as a probability post-processing chain.

TEST(MlMapChainTest, ZipMapThenSequenceAtThenCastMap) {
  Model m;
  m.ir_version = 10;
  m.opset_imports[""] = 17;
  m.opset_imports[kMl] = 1;
  m.graph = std::make_unique<Graph>();
  Graph& g = *m.graph;
  g.name = "chain";
  int x = *g.AddValue("x", TypeInfo::Tensor(DataType::kFloat));
  int pos = *g.AddValue("pos");
  int z = *g.AddValue("z");
  int row = *g.AddValue("row");
  int y = *g.AddValue("y");
  g.AddInput(x);
  g.SetInitializer(pos, Tensor::Scalar<int64_t>(1));
  Node zip;
  zip.name = "zip";
  zip.op_type = "ZipMap";
  zip.domain = kMl;
  zip.opset = 1;
  zip.inputs = {x};
  zip.outputs = {z};
  zip.attributes = {IntsAttr("classlabels_int64s", {2, 0, 1})};
  ASSERT_TRUE(g.AddNode(zip).ok());
  Node at;
  at.name = "at";
  at.op_type = "SequenceAt";
  at.opset = 17;
  at.inputs = {z, pos};
  at.outputs = {row};
  ASSERT_TRUE(g.AddNode(at).ok());
  Node cast;
  cast.name = "cast";
  cast.op_type = "CastMap";
  cast.domain = kMl;
  cast.opset = 1;
  cast.inputs = {row};
  cast.outputs = {y};
  ASSERT_TRUE(g.AddNode(cast).ok());
  g.AddOutput(z);
  g.AddOutput(y);
  auto s = Session::Create(std::move(m));  // the default optimizer level
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Tensor in = Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  for (int run = 0; run < 2; ++run) {  // the second run is a planned one
    auto out = (*s)->Run({{"x", in}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ((*out)[0].value.TypeString(), "seq(map(int64,float))");
    // Row 1 is {2: 4, 0: 5, 1: 6}; by key: [5, 6, 4].
    EXPECT_EQ(Values<float>((*out)[1].value.tensor), (std::vector<float>{5, 6, 4}));
  }
}

}  // namespace
}  // namespace kiln
