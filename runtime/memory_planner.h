// The memory planner: a pure function from buffer lifetimes to offsets in one arena. It knows
// nothing about graphs; the caller turns one execution order and one set of concrete shapes into
// requests (DESIGN.md section 5) and allocates one arena per device of the planned size.
//
// Contract:
// - A request is live at every step in [first_step, last_step] (both inclusive). Two requests
//   whose step ranges intersect are live at the same time and never share a byte.
// - Every request is padded to a multiple of `alignment` (a power of two; 64 on the CPU), and
//   every offset is a multiple of it, so the arena base needs the same alignment.
// - Zero-byte requests get offset 0 and take no space.
// - The result is a deterministic function of the requests (order included) and the alignment:
//   equal inputs give identical plans on every platform.
// - Errors are InvalidArgument: a negative size, last_step < first_step, an alignment that is not
//   a positive power of two, or byte totals that overflow int64.
//
// Algorithm: greedy by size (TFLite Micro's planner). Requests are placed largest (padded) size
// first, ties by first_step and then request index; each one goes into the lowest-offset aligned
// gap that fits among the already placed requests whose lifetimes overlap it (first fit), or
// after the last of them. First fit was chosen over best fit (the smallest fitting gap): on the
// randomized property tests best fit gave a larger arena several times as often as a smaller one,
// and a larger one on average. O(n^2) time in the number of requests, O(n) memory.
//
// Thread-safety: all functions are pure and may be called concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/status.h"

namespace kiln {

struct BufferRequest {
  int64_t bytes = 0;
  int first_step = 0;  // the step that writes the buffer
  int last_step = 0;   // the last step that reads it (inclusive)
};

struct MemoryPlan {
  std::vector<int64_t> offsets;  // one per request, each a multiple of the alignment
  int64_t arena_bytes = 0;       // max(offset + padded bytes): a multiple of the alignment
  int64_t lower_bound = 0;       // the largest total of padded bytes live at one step
  int64_t naive_bytes = 0;       // the sum of all padded requests (no reuse at all)
};

// Plans offsets for `requests`; see the contract above.
StatusOr<MemoryPlan> PlanMemory(const std::vector<BufferRequest>& requests, int64_t alignment = 64);

// Checks `plan` against `requests`: one offset per request, every offset a non-negative multiple
// of `alignment`, every request inside [0, arena_bytes), no two requests live at the same step
// sharing a byte, lower_bound and naive_bytes equal to their definitions, and
// lower_bound <= arena_bytes <= naive_bytes. Returns "" when the plan is valid, else a
// description of the first violation found. O(n^2): it compares every pair.
std::string CheckPlan(const std::vector<BufferRequest>& requests, const MemoryPlan& plan,
                      int64_t alignment = 64);

// An ASCII drawing of `plan` for small models: a header with the arena, lower bound and naive
// sizes, one row per step (time goes down) whose `width` columns scale across the arena (address
// goes right), each cell showing the letter of the live buffer that covers most of it ('.' when
// none does), then a legend with one line per request. Buffers are lettered A-Z, a-z, 0-9 by
// request index and '#' after that. When the steps span more than 200, only the steps where the
// set of live buffers changes are drawn. Meant for tens of buffers: O(steps * n * width). Never
// fails; a plan whose size does not match the requests is reported in the text.
std::string DrawPlan(const std::vector<BufferRequest>& requests, const MemoryPlan& plan,
                     int width = 64);

}  // namespace kiln
