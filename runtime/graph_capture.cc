#include "runtime/graph_capture.h"

#include <algorithm>
#include <string>

#include "ir/op_facts.h"

namespace kiln {

namespace {

bool IsCopy(const Node& n, const char* op) { return n.domain == kKilnDomain && n.op_type == op; }

}  // namespace

StatusOr<CaptureLayout> LayOutCapture(const Graph& g, const std::vector<int>& order,
                                      const std::vector<Device>& placement) {
  const size_t nv = g.values().size();
  std::vector<int> readers(nv, 0);
  for (int id : order) {
    for (int in : g.node(id).inputs) {
      if (in != kNoValue) ++readers[in];
    }
  }
  std::vector<bool> is_output(nv, false);
  for (int id : g.outputs()) is_output[id] = true;
  // Host data that differs from run to run with the same shapes: the run's inputs.
  std::vector<bool> run_data(nv, false);
  for (int id : g.inputs()) run_data[id] = !g.value(id).is_initializer;
  // Values computed by or after a refused node (its readers are not listed again).
  std::vector<bool> after_refused(nv, false);

  std::vector<int> uploads, middle, downloads;
  std::vector<std::string> refused;
  bool any_device = false;
  for (int id : order) {
    const Node& n = g.node(id);
    const Device d = placement[id];
    if (IsCopy(n, kMemcpyToDevice) && n.inputs.size() == 1 && run_data[n.inputs[0]]) {
      uploads.push_back(id);
      continue;
    }
    if (IsCopy(n, kMemcpyToHost) && n.outputs.size() == 1 && is_output[n.outputs[0]] &&
        readers[n.outputs[0]] == 0) {
      downloads.push_back(id);
      continue;
    }
    std::string why;
    bool reads_run_data = false, downstream = false;
    for (int in : n.inputs) {
      if (in == kNoValue) continue;
      reads_run_data = reads_run_data || run_data[in];
      downstream = downstream || after_refused[in];
    }
    if (!n.Subgraphs().empty()) {
      why = "control flow runs on the cpu";
    } else if (IsNondeterministic(n)) {
      why = "its random values would be drawn once, at capture";
    } else if (IsCopy(n, kMemcpyToHost)) {
      why = "brings '" + g.value(n.inputs[0]).name + "' back to the host";
      for (int other : order) {
        const Node& reader = g.node(other);
        if (std::find(reader.inputs.begin(), reader.inputs.end(), n.outputs[0]) !=
            reader.inputs.end()) {
          why += " for " + reader.op_type + " '" + reader.name + "' on the " +
                 DeviceName(placement[other]);
          break;
        }
      }
    } else if (reads_run_data) {
      why = d == Device::kCpu ? "runs on the cpu on data of the run's inputs"
                              : "reads data of the run's inputs on the host";
    }
    if (!why.empty() || downstream) {
      if (!why.empty()) refused.push_back(n.op_type + " '" + n.name + "' (" + why + ")");
      for (int out : n.outputs) {
        if (out != kNoValue) after_refused[out] = true;
      }
      continue;
    }
    any_device = any_device || d != Device::kCpu;
    middle.push_back(id);
  }
  if (!refused.empty()) {
    std::string msg = "graph capture: " + std::to_string(refused.size()) +
                      (refused.size() == 1 ? " node keeps" : " nodes keep") +
                      " the run from being recorded as one device graph: ";
    for (size_t i = 0; i < refused.size() && i < 10; ++i) msg += (i ? ", " : "") + refused[i];
    if (refused.size() > 10) msg += ", and " + std::to_string(refused.size() - 10) + " more";
    return Unsupported(msg);
  }
  if (!any_device) {
    return Unsupported("graph capture: no node of the graph runs on a device (it needs one first "
                       "in SessionOptions::devices, e.g. cuda)");
  }
  CaptureLayout layout;
  layout.order = uploads;
  layout.order.insert(layout.order.end(), middle.begin(), middle.end());
  layout.upload_end = static_cast<int>(uploads.size());
  layout.download_begin = static_cast<int>(uploads.size() + middle.size());
  layout.order.insert(layout.order.end(), downloads.begin(), downloads.end());
  return layout;
}

}  // namespace kiln
