#include "runtime/run_memory.h"

#include <algorithm>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define KILN_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define KILN_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define KILN_POISON(p, n) ((void)(p), (void)(n))
#define KILN_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace kiln {
namespace {

// Calls f(tensor) for every tensor held by `v` (itself, the items of a sequence, a map's keys and
// values).
template <typename F>
void ForEachTensor(const AnyValue& v, F&& f) {
  if (v.is_tensor()) {
    if (v.tensor.defined()) f(v.tensor);
    return;
  }
  if (v.is_map()) {
    if (v.map_keys.defined()) f(v.map_keys);
    if (v.map_values.defined()) f(v.map_values);
    return;
  }
  for (const AnyValue& item : v.sequence) ForEachTensor(item, f);
}

// As ForEachTensor, with mutable tensors.
template <typename F>
void ForEachTensorMut(AnyValue& v, F&& f) {
  if (v.is_tensor()) {
    if (v.tensor.defined()) f(v.tensor);
    return;
  }
  if (v.is_map()) {
    if (v.map_keys.defined()) f(v.map_keys);
    if (v.map_values.defined()) f(v.map_values);
    return;
  }
  for (AnyValue& item : v.sequence) ForEachTensorMut(item, f);
}

int64_t AlignmentOf(Device d) {
  return d == Device::kCpu ? kHostArenaAlignment : kDeviceArenaAlignment;
}

int64_t Padded(int64_t bytes, Device d) {
  const int64_t a = AlignmentOf(d);
  return (bytes + a - 1) / a * a;
}

void AddUnique(std::vector<int>& list, int v) {
  if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
}

}  // namespace

RunRecorder::RunRecorder(std::vector<bool> plannable, std::vector<int> last_use, int num_steps)
    : plannable_(std::move(plannable)),
      last_use_(std::move(last_use)),
      num_steps_(num_steps),
      requested_(plannable_.size(), false),
      bytes_(plannable_.size(), -1),
      device_(plannable_.size(), Device::kCpu),
      first_step_(plannable_.size(), -1),
      produced_(plannable_.size(), -1),
      views_(plannable_.size()),
      inplace_of_(plannable_.size(), -1),
      scratch_(static_cast<size_t>(std::max(num_steps, 0))),
      states_(static_cast<size_t>(std::max(num_steps, 0))) {}

std::vector<std::pair<DataType, std::vector<int64_t>>> InputShapes(
    const std::vector<const AnyValue*>& inputs) {
  std::vector<std::pair<DataType, std::vector<int64_t>>> shapes;
  shapes.reserve(inputs.size());
  for (const AnyValue* v : inputs) {
    if (v == nullptr) {
      shapes.push_back({DataType::kUndefined, {-1}});
    } else if (!v->is_tensor()) {
      shapes.push_back({DataType::kUndefined, {-2}});
    } else {
      shapes.push_back({v->tensor.dtype(), v->tensor.dims()});
    }
  }
  return shapes;
}

void RunRecorder::SetState(int step, std::shared_ptr<const KernelState> state,
                           const std::vector<const AnyValue*>& inputs) {
  if (step < 0 || step >= static_cast<int>(states_.size()) || state == nullptr) return;
  states_[step].state = std::move(state);
  states_[step].inputs = InputShapes(inputs);
}

void RunRecorder::BeginStep(int step, const KernelDef& def,
                            const std::vector<const AnyValue*>& inputs) {
  step_ = step;
  candidates_.clear();
  for (const auto& [in, out] : def.inplace) {
    if (in < 0 || in >= static_cast<int>(inputs.size()) || inputs[in] == nullptr) continue;
    if (!inputs[in]->is_tensor()) continue;
    const Tensor& t = inputs[in]->tensor;
    if (!t.defined() || t.storage() == nullptr) continue;
    const int o = OwnerOf(t.storage());
    // Only an input that is the whole of a recorded buffer (the value itself, or a full view of it
    // such as a Reshape) can be overwritten element by element.
    if (o < 0 || t.raw_data() != t.storage()->data() ||
        static_cast<int64_t>(t.nbytes()) != bytes_[o]) {
      continue;
    }
    candidates_.emplace_back(out, o);
  }
}

