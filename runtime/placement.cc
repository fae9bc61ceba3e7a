// Placement of a main graph's nodes on the session's devices, and copy insertion (placement.h).
#include "runtime/placement.h"

#include <algorithm>
#include <map>
#include <set>

namespace kiln {
namespace {

std::string OpName(const Node& n) {
  return (n.domain.empty() || n.domain == "ai.onnx" ? "" : n.domain + "::") + n.op_type;
}

// Whether `def` accepts the declared types of `n`'s inputs and outputs: every declared element
// type bound to a type parameter is allowed, and off the CPU every declared value is a tensor
// (not a string). Unknown types are accepted; the run-time type check has the last word.
bool AcceptsDeclaredTypes(const KernelDef& def, const Node& n, const Graph& g, std::string* why) {
  for (const TypeConstraint& tc : def.type_constraints) {
    std::vector<int> bound = tc.inputs;
    if (bound.size() == 1 && bound[0] == -1) {
      bound.clear();
      for (size_t i = 0; i < n.inputs.size(); ++i) bound.push_back(static_cast<int>(i));
    }
    for (int i : bound) {
      if (i >= static_cast<int>(n.inputs.size()) || n.inputs[i] == kNoValue) continue;
      const TypeInfo& t = g.value(n.inputs[i]).type;
      if (!t.is_tensor() || t.elem_type == DataType::kUndefined) continue;
      if (std::find(tc.allowed.begin(), tc.allowed.end(), t.elem_type) == tc.allowed.end()) {
        *why = std::string("no ") + DeviceName(def.device) + " kernel for " +
               DataTypeName(t.elem_type);
        return false;
      }
    }
  }
  if (def.device == Device::kCpu) return true;
  auto device_ok = [&](int v) {
    if (v == kNoValue) return true;
    const TypeInfo& t = g.value(v).type;
    if (t.kind == TypeInfo::Kind::kUnknown) return true;
    return t.is_tensor() && t.elem_type != DataType::kString;
  };
  for (int v : n.inputs) {
    if (!device_ok(v)) {
      *why = "input " + g.value(v).name + " is " + g.value(v).type.ToString();
      return false;
    }
  }
  for (int v : n.outputs) {
    if (!device_ok(v)) {
      *why = "output " + g.value(v).name + " is " + g.value(v).type.ToString();
      return false;
    }
  }
  return true;
}

bool IsIntegerOrBoolTensor(const Graph& g, int v) {
  const TypeInfo& t = g.value(v).type;
  return t.is_tensor() && (IsInteger(t.elem_type) || t.elem_type == DataType::kBool);
}

}  // namespace

int PlacementReport::CountOn(Device d) const {
  int n = 0;
  for (const Node& node : nodes) {
    if (node.device == d && node.op.rfind(std::string(kKilnDomain) + "::Memcpy", 0) != 0) ++n;
  }
  return n;
}

std::string PlacementReport::Summary() const {
  std::string s;
  for (Device d : devices) {
    if (!s.empty()) s += ", ";
    const int n = CountOn(d);
    s += std::string(DeviceName(d)) + ": " + std::to_string(n) + " node" + (n == 1 ? "" : "s");
    if (d == devices.front()) continue;
    std::map<std::string, int> reasons;
    for (const Node& node : nodes) {
      if (node.device == d && !node.reason.empty()) ++reasons[node.reason];
    }
    if (reasons.empty()) continue;
    s += " (";
    bool first = true;
    for (const auto& [r, c] : reasons) {
      s += (first ? "" : "; ") + std::to_string(c) + " " + r;
      first = false;
    }
    s += ")";
  }
  if (copies_to_device + copies_to_host > 0) {
    const char* dev = devices.empty() ? "device" : DeviceName(devices.front());
    s += "; copies: " + std::to_string(copies_to_device) + " to " + dev;
    if (uploads > 0) s += " (" + std::to_string(uploads) + " initializer uploads)";
    s += ", " + std::to_string(copies_to_host) + " to cpu";
  }
  return s;
}

std::string PlacementReport::ToString() const {
  std::string s = "placement: " + Summary() + "\n";
  for (const Node& n : nodes) {
    s += "  " + std::string(DeviceName(n.device)) + "  " + n.op + " '" + n.name + "'";
    if (!n.reason.empty()) s += "  (" + n.reason + ")";
    s += "\n";
  }
  return s;
}

StatusOr<std::vector<Device>> PlaceGraph(Graph& g, const std::vector<Device>& devices,
                                         const KernelRegistry& reg, bool strict,
                                         PlacementReport* report, bool graph_capture) {
  if (devices.empty()) return InvalidArgument("no devices to place on");
  const bool cpu_listed =
      std::find(devices.begin(), devices.end(), Device::kCpu) != devices.end();
  KILN_ASSIGN_OR_RETURN(std::vector<int> order, g.TopologicalOrder());
  std::vector<Device> device(g.nodes().size(), Device::kCpu);
  std::vector<std::string> reason(g.nodes().size());
  std::vector<const KernelDef*> def(g.nodes().size(), nullptr);
  std::set<std::string> captured;
  for (const std::string& name : g.CapturedNames()) captured.insert(name);

  // Rule 1: the first device with a kernel accepting the declared types.
  for (int id : order) {
    const Node& n = g.node(id);
    bool cpu_only = !n.Subgraphs().empty();
    for (int v : n.outputs) {
      if (v != kNoValue && captured.count(g.value(v).name)) cpu_only = true;
    }
    std::string why;
    for (Device d : devices) {
      if (cpu_only && d != Device::kCpu) {
        if (why.empty()) {
          why = n.Subgraphs().empty() ? "read by a subgraph" : "holds a subgraph";
        }
        continue;
      }
      auto e = reg.Find(n.domain, n.op_type, n.opset, d);
      if (!e.ok()) {
        if (why.empty()) why = std::string("no ") + DeviceName(d) + " kernel";
        continue;
      }
      std::string type_why;
      if (!AcceptsDeclaredTypes((*e)->def, n, g, &type_why)) {
        if (why.empty()) why = type_why;
        continue;
      }
      // A device kernel may refuse attribute values it does not implement (Resize's cubic mode):
      // its factory says so with Unsupported, and the node goes on to the next device.
      if (d != Device::kCpu && d != devices.back()) {
        std::vector<const Tensor*> constants(n.inputs.size(), nullptr);
        for (size_t i = 0; i < n.inputs.size(); ++i) {
          if (n.inputs[i] != kNoValue) constants[i] = g.initializer(n.inputs[i]);
        }
        KernelInfo info(n, g, constants);
        info.set_backend(reg.Backend(d));
        auto probe = (*e)->factory(info);
        if (!probe.ok() && probe.status().code() == StatusCode::kUnsupported) {
          if (why.empty()) {
            why = std::string(DeviceName(d)) + " kernel: " + probe.status().message();
          }
          continue;
        }
      }
      device[id] = d;
      def[id] = &(*e)->def;
      if (d != devices.front()) reason[id] = why;
      break;
    }
    if (def[id] == nullptr) {
      // No kernel accepts the declared types: the first one with the op takes the node, and its
      // run-time type check reports the mismatch in its own words.
      for (Device d : devices) {
        if (cpu_only && d != Device::kCpu) continue;
        auto e = reg.Find(n.domain, n.op_type, n.opset, d);
        if (!e.ok()) continue;
        device[id] = d;
        def[id] = &(*e)->def;
        if (d != devices.front()) reason[id] = why;
        break;
      }
    }
    if (def[id] == nullptr) {
      return Unsupported("node " + n.Describe() + ": no kernel on " +
                         (devices.size() == 1 ? std::string(DeviceName(devices[0]))
                                              : std::string("any listed device")) +
                         " accepts it (" + why + ")");
    }
  }
  const bool off_cpu = std::any_of(order.begin(), order.end(),
                                   [&](int id) { return device[id] != Device::kCpu; });
  if (!off_cpu) {
    if (strict && devices.front() != Device::kCpu && !order.empty()) {
      return Unsupported("strict placement: no node has a " +
                         std::string(DeviceName(devices.front())) + " kernel");
    }
    if (report != nullptr) {
      report->devices = devices;
      for (int id : order) {
        report->nodes.push_back({g.node(id).name.empty() ? "#" + std::to_string(id)
                                                         : g.node(id).name,
                                 OpName(g.node(id)), device[id], reason[id]});
      }
    }
    return device;
  }

  // Where each value lives: graph inputs, initializers and outer-scope values on the host, else
  // where its producer put it.
  auto location = [&](int v) {
    const Value& val = g.value(v);
    if (val.producer < 0) return Device::kCpu;
    const Node& p = g.node(val.producer);
    for (size_t k = 0; k < p.outputs.size(); ++k) {
      if (p.outputs[k] == v) return def[p.id]->OutputDevice(static_cast<int>(k));
    }
    return device[p.id];
  };

  // Values that differ between runs of the same shapes: the run's inputs and what is computed
  // from them (Shape and Size read only shapes).
  std::vector<bool> run_data(g.values().size(), false);
  for (int v : g.inputs()) run_data[v] = !g.value(v).is_initializer;
  for (int id : order) {
    const Node& n = g.node(id);
    if (n.domain.empty() && (n.op_type == "Shape" || n.op_type == "Size")) continue;
    bool reads = false;
    for (int v : n.inputs) reads = reads || (v != kNoValue && run_data[v]);
    for (int v : n.outputs) {
      if (v != kNoValue) run_data[v] = reads;
    }
  }

  // Rule 2: shape arithmetic on the host.
  if (cpu_listed) {
    for (int id : order) {
      const Node& n = g.node(id);
      if (device[id] == Device::kCpu) continue;
      bool host = true;
      if (graph_capture) {
        for (int v : n.inputs) host = host && !(v != kNoValue && run_data[v]);
      }
      for (int v : n.inputs) {
        if (v != kNoValue && (location(v) != Device::kCpu || !IsIntegerOrBoolTensor(g, v))) {
          host = false;
        }
      }
      for (int v : n.outputs) {
        if (v != kNoValue && !IsIntegerOrBoolTensor(g, v)) host = false;
      }
      if (!host) continue;
      auto e = reg.Find(n.domain, n.op_type, n.opset, Device::kCpu);
      std::string unused;
      if (!e.ok() || !AcceptsDeclaredTypes((*e)->def, n, g, &unused)) continue;
      device[id] = Device::kCpu;
      def[id] = &(*e)->def;
      reason[id] = "shape arithmetic";
    }
  }

  if (strict) {
    std::vector<std::string> off;
    for (int id : order) {
      if (device[id] != devices.front() && reason[id] != "shape arithmetic") {
        off.push_back(OpName(g.node(id)) + " '" + g.node(id).name + "' (" + reason[id] + ")");
      }
    }
    if (!off.empty()) {
      std::string msg = "strict placement: " + std::to_string(off.size()) + " node" +
                        (off.size() == 1 ? "" : "s") + " cannot run on " +
                        DeviceName(devices.front()) + ": ";
      for (size_t i = 0; i < off.size(); ++i) msg += (i ? ", " : "") + off[i];
      return Unsupported(msg);
    }
  }

  // Rule 3: copies. One per (value, destination device), shared by readers.
  std::map<std::pair<int, Device>, int> copy_of;
  int to_device = 0, to_host = 0, uploads = 0;
  auto add_copy = [&](int v, Device from, Device to) -> StatusOr<int> {
    auto key = std::make_pair(v, to);
    auto it = copy_of.find(key);
    if (it != copy_of.end()) return it->second;
    const std::string base = g.value(v).name.empty() ? "v" + std::to_string(v) : g.value(v).name;
    const bool host = to == Device::kCpu;
    KILN_ASSIGN_OR_RETURN(int out, g.AddValue(g.UniqueName(base + (host ? "@cpu" : "@") +
                                                           (host ? "" : DeviceName(to))),
                                              g.value(v).type));
    Node copy;
    copy.name = g.UniqueName(base + (host ? "/to_cpu" : std::string("/to_") + DeviceName(to)));
    copy.op_type = host ? kMemcpyToHost : kMemcpyToDevice;
    copy.domain = kKilnDomain;
    copy.opset = 1;
    copy.inputs = {v};
    copy.outputs = {out};
    const Device on = host ? from : to;
    auto e = reg.Find(kKilnDomain, copy.op_type, 1, on);
    if (!e.ok()) return e.status().WithPrefix("placement");
    KILN_ASSIGN_OR_RETURN(int cid, g.AddNode(std::move(copy)));
    device.resize(g.nodes().size(), Device::kCpu);
    def.resize(g.nodes().size(), nullptr);
    reason.resize(g.nodes().size());
    device[cid] = on;
    def[cid] = &(*e)->def;
    if (host) {
      ++to_host;
    } else {
      ++to_device;
      if (g.value(v).is_initializer) ++uploads;
    }
    copy_of[key] = out;
    return out;
  };
  for (int id : order) {
    for (size_t i = 0; i < g.node(id).inputs.size(); ++i) {
      const int v = g.node(id).inputs[i];
      if (v == kNoValue) continue;
      const Device want = def[id]->InputDevice(static_cast<int>(i));
      Device have = location(v);
      if (have == want) continue;
      int src = v;
      if (have != Device::kCpu && want != Device::kCpu) {  // device to device: through the host
        KILN_ASSIGN_OR_RETURN(src, add_copy(v, have, Device::kCpu));
        have = Device::kCpu;
      }
      KILN_ASSIGN_OR_RETURN(int c, add_copy(src, have, want));
      g.SetNodeInput(id, i, c);
    }
  }
  // Graph outputs on a device: the host copy takes the output's name.
  std::vector<int> outputs = g.outputs();
  std::set<int> renamed;
  for (int v : outputs) {
    const Device have = location(v);
    if (have == Device::kCpu || !renamed.insert(v).second) continue;
    const std::string name = g.value(v).name;
    KILN_RETURN_IF_ERROR(
        g.RenameValue(v, g.UniqueName(name + "@" + DeviceName(have))));
    KILN_ASSIGN_OR_RETURN(int c, add_copy(v, have, Device::kCpu));
    KILN_RETURN_IF_ERROR(g.RenameValue(c, name));
    g.ReplaceOutput(v, c);
  }
  KILN_RETURN_IF_ERROR(g.Verify());
  if (report != nullptr) {
    report->devices = devices;
    report->copies_to_device = to_device;
    report->copies_to_host = to_host;
    report->uploads = uploads;
    KILN_ASSIGN_OR_RETURN(std::vector<int> final_order, g.TopologicalOrder());
    for (int id : final_order) {
      const Node& n = g.node(id);
      report->nodes.push_back({n.name.empty() ? "#" + std::to_string(id) : n.name, OpName(n),
                               device[id], reason[id]});
    }
  }
  return device;
}

}  // namespace kiln
