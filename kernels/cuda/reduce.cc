// CUDA kernels of the reduction family (host side; device code in reduce.cu):
//   ReduceSum        1-10, 11-12 (axes attribute), 13+ (axes input, noop_with_empty_axes)
//   ReduceMean, ReduceProd, ReduceL1, ReduceL2, ReduceSumSquare
//                    1-10, 11-12, 13-17 (axes attribute), 18+ (axes input)
//   ReduceMax, ReduceMin
//                    1-10, 11, 12, 13-17, 18-19 (axes input), 20+
//   ReduceLogSum, ReduceLogSumExp
//                    1-10, 11-12, 13-17 (axes attribute), 18-27 (axes input), 28+
//   ArgMax, ArgMin   1-10, 11, 12 (select_last_index), 13+
// Element types: float, float16, bfloat16 (from opset 13, as the schemas allow; accumulated in
// float); int32 and int64 for Sum, Mean, Max, Min, Prod, L1, SumSquare and ArgMax / ArgMin. The
// axes input (where it is one) is read on the host.
// Reducing an empty set gives the op's identity (see reduce.cuh); with an empty axes list the
// reduction covers every axis unless noop_with_empty_axes is set (then each element is reduced
// alone), as the CPU kernels do.
#include "kernels/cuda/reduce.cuh"

#include <memory>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/register.h"
#include "kernels/ops/common.h"
#include "kernels/ops/reduce_params.h"

namespace kiln::cuda {
namespace {

std::string TypeError(DataType dt) {
  return std::string("element type ") + DataTypeName(dt) + " is not supported on cuda";
}

bool IsCudaFloat(DataType dt) {
  return dt == DataType::kFloat || dt == DataType::kFloat16 || dt == DataType::kBFloat16;
}

struct ReduceConfig {
  ReduceKind kind;
  int axes_input_since;  // opset from which axes is an input (13 for ReduceSum, 18 otherwise)
  bool ints;             // int32 / int64 supported
};

// Views a contiguous tensor of `dims` as kept and reduced dims (size-1 dims dropped, neighbours
// of the same kind merged). False when either list exceeds kReduceMaxDims.
bool BuildReduceShape(const std::vector<int64_t>& dims, const std::vector<bool>& reduced,
                      ReduceShape* s) {
  const std::vector<int64_t> strides = ops::ContiguousStrides(dims);
  struct Group {
    int64_t size, stride;
    bool reduced;
  };
  std::vector<Group> groups;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 1) continue;
    if (!groups.empty() && groups.back().reduced == reduced[i]) {
      groups.back().size *= dims[i];
      groups.back().stride = strides[i];
    } else {
      groups.push_back({dims[i], strides[i], reduced[i]});
    }
  }
  *s = ReduceShape();
  s->out_count = 1;
  s->red_count = 1;
  for (const Group& g : groups) {
    if (g.reduced) {
      if (s->red_rank == kReduceMaxDims) return false;
      s->red_dims[s->red_rank] = g.size;
      s->red_strides[s->red_rank++] = g.stride;
      s->red_count *= g.size;
    } else {
      if (s->kept_rank == kReduceMaxDims) return false;
      s->kept_dims[s->kept_rank] = g.size;
      s->kept_strides[s->kept_rank++] = g.stride;
      s->out_count *= g.size;
    }
  }
  return true;
}

class ReduceKernel : public Kernel {
 public:
  ReduceKernel(const KernelInfo& info, ReduceConfig cfg)
      : cfg_(cfg), attrs_(ops::ReadReduceAttrs(info, cfg.axes_input_since)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("input 'data' is missing");
    const DataType dt = x->dtype();
    const bool is_int = dt == DataType::kInt32 || dt == DataType::kInt64;
    if (!IsCudaFloat(dt) && !(is_int && cfg_.ints)) return ctx.Unsupported(TypeError(dt));
    // The axes input is a host tensor (HostInputs).
    KILN_ASSIGN_OR_RETURN(ops::ReducePlan plan, ops::PlanReduce(ctx, attrs_, *x));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, dt, plan.out_dims));
    if (y->numel() == 0) return Status::Ok();
    ReduceShape shape;
    if (!BuildReduceShape(x->dims(), plan.reduced, &shape)) {
      return ctx.Unsupported("input of shape " + DimsToString(x->dims()) +
                             " alternates reduced and kept axes too often for the cuda kernel");
    }
    return CudaStatus(LaunchReduce(cfg_.kind, dt, x->raw_data(), y->raw_data(), shape,
                                   Stream(ctx).stream()),
                      ctx, "LaunchReduce");
  }

 private:
  ReduceConfig cfg_;
  ops::ReduceAttrs attrs_;
};

