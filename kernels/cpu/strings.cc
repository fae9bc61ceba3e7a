// String CPU kernels:
//   StringNormalizer 10+ (stopwords, is_case_sensitive, case_change_action LOWER/UPPER/NONE;
//     ASCII case mapping, `locale` accepted and ignored; [C] or [1, C] input),
//   StringConcat 20+ (numpy broadcasting),
//   StringSplit 20+ (delimiter, maxsplit; substrings padded with "" plus their counts),
//   RegexFullMatch 20+ (std::regex ECMAScript, which accepts the RE2 subset in common use:
//     classes, \w \d \s \b, alternation, bounded repeats; RE2-only syntax such as (?i) or
//     \pN is rejected at session creation).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <regex>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "kernels/cpu/register.h"
#include "kernels/ops/common.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

const std::vector<DataType> kStringType = {DataType::kString};

std::string AsciiLower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string AsciiUpper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// ---------------------------------------------------------------------------------------------
// StringNormalizer

class StringNormalizerKernel : public Kernel {
 public:
  enum class CaseAction { kNone, kLower, kUpper };
  StringNormalizerKernel(CaseAction action, bool case_sensitive,
                         std::unordered_set<std::string> stopwords)
      : action_(action), case_sensitive_(case_sensitive), stopwords_(std::move(stopwords)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const bool two_d = x.rank() == 2;
    if (!(x.rank() == 1 || (two_d && x.dim(0) == 1))) {
      return ctx.InvalidArgument("input must have shape [C] or [1, C], got " + x.TypeString());
    }
    const std::string* in = x.data<std::string>();
    std::vector<const std::string*> kept;
    kept.reserve(x.numel());
    for (int64_t i = 0; i < x.numel(); ++i) {
      if (!stopwords_.empty()) {
        // The set holds lower-cased words when matching is case-insensitive.
        bool stop =
            case_sensitive_ ? stopwords_.count(in[i]) > 0 : stopwords_.count(AsciiLower(in[i])) > 0;
        if (stop) continue;
      }
      kept.push_back(&in[i]);
    }
    // All removed: a single empty string, [1] or [1, 1].
    const int64_t c = kept.empty() ? 1 : static_cast<int64_t>(kept.size());
    std::vector<int64_t> dims = two_d ? std::vector<int64_t>{1, c} : std::vector<int64_t>{c};
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kString, dims));
    std::string* out = y->data<std::string>();
    for (size_t i = 0; i < kept.size(); ++i) {
      switch (action_) {
        case CaseAction::kNone:
          out[i] = *kept[i];
          break;
        case CaseAction::kLower:
          out[i] = AsciiLower(*kept[i]);
          break;
        case CaseAction::kUpper:
          out[i] = AsciiUpper(*kept[i]);
          break;
      }
    }
    return Status::Ok();
  }

 private:
  CaseAction action_;
  bool case_sensitive_;
  std::unordered_set<std::string> stopwords_;
};

StatusOr<std::unique_ptr<Kernel>> StringNormalizerFactory(const KernelInfo& info) {
  const std::string action = info.GetString("case_change_action", "NONE");
  StringNormalizerKernel::CaseAction a;
  if (action == "NONE") {
    a = StringNormalizerKernel::CaseAction::kNone;
  } else if (action == "LOWER") {
    a = StringNormalizerKernel::CaseAction::kLower;
  } else if (action == "UPPER") {
    a = StringNormalizerKernel::CaseAction::kUpper;
  } else {
    return info.InvalidModel("case_change_action must be NONE, LOWER or UPPER, got '" + action +
                             "'");
  }
  const bool case_sensitive = info.GetInt("is_case_sensitive", 0) != 0;
  std::unordered_set<std::string> stops;
  for (const std::string& w : info.GetStrings("stopwords")) {
    stops.insert(case_sensitive ? w : AsciiLower(w));
  }
  return std::unique_ptr<Kernel>(new StringNormalizerKernel(a, case_sensitive, std::move(stops)));
}

// ---------------------------------------------------------------------------------------------
// StringConcat

Status StringConcatRun(KernelContext& ctx) {
  const Tensor& a = *ctx.Input(0);
  const Tensor& b = *ctx.Input(1);
  auto dims = BroadcastShapes({a.dims(), b.dims()});
  if (!dims.ok()) return ctx.InvalidArgument(dims.status().message());
  KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kString, *dims));
  if (y->numel() == 0) return Status::Ok();
  const std::string* pa = a.data<std::string>();
  const std::string* pb = b.data<std::string>();
  std::string* py = y->data<std::string>();
  ForEachBroadcastRun<2>(*dims, {a.dims(), b.dims()},
                         [&](int64_t o, const auto& in, int64_t n, const auto& st) {
                           for (int64_t j = 0; j < n; ++j) {
                             const std::string& sa = pa[in[0] + j * st[0]];
                             const std::string& sb = pb[in[1] + j * st[1]];
                             std::string& r = py[o + j];
                             r.reserve(sa.size() + sb.size());
                             r.assign(sa);
                             r.append(sb);
                           }
                         });
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// StringSplit

