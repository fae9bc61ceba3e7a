// Graph capture (SessionOptions::graph_capture): which main graphs can be recorded once into a
// device graph (a CUDA graph) and replayed, and in what order their steps then run.
//
// A replay runs no kernel on the host: it copies the run's inputs to the device, launches the
// recorded device work, and copies the outputs back. So every step between those copies must give
// the same launches on every run with the same input shapes: device kernels, and host steps that
// compute only from shapes and constants (the shape arithmetic placement keeps on the CPU). A
// graph is refused, naming each node in the way, when a host step reads data of the run's inputs,
// device data comes back to the host before the end (MemcpyToHost feeding another node), the
// graph has control flow (If, Loop, Scan run on the CPU) or a random op (its values would be drawn
// once). Internal to runtime/ (session.cc).
#pragma once

#include <vector>

#include "ir/graph.h"
#include "ir/status.h"
#include "kernels/api/kernel.h"

namespace kiln {

struct CaptureLayout {
  // Node ids in run order: the copies of graph inputs to the device first, then the steps the
  // device graph records, then the copies of graph outputs to the host.
  std::vector<int> order;
  int upload_end = 0;      // order[0, upload_end): run before the graph on every run
  int download_begin = 0;  // order[download_begin, end): run after it on every run
};

// The capture layout of `g`, whose steps run in `order` (a topological order) on the devices of
// `placement` (per node id); an error lists the nodes that keep it from being captured.
StatusOr<CaptureLayout> LayOutCapture(const Graph& g, const std::vector<int>& order,
                                      const std::vector<Device>& placement);

}  // namespace kiln