class ArgKernel : public Kernel {
 public:
  ArgKernel(const KernelInfo& info, bool is_max)
      : is_max_(is_max), attrs_(ops::ReadArgReduceAttrs(info)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("input 'data' is missing");
    const DataType dt = x->dtype();
    if (!IsCudaFloat(dt) && dt != DataType::kInt32 && dt != DataType::kInt64) {
      return ctx.Unsupported(TypeError(dt));
    }
    KILN_ASSIGN_OR_RETURN(ops::ArgReducePlan p, ops::PlanArgReduce(ctx, attrs_, is_max_, *x));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kInt64, p.out_dims));
    if (y->numel() == 0) return Status::Ok();
    return CudaStatus(LaunchArgReduce(is_max_, attrs_.select_last_index, dt, x->raw_data(),
                                      static_cast<int64_t*>(y->raw_data()), p.outer, p.n, p.inner,
                                      Stream(ctx).stream()),
                      ctx, "LaunchArgReduce");
  }

 private:
  bool is_max_;
  ops::ArgReduceAttrs attrs_;
};

// CUDA element types of a reduce op's schema version `since`: bfloat16 from 13, as on the CPU.
std::vector<DataType> CudaReduceTypes(bool ints, int since) {
  std::vector<DataType> t = {DataType::kFloat, DataType::kFloat16};
  if (since >= 13) t.push_back(DataType::kBFloat16);
  if (ints) {
    t.push_back(DataType::kInt32);
    t.push_back(DataType::kInt64);
  }
  return t;
}

}  // namespace

void RegisterReduceKernels(KernelRegistry& r) {
  const struct {
    const char* name;
    ReduceKind kind;
    bool ints;
    std::vector<int> versions;
    int axes_input_since;
  } reduces[] = {
      {"ReduceSum", ReduceKind::kSum, true, {1, 11, 13}, 13},
      {"ReduceMean", ReduceKind::kMean, true, {1, 11, 13, 18}, 18},
      {"ReduceProd", ReduceKind::kProd, true, {1, 11, 13, 18}, 18},
      {"ReduceL1", ReduceKind::kL1, true, {1, 11, 13, 18}, 18},
      {"ReduceL2", ReduceKind::kL2, false, {1, 11, 13, 18}, 18},
      {"ReduceSumSquare", ReduceKind::kSumSquare, true, {1, 11, 13, 18}, 18},
      {"ReduceMax", ReduceKind::kMax, true, {1, 11, 12, 13, 18, 20}, 18},
      {"ReduceMin", ReduceKind::kMin, true, {1, 11, 12, 13, 18, 20}, 18},
      {"ReduceLogSum", ReduceKind::kLogSum, false, {1, 11, 13, 18, 28}, 18},
      {"ReduceLogSumExp", ReduceKind::kLogSumExp, false, {1, 11, 13, 18, 28}, 18},
  };
  for (const auto& op : reduces) {
    const ReduceConfig cfg{op.kind, op.axes_input_since, op.ints};
    const bool ints = op.ints;
    const int axes_since = op.axes_input_since;
    ops::RegisterReduceVersions(
        r, op.name, op.versions, Device::kCuda,
        [ints, axes_since](KernelDef def, int since) {
          def.Types("T", {0}, CudaReduceTypes(ints, since));
          if (since >= axes_since) def.Types("axes", {1}, {DataType::kInt64}).HostInputs({1});
          return def;
        },
        [cfg](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
          auto k = std::make_unique<ReduceKernel>(info, cfg);
          if (!info.status().ok()) return info.status();
          return std::unique_ptr<Kernel>(std::move(k));
        });
  }

  for (bool is_max : {true, false}) {
    ops::RegisterReduceVersions(
        r, is_max ? "ArgMax" : "ArgMin", {1, 11, 12, 13}, Device::kCuda,
        [](KernelDef def, int since) {
          return def.Types("T", {0}, CudaReduceTypes(/*ints=*/true, since));
        },
        [is_max](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
          auto k = std::make_unique<ArgKernel>(info, is_max);
          if (!info.status().ok()) return info.status();
          return std::unique_ptr<Kernel>(std::move(k));
        });
  }
}

}  // namespace kiln::cuda
