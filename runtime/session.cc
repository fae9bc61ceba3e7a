// Session: load -> validate -> passes -> order -> kernel lookup and creation -> run.
#include "runtime/session.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "ir/onnx_io.h"
#include "kernels/cpu/register.h"
#include "runtime/graph_capture.h"
#include "runtime/placement.h"
#include "runtime/run_memory.h"
#if defined(KILN_WITH_CUDA)
#include "kernels/cuda/register.h"
#endif

namespace kiln {

const KernelRegistry& DefaultRegistry() {
  static const KernelRegistry* registry = [] {
    auto* r = new KernelRegistry();
    RegisterCpuKernels(*r);
#if defined(KILN_WITH_CUDA)
    RegisterCudaKernels(*r);
#endif
    return r;
  }();
  return *registry;
}

Status DeviceStatus(Device device) {
  if (device == Device::kCpu) return Status::Ok();
  const DeviceBackend* b = DefaultRegistry().Backend(device);
  if (b == nullptr) {
    return Unsupported(std::string(DeviceName(device)) + ": not compiled into this build");
  }
  return b->Available();
}

std::string DeviceDescription(Device device) {
  if (device == Device::kCpu) return "cpu";
  const DeviceBackend* b = DefaultRegistry().Backend(device);
  return b == nullptr ? std::string(DeviceName(device)) + " (not compiled in)" : b->Describe();
}

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
  std::mutex mu;        // held by the run that captures or replays it
  bool ready = false;   // recorded
  Status failed;        // the capture failed: runs with the signature report it
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

namespace {

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

// The plan key of a run: every input's name, element type and dims; "" (not planned) when an
// input is not a tensor, since sizes then vary with contents.
std::string Signature(const std::vector<std::string>& names,
                      const std::vector<const AnyValue*>& values) {
  std::string sig;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] == nullptr || !values[i]->is_tensor()) return "";
    sig += names[i] + ":" + values[i]->tensor.TypeString() + ";";
  }
  return sig;
}

// The backend and stream of device `d` in `frame`.
std::pair<const DeviceBackend*, DeviceStream*> StreamOf(const Frame& frame, Device d) {
  for (const auto& [b, st] : frame.streams) {
    if (b->device() == d) return {b, st};
  }
  return {nullptr, nullptr};
}

// A set of arenas for `entry`'s plan, allocated on the devices of `frame`'s streams.
StatusOr<std::vector<std::shared_ptr<Storage>>> AcquireArenas(const Frame& frame,
                                                              PlanCache::Entry& entry) {
  auto allocate = [&](Device d, size_t bytes) -> StatusOr<std::shared_ptr<Storage>> {
    if (d == Device::kCpu) return Storage::AllocateUninitialized(bytes);
    const DeviceBackend* b = StreamOf(frame, d).first;
    if (b == nullptr) return Internal(std::string("no stream for ") + DeviceName(d));
    return b->Allocate(bytes);
  };
  return PlanCache::Acquire(entry, allocate);
}

// Fills every arena with 0xFF (SessionOptions::poison_arena).
Status PoisonArenas(const Frame& frame, const std::vector<std::shared_ptr<Storage>>& arenas) {
  for (const auto& a : arenas) {
    if (a->bytes() == 0) continue;
    if (a->device() == Device::kCpu) {
      std::memset(a->data(), 0xFF, a->bytes());
    } else {
      KILN_RETURN_IF_ERROR(StreamOf(frame, a->device()).second->Fill(a->data(), 0xFF, a->bytes()));
    }
  }
  return Status::Ok();
}

std::unique_ptr<ArenaRun> MakeArenaRun(const Frame& frame, const RunPlan& plan,
                                       std::vector<std::shared_ptr<Storage>> arenas) {
  DeviceCloner clone = [&frame](const Tensor& t) -> StatusOr<Tensor> {
    auto [b, st] = StreamOf(frame, t.device());
    if (b == nullptr) return Internal("no stream to copy a device tensor with");
    return CopyTensorOnDevice(t, *b, *st);
  };
  return std::make_unique<ArenaRun>(plan, std::move(arenas), std::move(clone));
}

// The graph outputs of a run that ended with `status`, out of the arena; then waits for every
// stream of the frame (queued work may still use the arenas). `fresh`: outputs to copy, since
// they are saved values a later replay returns again.
StatusOr<std::vector<AnyValue>> FinishRun(const CompiledGraph& cg, Frame& frame, Status status,
                                          const ArenaRun* arena_run,
                                          const std::vector<bool>* fresh = nullptr) {
  const Graph& g = *cg.graph;
  std::vector<AnyValue> outs;
  for (int id : g.outputs()) {
    if (!status.ok()) break;
    const AnyValue* v = frame.Lookup(id);
    if (v == nullptr) {
      status =
          Internal("graph '" + g.name + "' output '" + g.value(id).name + "' was not computed");
      break;
    }
    outs.push_back(*v);
    if (fresh != nullptr && (*fresh)[id] && outs.back().is_tensor() &&
        outs.back().tensor.device() == Device::kCpu) {
      outs.back().tensor = outs.back().tensor.Clone();
    }
    if (arena_run != nullptr) status = arena_run->Detach(outs.back());
  }
  for (const auto& [b, st] : frame.streams) {
    Status s = st->Synchronize();
    if (status.ok() && !s.ok()) status = s;
  }
  if (!status.ok()) return status;
  return outs;
}

