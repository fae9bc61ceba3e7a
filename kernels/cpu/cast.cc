// Cast family kernels (CPU):
//   Cast      1-5, 6-8, 9-12 (+string), 13-18 (+bfloat16), 19-20 (+float8 x4, `saturate`),
//             21-22 (+int4/uint4), 23 (+float4e2m1), 24 (+float8e8m0, `round_mode`),
//             25+ (+int2/uint2)
//   CastLike  15-18, 19-20, 21-22, 23, 24, 25+ (target type taken from input 1; same attributes)
// Every pair of the allowed types converts, strings included. Conversion runs in chunks through
// an intermediate buffer (float, double, int64 or uint64, whichever holds the source exactly), so
// each source type has one loader and each target type one storer per intermediate.
#include "kernels/cpu/cast.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cpu/register.h"
#include "kernels/ops/cast_params.h"
#include "kernels/ops/common.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

constexpr int64_t kChunk = kCastChunk;  // a multiple of 4: packed chunks start on a byte boundary

union MidBuffer {
  float f[kChunk];
  double d[kChunk];
  int64_t i[kChunk];
  uint64_t u[kChunk];
};
enum class MidKind { kFloat, kDouble, kInt64, kUint64 };

// ---- element conversions from an intermediate value ----

// Float to integer: truncation toward zero into int64; NaN / out of range give INT64_MIN (what
// x86 conversions produce). Values in [2^63, 2^64) keep their uint64 bits.
inline int64_t FloatToIntBits(double v) {
  if (v > -9223372036854777856.0 && v < 9223372036854775808.0) return static_cast<int64_t>(v);
  if (v >= 9223372036854775808.0 && v < 18446744073709551616.0) {
    return static_cast<int64_t>(static_cast<uint64_t>(v));
  }
  return std::numeric_limits<int64_t>::min();
}

template <typename M>
inline int64_t IntBits(M v) {
  if constexpr (std::is_floating_point_v<M>) {
    return FloatToIntBits(static_cast<double>(v));
  } else {
    return static_cast<int64_t>(v);
  }
}

// An intermediate value as float / double for the narrow float encoders: ints go through double
// (exact below 2^53; larger values overflow every narrow format anyway).
template <typename M>
inline auto AsFloating(M v) {
  if constexpr (std::is_same_v<M, float> || std::is_same_v<M, double>) {
    return v;
  } else {
    return static_cast<double>(v);
  }
}

template <typename D, typename M>
inline D Convert(M v, const CastOptions& o) {
  if constexpr (std::is_same_v<D, bool>) {
    return v != M(0);
  } else if constexpr (std::is_same_v<D, float> || std::is_same_v<D, double>) {
    return static_cast<D>(v);
  } else if constexpr (std::is_integral_v<D>) {
    return static_cast<D>(IntBits(v));
  } else if constexpr (std::is_same_v<D, Float16>) {
    if constexpr (std::is_same_v<M, float>) {
      return ToFloat16(v);
    } else {
      return DoubleToFloat16(static_cast<double>(v));
    }
  } else if constexpr (std::is_same_v<D, BFloat16>) {
    if constexpr (std::is_same_v<M, float>) {
      return ToBFloat16(v);
    } else {
      return DoubleToBFloat16(static_cast<double>(v));
    }
  } else if constexpr (std::is_same_v<D, Float8E4M3FN>) {
    return ToFloat8E4M3FN(AsFloating(v), o.saturate);
  } else if constexpr (std::is_same_v<D, Float8E4M3FNUZ>) {
    return ToFloat8E4M3FNUZ(AsFloating(v), o.saturate);
  } else if constexpr (std::is_same_v<D, Float8E5M2>) {
    return ToFloat8E5M2(AsFloating(v), o.saturate);
  } else if constexpr (std::is_same_v<D, Float8E5M2FNUZ>) {
    return ToFloat8E5M2FNUZ(AsFloating(v), o.saturate);
  } else {
    static_assert(std::is_same_v<D, Float8E8M0>, "unhandled target type");
    // The reference converts to float32 first, whatever the source.
    return ToFloat8E8M0(static_cast<float>(v), o.saturate, o.round_mode);
  }
}

template <typename D, typename M>
void StoreTyped(const M* in, int64_t n, D* out, const CastOptions& o) {
  for (int64_t i = 0; i < n; ++i) out[i] = Convert<D>(in[i], o);
}

