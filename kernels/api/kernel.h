// The kernel interface: how an operator implementation plugs into kiln.
//
// A kernel family file (kernels/cpu/binary.cc, ...) exposes RegisterXKernels(KernelRegistry&)
// and kernels/cpu/register.cc calls them all: the one place that lists every CPU op. A registration
// is a KernelDef (what the kernel accepts) plus a factory.
//
// Lifetimes:
//  1. create — the factory runs once per node per Session with a KernelInfo: parse attributes,
//     pre-pack constant inputs. The Kernel is immutable afterwards.
//  2. prepare — Kernel::Prepare, on the first run with a new set of graph input shapes (the run
//     the memory plan records, runtime/run_memory.h): the kernel may compute what depends only
//     on its input shapes (cuDNN descriptors and algorithm) into a KernelState. Later runs with
//     those shapes find it in KernelContext::state(), read-only, without a lock. What a kernel
//     allocates through KernelContext::Output and KernelContext::Scratch on that first run is
//     planned into the session's arena for later runs the same way.
//  3. run — Kernel::Run(KernelContext&) reads inputs and writes outputs. Run is const and may be
//     called from several threads at once with different contexts.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ir/graph.h"
#include "ir/status.h"
#include "ir/tensor.h"
#include "kernels/api/device.h"

namespace kiln {

constexpr int kMaxOpset = 1 << 20;

// Element types a kernel accepts for one type parameter ("T") and the inputs/outputs it binds.
struct TypeConstraint {
  std::string name;
  std::vector<int> inputs;  // input indices bound to this parameter (-1: all inputs, variadic)
  std::vector<DataType> allowed;
};

// What a kernel accepts. Built fluently:
//   KernelDef("Add").Opsets(7, 12).Types("T", {0, 1}, kNumericTypes).Inplace(0, 0)
struct KernelDef {
  std::string domain;  // "" is ai.onnx
  std::string op_type;
  int since_version = 1;
  int end_version = kMaxOpset;  // inclusive
  Device device = Device::kCpu;
  std::vector<TypeConstraint> type_constraints;
  // (input, output): the output may be written into the input's buffer. The planner uses it only
  // when this node is the buffer's last reader, the input is no graph input, output or constant,
  // and both have the same byte size; the kernel must then be correct with Y and X at the same
  // address (element i of Y written only after element i of X, and nothing else, was read).
  std::vector<std::pair<int, int>> inplace;
  std::vector<std::pair<int, int>> aliases;  // (input, output): output is a view of input
  // Inputs a kernel of another device reads on the host (shape tensors: Reshape's shape). The
  // placement step copies them to the host when they were computed on the device.
  std::vector<int> host_inputs;
  // Outputs a kernel of another device writes in host memory (Shape's result, MemcpyToHost).
  std::vector<int> host_outputs;

  explicit KernelDef(std::string op, std::string dom = "") : domain(std::move(dom)), op_type(std::move(op)) {}
  KernelDef& Opsets(int since, int end = kMaxOpset) {
    since_version = since;
    end_version = end;
    return *this;
  }
  KernelDef& OnDevice(Device d) {
    device = d;
    return *this;
  }
  KernelDef& Types(std::string name, std::vector<int> inputs, std::vector<DataType> allowed) {
    type_constraints.push_back({std::move(name), std::move(inputs), std::move(allowed)});
    return *this;
  }
  KernelDef& Inplace(int input, int output) {
    inplace.emplace_back(input, output);
    return *this;
  }
  KernelDef& Alias(int input, int output) {
    aliases.emplace_back(input, output);
    return *this;
  }
  KernelDef& HostInputs(std::vector<int> inputs) {
    host_inputs = std::move(inputs);
    return *this;
  }
  KernelDef& HostOutputs(std::vector<int> outputs) {
    host_outputs = std::move(outputs);
    return *this;
  }
  // Where input / output i lives: the host for the CPU, host_inputs and host_outputs; else device.
  Device InputDevice(int i) const;
  Device OutputDevice(int i) const;
  // "Add@7-12 (cpu)"
  std::string ToString() const;
};

// Common type lists for constraints.
extern const std::vector<DataType> kFloatTypes;          // float, double, float16, bfloat16
extern const std::vector<DataType> kSignedIntTypes;      // int8..int64
extern const std::vector<DataType> kUnsignedIntTypes;    // uint8..uint64
extern const std::vector<DataType> kIntTypes;            // both
extern const std::vector<DataType> kNumericTypes;        // floats + ints
extern const std::vector<DataType> kAllTensorTypes;      // numeric + bool + string + complex + ...

// What a factory sees of its node at create time.
class KernelInfo {
 public:
  KernelInfo(const Node& node, const Graph& graph, const std::vector<const Tensor*>& constants,
             std::optional<uint64_t> random_seed = std::nullopt)
      : node_(node), graph_(graph), constants_(constants), random_seed_(random_seed) {}