// Python's str.isspace for ASCII.
bool IsSpace(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f');
}

// Splits like Python's str.split(delimiter or None, maxsplit); maxsplit < 0 is unlimited.
void SplitString(const std::string& s, const std::string& delim, int64_t maxsplit,
                 std::vector<std::string>* parts) {
  parts->clear();
  if (delim.empty()) {
    size_t i = 0;
    const size_t n = s.size();
    int64_t splits = 0;
    while (true) {
      while (i < n && IsSpace(s[i])) ++i;
      if (i >= n) break;
      if (maxsplit >= 0 && splits >= maxsplit) {
        parts->push_back(s.substr(i));  // the remainder keeps its trailing whitespace
        break;
      }
      size_t j = i;
      while (j < n && !IsSpace(s[j])) ++j;
      parts->push_back(s.substr(i, j - i));
      ++splits;
      i = j;
    }
    return;
  }
  size_t start = 0;
  int64_t splits = 0;
  while (maxsplit < 0 || splits < maxsplit) {
    size_t p = s.find(delim, start);
    if (p == std::string::npos) break;
    parts->push_back(s.substr(start, p - start));
    start = p + delim.size();
    ++splits;
  }
  parts->push_back(s.substr(start));
}

class StringSplitKernel : public Kernel {
 public:
  StringSplitKernel(std::string delimiter, int64_t maxsplit)
      : delimiter_(std::move(delimiter)), maxsplit_(maxsplit) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    const int64_t n = x.numel();
    const std::string* in = x.data<std::string>();
    std::vector<std::vector<std::string>> parts(static_cast<size_t>(n));
    int64_t width = 0;
    for (int64_t i = 0; i < n; ++i) {
      SplitString(in[i], delimiter_, maxsplit_, &parts[i]);
      width = std::max<int64_t>(width, static_cast<int64_t>(parts[i].size()));
    }
    std::vector<int64_t> ydims = x.dims();
    ydims.push_back(width);
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kString, ydims));
    std::string* py = y->data<std::string>();
    for (int64_t i = 0; i < n; ++i) {
      for (size_t k = 0; k < parts[i].size(); ++k) py[i * width + k] = std::move(parts[i][k]);
    }
    if (ctx.output_requested(1)) {
      KILN_ASSIGN_OR_RETURN(Tensor * z, ctx.Output(1, DataType::kInt64, x.dims()));
      int64_t* pz = z->data<int64_t>();
      for (int64_t i = 0; i < n; ++i) pz[i] = static_cast<int64_t>(parts[i].size());
    }
    return Status::Ok();
  }

 private:
  std::string delimiter_;  // "" splits on runs of whitespace
  int64_t maxsplit_;       // < 0: unlimited
};

StatusOr<std::unique_ptr<Kernel>> StringSplitFactory(const KernelInfo& info) {
  const int64_t maxsplit = info.GetInt("maxsplit", -1);
  return std::unique_ptr<Kernel>(
      new StringSplitKernel(info.GetString("delimiter", ""), maxsplit < 0 ? -1 : maxsplit));
}

// ---------------------------------------------------------------------------------------------
// RegexFullMatch

class RegexFullMatchKernel : public Kernel {
 public:
  explicit RegexFullMatchKernel(std::regex re) : re_(std::move(re)) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kBool, x.dims()));
    const std::string* in = x.data<std::string>();
    bool* out = y->data<bool>();
    for (int64_t i = 0; i < x.numel(); ++i) out[i] = std::regex_match(in[i], re_);
    return Status::Ok();
  }

 private:
  std::regex re_;
};

StatusOr<std::unique_ptr<Kernel>> RegexFullMatchFactory(const KernelInfo& info) {
  if (!info.HasAttr("pattern")) return info.InvalidModel("attribute 'pattern' is required");
  const std::string pattern = info.GetString("pattern", "");
  try {
    std::regex re(pattern, std::regex::ECMAScript | std::regex::optimize);
    return std::unique_ptr<Kernel>(new RegexFullMatchKernel(std::move(re)));
  } catch (const std::regex_error& e) {
    return info.InvalidModel("invalid pattern '" + pattern + "': " + e.what());
  }
}

}  // namespace

void RegisterStringKernels(KernelRegistry& r) {
  r.Register(KernelDef("StringNormalizer").Opsets(10).Types("T", {0}, kStringType),
             StringNormalizerFactory);
  r.Register(KernelDef("StringConcat").Opsets(20).Types("T", {0, 1}, kStringType),
             Stateless(StringConcatRun));
  r.Register(KernelDef("StringSplit").Opsets(20).Types("T", {0}, kStringType), StringSplitFactory);
  r.Register(KernelDef("RegexFullMatch").Opsets(20).Types("T", {0}, kStringType),
             RegexFullMatchFactory);
}

}  // namespace kiln::cpu
