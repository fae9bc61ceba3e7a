#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ir/float8.h"
#include "runtime/session.h"
#include "tests/support/single_node.h"

namespace kiln {
namespace {

const float kInf = std::numeric_limits<float>::infinity();
const float kNan = std::numeric_limits<float>::quiet_NaN();

StatusOr<Tensor> RunCast(int opset, const Tensor& x, DataType to,
                         std::vector<Attribute> extra = {}) {
  extra.push_back(IntAttr("to", static_cast<int64_t>(to)));
  KILN_ASSIGN_OR_RETURN(auto outs, RunSingleNode("Cast", opset, {x}, extra));
  return outs[0].tensor;
}

Tensor Packed(DataType dt, std::vector<int64_t> dims, std::vector<uint8_t> bytes) {
  Tensor t(dt, std::move(dims));
  for (size_t i = 0; i < bytes.size() && i < t.nbytes(); ++i) t.data<uint8_t>()[i] = bytes[i];
  return t;
}

TEST(CastTest, FloatToIntTypes) {
  auto x = Tensor::FromVector<float>({-1.7f, 2.9f, 200.0f, 0.0f});
  auto r = RunCast(13, x, DataType::kInt32);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->data<int32_t>()[0], -1);
  EXPECT_EQ(r->data<int32_t>()[1], 2);
  auto r8 = RunCast(13, x, DataType::kUint8);
  ASSERT_TRUE(r8.ok());
  EXPECT_EQ(r8->data<uint8_t>()[0], 255);  // -1 wraps
  EXPECT_EQ(r8->data<uint8_t>()[2], 200);
  auto rb = RunCast(13, x, DataType::kBool);
  ASSERT_TRUE(rb.ok());
  EXPECT_TRUE(rb->data<bool>()[0]);
  EXPECT_FALSE(rb->data<bool>()[3]);
}

TEST(CastTest, IntWrapAndWiden) {
  auto x = Tensor::FromVector<int16_t>({200, -1, 300});
  auto r = RunCast(13, x, DataType::kInt8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->data<int8_t>()[0], -56);
  EXPECT_EQ(r->data<int8_t>()[1], -1);
  EXPECT_EQ(r->data<int8_t>()[2], 44);
  auto u = RunCast(13, Tensor::FromVector<uint64_t>({18446744073709551615ull}), DataType::kDouble);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->data<double>()[0], 18446744073709551615.0);
  auto big = RunCast(13, Tensor::FromVector<double>({1e19}), DataType::kUint64);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->data<uint64_t>()[0], 10000000000000000000ull);
}

TEST(CastTest, ScalarAndEmpty) {
  auto s = RunCast(13, Tensor::Scalar<double>(2.5), DataType::kFloat16);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->rank(), 0);
  EXPECT_EQ(ToFloat(s->data<Float16>()[0]), 2.5f);
  Tensor empty(DataType::kFloat, {0, 3});
  auto e = RunCast(25, empty, DataType::kInt4);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->dtype(), DataType::kInt4);
  EXPECT_EQ(e->dims(), (std::vector<int64_t>{0, 3}));
}

TEST(CastTest, Float8SaturateAttribute) {
  auto x = Tensor::FromVector<float>({1e6f, -kInf, kNan, 0.47892547f});
  auto sat = RunCast(19, x, DataType::kFloat8E4M3FN);
  ASSERT_TRUE(sat.ok());
  const auto* p = sat->data<Float8E4M3FN>();
  EXPECT_EQ(p[0].bits, 0x7E);
  EXPECT_EQ(p[1].bits, 0xFE);
  EXPECT_EQ(p[2].bits, 0x7F);
  EXPECT_EQ(p[3].bits, 0x2F);
  auto nosat = RunCast(19, x, DataType::kFloat8E5M2, {IntAttr("saturate", 0)});
  ASSERT_TRUE(nosat.ok());
  EXPECT_EQ(nosat->data<Float8E5M2>()[0].bits, 0x7C);
  EXPECT_EQ(nosat->data<Float8E5M2>()[1].bits, 0xFC);
  // back to float
  auto back = RunCast(19, *sat, DataType::kFloat);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->data<float>()[0], 448.0f);
  EXPECT_TRUE(std::isnan(back->data<float>()[2]));
}