Tensor RunRecorder::Allocate(const Node& node, int i, DataType, const std::vector<int64_t>&,
                             size_t, Device) {
  const int v = node.outputs[i];
  if (v >= 0 && plannable_[v]) requested_[v] = true;
  return Tensor();  // the recording run allocates on the heap
}

Tensor RunRecorder::Scratch(const Node&, size_t nbytes, Device device) {
  if (step_ >= 0 && step_ < static_cast<int>(scratch_.size())) {
    scratch_[step_].emplace_back(static_cast<int64_t>(nbytes), device);
  }
  return Tensor();  // the recording run allocates on the heap
}

void RunRecorder::AfterStep(int step, const Node& node, const std::vector<AnyValue>& outputs) {
  for (size_t i = 0; i < node.outputs.size() && i < outputs.size(); ++i) {
    const int v = node.outputs[i];
    if (v == kNoValue) continue;
    const AnyValue& out = outputs[i];
    produced_[v] = step;
    const bool requested = requested_[v];
    requested_[v] = false;
    if (requested && out.is_tensor() && out.tensor.storage() &&
        OwnerOf(out.tensor.storage()) < 0) {
      owner_[out.tensor.storage().get()] = {out.tensor.storage(), v};
      bytes_[v] = static_cast<int64_t>(out.tensor.nbytes());
      device_[v] = out.tensor.device();
      first_step_[v] = step;
      for (const auto& [index, o] : candidates_) {
        if (index == static_cast<int>(i) && bytes_[o] == bytes_[v] && device_[o] == device_[v]) {
          inplace_of_[v] = o;
          break;
        }
      }
      continue;
    }
    ForEachTensor(out, [&](const Tensor& t) {
      const int o = OwnerOf(t.storage());
      if (o >= 0) AddUnique(views_[v], o);
    });
  }
}

int RunRecorder::OwnerOf(const std::shared_ptr<Storage>& s) const {
  if (s == nullptr) return -1;
  auto it = owner_.find(s.get());
  if (it == owner_.end() || it->second.first.lock() != s) return -1;
  return it->second.second;
}

StatusOr<RunPlan> RunRecorder::Finish(const std::string& signature,
                                      const std::vector<bool>& kept) const {
  const size_t n = plannable_.size();
  std::vector<int> last(n, -1);
  for (size_t v = 0; v < n; ++v) {
    if (first_step_[v] >= 0) last[v] = std::max(first_step_[v], last_use_[v]);
  }
  // A buffer lives as long as its last view: to the end of the run for a kept view.
  for (size_t w = 0; w < n; ++w) {
    for (int o : views_[w]) {
      const int until = kept[w] ? num_steps_ - 1 : std::max(last_use_[w], produced_[w]);
      last[o] = std::max(last[o], until);
    }
  }
  // Slots: a value written in place joins its input's slot when the step that writes it is the
  // last one to read the slot (its views included). In production order, so chains
  // (a -> b -> c, each in place) share one slot.
  std::vector<int> slot(n);
  for (size_t v = 0; v < n; ++v) slot[v] = static_cast<int>(v);
  std::vector<int> slot_last = last;
  std::vector<int> by_step;
  for (size_t v = 0; v < n; ++v) {
    if (first_step_[v] >= 0) by_step.push_back(static_cast<int>(v));
  }
  std::stable_sort(by_step.begin(), by_step.end(),
                   [&](int a, int b) { return first_step_[a] < first_step_[b]; });
  RunPlan plan;
  plan.states = states_;
  plan.arenas.emplace_back();  // the CPU's, always first
  auto arena_for = [&](Device d) {
    for (size_t k = 0; k < plan.arenas.size(); ++k) {
      if (plan.arenas[k].device == d) return static_cast<int>(k);
    }
    plan.arenas.emplace_back();
    plan.arenas.back().device = d;
    return static_cast<int>(plan.arenas.size() - 1);
  };
  for (int v : by_step) {
    const int o = inplace_of_[v];
    if (o < 0) continue;
    const int root = slot[o];
    if (slot_last[root] != first_step_[v] || bytes_[root] != bytes_[v]) continue;
    slot[v] = root;
    slot_last[root] = std::max(slot_last[root], last[v]);
    ++plan.arenas[arena_for(device_[v])].inplace_values;
  }
  plan.signature = signature;
  plan.arena.assign(n, -1);
  plan.offset.assign(n, -1);
  plan.bytes.assign(n, 0);
  plan.views = views_;
  plan.scratch.resize(scratch_.size());
  std::vector<int> request_of(n, -1);
  for (int v : by_step) {
    if (slot[v] != v) continue;
    RunArena& a = plan.arenas[arena_for(device_[v])];
    request_of[v] = static_cast<int>(a.requests.size());
    a.requests.push_back({bytes_[v], first_step_[v], slot_last[v]});
  }
  for (size_t step = 0; step < scratch_.size(); ++step) {
    for (const auto& [b, d] : scratch_[step]) {
      const int k = arena_for(d);
      plan.scratch[step].push_back({k, static_cast<int64_t>(plan.arenas[k].requests.size()), b});
      plan.arenas[k].requests.push_back({b, static_cast<int>(step), static_cast<int>(step)});
    }
  }
  for (RunArena& a : plan.arenas) {
    KILN_ASSIGN_OR_RETURN(a.plan, PlanMemory(a.requests, AlignmentOf(a.device)));
  }
  for (int v : by_step) {
    const int k = arena_for(device_[v]);
    RunArena& a = plan.arenas[k];
    const int r = request_of[slot[v]];
    plan.arena[v] = k;
    plan.offset[v] = a.plan.offsets[r];
    plan.bytes[v] = a.requests[r].bytes;
    ++a.planned_values;
    a.naive_bytes += Padded(bytes_[v], a.device);
  }
  for (auto& step : plan.scratch) {
    for (ScratchSlot& sc : step) {
      RunArena& a = plan.arenas[sc.arena];
      const int64_t r = sc.offset;  // the request index, until now
      sc.offset = a.plan.offsets[r];
      ++a.scratch_requests;
      a.naive_bytes += Padded(sc.bytes, a.device);
    }
  }
  return plan;
}

