// Element types. DataType uses ONNX's TensorProto.DataType numbers, so import is a cast plus a
// range check. Storage structs for the 16-bit and 8-bit float formats live here; their arithmetic
// conversions live in ir/float16.h (float16, bfloat16) and ir/float8.h (float8 variants, float4).
#pragma once

#include <complex>
#include <cstdint>
#include <cstring>
#include <string>

namespace kiln {

enum class DataType : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUint32 = 12,
  kUint64 = 13,
  kComplex64 = 14,
  kComplex128 = 15,
  kBFloat16 = 16,
  kFloat8E4M3FN = 17,
  kFloat8E4M3FNUZ = 18,
  kFloat8E5M2 = 19,
  kFloat8E5M2FNUZ = 20,
  kUint4 = 21,
  kInt4 = 22,
  kFloat4E2M1 = 23,
  kFloat8E8M0 = 24,
  kUint2 = 25,
  kInt2 = 26,
};
constexpr int32_t kMaxDataType = 26;

// ONNX's lower-case name ("float", "int64", "float8e4m3fn"); "undefined" for kUndefined.
const char* DataTypeName(DataType t);
// True for 1..kMaxDataType.
bool IsValidDataType(int32_t v);
// Bits per element: 4 for int4/uint4/float4e2m1, 2 for int2/uint2, 0 for string and undefined.
int DataTypeBits(DataType t);
// Sub-byte types pack several elements per byte (low nibble first).
inline bool IsPacked(DataType t) { return DataTypeBits(t) > 0 && DataTypeBits(t) < 8; }
bool IsFloatingPoint(DataType t);  // float, double, float16, bfloat16, float8*, float4
bool IsSignedInteger(DataType t);
bool IsUnsignedInteger(DataType t);
inline bool IsInteger(DataType t) { return IsSignedInteger(t) || IsUnsignedInteger(t); }

// 16-bit floats: raw bits; convert with ir/float16.h.
struct Float16 {
  uint16_t bits = 0;
};
struct BFloat16 {
  uint16_t bits = 0;
};
// 8-bit floats: raw bits; convert with ir/float8.h.
struct Float8E4M3FN {
  uint8_t bits = 0;
};
struct Float8E4M3FNUZ {
  uint8_t bits = 0;
};
struct Float8E5M2 {
  uint8_t bits = 0;
};
struct Float8E5M2FNUZ {
  uint8_t bits = 0;
};
struct Float8E8M0 {
  uint8_t bits = 0;
};

// Maps a C++ storage type to its DataType. Packed types (int4, uint4, float4e2m1, int2, uint2) have
// no element type: access them as raw bytes.
template <typename T>
struct DataTypeOf;
#define KILN_DTYPE_OF_(T, E) \
  template <>                \
  struct DataTypeOf<T> {     \
    static constexpr DataType value = DataType::E; \
  }
KILN_DTYPE_OF_(float, kFloat);
KILN_DTYPE_OF_(uint8_t, kUint8);
KILN_DTYPE_OF_(int8_t, kInt8);
KILN_DTYPE_OF_(uint16_t, kUint16);
KILN_DTYPE_OF_(int16_t, kInt16);
KILN_DTYPE_OF_(int32_t, kInt32);
KILN_DTYPE_OF_(int64_t, kInt64);
KILN_DTYPE_OF_(std::string, kString);
KILN_DTYPE_OF_(bool, kBool);
KILN_DTYPE_OF_(Float16, kFloat16);
KILN_DTYPE_OF_(double, kDouble);
KILN_DTYPE_OF_(uint32_t, kUint32);
KILN_DTYPE_OF_(uint64_t, kUint64);
KILN_DTYPE_OF_(std::complex<float>, kComplex64);
KILN_DTYPE_OF_(std::complex<double>, kComplex128);
KILN_DTYPE_OF_(BFloat16, kBFloat16);
KILN_DTYPE_OF_(Float8E4M3FN, kFloat8E4M3FN);
KILN_DTYPE_OF_(Float8E4M3FNUZ, kFloat8E4M3FNUZ);
KILN_DTYPE_OF_(Float8E5M2, kFloat8E5M2);
KILN_DTYPE_OF_(Float8E5M2FNUZ, kFloat8E5M2FNUZ);
KILN_DTYPE_OF_(Float8E8M0, kFloat8E8M0);
#undef KILN_DTYPE_OF_

}  // namespace kiln