void BindDeviceConstants(const CompiledGraph& cg, Frame& frame) {
  for (const auto& [id, t] : cg.device_constants) {
    frame.values[id] = AnyValue(t);
    frame.defined[id] = true;
  }
}

// The run that records `run` (the second with its signature: `entry` is the plan the first one
// made): the input copies run, the steps between them and the output copies are captured on a
// stream of the run's own, the graph is launched, the output copies run. What a replay needs is
// kept in `run`.
StatusOr<std::vector<AnyValue>> CaptureRun(const CompiledGraph& cg, Frame& frame, CapturedRun& run,
                                           std::shared_ptr<PlanCache::Entry> entry) {
  const Graph& g = *cg.graph;
  const int n = static_cast<int>(cg.steps.size());
  run.entry = std::move(entry);
  run.backend = cg.streams.front()->backend;
  KILN_ASSIGN_OR_RETURN(run.stream, run.backend->CreateStream());
  frame.streams = {{run.backend, run.stream.get()}};
  BindDeviceConstants(cg, frame);
  KILN_ASSIGN_OR_RETURN(run.arenas, AcquireArenas(frame, *run.entry));
  if (cg.poison_arena) KILN_RETURN_IF_ERROR(PoisonArenas(frame, run.arenas));
  std::unique_ptr<ArenaRun> arena_run = MakeArenaRun(frame, run.entry->plan, run.arenas);
  frame.arena = arena_run.get();
  KILN_RETURN_IF_ERROR(Execute(cg, frame, 0, cg.upload_end));
  KILN_RETURN_IF_ERROR(run.stream->BeginCapture());
  frame.keepalive = &run.keepalive;
  Status recorded = Execute(cg, frame, cg.upload_end, cg.download_begin);
  frame.keepalive = nullptr;
  auto graph = run.stream->EndCapture();
  KILN_RETURN_IF_ERROR(recorded);
  if (!graph.ok()) return graph.status();
  if (arena_run->device_heap_requests() > 0) {
    return Unsupported(std::to_string(arena_run->device_heap_requests()) +
                       " device outputs or scratch requests of the recorded steps fall outside the "
                       "memory plan; a replay could not reuse their memory");
  }
  run.graph = std::move(graph).value();
  std::vector<bool> produced_after(g.values().size(), false);
  for (int s = cg.download_begin; s < n; ++s) {
    const Node& node = *cg.steps[s].node;
    for (int in : node.inputs) {
      if (in == kNoValue || !frame.defined[in]) continue;
      run.saved.emplace_back(in, frame.values[in]);
    }
    for (int out : node.outputs) {
      if (out != kNoValue) produced_after[out] = true;
    }
  }
  for (int id : g.outputs()) {
    const Value& v = g.value(id);
    if (produced_after[id] || v.is_graph_input || v.is_initializer || !frame.defined[id]) continue;
    run.saved.emplace_back(id, frame.values[id]);
  }
  KILN_RETURN_IF_ERROR(run.graph->Launch(*run.stream));
  Status status = Execute(cg, frame, cg.download_begin, n);
  std::vector<bool> fresh(g.values().size(), false);
  for (const auto& [id, v] : run.saved) fresh[id] = true;
  auto outs = FinishRun(cg, frame, status, arena_run.get(), &fresh);
  frame.values.clear();
  frame.arena = nullptr;
  frame.streams.clear();
  if (outs.ok()) run.ready = true;
  return outs;
}

// A run of a recorded graph: input copies, the graph, output copies.
StatusOr<std::vector<AnyValue>> ReplayRun(const CompiledGraph& cg, Frame& frame,
                                          const CapturedRun& run) {
  const Graph& g = *cg.graph;
  frame.streams = {{run.backend, run.stream.get()}};
  BindDeviceConstants(cg, frame);
  std::vector<bool> fresh(g.values().size(), false);
  for (const auto& [id, v] : run.saved) {
    frame.values[id] = v;
    frame.defined[id] = true;
    fresh[id] = true;
  }
  if (cg.poison_arena) KILN_RETURN_IF_ERROR(PoisonArenas(frame, run.arenas));
  std::unique_ptr<ArenaRun> arena_run = MakeArenaRun(frame, run.entry->plan, run.arenas);
  frame.arena = arena_run.get();
  Status status = Execute(cg, frame, 0, cg.upload_end);
  if (status.ok()) status = run.graph->Launch(*run.stream);
  if (status.ok()) status = Execute(cg, frame, cg.download_begin, static_cast<int>(cg.steps.size()));
  auto outs = FinishRun(cg, frame, status, arena_run.get(), &fresh);
  frame.values.clear();
  frame.arena = nullptr;
  frame.streams.clear();
  return outs;
}

