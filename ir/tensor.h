// Tensor: element type, concrete dims and a view into shared storage. Copying a Tensor copies the
// view (cheap, shares the bytes); Clone() copies the bytes. Packed types (int4, uint4, float4e2m1,
// int2, uint2) store their elements low bits first, ceil(numel * bits / 8) bytes in all. String
// tensors hold constructed std::string objects.
//
// Thread-safety: a Tensor is a value type; concurrent reads are safe, writes to shared storage
// need the usual care.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ir/dtype.h"
#include "ir/status.h"

namespace kiln {

enum class Device : int { kCpu = 0, kCuda = 1 };
const char* DeviceName(Device d);

constexpr size_t kTensorAlignment = 64;

// Owns one aligned block of bytes (or borrows external memory).
class Storage {
 public:
  // Allocates `bytes` zeroed bytes; for kString, `count` empty strings.
  static StatusOr<std::shared_ptr<Storage>> Allocate(DataType dtype, size_t bytes, size_t count);
  // Allocates `bytes` aligned bytes left uninitialized (not for strings): arenas.
  static StatusOr<std::shared_ptr<Storage>> AllocateUninitialized(size_t bytes);
  // Borrows memory the caller keeps alive for the Storage's lifetime.
  static std::shared_ptr<Storage> Borrow(void* data, size_t bytes, Device device = Device::kCpu);
  // Takes ownership of memory a device backend allocated (kernels/api/device.h): `release(data)`
  // runs when the Storage is destroyed. Counted by allocation_count like any owned block.
  static std::shared_ptr<Storage> Adopt(void* data, size_t bytes, Device device,
                                        std::function<void(void*)> release);
  // How many owned blocks of at least one byte were allocated in this process so far (for
  // tests that check a steady-state run allocates nothing).
  static int64_t allocation_count();
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  Storage() = default;
  void* data_ = nullptr;
  size_t bytes_ = 0;
  size_t strings_ = 0;  // number of constructed std::string objects (string tensors)
  bool owned_ = false;
  Device device_ = Device::kCpu;
  std::function<void(void*)> release_;  // Adopt: frees device memory
};

// Number of elements of `dims`, or an error if a dim is negative or the product overflows int64.
StatusOr<int64_t> CheckedNumElements(const std::vector<int64_t>& dims);
// Bytes needed for `numel` elements of `dtype` (packed types rounded up), with overflow checks.
StatusOr<size_t> CheckedByteSize(DataType dtype, int64_t numel);
// "[2,3,4]"
std::string DimsToString(const std::vector<int64_t>& dims);

class Tensor {
 public:
  Tensor() = default;  // undefined dtype, no storage

  // Allocates a zeroed tensor. Errors on negative dims or byte-size overflow.
  static StatusOr<Tensor> Create(DataType dtype, std::vector<int64_t> dims);
  // As Create, for dims the program controls; aborts on failure (programmer error).
  Tensor(DataType dtype, std::vector<int64_t> dims);
  // Wraps external memory (not owned); the caller keeps it alive.
  static Tensor Wrap(DataType dtype, std::vector<int64_t> dims, void* data,
                     Device device = Device::kCpu);
  // A tensor at `offset` bytes into `storage` (shared, not copied); errors when it does not fit.
  // The bytes are whatever the storage holds.
  static StatusOr<Tensor> View(std::shared_ptr<Storage> storage, size_t offset, DataType dtype,
                               std::vector<int64_t> dims);
  // A scalar (rank 0) tensor holding `v`.
  template <typename T>
  static Tensor Scalar(T v) {
    Tensor t(DataTypeOf<T>::value, {});
    *t.data<T>() = v;
    return t;
  }
  // A rank-1 or shaped tensor from values.
  template <typename T>
  static Tensor FromVector(const std::vector<T>& v, std::vector<int64_t> dims) {
    Tensor t(DataTypeOf<T>::value, std::move(dims));
    T* p = t.data<T>();
    for (size_t i = 0; i < v.size() && static_cast<int64_t>(i) < t.numel(); ++i) p[i] = v[i];
    return t;
  }
  template <typename T>
  static Tensor FromVector(const std::vector<T>& v) {
    return FromVector(v, {static_cast<int64_t>(v.size())});
  }

