#include "runtime/memory_planner.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <utility>

namespace kiln {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

bool IsPowerOfTwo(int64_t x) { return x > 0 && (x & (x - 1)) == 0; }

bool LifetimesOverlap(const BufferRequest& a, const BufferRequest& b) {
  return a.first_step <= b.last_step && b.first_step <= a.last_step;
}

std::string Describe(const std::vector<BufferRequest>& requests, size_t i) {
  const BufferRequest& r = requests[i];
  return "request " + std::to_string(i) + " (" + std::to_string(r.bytes) + " bytes, steps " +
         std::to_string(r.first_step) + ".." + std::to_string(r.last_step) + ")";
}

// Validates the requests and pads every size to `alignment`; also returns the naive sum.
Status PadSizes(const std::vector<BufferRequest>& requests, int64_t alignment,
                std::vector<int64_t>* padded, int64_t* naive) {
  if (!IsPowerOfTwo(alignment)) {
    return InvalidArgument("memory planner: alignment " + std::to_string(alignment) +
                           " is not a positive power of two");
  }
  padded->resize(requests.size());
  *naive = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    const BufferRequest& r = requests[i];
    if (r.bytes < 0) {
      return InvalidArgument("memory planner: negative size in " + Describe(requests, i));
    }
    if (r.last_step < r.first_step) {
      return InvalidArgument("memory planner: last_step < first_step in " + Describe(requests, i));
    }
    if (r.bytes > kInt64Max - (alignment - 1)) {
      return InvalidArgument("memory planner: size overflows int64 when aligned to " +
                             std::to_string(alignment) + " in " + Describe(requests, i));
    }
    (*padded)[i] = (r.bytes + alignment - 1) & ~(alignment - 1);
    if ((*padded)[i] > kInt64Max - *naive) {
      return InvalidArgument("memory planner: total size overflows int64 at " +
                             Describe(requests, i));
    }
    *naive += (*padded)[i];
  }
  return Status::Ok();
}

// The largest total of `sizes` live at one step, by a sweep over birth and death events.
int64_t PeakLiveBytes(const std::vector<BufferRequest>& requests,
                      const std::vector<int64_t>& sizes) {
  // (step, delta): a death is recorded at last_step + 1 and sorts before births at that step.
  std::vector<std::pair<int64_t, int64_t>> events;
  events.reserve(2 * requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    if (sizes[i] == 0) continue;
    events.emplace_back(requests[i].first_step, sizes[i]);
    events.emplace_back(static_cast<int64_t>(requests[i].last_step) + 1, -sizes[i]);
  }
  std::sort(events.begin(), events.end());
  int64_t live = 0, peak = 0;
  for (const auto& e : events) {
    live += e.second;
    peak = std::max(peak, live);
  }
  return peak;
}

}  // namespace

StatusOr<MemoryPlan> PlanMemory(const std::vector<BufferRequest>& requests, int64_t alignment) {
  std::vector<int64_t> size;
  MemoryPlan plan;
  KILN_RETURN_IF_ERROR(PadSizes(requests, alignment, &size, &plan.naive_bytes));
  const size_t n = requests.size();
  plan.offsets.assign(n, 0);
  plan.lower_bound = PeakLiveBytes(requests, size);

  std::vector<size_t> order;
  order.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (size[i] > 0) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (size[a] != size[b]) return size[a] > size[b];
    if (requests[a].first_step != requests[b].first_step) {
      return requests[a].first_step < requests[b].first_step;
    }
    return a < b;
  });

  // Placed requests sorted by (offset, index). Every offset is 0 or the end of a placed request,
  // so every end is at most the sum of the placed sizes <= naive_bytes: no overflow below.
  std::vector<size_t> placed;
  placed.reserve(order.size());
  for (size_t i : order) {
    const BufferRequest& r = requests[i];
    int64_t offset = 0;
    for (size_t j : placed) {
      if (!LifetimesOverlap(r, requests[j])) continue;
      if (offset + size[i] <= plan.offsets[j]) break;  // fits in the gap below j
      offset = std::max(offset, plan.offsets[j] + size[j]);
    }
    plan.offsets[i] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + size[i]);
    auto pos = std::lower_bound(placed.begin(), placed.end(), i, [&](size_t a, size_t b) {
      return plan.offsets[a] != plan.offsets[b] ? plan.offsets[a] < plan.offsets[b] : a < b;
    });
    placed.insert(pos, i);
  }
  return plan;
}

