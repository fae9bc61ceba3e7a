// Map values (AnyValue kind kMap): construction, TypeString, and reading and writing them as
// MapProto, inside SequenceProto and OptionalProto too.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ir/onnx_io.h"
#include "ir/tensor.h"

namespace kiln {
namespace {

// Serialized protos written by onnx 1.23's Python API (onnx.numpy_helper.from_dict for the first;
// onnx.MapProto / SequenceProto fields set by hand for the others), printed as C literals.
// FromDictInt64Float
const std::string kFromDictInt64Float(
    "\x10\x07\x18\x01\x18\x07\x2a\x16\x10\x01\x1a\x08\x10\x01\x4a\x04\x00\x00\x00\x3f\x1a\x08\x10"
    "\x01\x4a\x04\x00\x00\x00\xc0",
    30);
// SeqOfStringMaps
const std::string kSeqOfStringMaps(
    "\x10\x04\x32\x24\x10\x08\x22\x03\x63\x61\x74\x22\x03\x64\x6f\x67\x2a\x16\x10\x01\x1a\x08\x10"
    "\x01\x4a\x04\x00\x00\x80\x3e\x1a\x08\x10\x01\x4a\x04\x00\x00\x40\x3f\x32\x24\x10\x08\x22\x03"
    "\x64\x6f\x67\x22\x03\x63\x61\x74\x2a\x16\x10\x01\x1a\x08\x10\x01\x4a\x04\x00\x00\x00\x00\x1a"
    "\x08\x10\x01\x4a\x04\x00\x00\x80\x3f",
    78);
// FromDictArrayValues
const std::string kFromDictArrayValues(
    "\x10\x07\x18\x01\x2a\x12\x10\x01\x1a\x0e\x08\x02\x10\x01\x4a\x08\x00\x00\x80\x3f\x00\x00\x00"
    "\x40",
    24);
// Int8KeyOutOfRange
const std::string kInt8KeyOutOfRange(
    "\x10\x03\x18\xac\x02\x2a\x0c\x10\x01\x1a\x08\x10\x01\x4a\x04\x00\x00\x80\x3f", 19);
// FloatKeys
const std::string kFloatKeys(
    "\x10\x01\x18\x01\x2a\x0c\x10\x01\x1a\x08\x10\x01\x4a\x04\x00\x00\x80\x3f", 18);
// TwoKeysOneValue
const std::string kTwoKeysOneValue(
    "\x10\x07\x18\x01\x18\x02\x2a\x0c\x10\x01\x1a\x08\x10\x01\x4a\x04\x00\x00\x80\x3f", 20);
// DuplicateKeys
const std::string kDuplicateKeys(
    "\x10\x07\x18\x04\x18\x04\x2a\x16\x10\x01\x1a\x08\x10\x01\x4a\x04\x00\x00\x80\x3f\x1a\x08\x10"
    "\x01\x4a\x04\x00\x00\x80\x3f",
    30);
// EmptyMap
const std::string kEmptyMap("\x10\x07", 2);
// SequenceValues
const std::string kSequenceValues(
    "\x10\x08\x22\x01\x61\x2a\x10\x10\x03\x2a\x0c\x10\x01\x1a\x08\x10\x01\x4a\x04\x00\x00\x80\x3f",
    23);
// A map's entries as "k=v;" in stored order (values as float or string).
std::string Entries(const AnyValue& m) {
  std::string s;
  for (int64_t i = 0; i < m.map_size(); ++i) {
    s += MapKeyToString(m.map_keys, i) + "=";
    switch (m.map_values.dtype()) {
      case DataType::kFloat:
        s += std::to_string(m.map_values.data<float>()[i]);
        break;
      case DataType::kDouble:
        s += std::to_string(m.map_values.data<double>()[i]);
        break;
      case DataType::kInt64:
        s += std::to_string(m.map_values.data<int64_t>()[i]);
        break;
      case DataType::kString:
        s += m.map_values.data<std::string>()[i];
        break;
      default:
        s += "?";
    }
    s += ";";
  }
  return s;
}

TEST(MapValueTest, MapAndTypeString) {
  auto m = AnyValue::Map(Tensor::FromVector<int64_t>({5, 2}), Tensor::FromVector<float>({0.5f, 1}));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m->is_map());
  EXPECT_FALSE(m->is_tensor());
  EXPECT_EQ(m->map_size(), 2);
  EXPECT_EQ(m->TypeString(), "map(int64,float)");
  EXPECT_EQ(Entries(*m), "5=0.500000;2=1.000000;");

