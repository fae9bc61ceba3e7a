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

namespace {

// The state of one placement: the device and kernel chosen for every node, and why a node is not
// on the first device. PlaceGraph runs the steps in order.
class Placer {
 public:
  Placer(Graph& g, const std::vector<Device>& devices, const KernelRegistry& reg)
      : g_(g), devices_(devices), reg_(reg) {}

  Status Order() {
    KILN_ASSIGN_OR_RETURN(order_, g_.TopologicalOrder());
    device_.assign(g_.nodes().size(), Device::kCpu);
    reason_.assign(g_.nodes().size(), "");
    def_.assign(g_.nodes().size(), nullptr);
    return Status::Ok();
  }

  // Rule 1: the first device with a kernel accepting the declared types.
  Status ChooseDevices() {
    std::set<std::string> captured;
    for (const std::string& name : g_.CapturedNames()) captured.insert(name);
    for (int id : order_) {
      const Node& n = g_.node(id);
      bool cpu_only = !n.Subgraphs().empty();
      for (int v : n.outputs) {
        if (v != kNoValue && captured.count(g_.value(v).name)) cpu_only = true;
      }
      std::string why;
      for (Device d : devices_) {
        if (cpu_only && d != Device::kCpu) {
          if (why.empty()) why = n.Subgraphs().empty() ? "read by a subgraph" : "holds a subgraph";
          continue;
        }
        auto e = reg_.Find(n.domain, n.op_type, n.opset, d);
        if (!e.ok()) {
          if (why.empty()) why = std::string("no ") + DeviceName(d) + " kernel";
          continue;
        }
        std::string type_why;
        if (!AcceptsDeclaredTypes((*e)->def, n, g_, &type_why)) {
          if (why.empty()) why = type_why;
          continue;
        }
        if (d != Device::kCpu && d != devices_.back() && RefusesAttributes(**e, n, d, &why)) {
          continue;
        }
        Assign(id, d, &(*e)->def, d != devices_.front() ? why : "");
        break;
      }
      if (def_[id] == nullptr) {
        // No kernel accepts the declared types: the first one with the op takes the node, and
        // its run-time type check reports the mismatch in its own words.
        for (Device d : devices_) {
          if (cpu_only && d != Device::kCpu) continue;
          auto e = reg_.Find(n.domain, n.op_type, n.opset, d);
          if (!e.ok()) continue;
          Assign(id, d, &(*e)->def, d != devices_.front() ? why : "");
          break;
        }
      }
      if (def_[id] == nullptr) {
        return Unsupported("node " + n.Describe() + ": no kernel on " +
                           (devices_.size() == 1 ? std::string(DeviceName(devices_[0]))
                                                 : std::string("any listed device")) +
                           " accepts it (" + why + ")");
      }
    }
    return Status::Ok();
  }

  bool AnyOffCpu() const {
    return std::any_of(order_.begin(), order_.end(),
                       [&](int id) { return device_[id] != Device::kCpu; });
  }

  // Rule 2: shape arithmetic on the host. With graph capture, only arithmetic on shapes and
  // constants: what reads the run's inputs stays on the device, where a recorded graph repeats it.
  void KeepShapeArithmeticOnHost(bool graph_capture) {
    if (std::find(devices_.begin(), devices_.end(), Device::kCpu) == devices_.end()) return;
    const std::vector<bool> run_data = RunData();
    for (int id : order_) {
      const Node& n = g_.node(id);
      if (device_[id] == Device::kCpu) continue;
      bool host = true;
      if (graph_capture) {
        for (int v : n.inputs) host = host && !(v != kNoValue && run_data[v]);
      }
      for (int v : n.inputs) {
        if (v != kNoValue && (Location(v) != Device::kCpu || !IsIntegerOrBoolTensor(g_, v))) {
          host = false;
        }
      }
      for (int v : n.outputs) {
        if (v != kNoValue && !IsIntegerOrBoolTensor(g_, v)) host = false;
      }
      if (!host) continue;
      auto e = reg_.Find(n.domain, n.op_type, n.opset, Device::kCpu);
      std::string unused;
      if (!e.ok() || !AcceptsDeclaredTypes((*e)->def, n, g_, &unused)) continue;
      Assign(id, Device::kCpu, &(*e)->def, "shape arithmetic");
    }
  }

