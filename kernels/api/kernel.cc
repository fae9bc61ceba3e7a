#include "kernels/api/kernel.h"

#include <algorithm>
#include <cstring>
#include <tuple>

namespace kiln {

const std::vector<DataType> kFloatTypes = {DataType::kFloat, DataType::kDouble, DataType::kFloat16,
                                           DataType::kBFloat16};
const std::vector<DataType> kSignedIntTypes = {DataType::kInt8, DataType::kInt16, DataType::kInt32,
                                               DataType::kInt64};
const std::vector<DataType> kUnsignedIntTypes = {DataType::kUint8, DataType::kUint16,
                                                 DataType::kUint32, DataType::kUint64};
const std::vector<DataType> kIntTypes = {DataType::kInt8,   DataType::kInt16, DataType::kInt32,
                                         DataType::kInt64,  DataType::kUint8, DataType::kUint16,
                                         DataType::kUint32, DataType::kUint64};
const std::vector<DataType> kNumericTypes = {
    DataType::kFloat, DataType::kDouble, DataType::kFloat16, DataType::kBFloat16,
    DataType::kInt8,  DataType::kInt16,  DataType::kInt32,   DataType::kInt64,
    DataType::kUint8, DataType::kUint16, DataType::kUint32,  DataType::kUint64};
const std::vector<DataType> kAllTensorTypes = [] {
  std::vector<DataType> v;
  for (int32_t i = 1; i <= kMaxDataType; ++i) v.push_back(static_cast<DataType>(i));
  return v;
}();

std::string KernelDef::ToString() const {
  std::string s = domain.empty() ? "" : domain + "::";
  s += op_type + "@" + std::to_string(since_version);
  if (end_version == kMaxOpset) {
    s += "+";
  } else if (end_version != since_version) {
    s += "-" + std::to_string(end_version);
  }
  return s + " (" + DeviceName(device) + ")";
}

Device KernelDef::InputDevice(int i) const {
  if (device == Device::kCpu) return Device::kCpu;
  return std::find(host_inputs.begin(), host_inputs.end(), i) != host_inputs.end() ? Device::kCpu
                                                                                  : device;
}

Device KernelDef::OutputDevice(int i) const {
  if (device == Device::kCpu) return Device::kCpu;
  return std::find(host_outputs.begin(), host_outputs.end(), i) != host_outputs.end()
             ? Device::kCpu
             : device;
}

static const TypeInfo kUnknownType;

const TypeInfo& KernelInfo::input_type(int i) const {
  if (!has_input(i)) return kUnknownType;
  return graph_.value(node_.inputs[i]).type;
}

const TypeInfo& KernelInfo::output_type(int i) const {
  if (!has_output(i)) return kUnknownType;
  return graph_.value(node_.outputs[i]).type;
}

const Attribute* KernelInfo::Find(const std::string& name, AttrType want) const {
  const Attribute* a = node_.FindAttribute(name);
  if (a == nullptr) return nullptr;
  if (a->type != want) {
    if (status_.ok()) {
      status_ = InvalidModel("attribute '" + name + "' has type " + AttrTypeName(a->type) +
                             ", expected " + AttrTypeName(want));
    }
    return nullptr;
  }
  return a;
}

int64_t KernelInfo::GetInt(const std::string& name, int64_t def) const {
  const Attribute* a = Find(name, AttrType::kInt);
  return a ? a->i : def;
}
float KernelInfo::GetFloat(const std::string& name, float def) const {
  const Attribute* a = Find(name, AttrType::kFloat);
  return a ? a->f : def;
}
std::string KernelInfo::GetString(const std::string& name, const std::string& def) const {
  const Attribute* a = Find(name, AttrType::kString);
  return a ? a->s : def;
}
std::vector<int64_t> KernelInfo::GetInts(const std::string& name, std::vector<int64_t> def) const {
  const Attribute* a = Find(name, AttrType::kInts);
  return a ? a->ints : def;
}
std::vector<float> KernelInfo::GetFloats(const std::string& name, std::vector<float> def) const {
  const Attribute* a = Find(name, AttrType::kFloats);
  return a ? a->floats : def;
}
std::vector<std::string> KernelInfo::GetStrings(const std::string& name,
                                                std::vector<std::string> def) const {
  const Attribute* a = Find(name, AttrType::kStrings);
  return a ? a->strings : def;
}
const Tensor* KernelInfo::GetTensor(const std::string& name) const {
  const Attribute* a = Find(name, AttrType::kTensor);
  return a ? &a->t : nullptr;
}
const Graph* KernelInfo::GetGraph(const std::string& name) const {
  const Attribute* a = Find(name, AttrType::kGraph);
  return a ? a->g.get() : nullptr;
}

Status KernelInfo::Error(StatusCode code, const std::string& msg) const {
  return Status(code, "node " + node_.Describe() + ": " + msg);
}

StatusOr<Tensor*> KernelContext::Output(int i, DataType dtype, std::vector<int64_t> dims) {
  if (i < 0 || i >= num_outputs()) {
    return Error(StatusCode::kInternal, "kernel wrote output " + std::to_string(i) + " of " +
                                            std::to_string(num_outputs()));
  }
  const Device device = def_ != nullptr && backend_ != nullptr ? def_->OutputDevice(i) : Device::kCpu;
  if (device != Device::kCpu && dtype == DataType::kString) {
    return Error(StatusCode::kInternal, "string output " + std::to_string(i) + " on " +
                                            DeviceName(device));
  }
  auto n = CheckedNumElements(dims);
  auto bytes = n.ok() ? CheckedByteSize(dtype, *n) : StatusOr<size_t>(n.status());
  if (!bytes.ok()) {
    return bytes.status().WithPrefix("node " + node_.Describe() + ": output " + std::to_string(i));
  }
  if (allocator_ != nullptr && dtype != DataType::kString && node_.outputs[i] != kNoValue) {
    Tensor planned = allocator_->Allocate(node_, i, dtype, dims, *bytes, device);
    if (planned.defined()) {
      (*outputs_)[i] = AnyValue(std::move(planned));
      return &(*outputs_)[i].tensor;
    }
  }
  if (device != Device::kCpu) {
    auto storage = backend_->Allocate(*bytes);
    if (!storage.ok()) {
      return storage.status().WithPrefix("node " + node_.Describe() + ": output " +
                                         std::to_string(i));
    }
    auto t = Tensor::View(std::move(storage).value(), 0, dtype, std::move(dims));
    if (!t.ok()) return t.status().WithPrefix("node " + node_.Describe());
    (*outputs_)[i] = AnyValue(std::move(t).value());
    return &(*outputs_)[i].tensor;
  }
  auto t = Tensor::Create(dtype, std::move(dims));
  if (!t.ok())
    return t.status().WithPrefix("node " + node_.Describe() + ": output " + std::to_string(i));
  (*outputs_)[i] = AnyValue(std::move(t).value());
  return &(*outputs_)[i].tensor;
}

StatusOr<Tensor*> KernelContext::OutputZeroed(int i, DataType dtype, std::vector<int64_t> dims) {
  KILN_ASSIGN_OR_RETURN(Tensor * t, Output(i, dtype, std::move(dims)));
  if (t->dtype() == DataType::kString || t->nbytes() == 0) return t;
  if (t->device() != Device::kCpu) {
    Status s = stream_->Fill(t->raw_data(), 0, t->nbytes());
    if (!s.ok()) return s.WithPrefix("node " + node_.Describe());
  } else {
    std::memset(t->raw_data(), 0, t->nbytes());
  }
  return t;
}

StatusOr<Tensor> KernelContext::Scratch(size_t nbytes) {
  const Device device = this->device();
  if (allocator_ != nullptr) {
    Tensor planned = allocator_->Scratch(node_, nbytes, device);
    if (planned.defined()) return planned;
  }
  auto storage = device != Device::kCpu ? backend_->Allocate(nbytes)
                                        : Storage::AllocateUninitialized(nbytes);
  if (!storage.ok()) return storage.status().WithPrefix("node " + node_.Describe() + ": scratch");
  auto t =
      Tensor::View(std::move(storage).value(), 0, DataType::kUint8, {static_cast<int64_t>(nbytes)});
  if (!t.ok()) return t.status().WithPrefix("node " + node_.Describe() + ": scratch");
  return t;
}

Status KernelContext::SetOutput(int i, AnyValue value) {
  if (i < 0 || i >= num_outputs()) {
    return Error(StatusCode::kInternal,
                 "kernel set output " + std::to_string(i) + " of " + std::to_string(num_outputs()));
  }
  (*outputs_)[i] = std::move(value);
  return Status::Ok();
}

StatusOr<std::vector<AnyValue>> KernelContext::RunSubgraph(const Graph& graph,
                                                           const std::vector<AnyValue>& inputs) {
  if (subgraphs_ == nullptr) return Error(StatusCode::kInternal, "no subgraph runner");
  auto r = subgraphs_->Run(graph, inputs);
  if (!r.ok()) return r.status().WithPrefix("in subgraph of node " + node_.Describe());
  return r;
}

Status KernelContext::Error(StatusCode code, const std::string& msg) const {
  return Status(code, "node " + node_.Describe() + ": " + msg);
}

KernelFactory Stateless(FunctionKernel::Fn fn) {
  return [fn](const KernelInfo&) -> StatusOr<std::unique_ptr<Kernel>> {
    return std::unique_ptr<Kernel>(new FunctionKernel(fn));
  };
}

void KernelRegistry::Register(KernelDef def, KernelFactory factory) {
  for (const Entry& e : entries_) {
    if (e.def.domain == def.domain && e.def.op_type == def.op_type && e.def.device == def.device &&
        e.def.since_version <= def.end_version && def.since_version <= e.def.end_version) {
      if (status_.ok()) {
        status_ =
            Internal("kernel registration " + def.ToString() + " overlaps " + e.def.ToString());
      }
      return;
    }
  }
  if (def.since_version > def.end_version && status_.ok()) {
    status_ = Internal("kernel registration " + def.ToString() + " has an empty opset range");
    return;
  }
  entries_.push_back({std::move(def), std::move(factory)});
}

StatusOr<const KernelRegistry::Entry*> KernelRegistry::Find(const std::string& domain,
                                                            const std::string& op_type, int opset,
                                                            Device device) const {
  const std::string dom = domain == "ai.onnx" ? "" : domain;
  std::string rejected;
  for (const Entry& e : entries_) {
    if (e.def.domain != dom || e.def.op_type != op_type) continue;
    if (e.def.device != device) {
      rejected += " " + e.def.ToString() + ": other device;";
      continue;
    }
    if (opset < e.def.since_version || opset > e.def.end_version) {
      rejected += " " + e.def.ToString() + ": opset " + std::to_string(opset) + " out of range;";
      continue;
    }
    return &e;
  }
  std::string what = (dom.empty() ? "" : dom + "::") + op_type + "@" + std::to_string(opset);
  if (rejected.empty())
    return Unsupported("no " + std::string(DeviceName(device)) + " kernel for " + what);
  rejected.pop_back();
  return Unsupported("no " + std::string(DeviceName(device)) + " kernel for " + what +
                     "; candidates:" + rejected);
}

void KernelRegistry::RegisterDevice(std::shared_ptr<const DeviceBackend> backend) {
  if (backend == nullptr || backend->device() == Device::kCpu) {
    if (status_.ok()) status_ = Internal("RegisterDevice: a backend of a device other than cpu");
    return;
  }
  if (Backend(backend->device()) != nullptr) {
    if (status_.ok()) {
      status_ = Internal(std::string("device ") + DeviceName(backend->device()) +
                         " registered twice");
    }
    return;
  }
  const Device d = backend->device();
  backends_.push_back(std::move(backend));
  RegisterCopyKernels(*this, d);
}

const DeviceBackend* KernelRegistry::Backend(Device device) const {
  for (const auto& b : backends_) {
    if (b->device() == device) return b.get();
  }
  return nullptr;
}

std::vector<const KernelRegistry::Entry*> KernelRegistry::Sorted() const {
  std::vector<const Entry*> v;
  for (const Entry& e : entries_) v.push_back(&e);
  std::sort(v.begin(), v.end(), [](const Entry* a, const Entry* b) {
    return std::tie(a->def.domain, a->def.op_type, a->def.device, a->def.since_version) <
           std::tie(b->def.domain, b->def.op_type, b->def.device, b->def.since_version);
  });
  return v;
}

Status CheckInputTypes(const KernelDef& def, const Node& node,
                       const std::vector<const AnyValue*>& inputs) {
  for (const TypeConstraint& tc : def.type_constraints) {
    DataType first = DataType::kUndefined;
    int first_index = -1;
    auto check = [&](int i) -> Status {
      if (i >= static_cast<int>(inputs.size()) || inputs[i] == nullptr || !inputs[i]->is_tensor()) {
        return Status::Ok();
      }
      DataType t = inputs[i]->tensor.dtype();
      if (std::find(tc.allowed.begin(), tc.allowed.end(), t) == tc.allowed.end()) {
        std::string allowed;
        for (DataType a : tc.allowed)
          allowed += std::string(allowed.empty() ? "" : ", ") + DataTypeName(a);
        return Unsupported("node " + node.Describe() + ": input " + std::to_string(i) +
                           " has element type " + DataTypeName(t) + "; " + tc.name + " accepts " +
                           allowed);
      }
      if (first == DataType::kUndefined) {
        first = t;
        first_index = i;
      } else if (t != first) {
        return InvalidArgument("node " + node.Describe() + ": inputs " +
                               std::to_string(first_index) + " and " + std::to_string(i) +
                               " must have the same element type (" + tc.name + "), got " +
                               DataTypeName(first) + " and " + DataTypeName(t));
      }
      return Status::Ok();
    };
    if (tc.inputs.size() == 1 && tc.inputs[0] == -1) {
      for (int i = 0; i < static_cast<int>(inputs.size()); ++i) KILN_RETURN_IF_ERROR(check(i));
    } else {
      for (int i : tc.inputs) KILN_RETURN_IF_ERROR(check(i));
    }
  }
  return Status::Ok();
}

}  // namespace kiln