std::string CheckPlan(const std::vector<BufferRequest>& requests, const MemoryPlan& plan,
                      int64_t alignment) {
  std::vector<int64_t> size;
  int64_t naive = 0;
  Status s = PadSizes(requests, alignment, &size, &naive);
  if (!s.ok()) return s.message();
  const size_t n = requests.size();
  if (plan.offsets.size() != n) {
    return std::to_string(plan.offsets.size()) + " offsets for " + std::to_string(n) + " requests";
  }
  for (size_t i = 0; i < n; ++i) {
    int64_t off = plan.offsets[i];
    if (off < 0 || off % alignment != 0) {
      return Describe(requests, i) + ": offset " + std::to_string(off) +
             " is not a non-negative multiple of " + std::to_string(alignment);
    }
    if (size[i] > 0 && (off > plan.arena_bytes || size[i] > plan.arena_bytes - off)) {
      return Describe(requests, i) + ": [" + std::to_string(off) + ", " +
             std::to_string(off + size[i]) + ") exceeds the arena of " +
             std::to_string(plan.arena_bytes) + " bytes";
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (size[i] == 0) continue;
    for (size_t j = i + 1; j < n; ++j) {
      if (size[j] == 0 || !LifetimesOverlap(requests[i], requests[j])) continue;
      int64_t a = plan.offsets[i], b = plan.offsets[j];
      if (a < b + requests[j].bytes && b < a + requests[i].bytes) {
        return Describe(requests, i) + " at offset " + std::to_string(a) + " overlaps " +
               Describe(requests, j) + " at offset " + std::to_string(b);
      }
    }
  }
  int64_t lower = PeakLiveBytes(requests, size);
  if (plan.lower_bound != lower) {
    return "lower_bound is " + std::to_string(plan.lower_bound) + ", expected " +
           std::to_string(lower);
  }
  if (plan.naive_bytes != naive) {
    return "naive_bytes is " + std::to_string(plan.naive_bytes) + ", expected " +
           std::to_string(naive);
  }
  if (plan.arena_bytes < lower || plan.arena_bytes > naive) {
    return "arena_bytes " + std::to_string(plan.arena_bytes) + " is outside [lower_bound " +
           std::to_string(lower) + ", naive " + std::to_string(naive) + "]";
  }
  return "";
}

std::string DrawPlan(const std::vector<BufferRequest>& requests, const MemoryPlan& plan,
                     int width) {
  const size_t n = requests.size();
  if (plan.offsets.size() != n) {
    return "invalid plan: " + std::to_string(plan.offsets.size()) + " offsets for " +
           std::to_string(n) + " requests\n";
  }
  width = std::max(width, 1);
  std::string out = "arena " + std::to_string(plan.arena_bytes) + " bytes, lower bound " +
                    std::to_string(plan.lower_bound) + ", naive " +
                    std::to_string(plan.naive_bytes);
  if (plan.lower_bound > 0) {
    char ratio[32];
    std::snprintf(ratio, sizeof(ratio), ", arena/lower bound %.3f",
                  static_cast<double>(plan.arena_bytes) / static_cast<double>(plan.lower_bound));
    out += ratio;
  }
  out += "\n";
  if (n == 0) return out;

  auto letter = [](size_t i) -> char {
    static const char kLetters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    return i < sizeof(kLetters) - 1 ? kLetters[i] : '#';
  };

  // The steps to draw: all of them, or only those where the live set changes.
  int64_t lo = requests[0].first_step, hi = requests[0].last_step;
  for (const BufferRequest& r : requests) {
    lo = std::min<int64_t>(lo, r.first_step);
    hi = std::max<int64_t>(hi, r.last_step);
  }
  std::vector<int64_t> steps;
  if (hi - lo <= 200) {
    for (int64_t t = lo; t <= hi; ++t) steps.push_back(t);
  } else {
    for (const BufferRequest& r : requests) {
      steps.push_back(r.first_step);
      if (r.last_step < hi) steps.push_back(static_cast<int64_t>(r.last_step) + 1);
    }
    std::sort(steps.begin(), steps.end());
    steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
  }

  const int64_t arena = plan.arena_bytes;
  std::string label = std::to_string(arena);
  int pad = std::max(1, width - 1 - static_cast<int>(label.size()));
  out += "  step |0" + std::string(pad, ' ') + label + "\n";
  // Column c covers bytes [c * arena / width, (c + 1) * arena / width); computed in long double
  // so that large arenas do not overflow.
  auto column_start = [&](int c) {
    return static_cast<int64_t>(static_cast<long double>(arena) * c / width);
  };
  for (int64_t t : steps) {
    char head[16];
    std::snprintf(head, sizeof(head), "%6lld |", static_cast<long long>(t));
    std::string row(static_cast<size_t>(width), '.');
    std::vector<int64_t> best(static_cast<size_t>(width), 0);
    for (size_t i = 0; i < n; ++i) {
      const BufferRequest& r = requests[i];
      if (r.bytes <= 0 || t < r.first_step || t > r.last_step) continue;
      int64_t begin = plan.offsets[i];
      int64_t end = begin > kInt64Max - r.bytes ? kInt64Max : begin + r.bytes;  // any plan draws
      for (int c = 0; c < width; ++c) {
        int64_t cover = std::min(end, column_start(c + 1)) - std::max(begin, column_start(c));
        if (cover > best[c]) {
          best[c] = cover;
          row[c] = letter(i);
        }
      }
    }
    out += head + row + "|\n";
  }
  for (size_t i = 0; i < n; ++i) {
    const BufferRequest& r = requests[i];
    out += "  " + std::string(1, letter(i)) + " #" + std::to_string(i) + ": " +
           std::to_string(r.bytes) + " bytes at " + std::to_string(plan.offsets[i]) + ", steps " +
           std::to_string(r.first_step) + ".." + std::to_string(r.last_step) + "\n";
  }
  return out;
}

}  // namespace kiln
