// Memory of one graph run: ONNX Runtime's "memory pattern" idea on kiln's planner.
//
// The first run of a graph (the main graph, or an If/Loop/Scan body) with a given input-shape
// signature records, step by step, which values kernels allocate through KernelContext::Output
// (their byte sizes), which outputs view a recorded buffer (Reshape, Identity, a sequence holding
// it, a subgraph returning it), which outputs could be written in place over an input
// (KernelDef::inplace), and the scratch each kernel asks for (KernelContext::Scratch). Lifetimes
// run from the producing step to the last reader of the buffer or of any view of it. An in-place
// output shares its input's slot when that step is the slot's last reader and the sizes match;
// scratch lives one step. PlanMemory turns the slots into one arena.
//
// Later runs with the same signature take an arena from a pool and place each planned value and
// scratch request at its offset, without heap allocation. What the plan does not cover (graph
// outputs, strings, a value or scratch larger than recorded) goes to the heap. After every step of
// a planned run, outputs that view the arena outside a slot whose planned lifetime covers them are
// copied to the heap, and graph outputs never leave the run pointing into the arena, so a
// data-dependent difference between runs costs a copy, never a wrong result.
//
// Internal to runtime/ (session.cc); not part of the public API.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "ir/graph.h"
#include "ir/tensor.h"
#include "kernels/api/kernel.h"
#include "runtime/memory_planner.h"

namespace kiln {

// One arena of a plan: the requests of one device and where the planner put them.
struct RunArena {
  Device device = Device::kCpu;
  std::vector<BufferRequest> requests;  // one per slot and per scratch request
  MemoryPlan plan;
  int planned_values = 0;    // values placed in this arena
  int inplace_values = 0;    // of which written into their input's slot
  int scratch_requests = 0;  // scratch requests placed in this arena
  // Every planned value and scratch request in a buffer of its own (padded): what a run without
  // planning allocates. plan.naive_bytes counts slots instead.
  int64_t naive_bytes = 0;
};

// Where one scratch request of a step goes.
struct ScratchSlot {
  int arena = 0;
  int64_t offset = 0;
  int64_t bytes = 0;
};

// Alignment of planned offsets: 64 bytes on the CPU, 256 on other devices (cuBLAS, cuDNN and
// vector loads want 256-byte aligned buffers; DeviceBackend::alignment() must divide it).
constexpr int64_t kHostArenaAlignment = 64;
constexpr int64_t kDeviceArenaAlignment = 256;

// What a step's Kernel::Prepare made on the recorded run, and the inputs it was made for.
struct PreparedState {
  std::shared_ptr<const KernelState> state;
  // Per input: element type and dims (kUndefined with {-1} omitted, {-2} not a tensor).
  std::vector<std::pair<DataType, std::vector<int64_t>>> inputs;
};
// The input types and shapes of a step, in PreparedState::inputs' form.
std::vector<std::pair<DataType, std::vector<int64_t>>> InputShapes(
    const std::vector<const AnyValue*>& inputs);

// The plan of one input-shape signature: one arena per device that has planned values, the CPU's
// always first (arenas[0], possibly empty).
struct RunPlan {
  std::string signature;
  std::vector<int> arena;               // per value id: its arena; -1 when the value is not planned
  std::vector<int64_t> offset;          // per value id: offset in its arena
  std::vector<int64_t> bytes;           // per value id: the size of its slot
  std::vector<std::vector<int>> views;  // per value id: planned values whose slots it may view
  std::vector<std::vector<ScratchSlot>> scratch;  // per step, in the order the kernel asked
  std::vector<RunArena> arenas;
  std::vector<PreparedState> states;  // per step (no state: nullptr)
};

// Records a run (heap allocations) and builds its RunPlan.
class RunRecorder : public OutputAllocator {
 public:
  // `plannable[v]`: v may live in the arena (not a graph output, input, initializer);
  // `last_use[v]`: the last step reading v (-1 if none); `num_steps`: steps in the run.
  RunRecorder(std::vector<bool> plannable, std::vector<int> last_use, int num_steps);
  // Called before each step with the step's kernel definition and inputs.
  void BeginStep(int step, const KernelDef& def, const std::vector<const AnyValue*>& inputs);
  Tensor Allocate(const Node& node, int i, DataType dtype, const std::vector<int64_t>& dims,
                  size_t nbytes, Device device) override;
  Tensor Scratch(const Node& node, size_t nbytes, Device device) override;
  // The state the step's kernel prepared for `inputs` (kept in the plan).
  void SetState(int step, std::shared_ptr<const KernelState> state,
                const std::vector<const AnyValue*>& inputs);
  // Called after each step with the node's outputs.
  void AfterStep(int step, const Node& node, const std::vector<AnyValue>& outputs);
  // The plan; `kept[v]` marks values alive to the end of the run.
  StatusOr<RunPlan> Finish(const std::string& signature, const std::vector<bool>& kept) const;

