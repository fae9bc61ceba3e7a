// Graph capture (SessionOptions::graph_capture): the run that records the device part of a run
// as a device graph, and the runs that replay it. Which steps can be recorded is decided at load
// (runtime/graph_capture.h); RunGraph (executor.cc) picks capture or replay.
#include "runtime/executor.h"

namespace kiln {

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
  if (status.ok())
    status = Execute(cg, frame, cg.download_begin, static_cast<int>(cg.steps.size()));
  auto outs = FinishRun(cg, frame, status, arena_run.get(), &fresh);
  frame.values.clear();
  frame.arena = nullptr;
  frame.streams.clear();
  return outs;
}

}  // namespace kiln