// Packed targets: `begin` is a multiple of 4, so whole bytes are written (the last one padded
// with zero bits).
template <int kBits, typename M, typename CodeFn>
void StorePacked(const M* in, int64_t n, uint8_t* out, int64_t begin, CodeFn code) {
  constexpr int kPer = 8 / kBits;
  constexpr uint32_t kMask = (1u << kBits) - 1;
  uint8_t* p = out + begin / kPer;
  for (int64_t i = 0; i < n; i += kPer) {
    uint32_t byte = 0;
    for (int k = 0; k < kPer && i + k < n; ++k) byte |= (code(in[i + k]) & kMask) << (k * kBits);
    *p++ = static_cast<uint8_t>(byte);
  }
}

template <typename M>
void StoreChunk(DataType to, const M* in, int64_t n, void* base, int64_t begin,
                const CastOptions& o) {
  auto int_code = [](M v) { return static_cast<uint32_t>(static_cast<uint64_t>(IntBits(v))); };
  switch (to) {
    case DataType::kInt4:
    case DataType::kUint4:
      StorePacked<4>(in, n, static_cast<uint8_t*>(base), begin, int_code);
      return;
    case DataType::kInt2:
    case DataType::kUint2:
      StorePacked<2>(in, n, static_cast<uint8_t*>(base), begin, int_code);
      return;
    case DataType::kFloat4E2M1:
      StorePacked<4>(in, n, static_cast<uint8_t*>(base), begin,
                     [](M v) { return static_cast<uint32_t>(ToFloat4E2M1(AsFloating(v))); });
      return;
    default:
      break;
  }
  Dispatch<float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
           uint32_t, uint64_t, bool, Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ,
           Float8E8M0>(to, [&](auto tag) {
    using D = typename decltype(tag)::type;
    StoreTyped<D>(in, n, static_cast<D*>(base) + begin, o);
  });
}

// ---- loaders: source elements [begin, begin + n) into the intermediate buffer ----

MidKind MidKindOf(DataType from) {
  switch (from) {
    case DataType::kDouble:
      return MidKind::kDouble;
    case DataType::kUint64:
      return MidKind::kUint64;
    case DataType::kFloat:
    case DataType::kFloat16:
    case DataType::kBFloat16:
    case DataType::kFloat8E4M3FN:
    case DataType::kFloat8E4M3FNUZ:
    case DataType::kFloat8E5M2:
    case DataType::kFloat8E5M2FNUZ:
    case DataType::kFloat8E8M0:
    case DataType::kFloat4E2M1:
      return MidKind::kFloat;
    default:
      return MidKind::kInt64;
  }
}

template <typename S>
inline auto LoadOne(S v) {
  if constexpr (std::is_same_v<S, float> || std::is_same_v<S, double> ||
                std::is_same_v<S, uint64_t>) {
    return v;
  } else if constexpr (std::is_integral_v<S>) {
    return static_cast<int64_t>(v);
  } else {
    return ToFloat(v);  // 16-bit and 8-bit floats
  }
}

void LoadChunk(DataType from, const void* base, int64_t begin, int64_t n, MidBuffer* buf) {
  const auto* bytes = static_cast<const uint8_t*>(base);
  switch (from) {
    case DataType::kInt4:
      for (int64_t i = 0; i < n; ++i) buf->i[i] = SignExtend4(GetNibble(bytes, begin + i));
      return;
    case DataType::kUint4:
      for (int64_t i = 0; i < n; ++i) buf->i[i] = GetNibble(bytes, begin + i);
      return;
    case DataType::kInt2:
      for (int64_t i = 0; i < n; ++i) buf->i[i] = SignExtend2(GetCrumb(bytes, begin + i));
      return;
    case DataType::kUint2:
      for (int64_t i = 0; i < n; ++i) buf->i[i] = GetCrumb(bytes, begin + i);
      return;
    case DataType::kFloat4E2M1:
      for (int64_t i = 0; i < n; ++i) buf->f[i] = Float4E2M1ToFloat(GetNibble(bytes, begin + i));
      return;
    default:
      break;
  }
  Dispatch<float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
           uint32_t, uint64_t, bool, Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ,
           Float8E8M0>(from, [&](auto tag) {
    using S = typename decltype(tag)::type;
    const S* src = static_cast<const S*>(base) + begin;
    using M = decltype(LoadOne(S{}));
    M* dst;
    if constexpr (std::is_same_v<M, float>) {
      dst = buf->f;
    } else if constexpr (std::is_same_v<M, double>) {
      dst = buf->d;
    } else if constexpr (std::is_same_v<M, uint64_t>) {
      dst = buf->u;
    } else {
      dst = buf->i;
    }
    for (int64_t i = 0; i < n; ++i) dst[i] = LoadOne(src[i]);
  });
}

