// The per-node profiler of a Session (SessionOptions::enable_profiling, Session::StartProfiling /
// EndProfiling): one event per kernel run (node, op, device, input and output types and shapes,
// time) and one per session stage (model loading, initialization, each run), written as a Chrome
// trace in onnxruntime's profile format so that the same viewers and scripts read it.
//
//   SessionOptions so;  so.enable_profiling = true;
//   auto s = Session::Load("m.onnx", so);  ... (*s)->Run(feeds) ...
//   std::vector<ProfileEvent> events = (*s)->EndProfiling();
//   WriteChromeTrace("profile.json", events);  std::cout << ProfileSummary(events);
//
// Times are wall-clock on the host. A node on a device is timed to the end of its work (the
// profiled run waits for the device's stream after each such node), so a profiled GPU run is
// slower than an unprofiled one. Replays of a captured device graph record only the run.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "ir/dtype.h"
#include "ir/status.h"

namespace kiln {

struct ProfileEvent {
  enum class Kind { kSession, kNode };
  Kind kind = Kind::kNode;
  // kNode: the node's name (its op and index when it has none); kSession: the stage
  // ("model_loading_uri", "model_loading_array", "session_initialization", "model_run").
  std::string name;
  std::string op;     // kNode: the op type (without its domain, as onnxruntime writes it)
  std::string graph;  // kNode: the name of the graph the node belongs to
  int depth = 0;      // kNode: 0 in the main graph, 1 in an If/Loop/Scan body of it, ...
  std::string device = "cpu";
  int node_index = -1;       // kNode: the node's step in its graph's execution order
  int run = -1;              // the run (0, 1, ... from the profiling start) it belongs to; -1: load
  int64_t start_ns = 0;      // from the profiling start
  int64_t duration_ns = 0;
  int64_t thread_id = 0;     // the OS thread
  // kNode: "float[1,3,224,224]"-style (element type, dims) of each given input and output;
  // values that are not tensors give their type ("seq(tensor(float))") and no dims.
  std::vector<std::pair<std::string, std::vector<int64_t>>> input_shapes, output_shapes;
  // Bytes of the tensor inputs: constant initializers are parameters; the rest, initializers a
  // caller may override among them, are activations (as onnxruntime counts them).
  int64_t activation_bytes = 0;
  int64_t parameter_bytes = 0;
  int64_t output_bytes = 0;
};

// Collects the events of one profiling period. Thread-safe: runs on several threads add their
// events when they end.
class Profiler {
 public:
  Profiler();
  // Nanoseconds since this profiler started.
  int64_t Now() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now() - start_)
        .count();
  }
  // The start as nanoseconds since the Unix epoch (onnxruntime's get_profiling_start_time_ns).
  int64_t start_epoch_ns() const { return start_epoch_ns_; }
  // A new run's index.
  int NextRun() { return runs_.fetch_add(1); }
  void Add(std::vector<ProfileEvent> events);
  void Add(ProfileEvent event);
  // The events so far, in the order added.
  std::vector<ProfileEvent> Events() const;

 private:
  std::chrono::steady_clock::time_point start_;
  int64_t start_epoch_ns_ = 0;
  std::atomic<int> runs_{0};
  mutable std::mutex mu_;
  std::vector<ProfileEvent> events_;
};

// The calling thread's OS id (the trace's "tid").
int64_t CurrentThreadId();

// The events as onnxruntime writes its profile: a JSON array of Chrome-trace complete events
// ("ph": "X", "ts" and "dur" in whole microseconds), category "Session" or "Node"; node events are
// named "<node>_kernel_time" and carry onnxruntime's args (op_name, provider, node_index,
// activation_size, parameter_size, output_size, input_type_shape, output_type_shape) and kiln's
// graph.
std::string ChromeTrace(const std::vector<ProfileEvent>& events);
Status WriteChromeTrace(const std::string& path, const std::vector<ProfileEvent>& events);

// A table of node time per op type, largest first: calls, total and mean time, share of the main
// graph's node time, over the node events of runs >= `first_run`. Nodes of If/Loop/Scan bodies
// have rows of their own; their time is also inside their If/Loop/Scan's.
std::string ProfileSummary(const std::vector<ProfileEvent>& events, int first_run = 0);

}  // namespace kiln
