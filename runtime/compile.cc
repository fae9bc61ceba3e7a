// Compiling a graph for execution: the order, the device streams, initializers uploaded once, the
// capture layout, value lifetimes (subgraph reads included) and a kernel per node, created once.
#include <algorithm>

#include "runtime/executor.h"
#include "runtime/graph_capture.h"

namespace kiln {

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
    for (const Graph* sub : n.Subgraphs()) {
      CollectUnsupported(*sub, devices, reg, model, missing, order);
    }
  }
}

// Compiles `g`. `placement` gives the device of each node (the main graph); without it every
// node runs on the CPU (subgraphs, CPU-only sessions).
StatusOr<std::unique_ptr<CompiledGraph>> Compile(const Graph& g, const SessionOptions& options,
                                                 const KernelRegistry& reg,
                                                 const std::vector<Device>* placement) {
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
    if (!t.ok())
      return t.status().WithPrefix("uploading initializer '" + g.value(n.inputs[0]).name + "'");
    KILN_RETURN_IF_ERROR(synced);
    cg->device_constants.emplace_back(n.outputs[0], std::move(t).value());
  }
  order = std::move(run_order);
  if (options.graph_capture && placement != nullptr) {
    if (!options.memory_planning) {
      return InvalidArgument(
          "graph capture needs memory planning (SessionOptions::memory_planning)");
    }
    if (cg->streams.empty()) {
      return Unsupported(
          "graph capture: no node of the graph runs on a device (it needs one "
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
    std::vector<Graph*> stack = node.Subgraphs();
    while (!stack.empty()) {
      const Graph* sub = stack.back();
      stack.pop_back();
      for (const Value& v : sub->values()) {
        if (!v.outer_scope) continue;
        int id = g.FindValue(v.name);
        if (id >= 0) last_use[id] = std::max(last_use[id], static_cast<int>(s));
      }
      for (const Node& sn : sub->nodes()) {
        for (Graph* nested : sn.Subgraphs()) stack.push_back(nested);
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
    for (const Graph* sub : node.Subgraphs()) {
      KILN_ASSIGN_OR_RETURN(auto csub, Compile(*sub, options, reg, nullptr));
      cg->subgraphs[sub] = std::move(csub);
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

}  // namespace kiln
