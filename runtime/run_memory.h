// Memory of one Session::Run: ONNX Runtime's "memory pattern" idea on kiln's planner.
//
// The first run with a given input-shape signature records, step by step, which values kernels
// allocate through KernelContext::Output (their byte sizes) and which outputs view a recorded
// buffer (Reshape, Identity, a sequence holding it, a subgraph returning it); lifetimes run from
// the producing step to the last reader of the buffer or of any view of it. PlanMemory turns that
// into one arena. Later runs with the same signature take an arena from a pool and place each
// planned value at its offset, without heap allocation. Values the plan does not cover (graph
// outputs, strings, a value larger than recorded) go to the heap. After every step of a planned
// run, outputs that view the arena outside a slot whose planned lifetime covers them are copied
// to the heap, and graph outputs never leave the run pointing into the arena, so a
// data-dependent difference between runs costs a copy, never a wrong result.
//
// Internal to runtime/ (session.cc); not part of the public API.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/tensor.h"
#include "runtime/kernel.h"
#include "runtime/memory_planner.h"

namespace kiln {

// The plan of one input-shape signature.
struct RunPlan {
  std::string signature;
  std::vector<int64_t> offset;          // per value id; -1 when the value is not planned
  std::vector<int64_t> bytes;           // per value id: the slot's size
  std::vector<std::vector<int>> views;  // per value id: planned values whose slots it may view
  std::vector<BufferRequest> requests;
  std::vector<int> request_value;  // the value id of each request
  MemoryPlan plan;
};

// Records a run (heap allocations) and builds its RunPlan.
class RunRecorder : public OutputAllocator {
 public:
  // `plannable[v]`: v may live in the arena (not a graph output, input, initializer);
  // `last_use[v]`: the last step reading v (-1 if none); `num_steps`: steps in the run.
  RunRecorder(std::vector<bool> plannable, std::vector<int> last_use, int num_steps);
  Tensor Allocate(const Node& node, int i, DataType dtype, const std::vector<int64_t>& dims,
                  size_t nbytes) override;
  // Called after each step with the node's outputs.
  void AfterStep(int step, const Node& node, const std::vector<AnyValue>& outputs);
  // The plan (64-byte aligned); `kept[v]` marks values alive to the end of the run.
  StatusOr<RunPlan> Finish(const std::string& signature, const std::vector<bool>& kept) const;

 private:
  std::vector<bool> plannable_;
  std::vector<int> last_use_;
  int num_steps_;
  std::vector<bool> requested_;  // Output() was called for the value this step
  std::vector<int64_t> bytes_;
  std::vector<int> first_step_;
  std::vector<int> produced_;  // the step that produced each value
  std::vector<std::vector<int>> views_;
  // storage block -> the value that allocated it; the weak pointer tells a live block from a
  // freed one whose address the heap has reused.
  std::map<const Storage*, std::pair<std::weak_ptr<Storage>, int>> owner_;
  int OwnerOf(const std::shared_ptr<Storage>& s) const;
};

// Places planned values in an arena during a run, and keeps views of the arena honest.
class ArenaRun : public OutputAllocator {
 public:
  ArenaRun(const RunPlan& plan, std::shared_ptr<Storage> arena) : plan_(plan), arena_(arena) {}
  Tensor Allocate(const Node& node, int i, DataType dtype, const std::vector<int64_t>& dims,
                  size_t nbytes) override;
  // Copies to the heap every output of the step that views the arena outside a slot planned to
  // outlive it.
  void AfterStep(const Node& node, std::vector<AnyValue>& outputs) const;
  // Copies `v` (and tensors inside it) out of the arena if it points into it.
  void Detach(AnyValue& v) const;

 private:
  bool Covers(int value, const Tensor& t) const;
  const RunPlan& plan_;
  std::shared_ptr<Storage> arena_;
};

// The plans of a session by signature (bounded, oldest dropped first) and each plan's pool of
// arenas, one per concurrent run. Thread-safe.
class PlanCache {
 public:
  struct Entry {
    RunPlan plan;
    std::mutex mu;
    std::vector<std::shared_ptr<Storage>> free;  // arenas not in use
  };
  explicit PlanCache(size_t capacity) : capacity_(capacity) {}
  std::shared_ptr<Entry> Find(const std::string& signature) const;
  // Adds a plan unless one for its signature exists; returns the cached entry.
  std::shared_ptr<Entry> Insert(RunPlan plan);
  std::vector<std::shared_ptr<Entry>> All() const;
  // An arena of the entry's size (from the pool, or newly allocated), and its return.
  static StatusOr<std::shared_ptr<Storage>> Acquire(Entry& e);
  static void Release(Entry& e, std::shared_ptr<Storage> arena);

 private:
  size_t capacity_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Entry>> entries_;  // oldest first
};

}  // namespace kiln