// Runs `cg` in `frame` (inputs and initializers bound) and returns its outputs in order. Memory
// comes from the graph's plan for `signature` when there is one (later runs), or the run is
// recorded to make that plan (the first run); an empty signature runs on the heap. Outputs never
// point into the arena. With graph capture, a run with a plan captures or replays instead.
StatusOr<std::vector<AnyValue>> RunGraph(const CompiledGraph& cg, Frame& frame,
                                         const std::string& signature) {
  const Graph& g = *cg.graph;
  if (cg.captures != nullptr && cg.plans != nullptr && !signature.empty()) {
    std::shared_ptr<PlanCache::Entry> entry = cg.plans->Find(signature);
    if (entry != nullptr) {
      std::shared_ptr<CapturedRun> run = cg.captures->FindOrAdd(signature);
      std::unique_lock<std::mutex> lock(run->mu, std::try_to_lock);
      if (lock.owns_lock()) {  // else another run holds it: run uncaptured below
        if (!run->failed.ok()) return run->failed;
        if (run->ready) return ReplayRun(cg, frame, *run);
        auto outs = CaptureRun(cg, frame, *run, std::move(entry));
        if (!outs.ok()) {
          run->failed = outs.status().WithPrefix("graph capture");
          run->stream.reset();  // waits for what was queued, before the graph goes
          run->graph.reset();
          return run->failed;
        }
        return outs;
      }
    }
  }
  // Streams first (a run on a device needs one for its copies and kernels), released last.
  std::vector<std::pair<StreamPool*, std::unique_ptr<DeviceStream>>> held;
  for (const auto& pool : cg.streams) {
    KILN_ASSIGN_OR_RETURN(auto stream, pool->Acquire());
    frame.streams.emplace_back(pool->backend, stream.get());
    held.emplace_back(pool.get(), std::move(stream));
  }
  struct ReleaseStreams {
    std::vector<std::pair<StreamPool*, std::unique_ptr<DeviceStream>>>& held;
    ~ReleaseStreams() {
      for (auto& [pool, stream] : held) pool->Release(std::move(stream));
    }
  } release_streams{held};
  BindDeviceConstants(cg, frame);
  std::shared_ptr<PlanCache::Entry> entry;
  std::vector<std::shared_ptr<Storage>> arenas;
  std::unique_ptr<ArenaRun> arena_run;
  std::unique_ptr<RunRecorder> recorder;
  if (cg.plans != nullptr && !signature.empty()) {
    entry = cg.plans->Find(signature);
    if (entry != nullptr) {
      KILN_ASSIGN_OR_RETURN(arenas, AcquireArenas(frame, *entry));
      if (cg.poison_arena) {
        Status poisoned = PoisonArenas(frame, arenas);
        if (!poisoned.ok()) {
          PlanCache::Release(*entry, std::move(arenas));
          return poisoned;
        }
      }
      arena_run = MakeArenaRun(frame, entry->plan, arenas);
      frame.arena = arena_run.get();
    } else {
      std::vector<bool> plannable(g.values().size());
      for (size_t v = 0; v < plannable.size(); ++v) plannable[v] = !cg.keep[v];
      recorder = std::make_unique<RunRecorder>(std::move(plannable), cg.last_use,
                                               static_cast<int>(cg.steps.size()));
      frame.recorder = recorder.get();
    }
  }
  Status status = Execute(cg, frame, 0, static_cast<int>(cg.steps.size()));
  // Device work still queued may use the arenas: FinishRun waits for it before they go back.
  auto outs = FinishRun(cg, frame, status, arena_run.get());
  frame.values.clear();
  arena_run.reset();  // before the arenas go back: another run may take them at once
  if (!arenas.empty()) PlanCache::Release(*entry, std::move(arenas));
  frame.arena = nullptr;
  frame.recorder = nullptr;
  frame.streams.clear();
  if (!outs.ok()) return outs.status();
  if (recorder != nullptr) {
    auto plan = recorder->Finish(signature, cg.keep);
    if (plan.ok()) cg.plans->Insert(std::move(plan).value());
  }
  return outs;
}

class FrameSubgraphRunner : public SubgraphRunner {
 public:
  FrameSubgraphRunner(const CompiledGraph& cg, const Frame& frame) : cg_(cg), frame_(frame) {}
  StatusOr<std::vector<AnyValue>> Run(const Graph& graph,
                                      const std::vector<AnyValue>& inputs) override {
    auto it = cg_.subgraphs.find(&graph);
    if (it == cg_.subgraphs.end()) return Internal("subgraph was not compiled");
    const CompiledGraph& sub = *it->second;
    Frame f;
    f.compiled = &sub;
    f.parent = &frame_;
    f.values.resize(graph.values().size());
    f.defined.assign(graph.values().size(), false);
    for (const auto& [id, t] : graph.initializers()) {
      f.values[id] = AnyValue(t);
      f.defined[id] = true;
    }
    if (inputs.size() > graph.inputs().size()) {
      return InvalidArgument("subgraph '" + graph.name + "' takes " +
                             std::to_string(graph.inputs().size()) + " inputs, got " +
                             std::to_string(inputs.size()));
    }
    std::vector<std::string> names;
    std::vector<const AnyValue*> bound;
    for (size_t i = 0; i < inputs.size(); ++i) {
      int id = graph.inputs()[i];
      f.values[id] = inputs[i];
      f.defined[id] = true;
      names.push_back(graph.value(id).name);
      bound.push_back(&inputs[i]);
    }
    return RunGraph(sub, f, Signature(names, bound));
  }

 private:
  const CompiledGraph& cg_;
  const Frame& frame_;
};

