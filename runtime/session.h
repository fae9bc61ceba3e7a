// kiln's public API: load a model, then run it with named inputs.
//
//   auto session = kiln::Session::Load("model.onnx");       // StatusOr<std::unique_ptr<Session>>
//   auto outputs = (*session)->Run({{"x", tensor}});         // StatusOr<std::vector<NamedValue>>
//
// Load validates the model, runs the pass pipeline, orders the graph deterministically, places each
// node on the first device of options.devices that has a kernel, and creates every kernel once.
// Run may be called from several threads at once: a Session is immutable after Load.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ir/graph.h"
#include "ir/status.h"
#include "ir/tensor.h"
#include "kernels/api/default_registry.h"
#include "kernels/api/kernel.h"
#include "passes/pipeline.h"
#include "runtime/placement.h"
#include "runtime/profiler.h"

namespace kiln {

struct NamedValue {
  std::string name;
  AnyValue value;
};

// A graph input or output as the model declares it, before the optimizer refines its type.
struct GraphIo {
  std::string name;
  TypeInfo type;
  bool has_default = false;  // an input with an initializer: a default the caller may override
};

struct SessionOptions {
  // Devices in order of preference; each node runs on the first one with a kernel for it that
  // accepts its element types (runtime/placement.h). {kCuda, kCpu} runs on the GPU with the CPU
  // for what it has no kernel for; copies are inserted where values cross devices.
  std::vector<Device> devices = {Device::kCpu};
  // Fail at load, listing the nodes, when a node cannot run on the first device of `devices`
  // (shape arithmetic the placement keeps on the CPU on purpose excepted).
  bool strict_placement = false;
  // float32 matrix products and convolutions on the GPU may round their inputs to TF32 (faster,
  // about 3 decimal digits). Off by default, so float32 results match the CPU's within the ONNX
  // suite's tolerances.
  bool allow_tf32 = false;
  // Record the main graph's device work once per set of input shapes as a device graph (a CUDA
  // graph) and replay it on later runs: the host then launches one graph instead of every kernel
  // (docs/cuda.md). The first run with new shapes records the memory plan, the second captures
  // and runs the graph, later ones copy the inputs in, replay and copy the outputs out. Needs
  // memory_planning and a device first in `devices`; Load fails, naming the nodes in the way,
  // when the graph cannot be captured (runtime/graph_capture.h). Runs with the same shapes share
  // one recorded graph, one run at a time: a run that finds it busy runs uncaptured.
  bool graph_capture = false;
  // Optimization level of the pass pipeline (passes/pipeline.h): 0 none, 1 basic clean-ups,
  // 2 standard-ONNX fusions, 3 (the default) also fusions into kiln's own ops.
  int optimization_level = 3;
  // Pass names to skip (see PassNames() in passes/pipeline.h).
  std::vector<std::string> disabled_passes;
  // A hook run on the IR after validation and before compilation (e.g. custom passes).
  std::function<Status(Model&)> pass_hook;
  // Kernels to use; nullptr selects the default registry of `devices`
  // (kernels/api/default_registry.h: the CPU kernels, and the device plugins they name).
  const KernelRegistry* registry = nullptr;
  // Memory planning (runtime/run_memory.h): the first run with a new set of input shapes is
  // recorded and planned; later runs with the same shapes place intermediates and kernel scratch
  // in an arena and allocate none. If/Loop/Scan bodies are planned the same way, per body and
  // body-input shapes. Off: every intermediate is a heap allocation.
  bool memory_planning = true;
  // Fill each arena with 0xFF bytes (NaN for floats, -1 for integers) before every planned run,
  // so that a kernel reading output memory before writing it gives a wrong result (tests).
  bool poison_arena = false;
  // Input-shape signatures whose plans are kept (the oldest is dropped first).
  size_t max_memory_plans = 8;
  // Random ops (RandomUniform, RandomNormal, their *Like forms, Multinomial, Bernoulli) with a
  // `seed` attribute give the same values on every run. Those without one draw fresh values each
  // run from a seed taken from the system when the session is loaded; with random_seed set, that
  // seed comes from random_seed and the node instead, so a session's sequence of runs is
  // reproducible (as onnxruntime.set_seed). The backend-test runner sets it.
  std::optional<uint64_t> random_seed;
  // Threads of the CPU kernels in this session's runs (as onnxruntime's intra_op_num_threads):
  // set on the calling thread for the run and put back after it. 0: the cores this process may
  // use (its CPU affinity, capped by its cgroup's CPU quota), or OMP_NUM_THREADS when set.
  int intra_op_threads = 0;
  // Profile the session from the start (runtime/profiler.h): model loading and initialization,
  // every run and every node run, until EndProfiling (as onnxruntime's enable_profiling).
  bool enable_profiling = false;
};

// One arena of a cached memory plan (Session::MemoryReports): a plan has one arena per device
// its values live on, the CPU's always.
struct MemoryReport {
  std::string graph;        // "main", or the path of a subgraph: "main/loop_node.body"
  std::string signature;    // the input shapes it was made for
  Device device = Device::kCpu;
  int64_t arena_bytes = 0;  // one arena per concurrent run
  int64_t lower_bound = 0;  // the largest total of bytes live at one step
  int64_t naive_bytes = 0;  // every intermediate and scratch request in its own buffer
  int buffers = 0;          // planned values
  int inplace = 0;          // of which written over their input (sharing its slot)
  int scratch = 0;          // kernel scratch requests
  int slots = 0;            // requests planned: buffers - inplace + scratch
  std::string drawing;      // ASCII drawing of the plan (small plans only)
};

// A graph compiled for execution: order, kernels, constants. Defined in session.cc.
class CompiledGraph;

class Session {
 public:
  // Loads an ONNX file (external data is read relative to its folder).
  static StatusOr<std::unique_ptr<Session>> Load(const std::string& path,
                                                 SessionOptions options = {});
  // Loads a serialized ModelProto; `base_dir` is where external data files are looked up.
  static StatusOr<std::unique_ptr<Session>> LoadFromBytes(const std::string& bytes,
                                                          const std::string& base_dir,
                                                          SessionOptions options = {});
  // Takes an IR model (e.g. built in a test).
  static StatusOr<std::unique_ptr<Session>> Create(Model model, SessionOptions options = {});
  ~Session();