  const Node& node() const { return node_; }
  const Graph& graph() const { return graph_; }
  // SessionOptions::random_seed: where set, random ops without a `seed` attribute derive their
  // generator from it (and the node), so a session's runs are reproducible.
  std::optional<uint64_t> random_seed() const { return random_seed_; }
  // The device backend the kernel runs on (nullptr on the CPU), e.g. to upload packed weights.
  const DeviceBackend* backend() const { return backend_; }
  void set_backend(const DeviceBackend* b) { backend_ = b; }
  // SessionOptions::allow_tf32: float32 matrix products and convolutions may round their inputs
  // to TF32 on GPUs that have it.
  bool allow_tf32() const { return allow_tf32_; }
  void set_allow_tf32(bool v) { allow_tf32_ = v; }
  const std::string& op_type() const { return node_.op_type; }
  int opset() const { return node_.opset; }
  int num_inputs() const { return static_cast<int>(node_.inputs.size()); }
  int num_outputs() const { return static_cast<int>(node_.outputs.size()); }
  bool has_input(int i) const { return i < num_inputs() && node_.inputs[i] != kNoValue; }
  bool has_output(int i) const { return i < num_outputs() && node_.outputs[i] != kNoValue; }
  // The constant value of input i (an initializer) or nullptr.
  const Tensor* constant_input(int i) const {
    return i < static_cast<int>(constants_.size()) ? constants_[i] : nullptr;
  }
  // The declared type of input / output i (kind kUnknown when not declared).
  const TypeInfo& input_type(int i) const;
  const TypeInfo& output_type(int i) const;

  // Attribute getters: the default when absent; a type mismatch records an error that the
  // Session reports after the factory returns (see status()).
  bool HasAttr(const std::string& name) const { return node_.FindAttribute(name) != nullptr; }
  int64_t GetInt(const std::string& name, int64_t def) const;
  float GetFloat(const std::string& name, float def) const;
  std::string GetString(const std::string& name, const std::string& def) const;
  std::vector<int64_t> GetInts(const std::string& name, std::vector<int64_t> def = {}) const;
  std::vector<float> GetFloats(const std::string& name, std::vector<float> def = {}) const;
  std::vector<std::string> GetStrings(const std::string& name,
                                      std::vector<std::string> def = {}) const;
  const Tensor* GetTensor(const std::string& name) const;  // nullptr when absent
  const Graph* GetGraph(const std::string& name) const;    // nullptr when absent

  // Errors prefixed with the node: "node 'x' (Op, opset N): msg".
  Status Error(StatusCode code, const std::string& msg) const;
  Status InvalidModel(const std::string& msg) const { return Error(StatusCode::kInvalidModel, msg); }
  Status Unsupported(const std::string& msg) const { return Error(StatusCode::kUnsupported, msg); }
  // The first attribute-type error recorded by a getter.
  const Status& status() const { return status_; }

 private:
  const Attribute* Find(const std::string& name, AttrType want) const;
  const Node& node_;
  const Graph& graph_;
  const std::vector<const Tensor*>& constants_;
  std::optional<uint64_t> random_seed_;
  const DeviceBackend* backend_ = nullptr;
  bool allow_tf32_ = false;
  mutable Status status_;
};

// Runs a subgraph (If/Loop/Scan bodies) in the scope of the calling node; provided by the runtime.
class SubgraphRunner {
 public:
  virtual ~SubgraphRunner() = default;
  // Runs `graph` with its formal inputs bound to `inputs`; returns its outputs in order.
  virtual StatusOr<std::vector<AnyValue>> Run(const Graph& graph,
                                              const std::vector<AnyValue>& inputs) = 0;
};

// What Kernel::Prepare computed for one set of input shapes; each kernel derives its own.
class KernelState {
 public:
  virtual ~KernelState() = default;
};

// Where KernelContext::Output places a node's outputs: the session's memory plan.
class OutputAllocator {
 public:
  virtual ~OutputAllocator() = default;
  // Memory on `device` for output `i` of `node` (`nbytes` bytes, never a string tensor); an
  // undefined Tensor means "allocate it on the heap" (the device backend's, off the CPU).
  virtual Tensor Allocate(const Node& node, int i, DataType dtype,
                          const std::vector<int64_t>& dims, size_t nbytes, Device device) = 0;
  // Temporary memory of `nbytes` on `device` for the node now running; an undefined Tensor means
  // "allocate it on the heap".
  virtual Tensor Scratch(const Node& node, size_t nbytes, Device device) { return Tensor(); }
};

// What a kernel sees while it runs.
class KernelContext {
 public:
  KernelContext(const Node& node, std::vector<const AnyValue*> inputs,
                std::vector<AnyValue>* outputs, SubgraphRunner* subgraphs,
                OutputAllocator* allocator = nullptr)
      : node_(node),
        inputs_(std::move(inputs)),
        outputs_(outputs),
        subgraphs_(subgraphs),
        allocator_(allocator) {}