 private:
  int OwnerOf(const std::shared_ptr<Storage>& s) const;
  std::vector<bool> plannable_;
  std::vector<int> last_use_;
  int num_steps_;
  int step_ = -1;
  std::vector<bool> requested_;  // Output() was called for the value this step
  std::vector<int64_t> bytes_;
  std::vector<Device> device_;  // where each recorded buffer lives
  std::vector<int> first_step_;
  std::vector<int> produced_;  // the step that produced each value
  std::vector<std::vector<int>> views_;
  // This step's in-place candidates: (output index, the value owning the input's whole buffer).
  std::vector<std::pair<int, int>> candidates_;
  std::vector<int> inplace_of_;                // per value: the value it may overwrite, or -1
  // Per step: bytes and device of each scratch request.
  std::vector<std::vector<std::pair<int64_t, Device>>> scratch_;
  std::vector<PreparedState> states_;  // per step
  // storage block -> the value that allocated it; the weak pointer tells a live block from a
  // freed one whose address the heap has reused.
  std::map<const Storage*, std::pair<std::weak_ptr<Storage>, int>> owner_;
};

// A copy of a device tensor in new memory of its device (DeviceBackend + DeviceStream of the run).
using DeviceCloner = std::function<StatusOr<Tensor>(const Tensor&)>;

// Places planned values and scratch in a plan's arenas during a run, and keeps views of the arenas
// honest. In AddressSanitizer builds the CPU arena starts each run poisoned and each placement
// unpoisons exactly the bytes asked for, so a kernel reading or writing past its output or scratch
// into padding or a slot not yet handed out is reported.
class ArenaRun : public OutputAllocator {
 public:
  // `arenas[k]` holds plan.arenas[k]; `clone` copies device tensors (unused for a CPU-only plan).
  ArenaRun(const RunPlan& plan, std::vector<std::shared_ptr<Storage>> arenas, DeviceCloner clone);
  ~ArenaRun() override;  // unpoisons the arena: destroy before the arenas go back to their pool
  // Called before each step.
  void BeginStep(int step) {
    step_ = step;
    scratch_index_ = 0;
  }
  Tensor Allocate(const Node& node, int i, DataType dtype, const std::vector<int64_t>& dims,
                  size_t nbytes, Device device) override;
  Tensor Scratch(const Node& node, size_t nbytes, Device device) override;
  // Copies out of the arenas (to the heap of the same device) every output of the step that
  // views an arena outside a slot planned to outlive it.
  Status AfterStep(const Node& node, std::vector<AnyValue>& outputs) const;
  // Copies `v` (and tensors inside it) out of the arenas if it points into one.
  Status Detach(AnyValue& v) const;
  // The state prepared for step `step` when `inputs` have the types and shapes it was made for;
  // else nullptr.
  const KernelState* StateFor(int step, const std::vector<const AnyValue*>& inputs) const;
  // Outputs and scratch off the CPU that the plan did not cover (they went to the device's heap).
  int device_heap_requests() const { return device_heap_requests_; }

 private:
  bool Covers(int value, const Tensor& t) const;
  bool InArena(const Tensor& t) const;
  StatusOr<Tensor> CloneOut(const Tensor& t) const;
  // A view of `nbytes` at `offset` of arena k, unpoisoned for AddressSanitizer.
  Tensor Place(int k, int64_t offset, DataType dtype, const std::vector<int64_t>& dims,
               size_t nbytes);
  const RunPlan& plan_;
  std::vector<std::shared_ptr<Storage>> arenas_;
  DeviceCloner clone_;
  int step_ = 0;
  size_t scratch_index_ = 0;
  int device_heap_requests_ = 0;
};

// The plans of one graph by signature (bounded, oldest dropped first) and each plan's pool of
// arenas, one per concurrent run. Thread-safe.
class PlanCache {
 public:
  struct Entry {
    RunPlan plan;
    std::mutex mu;
    std::vector<std::vector<std::shared_ptr<Storage>>> free;  // arena sets not in use
  };
  explicit PlanCache(size_t capacity) : capacity_(capacity) {}
  std::shared_ptr<Entry> Find(const std::string& signature) const;
  // Adds a plan unless one for its signature exists; returns the cached entry.
  std::shared_ptr<Entry> Insert(RunPlan plan);
  std::vector<std::shared_ptr<Entry>> All() const;
  // Allocates an arena of `bytes` on `device` (the CPU's heap, or the device backend).
  using ArenaAllocator = std::function<StatusOr<std::shared_ptr<Storage>>(Device, size_t)>;
  // A set of arenas for the entry's plan (from the pool, or newly allocated), and its return.
  static StatusOr<std::vector<std::shared_ptr<Storage>>> Acquire(Entry& e,
                                                                 const ArenaAllocator& allocate);
  static void Release(Entry& e, std::vector<std::shared_ptr<Storage>> arenas);

 private:
  size_t capacity_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Entry>> entries_;  // oldest first
};

}  // namespace kiln