TEST(CastTest, E8M0RoundMode) {
  auto x = Tensor::FromVector<float>({1.1f, 0.0f, 8.0f});
  auto up = RunCast(24, x, DataType::kFloat8E8M0);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->data<Float8E8M0>()[0].bits, 128);
  EXPECT_EQ(up->data<Float8E8M0>()[1].bits, 0);
  EXPECT_EQ(up->data<Float8E8M0>()[2].bits, 130);
  auto down = RunCast(24, x, DataType::kFloat8E8M0, {StringAttr("round_mode", "down")});
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->data<Float8E8M0>()[0].bits, 127);
  auto bad = RunCast(24, x, DataType::kFloat8E8M0, {StringAttr("round_mode", "sideways")});
  EXPECT_FALSE(bad.ok());
}

TEST(CastTest, PackedTypes) {
  // odd element count: the last byte's high nibble is padding
  auto x = Tensor::FromVector<float>({-9, -8, 7, 8, 15}, {5});
  auto i4 = RunCast(21, x, DataType::kInt4);
  ASSERT_TRUE(i4.ok()) << i4.status().ToString();
  ASSERT_EQ(i4->nbytes(), 3u);
  EXPECT_EQ(i4->data<uint8_t>()[0], 0x87);
  EXPECT_EQ(i4->data<uint8_t>()[1], 0x87);
  EXPECT_EQ(i4->data<uint8_t>()[2], 0x0F);
  auto f = RunCast(21, *i4, DataType::kFloat);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->data<float>()[0], 7.0f);
  EXPECT_EQ(f->data<float>()[1], -8.0f);
  EXPECT_EQ(f->data<float>()[4], -1.0f);
  auto u8 = RunCast(21, Packed(DataType::kUint4, {3}, {0x87, 0x0F}), DataType::kUint8);
  ASSERT_TRUE(u8.ok());
  EXPECT_EQ(u8->data<uint8_t>()[1], 8);
  EXPECT_EQ(u8->data<uint8_t>()[2], 15);
  auto i2 = RunCast(25, Tensor::FromVector<float>({-3, -2, -1, 0, 1, 2, 3}), DataType::kInt2);
  ASSERT_TRUE(i2.ok());
  EXPECT_EQ(i2->data<uint8_t>()[0], 0x39);
  EXPECT_EQ(i2->data<uint8_t>()[1], 0x39);
  auto f4 = RunCast(23, Tensor::FromVector<float>({0.48f, -3.5f, 9.0f}), DataType::kFloat4E2M1);
  ASSERT_TRUE(f4.ok());
  EXPECT_EQ(f4->data<uint8_t>()[0], 0xE1);
  EXPECT_EQ(f4->data<uint8_t>()[1], 0x07);
  // int4 -> int2 goes through the integer path (wraps)
  auto i4to2 = RunCast(25, Packed(DataType::kInt4, {2}, {0x7D}), DataType::kInt2);
  ASSERT_TRUE(i4to2.ok());
  EXPECT_EQ(i4to2->data<uint8_t>()[0], 0x0D);  // -3 -> 01, 7 -> 11
}

TEST(CastTest, LongTensorCrossesChunks) {
  std::vector<float> v(3001);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(static_cast<int>(i % 16) - 8);
  auto i4 = RunCast(21, Tensor::FromVector(v), DataType::kInt4);
  ASSERT_TRUE(i4.ok());
  auto back = RunCast(21, *i4, DataType::kFloat);
  ASSERT_TRUE(back.ok());
  for (size_t i = 0; i < v.size(); ++i) ASSERT_EQ(back->data<float>()[i], v[i]) << i;
}

