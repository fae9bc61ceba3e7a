#include "kernels/ops/cast_params.h"

#include <string>
#include <vector>

namespace kiln::ops {

namespace {
const std::vector<int> kCastVersions = {1, 6, 9, 13, 19, 21, 23, 24, 25};
const std::vector<int> kCastLikeVersions = {15, 19, 21, 23, 24, 25};
}  // namespace

void ForEachCastVersion(bool like, const std::function<void(int since, int end)>& f) {
  const std::vector<int>& v = like ? kCastLikeVersions : kCastVersions;
  for (size_t i = 0; i < v.size(); ++i) f(v[i], i + 1 < v.size() ? v[i + 1] - 1 : kMaxOpset);
}

int CastSince(int opset) {
  int since = 1;
  for (int v : kCastVersions) {
    if (opset >= v) since = v;
  }
  return since;
}

Status ReadCastAttrs(const KernelInfo& info, bool like, CastAttrs* attrs) {
  attrs->like = like;
  if (!like) {
    if (!info.HasAttr("to")) return info.InvalidModel("attribute 'to' is required");
    const int64_t to = info.GetInt("to", 0);
    KILN_RETURN_IF_ERROR(info.status());
    if (to < 1 || to > kMaxDataType) {
      return info.InvalidModel("attribute 'to' = " + std::to_string(to) +
                               " is not a known tensor element type");
    }
    attrs->to = static_cast<DataType>(to);
  }
  if (info.opset() >= 19) attrs->saturate = info.GetInt("saturate", 1) != 0;
  if (info.opset() >= 24) {
    const std::string mode = info.GetString("round_mode", "up");
    if (mode == "up") {
      attrs->round_mode = E8M0Rounding::kUp;
    } else if (mode == "down") {
      attrs->round_mode = E8M0Rounding::kDown;
    } else if (mode == "nearest") {
      attrs->round_mode = E8M0Rounding::kNearest;
    } else {
      return info.InvalidModel("attribute 'round_mode' must be 'up', 'down' or 'nearest', got '" +
                               mode + "'");
    }
  }
  return info.status();
}

Status CastInputAndTarget(const KernelContext& ctx, const CastAttrs& attrs, const Tensor** x,
                          DataType* to) {
  *x = ctx.Input(0);
  if (*x == nullptr) return ctx.InvalidArgument("input 0 must be a tensor");
  *to = attrs.to;
  if (attrs.like) {
    const Tensor* target = ctx.Input(1);
    if (target == nullptr) return ctx.InvalidArgument("input 1 (target_type) must be a tensor");
    *to = target->dtype();
  }
  return Status::Ok();
}

}  // namespace kiln::ops