void StoreFromMid(MidKind kind, DataType to, const MidBuffer& buf, int64_t n, void* base,
                  int64_t begin, const CastOptions& o) {
  switch (kind) {
    case MidKind::kFloat:
      StoreChunk(to, buf.f, n, base, begin, o);
      break;
    case MidKind::kDouble:
      StoreChunk(to, buf.d, n, base, begin, o);
      break;
    case MidKind::kInt64:
      StoreChunk(to, buf.i, n, base, begin, o);
      break;
    case MidKind::kUint64:
      StoreChunk(to, buf.u, n, base, begin, o);
      break;
  }
}

// ---- strings ----

bool EqualsIgnoreCase(const char* a, const char* b) {
  for (; *a && *b; ++a, ++b) {
    char x = *a >= 'A' && *a <= 'Z' ? static_cast<char>(*a - 'A' + 'a') : *a;
    if (x != *b) return false;
  }
  return *a == *b;
}

// Parses a decimal / scientific number, "NaN", "INF", "+INF", "-INF" (any case), with surrounding
// whitespace allowed.
bool ParseDouble(const std::string& s, double* out) {
  const char* p = s.c_str();
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') ++p;
  if (*p == '\0') return false;
  char* end = nullptr;
  *out = std::strtod(p, &end);
  if (end == p) return false;
  while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r') ++end;
  return *end == '\0';
}

bool ParseFloat(const std::string& s, float* out) {
  double d;
  if (!ParseDouble(s, &d)) return false;
  // Parse again as float to round once (strtod then narrowing can round twice).
  const char* p = s.c_str();
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') ++p;
  *out = std::strtof(p, nullptr);
  return true;
}

// Integers: an exact integer literal keeps all 64 bits; otherwise a float literal truncates.
template <typename I>
bool ParseInt(const std::string& s, I* out) {
  const char* p = s.c_str();
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') ++p;
  const char* e = s.c_str() + s.size();
  while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r')) --e;
  if (p < e && *p == '+') ++p;
  auto r = std::from_chars(p, e, *out);
  if (r.ec == std::errc() && r.ptr == e) return true;
  double d;
  if (!ParseDouble(s, &d)) return false;
  *out = static_cast<I>(FloatToIntBits(d));
  return true;
}

bool ParseBool(const std::string& s, int64_t* out) {
  const char* p = s.c_str();
  while (*p == ' ') ++p;
  if (EqualsIgnoreCase(p, "true")) {
    *out = 1;
    return true;
  }
  if (EqualsIgnoreCase(p, "false")) {
    *out = 0;
    return true;
  }
  double d;
  if (!ParseDouble(s, &d)) return false;
  *out = d != 0.0;
  return true;
}

Status CastFromString(const Tensor& in, Tensor* out, const CastOptions& o) {
  const std::string* src = in.data<std::string>();
  const DataType to = out->dtype();
  const int64_t total = in.numel();
  if (to == DataType::kString) {
    std::string* dst = out->data<std::string>();
    for (int64_t i = 0; i < total; ++i) dst[i] = src[i];
    return Status::Ok();
  }
  MidKind kind = MidKind::kDouble;
  if (to == DataType::kFloat) {
    kind = MidKind::kFloat;
  } else if (to == DataType::kUint64) {
    kind = MidKind::kUint64;
  } else if (IsInteger(to) || to == DataType::kBool) {
    kind = MidKind::kInt64;
  }
  auto buf = std::make_unique<MidBuffer>();
  for (int64_t begin = 0; begin < total; begin += kChunk) {
    const int64_t n = std::min(kChunk, total - begin);
    for (int64_t i = 0; i < n; ++i) {
      const std::string& s = src[begin + i];
      bool ok = false;
      switch (kind) {
        case MidKind::kFloat:
          ok = ParseFloat(s, &buf->f[i]);
          break;
        case MidKind::kDouble:
          ok = ParseDouble(s, &buf->d[i]);
          break;
        case MidKind::kUint64:
          ok = ParseInt(s, &buf->u[i]);
          break;
        case MidKind::kInt64:
          ok = to == DataType::kBool ? ParseBool(s, &buf->i[i]) : ParseInt(s, &buf->i[i]);
          break;
      }
      if (!ok) {
        return InvalidArgument("element " + std::to_string(begin + i) + " (\"" + s +
                               "\") is not a number convertible to " + DataTypeName(to));
      }
    }
    StoreFromMid(kind, to, *buf, n, out->raw_data(), begin, o);
  }
  return Status::Ok();
}

