#include "runtime/run_memory.h"

#include <algorithm>

namespace kiln {
namespace {

// Calls f(tensor) for every tensor held by `v` (itself, or the items of a sequence).
template <typename F>
void ForEachTensor(const AnyValue& v, F&& f) {
  if (v.is_tensor()) {
    if (v.tensor.defined()) f(v.tensor);
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
  for (AnyValue& item : v.sequence) ForEachTensorMut(item, f);
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
      views_(plannable_.size()) {}

Tensor RunRecorder::Allocate(const Node& node, int i, DataType, const std::vector<int64_t>&,
                             size_t) {
  const int v = node.outputs[i];
  if (v >= 0 && plannable_[v]) requested_[v] = true;
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
  RunPlan plan;
  plan.signature = signature;
  plan.offset.assign(n, -1);
  plan.bytes.assign(n, 0);
  plan.views = views_;
  for (size_t v = 0; v < n; ++v) {
    if (first_step_[v] < 0) continue;
    plan.requests.push_back({bytes_[v], first_step_[v], last[v]});
    plan.request_value.push_back(static_cast<int>(v));
  }
  KILN_ASSIGN_OR_RETURN(plan.plan, PlanMemory(plan.requests, kTensorAlignment));
  for (size_t r = 0; r < plan.requests.size(); ++r) {
    const int v = plan.request_value[r];
    plan.offset[v] = plan.plan.offsets[r];
    plan.bytes[v] = plan.requests[r].bytes;
  }
  return plan;
}

Tensor ArenaRun::Allocate(const Node& node, int i, DataType dtype, const std::vector<int64_t>& dims,
                          size_t nbytes) {
  const int v = node.outputs[i];
  if (v < 0 || plan_.offset[v] < 0 || static_cast<int64_t>(nbytes) > plan_.bytes[v]) {
    return Tensor();
  }
  auto t = Tensor::View(arena_, static_cast<size_t>(plan_.offset[v]), dtype, dims);
  return t.ok() ? std::move(t).value() : Tensor();
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
