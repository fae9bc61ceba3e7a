#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/session.h"
#include "tests/support/single_node.h"

namespace kiln {
namespace {

Tensor Strings(const std::vector<std::string>& v, std::vector<int64_t> dims) {
  Tensor t(DataType::kString, std::move(dims));
  for (size_t i = 0; i < v.size(); ++i) t.data<std::string>()[i] = v[i];
  return t;
}
Tensor Strings(const std::vector<std::string>& v) {
  return Strings(v, {static_cast<int64_t>(v.size())});
}
std::vector<std::string> Values(const AnyValue& v) {
  const Tensor& t = v.tensor;
  return std::vector<std::string>(t.data<std::string>(), t.data<std::string>() + t.numel());
}
TEST(StringKernelTest, NormalizerStopwordsAndCase) {
  Tensor x = Strings({"Monday", "tuesday", "MONDAY", "wed"}, {1, 4});
  auto r = RunSingleNode(
      "StringNormalizer", 10, {x},
      {StringAttr("case_change_action", "LOWER"), StringsAttr("stopwords", {"monday"})});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(Values((*r)[0]), (std::vector<std::string>{"tuesday", "wed"}));
  auto cs = RunSingleNode("StringNormalizer", 10, {x},
                          {StringAttr("case_change_action", "UPPER"),
                           IntAttr("is_case_sensitive", 1), StringsAttr("stopwords", {"Monday"})});
  ASSERT_TRUE(cs.ok());
  EXPECT_EQ(Values((*cs)[0]), (std::vector<std::string>{"TUESDAY", "MONDAY", "WED"}));
}

TEST(StringKernelTest, NormalizerEverythingRemoved) {
  auto r = RunSingleNode("StringNormalizer", 10, {Strings({"a", "A"})},
                         {StringsAttr("stopwords", {"a"})});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{1}));
  EXPECT_EQ(Values((*r)[0]), (std::vector<std::string>{""}));
  auto r2 = RunSingleNode("StringNormalizer", 10, {Strings({"a"}, {1, 1})},
                          {StringsAttr("stopwords", {"a"})});
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ((*r2)[0].tensor.dims(), (std::vector<int64_t>{1, 1}));
}

TEST(StringKernelTest, NormalizerErrors) {
  EXPECT_FALSE(RunSingleNode("StringNormalizer", 10, {Strings({"a", "b"}, {2, 1})}, {}).ok());
  EXPECT_FALSE(RunSingleNode("StringNormalizer", 10, {Strings({"a"})},
                             {StringAttr("case_change_action", "TITLE")})
                   .ok());
  EXPECT_FALSE(RunSingleNode("StringNormalizer", 10, {Tensor::FromVector<float>({1})}, {}).ok());
}

TEST(StringKernelTest, ConcatBroadcastsAndHandlesScalars) {
  auto r = RunSingleNode("StringConcat", 20,
                         {Strings({"a", "b", "c", "d"}, {2, 2}), Strings({"x", "y"})}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values((*r)[0]), (std::vector<std::string>{"ax", "by", "cx", "dy"}));
  auto s = RunSingleNode("StringConcat", 20, {Strings({"a"}, {}), Strings({""}, {})}, {});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)[0].tensor.rank(), 0);
  EXPECT_EQ(Values((*s)[0]), (std::vector<std::string>{"a"}));
  auto e = RunSingleNode("StringConcat", 20, {Strings({}, {0}), Strings({"x"})}, {});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)[0].tensor.numel(), 0);
  EXPECT_FALSE(
      RunSingleNode("StringConcat", 20, {Strings({"a", "b"}), Strings({"a", "b", "c"})}, {}).ok());
}

TEST(StringKernelTest, SplitDelimiterAndPadding) {
  auto r = RunSingleNode("StringSplit", 20, {Strings({"a,b,,c", "d", ""})},
                         {StringAttr("delimiter", ",")}, 2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(Values((*r)[0]),
            (std::vector<std::string>{"a", "b", "", "c", "d", "", "", "", "", "", "", ""}));
  const int64_t* n = (*r)[1].tensor.data<int64_t>();
  EXPECT_EQ(n[0], 4);
  EXPECT_EQ(n[1], 1);
  EXPECT_EQ(n[2], 1);
}

TEST(StringKernelTest, SplitWhitespaceAndMaxsplit) {
  auto r = RunSingleNode("StringSplit", 20, {Strings({"  a  b c ", "", "x"})},
                         {IntAttr("maxsplit", 1)}, 2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values((*r)[0]), (std::vector<std::string>{"a", "b c ", "", "", "x", ""}));
  const int64_t* n = (*r)[1].tensor.data<int64_t>();
  EXPECT_EQ(n[0], 2);
  EXPECT_EQ(n[1], 0);
  EXPECT_EQ(n[2], 1);
  auto m = RunSingleNode("StringSplit", 20, {Strings({"a-b-c"}, {1, 1})},
                         {StringAttr("delimiter", "-"), IntAttr("maxsplit", 1)}, 2);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)[0].tensor.dims(), (std::vector<int64_t>{1, 1, 2}));
  EXPECT_EQ(Values((*m)[0]), (std::vector<std::string>{"a", "b-c"}));
}

TEST(StringKernelTest, SplitEmptyTensor) {
  auto r = RunSingleNode("StringSplit", 20, {Strings({}, {0, 3})}, {}, 2);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{0, 3, 0}));
  EXPECT_EQ((*r)[1].tensor.dims(), (std::vector<int64_t>{0, 3}));
}

TEST(StringKernelTest, RegexFullMatch) {
  auto r = RunSingleNode("RegexFullMatch", 20,
                         {Strings({"www.google.com", "www.x.org", "", "a@gmail.com"}, {2, 2})},
                         {StringAttr("pattern", R"(www\.[\w.-]+\.\bcom\b)")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{2, 2}));
  const bool* b = (*r)[0].tensor.data<bool>();
  EXPECT_TRUE(b[0]);
  EXPECT_FALSE(b[1]);
  EXPECT_FALSE(b[2]);
  EXPECT_FALSE(b[3]);
  EXPECT_FALSE(
      RunSingleNode("RegexFullMatch", 20, {Strings({"a"})}, {StringAttr("pattern", "([a")}).ok());
  EXPECT_FALSE(RunSingleNode("RegexFullMatch", 20, {Strings({"a"})}, {}).ok());
}

}  // namespace
}  // namespace kiln