// Shortest round-trip digits of v in scientific form: digits "d1d2..." and decimal exponent.
// `fits(x)` tells whether x converts back to the same value in the source type.
template <typename Fits>
void ShortestDigits(double v, int max_precision, Fits fits, std::string* digits, int* exp10) {
  char buf[64];
  for (int p = 1; p <= max_precision; ++p) {
    std::snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
    if (p == max_precision || fits(std::strtod(buf, nullptr))) break;
  }
  // buf: "d.ddde[+-]xx" or "de[+-]xx"
  digits->clear();
  const char* c = buf;
  for (; *c && *c != 'e'; ++c) {
    if (*c >= '0' && *c <= '9') digits->push_back(*c);
  }
  *exp10 = *c == 'e' ? std::atoi(c + 1) : 0;
}

// numpy-style text of a finite or special float: positional ("100.0", "0.001") when
// 1e-4 <= |v| < 10^positional_digits, else scientific ("1e+20", "1.5e-07").
std::string FormatFloatText(double v, const std::string& digits, int exp10, int positional_digits) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  const double a = std::fabs(v);
  std::string s = std::signbit(v) ? "-" : "";
  if (a == 0.0) return s + "0.0";
  if (a >= 1e-4 && a < std::pow(10.0, positional_digits)) {
    const int point = exp10 + 1;  // digits before the decimal point
    if (point <= 0) {
      s += "0." + std::string(-point, '0') + digits;
    } else if (point >= static_cast<int>(digits.size())) {
      s += digits + std::string(point - digits.size(), '0') + ".0";
    } else {
      s += digits.substr(0, point) + "." + digits.substr(point);
    }
    return s;
  }
  s += digits.substr(0, 1);
  if (digits.size() > 1) s += "." + digits.substr(1);
  char e[16];
  std::snprintf(e, sizeof(e), "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
  return s + e;
}

template <typename S>
std::string ToText(S v) {
  if constexpr (std::is_same_v<S, bool>) {
    return v ? "True" : "False";
  } else if constexpr (std::is_integral_v<S>) {
    return std::to_string(v);
  } else {
    std::string digits;
    int exp10 = 0;
    double d;
    int positional = 3;
    if constexpr (std::is_same_v<S, double>) {
      d = v;
      positional = 16;
      ShortestDigits(
          d, 17, [&](double x) { return x == d; }, &digits, &exp10);
    } else if constexpr (std::is_same_v<S, float>) {
      d = v;
      positional = 6;
      ShortestDigits(
          d, 9, [&](double x) { return static_cast<float>(x) == v; }, &digits, &exp10);
    } else if constexpr (std::is_same_v<S, Float8E8M0>) {
      d = ToFloat(v);
      ShortestDigits(
          d, 9, [&](double x) { return static_cast<float>(x) == d; }, &digits, &exp10);
    } else {
      // 16-bit and 8-bit floats: the text must round back to the same value.
      d = ToFloat(v);
      const CastOptions o;
      ShortestDigits(
          d, 9, [&](double x) { return ToFloat(Convert<S>(x, o)) == d; }, &digits, &exp10);
    }
    return FormatFloatText(d, digits, exp10, positional);
  }
}