  // Runs with every required graph input given by name; returns the graph outputs in order.
  // Errors name the input and the expected versus given type and shape; unknown or missing inputs
  // are errors.
  StatusOr<std::vector<NamedValue>> Run(const std::vector<NamedValue>& inputs) const;

  // The model as optimized by the pass pipeline.
  const Model& model() const { return model_; }
  // The memory plans made so far: the main graph's, oldest first, then each subgraph's; one
  // report per arena (CPU first).
  std::vector<MemoryReport> MemoryReports() const;
  // Which device runs each node of the main graph, and the copies placement inserted.
  const PlacementReport& placement() const { return placement_; }
  // What the pass pipeline did at load.
  const PassReport& pass_report() const { return pass_report_; }
  // Graph inputs a caller must feed (initializer-backed inputs excluded), in graph order.
  const std::vector<int>& required_inputs() const { return required_inputs_; }
  // The graph's inputs (initializer-backed ones too) and outputs as the model declares them.
  const std::vector<GraphIo>& declared_inputs() const { return declared_inputs_; }
  const std::vector<GraphIo>& declared_outputs() const { return declared_outputs_; }

  // Profiling (runtime/profiler.h): StartProfiling begins a period (a new one if one is running);
  // EndProfiling ends it and returns its events, none when no period was running. Runs in flight
  // add their events to the period they started in. Both are safe beside concurrent runs.
  void StartProfiling();
  std::vector<ProfileEvent> EndProfiling();
  bool profiling() const;
  // When the running (or last) period started, in nanoseconds since the Unix epoch; 0 if none.
  int64_t profiling_start_ns() const;

 private:
  Session() = default;
  static StatusOr<std::unique_ptr<Session>> CreateWith(Model model, SessionOptions options,
                                                       std::shared_ptr<Profiler> profiler);
  std::shared_ptr<Profiler> ActiveProfiler() const;
  Model model_;
  SessionOptions options_;
  PassReport pass_report_;
  std::vector<int> required_inputs_;
  std::vector<GraphIo> declared_inputs_, declared_outputs_;
  PlacementReport placement_;
  std::unique_ptr<CompiledGraph> main_;
  mutable std::mutex profile_mu_;
  std::shared_ptr<Profiler> profiler_;  // the running period's; nullptr when not profiling
  std::atomic<bool> profiling_{false};
  int64_t profiling_start_ns_ = 0;
};

// The device policy of a device name, as SessionOptions::devices: "cpu" is the CPU alone; a device
// ("cuda") runs what it has kernels for and the CPU the rest ({kCuda, kCpu}). Any other name is
// InvalidArgument, naming the devices there are. (The CLI's --device and the backend-test runner
// use it; a Python provider list maps onto it.)
StatusOr<std::vector<Device>> DevicesNamed(const std::string& name);

// The pass options a session with `options` uses: its level and disabled passes, constant folding
// through the CPU kernels of the session's registry, kernel queries on the session's devices.
// `kiln optimize` starts from these too.
PassOptions PassOptionsFor(const SessionOptions& options);

}  // namespace kiln