  const Node& node() const { return node_; }
  int opset() const { return node_.opset; }
  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  int num_outputs() const { return static_cast<int>(outputs_->size()); }
  // Off the CPU: the kernel's definition (where its outputs live), its device's backend and the
  // run's stream on that device. Set by the runtime before Run; CPU kernels never see them.
  void SetDevice(const KernelDef* def, const DeviceBackend* backend, DeviceStream* stream) {
    def_ = def;
    backend_ = backend;
    stream_ = stream;
  }
  // The device the kernel runs on (kCpu unless SetDevice was given a device kernel).
  Device device() const { return backend_ != nullptr ? backend_->device() : Device::kCpu; }
  const DeviceBackend* backend() const { return backend_; }
  // The run's stream on the kernel's device; nullptr on the CPU.
  DeviceStream* stream() const { return stream_; }
  // The state this kernel's Prepare made for exactly these input shapes and element types, or
  // nullptr (no memory plan yet, planning off, or shapes that differ from the prepared ones): the
  // kernel then computes what it needs itself. `T` is the kernel's own KernelState class.
  template <typename T>
  const T* state() const {
    return static_cast<const T*>(state_);
  }
  void set_state(const KernelState* s) { state_ = s; }
  // True when input i is given (not omitted).
  bool has_input(int i) const { return i < num_inputs() && inputs_[i] != nullptr; }
  // Input i as a tensor; nullptr when omitted or not a tensor.
  const Tensor* Input(int i) const {
    return has_input(i) && inputs_[i]->is_tensor() ? &inputs_[i]->tensor : nullptr;
  }
  // Input i of any kind; nullptr when omitted.
  const AnyValue* InputValue(int i) const { return has_input(i) ? inputs_[i] : nullptr; }
  // False when the model omits output i (the kernel may skip computing it).
  bool output_requested(int i) const { return i < num_outputs() && node_.outputs[i] != kNoValue; }

  // Allocates output i: in device memory for a device kernel (unless the definition puts the
  // output on the host), else in host memory. Its bytes are NOT initialized (they may come from
  // the session's arena, holding an earlier value's data, or a poison pattern in tests): a kernel
  // writes every element, or asks for OutputZeroed. Errors name the node (e.g. on size overflow).
  StatusOr<Tensor*> Output(int i, DataType dtype, std::vector<int64_t> dims);
  // As Output, with every byte zero (string tensors: empty strings).
  StatusOr<Tensor*> OutputZeroed(int i, DataType dtype, std::vector<int64_t> dims);
  // Temporary memory for this run of the kernel only, on the kernel's device: a uint8 tensor of
  // `nbytes` uninitialized bytes, 64-byte aligned (the device's alignment off the CPU), that the kernel holds while it uses the memory (not past Run). It is
  // planned in the session's arena like an intermediate that lives one step, so a steady-state
  // run allocates none; without a plan it comes from the heap. Errors name the node.
  StatusOr<Tensor> Scratch(size_t nbytes);
  // Sets output i to a value the kernel built (a view of an input, a sequence, None).
  Status SetOutput(int i, AnyValue value);
  // Runs a subgraph attribute's graph.
  StatusOr<std::vector<AnyValue>> RunSubgraph(const Graph& graph,
                                              const std::vector<AnyValue>& inputs);

  // Errors prefixed with the node: "node 'x' (Op, opset N): msg".
  Status Error(StatusCode code, const std::string& msg) const;
  Status InvalidArgument(const std::string& msg) const {
    return Error(StatusCode::kInvalidArgument, msg);
  }
  Status Unsupported(const std::string& msg) const { return Error(StatusCode::kUnsupported, msg); }