  // Rule 4: every node on the first device, shape arithmetic and copies excepted. `off_cpu`: rule
  // 1 put some node off the CPU.
  Status CheckStrict(bool off_cpu) const {
    if (!off_cpu) {
      if (devices_.front() != Device::kCpu && !order_.empty()) {
        return Unsupported("strict placement: no node has a " +
                           std::string(DeviceName(devices_.front())) + " kernel");
      }
      return Status::Ok();
    }
    std::vector<std::string> off;
    for (int id : order_) {
      if (device_[id] != devices_.front() && reason_[id] != "shape arithmetic") {
        off.push_back(OpName(g_.node(id)) + " '" + g_.node(id).name + "' (" + reason_[id] + ")");
      }
    }
    if (off.empty()) return Status::Ok();
    std::string msg = "strict placement: " + std::to_string(off.size()) + " node" +
                      (off.size() == 1 ? "" : "s") + " cannot run on " +
                      DeviceName(devices_.front()) + ": ";
    for (size_t i = 0; i < off.size(); ++i) msg += (i ? ", " : "") + off[i];
    return Unsupported(msg);
  }

  // Rule 3: copies where a reader needs a value on another device, one per (value, destination)
  // shared by readers; graph outputs on a device get a host copy that takes their name.
  Status InsertCopies() {
    for (int id : order_) {
      for (size_t i = 0; i < g_.node(id).inputs.size(); ++i) {
        const int v = g_.node(id).inputs[i];
        if (v == kNoValue) continue;
        const Device want = def_[id]->InputDevice(static_cast<int>(i));
        Device have = Location(v);
        if (have == want) continue;
        int src = v;
        if (have != Device::kCpu && want != Device::kCpu) {  // device to device: via the host
          KILN_ASSIGN_OR_RETURN(src, AddCopy(v, have, Device::kCpu));
          have = Device::kCpu;
        }
        KILN_ASSIGN_OR_RETURN(int c, AddCopy(src, have, want));
        g_.SetNodeInput(id, i, c);
      }
    }
    std::vector<int> outputs = g_.outputs();
    std::set<int> renamed;
    for (int v : outputs) {
      const Device have = Location(v);
      if (have == Device::kCpu || !renamed.insert(v).second) continue;
      const std::string name = g_.value(v).name;
      KILN_RETURN_IF_ERROR(g_.RenameValue(v, g_.UniqueName(name + "@" + DeviceName(have))));
      KILN_ASSIGN_OR_RETURN(int c, AddCopy(v, have, Device::kCpu));
      KILN_RETURN_IF_ERROR(g_.RenameValue(c, name));
      g_.ReplaceOutput(v, c);
    }
    return g_.Verify();
  }

  // The report, in the graph's final execution order.
  Status Report(PlacementReport* report) const {
    if (report == nullptr) return Status::Ok();
    report->devices = devices_;
    report->copies_to_device = to_device_;
    report->copies_to_host = to_host_;
    report->uploads = uploads_;
    KILN_ASSIGN_OR_RETURN(std::vector<int> final_order, g_.TopologicalOrder());
    for (int id : final_order) {
      const Node& n = g_.node(id);
      report->nodes.push_back({n.name.empty() ? "#" + std::to_string(id) : n.name, OpName(n),
                               device_[id], reason_[id]});
    }
    return Status::Ok();
  }

  std::vector<Device> devices_of_nodes() const { return device_; }

 private:
  void Assign(int id, Device d, const KernelDef* def, std::string why) {
    device_[id] = d;
    def_[id] = def;
    reason_[id] = std::move(why);
  }

  // A device kernel may refuse attribute values it does not implement (Resize's cubic mode): its
  // factory says so with Unsupported, and the node goes on to the next device.
  bool RefusesAttributes(const KernelRegistry::Entry& e, const Node& n, Device d,
                         std::string* why) const {
    std::vector<const Tensor*> constants(n.inputs.size(), nullptr);
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (n.inputs[i] != kNoValue) constants[i] = g_.initializer(n.inputs[i]);
    }
    KernelInfo info(n, g_, constants);
    info.set_backend(reg_.Backend(d));
    auto probe = e.factory(info);
    if (probe.ok() || probe.status().code() != StatusCode::kUnsupported) return false;
    if (why->empty()) *why = std::string(DeviceName(d)) + " kernel: " + probe.status().message();
    return true;
  }

