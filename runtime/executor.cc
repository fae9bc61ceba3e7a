// Running a compiled graph: a frame of values, the device streams of the run, its memory (recorded
// for a plan on the first run with a set of input shapes, placed in the plan's arenas later), the
// steps in order (type and device checks, kernel state, releases after last use) and subgraphs
// run in frames chained to their caller's.
#include "runtime/executor.h"

#include <cstring>

namespace kiln {

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
                                          const std::vector<bool>* fresh) {
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

namespace {

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
    f.profile = frame_.profile;
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

// A value's profile entry: ("float", dims) for a tensor, (its type, no dims) otherwise.
std::pair<std::string, std::vector<int64_t>> TypeShape(const AnyValue& v) {
  if (v.is_tensor()) return {DataTypeName(v.tensor.dtype()), v.tensor.dims()};
  return {v.TypeString(), {}};
}

// Records step `step_index` of `cg`, begun at `start_ns`, in `profile`.
void RecordStep(const CompiledGraph& cg, int step_index, const std::vector<const AnyValue*>& ins,
                const std::vector<AnyValue>& outs, int64_t start_ns, const Frame& frame) {
  ProfileRun& profile = *frame.profile;
  const auto& step = cg.steps[step_index];
  const Node& node = *step.node;
  const Graph& g = *cg.graph;
  ProfileEvent e;
  e.kind = ProfileEvent::Kind::kNode;
  e.name = node.name.empty() ? node.op_type + "_" + std::to_string(step_index) : node.name;
  e.op = node.op_type;
  e.graph = g.name;
  for (const Frame* f = frame.parent; f != nullptr; f = f->parent) ++e.depth;
  e.device = step.backend != nullptr ? DeviceName(step.backend->device()) : "cpu";
  e.node_index = step_index;
  e.run = profile.run;
  e.start_ns = start_ns;
  e.duration_ns = profile.profiler->Now() - start_ns;
  e.thread_id = profile.thread_id;
  for (size_t i = 0; i < ins.size(); ++i) {
    if (ins[i] == nullptr || ins[i]->kind == AnyValue::Kind::kNone) continue;
    e.input_shapes.push_back(TypeShape(*ins[i]));
    if (!ins[i]->is_tensor()) continue;
    const int64_t bytes = static_cast<int64_t>(ins[i]->tensor.nbytes());
    const Value& v = g.value(node.inputs[i]);
    if (v.is_initializer && !v.is_graph_input) {  // an overridable one is an input, as in ORT
      e.parameter_bytes += bytes;
    } else {
      e.activation_bytes += bytes;
    }
  }
  for (const AnyValue& o : outs) {
    if (o.kind == AnyValue::Kind::kNone) continue;
    e.output_shapes.push_back(TypeShape(o));
    if (o.is_tensor()) e.output_bytes += static_cast<int64_t>(o.tensor.nbytes());
  }
  profile.events.push_back(std::move(e));
}

}  // namespace

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
    const int64_t start_ns = frame.profile != nullptr ? frame.profile->profiler->Now() : 0;
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
    if (frame.profile != nullptr) {
      // A device node is timed to the end of its work.
      if (step.backend != nullptr) KILN_RETURN_IF_ERROR(frame.StreamFor(step.backend)->Synchronize());
      RecordStep(cg, step_index, ins, outs, start_ns, frame);
    }
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

}  // namespace kiln