TEST(CastTest, StringToNumbers) {
  Tensor s(DataType::kString, {6});
  const char* vals[] = {"1.5", "NaN", "-INF", "+inf", "1e-5", " 2 "};
  for (int i = 0; i < 6; ++i) s.data<std::string>()[i] = vals[i];
  auto f = RunCast(13, s, DataType::kFloat);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const float* p = f->data<float>();
  EXPECT_EQ(p[0], 1.5f);
  EXPECT_TRUE(std::isnan(p[1]));
  EXPECT_EQ(p[2], -kInf);
  EXPECT_EQ(p[3], kInf);
  EXPECT_EQ(p[4], 1e-5f);
  EXPECT_EQ(p[5], 2.0f);

  Tensor si(DataType::kString, {3});
  si.data<std::string>()[0] = "-7";
  si.data<std::string>()[1] = "9223372036854775807";
  si.data<std::string>()[2] = "100.5";
  auto i = RunCast(13, si, DataType::kInt64);
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i->data<int64_t>()[0], -7);
  EXPECT_EQ(i->data<int64_t>()[1], 9223372036854775807LL);
  EXPECT_EQ(i->data<int64_t>()[2], 100);

  Tensor bad(DataType::kString, {1});
  bad.data<std::string>()[0] = "Hello World!";
  auto e = RunCast(13, bad, DataType::kFloat);
  EXPECT_FALSE(e.ok());
}

TEST(CastTest, NumbersToString) {
  auto f = RunCast(
      13,
      Tensor::FromVector<float>({0.1f, 100.0f, 1e20f, 1e6f, 1e-5f, kNan, -kInf, -0.0f, 3.14159f}),
      DataType::kString);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const std::string* s = f->data<std::string>();
  EXPECT_EQ(s[0], "0.1");
  EXPECT_EQ(s[1], "100.0");
  EXPECT_EQ(s[2], "1e+20");
  EXPECT_EQ(s[3], "1e+06");
  EXPECT_EQ(s[4], "1e-05");
  EXPECT_EQ(s[5], "nan");
  EXPECT_EQ(s[6], "-inf");
  EXPECT_EQ(s[7], "-0.0");
  EXPECT_EQ(s[8], "3.14159");
  auto d = RunCast(13, Tensor::FromVector<double>({1e15, 0.0001, 123456789.0}), DataType::kString);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->data<std::string>()[0], "1000000000000000.0");
  EXPECT_EQ(d->data<std::string>()[1], "0.0001");
  EXPECT_EQ(d->data<std::string>()[2], "123456789.0");
  auto h = RunCast(13, Tensor::FromVector<float>({65504.0f, 0.1f}), DataType::kFloat16);
  ASSERT_TRUE(h.ok());
  auto hs = RunCast(13, *h, DataType::kString);
  ASSERT_TRUE(hs.ok());
  EXPECT_EQ(hs->data<std::string>()[0], "6.55e+04");
  EXPECT_EQ(hs->data<std::string>()[1], "0.1");
  auto b = RunCast(13, Tensor::FromVector<bool>({true, false}), DataType::kString);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->data<std::string>()[0], "True");
  auto i = RunCast(13, Tensor::FromVector<int8_t>({-4}), DataType::kString);
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i->data<std::string>()[0], "-4");
}

TEST(CastTest, Errors) {
  auto x = Tensor::FromVector<float>({1.0f});
  EXPECT_FALSE(RunCast(13, x, static_cast<DataType>(99)).ok());
  EXPECT_FALSE(RunCast(13, x, DataType::kComplex64).ok());
  EXPECT_FALSE(RunCast(13, x, DataType::kFloat8E4M3FN).ok());  // float8 needs opset 19
  EXPECT_FALSE(RunCast(13, Tensor::FromVector<float>({1.0f}), DataType::kInt4).ok());
  auto missing_to = RunSingleNode("Cast", 13, {x}, {});
  EXPECT_FALSE(missing_to.ok());
}

TEST(CastLikeTest, TakesTargetType) {
  auto x = Tensor::FromVector<float>({1.5f, -2.5f});
  auto like = Tensor::FromVector<double>({});
  auto r = RunSingleNode("CastLike", 15, {x, like}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Tensor& y = (*r)[0].tensor;
  EXPECT_EQ(y.dtype(), DataType::kDouble);
  EXPECT_EQ(y.data<double>()[1], -2.5);
  Tensor like8(DataType::kFloat8E4M3FN, {0});
  auto r8 = RunSingleNode("CastLike", 19, {Tensor::FromVector<float>({1e6f}), like8},
                          {IntAttr("saturate", 0)});
  ASSERT_TRUE(r8.ok());
  EXPECT_EQ((*r8)[0].tensor.data<Float8E4M3FN>()[0].bits, 0x7F);
}

}  // namespace
}  // namespace kiln