  auto s = AnyValue::Map(Tensor::FromVector<std::string>({"a", "b"}),
                         Tensor::FromVector<double>({1, 2}));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->TypeString(), "map(string,double)");
  EXPECT_EQ(MapKeyToString(s->map_keys, 1), "'b'");
  AnyValue seq = AnyValue::Sequence({*s, *s}, DataType::kDouble);
  EXPECT_EQ(seq.TypeString(), "seq(map(string,double))");
  AnyValue empty = AnyValue::Sequence({}, DataType::kFloat);
  EXPECT_EQ(empty.TypeString(), "seq(float)");
  empty.sequence_map_key_type = DataType::kInt64;
  EXPECT_EQ(empty.TypeString(), "seq(map(int64,float))");
  auto small = AnyValue::Map(Tensor::FromVector<uint8_t>({}), Tensor::FromVector<int64_t>({}));
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->TypeString(), "map(uint8,int64)");
}

TEST(MapValueTest, MapRejectsBadKeysAndValues) {
  auto float_keys = AnyValue::Map(Tensor::FromVector<float>({1}), Tensor::FromVector<float>({1}));
  ASSERT_FALSE(float_keys.ok());
  EXPECT_NE(float_keys.status().message().find("integer type or string, got float[1]"),
            std::string::npos)
      << float_keys.status().message();
  auto lengths = AnyValue::Map(Tensor::FromVector<int64_t>({1, 2}), Tensor::FromVector<float>({1}));
  ASSERT_FALSE(lengths.ok());
  EXPECT_NE(lengths.status().message().find("keys int64[2] and values float[1]"), std::string::npos)
      << lengths.status().message();
  auto rank2 = AnyValue::Map(Tensor::FromVector<int64_t>({1, 2}, {1, 2}),
                             Tensor::FromVector<float>({1, 2}, {1, 2}));
  EXPECT_FALSE(rank2.ok());
  auto dup =
      AnyValue::Map(Tensor::FromVector<int32_t>({3, 1, 3}), Tensor::FromVector<float>({1, 2, 3}));
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("map key 3 occurs twice"), std::string::npos);
  auto dup_s = AnyValue::Map(Tensor::FromVector<std::string>({"x", "y", "x"}),
                             Tensor::FromVector<float>({1, 2, 3}));
  ASSERT_FALSE(dup_s.ok());
  EXPECT_NE(dup_s.status().message().find("map key 'x' occurs twice"), std::string::npos);
  EXPECT_FALSE(AnyValue::Map(Tensor::FromVector<int64_t>({}), Tensor()).ok());
}

TEST(MapValueTest, ReadsWhatOnnxWrites) {
  auto m = ParseValue(kFromDictInt64Float, TypeInfo::Map(DataType::kInt64, DataType::kFloat), "m");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->TypeString(), "map(int64,float)");
  EXPECT_EQ(Entries(*m), "1=0.500000;7=-2.000000;");
  // The declared type is only a hint: an unknown one reads the map as it is.
  TypeInfo any_map;
  any_map.kind = TypeInfo::Kind::kMap;
  auto m2 = ParseValue(kFromDictInt64Float, any_map, "m");
  ASSERT_TRUE(m2.ok());
  EXPECT_EQ(Entries(*m2), "1=0.500000;7=-2.000000;");

  auto seq =
      ParseValue(kSeqOfStringMaps,
                 TypeInfo::Sequence(TypeInfo::Map(DataType::kString, DataType::kFloat)), "s");
  ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  EXPECT_EQ(seq->TypeString(), "seq(map(string,float))");
  ASSERT_EQ(seq->sequence.size(), 2u);
  EXPECT_EQ(Entries(seq->sequence[0]), "'cat'=0.250000;'dog'=0.750000;");
  EXPECT_EQ(Entries(seq->sequence[1]), "'dog'=0.000000;'cat'=1.000000;");
}