Status Execute(const CompiledGraph& cg, Frame& frame, int begin, int end) {
  const Graph& g = *cg.graph;
  FrameSubgraphRunner runner(cg, frame);
  std::vector<const AnyValue*> ins;
  std::vector<AnyValue> outs;
  OutputAllocator* allocator =
      frame.arena != nullptr ? static_cast<OutputAllocator*>(frame.arena) : frame.recorder;
  for (int step_index = begin; step_index < end; ++step_index) {
    const auto& step = cg.steps[step_index];
    const Node& node = *step.node;
    ins.assign(node.inputs.size(), nullptr);
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      int id = node.inputs[i];
      if (id == kNoValue) continue;
      ins[i] = frame.Lookup(id);
      if (ins[i] == nullptr) {
        return Internal("node " + node.Describe() + ": input '" + g.value(id).name +
                        "' has no value");
      }
    }
    KILN_RETURN_IF_ERROR(CheckInputTypes(*step.def, node, ins));
    for (size_t i = 0; i < ins.size(); ++i) {
      if (ins[i] == nullptr || !ins[i]->is_tensor() || !ins[i]->tensor.defined()) continue;
      const Device want = step.def->InputDevice(static_cast<int>(i));
      if (ins[i]->tensor.device() != want) {
        return Internal("node " + node.Describe() + ": input " + std::to_string(i) + " is on " +
                        DeviceName(ins[i]->tensor.device()) + ", its kernel reads it on " +
                        DeviceName(want));
      }
    }
    if (frame.recorder != nullptr) frame.recorder->BeginStep(step_index, *step.def, ins);
    if (frame.arena != nullptr) frame.arena->BeginStep(step_index);
    outs.assign(node.outputs.size(), AnyValue());
    for (auto& o : outs) o.kind = AnyValue::Kind::kNone;  // marks "not written"
    KernelContext ctx(node, ins, &outs, &runner, allocator);
    if (step.backend != nullptr) {
      DeviceStream* stream = frame.StreamFor(step.backend);
      if (stream == nullptr) return Internal("node " + node.Describe() + ": no device stream");
      ctx.SetDevice(step.def, step.backend, stream);
    }
    // Shape-dependent kernel state: prepared on the recorded run, found in the plan later.
    if (frame.recorder != nullptr) {
      KILN_ASSIGN_OR_RETURN(std::shared_ptr<const KernelState> state, step.kernel->Prepare(ctx));
      ctx.set_state(state.get());
      frame.recorder->SetState(step_index, std::move(state), ins);
    } else if (frame.arena != nullptr) {
      ctx.set_state(frame.arena->StateFor(step_index, ins));
    }
    Status s = step.kernel->Run(ctx);
    if (!s.ok()) return s;
    if (frame.recorder != nullptr) frame.recorder->AfterStep(step_index, node, outs);
    if (frame.arena != nullptr) KILN_RETURN_IF_ERROR(frame.arena->AfterStep(node, outs));
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      int id = node.outputs[i];
      if (id == kNoValue) continue;
      AnyValue& o = outs[i];
      if (o.kind == AnyValue::Kind::kNone && !o.optional) {
        return Internal("node " + node.Describe() + ": kernel did not produce output " +
                        std::to_string(i) + " '" + g.value(id).name + "'");
      }
      if (frame.keepalive != nullptr) frame.keepalive->push_back(o);
      frame.values[id] = std::move(o);
      frame.defined[id] = true;
    }
    for (int id : step.release) {
      frame.values[id] = AnyValue();
      frame.defined[id] = false;
    }
  }
  return Status::Ok();
}

// Collects every node (recursively) that has no kernel on any device.
void CollectUnsupported(const Graph& g, const std::vector<Device>& devices,
                        const KernelRegistry& reg, const Model& model,
                        std::map<std::string, int>& missing, std::vector<std::string>& order) {
  for (const Node& n : g.nodes()) {
    bool found = false;
    for (Device d : devices) found = found || reg.Has(n.domain, n.op_type, n.opset, d);
    if (!found) {
      std::string key = n.op_type;
      if (!n.domain.empty()) key += " (domain " + n.domain + ")";
      key += "@opset " + std::to_string(n.opset);
      if (missing[key]++ == 0) order.push_back(key);
    }
    for (const Attribute& a : n.attributes) {
      if (a.g) CollectUnsupported(*a.g, devices, reg, model, missing, order);
      for (const auto& sg : a.graphs) CollectUnsupported(*sg, devices, reg, model, missing, order);
    }
  }
}

