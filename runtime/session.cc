// Session: load and options (import, passes, the kernel registry, devices), then placement and
// compilation (compile.cc); Run binds the inputs (input_validation.cc) and runs the main graph
// (executor.cc, capture_replay.cc); memory reports.
#include "runtime/session.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "ir/onnx_io.h"
#include "kernels/api/default_registry.h"
#include "runtime/executor.h"
#include "runtime/placement.h"
#include "runtime/run_memory.h"

namespace kiln {

Session::~Session() = default;

namespace {

// The session's kernels: its own registry, or the default one for its devices.
const KernelRegistry& RegistryFor(const SessionOptions& options) {
  return options.registry ? *options.registry : DefaultRegistryFor(options.devices);
}

KernelQuery KernelQueryFor(const SessionOptions& options) {
  const KernelRegistry* reg = &RegistryFor(options);
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

StatusOr<std::vector<Device>> DevicesNamed(const std::string& name) {
  if (name == "cpu") return std::vector<Device>{Device::kCpu};
  if (name == "cuda") return std::vector<Device>{Device::kCuda, Device::kCpu};
  return InvalidArgument("unknown device '" + name + "': expected cpu or cuda");
}

PassOptions PassOptionsFor(const SessionOptions& options) {
  const KernelRegistry* reg = &RegistryFor(options);
  PassOptions po;
  po.level = options.optimization_level;
  po.disabled = options.disabled_passes;
  po.has_kernel = KernelQueryFor(options);
  po.cpu_layouts = options.devices == std::vector<Device>{Device::kCpu};
  po.evaluator = [reg](const Graph& g, const Node& node, const std::vector<const Tensor*>& in) {
    return EvaluateNode(*reg, g, node, in);
  };
  return po;
}

namespace {

// With profiling on: a profiler, and the event of the model's loading, begun at 0.
std::shared_ptr<Profiler> LoadProfiler(const SessionOptions& options) {
  return options.enable_profiling ? std::make_shared<Profiler>() : nullptr;
}

void AddSessionEvent(Profiler* profiler, const char* name, int64_t start_ns, int run = -1) {
  if (profiler == nullptr) return;
  ProfileEvent e;
  e.kind = ProfileEvent::Kind::kSession;
  e.name = name;
  e.run = run;
  e.start_ns = start_ns;
  e.duration_ns = profiler->Now() - start_ns;
  e.thread_id = CurrentThreadId();
  profiler->Add(std::move(e));
}

}  // namespace

StatusOr<std::unique_ptr<Session>> Session::Load(const std::string& path, SessionOptions options) {
  std::shared_ptr<Profiler> profiler = LoadProfiler(options);
  KILN_ASSIGN_OR_RETURN(Model model, LoadModel(path, ImportOptionsFor(options)));
  AddSessionEvent(profiler.get(), "model_loading_uri", 0);
  auto s = CreateWith(std::move(model), std::move(options), std::move(profiler));
  if (!s.ok() && s.status().message().rfind(path, 0) != 0) return s.status().WithPrefix(path);
  return s;
}

StatusOr<std::unique_ptr<Session>> Session::LoadFromBytes(const std::string& bytes,
                                                          const std::string& base_dir,
                                                          SessionOptions options) {
  std::shared_ptr<Profiler> profiler = LoadProfiler(options);
  KILN_ASSIGN_OR_RETURN(Model model,
                        ParseModel(bytes, base_dir, "model", ImportOptionsFor(options)));
  AddSessionEvent(profiler.get(), "model_loading_array", 0);
  return CreateWith(std::move(model), std::move(options), std::move(profiler));
}

StatusOr<std::unique_ptr<Session>> Session::Create(Model model, SessionOptions options) {
  std::shared_ptr<Profiler> profiler = LoadProfiler(options);
  return CreateWith(std::move(model), std::move(options), std::move(profiler));
}

StatusOr<std::unique_ptr<Session>> Session::CreateWith(Model model, SessionOptions options,
                                                       std::shared_ptr<Profiler> profiler) {
  const int64_t init_start = profiler != nullptr ? profiler->Now() : 0;
  if (!model.graph) return InvalidModel("model has no graph");
  const KernelRegistry& reg = RegistryFor(options);
  KILN_RETURN_IF_ERROR(reg.status());
  if (options.devices.empty()) return InvalidArgument("SessionOptions.devices is empty");
  for (Device d : options.devices) {
    if (d == Device::kCpu) continue;
    const DeviceBackend* b = reg.Backend(d);
    if (b == nullptr && options.registry == nullptr) {
      // The default registry: not compiled in, or its plugin did not load (DeviceStatus says).
      return DeviceStatus(d).WithPrefix(std::string("device '") + DeviceName(d) +
                                        "' is not available");
    }
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
  std::vector<GraphIo> declared_inputs, declared_outputs;
  for (int id : model.graph->inputs()) {
    const Value& v = model.graph->value(id);
    declared_inputs.push_back({v.name, v.type, v.is_initializer});
  }
  for (int id : model.graph->outputs()) {
    declared_outputs.push_back({model.graph->value(id).name, model.graph->value(id).type, false});
  }
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
  s->declared_inputs_ = std::move(declared_inputs);
  s->declared_outputs_ = std::move(declared_outputs);
  const Graph& g = *s->model_.graph;
  for (int id : g.inputs()) {
    if (!g.value(id).is_initializer) s->required_inputs_.push_back(id);
  }
  std::vector<Device> placement;
  KILN_ASSIGN_OR_RETURN(placement, PlaceGraph(*s->model_.graph, s->options_.devices, reg,
                                              s->options_.strict_placement, &s->placement_,
                                              s->options_.graph_capture));
  KILN_ASSIGN_OR_RETURN(s->main_, Compile(g, s->options_, reg, &placement));
  if (profiler != nullptr) {
    AddSessionEvent(profiler.get(), "session_initialization", init_start);
    s->profiling_start_ns_ = profiler->start_epoch_ns();
    s->profiler_ = std::move(profiler);
    s->profiling_ = true;
  }
  return s;
}

void Session::StartProfiling() {
  std::lock_guard<std::mutex> lock(profile_mu_);
  profiler_ = std::make_shared<Profiler>();
  profiling_start_ns_ = profiler_->start_epoch_ns();
  profiling_ = true;
}

std::vector<ProfileEvent> Session::EndProfiling() {
  std::shared_ptr<Profiler> ended;
  {
    std::lock_guard<std::mutex> lock(profile_mu_);
    ended = std::move(profiler_);
    profiler_ = nullptr;
    profiling_ = false;
  }
  return ended != nullptr ? ended->Events() : std::vector<ProfileEvent>{};
}

bool Session::profiling() const { return profiling_; }

int64_t Session::profiling_start_ns() const {
  std::lock_guard<std::mutex> lock(profile_mu_);
  return profiling_start_ns_;
}

std::shared_ptr<Profiler> Session::ActiveProfiler() const {
  if (!profiling_) return nullptr;  // the common case: no lock
  std::lock_guard<std::mutex> lock(profile_mu_);
  return profiler_;
}

namespace {

// SessionOptions::intra_op_threads on the calling thread for one run.
class CpuThreadsScope {
 public:
  explicit CpuThreadsScope(int threads) {
    if (threads > 0) previous_ = SetCpuKernelThreads(threads);
  }
  ~CpuThreadsScope() {
    if (previous_ > 0) SetCpuKernelThreads(previous_);
  }

 private:
  int previous_ = 0;
};

}  // namespace

StatusOr<std::vector<NamedValue>> Session::Run(const std::vector<NamedValue>& inputs) const {
  const Graph& g = *model_.graph;
  CpuThreadsScope threads(options_.intra_op_threads > 0 ? options_.intra_op_threads
                                                         : DefaultCpuKernelThreads());
  std::shared_ptr<Profiler> profiler = ActiveProfiler();
  std::optional<ProfileRun> profile;
  int64_t run_start = 0;
  if (profiler != nullptr) {
    run_start = profiler->Now();
    profile.emplace();
    profile->profiler = profiler.get();
    profile->run = profiler->NextRun();
    profile->thread_id = CurrentThreadId();
  }
  Frame frame;
  frame.compiled = main_.get();
  frame.profile = profile ? &*profile : nullptr;
  frame.values.resize(g.values().size());
  frame.defined.assign(g.values().size(), false);
  for (const auto& [id, t] : g.initializers()) {
    frame.values[id] = AnyValue(t);
    frame.defined[id] = true;
  }
  KILN_RETURN_IF_ERROR(BindInputs(g, inputs, required_inputs_, frame.values, frame.defined));
  std::vector<std::string> names;
  std::vector<const AnyValue*> values;
  for (const NamedValue& nv : inputs) {
    names.push_back(nv.name);
    values.push_back(&nv.value);
  }
  auto ran = RunGraph(*main_, frame, Signature(names, values));
  if (profiler != nullptr) {
    profiler->Add(std::move(profile->events));
    AddSessionEvent(profiler.get(), "model_run", run_start, profile->run);
  }
  KILN_ASSIGN_OR_RETURN(std::vector<AnyValue> results, std::move(ran));
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

}  // namespace kiln