 private:
  const Node& node_;
  std::vector<const AnyValue*> inputs_;
  std::vector<AnyValue>* outputs_;
  SubgraphRunner* subgraphs_;
  OutputAllocator* allocator_;
  const KernelDef* def_ = nullptr;
  const DeviceBackend* backend_ = nullptr;
  DeviceStream* stream_ = nullptr;
  const KernelState* state_ = nullptr;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Shape-dependent state for later runs (see the lifetimes above); nullptr, the default, for
  // none. Sees the inputs, stream and device of the run about to call Run; allocates no output.
  virtual StatusOr<std::shared_ptr<const KernelState>> Prepare(KernelContext& ctx) const {
    return std::shared_ptr<const KernelState>();
  }
  virtual Status Run(KernelContext& ctx) const = 0;
};

using KernelFactory = std::function<StatusOr<std::unique_ptr<Kernel>>(const KernelInfo&)>;

// A kernel with no create-time state: wraps a function.
class FunctionKernel : public Kernel {
 public:
  using Fn = std::function<Status(KernelContext&)>;
  explicit FunctionKernel(Fn fn) : fn_(std::move(fn)) {}
  Status Run(KernelContext& ctx) const override { return fn_(ctx); }

 private:
  Fn fn_;
};
// A factory for a stateless kernel.
KernelFactory Stateless(FunctionKernel::Fn fn);
// A factory for a kernel class constructed from the KernelInfo: T(const KernelInfo&). T may check
// attributes in its constructor and report problems through a `Status init_status` member-less
// pattern: use MakeKernel when the constructor cannot fail, or write a factory lambda.
template <typename T>
KernelFactory MakeKernel() {
  return [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    return std::unique_ptr<Kernel>(new T(info));
  };
}

// Creates a kernel of class T from `args` for a class whose constructor records a problem with
// the node's attributes in `init_status()`: that status, or the kernel.
template <typename T, typename... Args>
StatusOr<std::unique_ptr<Kernel>> CreateChecked(Args&&... args) {
  auto k = std::make_unique<T>(std::forward<Args>(args)...);
  if (!k->init_status().ok()) return k->init_status();
  return std::unique_ptr<Kernel>(std::move(k));
}
// A factory for such a class constructed from the KernelInfo: CreateChecked<T>(info).
template <typename T>
KernelFactory MakeCheckedKernel() {
  return [](const KernelInfo& info) { return CreateChecked<T>(info); };
}

// The registry of kernels for every device. Lookups are by (domain, op type, opset, device).
class KernelRegistry {
 public:
  struct Entry {
    KernelDef def;
    KernelFactory factory;
  };

  // Registers a kernel. An overlapping definition (same domain, op, device and an intersecting
  // opset range) is a registration error, recorded in status().
  void Register(KernelDef def, KernelFactory factory);
  // Registers the backend of a device other than the CPU (one per device), and the runtime's copy
  // kernels MemcpyToDevice and MemcpyToHost (domain kiln) for it.
  void RegisterDevice(std::shared_ptr<const DeviceBackend> backend);
  // The backend of `device`; nullptr for the CPU and for devices not registered.
  const DeviceBackend* Backend(Device device) const;
  // The first registration error, if any.
  const Status& status() const { return status_; }

  // The kernel for an op at an opset on a device; the error lists every candidate and why it was
  // rejected.
  StatusOr<const Entry*> Find(const std::string& domain, const std::string& op_type, int opset,
                              Device device) const;
  // True if some kernel exists for the op on the device at the opset.
  bool Has(const std::string& domain, const std::string& op_type, int opset, Device device) const {
    return Find(domain, op_type, opset, device).ok();
  }
  // Entries sorted by (domain, op type, device, since version).
  std::vector<const Entry*> Sorted() const;

 private:
  std::vector<Entry> entries_;
  std::vector<std::shared_ptr<const DeviceBackend>> backends_;
  Status status_;
};

// The domain of kiln's own operators (docs/kiln_ops.md), and the copy operators that placement
// inserts at device boundaries: MemcpyToDevice(X) -> Y copies a host tensor to the kernel's
// device, MemcpyToHost(X) -> Y copies a device tensor to the host. Registered for each device by
// KernelRegistry::RegisterDevice.
constexpr char kKilnDomain[] = "kiln";
constexpr char kMemcpyToDevice[] = "MemcpyToDevice";
constexpr char kMemcpyToHost[] = "MemcpyToHost";
void RegisterCopyKernels(KernelRegistry& r, Device device);

// Checks the element types of a node's tensor inputs against a definition's constraints; the
// error names the input, the type found and the types accepted.
Status CheckInputTypes(const KernelDef& def, const Node& node,
                       const std::vector<const AnyValue*>& inputs);

}  // namespace kiln
