// The Cast family's semantics shared by the CPU and CUDA kernels (kernels/cpu/cast.cc,
// kernels/cuda/cast.cc): the attributes of Cast and CastLike with their checks, and the input and
// target type of a run. Which element types a device converts between is the device's own.
#pragma once

#include <functional>

#include "ir/float8.h"
#include "kernels/api/kernel.h"

namespace kiln::ops {

struct CastAttrs {
  bool like = false;                   // CastLike: the target is input 1's element type
  DataType to = DataType::kUndefined;  // Cast: the `to` attribute
  bool saturate = true;                // opset 19+, float8 targets: out-of-range values saturate
  E8M0Rounding round_mode = E8M0Rounding::kUp;  // opset 24+, float8e8m0 targets
};

// Cast (`like` false): `to`, required and a known tensor element type. Both: `saturate` from
// opset 19 and `round_mode` ('up', 'down' or 'nearest') from opset 24.
Status ReadCastAttrs(const KernelInfo& info, bool like, CastAttrs* attrs);

// Calls f(since, end) for each range of Cast versions (CastLike's with `like`) over which the
// op's type list stays the same: each device registers one kernel per range.
void ForEachCastVersion(bool like, const std::function<void(int since, int end)>& f);

// The first version of the range `opset` falls in (CastLike too: it is a subset of Cast's).
int CastSince(int opset);

// Input 0 (a tensor) and the type to convert it to: `to`, or CastLike's input 1's type.
Status CastInputAndTarget(const KernelContext& ctx, const CastAttrs& attrs, const Tensor** x,
                          DataType* to);

}  // namespace kiln::ops