Status CastToString(const Tensor& in, Tensor* out) {
  std::string* dst = out->data<std::string>();
  const int64_t total = in.numel();
  const auto* bytes = static_cast<const uint8_t*>(in.raw_data());
  switch (in.dtype()) {
    case DataType::kInt4:
      for (int64_t i = 0; i < total; ++i) dst[i] = std::to_string(SignExtend4(GetNibble(bytes, i)));
      return Status::Ok();
    case DataType::kUint4:
      for (int64_t i = 0; i < total; ++i) dst[i] = std::to_string(GetNibble(bytes, i));
      return Status::Ok();
    case DataType::kInt2:
      for (int64_t i = 0; i < total; ++i) dst[i] = std::to_string(SignExtend2(GetCrumb(bytes, i)));
      return Status::Ok();
    case DataType::kUint2:
      for (int64_t i = 0; i < total; ++i) dst[i] = std::to_string(GetCrumb(bytes, i));
      return Status::Ok();
    case DataType::kFloat4E2M1:
      for (int64_t i = 0; i < total; ++i) {
        dst[i] = ToText(static_cast<double>(Float4E2M1ToFloat(GetNibble(bytes, i))));
      }
      return Status::Ok();
    default:
      break;
  }
  bool done = Dispatch<float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t,
                       uint16_t, uint32_t, uint64_t, bool, Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2,
                       Float8E5M2FNUZ, Float8E8M0>(in.dtype(), [&](auto tag) {
    using S = typename decltype(tag)::type;
    const S* src = in.data<S>();
    for (int64_t i = 0; i < total; ++i) dst[i] = ToText(src[i]);
  });
  if (!done)
    return Unsupported(std::string("cannot cast ") + DataTypeName(in.dtype()) + " to string");
  return Status::Ok();
}

}  // namespace

bool IsCastableType(DataType t) {
  return IsValidDataType(static_cast<int32_t>(t)) && t != DataType::kComplex64 &&
         t != DataType::kComplex128;
}

Status CastTensor(const Tensor& in, Tensor* out, const CastOptions& options) {
  const DataType from = in.dtype();
  const DataType to = out->dtype();
  if (!IsCastableType(from) || !IsCastableType(to)) {
    return Unsupported(std::string("cannot cast ") + DataTypeName(from) + " to " +
                       DataTypeName(to));
  }
  if (out->numel() != in.numel()) {
    return Internal("cast output holds " + std::to_string(out->numel()) + " elements, input " +
                    std::to_string(in.numel()));
  }
  const int64_t total = in.numel();
  if (total == 0) return Status::Ok();
  if (from == DataType::kString) return CastFromString(in, out, options);
  if (to == DataType::kString) return CastToString(in, out);
  if (from == to) {
    std::memcpy(out->raw_data(), in.raw_data(), in.nbytes());
    return Status::Ok();
  }
  const MidKind kind = MidKindOf(from);
  MidBuffer buf;
  for (int64_t begin = 0; begin < total; begin += kChunk) {
    const int64_t n = std::min(kChunk, total - begin);
    LoadChunk(from, in.raw_data(), begin, n, &buf);
    StoreFromMid(kind, to, buf, n, out->raw_data(), begin, options);
  }
  return Status::Ok();
}

void LoadAsDouble(const Tensor& t, int64_t begin, int64_t n, double* out) {
  MidBuffer buf;
  LoadChunk(t.dtype(), t.raw_data(), begin, n, &buf);
  switch (MidKindOf(t.dtype())) {
    case MidKind::kFloat:
      for (int64_t i = 0; i < n; ++i) out[i] = buf.f[i];
      break;
    case MidKind::kDouble:
      for (int64_t i = 0; i < n; ++i) out[i] = buf.d[i];
      break;
    case MidKind::kInt64:
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<double>(buf.i[i]);
      break;
    case MidKind::kUint64:
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<double>(buf.u[i]);
      break;
  }
}

void StoreFromDouble(const double* in, int64_t n, Tensor* out, int64_t begin,
                     const CastOptions& options) {
  StoreChunk(out->dtype(), in, n, out->raw_data(), begin, options);
}