TEST(MapValueTest, BadMapProtosAreErrors) {
  const TypeInfo t = TypeInfo::Map(DataType::kInt64, DataType::kFloat);
  auto expect_error = [&](const std::string& bytes, const TypeInfo& type, const std::string& want) {
    auto v = ParseValue(bytes, type, "file.pb");
    ASSERT_FALSE(v.ok()) << want;
    EXPECT_NE(v.status().message().find(want), std::string::npos) << v.status().message();
    EXPECT_EQ(v.status().message().rfind("file.pb", 0), 0u) << v.status().message();
  };
  expect_error(kFromDictArrayValues, t, "map entry 0 holds float[2]; kiln maps hold scalar values");
  expect_error(kInt8KeyOutOfRange, TypeInfo::Map(DataType::kInt8, DataType::kFloat),
               "map key 300 is out of range for int8");
  expect_error(kFloatKeys, t, "map key type float is not allowed");
  expect_error(kTwoKeysOneValue, t, "map has 2 keys and 1 values");
  expect_error(kDuplicateKeys, t, "map key 4 occurs twice");
  expect_error(kSequenceValues, TypeInfo::Map(DataType::kString, DataType::kFloat),
               "map values of kind sequence are not supported");
  TypeInfo untyped;
  untyped.kind = TypeInfo::Kind::kMap;
  untyped.elem_type = DataType::kInt64;
  expect_error(kEmptyMap, untyped, "an empty map with no declared value type");
  expect_error(std::string("\xff\xff\xff", 3), t, "not a MapProto");
  // A map where a tensor is expected is no TensorProto.
  EXPECT_FALSE(ParseValue(kFromDictInt64Float, TypeInfo::Tensor(DataType::kFloat), "x").ok());
}

TEST(MapValueTest, EmptyMapsTakeTheDeclaredTypes) {
  auto m = ParseValue(kEmptyMap, TypeInfo::Map(DataType::kInt64, DataType::kDouble), "m");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->TypeString(), "map(int64,double)");
  EXPECT_EQ(m->map_size(), 0);
  // An empty sequence of maps keeps its element type through a round trip.
  const TypeInfo seq_type = TypeInfo::Sequence(TypeInfo::Map(DataType::kString, DataType::kFloat));
  auto bytes = SerializeValue(AnyValue::Sequence({}, DataType::kUndefined), "s");
  ASSERT_TRUE(bytes.ok());
  auto seq = ParseValue(*bytes, seq_type, "s");
  ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  EXPECT_EQ(seq->TypeString(), "seq(map(string,float))");
}

// Writes `v`, reads it back as `type`, and returns it (or records a failure).
AnyValue RoundTrip(const AnyValue& v, const TypeInfo& type) {
  auto bytes = SerializeValue(v, "v");
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return AnyValue();
  auto back = ParseValue(*bytes, type, "v");
  EXPECT_TRUE(back.ok()) << back.status().ToString();
  return back.ok() ? *back : AnyValue();
}

