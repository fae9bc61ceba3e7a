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

int64_t Padded(int64_t bytes) {
  const int64_t a = static_cast<int64_t>(kTensorAlignment);
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
      first_step_(plannable_.size(), -1),
      produced_(plannable_.size(), -1),
      views_(plannable_.size()),
      inplace_of_(plannable_.size(), -1),
      scratch_(static_cast<size_t>(std::max(num_steps, 0))) {}

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
                             size_t) {
  const int v = node.outputs[i];
  if (v >= 0 && plannable_[v]) requested_[v] = true;
  return Tensor();  // the recording run allocates on the heap
}

Tensor RunRecorder::Scratch(const Node&, size_t nbytes) {
  if (step_ >= 0 && step_ < static_cast<int>(scratch_.size())) {
    scratch_[step_].push_back(static_cast<int64_t>(nbytes));
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
      first_step_[v] = step;
      for (const auto& [index, o] : candidates_) {
        if (index == static_cast<int>(i) && bytes_[o] == bytes_[v]) {
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
  for (int v : by_step) {
    const int o = inplace_of_[v];
    if (o < 0) continue;
    const int root = slot[o];
    if (slot_last[root] != first_step_[v] || bytes_[root] != bytes_[v]) continue;
    slot[v] = root;
    slot_last[root] = std::max(slot_last[root], last[v]);
    ++plan.inplace_values;
  }
  plan.signature = signature;
  plan.offset.assign(n, -1);
  plan.bytes.assign(n, 0);
  plan.views = views_;
  plan.scratch.resize(scratch_.size());
  std::vector<int> request_of(n, -1);
  for (int v : by_step) {
    if (slot[v] != v) continue;
    request_of[v] = static_cast<int>(plan.requests.size());
    plan.requests.push_back({bytes_[v], first_step_[v], slot_last[v]});
  }
  const size_t value_requests = plan.requests.size();
  for (size_t step = 0; step < scratch_.size(); ++step) {
    for (int64_t b : scratch_[step]) {
      plan.requests.push_back({b, static_cast<int>(step), static_cast<int>(step)});
    }
  }
  KILN_ASSIGN_OR_RETURN(plan.plan, PlanMemory(plan.requests, kTensorAlignment));
  for (int v : by_step) {
    const int r = request_of[slot[v]];
    plan.offset[v] = plan.plan.offsets[r];
    plan.bytes[v] = plan.requests[r].bytes;
    ++plan.planned_values;
    plan.naive_bytes += Padded(bytes_[v]);
  }
  size_t r = value_requests;
  for (size_t step = 0; step < scratch_.size(); ++step) {
    for (size_t k = 0; k < scratch_[step].size(); ++k, ++r) {
      plan.scratch[step].emplace_back(plan.plan.offsets[r], plan.requests[r].bytes);
      ++plan.scratch_requests;
      plan.naive_bytes += Padded(plan.requests[r].bytes);
    }
  }
  return plan;
}

ArenaRun::ArenaRun(const RunPlan& plan, std::shared_ptr<Storage> arena)
    : plan_(plan), arena_(std::move(arena)) {
  KILN_POISON(arena_->data(), arena_->bytes());
}

ArenaRun::~ArenaRun() { KILN_UNPOISON(arena_->data(), arena_->bytes()); }

Tensor ArenaRun::Allocate(const Node& node, int i, DataType dtype, const std::vector<int64_t>& dims,
                          size_t nbytes) {
  const int v = node.outputs[i];
  if (v < 0 || plan_.offset[v] < 0 || static_cast<int64_t>(nbytes) > plan_.bytes[v]) {
    return Tensor();
  }
  return Place(plan_.offset[v], dtype, dims, nbytes);
}

Tensor ArenaRun::Scratch(const Node&, size_t nbytes) {
  if (step_ < 0 || step_ >= static_cast<int>(plan_.scratch.size())) return Tensor();
  const auto& requests = plan_.scratch[step_];
  const size_t k = scratch_index_++;
  if (k >= requests.size() || static_cast<int64_t>(nbytes) > requests[k].second) return Tensor();
  return Place(requests[k].first, DataType::kUint8, {static_cast<int64_t>(nbytes)}, nbytes);
}

Tensor ArenaRun::Place(int64_t offset, DataType dtype, const std::vector<int64_t>& dims,
                       size_t nbytes) {
  auto t = Tensor::View(arena_, static_cast<size_t>(offset), dtype, dims);
  if (!t.ok()) return Tensor();
  KILN_UNPOISON(static_cast<char*>(arena_->data()) + offset, nbytes);
  return std::move(t).value();
}

bool ArenaRun::Covers(int value, const Tensor& t) const {
  if (t.storage() != arena_) return true;  // not in the arena
  const int64_t begin =
      static_cast<const char*>(t.raw_data()) - static_cast<const char*>(arena_->data());
  const int64_t end = begin + static_cast<int64_t>(t.nbytes());
  auto inside = [&](int slot) {
    return plan_.offset[slot] >= 0 && begin >= plan_.offset[slot] &&
           end <= plan_.offset[slot] + plan_.bytes[slot];
  };
  if (inside(value)) return true;
  for (int o : plan_.views[value]) {
    if (inside(o)) return true;
  }
  return false;
}

void ArenaRun::AfterStep(const Node& node, std::vector<AnyValue>& outputs) const {
  for (size_t i = 0; i < node.outputs.size() && i < outputs.size(); ++i) {
    const int v = node.outputs[i];
    if (v == kNoValue) continue;
    ForEachTensorMut(outputs[i], [&](Tensor& t) {
      if (!Covers(v, t)) t = t.Clone();
    });
  }
}

void ArenaRun::Detach(AnyValue& v) const {
  ForEachTensorMut(v, [&](Tensor& t) {
    if (t.storage() == arena_) t = t.Clone();
  });
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

StatusOr<std::shared_ptr<Storage>> PlanCache::Acquire(Entry& e) {
  {
    std::lock_guard<std::mutex> lock(e.mu);
    if (!e.free.empty()) {
      auto a = std::move(e.free.back());
      e.free.pop_back();
      return a;
    }
  }
  return Storage::AllocateUninitialized(static_cast<size_t>(e.plan.plan.arena_bytes));
}

void PlanCache::Release(Entry& e, std::shared_ptr<Storage> arena) {
  std::lock_guard<std::mutex> lock(e.mu);
  e.free.push_back(std::move(arena));
}

}  // namespace kiln
