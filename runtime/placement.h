// Placement: which device runs each node of a Session's main graph, and the copies between them.
//
// Rules, in order:
//  1. A node runs on the first device of the session's list that has a kernel for its op and
//     opset accepting its declared element types (a declared non-tensor input or output, such as
//     a sequence, keeps it off devices other than the CPU) and whose factory does not answer
//     Unsupported for its attributes (a device kernel that implements only some modes of an op
//     says so there; the node then goes on down the list). Nodes holding subgraphs (If, Loop,
//     Scan) and nodes whose outputs a subgraph reads by name run on the CPU, and so do their
//     subgraphs.
//  2. Shape arithmetic stays on the host: a node placed off the CPU whose inputs all live on the
//     host and whose inputs and outputs are all declared integer or bool tensors runs on the CPU
//     when the CPU is in the list (ONNX Runtime's CPU-preferred shape nodes, simplified), so a
//     Shape -> Gather -> Concat -> Reshape chain costs no device round trip.
//  3. Copies: where a node reads a value on another device than it needs it — the CPU for CPU
//     kernels and a device kernel's host_inputs, the kernel's device otherwise — a MemcpyToDevice
//     or MemcpyToHost node (domain kiln) is inserted, one per value and destination, shared by
//     every reader. Graph outputs computed on a device get a MemcpyToHost whose output takes the
//     output's name (the device value is renamed "<name>@cuda"), so Session::Run returns host
//     tensors. Copies of initializers are done once at load by the Session (weights uploaded once).
//  4. Strict mode fails instead of falling back: every node except the shape arithmetic of rule 2
//     and the copies must run on the first device of the list.
//
// Internal to runtime/ (session.cc); the report is public through Session::placement().
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/status.h"
#include "kernels/api/kernel.h"

namespace kiln {

// Where each node of a main graph runs, after placement (copies included).
struct PlacementReport {
  struct Node {
    std::string name;     // the node's name ("#id" when unnamed)
    std::string op;       // "Conv", "kiln::MemcpyToDevice"
    Device device = Device::kCpu;
    std::string reason;   // why it is not on the first device ("" when it is)
  };
  std::vector<Device> devices;  // the session's list
  std::vector<Node> nodes;      // in execution order
  int copies_to_device = 0;     // MemcpyToDevice nodes inserted (initializer uploads included)
  int copies_to_host = 0;       // MemcpyToHost nodes inserted
  int uploads = 0;              // of the copies to device, initializers uploaded once at load
  // Nodes that run on `d` (copies excluded).
  int CountOn(Device d) const;
  // "cuda: 120 nodes, cpu: 3 nodes (2 shape arithmetic, 1 no cuda kernel: NonMaxSuppression);
  // copies: 161 to cuda (158 initializer uploads), 1 to cpu"
  std::string Summary() const;
  // Summary() and one line per node.
  std::string ToString() const;
};

// Places the nodes of `g` (a main graph) on `devices`, inserting copy nodes (see above). Returns
// the device of every node id of the graph after insertion. With only the CPU in `devices` the
// graph is left as it is. Errors name the nodes (strict mode) or the node without any kernel.
// `graph_capture` (SessionOptions::graph_capture): integer arithmetic on the values of the run's
// inputs (an attention mask's Unsqueeze) stays on the device, where a recorded graph repeats it;
// only arithmetic on shapes and constants goes to the host.
StatusOr<std::vector<Device>> PlaceGraph(Graph& g, const std::vector<Device>& devices,
                                         const KernelRegistry& reg, bool strict,
                                         PlacementReport* report, bool graph_capture = false);

}  // namespace kiln