TEST(MapValueTest, WriteReadRoundTrips) {
  auto f = AnyValue::Map(Tensor::FromVector<int64_t>({9, -3, 4}),
                         Tensor::FromVector<float>({0.25f, -1.5f, 3}));
  ASSERT_TRUE(f.ok());
  AnyValue f2 = RoundTrip(*f, TypeInfo::Map(DataType::kInt64, DataType::kFloat));
  EXPECT_EQ(f2.TypeString(), "map(int64,float)");
  EXPECT_EQ(Entries(f2), "9=0.250000;-3=-1.500000;4=3.000000;");

  auto s = AnyValue::Map(Tensor::FromVector<std::string>({"b", "a"}),
                         Tensor::FromVector<std::string>({"x", ""}));
  ASSERT_TRUE(s.ok());
  AnyValue s2 = RoundTrip(*s, TypeInfo::Map(DataType::kString, DataType::kString));
  EXPECT_EQ(s2.TypeString(), "map(string,string)");
  EXPECT_EQ(Entries(s2), "'b'=x;'a'=;");

  auto d = AnyValue::Map(Tensor::FromVector<int32_t>({-2}), Tensor::FromVector<double>({1e300}));
  ASSERT_TRUE(d.ok());
  AnyValue d2 = RoundTrip(*d, TypeInfo::Map(DataType::kInt32, DataType::kDouble));
  EXPECT_EQ(d2.TypeString(), "map(int32,double)");
  EXPECT_EQ(d2.map_values.data<double>()[0], 1e300);

  // uint64 keys above INT64_MAX travel as their int64 bits.
  auto u = AnyValue::Map(Tensor::FromVector<uint64_t>({18446744073709551615ull, 1}),
                         Tensor::FromVector<int64_t>({7, 8}));
  ASSERT_TRUE(u.ok());
  AnyValue u2 = RoundTrip(*u, TypeInfo::Map(DataType::kUint64, DataType::kInt64));
  EXPECT_EQ(Entries(u2), "18446744073709551615=7;1=8;");

  AnyValue seq = AnyValue::Sequence({*f, *f}, DataType::kFloat);
  AnyValue seq2 =
      RoundTrip(seq, TypeInfo::Sequence(TypeInfo::Map(DataType::kInt64, DataType::kFloat)));
  EXPECT_EQ(seq2.TypeString(), "seq(map(int64,float))");
  ASSERT_EQ(seq2.sequence.size(), 2u);
  EXPECT_EQ(Entries(seq2.sequence[1]), "9=0.250000;-3=-1.500000;4=3.000000;");

  AnyValue opt = *s;
  opt.optional = true;
  AnyValue opt2 =
      RoundTrip(opt, TypeInfo::Optional(TypeInfo::Map(DataType::kString, DataType::kString)));
  EXPECT_TRUE(opt2.is_map());
  EXPECT_TRUE(opt2.optional);
  EXPECT_EQ(Entries(opt2), "'b'=x;'a'=;");
  AnyValue none = RoundTrip(
      AnyValue::None(), TypeInfo::Optional(TypeInfo::Map(DataType::kString, DataType::kString)));
  EXPECT_EQ(none.kind, AnyValue::Kind::kNone);

  // Tensors and sequences of tensors are written as before.
  AnyValue t =
      RoundTrip(AnyValue(Tensor::FromVector<float>({1, 2})), TypeInfo::Tensor(DataType::kFloat));
  EXPECT_EQ(t.TypeString(), "float[2]");
  AnyValue ts = RoundTrip(AnyValue::Sequence({Tensor::FromVector<int64_t>({1})}, DataType::kInt64),
                          TypeInfo::Sequence(TypeInfo::Tensor(DataType::kInt64)));
  EXPECT_EQ(ts.TypeString(), "seq(int64)");
  ASSERT_EQ(ts.sequence.size(), 1u);
}

TEST(MapValueTest, MixedSequencesCannotBeWritten) {
  auto m = AnyValue::Map(Tensor::FromVector<int64_t>({1}), Tensor::FromVector<float>({1}));
  ASSERT_TRUE(m.ok());
  AnyValue mixed =
      AnyValue::Sequence({*m, AnyValue(Tensor::FromVector<float>({1}))}, DataType::kFloat);
  auto bytes = SerializeValue(mixed, "mixed");
  ASSERT_FALSE(bytes.ok());
  EXPECT_NE(bytes.status().message().find("mixes items of types map(int64,float) and float[1]"),
            std::string::npos)
      << bytes.status().message();
}

}  // namespace
}  // namespace kiln
