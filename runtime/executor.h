// The executor's state, shared by the files of the runtime that build and run it (internal: not
// part of the public API in session.h). compile.cc turns a graph into a CompiledGraph; executor.cc
// runs one (frames, streams, arenas, subgraphs); capture_replay.cc records and replays the device
// part of a run as a device graph.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "ir/graph.h"
#include "ir/status.h"
#include "ir/tensor.h"
#include "kernels/api/device.h"
#include "kernels/api/kernel.h"
#include "runtime/profiler.h"
#include "runtime/run_memory.h"
#include "runtime/session.h"

namespace kiln {

// The streams of one device, pooled: a run takes one for its duration, so concurrent runs never
// share a stream.
struct StreamPool {
  const DeviceBackend* backend = nullptr;
  std::mutex mu;
  std::vector<std::unique_ptr<DeviceStream>> free;

  StatusOr<std::unique_ptr<DeviceStream>> Acquire() {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!free.empty()) {
        auto s = std::move(free.back());
        free.pop_back();
        return s;
      }
    }
    return backend->CreateStream();
  }
  void Release(std::unique_ptr<DeviceStream> s) {
    std::lock_guard<std::mutex> lock(mu);
    free.push_back(std::move(s));
  }
};

// One recorded device graph (SessionOptions::graph_capture) for one input-shape signature: the
// arenas, stream and plan it was recorded with stay its own, since a replay reuses their addresses.
struct CapturedRun {
  std::mutex mu;       // held by the run that captures or replays it
  bool ready = false;  // recorded
  Status failed;       // the capture failed: runs with the signature report it
  std::shared_ptr<PlanCache::Entry> entry;
  std::vector<std::shared_ptr<Storage>> arenas;
  const DeviceBackend* backend = nullptr;
  std::unique_ptr<DeviceStream> stream;
  // Values a replay binds instead of computing: the inputs of the closing copies to the host, and
  // graph outputs the host computed from shapes at capture.
  std::vector<std::pair<int, AnyValue>> saved;
  std::vector<AnyValue> keepalive;  // every value the recorded steps produced (buffers it writes)
  std::unique_ptr<DeviceGraph> graph;  // last: destroyed before what it points into
};

// The captured runs of the main graph by signature, oldest first, at most `capacity`.
struct CaptureCache {
  explicit CaptureCache(size_t c) : capacity(c) {}
  size_t capacity;
  std::mutex mu;
  std::vector<std::pair<std::string, std::shared_ptr<CapturedRun>>> runs;

  std::shared_ptr<CapturedRun> FindOrAdd(const std::string& signature) {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& [sig, run] : runs) {
      if (sig == signature) return run;
    }
    // A dropped run may still be replaying: its shared_ptr keeps it until that run ends.
    if (runs.size() >= capacity) runs.erase(runs.begin());
    runs.emplace_back(signature, std::make_shared<CapturedRun>());
    return runs.back().second;
  }
};

// One graph (the main graph or a subgraph) ready to execute.
class CompiledGraph {
 public:
  struct Step {
    const Node* node = nullptr;
    const KernelDef* def = nullptr;
    const DeviceBackend* backend = nullptr;  // nullptr on the CPU
    std::unique_ptr<Kernel> kernel;
    std::vector<int> release;  // value ids whose last reader is this step
  };

  const Graph* graph = nullptr;
  // Streams of the devices other than the CPU that steps run on (the main graph only).
  std::vector<std::unique_ptr<StreamPool>> streams;
  // Initializers uploaded at load (their MemcpyToDevice nodes run once, not in the steps).
  std::vector<std::pair<int, Tensor>> device_constants;
  std::vector<Step> steps;
  std::map<const Graph*, std::unique_ptr<CompiledGraph>> subgraphs;  // by nested graph
  std::vector<bool> keep;     // values never released (graph outputs)
  std::vector<int> last_use;  // per value: the last step reading it (subgraphs included), or -1
  // Memory plans of this graph's runs by input-shape signature; nullptr when planning is off.
  std::unique_ptr<PlanCache> plans;
  bool poison_arena = false;
  // Graph capture (main graph only; nullptr when off): steps [0, upload_end) copy the run's inputs
  // to the device, [upload_end, download_begin) are recorded, the rest copy outputs to the host.
  std::unique_ptr<CaptureCache> captures;
  int upload_end = 0;
  int download_begin = 0;
};

// The profile of one Session::Run (SessionOptions::enable_profiling): its events, added to the
// profiler when the run ends; subgraph frames share their caller's.
struct ProfileRun {
  Profiler* profiler = nullptr;
  int run = 0;
  int64_t thread_id = 0;
  std::vector<ProfileEvent> events;
};

