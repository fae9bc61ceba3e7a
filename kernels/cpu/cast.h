// Element-type conversion shared by the Cast family (and usable by other CPU kernels).
#pragma once

#include <cstdint>

#include "ir/float8.h"
#include "ir/status.h"
#include "ir/tensor.h"

namespace kiln::cpu {

struct CastOptions {
  bool saturate = true;  // float8 targets: out-of-range values become +-max (else inf / NaN)
  E8M0Rounding round_mode = E8M0Rounding::kUp;  // float8e8m0 targets
};

// True if CastTensor converts between these types (every type but complex and undefined).
bool IsCastableType(DataType t);

// Converts every element of `in` into `out`, which must already hold `in.numel()` elements of its
// own dtype (packed and string types included). Semantics follow ONNX Cast: floats to integers
// truncate toward zero and integers wrap (two's complement); NaN and out-of-range floats become
// INT64_MIN before wrapping; strings parse like numpy ("NaN", "-INF", "1e-5") and numbers format
// like numpy's astype(str). Errors: an unsupported type, or a string that is not a number.
Status CastTensor(const Tensor& in, Tensor* out, const CastOptions& options);

// Chunked element access for kernels that compute in double (QuantizeLinear, ...). At most
// kCastChunk elements per call; for packed tensors `begin` must be a multiple of 4 when storing.
constexpr int64_t kCastChunk = 1024;
// Elements [begin, begin + n) of `t` (any type but string / complex) as double.
void LoadAsDouble(const Tensor& t, int64_t begin, int64_t n, double* out);
// Converts n doubles (Cast semantics, `options` for float8 targets) into elements
// [begin, begin + n) of `out`.
void StoreFromDouble(const double* in, int64_t n, Tensor* out, int64_t begin,
                     const CastOptions& options);

}  // namespace kiln::cpu