// Compiles `g`. `placement` gives the device of each node (the main graph); without it every
// node runs on the CPU (subgraphs, CPU-only sessions).
StatusOr<std::unique_ptr<CompiledGraph>> Compile(const Graph& g, const SessionOptions& options,
                                                 const KernelRegistry& reg,
                                                 const std::vector<Device>* placement = nullptr) {
  auto cg = std::make_unique<CompiledGraph>();
  cg->graph = &g;
  if (options.memory_planning) {
    cg->plans = std::make_unique<PlanCache>(std::max<size_t>(1, options.max_memory_plans));
  }
  cg->poison_arena = options.poison_arena;
  KILN_ASSIGN_OR_RETURN(std::vector<int> order, g.TopologicalOrder());
  auto device_of = [&](int node_id) {
    return placement != nullptr ? (*placement)[node_id] : Device::kCpu;
  };
  for (int id : order) {
    const Device d = device_of(id);
    if (d == Device::kCpu) continue;
    bool listed = false;
    for (const auto& p : cg->streams) listed = listed || p->backend->device() == d;
    if (listed) continue;
    const DeviceBackend* b = reg.Backend(d);
    if (b == nullptr) return Internal(std::string("no backend for ") + DeviceName(d));
    cg->streams.push_back(std::make_unique<StreamPool>());
    cg->streams.back()->backend = b;
  }
  // Initializers bound for a device are copied now, once; their copy nodes leave the order.
  std::vector<int> run_order;
  for (int id : order) {
    const Node& n = g.node(id);
    const bool upload = n.domain == kKilnDomain && n.op_type == kMemcpyToDevice &&
                        n.inputs.size() == 1 && g.initializer(n.inputs[0]) != nullptr;
    if (!upload) {
      run_order.push_back(id);
      continue;
    }
    StreamPool* pool = nullptr;
    for (const auto& p : cg->streams) {
      if (p->backend->device() == device_of(id)) pool = p.get();
    }
    if (pool == nullptr) return Internal("node " + n.Describe() + ": no device");
    KILN_ASSIGN_OR_RETURN(auto stream, pool->Acquire());
    auto t = CopyTensorToDevice(*g.initializer(n.inputs[0]), *pool->backend, *stream);
    Status synced = stream->Synchronize();
    pool->Release(std::move(stream));
    if (!t.ok()) return t.status().WithPrefix("uploading initializer '" +
                                              g.value(n.inputs[0]).name + "'");
    KILN_RETURN_IF_ERROR(synced);
    cg->device_constants.emplace_back(n.outputs[0], std::move(t).value());
  }
  order = std::move(run_order);
  if (options.graph_capture && placement != nullptr) {
    if (!options.memory_planning) {
      return InvalidArgument("graph capture needs memory planning (SessionOptions::memory_planning)");
    }
    if (cg->streams.empty()) {
      return Unsupported("graph capture: no node of the graph runs on a device (it needs one "
                         "first in SessionOptions::devices, e.g. cuda)");
    }
    if (cg->streams.size() > 1) return Unsupported("graph capture: the graph uses several devices");
    KILN_ASSIGN_OR_RETURN(CaptureLayout layout, LayOutCapture(g, order, *placement));
    order = std::move(layout.order);
    cg->upload_end = layout.upload_end;
    cg->download_begin = layout.download_begin;
    cg->captures = std::make_unique<CaptureCache>(std::max<size_t>(1, options.max_memory_plans));
  }
  std::vector<int> last_use(g.values().size(), -1);
  cg->keep.assign(g.values().size(), false);
  for (int id : g.outputs()) cg->keep[id] = true;
  for (const Value& v : g.values()) {
    if (v.is_initializer || v.is_graph_input || v.outer_scope) cg->keep[v.id] = true;
  }
  for (const auto& [id, t] : cg->device_constants) cg->keep[id] = true;
  for (size_t s = 0; s < order.size(); ++s) {
    const Node& node = g.node(order[s]);
    for (int in : node.inputs) {
      if (in != kNoValue) last_use[in] = static_cast<int>(s);
    }
    // Values a subgraph reads from this scope stay alive until the node that owns the subgraph.
    std::vector<const Graph*> stack;
    for (const Attribute& a : node.attributes) {
      if (a.g) stack.push_back(a.g.get());
      for (const auto& sg : a.graphs) stack.push_back(sg.get());
    }
    while (!stack.empty()) {
      const Graph* sub = stack.back();
      stack.pop_back();
      for (const Value& v : sub->values()) {
        if (!v.outer_scope) continue;
        int id = g.FindValue(v.name);
        if (id >= 0) last_use[id] = std::max(last_use[id], static_cast<int>(s));
      }
      for (const Node& sn : sub->nodes()) {
        for (const Attribute& a : sn.attributes) {
          if (a.g) stack.push_back(a.g.get());
          for (const auto& sg : a.graphs) stack.push_back(sg.get());
        }
      }
    }
  }
  for (size_t s = 0; s < order.size(); ++s) {
    const Node& node = g.node(order[s]);
    CompiledGraph::Step step;
    step.node = &node;
    const Device device = device_of(order[s]);
    auto found = reg.Find(node.domain, node.op_type, node.opset, device);
    if (!found.ok()) return found.status().WithPrefix("node " + node.Describe());
    const KernelRegistry::Entry* entry = *found;
    step.backend = device == Device::kCpu ? nullptr : reg.Backend(device);
    step.def = &entry->def;
    std::vector<const Tensor*> constants(node.inputs.size(), nullptr);
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (node.inputs[i] != kNoValue) constants[i] = g.initializer(node.inputs[i]);
    }
    KernelInfo info(node, g, constants, options.random_seed);
    info.set_backend(step.backend);
    info.set_allow_tf32(options.allow_tf32);
    auto kernel = entry->factory(info);
    if (!info.status().ok()) return info.status();
    if (!kernel.ok()) return kernel.status();
    step.kernel = std::move(kernel).value();
    for (const Attribute& a : node.attributes) {
      std::vector<const Graph*> subs;
      if (a.g) subs.push_back(a.g.get());
      for (const auto& sg : a.graphs) subs.push_back(sg.get());
      for (const Graph* sub : subs) {
        KILN_ASSIGN_OR_RETURN(auto csub, Compile(*sub, options, reg));
        cg->subgraphs[sub] = std::move(csub);
      }
    }
    cg->steps.push_back(std::move(step));
  }
  for (size_t v = 0; v < last_use.size(); ++v) {
    if (last_use[v] >= 0 && !cg->keep[v])
      cg->steps[last_use[v]].release.push_back(static_cast<int>(v));
  }
  cg->last_use = std::move(last_use);
  return cg;
}