// Values of one running graph, chained to the frame of the enclosing graph for outer-scope reads.
struct Frame {
  const CompiledGraph* compiled = nullptr;
  std::vector<AnyValue> values;
  std::vector<bool> defined;
  const Frame* parent = nullptr;
  // Memory of this run of the graph: recording it, or placing values in a planned arena.
  RunRecorder* recorder = nullptr;
  ArenaRun* arena = nullptr;
  // This run's stream of each device in use, by backend.
  std::vector<std::pair<const DeviceBackend*, DeviceStream*>> streams;
  // When set, every value a step produces is also kept here (graph capture).
  std::vector<AnyValue>* keepalive = nullptr;
  // When set, each step is timed and recorded here.
  ProfileRun* profile = nullptr;

  DeviceStream* StreamFor(const DeviceBackend* b) const {
    for (const auto& [backend, stream] : streams) {
      if (backend == b) return stream;
    }
    return nullptr;
  }

  const AnyValue* Lookup(int id) const {
    if (defined[id]) return &values[id];
    const Value& v = compiled->graph->value(id);
    if (!v.outer_scope) return nullptr;
    for (const Frame* f = parent; f != nullptr; f = f->parent) {
      int pid = f->compiled->graph->FindValue(v.name);
      if (pid >= 0) {
        if (f->defined[pid]) return &f->values[pid];
        if (!f->compiled->graph->value(pid).outer_scope) return nullptr;
      }
    }
    return nullptr;
  }
};

// Runs steps [begin, end) of `cg` in `frame`.
Status Execute(const CompiledGraph& cg, Frame& frame, int begin, int end);

// Runs `cg` in `frame` (inputs and initializers bound) and returns its outputs in order. Memory
// comes from the graph's plan for `signature` when there is one (later runs), or the run is
// recorded to make that plan (the first run); an empty signature runs on the heap. Outputs never
// point into the arena. With graph capture, a run with a plan captures or replays instead.
StatusOr<std::vector<AnyValue>> RunGraph(const CompiledGraph& cg, Frame& frame,
                                         const std::string& signature);

// The plan key of a run: every input's name, element type and dims; "" (not planned) when an
// input is not a tensor, since sizes then vary with contents.
std::string Signature(const std::vector<std::string>& names,
                      const std::vector<const AnyValue*>& values);

// Helpers of a run (executor.cc), shared with capture and replay.
std::pair<const DeviceBackend*, DeviceStream*> StreamOf(const Frame& frame, Device d);
StatusOr<std::vector<std::shared_ptr<Storage>>> AcquireArenas(const Frame& frame,
                                                              PlanCache::Entry& entry);
Status PoisonArenas(const Frame& frame, const std::vector<std::shared_ptr<Storage>>& arenas);
std::unique_ptr<ArenaRun> MakeArenaRun(const Frame& frame, const RunPlan& plan,
                                       std::vector<std::shared_ptr<Storage>> arenas);
StatusOr<std::vector<AnyValue>> FinishRun(const CompiledGraph& cg, Frame& frame, Status status,
                                          const ArenaRun* arena_run,
                                          const std::vector<bool>* fresh = nullptr);
void BindDeviceConstants(const CompiledGraph& cg, Frame& frame);

// Graph capture (capture_replay.cc): the run that records `run`, and a replay of it.
StatusOr<std::vector<AnyValue>> CaptureRun(const CompiledGraph& cg, Frame& frame, CapturedRun& run,
                                           std::shared_ptr<PlanCache::Entry> entry);
StatusOr<std::vector<AnyValue>> ReplayRun(const CompiledGraph& cg, Frame& frame,
                                          const CapturedRun& run);

// compile.cc: every node (recursively) with no kernel on any device, and the compiled graph.
void CollectUnsupported(const Graph& g, const std::vector<Device>& devices,
                        const KernelRegistry& reg, const Model& model,
                        std::map<std::string, int>& missing, std::vector<std::string>& order);
// Compiles `g`. `placement` gives the device of each node (the main graph); without it every
// node runs on the CPU (subgraphs, CPU-only sessions).
StatusOr<std::unique_ptr<CompiledGraph>> Compile(const Graph& g, const SessionOptions& options,
                                                 const KernelRegistry& reg,
                                                 const std::vector<Device>* placement);

// input_validation.cc: checks `inputs` against the graph's declared inputs (names, element types,
// ranks, dims, symbolic dims consistent across inputs, non-tensor types) and binds them into
// `values`/`defined`; every id of `required` must be given.
Status BindInputs(const Graph& g, const std::vector<NamedValue>& inputs,
                  const std::vector<int>& required, std::vector<AnyValue>& values,
                  std::vector<bool>& defined);

}  // namespace kiln