  // Where a value lives: graph inputs, initializers and outer-scope values on the host, else where
  // its producer put it.
  Device Location(int v) const {
    const Value& val = g_.value(v);
    if (val.producer < 0) return Device::kCpu;
    const Node& p = g_.node(val.producer);
    for (size_t k = 0; k < p.outputs.size(); ++k) {
      if (p.outputs[k] == v) return def_[p.id]->OutputDevice(static_cast<int>(k));
    }
    return device_[p.id];
  }

  // Values that differ between runs of the same shapes: the run's inputs and what is computed
  // from them (Shape and Size read only shapes).
  std::vector<bool> RunData() const {
    std::vector<bool> run_data(g_.values().size(), false);
    for (int v : g_.inputs()) run_data[v] = !g_.value(v).is_initializer;
    for (int id : order_) {
      const Node& n = g_.node(id);
      if (n.domain.empty() && (n.op_type == "Shape" || n.op_type == "Size")) continue;
      bool reads = false;
      for (int v : n.inputs) reads = reads || (v != kNoValue && run_data[v]);
      for (int v : n.outputs) {
        if (v != kNoValue) run_data[v] = reads;
      }
    }
    return run_data;
  }

  StatusOr<int> AddCopy(int v, Device from, Device to) {
    auto key = std::make_pair(v, to);
    auto it = copy_of_.find(key);
    if (it != copy_of_.end()) return it->second;
    const std::string base = g_.value(v).name.empty() ? "v" + std::to_string(v) : g_.value(v).name;
    const bool host = to == Device::kCpu;
    KILN_ASSIGN_OR_RETURN(int out, g_.AddValue(g_.UniqueName(base + (host ? "@cpu" : "@") +
                                                             (host ? "" : DeviceName(to))),
                                               g_.value(v).type));
    Node copy;
    copy.name = g_.UniqueName(base + (host ? "/to_cpu" : std::string("/to_") + DeviceName(to)));
    copy.op_type = host ? kMemcpyToHost : kMemcpyToDevice;
    copy.domain = kKilnDomain;
    copy.opset = 1;
    copy.inputs = {v};
    copy.outputs = {out};
    const Device on = host ? from : to;
    auto e = reg_.Find(kKilnDomain, copy.op_type, 1, on);
    if (!e.ok()) return e.status().WithPrefix("placement");
    KILN_ASSIGN_OR_RETURN(int cid, g_.AddNode(std::move(copy)));
    device_.resize(g_.nodes().size(), Device::kCpu);
    def_.resize(g_.nodes().size(), nullptr);
    reason_.resize(g_.nodes().size());
    Assign(cid, on, &(*e)->def, "");
    if (host) {
      ++to_host_;
    } else {
      ++to_device_;
      if (g_.value(v).is_initializer) ++uploads_;
    }
    copy_of_[key] = out;
    return out;
  }

  Graph& g_;
  const std::vector<Device>& devices_;
  const KernelRegistry& reg_;
  std::vector<int> order_;
  std::vector<Device> device_;
  std::vector<std::string> reason_;
  std::vector<const KernelDef*> def_;
  std::map<std::pair<int, Device>, int> copy_of_;
  int to_device_ = 0, to_host_ = 0, uploads_ = 0;
};

}  // namespace

StatusOr<std::vector<Device>> PlaceGraph(Graph& g, const std::vector<Device>& devices,
                                         const KernelRegistry& reg, bool strict,
                                         PlacementReport* report, bool graph_capture) {
  if (devices.empty()) return InvalidArgument("no devices to place on");
  Placer placer(g, devices, reg);
  KILN_RETURN_IF_ERROR(placer.Order());
  KILN_RETURN_IF_ERROR(placer.ChooseDevices());
  const bool off_cpu = placer.AnyOffCpu();
  if (off_cpu) placer.KeepShapeArithmeticOnHost(graph_capture);
  if (strict) KILN_RETURN_IF_ERROR(placer.CheckStrict(off_cpu));
  if (off_cpu) KILN_RETURN_IF_ERROR(placer.InsertCopies());
  KILN_RETURN_IF_ERROR(placer.Report(report));
  return placer.devices_of_nodes();
}

}  // namespace kiln