bool ShapeMatches(const Shape& declared, const std::vector<int64_t>& dims,
                  std::map<std::string, int64_t>& symbols) {
  if (declared.dims.size() != dims.size()) return false;
  for (size_t i = 0; i < dims.size(); ++i) {
    const Dim& d = declared.dims[i];
    if (d.known() && d.value != dims[i]) return false;
    if (!d.known() && !d.symbol.empty()) {
      auto [it, inserted] = symbols.emplace(d.symbol, dims[i]);
      if (!inserted && it->second != dims[i]) return false;
    }
  }
  return true;
}

// Whether a value fits a declared type that is not a tensor type; where it does not, `detail` may
// say more than the two types do. Sequences must be sequences, and where their items are declared
// maps each item is checked as a map; maps must be maps with the declared key and value element
// types; an optional's value (unless None) is checked against the optional's element type when
// that is not a tensor type. Unknown parts accept anything.
bool FitsNonTensorType(const TypeInfo& t, const AnyValue& v, std::string* detail) {
  switch (t.kind) {
    case TypeInfo::Kind::kSequence:
      if (v.kind != AnyValue::Kind::kSequence) return false;
      if (t.inner && t.inner->kind == TypeInfo::Kind::kMap) {
        for (size_t i = 0; i < v.sequence.size(); ++i) {
          if (!FitsNonTensorType(*t.inner, v.sequence[i], detail)) {
            *detail = " (item " + std::to_string(i) + " is " + v.sequence[i].TypeString() + ")";
            return false;
          }
        }
      }
      return true;
    case TypeInfo::Kind::kMap: {
      if (v.kind != AnyValue::Kind::kMap) return false;
      if (t.elem_type != DataType::kUndefined && v.map_keys.dtype() != t.elem_type) return false;
      const TypeInfo* value = t.inner.get();
      if (value == nullptr || value->kind == TypeInfo::Kind::kUnknown) return true;
      if (!value->is_tensor()) {
        *detail = " (kiln maps hold scalar tensor values)";
        return false;
      }
      return value->elem_type == DataType::kUndefined || v.map_values.dtype() == value->elem_type;
    }
    case TypeInfo::Kind::kOptional:
      if (v.kind == AnyValue::Kind::kNone || !t.inner || t.inner->is_tensor() ||
          t.inner->kind == TypeInfo::Kind::kUnknown) {
        return true;
      }
      return FitsNonTensorType(*t.inner, v, detail);
    default:
      return true;
  }
}

}  // namespace

Session::~Session() = default;

namespace {

KernelQuery KernelQueryFor(const SessionOptions& options) {
  const KernelRegistry* reg = options.registry ? options.registry : &DefaultRegistry();
  std::vector<Device> devices = options.devices;
  return [reg, devices](const std::string& domain, const std::string& op, int64_t opset) {
    for (Device d : devices) {
      if (reg->Has(domain, op, static_cast<int>(opset), d)) return true;
    }
    return false;
  };
}

// Import options whose kernel query asks the session's registry and devices, so that calls of
// function-defined ops without a kernel are inlined from onnx's schemas.
ImportOptions ImportOptionsFor(const SessionOptions& options) {
  ImportOptions io;
  io.has_kernel = KernelQueryFor(options);
  return io;
}

// Runs one node on the CPU on constant inputs: the evaluator of constant folding.
StatusOr<std::vector<Tensor>> EvaluateNode(const KernelRegistry& reg, const Graph& g,
                                           const Node& node,
                                           const std::vector<const Tensor*>& inputs) {
  KILN_ASSIGN_OR_RETURN(const KernelRegistry::Entry* entry,
                        reg.Find(node.domain, node.op_type, node.opset, Device::kCpu));
  KernelInfo info(node, g, inputs);
  auto kernel = entry->factory(info);
  if (!info.status().ok()) return info.status();
  if (!kernel.ok()) return kernel.status();
  std::vector<AnyValue> values(inputs.size());
  std::vector<const AnyValue*> ins(inputs.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i] == nullptr) continue;
    values[i] = AnyValue(*inputs[i]);
    ins[i] = &values[i];
  }
  KILN_RETURN_IF_ERROR(CheckInputTypes(entry->def, node, ins));
  std::vector<AnyValue> outs(node.outputs.size());
  for (auto& o : outs) o.kind = AnyValue::Kind::kNone;
  KernelContext ctx(node, ins, &outs, nullptr);
  KILN_RETURN_IF_ERROR((*kernel)->Run(ctx));
  std::vector<Tensor> result(outs.size());
  for (size_t i = 0; i < outs.size(); ++i) {
    if (node.outputs[i] == kNoValue) continue;
    if (!outs[i].is_tensor()) return Unsupported("node " + node.Describe() + ": not a tensor");
    result[i] = outs[i].tensor;
  }
  return result;
}

}  // namespace

PassOptions PassOptionsFor(const SessionOptions& options) {
  const KernelRegistry* reg = options.registry ? options.registry : &DefaultRegistry();
  PassOptions po;
  po.level = options.optimization_level;
  po.disabled = options.disabled_passes;
  po.has_kernel = KernelQueryFor(options);
  po.evaluator = [reg](const Graph& g, const Node& node, const std::vector<const Tensor*>& in) {
    return EvaluateNode(*reg, g, node, in);
  };
  return po;
}

