// Detection family kernels (CPU):
//   NonMaxSuppression  10, 11+ (same semantics; 11 documents that IoU == threshold is kept)
// Greedy per (batch, class) selection: candidates with score > score_threshold (all when the
// input is omitted; NaN scores are never candidates) in order of decreasing score, ties broken by
// the lower box index; a candidate is dropped when its IoU with an already selected box of the same
// class is strictly greater than iou_threshold. IoU arithmetic is in float, like the reference.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cpu/register.h"
#include "kernels/ops/common.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

struct Box {
  float y_min, x_min, y_max, x_max, area;
};

// The box corners in a common (min, max) form.
Box MakeBox(const float* b, bool center_point) {
  Box r;
  if (center_point) {  // [x_center, y_center, width, height]
    const float hw = b[2] / 2, hh = b[3] / 2;
    r.x_min = b[0] - hw;
    r.x_max = b[0] + hw;
    r.y_min = b[1] - hh;
    r.y_max = b[1] + hh;
  } else {  // [y1, x1, y2, x2], any diagonal pair of corners
    r.y_min = std::min(b[0], b[2]);
    r.y_max = std::max(b[0], b[2]);
    r.x_min = std::min(b[1], b[3]);
    r.x_max = std::max(b[1], b[3]);
  }
  r.area = (r.x_max - r.x_min) * (r.y_max - r.y_min);
  return r;
}

bool SuppressedByIou(const Box& a, const Box& b, float iou_threshold) {
  const float ix_min = std::max(a.x_min, b.x_min), ix_max = std::min(a.x_max, b.x_max);
  if (ix_max <= ix_min) return false;
  const float iy_min = std::max(a.y_min, b.y_min), iy_max = std::min(a.y_max, b.y_max);
  if (iy_max <= iy_min) return false;
  const float inter = (ix_max - ix_min) * (iy_max - iy_min);
  if (inter <= 0) return false;
  const float uni = a.area + b.area - inter;
  if (a.area <= 0 || b.area <= 0 || uni <= 0) return false;
  return inter / uni > iou_threshold;
}

// Reads an optional scalar (rank 0 or a single element) input; false when absent or empty.
template <typename T>
StatusOr<bool> OptionalScalar(KernelContext& ctx, int i, const char* name, T* out) {
  const Tensor* t = ctx.Input(i);
  if (t == nullptr || t->numel() == 0) return false;
  if (t->numel() != 1) {
    return ctx.InvalidArgument(std::string("input '") + name + "' must be a scalar, got shape " +
                               DimsToString(t->dims()));
  }
  *out = *t->data<T>();
  return true;
}

class NonMaxSuppressionKernel : public Kernel {
 public:
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    const int64_t cpb = info.GetInt("center_point_box", 0);
    KILN_RETURN_IF_ERROR(info.status());
    if (cpb != 0 && cpb != 1) {
      return info.InvalidModel("attribute 'center_point_box' must be 0 or 1, got " +
                               std::to_string(cpb));
    }
    auto k = std::unique_ptr<NonMaxSuppressionKernel>(new NonMaxSuppressionKernel());
    k->center_point_ = cpb == 1;
    return std::unique_ptr<Kernel>(std::move(k));
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor* boxes = ctx.Input(0);
    const Tensor* scores = ctx.Input(1);
    if (boxes == nullptr || scores == nullptr) {
      return ctx.InvalidArgument("inputs 'boxes' and 'scores' are required tensors");
    }
    if (boxes->rank() != 3 || boxes->dim(2) != 4) {
      return ctx.InvalidArgument("'boxes' must have shape [num_batches, num_boxes, 4], got " +
                                 DimsToString(boxes->dims()));
    }
    if (scores->rank() != 3 || scores->dim(0) != boxes->dim(0) ||
        scores->dim(2) != boxes->dim(1)) {
      return ctx.InvalidArgument("'scores' must have shape [num_batches, num_classes, num_boxes] " +
                                 std::string("matching boxes ") + DimsToString(boxes->dims()) +
                                 ", got " + DimsToString(scores->dims()));
    }
    int64_t max_per_class = 0;
    float iou_threshold = 0.f, score_threshold = 0.f;
    KILN_ASSIGN_OR_RETURN(bool has_max, OptionalScalar<int64_t>(ctx, 2, "max_output_boxes_per_class",
                                                               &max_per_class));
    KILN_ASSIGN_OR_RETURN(bool has_iou,
                          OptionalScalar<float>(ctx, 3, "iou_threshold", &iou_threshold));
    KILN_ASSIGN_OR_RETURN(bool has_score,
                          OptionalScalar<float>(ctx, 4, "score_threshold", &score_threshold));
    (void)has_iou;
    if (!has_max) max_per_class = 0;

    const int64_t num_batches = boxes->dim(0), num_boxes = boxes->dim(1);
    const int64_t num_classes = scores->dim(1);
    const int64_t limit = std::min<int64_t>(std::max<int64_t>(max_per_class, 0), num_boxes);

    std::vector<int64_t> selected;  // triples
    if (limit > 0) {
      std::vector<Box> corners(num_boxes);
      std::vector<int64_t> candidates;
      std::vector<int64_t> chosen;
      candidates.reserve(num_boxes);
      for (int64_t b = 0; b < num_batches; ++b) {
        const float* bp = boxes->data<float>() + b * num_boxes * 4;
        for (int64_t i = 0; i < num_boxes; ++i) corners[i] = MakeBox(bp + i * 4, center_point_);
        for (int64_t c = 0; c < num_classes; ++c) {
          const float* sp = scores->data<float>() + (b * num_classes + c) * num_boxes;
          candidates.clear();
          for (int64_t i = 0; i < num_boxes; ++i) {
            if (std::isnan(sp[i])) continue;
            if (has_score && !(sp[i] > score_threshold)) continue;
            candidates.push_back(i);
          }
          std::stable_sort(candidates.begin(), candidates.end(),
                           [sp](int64_t x, int64_t y) { return sp[x] > sp[y]; });
          chosen.clear();
          for (int64_t i : candidates) {
            if (static_cast<int64_t>(chosen.size()) >= limit) break;
            bool keep = true;
            for (int64_t s : chosen) {
              if (SuppressedByIou(corners[i], corners[s], iou_threshold)) {
                keep = false;
                break;
              }
            }
            if (!keep) continue;
            chosen.push_back(i);
            selected.insert(selected.end(), {b, c, i});
          }
        }
      }
    }
    const int64_t n = static_cast<int64_t>(selected.size()) / 3;
    KILN_ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DataType::kInt64, {n, 3}));
    std::copy(selected.begin(), selected.end(), out->data<int64_t>());
    return Status::Ok();
  }

 private:
  NonMaxSuppressionKernel() = default;
  bool center_point_ = false;
};

}  // namespace

void RegisterDetectionKernels(KernelRegistry& r) {
  const std::vector<DataType> f32 = {DataType::kFloat};
  const std::vector<DataType> i64 = {DataType::kInt64};
  for (auto range : {std::pair<int, int>{10, 10}, std::pair<int, int>{11, kMaxOpset}}) {
    r.Register(KernelDef("NonMaxSuppression")
                   .Opsets(range.first, range.second)
                   .Types("boxes", {0}, f32)
                   .Types("scores", {1}, f32)
                   .Types("max_output_boxes_per_class", {2}, i64)
                   .Types("iou_threshold", {3}, f32)
                   .Types("score_threshold", {4}, f32)
                   .HostInputs({2, 3, 4}),
               NonMaxSuppressionKernel::Create);
  }
}

}  // namespace kiln::cpu