ArenaRun::ArenaRun(const RunPlan& plan, std::vector<std::shared_ptr<Storage>> arenas,
                   DeviceCloner clone)
    : plan_(plan), arenas_(std::move(arenas)), clone_(std::move(clone)) {
  for (const auto& a : arenas_) {
    if (a->device() == Device::kCpu) KILN_POISON(a->data(), a->bytes());
  }
}

ArenaRun::~ArenaRun() {
  for (const auto& a : arenas_) {
    if (a->device() == Device::kCpu) KILN_UNPOISON(a->data(), a->bytes());
  }
}

Tensor ArenaRun::Allocate(const Node& node, int i, DataType dtype, const std::vector<int64_t>& dims,
                          size_t nbytes, Device device) {
  const int v = node.outputs[i];
  if (v < 0 || plan_.arena[v] < 0 || static_cast<int64_t>(nbytes) > plan_.bytes[v] ||
      plan_.arenas[plan_.arena[v]].device != device) {
    if (device != Device::kCpu) ++device_heap_requests_;
    return Tensor();
  }
  return Place(plan_.arena[v], plan_.offset[v], dtype, dims, nbytes);
}

Tensor ArenaRun::Scratch(const Node&, size_t nbytes, Device device) {
  if (step_ < 0 || step_ >= static_cast<int>(plan_.scratch.size())) return Tensor();
  const auto& requests = plan_.scratch[step_];
  const size_t k = scratch_index_++;
  if (k >= requests.size() || static_cast<int64_t>(nbytes) > requests[k].bytes ||
      plan_.arenas[requests[k].arena].device != device) {
    if (device != Device::kCpu) ++device_heap_requests_;
    return Tensor();
  }
  return Place(requests[k].arena, requests[k].offset, DataType::kUint8,
               {static_cast<int64_t>(nbytes)}, nbytes);
}

Tensor ArenaRun::Place(int k, int64_t offset, DataType dtype, const std::vector<int64_t>& dims,
                       size_t nbytes) {
  const auto& arena = arenas_[k];
  auto t = Tensor::View(arena, static_cast<size_t>(offset), dtype, dims);
  if (!t.ok()) return Tensor();
  if (arena->device() == Device::kCpu) {
    KILN_UNPOISON(static_cast<char*>(arena->data()) + offset, nbytes);
  }
  return std::move(t).value();
}