StatusOr<std::unique_ptr<Session>> Session::Load(const std::string& path, SessionOptions options) {
  KILN_ASSIGN_OR_RETURN(Model model, LoadModel(path, ImportOptionsFor(options)));
  auto s = Create(std::move(model), std::move(options));
  if (!s.ok() && s.status().message().rfind(path, 0) != 0) return s.status().WithPrefix(path);
  return s;
}

StatusOr<std::unique_ptr<Session>> Session::LoadFromBytes(const std::string& bytes,
                                                          const std::string& base_dir,
                                                          SessionOptions options) {
  KILN_ASSIGN_OR_RETURN(Model model,
                        ParseModel(bytes, base_dir, "model", ImportOptionsFor(options)));
  return Create(std::move(model), std::move(options));
}

StatusOr<std::unique_ptr<Session>> Session::Create(Model model, SessionOptions options) {
  if (!model.graph) return InvalidModel("model has no graph");
  const KernelRegistry& reg = options.registry ? *options.registry : DefaultRegistry();
  KILN_RETURN_IF_ERROR(reg.status());
  if (options.devices.empty()) return InvalidArgument("SessionOptions.devices is empty");
  for (Device d : options.devices) {
    if (d == Device::kCpu) continue;
    const DeviceBackend* b = reg.Backend(d);
    if (b == nullptr) {
      return Unsupported(std::string("device '") + DeviceName(d) +
                         "' is not available in this build");
    }
    Status available = b->Available();
    if (!available.ok()) {
      return available.WithPrefix(std::string("device '") + DeviceName(d) + "' is not available");
    }
  }
  KILN_RETURN_IF_ERROR(model.graph->Verify());
  if (options.pass_hook) KILN_RETURN_IF_ERROR(options.pass_hook(model));
  KILN_ASSIGN_OR_RETURN(PassReport report, RunPasses(model, PassOptionsFor(options)));
  KILN_RETURN_IF_ERROR(model.graph->Verify());

  // Every unsupported op of the model, listed at once.
  std::map<std::string, int> missing;
  std::vector<std::string> order;
  CollectUnsupported(*model.graph, options.devices, reg, model, missing, order);
  if (!missing.empty()) {
    std::string msg =
        std::to_string(order.size()) + " unsupported op" + (order.size() == 1 ? "" : "s") + ": ";
    for (size_t i = 0; i < order.size(); ++i) {
      if (i) msg += ", ";
      msg += order[i];
      if (missing[order[i]] > 1) msg += " (x" + std::to_string(missing[order[i]]) + ")";
    }
    return Unsupported(msg);
  }

  std::unique_ptr<Session> s(new Session());
  s->options_ = std::move(options);
  s->pass_report_ = std::move(report);
  s->model_ = std::move(model);
  const Graph& g = *s->model_.graph;
  for (int id : g.inputs()) {
    if (!g.value(id).is_initializer) s->required_inputs_.push_back(id);
  }
  std::vector<Device> placement;
  KILN_ASSIGN_OR_RETURN(placement, PlaceGraph(*s->model_.graph, s->options_.devices, reg,
                                              s->options_.strict_placement, &s->placement_,
                                              s->options_.graph_capture));
  KILN_ASSIGN_OR_RETURN(s->main_, Compile(g, s->options_, reg, &placement));
  return s;
}

StatusOr<std::vector<NamedValue>> Session::Run(const std::vector<NamedValue>& inputs) const {
  const Graph& g = *model_.graph;
  Frame frame;
  frame.compiled = main_.get();
  frame.values.resize(g.values().size());
  frame.defined.assign(g.values().size(), false);
  for (const auto& [id, t] : g.initializers()) {
    frame.values[id] = AnyValue(t);
    frame.defined[id] = true;
  }
  std::map<std::string, int64_t> symbols;
  std::set<std::string> given;
  for (const NamedValue& nv : inputs) {
    int id = g.FindValue(nv.name);
    if (id < 0 || !g.value(id).is_graph_input) {
      std::string names;
      for (int r : g.inputs()) names += (names.empty() ? "" : ", ") + g.value(r).name;
      return InvalidArgument("unknown input '" + nv.name + "'; the model's inputs are: " + names);
    }
    if (!given.insert(nv.name).second) {
      return InvalidArgument("input '" + nv.name + "' is given twice");
    }
    const TypeInfo& t = g.value(id).type;
    if (t.kind == TypeInfo::Kind::kTensor) {
      if (!nv.value.is_tensor()) {
        return InvalidArgument("input '" + nv.name + "': expected " + t.ToString() + ", got " +
                               nv.value.TypeString());
      }
      const Tensor& x = nv.value.tensor;
      if ((t.elem_type != DataType::kUndefined && x.dtype() != t.elem_type) ||
          (t.shape && !ShapeMatches(*t.shape, x.dims(), symbols))) {
        return InvalidArgument("input '" + nv.name + "': expected " + t.ToString() + ", got " +
                               x.TypeString());
      }
      if (x.device() != Device::kCpu) {
        return InvalidArgument("input '" + nv.name + "' is on " + DeviceName(x.device()) +
                               ", expected cpu");
      }
    } else {
      std::string detail;
      if (!FitsNonTensorType(t, nv.value, &detail)) {
        return InvalidArgument("input '" + nv.name + "': expected " + t.ToString() + ", got " +
                               nv.value.TypeString() + detail);
      }
    }
    frame.values[id] = nv.value;
    frame.defined[id] = true;
  }
  for (int id : required_inputs_) {
    if (!frame.defined[id]) {
      return InvalidArgument("missing input '" + g.value(id).name + "' (" +
                             g.value(id).type.ToString() + ")");
    }
  }
  std::vector<std::string> names;
  std::vector<const AnyValue*> values;
  for (const NamedValue& nv : inputs) {
    names.push_back(nv.name);
    values.push_back(&nv.value);
  }
  KILN_ASSIGN_OR_RETURN(std::vector<AnyValue> results,
                        RunGraph(*main_, frame, Signature(names, values)));
  std::vector<NamedValue> outs;
  for (size_t i = 0; i < results.size(); ++i) {
    const int id = g.outputs()[i];
    if (g.value(id).type.kind == TypeInfo::Kind::kOptional) results[i].optional = true;
    outs.push_back({g.value(id).name, std::move(results[i])});
  }
  return outs;
}