  bool defined() const { return dtype_ != DataType::kUndefined; }
  DataType dtype() const { return dtype_; }
  const std::vector<int64_t>& dims() const { return dims_; }
  int64_t dim(int i) const { return dims_[i]; }
  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return storage_ ? storage_->device() : Device::kCpu; }

  void* raw_data() { return storage_ ? static_cast<char*>(storage_->data()) + offset_ : nullptr; }
  const void* raw_data() const {
    return storage_ ? static_cast<const char*>(storage_->data()) + offset_ : nullptr;
  }
  template <typename T>
  T* data() {
    return static_cast<T*>(raw_data());
  }
  template <typename T>
  const T* data() const {
    return static_cast<const T*>(raw_data());
  }

  // A view with new dims and the same number of elements, sharing storage.
  StatusOr<Tensor> Reshaped(std::vector<int64_t> dims) const;
  // A deep copy into new host storage. Only for tensors in host memory (device() == kCpu): the
  // runtime copies device tensors through their DeviceBackend (kernels/api/device.h).
  Tensor Clone() const;
  // "float[2,3]"
  std::string TypeString() const;
  const std::shared_ptr<Storage>& storage() const { return storage_; }

 private:
  DataType dtype_ = DataType::kUndefined;
  std::vector<int64_t> dims_;
  int64_t numel_ = 0;
  size_t nbytes_ = 0;
  std::shared_ptr<Storage> storage_;
  size_t offset_ = 0;
};

// A run-time value: a tensor, a sequence of values, a map, or None (an empty optional).
// `optional` marks a value whose declared type is optional(...), so outputs keep their ONNX type.
//
// A map (kind kMap) is two 1-D tensors of the same length: `map_keys` (int8..int64, uint8..uint64
// or string: the key types ONNX allows) and `map_values`, entry i mapping map_keys[i] to
// map_values[i]. Keys are unique; their order carries no meaning (kernels that need an order sort
// them, as ONNX Runtime's std::map does). Values are scalars of one element type: that covers
// every map the ONNX operators make or take (ai.onnx.ml's ZipMap, DictVectorizer, CastMap:
// float, double, int64 or string values) and keeps a map two flat arrays. ONNX also allows maps
// whose values are tensors of any shape, sequences or maps; no operator uses those, and loading
// one is reported as unsupported.
struct AnyValue {
  enum class Kind { kTensor, kSequence, kNone, kMap };
  Kind kind = Kind::kTensor;
  Tensor tensor;
  std::vector<AnyValue> sequence;
  // An empty sequence's element type: the element type of its tensors or, when
  // `sequence_map_key_type` is set, the value type of its maps (map(sequence_map_key_type,
  // sequence_elem_type)). Kernels that make sequences set them; items' own types win otherwise.
  DataType sequence_elem_type = DataType::kUndefined;
  DataType sequence_map_key_type = DataType::kUndefined;
  Tensor map_keys;    // kMap: 1-D keys
  Tensor map_values;  // kMap: 1-D values, as many as keys
  bool optional = false;

  AnyValue() = default;
  AnyValue(Tensor t) : tensor(std::move(t)) {}  // NOLINT
  static AnyValue Sequence(std::vector<AnyValue> items, DataType elem_type) {
    AnyValue v;
    v.kind = Kind::kSequence;
    v.sequence = std::move(items);
    v.sequence_elem_type = elem_type;
    return v;
  }
  // A map of keys[i] -> values[i]. Errors unless both are 1-D tensors of one length on the CPU,
  // the keys are of a map key type and unique, and the values have an element type.
  static StatusOr<AnyValue> Map(Tensor keys, Tensor values);
  static AnyValue None() {
    AnyValue v;
    v.kind = Kind::kNone;
    v.optional = true;
    return v;
  }
  bool is_tensor() const { return kind == Kind::kTensor; }
  bool is_map() const { return kind == Kind::kMap; }
  // Number of entries of a map.
  int64_t map_size() const { return map_keys.numel(); }
  // "float[2,3]", "seq(float)", "map(int64,float)", "seq(map(string,float))", "none"
  std::string TypeString() const;
};

// Whether ONNX allows `t` as a map key type: the integer types and string.
bool IsMapKeyType(DataType t);
// Key i of a map's key tensor as text: "5", or "'cat'" for a string key.
std::string MapKeyToString(const Tensor& keys, int64_t i);

}  // namespace kiln