namespace {

// Element types each Cast / CastLike version accepts.
std::vector<DataType> CastTypes(int since) {
  std::vector<DataType> t = {DataType::kFloat,  DataType::kDouble, DataType::kFloat16,
                             DataType::kInt8,   DataType::kInt16,  DataType::kInt32,
                             DataType::kInt64,  DataType::kUint8,  DataType::kUint16,
                             DataType::kUint32, DataType::kUint64, DataType::kBool};
  if (since >= 9) t.push_back(DataType::kString);
  if (since >= 13) t.push_back(DataType::kBFloat16);
  if (since >= 19) {
    for (DataType d : {DataType::kFloat8E4M3FN, DataType::kFloat8E4M3FNUZ, DataType::kFloat8E5M2,
                       DataType::kFloat8E5M2FNUZ}) {
      t.push_back(d);
    }
  }
  if (since >= 21) {
    t.push_back(DataType::kInt4);
    t.push_back(DataType::kUint4);
  }
  if (since >= 23) t.push_back(DataType::kFloat4E2M1);
  if (since >= 24) t.push_back(DataType::kFloat8E8M0);
  if (since >= 25) {
    t.push_back(DataType::kInt2);
    t.push_back(DataType::kUint2);
  }
  return t;
}

class CastKernel : public Kernel {
 public:
  // like: CastLike (the target is input 1's type) rather than Cast (the `to` attribute).
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info, bool like) {
    auto k = std::unique_ptr<CastKernel>(new CastKernel());
    KILN_RETURN_IF_ERROR(ReadCastAttrs(info, like, &k->attrs_));
    if (!like && !ContainsType(CastTypes(CastSince(info.opset())), k->attrs_.to)) {
      return info.Unsupported(std::string("cannot cast to ") + DataTypeName(k->attrs_.to) +
                              " at this opset");
    }
    return std::unique_ptr<Kernel>(std::move(k));
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x;
    DataType to;
    KILN_RETURN_IF_ERROR(CastInputAndTarget(ctx, attrs_, &x, &to));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, to, x->dims()));
    CastOptions options;
    options.saturate = attrs_.saturate;
    options.round_mode = attrs_.round_mode;
    Status s = CastTensor(*x, y, options);
    if (!s.ok()) return ctx.Error(s.code(), s.message());
    return Status::Ok();
  }

 private:
  CastKernel() = default;
  CastAttrs attrs_;
};

}  // namespace

void RegisterCastKernels(KernelRegistry& r) {
  ForEachCastVersion(false, [&r](int since, int end) {
    r.Register(KernelDef("Cast").Opsets(since, end).Types("T1", {0}, CastTypes(since)),
               [](const KernelInfo& info) { return CastKernel::Create(info, false); });
  });
  ForEachCastVersion(true, [&r](int since, int end) {
    // CastLike 15 accepts Cast 13's types.
    const std::vector<DataType> types = CastTypes(since == 15 ? 13 : since);
    r.Register(
        KernelDef("CastLike").Opsets(since, end).Types("T1", {0}, types).Types("T2", {1}, types),
        [](const KernelInfo& info) { return CastKernel::Create(info, true); });
  });

  // BitCast 26+ (added by the signal/detection helper): reinterprets the bytes of input 0 as
  // `to`, which must have the same bit width; any type but string. Bytes copied to bool are
  // normalized to 0/1 (a C++ bool holding another byte is undefined behavior).
  std::vector<DataType> bitcast_types;
  for (DataType t : kAllTensorTypes) {
    if (t != DataType::kString) bitcast_types.push_back(t);
  }
  r.Register(
      KernelDef("BitCast").Opsets(26).Types("T1", {0}, bitcast_types),
      [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
        if (!info.HasAttr("to")) return info.InvalidModel("attribute 'to' is required");
        const int64_t to_attr = info.GetInt("to", 0);
        KILN_RETURN_IF_ERROR(info.status());
        if (to_attr < 0 || to_attr > kMaxDataType || !IsValidDataType(static_cast<int32_t>(to_attr)) ||
            static_cast<DataType>(to_attr) == DataType::kString) {
          return info.InvalidModel("attribute 'to' (" + std::to_string(to_attr) +
                                   ") is not a valid non-string data type");
        }
        const DataType to = static_cast<DataType>(to_attr);
        return std::unique_ptr<Kernel>(new FunctionKernel([to](KernelContext& ctx) -> Status {
          const Tensor* x = ctx.Input(0);
          if (x == nullptr) return ctx.InvalidArgument("input 0 must be a tensor");
          if (DataTypeBits(x->dtype()) != DataTypeBits(to)) {
            return ctx.InvalidArgument(std::string("BitCast needs types of the same bit width: ") +
                                       DataTypeName(x->dtype()) + " (" +
                                       std::to_string(DataTypeBits(x->dtype())) + " bits) to " +
                                       DataTypeName(to) + " (" +
                                       std::to_string(DataTypeBits(to)) + " bits)");
          }
          KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, to, x->dims()));
          if (x->nbytes() == 0) return Status::Ok();
          if (to == DataType::kBool) {
            const uint8_t* src = x->data<uint8_t>();
            bool* dst = y->data<bool>();
            for (int64_t i = 0; i < x->numel(); ++i) dst[i] = src[i] != 0;
          } else {
            std::memcpy(y->raw_data(), x->raw_data(), x->nbytes());
          }
          return Status::Ok();
        }));
      });
}

}  // namespace kiln::cpu