namespace {

// Reports of `cg`'s plans and, after them, of its subgraphs' plans (depth first).
void CollectReports(const CompiledGraph& cg, const std::string& where,
                    std::vector<MemoryReport>& reports) {
  if (cg.plans != nullptr) {
    for (const auto& e : cg.plans->All()) {
      const RunPlan& p = e->plan;
      for (const RunArena& a : p.arenas) {
        if (a.device != Device::kCpu && a.requests.empty()) continue;
        MemoryReport r;
        r.graph = where;
        r.signature = p.signature;
        r.device = a.device;
        r.arena_bytes = a.plan.arena_bytes;
        r.lower_bound = a.plan.lower_bound;
        r.naive_bytes = a.naive_bytes;
        r.buffers = a.planned_values;
        r.inplace = a.inplace_values;
        r.scratch = a.scratch_requests;
        r.slots = static_cast<int>(a.requests.size());
        if (r.slots <= 40) r.drawing = DrawPlan(a.requests, a.plan, 64);
        reports.push_back(std::move(r));
      }
    }
  }
  for (const auto& step : cg.steps) {  // in step order: deterministic
    for (const Attribute& a : step.node->attributes) {
      std::vector<const Graph*> subs;
      if (a.g) subs.push_back(a.g.get());
      for (const auto& sg : a.graphs) subs.push_back(sg.get());
      for (const Graph* sub : subs) {
        auto it = cg.subgraphs.find(sub);
        if (it == cg.subgraphs.end()) continue;
        CollectReports(*it->second, where + "/" + step.node->name + "." + a.name, reports);
      }
    }
  }
}

}  // namespace

std::vector<MemoryReport> Session::MemoryReports() const {
  std::vector<MemoryReport> reports;
  CollectReports(*main_, "main", reports);
  return reports;
}

StatusOr<std::vector<AnyValue>> RunSingleNode(const std::string& op_type, int opset,
                                              const std::vector<Tensor>& inputs,
                                              const std::vector<Attribute>& attributes,
                                              int num_outputs, const std::string& domain) {
  return RunSingleNodeWith(SessionOptions(), op_type, opset, inputs, attributes, num_outputs,
                           domain);
}

StatusOr<std::vector<AnyValue>> RunSingleNodeWith(const SessionOptions& options,
                                                  const std::string& op_type, int opset,
                                                  const std::vector<Tensor>& inputs,
                                                  const std::vector<Attribute>& attributes,
                                                  int num_outputs, const std::string& domain) {
  Model m;
  m.ir_version = 10;
  m.opset_imports[domain] = opset;
  if (!domain.empty()) m.opset_imports[""] = kMaxOnnxOpset;
  m.graph = std::make_unique<Graph>();
  Graph& g = *m.graph;
  g.name = "single_node";
  Node node;
  node.name = "node";
  node.op_type = op_type;
  node.domain = domain;
  node.opset = opset;
  node.attributes = attributes;
  std::vector<NamedValue> feeds;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) {
      node.inputs.push_back(kNoValue);
      continue;
    }
    std::string name = "in" + std::to_string(i);
    KILN_ASSIGN_OR_RETURN(int id, g.AddValue(name, TypeInfo::Tensor(inputs[i].dtype())));
    g.AddInput(id);
    node.inputs.push_back(id);
    feeds.push_back({name, AnyValue(inputs[i])});
  }
  for (int i = 0; i < num_outputs; ++i) {
    KILN_ASSIGN_OR_RETURN(int id, g.AddValue("out" + std::to_string(i)));
    node.outputs.push_back(id);
  }
  KILN_RETURN_IF_ERROR(g.AddNode(std::move(node)).status());
  for (int i = 0; i < num_outputs; ++i) g.AddOutput(g.FindValue("out" + std::to_string(i)));
  SessionOptions so = options;
  so.optimization_level = 0;  // a kernel test runs the kernel, not the optimizer
  KILN_ASSIGN_OR_RETURN(auto session, Session::Create(std::move(m), so));
  KILN_ASSIGN_OR_RETURN(auto outs, session->Run(feeds));
  std::vector<AnyValue> result;
  for (auto& o : outs) result.push_back(std::move(o.value));
  return result;
}

}  // namespace kiln