const KernelState* ArenaRun::StateFor(int step, const std::vector<const AnyValue*>& inputs) const {
  if (step < 0 || step >= static_cast<int>(plan_.states.size())) return nullptr;
  const PreparedState& p = plan_.states[step];
  if (p.state == nullptr || p.inputs.size() != inputs.size()) return nullptr;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const AnyValue* v = inputs[i];
    const auto& [dtype, dims] = p.inputs[i];
    if (v == nullptr) {
      if (dtype != DataType::kUndefined || dims != std::vector<int64_t>{-1}) return nullptr;
    } else if (!v->is_tensor()) {
      if (dtype != DataType::kUndefined || dims != std::vector<int64_t>{-2}) return nullptr;
    } else if (v->tensor.dtype() != dtype || v->tensor.dims() != dims) {
      return nullptr;
    }
  }
  return p.state.get();
}

bool ArenaRun::InArena(const Tensor& t) const {
  for (const auto& a : arenas_) {
    if (t.storage() == a) return true;
  }
  return false;
}

bool ArenaRun::Covers(int value, const Tensor& t) const {
  if (!InArena(t)) return true;
  const int64_t begin = static_cast<const char*>(t.raw_data()) -
                        static_cast<const char*>(t.storage()->data());
  const int64_t end = begin + static_cast<int64_t>(t.nbytes());
  auto inside = [&](int slot) {
    return plan_.arena[slot] >= 0 && arenas_[plan_.arena[slot]] == t.storage() &&
           begin >= plan_.offset[slot] && end <= plan_.offset[slot] + plan_.bytes[slot];
  };
  if (inside(value)) return true;
  for (int o : plan_.views[value]) {
    if (inside(o)) return true;
  }
  return false;
}

StatusOr<Tensor> ArenaRun::CloneOut(const Tensor& t) const {
  if (t.device() == Device::kCpu) return t.Clone();
  if (!clone_) return Internal("a device tensor in the arena and no device to copy it with");
  return clone_(t);
}

Status ArenaRun::AfterStep(const Node& node, std::vector<AnyValue>& outputs) const {
  Status status;
  for (size_t i = 0; i < node.outputs.size() && i < outputs.size(); ++i) {
    const int v = node.outputs[i];
    if (v == kNoValue) continue;
    ForEachTensorMut(outputs[i], [&](Tensor& t) {
      if (!status.ok() || Covers(v, t)) return;
      auto c = CloneOut(t);
      if (c.ok()) {
        t = std::move(c).value();
      } else {
        status = c.status();
      }
    });
  }
  return status;
}

Status ArenaRun::Detach(AnyValue& v) const {
  Status status;
  ForEachTensorMut(v, [&](Tensor& t) {
    if (!status.ok() || !InArena(t)) return;
    auto c = CloneOut(t);
    if (c.ok()) {
      t = std::move(c).value();
    } else {
      status = c.status();
    }
  });
  return status;
}

std::shared_ptr<PlanCache::Entry> PlanCache::Find(const std::string& signature) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& e : entries_) {
    if (e->plan.signature == signature) return e;
  }
  return nullptr;
}

std::shared_ptr<PlanCache::Entry> PlanCache::Insert(RunPlan plan) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& e : entries_) {
    if (e->plan.signature == plan.signature) return e;
  }
  auto e = std::make_shared<Entry>();
  e->plan = std::move(plan);
  entries_.push_back(e);
  if (entries_.size() > capacity_) entries_.erase(entries_.begin());
  return e;
}

std::vector<std::shared_ptr<PlanCache::Entry>> PlanCache::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_;
}

StatusOr<std::vector<std::shared_ptr<Storage>>> PlanCache::Acquire(Entry& e,
                                                                   const ArenaAllocator& allocate) {
  {
    std::lock_guard<std::mutex> lock(e.mu);
    if (!e.free.empty()) {
      auto a = std::move(e.free.back());
      e.free.pop_back();
      return a;
    }
  }
  std::vector<std::shared_ptr<Storage>> arenas;
  for (const RunArena& a : e.plan.arenas) {
    KILN_ASSIGN_OR_RETURN(auto storage,
                          allocate(a.device, static_cast<size_t>(a.plan.arena_bytes)));
    arenas.push_back(std::move(storage));
  }
  return arenas;
}

void PlanCache::Release(Entry& e, std::vector<std::shared_ptr<Storage>> arenas) {
  std::lock_guard<std::mutex> lock(e.mu);
  e.free.push_back(std::move(arenas));
}

}  // namespace kiln
